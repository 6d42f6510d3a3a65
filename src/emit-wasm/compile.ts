/**
 * @file IR modules to one WebAssembly module with the compiled-module ABI
 * (`docs/abi.md`): imports, globals, the access-check function, one Wasm
 * function per IR function, one export per program, the ABI custom sections.
 *
 * Imports, in this order (only those the code uses, except the memory):
 *
 * ```
 *   bpf_helpers.<id>   func (i64 i64 i64 i64 i64) -> i64     kernel helper <id>
 *   bpf_map_lookup.<k> func (i32 key) -> i32                 bpf_map_lookup_elem on map k (verified modules)
 *   env.callx          func (i64 id, i64 × 5) -> i64         callx through a register
 *   env.ld_pkt         func (i64 ctx, i64 off, i32 size, i32 pc) -> i64
 *   env.region         func (i64 addr, i32 size, i32 kind) -> i64   start | end << 32, or 0
 *   env.fault          func (i32 pc, i64 addr, i32 kind | size << 4)   never returns normally
 *   env.memory         memory
 *   env.stack_top      global i64    one past the 8 × 512-byte stack region
 *   bpf_maps.<k>       global i64    the handle of map k
 *   bpf_map_values.<k> global i64    the address of map k's value (global data)
 *   bpf_map_index.<k>  global i32    the address of hash map or LPM trie k's index, or 0 (verified modules)
 *   env.cpu            global i32 (mutable)   the CPU of the current run (bpf_get_smp_processor_id)
 * ```
 */

import { assert } from '../diag/errors.js';
import type { Func, Module } from '../ir/func.js';
import type { FuncRef } from '../ir/types.js';
import { ABI_VERSION, writeAbiSections, type AbiData, type AbiMap, type AbiProgram } from './abi-sections.js';
import { BLOCK_VOID, Code, ValType, W } from './encode.js';
import { emitCacheReset, emitCacheResetBody, lookupMapOf, lowerFunc, type ModuleEnv } from './lower.js';
import { hashLookupFunc, lpmLookupFunc } from './map-lookup.js';
import { ModuleBuilder } from './module.js';
import { MAX_INDEXED_KEY, MAX_LPM_INDEXED_DATA } from '../abi/hash-index.js';

/** One program to compile: its IR and what the ABI sections say about it. */
export interface CompileProgram {
  readonly ir: Module;
  /** Program name; also the export name. Default: the entry function's name. */
  readonly name?: string;
  /** ELF section (default `"unknown"`). */
  readonly section?: string;
  /** Kernel program type (default 0, unspecified). */
  readonly type?: number;
  readonly expectedAttachType?: number;
  readonly attachTo?: string;
}

/** Module-wide options. */
export interface CompileOptions {
  /** Map definitions, indexed by the IR's map numbers. */
  readonly maps?: readonly AbiMap[];
  /** Initial values of global data and initialised maps (default: each map's `initial`). */
  readonly data?: readonly AbiData[];
  /** The object's license (default `""`). */
  readonly license?: string;
  /** Producer string for the ABI section. */
  readonly producer?: string;
  /**
   * Whether the verifier accepted the programs (so every loop is bounded).
   * Unverified programs get a loop budget: each run may execute at most
   * `loopBudget` loop iterations, then faults with `RUN_BUDGET`.
   */
  readonly verified?: boolean;
  /** Loop iterations per run for unverified programs (default 10 000 000). */
  readonly loopBudget?: number;
}

/** Default loop budget of unverified programs. */
export const DEFAULT_LOOP_BUDGET = 10_000_000;

/** Statistics of one compilation. */
export interface CompileStats {
  readonly functions: number;
  readonly irreducibleFunctions: number;
  readonly checkedAccesses: number;
}

/** A compiled module and its statistics. */
export interface Compiled {
  readonly bytes: Uint8Array;
  readonly stats: CompileStats;
}

/** The default producer string. */
export const PRODUCER = 'ebpf2wasm 0.1.0';

/** The name of the exported global that holds the pc of the latest helper call. */
export const PC_EXPORT = 'ebpf2wasm.pc';
/** Export of the frame pointer at the latest callback-taking helper call (modules that take function addresses). */
export const FP_EXPORT = 'ebpf2wasm.fp';
/** Export of the flag a successful `bpf_tail_call` sets (modules that call helper 12 or use `callx`). */
export const TAIL_EXPORT = 'ebpf2wasm.tail';
const TAIL_CALL = 12;
const GET_SMP_PROCESSOR_ID = 8;
const MAP_HASH = 1;
const MAP_LPM_TRIE = 11;
/** Prefix of a program's second export, `(i32 ctx) -> f64` (programs with one parameter). */
export const RUN32_PREFIX = 'ebpf2wasm.run.';
/** Export of the global holding r0 when a `RUN32_PREFIX` export returns -1 (r0 at or above 2^53). */
export const R0_EXPORT = 'ebpf2wasm.r0';
/** r0 below this is exact as a double. */
const EXACT_F64 = 2n ** 53n;
/** Export of the table holding every function at its index (modules that take function addresses). */
export const FUNCTIONS_EXPORT = 'ebpf2wasm.functions';

interface Needs {
  helpers: Set<number>;
  maps: Set<number>;
  mapValues: Set<number>;
  /** Maps looked up by a constant reference in a verified module: each gets its own import. */
  mapLookups: Set<number>;
  /** `bpf_get_smp_processor_id` is called: it reads `env.cpu`. */
  cpu: boolean;
  /** Some function's address is taken (a callback for `bpf_loop`, `bpf_for_each_map_elem`). */
  funcAddr: boolean;
  callx: boolean;
  ldPkt: boolean;
  checked: number;
  faults: boolean;
}

function emptyNeeds(): Needs {
  return { helpers: new Set(), maps: new Set(), mapValues: new Set(), mapLookups: new Set(), cpu: false, funcAddr: false, callx: false, ldPkt: false, checked: 0, faults: false };
}

function scan(funcs: readonly Func[], needs: Needs, verified: boolean): void {
  for (const fn of funcs) {
    for (const b of fn.layout) {
      for (const i of fn.blocks[b]!.insts) {
        const inst = fn.insts[i]!;
        switch (inst.op) {
          case 'call_helper': {
            const k = lookupMapOf(fn, inst, verified);
            if (k !== undefined) needs.mapLookups.add(k);
            else if (inst.helper === GET_SMP_PROCESSOR_ID) needs.cpu = true;
            else needs.helpers.add(inst.helper!);
            break;
          }
          case 'call_indirect': needs.callx = true; break;
          case 'func_addr': needs.funcAddr = true; break;
          case 'ld_pkt': needs.ldPkt = true; break;
          case 'map_addr': needs.maps.add(inst.map!); break;
          case 'map_value_addr': needs.mapValues.add(inst.map!); break;
          case 'call': case 'trap': needs.faults = true; break;
          case 'load': case 'store': case 'atomic_rmw': case 'atomic_cmpxchg':
            if (inst.checked !== false) { needs.checked++; needs.faults = true; }
            break;
          default: break;
        }
      }
    }
  }
}

/** Compile one program (an IR module) to a module with the ABI. */
export function compileModule(ir: Module, options: CompileOptions & Omit<CompileProgram, 'ir'> = {}): Uint8Array {
  return compilePrograms([{ ...options, ir }], options).bytes;
}

/** Compile several programs (each its own IR module) into one module. */
export function compilePrograms(programs: readonly CompileProgram[], options: CompileOptions = {}): Compiled {
  const needs = emptyNeeds();
  const verified = options.verified === true;
  for (const p of programs) scan(p.ir.funcs, needs, verified);
  const m = new ModuleBuilder();
  const i64 = ValType.i64;
  const i32 = ValType.i32;
  const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);

  const helperType = m.type([i64, i64, i64, i64, i64], [i64]);
  const helperIndex = new Map<number, number>();
  for (const id of sorted(needs.helpers)) helperIndex.set(id, m.importFunc('bpf_helpers', String(id), helperType, `helper_${id}`));
  const lookupIndex = new Map<number, number>();
  for (const k of sorted(needs.mapLookups)) lookupIndex.set(k, m.importFunc('bpf_map_lookup', String(k), m.type([i32], [i32]), `map_lookup_${k}`));
  const callx = needs.callx ? m.importFunc('env', 'callx', m.type([i64, i64, i64, i64, i64, i64], [i64])) : -1;
  const ldPkt = needs.ldPkt ? m.importFunc('env', 'ld_pkt', m.type([i64, i64, i32, i32], [i64])) : -1;
  const region = needs.checked > 0 ? m.importFunc('env', 'region', m.type([i64, i32, i32], [i64])) : -1;
  if (options.verified !== true) needs.faults = true;
  const fault = needs.faults ? m.importFunc('env', 'fault', m.type([i32, i64, i32], [])) : -1;
  m.importMemory('env', 'memory', { min: 1 });
  const stackTop = m.importGlobal('env', 'stack_top', i64);
  const mapGlobals = new Map<number, number>();
  for (const k of sorted(needs.maps)) mapGlobals.set(k, m.importGlobal('bpf_maps', String(k), i64));
  const mapValueGlobals = new Map<number, number>();
  for (const k of sorted(needs.mapValues)) mapValueGlobals.set(k, m.importGlobal('bpf_map_values', String(k), i64));
  // hash maps looked up by constant reference probe the host's index in the memory (map-lookup.ts)
  const indexGlobals = new Map<number, number>();
  for (const k of sorted(needs.mapLookups)) {
    const spec = options.maps?.[k];
    const hash = spec?.type === MAP_HASH && spec.keySize > 0 && spec.keySize <= MAX_INDEXED_KEY;
    const lpm = spec?.type === MAP_LPM_TRIE && spec.keySize > 4 && spec.keySize - 4 <= MAX_LPM_INDEXED_DATA;
    if (hash || lpm) indexGlobals.set(k, m.importGlobal('bpf_map_index', String(k), i32));
  }
  const cpu = needs.cpu ? m.importGlobal('env', 'cpu', i32, true) : -1;

  const usesPc = needs.helpers.size > 0 || needs.mapLookups.size > 0 || needs.callx || needs.ldPkt;
  const pc = usesPc ? m.addGlobal(i32, true, 0) : -1;
  if (pc >= 0) m.addExport(PC_EXPORT, 'global', pc);
  // callbacks: the frame pointer of the helper call that runs them, and every function in a table
  const fp = needs.funcAddr ? m.addGlobal(i64, true, 0) : -1;
  if (fp >= 0) m.addExport(FP_EXPORT, 'global', fp);
  // tail calls: the host sets this flag when bpf_tail_call succeeds, and every frame returns; each run clears it
  const tail = needs.helpers.has(TAIL_CALL) || needs.callx ? m.addGlobal(i32, true, 0) : -1;
  if (tail >= 0) m.addExport(TAIL_EXPORT, 'global', tail);
  // r0 too large for the double a fast export returns
  const singleArg = programs.some((p) => p.ir.funcs[p.ir.entry]?.blocks[p.ir.funcs[p.ir.entry]!.layout[0]!]?.params.length === 1);
  const r0 = singleArg ? m.addGlobal(i64, true, 0n) : -1;
  if (r0 >= 0) m.addExport(R0_EXPORT, 'global', r0);
  const cache = needs.checked > 0
    ? [m.addGlobal(i64, true, -1n), m.addGlobal(i64, true, 8n), m.addGlobal(i64, true, -1n), m.addGlobal(i64, true, 8n)]
    : [-1, -1, -1, -1];

  const budgetValue = options.verified === true ? -1 : options.loopBudget ?? DEFAULT_LOOP_BUDGET;
  const budget = budgetValue >= 0 ? m.addGlobal(i64, true, budgetValue) : -1;
  const check = needs.checked > 0 ? m.declareFunc(m.type([i64, i32, i32, i32], []), 'check_access') : -1;
  const resetCaches = needs.checked > 0 ? m.declareFunc(m.type([], []), 'reset_caches') : -1;
  const inlineLookups = new Map<number, number>();
  for (const [k, g] of indexGlobals) {
    const f = m.declareFunc(m.type([i32], [i32]), `map_lookup_${k}_index`);
    const spec = options.maps![k]!;
    const { code, locals, names } = spec.type === MAP_LPM_TRIE
      ? lpmLookupFunc(spec.keySize - 4, g, lookupIndex.get(k)!)
      : hashLookupFunc(spec.keySize, g, lookupIndex.get(k)!);
    m.defineFunc(f, locals, code, names);
    inlineLookups.set(k, f);
  }

  // Function indices for every program's IR functions.
  const base: number[] = [];
  for (const p of programs) {
    base.push(m.funcCount);
    p.ir.funcs.forEach((fn, i) => {
      const entry = fn.blocks[fn.layout[0]!]!;
      const params = entry.params.map((v) => (fn.values[v]!.type === 'i32' ? i32 : i64));
      m.declareFunc(m.type([...params, i64], [i64]), programs.length > 1 ? `${p.name ?? 'p'}.${fn.name}#${i}` : `${fn.name}#${i}`);
    });
  }
  // An export takes the entry function's parameters: the context for kernel
  // programs, (memory, length) for conformance-style programs.
  const exports = programs.map((p) => {
    const entry = p.ir.funcs[p.ir.entry];
    assert(entry !== undefined, `entry f${p.ir.entry} missing`);
    const params = entry.blocks[entry.layout[0]!]!.params.map((v) => (entry.values[v]!.type === 'i32' ? i32 : i64));
    return m.declareFunc(m.type(params, [i64]), `export ${programName(p)}`);
  });

  const [readLo, readHi, writeLo, writeHi] = cache as [number, number, number, number];
  const envFor = (pi: number): ModuleEnv => ({
    funcIndex: (ref: FuncRef) => base[pi]! + ref,
    helper: (id: number) => helperIndex.get(id)!,
    mapLookup: (k: number) => inlineLookups.get(k) ?? lookupIndex.get(k)!,
    verified,
    mapGlobal: (k: number) => mapGlobals.get(k)!,
    mapValueGlobal: (k: number) => mapValueGlobals.get(k)!,
    callx, ldPkt, fault, check, cpu, resetCaches, stackTop, pc, fp, tail, readLo, readHi, writeLo, writeHi, budget, budgetValue,
  });

  if (check >= 0) {
    // check_access(addr, size, pc, kind): ask the host for the region, fault if none, refill a cache.
    const c = new Code();
    const r = 4;
    c.localGet(0).localGet(1).localGet(3).call(region).localTee(r).op(W.i64_eqz);
    c.if(BLOCK_VOID).localGet(2).localGet(0).localGet(3).localGet(1).i32Const(4).op(W.i32_shl).op(W.i32_or)
      .call(fault).op(W.unreachable).end();
    c.localGet(3);
    c.if(BLOCK_VOID);
    c.localGet(r).i64Const(0xffffffffn).op(W.i64_and).globalSet(writeLo);
    c.localGet(r).i64Const(32n).op(W.i64_shr_u).globalSet(writeHi);
    c.else();
    c.localGet(r).i64Const(0xffffffffn).op(W.i64_and).globalSet(readLo);
    c.localGet(r).i64Const(32n).op(W.i64_shr_u).globalSet(readHi);
    c.end();
    m.defineFunc(check, [i64], c, new Map([[0, 'addr'], [1, 'size'], [2, 'pc'], [3, 'kind'], [4, 'region']]));
  }

  if (resetCaches >= 0) {
    const c = new Code();
    emitCacheResetBody(c, envFor(0));
    m.defineFunc(resetCaches, [], c);
  }

  let irreducibleFunctions = 0;
  let functions = 0;
  programs.forEach((p, pi) => {
    const env = envFor(pi);
    p.ir.funcs.forEach((fn, i) => {
      const lowered = lowerFunc(fn, env);
      if (lowered.stats.irreducible) irreducibleFunctions++;
      functions++;
      m.defineFunc(base[pi]! + i, lowered.locals, lowered.code, lowered.localNames);
    });
    // The export: reset the region caches and the tail flag, run the entry with the outermost frame.
    const entry = p.ir.funcs[p.ir.entry];
    assert(entry !== undefined, `entry f${p.ir.entry} missing`);
    const nparams = entry.blocks[entry.layout[0]!]!.params.length;
    /** A run's start: the caches, the tail flag and the budget reset, the entry called with the outermost frame. */
    const start = (c: Code, args: () => void): void => {
      emitCacheReset(c, env);
      if (tail >= 0) c.i32Const(0).globalSet(tail);
      if (budget >= 0) c.i64Const(BigInt(budgetValue)).globalSet(budget);
      args();
      c.globalGet(stackTop).call(base[pi]! + p.ir.entry);
    };
    const c = new Code();
    start(c, () => { for (let k = 0; k < nparams; k++) c.localGet(k); });
    m.defineFunc(exports[pi]!, [], c, new Map([[0, 'ctx']]));
    m.addExport(programName(p), 'func', exports[pi]!);
    if (nparams === 1) {
      // the same run for JavaScript hosts without BigInts: r0 as a double when exact, else -1 and r0 in a global
      const f = m.declareFunc(m.type([i32], [ValType.f64]), `run32 ${programName(p)}`);
      const r = new Code();
      // the run's start written out here rather than called: one frame fewer on every run from JavaScript
      start(r, () => r.localGet(0).op(W.i64_extend_i32_u));
      r.localTee(1).i64Const(EXACT_F64).op(W.i64_lt_u);
      r.if(ValType.f64).localGet(1).op(W.f64_convert_i64_u);
      r.else().localGet(1).globalSet(r0).i64Const(-1n).op(W.f64_convert_i64_s).end();
      m.defineFunc(f, [i64], r, new Map([[0, 'ctx'], [1, 'r0']]));
      m.addExport(RUN32_PREFIX + programName(p), 'func', f);
    }
  });
  m.moduleName = programs.length > 0 ? programName(programs[0]!) : 'empty';

  const abiPrograms: AbiProgram[] = programs.map((p) => ({
    name: programName(p),
    export: programName(p),
    section: p.section ?? 'unknown',
    type: p.type ?? 0,
    ...(p.expectedAttachType !== undefined ? { expectedAttachType: p.expectedAttachType } : {}),
    ...(p.attachTo !== undefined ? { attachTo: p.attachTo } : {}),
    helpers: [...new Set([...p.ir.helpers, ...helpersOf(p.ir)])].sort((a, b) => a - b),
    maps: [...new Set([...p.ir.maps, ...mapsOf(p.ir)])].sort((a, b) => a - b),
  }));
  for (const s of writeAbiSections({
    producer: options.producer ?? PRODUCER,
    license: options.license ?? '',
    programs: abiPrograms,
    maps: options.maps ?? [],
    data: options.data ?? (options.maps ?? []).flatMap((map, i) => (map.initial !== undefined ? [{ map: i, bytes: map.initial }] : [])),
  })) m.addCustom(s.name, s.bytes);
  if (needs.funcAddr) {
    // slot i holds function i, so a `func_addr` (a function index) is also its table slot
    m.defineTable({ min: m.funcCount, max: m.funcCount });
    m.addElements(0, Array.from({ length: m.funcCount }, (_, i) => i));
    m.addExport(FUNCTIONS_EXPORT, 'table', 0);
  }
  assert(ABI_VERSION === 3, 'update compile.ts for the new ABI version');
  return { bytes: m.build(), stats: { functions, irreducibleFunctions, checkedAccesses: needs.checked } };
}

function programName(p: CompileProgram): string {
  return p.name ?? p.ir.funcs[p.ir.entry]?.name ?? 'prog';
}

/** What one program uses, for its ABI entry: every helper it calls, every map it names. */
function usesOf(ir: Module): Needs {
  const n = emptyNeeds();
  scan(ir.funcs, n, false);
  return n;
}

function helpersOf(ir: Module): number[] {
  const n = usesOf(ir);
  return [...n.helpers, ...(n.cpu ? [GET_SMP_PROCESSOR_ID] : [])];
}

function mapsOf(ir: Module): number[] {
  const n = usesOf(ir);
  return [...n.maps, ...n.mapValues];
}
