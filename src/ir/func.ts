/**
 * @file Functions and modules: the per-function tables of the SSA IR.
 *
 * A `Func` holds three tables indexed by branded integers:
 *
 * ```
 *   values[v]  type + definition (the instruction that produces it, or
 *              the block whose parameter it is)
 *   insts[i]   op, controlling type, operands, result, op-specific fields
 *   blocks[b]  parameters (values) + instructions in order
 * ```
 *
 * and the *layout*, `layout`: the blocks in order, the entry first. The data
 * flow (values, operands, branch targets) is separate from the layout, so a
 * pass may reorder blocks without touching instructions. Instructions are
 * ordered inside their block by `blocks[b].insts`; an instruction not listed
 * in a block of the layout is dead and ignored by everyone.
 *
 * SSA merges use *block parameters* (as Cranelift and MLIR), not phi
 * instructions: a branch passes arguments to its target's parameters. This is
 * what both WebAssembly (locals assigned on the edge) and a register allocator
 * (parallel moves on the edge) want. The entry block's parameters are the
 * function's parameters.
 *
 * Every function returns one `i64` (r0). The program's entry function takes
 * `i64` parameters r1.. (one, the context address, unless the lifter was asked
 * for more); a bpf-to-bpf subprogram takes five (r1..r5).
 */

import { assert } from '../diag/errors.js';
import { OPS, type Opcode } from './ops.js';
import {
  asBlock, asInst, asValue,
  type Block, type Cond, type FuncRef, type Inst, type MemKind, type RmwOp, type Type, type Value,
} from './types.js';

/** Where a value comes from. `none` marks a table slot that holds no value (left by the parser or a pass). */
export type ValueDef =
  | { readonly kind: 'inst'; readonly inst: Inst }
  | { readonly kind: 'param'; readonly block: Block; readonly index: number }
  | { readonly kind: 'none' };

/** One row of the value table. */
export interface ValueData {
  type: Type;
  def: ValueDef;
}

/** A branch target with the arguments passed to the block's parameters. */
export interface BlockCall {
  block: Block;
  args: Value[];
}

/**
 * One row of the instruction table. Which optional fields are set depends on
 * the op's format (see `ops.ts` and `docs/ir.md`).
 */
export interface InstData {
  op: Opcode;
  /** The controlling type (see the op table's `T`). */
  type: Type;
  /** Value operands, in the order of the op table's `args`. */
  args: Value[];
  /** The result, for ops that have one. */
  result?: Value;
  /** `iconst`: the constant (unsigned, below 2^bits); `map_value_addr`: the byte offset. */
  imm?: bigint;
  /** `icmp`: the condition. */
  cond?: Cond;
  /** `load`, `store`, `ld_pkt`: size and extension of the access. */
  mem?: MemKind;
  /** `load`, `store`, `atomic_*`: constant byte offset added to the address operand. */
  offset?: number;
  /**
   * `load`, `store`, `atomic_*`: whether the access must be checked against the
   * memory regions at run time. Cleared only when verifier facts, or a
   * dominating checked access covering it, prove it safe.
   */
  checked?: boolean;
  /** `atomic_rmw`: the operation. */
  rmw?: RmwOp;
  /** `call_helper`: the helper id. */
  helper?: number;
  /** `call`, `func_addr`: the function. */
  callee?: FuncRef;
  /** `map_addr`, `map_value_addr`: the map index (the lddw immediate after relocation). */
  map?: number;
  /** `jump` (1), `br_if` (2: taken, not taken). */
  targets?: BlockCall[];
  /** The eBPF instruction this came from (slot index), for fault messages. */
  pc?: number;
}

/** One row of the block table. */
export interface BlockData {
  params: Value[];
  insts: Inst[];
}

/** A function in SSA form. */
export interface Func {
  /** Name: the program or subprogram symbol, or `f<pc>` when unknown. */
  name: string;
  /** First eBPF instruction (slot index) of the function, when lifted. */
  pc?: number;
  values: ValueData[];
  insts: InstData[];
  blocks: BlockData[];
  /** Blocks in order; `layout[0]` is the entry. Blocks not listed are dead. */
  layout: Block[];
}

/** What the lifter found that the module needs from its host. */
export interface Module {
  /** Functions; `FuncRef` indexes this array. */
  funcs: Func[];
  /** The program's entry function. */
  entry: FuncRef;
  /** Helper ids the program calls (sorted, unique). */
  helpers: number[];
  /** Map indices the program refers to through `lddw` (sorted, unique). */
  maps: number[];
}

/** An empty function. */
export function createFunc(name: string, pc?: number): Func {
  const fn: Func = { name, values: [], insts: [], blocks: [], layout: [] };
  if (pc !== undefined) fn.pc = pc;
  return fn;
}

/** Add a block (not yet in the layout). */
export function newBlock(fn: Func): Block {
  fn.blocks.push({ params: [], insts: [] });
  return asBlock(fn.blocks.length - 1);
}

/** Add a block and append it to the layout. */
export function appendBlock(fn: Func): Block {
  const b = newBlock(fn);
  fn.layout.push(b);
  return b;
}

/** Add a parameter of `type` to a block, returning its value. */
export function addParam(fn: Func, block: Block, type: Type): Value {
  const data = fn.blocks[block]!;
  const v = asValue(fn.values.length);
  fn.values.push({ type, def: { kind: 'param', block, index: data.params.length } });
  data.params.push(v);
  return v;
}

/** The type an instruction's result has, from its op row. */
export function resultType(inst: InstData): Type | undefined {
  const rule = OPS[inst.op].result;
  if (rule === 'none') return undefined;
  return rule === 'T' ? inst.type : rule;
}

/**
 * Create an instruction (not yet placed in a block), with a fresh result value
 * when its op has one. Returns the instruction.
 */
export function createInst(fn: Func, data: Omit<InstData, 'result'>): Inst {
  const inst = asInst(fn.insts.length);
  const row: InstData = { ...data, args: [...data.args] };
  const type = resultType(row);
  if (type !== undefined) {
    row.result = asValue(fn.values.length);
    fn.values.push({ type, def: { kind: 'inst', inst } });
  }
  fn.insts.push(row);
  return inst;
}

/** Create an instruction and append it to a block. */
export function appendInst(fn: Func, block: Block, data: Omit<InstData, 'result'>): Inst {
  const inst = createInst(fn, data);
  fn.blocks[block]!.insts.push(inst);
  return inst;
}

/** The result of an instruction; asserts there is one. */
export function resultOf(fn: Func, inst: Inst): Value {
  const v = fn.insts[inst]!.result;
  assert(v !== undefined, `instruction ${inst} (${fn.insts[inst]!.op}) has no result`);
  return v;
}

/** The entry block. */
export function entryBlock(fn: Func): Block {
  assert(fn.layout.length > 0, `function ${fn.name} has no blocks`);
  return fn.layout[0]!;
}

/** The terminator of a block, if its last instruction is one. */
export function terminatorOf(fn: Func, block: Block): Inst | undefined {
  const insts = fn.blocks[block]!.insts;
  const last = insts[insts.length - 1];
  return last !== undefined && OPS[fn.insts[last]!.op].terminator ? last : undefined;
}

/** The successor blocks of a block, in branch order (may repeat). */
export function successors(fn: Func, block: Block): Block[] {
  const t = terminatorOf(fn, block);
  if (t === undefined) return [];
  return (fn.insts[t]!.targets ?? []).map((c) => c.block);
}

/** Every value an instruction reads: its operands, then its branch arguments. */
export function usesOf(inst: InstData): Value[] {
  const out = [...inst.args];
  for (const c of inst.targets ?? []) out.push(...c.args);
  return out;
}

/** Rewrite every value an instruction reads through `f`. */
export function mapUses(inst: InstData, f: (v: Value) => Value): void {
  for (let i = 0; i < inst.args.length; i++) inst.args[i] = f(inst.args[i]!);
  for (const c of inst.targets ?? []) {
    for (let i = 0; i < c.args.length; i++) c.args[i] = f(c.args[i]!);
  }
}

/**
 * Replace uses of values throughout the function: `subst` maps a value to its
 * replacement, and chains (`a → b → c`) are followed.
 */
export function replaceUses(fn: Func, subst: ReadonlyMap<Value, Value>): void {
  if (subst.size === 0) return;
  const resolve = (v: Value): Value => {
    let r = v;
    for (let n = 0; n <= subst.size; n++) {
      const next = subst.get(r);
      if (next === undefined) return r;
      r = next;
    }
    assert(false, `cyclic value substitution at v${v}`);
  };
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) mapUses(fn.insts[i]!, resolve);
  }
}

/** Predecessor lists of the blocks in the layout (a block appears once per edge). */
export function predecessors(fn: Func): Map<Block, Block[]> {
  const preds = new Map<Block, Block[]>();
  for (const b of fn.layout) preds.set(b, []);
  for (const b of fn.layout) {
    for (const s of successors(fn, b)) preds.get(s)?.push(b);
  }
  return preds;
}

/** Every branch target (block call) that enters each block of the layout, from live terminators. */
export function incomingCalls(fn: Func): Map<Block, BlockCall[]> {
  const incoming = new Map<Block, BlockCall[]>();
  for (const b of fn.layout) incoming.set(b, []);
  for (const b of fn.layout) {
    const t = terminatorOf(fn, b);
    if (t === undefined) continue;
    for (const c of fn.insts[t]!.targets ?? []) incoming.get(c.block)?.push(c);
  }
  return incoming;
}

/**
 * Remove the parameters at `indices` from a block and the matching arguments
 * from `calls` (all the calls that enter it). The removed values must have no
 * uses left (or be replaced afterwards).
 */
export function removeBlockParams(fn: Func, block: Block, indices: ReadonlySet<number>, calls: readonly BlockCall[]): void {
  if (indices.size === 0) return;
  const data = fn.blocks[block]!;
  const keep = (_: unknown, i: number): boolean => !indices.has(i);
  for (const p of data.params.filter((_, i) => indices.has(i))) fn.values[p]!.def = { kind: 'none' };
  data.params = data.params.filter(keep);
  data.params.forEach((p, i) => { fn.values[p]!.def = { kind: 'param', block, index: i }; });
  for (const c of calls) c.args = c.args.filter(keep);
}

/** Insert an instruction at position `index` of a block (creating its result). */
export function insertInst(fn: Func, block: Block, index: number, data: Omit<InstData, 'result'>): Inst {
  const inst = createInst(fn, data);
  fn.blocks[block]!.insts.splice(index, 0, inst);
  return inst;
}

/** Mark an instruction's result as gone (after the instruction was taken out of its block). */
export function dropResult(fn: Func, inst: Inst): void {
  const r = fn.insts[inst]!.result;
  if (r !== undefined) fn.values[r]!.def = { kind: 'none' };
}

/** The map a value names when it is a constant map reference (`map_addr`, through copies). */
export function constantMapOf(fn: Func, v: Value): number | undefined {
  for (;;) {
    const d = fn.values[v]!.def;
    if (d.kind !== 'inst') return undefined;
    const inst = fn.insts[d.inst]!;
    if (inst.op === 'copy') { v = inst.args[0]!; continue; }
    return inst.op === 'map_addr' ? inst.map : undefined;
  }
}
