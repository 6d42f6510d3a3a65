/**
 * @file The reference implementation of the compiled-module ABI's imports
 * (`docs/abi.md`) over a `Memory` and a helper table: what a host passes to
 * `WebAssembly.instantiate`, and how it runs an export. Environment-free: it
 * uses only the `WebAssembly` global every JavaScript runtime has.
 */

import { ProgramStop, type HelperEnv, type Helpers } from '../abi/helper-env.js';
import type { Memory } from '../abi/memory.js';
import { DiagnosticError, fail } from '../diag/diagnostic.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/registers.js';
import { FP_EXPORT, FUNCTIONS_EXPORT, PC_EXPORT, TAIL_EXPORT } from './compile.js';
import { FaultKind } from './lower.js';
import { Wasm } from '../util/wasm-api.js';

/** Where `ld_pkt` reads from. */
export interface AbiPacket {
  readonly start: number;
  readonly size: number;
}

/** What the imports need. */
export interface AbiImportOptions {
  readonly memory: Memory;
  /** The `WebAssembly.Memory` behind `memory`. */
  readonly wasmMemory: unknown;
  /** One past the end of the stack region (8 frames of 512 bytes). */
  readonly stackTop: number;
  readonly helpers?: Helpers;
  /** Map handles (`bpf_maps.<k>`) and value addresses (`bpf_map_values.<k>`), by map index. */
  readonly mapHandles?: ReadonlyMap<number, bigint>;
  readonly mapValues?: ReadonlyMap<number, bigint>;
  /**
   * A direct lookup for map `k` (`bpf_map_lookup.<k>`): key address in,
   * value address or 0 out, as `bpf_map_lookup_elem` on that map. Absent (or
   * undefined for a map): the lookup goes through helper 1.
   */
  readonly mapLookup?: (k: number) => ((keyAddr: number) => number) | undefined;
  /**
   * The address of map `k`'s index in the memory (`bpf_map_index.<k>`: a
   * hash map's table or an LPM trie's image), or 0 when the host keeps none; absent: 0 for every map, so each lookup
   * calls `bpf_map_lookup.<k>`.
   */
  readonly mapIndex?: (k: number) => number;
  /** Legacy packet loads read here; absent: every one is out of bounds. */
  packet?: AbiPacket;
  /** The context address of the current run (helpers see it as `env.ctx`). */
  ctx?: number;
}

const MAP_LOOKUP_ELEM = 1;

/** Thrown by `env.ld_pkt` when out of bounds: the run ends with r0 = 0. */
class PacketExit {}

const TWO32 = 2n ** 32n;
/** Unsigned view of a signed i64 from WebAssembly; non-negative values pass as they are. */
const u64 = (x: bigint): bigint => (x >= 0n ? x : BigInt.asUintN(64, x));

/** The import object for a compiled module, and a way to read the pc of the latest helper call. */
export function abiImports(o: AbiImportOptions): {
  imports: Record<string, Record<string, unknown>>;
  bind(exports: Record<string, unknown>): void;
  /** The target of the tail call that ended the last run, if one did (then cleared). */
  takeTailCall(): unknown;
  /** Set the CPU the module's `bpf_get_smp_processor_id` sees (`env.cpu`). */
  setCpu(cpu: number): void;
} {
  let pcGlobal: { value: number } | undefined;
  let fpGlobal: { value: bigint } | undefined;
  /** The target of a successful tail call of the current run, until `takeTailCall`. */
  let pendingTail: unknown;
  let functions: { get(i: number): ((...a: bigint[]) => bigint) | null; readonly length: number } | undefined;
  const env: HelperEnv & { pc: number; tailCall?: (target: unknown) => void } = {
    memory: o.memory,
    get ctx() { return o.ctx ?? 0; },
    get pc() { return pcGlobal?.value ?? 0; },
    set pc(_: number) { /* read from the module */ },
    callback: (fn, a, b, c, d, e) => {
      const f = functions !== undefined && fn < BigInt(functions.length) ? functions.get(Number(fn)) : null;
      if (f === null || fpGlobal === undefined) fail('RUN_BAD_CALLBACK', { address: fn.toString(16) }, { pc: env.pc });
      // a bpf-to-bpf call from the helper's frame: the callee's frame is the 512 bytes below it
      const fp = fpGlobal.value - BigInt(STACK_SIZE);
      if (fp <= BigInt(o.stackTop - STACK_SIZE * MAX_CALL_FRAMES)) fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc: env.pc });
      const saved = fpGlobal.value;
      try {
        // internal functions take r1..r5 and the frame pointer
        return u64(f(...[a, b, c, d, e].slice(0, f.length - 1).map((x) => BigInt.asIntN(64, x)), fp));
      } finally {
        fpGlobal.value = saved;
      }
    },
  };
  const helpers = o.helpers ?? new Map();
  type Import = (a: bigint, b: bigint, c: bigint, d: bigint, e: bigint) => bigint;
  /** The import for one helper id: arguments arrive as signed i64s, the helper sees them unsigned. */
  const bound = (id: number): Import => {
    const fn = helpers.get(id);
    if (fn === undefined) return () => fail('RUN_UNKNOWN_HELPER', { id }, { pc: env.pc });
    return (a, b, c, d, e) => {
      try {
        return BigInt.asIntN(64, fn(env, u64(a), u64(b), u64(c), u64(d), u64(e)));
      } catch (err) {
        if (err instanceof DiagnosticError) throw err.within({ pc: env.pc });
        throw err;
      }
    };
  };
  const byId = new Map<number, Import>();
  const callHelper = (id: number): Import => {
    let f = byId.get(id);
    if (f === undefined) byId.set(id, f = bound(id));
    return f;
  };
  const bpfHelpers: Record<string, unknown> = new Proxy({}, {
    get: (_t, name) => callHelper(Number(String(name))),
  });
  const access = ['load', 'store', 'atomic'] as const;
  const cpu = new Wasm.Global({ value: 'i32', mutable: true }, 0);
  const envImports: Record<string, unknown> = {
    memory: o.wasmMemory,
    cpu,
    stack_top: BigInt(o.stackTop),
    callx: (id: bigint, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint) => {
      const uid = u64(id);
      if (uid >= TWO32) fail('RUN_UNKNOWN_HELPER', { id: uid }, { pc: env.pc });
      return callHelper(Number(uid))(a, b, c, d, e);
    },
    ld_pkt: (_ctx: bigint, off: bigint, size: number, _pc: number) => {
      const offset = Number(BigInt.asIntN(32, off));
      const p = o.packet;
      if (p === undefined || offset < 0 || offset + size > p.size) throw new PacketExit();
      const v = o.memory.view;
      const a = p.start + offset;
      return BigInt(size === 1 ? v.getUint8(a) : size === 2 ? v.getUint16(a, false) : v.getUint32(a, false));
    },
    region: (addr: bigint, size: number, kind: number) => {
      const a = u64(addr);
      if (a >= TWO32) return 0n;
      const r = o.memory.find(Number(a), size);
      if (r === undefined || (kind !== FaultKind.load && !r.writable)) return 0n;
      return BigInt(r.start) | (BigInt(r.start + r.size) << 32n);
    },
    fault: (pc: number, addr: bigint, kindAndSize: number) => {
      const kind = kindAndSize & 15;
      const size = kindAndSize >>> 4;
      if (kind === FaultKind.callDepth) fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc });
      if (kind === FaultKind.trap) fail('RUN_FELL_OFF', { count: 0 }, { pc });
      if (kind === FaultKind.budget) fail('RUN_BUDGET', { budget: `${u64(addr)} loop iterations` }, { pc });
      const what = access[kind] ?? 'load';
      const a = u64(addr);
      const r = a < TWO32 ? o.memory.find(Number(a), Math.max(size, 1)) : undefined;
      if (r !== undefined && what !== 'load' && !r.writable) {
        fail('RUN_READONLY', { size, address: a.toString(16), region: r.name }, { pc });
      }
      fail('RUN_MEMORY_FAULT', { access: what, size, address: a.toString(16) }, { pc });
    },
  };
  const maps: Record<string, unknown> = {};
  for (const [k, v] of o.mapHandles ?? []) maps[String(k)] = BigInt.asIntN(64, v);
  const mapLookups: Record<string, unknown> = new Proxy({}, {
    get: (_t, name) => {
      const k = Number(String(name));
      const direct = o.mapLookup?.(k);
      if (direct !== undefined) return direct;
      const handle = BigInt.asIntN(64, o.mapHandles?.get(k) ?? 0n);
      const lookup = callHelper(MAP_LOOKUP_ELEM);
      return (key: number) => Number(BigInt.asUintN(32, lookup(handle, BigInt(key), 0n, 0n, 0n)));
    },
  });
  const indexes: Record<string, unknown> = new Proxy({}, {
    get: (_t, name) => o.mapIndex?.(Number(String(name))) ?? 0,
  });
  const values: Record<string, unknown> = {};
  for (const [k, v] of o.mapValues ?? []) values[String(k)] = BigInt.asIntN(64, v);
  return {
    imports: { bpf_helpers: bpfHelpers, bpf_map_lookup: mapLookups, env: envImports, bpf_maps: maps, bpf_map_values: values, bpf_map_index: indexes },
    bind(exports) {
      pcGlobal = exports[PC_EXPORT] as { value: number } | undefined;
      fpGlobal = exports[FP_EXPORT] as { value: bigint } | undefined;
      functions = exports[FUNCTIONS_EXPORT] as typeof functions;
      const flag = exports[TAIL_EXPORT] as { value: number } | undefined;
      // with the tail flag the module unwinds itself: the helper records the target and returns
      if (flag !== undefined) env.tailCall = (target) => { pendingTail = target; flag.value = 1; };
    },
    setCpu(n) { cpu.value = n; },
    takeTailCall() {
      // the module clears its flag when the next run starts (a write from here would cost a call into the engine)
      const t = pendingTail;
      pendingTail = undefined;
      return t;
    },
  };
}

/**
 * Run an exported program: r0 as an unsigned 64-bit value. A helper's
 * `stopProgram` and an out-of-bounds legacy packet load end it early, as in
 * the interpreter; faults throw `DiagnosticError`s.
 */
export function runExport(fn: unknown, ...args: bigint[]): bigint {
  try {
    return u64((fn as (...a: bigint[]) => bigint)(...args.map((a) => BigInt.asIntN(64, a))));
  } catch (e) {
    return stopped(e);
  }
}

/** The result of a run that threw: an early stop's r0, or the error again. */
export function stopped(e: unknown): bigint {
  if (e instanceof ProgramStop) return e.r0;
  if (e instanceof PacketExit) return 0n;
  throw e;
}
