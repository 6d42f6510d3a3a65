/**
 * @file Lowering one IR function to a WebAssembly function body.
 *
 * - Every SSA value (instruction result or block parameter) lives in a Wasm
 *   local of its type; V8's optimising tier turns locals back into SSA, so
 *   this costs nothing at run time and keeps the lowering simple. Block
 *   arguments are assigned on the edge as a parallel copy: all arguments are
 *   pushed, then the parameters are set in reverse order.
 * - Control flow comes from `structure.ts`; a block's terminator leaves the
 *   branch condition for it (`br_if`), or returns (`ret`), or faults (`trap`).
 * - Wasm function signature: the IR function's parameters, then the frame
 *   pointer (r10) as one more `i64`. A call passes `fp - 512` (the eBPF frame
 *   discipline: each call gets the 512-byte frame below its caller's) and
 *   faults when that would be the ninth frame.
 * - Memory: a checked access compares the address with two cached region
 *   bounds (one pair for reads, one for writes, in globals) and on a miss
 *   calls the module's checking function, which asks the host for the region
 *   (`env.region`) or faults (`env.fault`). An unchecked access (proved by the
 *   verifier) is a plain load or store.
 *
 * The module-level layout (imports, globals, check function) is in
 * `compile.ts`, which hands it here as a `ModuleEnv`.
 */

import { assert, unreachable } from '../diag/errors.js';
import type { Func, InstData } from '../ir/func.js';
import { constantMapOf, terminatorOf } from '../ir/func.js';
import { OPS } from '../ir/ops.js';
import type { Block, FuncRef, Type, Value } from '../ir/types.js';
import { memSize } from '../ir/types.js';
import { STACK_SIZE, MAX_CALL_FRAMES } from '../isa/registers.js';
import { BLOCK_VOID, Code, ValType, W, type WOp } from './encode.js';
import {
  emitBswap16, emitBswap32, emitBswap64, emitCmpxchg, emitRmw, emitSdiv, emitSrem, emitUdiv, emitUrem,
  loadOp, storeOp, type Scratch,
} from './ebpf-ops.js';
import { emitStructured, type StructureStats } from './structure.js';

/** Fault kinds passed to `env.fault` (see `docs/abi.md`). */
export const FaultKind = { load: 0, store: 1, atomic: 2, callDepth: 3, trap: 4, budget: 5 } as const;

const MAP_LOOKUP_ELEM = 1;
/** `bpf_tail_call`. */
const TAIL_CALL = 12;

/** After a call that may have made a tail call: when the host set the tail flag, return from this frame. */
function returnIfTailCall(c: Code, env: ModuleEnv): void {
  if (env.tail < 0) return;
  c.globalGet(env.tail);
  c.if(BLOCK_VOID);
  c.i64Const(0n).op(W.return);
  c.end();
}

const GET_SMP_PROCESSOR_ID = 8;

/** Helpers that call back into the program: `bpf_for_each_map_elem` (164), `bpf_loop` (181). */
const CALLBACK_HELPERS: ReadonlySet<number> = new Set([164, 181]);

/** The map of a `bpf_map_lookup_elem` call through a constant map reference, when the module is verified. */
export function lookupMapOf(fn: Func, inst: InstData, verified: boolean): number | undefined {
  if (!verified || inst.op !== 'call_helper' || inst.helper !== MAP_LOOKUP_ELEM || inst.args.length < 2) return undefined;
  return constantMapOf(fn, inst.args[0]!);
}

/** Indices of the module-level items a function body refers to. */
export interface ModuleEnv {
  /** Wasm function index of an IR function. */
  funcIndex(ref: FuncRef): number;
  /** Wasm function index of the import of helper `id`. */
  helper(id: number): number;
  /** Wasm function index of `bpf_map_lookup.<k>`, map `k`'s own lookup import. */
  mapLookup(k: number): number;
  /** The module is compiled with the verifier's proofs. */
  readonly verified: boolean;
  /** Global holding map `k`'s handle. */
  mapGlobal(k: number): number;
  /** Global holding the address of map `k`'s value (global data). */
  mapValueGlobal(k: number): number;
  /** `env.callx`, `env.ld_pkt`, `env.fault` imports (-1: absent). */
  readonly callx: number;
  readonly ldPkt: number;
  readonly fault: number;
  /** The module's access-check function and cache-reset function (-1: absent). */
  readonly check: number;
  readonly resetCaches: number;
  /** Globals: stack top (immutable i64), pc (mutable i32, -1: absent), region caches (-1: absent). */
  readonly stackTop: number;
  readonly pc: number;
  /** Mutable i32 global `env.cpu`, read by `bpf_get_smp_processor_id` (-1: absent). */
  readonly cpu: number;
  /** Mutable i64 global set to the frame pointer before a helper that runs callbacks (-1: absent). */
  readonly fp: number;
  /** Mutable i32 global the host sets when a `bpf_tail_call` succeeded: every frame returns (-1: absent). */
  readonly tail: number;
  readonly readLo: number;
  readonly readHi: number;
  readonly writeLo: number;
  readonly writeHi: number;
  /** Mutable i64 global counting down loop iterations (-1: no budget). */
  readonly budget: number;
  /** The budget each run starts with (passed to `env.fault` when it runs out). */
  readonly budgetValue: number;
}

/** A lowered function: locals after the parameters, the body, debug names. */
export interface LoweredFunc {
  readonly params: readonly ValType[];
  readonly locals: readonly ValType[];
  readonly code: Code;
  readonly localNames: Map<number, string>;
  readonly stats: StructureStats;
}

const vt = (t: Type): ValType => (t === 'i32' ? ValType.i32 : ValType.i64);

/** Emit a call that resets the region caches (after anything that may remap regions). */
export function emitCacheReset(c: Code, env: ModuleEnv): void {
  if (env.resetCaches >= 0) c.call(env.resetCaches);
}

/** Emit the body of the cache-reset function. */
export function emitCacheResetBody(c: Code, env: ModuleEnv): void {
  if (env.readLo < 0) return;
  // lo = all ones, hi = 8: `a >= lo && a <= hi - size` is false for every address.
  c.i64Const(-1n).globalSet(env.readLo).i64Const(8n).globalSet(env.readHi);
  c.i64Const(-1n).globalSet(env.writeLo).i64Const(8n).globalSet(env.writeHi);
}

/** Lower `fn` (an IR function of a checked module) against `env`. */
export function lowerFunc(fn: Func, env: ModuleEnv): LoweredFunc {
  const entry = fn.layout[0];
  assert(entry !== undefined, `function ${fn.name} has no blocks`);
  const params = fn.blocks[entry]!.params.map((v) => vt(fn.values[v]!.type));
  const all: ValType[] = [...params, ValType.i64];
  const localNames = new Map<number, string>();
  const local = new Int32Array(fn.values.length).fill(-1);
  fn.blocks[entry]!.params.forEach((v, i) => { local[v] = i; localNames.set(i, `v${v}`); });
  const fp = params.length;
  localNames.set(fp, 'fp');
  const fresh = (t: ValType, name?: string): number => {
    all.push(t);
    if (name !== undefined) localNames.set(all.length - 1, name);
    return all.length - 1;
  };
  // Locals: a value used outside its block, by a terminator or as a block
  // parameter has its own local; a value used only later in its own block
  // takes a pooled local that is free again after its last use, so big
  // functions stay far below engines' local limits (V8: 50 000).
  const own = new Uint8Array(fn.values.length).fill(1);
  const lastUse = new Int32Array(fn.values.length).fill(-1);
  {
    const defBlock = new Int32Array(fn.values.length).fill(-1);
    for (const b of fn.layout) {
      for (const i of fn.blocks[b]!.insts) {
        const r = fn.insts[i]!.result;
        if (r !== undefined) { defBlock[r] = b; own[r] = 0; }
      }
    }
    for (const b of fn.layout) {
      const insts = fn.blocks[b]!.insts;
      insts.forEach((i, k) => {
        const inst = fn.insts[i]!;
        const term = OPS[inst.op].terminator;
        for (const v of inst.args) {
          if (defBlock[v] !== b || term) own[v] = 1;
          else lastUse[v] = Math.max(lastUse[v]!, k);
        }
        for (const t of inst.targets ?? []) for (const v of t.args) own[v] = 1;
      });
    }
  }
  const pool: Record<number, number[]> = { [ValType.i32]: [], [ValType.i64]: [] };
  const valueLocal = (v: Value): number => {
    let l = local[v]!;
    assert(l !== -2, `v${v} used after its last use`);
    if (l < 0) {
      const t = vt(fn.values[v]!.type);
      if (own[v] === 1) l = fresh(t, `v${v}`);
      else l = pool[t]!.pop() ?? fresh(t, `t${all.length}`);
      local[v] = l;
    }
    return l;
  };
  /** Return the pooled locals of values whose last use is instruction `k` of the block. */
  const release = (inst: InstData, k: number): void => {
    const done = (v: Value): void => {
      const l = local[v]!;
      if (own[v] === 0 && l >= 0) { pool[all[l]!]!.push(l); local[v] = -2; }
    };
    for (const v of inst.args) if (lastUse[v] === k && local[v]! >= 0) done(v);
    const r = inst.result;
    if (r !== undefined && lastUse[r] === -1 && local[r]! >= 0) done(r);
  };
  let scratch32 = -1;
  let scratch64 = -1;
  let addr64 = -1;
  let addr32 = -1;
  const scratch = (): Scratch => {
    if (scratch32 < 0) scratch32 = fresh(ValType.i32, 'tmp32');
    if (scratch64 < 0) scratch64 = fresh(ValType.i64, 'tmp64');
    return { i32: scratch32, i64: scratch64 };
  };
  const addrLocal64 = (): number => (addr64 < 0 ? (addr64 = fresh(ValType.i64, 'addr')) : addr64);
  const addrLocal32 = (): number => (addr32 < 0 ? (addr32 = fresh(ValType.i32, 'addr32')) : addr32);

  const blockIndex = new Map<Block, number>();
  fn.layout.forEach((b, i) => blockIndex.set(b, i));

  /**
   * Push the i32 wasm address of `[base + offset, +size)`, checked when
   * `checked`; returns the memarg offset to use.
   */
  const address = (c: Code, inst: InstData, base: Value, size: number, kind: number): number => {
    const off = inst.offset ?? 0;
    if (inst.checked !== false) {
      assert(env.check >= 0, 'checked access without a check function');
      const a = addrLocal64();
      c.localGet(valueLocal(base));
      if (off !== 0) c.i64Const(BigInt(off)).op(W.i64_add);
      c.localTee(a);
      const [lo, hi] = kind === 0 ? [env.readLo, env.readHi] : [env.writeLo, env.writeHi];
      c.globalGet(lo).op(W.i64_ge_u);
      c.localGet(a).globalGet(hi).i64Const(BigInt(size)).op(W.i64_sub).op(W.i64_le_u);
      c.op(W.i32_and).op(W.i32_eqz);
      c.if(BLOCK_VOID);
      c.localGet(a).i32Const(size).i32Const(inst.pc ?? 0).i32Const(kind).call(env.check);
      c.end();
      c.localGet(a).op(W.i32_wrap_i64);
      return 0;
    }
    c.localGet(valueLocal(base));
    if (off < 0) {
      c.i64Const(BigInt(off)).op(W.i64_add).op(W.i32_wrap_i64);
      return 0;
    }
    c.op(W.i32_wrap_i64);
    return off;
  };

  const setPc = (c: Code, inst: InstData): void => {
    if (env.pc >= 0) c.i32Const(inst.pc ?? 0).globalSet(env.pc);
  };

  const callArgs = (c: Code, args: readonly Value[], count: number): void => {
    assert(args.length <= count, `call with ${args.length} arguments, at most ${count}`);
    for (const a of args) c.localGet(valueLocal(a));
    for (let i = args.length; i < count; i++) c.i64Const(0n);
  };

  const fault = (c: Code, pc: number, kind: number, detail = 0n): void => {
    assert(env.fault >= 0, 'fault without the fault import');
    c.i32Const(pc).i64Const(detail).i32Const(kind).call(env.fault).op(W.unreachable);
  };

  const lowerInst = (c: Code, inst: InstData): void => {
    const t = inst.type;
    const i64 = t === 'i64';
    const a = (i: number): number => valueLocal(inst.args[i]!);
    const get = (i: number): void => { c.localGet(a(i)); };
    const binop = (op32: WOp, op64: WOp): void => { get(0); get(1); c.op(i64 ? op64 : op32); };
    switch (inst.op) {
      case 'iconst':
        if (i64) c.i64Const(inst.imm ?? 0n);
        else c.i32Const(Number(BigInt.asIntN(32, inst.imm ?? 0n)));
        break;
      case 'copy': get(0); break;
      case 'add': binop(W.i32_add, W.i64_add); break;
      case 'sub': binop(W.i32_sub, W.i64_sub); break;
      case 'mul': binop(W.i32_mul, W.i64_mul); break;
      case 'and': binop(W.i32_and, W.i64_and); break;
      case 'or': binop(W.i32_or, W.i64_or); break;
      case 'xor': binop(W.i32_xor, W.i64_xor); break;
      // WebAssembly takes shift counts modulo the width (Core §4.3.2), as eBPF masks them.
      case 'shl': binop(W.i32_shl, W.i64_shl); break;
      case 'lshr': binop(W.i32_shr_u, W.i64_shr_u); break;
      case 'ashr': binop(W.i32_shr_s, W.i64_shr_s); break;
      case 'udiv': emitUdiv(c, t, a(0), a(1)); break;
      case 'urem': emitUrem(c, t, a(0), a(1)); break;
      case 'sdiv': emitSdiv(c, t, a(0), a(1)); break;
      case 'srem': emitSrem(c, t, a(0), a(1)); break;
      case 'neg':
        if (i64) c.i64Const(0n); else c.i32Const(0);
        get(0); c.op(i64 ? W.i64_sub : W.i32_sub);
        break;
      case 'bswap16': emitBswap16(c, t, a(0)); break;
      case 'bswap32': emitBswap32(c, t, a(0), scratch()); break;
      case 'bswap64': emitBswap64(c, a(0), scratch()); break;
      case 'sext8': get(0); c.op(i64 ? W.i64_extend8_s : W.i32_extend8_s); break;
      case 'sext16': get(0); c.op(i64 ? W.i64_extend16_s : W.i32_extend16_s); break;
      case 'sext32': get(0); c.op(W.i64_extend32_s); break;
      case 'zext': get(0); c.op(W.i64_extend_i32_u); break;
      case 'sext': get(0); c.op(W.i64_extend_i32_s); break;
      case 'trunc': get(0); c.op(W.i32_wrap_i64); break;
      case 'icmp': {
        const cond = inst.cond!;
        if (cond === 'set') {
          binop(W.i32_and, W.i64_and);
          c.op(i64 ? W.i64_eqz : W.i32_eqz).op(W.i32_eqz);
          break;
        }
        const ops32: Record<string, WOp> = {
          eq: W.i32_eq, ne: W.i32_ne, ugt: W.i32_gt_u, uge: W.i32_ge_u, ult: W.i32_lt_u, ule: W.i32_le_u,
          sgt: W.i32_gt_s, sge: W.i32_ge_s, slt: W.i32_lt_s, sle: W.i32_le_s,
        };
        const ops64: Record<string, WOp> = {
          eq: W.i64_eq, ne: W.i64_ne, ugt: W.i64_gt_u, uge: W.i64_ge_u, ult: W.i64_lt_u, ule: W.i64_le_u,
          sgt: W.i64_gt_s, sge: W.i64_ge_s, slt: W.i64_lt_s, sle: W.i64_le_s,
        };
        binop(ops32[cond]!, ops64[cond]!);
        break;
      }
      case 'load': {
        const kind = inst.mem!;
        const off = address(c, inst, inst.args[0]!, memSize(kind), FaultKind.load);
        c.mem(loadOp(t, kind), off, 0);
        break;
      }
      case 'store': {
        const kind = inst.mem!;
        const off = address(c, inst, inst.args[1]!, memSize(kind), FaultKind.store);
        get(0);
        c.mem(storeOp(t, kind), off, 0);
        break;
      }
      case 'atomic_rmw': {
        const off = address(c, inst, inst.args[0]!, i64 ? 8 : 4, FaultKind.atomic);
        const p = addrLocal32();
        if (off !== 0) c.i32Const(off).op(W.i32_add);
        c.localSet(p);
        emitRmw(c, t, inst.rmw!, p, a(1), valueLocal(inst.result!));
        break;
      }
      case 'atomic_cmpxchg': {
        const off = address(c, inst, inst.args[0]!, i64 ? 8 : 4, FaultKind.atomic);
        const p = addrLocal32();
        if (off !== 0) c.i32Const(off).op(W.i32_add);
        c.localSet(p);
        emitCmpxchg(c, t, p, a(1), a(2), valueLocal(inst.result!));
        break;
      }
      case 'call_helper': {
        const k = lookupMapOf(fn, inst, env.verified);
        if (k !== undefined) {
          // bpf_map_lookup_elem(&map, key): the map's own import, 32-bit key address in and value address out
          c.localGet(valueLocal(inst.args[1]!)).op(W.i32_wrap_i64);
          setPc(c, inst);
          c.call(env.mapLookup(k)).op(W.i64_extend_i32_u);
          c.localSet(valueLocal(inst.result!));
          emitCacheReset(c, env);
          return;
        }
        if (inst.helper === GET_SMP_PROCESSOR_ID && env.cpu >= 0) {
          c.globalGet(env.cpu).op(W.i64_extend_i32_u).localSet(valueLocal(inst.result!));
          return;
        }
        callArgs(c, inst.args, 5);
        setPc(c, inst);
        if (env.fp >= 0 && CALLBACK_HELPERS.has(inst.helper!)) c.localGet(fp).globalSet(env.fp);
        c.call(env.helper(inst.helper!));
        c.localSet(valueLocal(inst.result!));
        if (inst.helper === TAIL_CALL) returnIfTailCall(c, env);
        emitCacheReset(c, env);
        return;
      }
      case 'call_indirect':
        assert(env.callx >= 0, 'callx without its import');
        callArgs(c, inst.args, 6);
        setPc(c, inst);
        c.call(env.callx);
        c.localSet(valueLocal(inst.result!));
        returnIfTailCall(c, env);
        emitCacheReset(c, env);
        return;
      case 'call': {
        // The callee's frame is the 512 bytes below this one (RFC 9669 §4.3.1,
        // the kernel's MAX_CALL_FRAMES = 8 frames in all).
        c.localGet(fp).i64Const(BigInt(STACK_SIZE)).op(W.i64_sub)
          .globalGet(env.stackTop).i64Const(BigInt(STACK_SIZE * MAX_CALL_FRAMES)).op(W.i64_sub)
          .op(W.i64_le_u);
        c.if(BLOCK_VOID);
        fault(c, inst.pc ?? 0, FaultKind.callDepth);
        c.end();
        callArgs(c, inst.args, inst.args.length);
        c.localGet(fp).i64Const(BigInt(STACK_SIZE)).op(W.i64_sub);
        c.call(env.funcIndex(inst.callee!));
        // a tail call in the callee ends this frame too (the callee's result stays below the check)
        returnIfTailCall(c, env);
        break;
      }
      case 'map_addr': c.globalGet(env.mapGlobal(inst.map!)); break;
      case 'map_value_addr':
        c.globalGet(env.mapValueGlobal(inst.map!));
        if ((inst.imm ?? 0n) !== 0n) c.i64Const(inst.imm!).op(W.i64_add);
        break;
      case 'func_addr': c.i64Const(BigInt(env.funcIndex(inst.callee!))); break;
      case 'frame_addr': c.localGet(fp); break;
      case 'ld_pkt':
        assert(env.ldPkt >= 0, 'ld_pkt without its import');
        get(0); get(1);
        c.i32Const(memSize(inst.mem!)).i32Const(inst.pc ?? 0).call(env.ldPkt);
        c.localSet(valueLocal(inst.result!));
        emitCacheReset(c, env);
        return;
      case 'jump': case 'br_if': case 'ret': case 'trap':
        assert(false, `terminator ${inst.op} in the middle of a block`);
        break;
      default:
        unreachable(inst.op, 'IR op');
    }
    if (inst.result !== undefined) c.localSet(valueLocal(inst.result));
  };

  const code = new Code();
  const stats = emitStructured({
    size: fn.layout.length,
    entry: 0,
    successors: (n) => {
      const t = terminatorOf(fn, fn.layout[n]!);
      if (t === undefined) return [];
      return (fn.insts[t]!.targets ?? []).map((call) => {
        const i = blockIndex.get(call.block);
        assert(i !== undefined, `branch to b${call.block}, which is not in the layout`);
        return i;
      });
    },
  }, {
    node(c, n) {
      const b = fn.layout[n]!;
      const insts = fn.blocks[b]!.insts;
      const term = terminatorOf(fn, b);
      assert(term !== undefined, `block b${b} of ${fn.name} has no terminator`);
      insts.forEach((i, k) => {
        if (i === term) return;
        lowerInst(c, fn.insts[i]!);
        release(fn.insts[i]!, k);
      });
      const t = fn.insts[term]!;
      switch (t.op) {
        case 'jump': break;
        case 'br_if': c.localGet(valueLocal(t.args[0]!)); break;
        case 'ret': c.localGet(valueLocal(t.args[0]!)).op(W.return); break;
        case 'trap': fault(c, t.pc ?? 0, FaultKind.trap); break;
        default: assert(false, `bad terminator ${t.op}`);
      }
    },
    edgeIsEmpty(n, index) {
      const t = terminatorOf(fn, fn.layout[n]!)!;
      const target = fn.insts[t]!.targets![index]!;
      const params = fn.blocks[target.block]!.params;
      return target.args.every((arg, i) => arg === params[i]);
    },
    edge(c, n, index) {
      const t = terminatorOf(fn, fn.layout[n]!)!;
      const target = fn.insts[t]!.targets![index]!;
      const params = fn.blocks[target.block]!.params;
      assert(params.length === target.args.length, `b${target.block}: ${target.args.length} arguments for ${params.length} parameters`);
      const moves: [number, number][] = [];
      target.args.forEach((arg, i) => {
        const from = valueLocal(arg);
        const to = valueLocal(params[i]!);
        if (from !== to) moves.push([from, to]);
      });
      // A parallel copy: read every source, then write the destinations.
      for (const [from] of moves) c.localGet(from);
      for (let i = moves.length - 1; i >= 0; i--) c.localSet(moves[i]![1]);
    },
    i32Local: () => fresh(ValType.i32, 'label'),
    ...(env.budget >= 0 ? {
      loopHeader(c: Code, n: number): void {
        // Unverified code may loop forever: every iteration spends one unit of the budget.
        const first = fn.blocks[fn.layout[n]!]!.insts.find((i) => fn.insts[i]!.pc !== undefined);
        const pc = first !== undefined ? fn.insts[first]!.pc! : fn.pc ?? 0;
        c.globalGet(env.budget).op(W.i64_eqz);
        c.if(BLOCK_VOID);
        fault(c, pc, FaultKind.budget, BigInt(env.budgetValue));
        c.end();
        c.globalGet(env.budget).i64Const(1n).op(W.i64_sub).globalSet(env.budget);
      },
    } : {}),
  }, code);
  return { params: all.slice(0, fp + 1), locals: all.slice(fp + 1), code, localNames, stats };
}
