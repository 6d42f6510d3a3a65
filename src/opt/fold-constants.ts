/**
 * @file Constant folding and propagation with eBPF semantics.
 *
 * - A pure op whose operands are all constants becomes an `iconst` of its
 *   result, computed by `src/ir/semantics.ts` (the evaluator's own code, so
 *   folding can never disagree with execution: division by zero gives 0,
 *   shifts mask their amount, ...).
 * - Algebraic identities with one constant operand: `x + 0`, `x - 0`, `x | 0`,
 *   `x ^ 0`, `x * 1`, `x & -1`, shifts by 0, `x / 1` give `x`; `x * 0` and
 *   `x & 0` give 0; commutative ops see constants on either side.
 * - Equal constants are shared: a constant dominated by an equal one is
 *   replaced by it (a scoped walk of the dominator tree).
 * - A block parameter that receives the same constant on every edge becomes
 *   that constant.
 * Repeats until nothing changes.
 */

import { dominators } from '../ir/dominators.js';
import {
  dropResult, incomingCalls, insertInst, mapUses, removeBlockParams, replaceUses, type Func, type InstData,
} from '../ir/func.js';
import { OPS } from '../ir/ops.js';
import { evalPure, PURE_OPS, wrap } from '../ir/semantics.js';
import type { Block, Value } from '../ir/types.js';

/** Fold and propagate constants (see the file comment). */
export function foldConstants(fn: Func): void {
  for (let round = 0; round < 8; round++) {
    const a = foldOnce(fn);
    const b = constantParams(fn);
    if (!a && !b) return;
  }
}

function constOf(fn: Func, v: Value): bigint | undefined {
  const d = fn.values[v]!.def;
  if (d.kind !== 'inst') return undefined;
  const inst = fn.insts[d.inst]!;
  return inst.op === 'iconst' ? inst.imm : undefined;
}

/** The value an instruction simplifies to by an identity, if any. */
function identity(fn: Func, inst: InstData): Value | bigint | undefined {
  if (OPS[inst.op].format !== 'binary') return undefined;
  const [x, y] = inst.args as [Value, Value];
  const cx = constOf(fn, x);
  const cy = constOf(fn, y);
  const ones = wrap(inst.type, -1n);
  const commutative = OPS[inst.op].commutative;
  // Normalise: for commutative ops, look at the constant on the right.
  let v = x;
  let c = cy;
  if (c === undefined && commutative && cx !== undefined) { v = y; c = cx; }
  if (c === undefined) return undefined;
  switch (inst.op) {
    case 'add': case 'or': case 'xor': return c === 0n ? v : undefined;
    case 'sub': case 'shl': case 'lshr': case 'ashr': return c === 0n && v === x ? v : undefined;
    case 'mul': return c === 1n ? v : c === 0n ? 0n : undefined;
    case 'and': return c === ones ? v : c === 0n ? 0n : undefined;
    case 'udiv': case 'sdiv': return c === 1n && v === x ? v : undefined;
    default: return undefined;
  }
}

function foldOnce(fn: Func): boolean {
  const tree = dominators(fn);
  const subst = new Map<Value, Value>();
  const resolve = (v: Value): Value => subst.get(v) ?? v;
  let changed = false;
  // Scoped table of constants: key → value, with an undo log per dominator-tree node.
  const table = new Map<string, Value>();
  const enter = (b: Block): string[] => {
    const added: string[] = [];
    const insts = fn.blocks[b]!.insts;
    const keep: typeof insts = [];
    for (const i of insts) {
      const inst = fn.insts[i]!;
      mapUses(inst, resolve);
      if (PURE_OPS.has(inst.op) && inst.op !== 'copy') {
        const args = inst.args.map((a) => constOf(fn, a));
        if (args.every((x) => x !== undefined)) {
          const r = evalPure(inst.op, inst.type, args as bigint[], inst.cond);
          if (r !== undefined) {
            const type = fn.values[inst.result!]!.type;
            inst.op = 'iconst';
            inst.type = type;
            inst.args = [];
            inst.imm = wrap(type, r);
            delete inst.cond;
            changed = true;
          }
        } else {
          const id = identity(fn, inst);
          if (typeof id === 'bigint') {
            inst.op = 'iconst';
            inst.args = [];
            inst.imm = id;
            changed = true;
          } else if (id !== undefined) {
            subst.set(inst.result!, id);
            dropResult(fn, i);
            changed = true;
            continue;
          }
        }
      }
      if (inst.op === 'iconst') {
        const key = `${inst.type}:${inst.imm}`;
        const prev = table.get(key);
        if (prev !== undefined) {
          subst.set(inst.result!, prev);
          dropResult(fn, i);
          changed = true;
          continue;
        }
        table.set(key, inst.result!);
        added.push(key);
      }
      keep.push(i);
    }
    fn.blocks[b]!.insts = keep;
    return added;
  };
  // Pre-order walk of the dominator tree with an explicit stack (trees can be deep).
  const stack: { block: Block; added?: string[]; next: number }[] = [{ block: tree.rpo[0]!, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.added === undefined) top.added = enter(top.block);
    const kids = tree.children.get(top.block) ?? [];
    if (top.next < kids.length) {
      stack.push({ block: kids[top.next++]!, next: 0 });
    } else {
      for (const k of top.added) table.delete(k);
      stack.pop();
    }
  }
  replaceUses(fn, subst);
  return changed;
}

function constantParams(fn: Func): boolean {
  const incoming = incomingCalls(fn);
  const subst = new Map<Value, Value>();
  const constant = (v: Value): bigint | undefined => {
    const r = subst.get(v);
    return constOf(fn, r ?? v);
  };
  for (const b of fn.layout.slice(1)) {
    const params = fn.blocks[b]!.params;
    const calls = incoming.get(b)!;
    if (calls.length === 0) continue;
    const drop = new Set<number>();
    params.forEach((p, i) => {
      let only: bigint | undefined;
      for (const c of calls) {
        const a = c.args[i]!;
        if (a === p) continue;
        const k = constant(a);
        if (k === undefined || (only !== undefined && only !== k)) return;
        only = k;
      }
      if (only === undefined) return;
      const type = fn.values[p]!.type;
      const inst = insertInst(fn, b, 0, { op: 'iconst', type, args: [], imm: only });
      subst.set(p, fn.insts[inst]!.result!);
      drop.add(i);
    });
    if (drop.size > 0) removeBlockParams(fn, b, drop, calls);
  }
  replaceUses(fn, subst);
  return subst.size > 0;
}
