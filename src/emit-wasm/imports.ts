/**
 * @file The reference implementation of the compiled-module ABI's imports
 * (`docs/abi.md`) over a `Memory` and a helper table: what a host passes to
 * `WebAssembly.instantiate`, and how it runs an export. Environment-free: it
 * uses only the `WebAssembly` global every JavaScript runtime has.
 */

import { ProgramStop, type HelperEnv, type Helpers } from '../abi/helper-env.js';
import type { Memory } from '../abi/memory.js';
import { DiagnosticError, fail } from '../diag/diagnostic.js';
import { MAX_CALL_FRAMES } from '../isa/registers.js';
import { PC_EXPORT } from './compile.js';
import { FaultKind } from './lower.js';

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
  /** Legacy packet loads read here; absent: every one is out of bounds. */
  packet?: AbiPacket;
  /** The context address of the current run (helpers see it as `env.ctx`). */
  ctx?: number;
}

/** Thrown by `env.ld_pkt` when out of bounds: the run ends with r0 = 0. */
class PacketExit {}

const TWO32 = 2n ** 32n;
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** The import object for a compiled module, and a way to read the pc of the latest helper call. */
export function abiImports(o: AbiImportOptions): {
  imports: Record<string, Record<string, unknown>>;
  bind(exports: Record<string, unknown>): void;
} {
  let pcGlobal: { value: number } | undefined;
  const env: HelperEnv & { pc: number } = {
    memory: o.memory,
    get ctx() { return o.ctx ?? 0; },
    get pc() { return pcGlobal?.value ?? 0; },
    set pc(_: number) { /* read from the module */ },
  };
  const helpers = o.helpers ?? new Map();
  const callHelper = (id: number, args: bigint[]): bigint => {
    const fn = helpers.get(id);
    if (fn === undefined) fail('RUN_UNKNOWN_HELPER', { id }, { pc: env.pc });
    try {
      return BigInt.asIntN(64, fn(env, u64(args[0]!), u64(args[1]!), u64(args[2]!), u64(args[3]!), u64(args[4]!)));
    } catch (e) {
      if (e instanceof DiagnosticError) throw e.within({ pc: env.pc });
      throw e;
    }
  };
  const bpfHelpers: Record<string, unknown> = new Proxy({}, {
    get: (_t, name) => {
      const id = Number(String(name));
      return (a: bigint, b: bigint, c: bigint, d: bigint, e: bigint) => callHelper(id, [a, b, c, d, e]);
    },
  });
  const access = ['load', 'store', 'atomic'] as const;
  const envImports: Record<string, unknown> = {
    memory: o.wasmMemory,
    stack_top: BigInt(o.stackTop),
    callx: (id: bigint, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint) => {
      const uid = u64(id);
      if (uid >= TWO32) fail('RUN_UNKNOWN_HELPER', { id: uid }, { pc: env.pc });
      return callHelper(Number(uid), [a, b, c, d, e]);
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
  const values: Record<string, unknown> = {};
  for (const [k, v] of o.mapValues ?? []) values[String(k)] = BigInt.asIntN(64, v);
  return {
    imports: { bpf_helpers: bpfHelpers, env: envImports, bpf_maps: maps, bpf_map_values: values },
    bind(exports) { pcGlobal = exports[PC_EXPORT] as { value: number } | undefined; },
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
    if (e instanceof ProgramStop) return e.r0;
    if (e instanceof PacketExit) return 0n;
    throw e;
  }
}
