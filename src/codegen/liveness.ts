/**
 * @file Liveness over SSA with block parameters, and the linear numbering of
 * instruction positions the register allocator's intervals use.
 *
 * Data flow (Appel, "Modern Compiler Implementation", §10.1; block
 * parameters as Cranelift's): a branch's arguments are uses in the branching
 * block, a block's parameters are defined at its start, so
 *
 * ```
 *   liveOut(b) = ∪ liveIn(s) over successors s
 *   liveIn(b)  = uses(b) ∪ (liveOut(b) − defs(b)) − params(b)
 * ```
 *
 * iterated to a fixed point in reverse layout order.
 *
 * Positions: blocks are numbered in layout order; block b starts at
 * `blockStart(b)` (where its parameters are defined), its k-th instruction is
 * at `blockStart(b) + 2(k + 1)` and the block ends at
 * `blockStart(b) + 2(n + 1)` for n instructions.
 */

import { OPS } from '../ir/ops.js';
import { successors, usesOf, type Func } from '../ir/func.js';
import type { Block, Inst, Value } from '../ir/types.js';

/** Liveness and positions of one function. */
export interface Liveness {
  /** Values live on entry to each block of the layout (its parameters excluded). */
  readonly liveIn: ReadonlyMap<Block, ReadonlySet<Value>>;
  /** Values live on exit from each block of the layout. */
  readonly liveOut: ReadonlyMap<Block, ReadonlySet<Value>>;
  /** Position of each block's start. */
  readonly blockStart: ReadonlyMap<Block, number>;
  /** Position of each block's end (after its terminator). */
  readonly blockEnd: ReadonlyMap<Block, number>;
  /** Position of each live instruction. */
  readonly instPos: ReadonlyMap<Inst, number>;
}

/** Compute liveness and positions. */
export function liveness(fn: Func): Liveness {
  const blockStart = new Map<Block, number>();
  const blockEnd = new Map<Block, number>();
  const instPos = new Map<Inst, number>();
  let pos = 0;
  for (const b of fn.layout) {
    blockStart.set(b, pos);
    const insts = fn.blocks[b]!.insts;
    insts.forEach((i, k) => instPos.set(i, pos + 2 * (k + 1)));
    pos += 2 * (insts.length + 1);
    blockEnd.set(b, pos);
    pos += 2;
  }
  // Per-block upward-exposed uses and definitions.
  const gen = new Map<Block, Set<Value>>();
  const kill = new Map<Block, Set<Value>>();
  for (const b of fn.layout) {
    const g = new Set<Value>();
    const k = new Set<Value>(fn.blocks[b]!.params);
    for (const i of fn.blocks[b]!.insts) {
      const data = fn.insts[i]!;
      for (const u of usesOf(data)) if (!k.has(u)) g.add(u);
      if (data.result !== undefined) k.add(data.result);
    }
    gen.set(b, g);
    kill.set(b, k);
  }
  const liveIn = new Map<Block, Set<Value>>();
  const liveOut = new Map<Block, Set<Value>>();
  for (const b of fn.layout) { liveIn.set(b, new Set(gen.get(b))); liveOut.set(b, new Set()); }
  for (let changed = true; changed;) {
    changed = false;
    for (let n = fn.layout.length - 1; n >= 0; n--) {
      const b = fn.layout[n]!;
      const out = liveOut.get(b)!;
      for (const s of successors(fn, b)) {
        for (const v of liveIn.get(s) ?? []) if (!out.has(v)) { out.add(v); changed = true; }
      }
      const inn = liveIn.get(b)!;
      const k = kill.get(b)!;
      for (const v of out) if (!k.has(v) && !inn.has(v)) { inn.add(v); changed = true; }
    }
  }
  return { liveIn, liveOut, blockStart, blockEnd, instPos };
}

/** Whether an instruction is a call of any kind (clobbers the caller-saved registers). */
export function isCall(fn: Func, inst: Inst): boolean {
  const f = OPS[fn.insts[inst]!.op].format;
  return f === 'call' || f === 'call_helper' || f === 'call_indirect';
}
