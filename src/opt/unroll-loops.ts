/**
 * @file Loop unrolling for small innermost loops, with counted exits folded.
 *
 * A natural loop (a header that dominates the sources of its back edges) that
 * holds no other loop, no call and at most `MAX_BODY` instructions is copied
 * `k - 1` times (`k` = the context's `unroll`, lowered so the copies hold at
 * most `MAX_UNROLLED` instructions). Copy `j`'s back edges go to copy `j + 1`'s
 * header, the last copy's to the original header; every exit is kept, so the
 * unrolled loop runs exactly the iterations the loop ran, `k` per trip round
 * the header. This is always correct; what it buys is one back edge per `k`
 * iterations, and a back edge is where V8 checks its stack guard (a load, a
 * compare and a branch on every iteration of a WebAssembly loop).
 *
 * **Counted exits.** When a header parameter `p` is an induction variable —
 * the same constant `c0` on every entry, `p + s` or `p - s` (constant `s`) on
 * the one back edge — an exit test `x == C` (or a `!=` that stays in the loop) on `x` =
 * `p`, `p + s`, or the low 32 bits of either, in a block that dominates the
 * back edge, fires for the first time at iteration `q = (C - c0) / s` (or
 * `q - 1` for `p + s`) when that is a whole number and the values between
 * `c0` and `C` cannot wrap. Iteration `n` runs in copy `n mod k`, so the test
 * is kept in copy `q mod k` only; the other copies' branches become jumps.
 * The loop `for (i = 0; i < 1800; i++)` then tests its counter once per `k`
 * iterations, as it would after a compiler's unrolling by the trip count.
 *
 * **SSA repair.** A value defined in the loop and used after it now has `k`
 * definitions, one per copy. Its uses outside the loop are rewritten to the
 * value that reaches them, adding block parameters where copies' paths merge
 * (the on-demand construction of Braun et al., CC 2013, as LLVM's
 * `SSAUpdater`).
 */

import { assert } from '../diag/errors.js';
import { dominates, dominators, reversePostorder, type DomTree } from '../ir/dominators.js';
import {
  addParam, newBlock, predecessors, successors, terminatorOf, type BlockCall, type Func, type InstData,
} from '../ir/func.js';
import { asInst, asValue, type Block, type Inst, type Value } from '../ir/types.js';
import { removeTrivialParams } from '../ir/trivial-params.js';
import type { PassContext } from './context.js';

/** Largest loop (instructions over its blocks) that is unrolled. */
export const MAX_BODY = 40;
/** Largest unrolled loop: the factor is lowered to stay within it. */
export const MAX_UNROLLED = 160;

/** Unroll small innermost loops by the context's factor (see the file comment). */
export function unrollLoops(fn: Func, ctx: PassContext): void {
  const factor = ctx.unroll ?? 0;
  if (factor < 2) return;
  const done = new Set<Block>();
  let unrolled = false;
  // Unrolling changes the CFG: find the loops again after each one.
  for (;;) {
    const dom = dominators(fn);
    const loop = innermostLoops(fn, dom).find((l) => !done.has(l.header));
    if (loop === undefined) break;
    done.add(loop.header);
    const size = loop.body.reduce((n, b) => n + fn.blocks[b]!.insts.length, 0);
    const k = Math.min(factor, Math.floor(MAX_UNROLLED / Math.max(size, 1)));
    if (size > MAX_BODY || k < 2 || !unrollable(fn, loop)) continue;
    unroll(fn, loop, k, dom);
    unrolled = true;
  }
  // The repair threads a value through later loops as parameters that pass it along unchanged.
  if (unrolled) removeTrivialParams(fn);
}

/** A natural loop: its header, the sources of its back edges, and its blocks in reverse postorder (header first). */
interface Loop {
  readonly header: Block;
  readonly latches: readonly Block[];
  readonly body: readonly Block[];
}

/** Natural loops that contain no other loop's header. */
function innermostLoops(fn: Func, dom: DomTree): Loop[] {
  const latches = new Map<Block, Block[]>();
  for (const b of dom.rpo) {
    for (const s of successors(fn, b)) {
      if (dominates(dom, s, b)) {
        const list = latches.get(s) ?? [];
        if (!list.includes(b)) list.push(b);
        latches.set(s, list);
      }
    }
  }
  const preds = predecessors(fn);
  const loops: Loop[] = [];
  for (const [header, ls] of latches) {
    // The body: blocks that reach a latch without passing the header.
    const inBody = new Set<Block>([header]);
    const work = ls.filter((l) => l !== header);
    for (const l of work) inBody.add(l);
    while (work.length > 0) {
      const b = work.pop()!;
      for (const p of preds.get(b) ?? []) {
        if (!inBody.has(p) && dom.rpoIndex.has(p)) { inBody.add(p); work.push(p); }
      }
    }
    const body = dom.rpo.filter((b) => inBody.has(b));
    // Innermost: no other header inside, and no retreating edge but those to the header.
    const nested = body.some((b) => b !== header && latches.has(b));
    const retreating = body.some((b) => successors(fn, b).some((s) => s !== header && inBody.has(s) && dom.rpoIndex.get(s)! <= dom.rpoIndex.get(b)!));
    if (!nested && !retreating) loops.push({ header, latches: ls, body });
  }
  return loops;
}

/** A loop may be copied: it is not entered at the function's entry and calls nothing. */
function unrollable(fn: Func, loop: Loop): boolean {
  if (loop.header === fn.layout[0]) return false;
  return loop.body.every((b) => fn.blocks[b]!.insts.every((i) => {
    const op = fn.insts[i]!.op;
    return op !== 'call' && op !== 'call_helper' && op !== 'call_indirect';
  }));
}

/** Copy the loop `k - 1` times, fold counted exits, repair SSA for values used after the loop. */
function unroll(fn: Func, loop: Loop, k: number, dom: DomTree): void {
  const inBody = new Set(loop.body);
  // blockMaps[j] / valueMaps[j]: the copy j of each block and value (copy 0 is the loop itself).
  const blockMaps: Map<Block, Block>[] = [new Map(loop.body.map((b) => [b, b]))];
  const valueMaps: Map<Value, Value>[] = [new Map()];
  for (let j = 1; j < k; j++) {
    const bm = new Map<Block, Block>();
    const vm = new Map<Value, Value>();
    for (const b of loop.body) {
      const nb = newBlock(fn);
      fn.layout.push(nb);
      bm.set(b, nb);
      for (const p of fn.blocks[b]!.params) vm.set(p, addParam(fn, nb, fn.values[p]!.type));
    }
    blockMaps.push(bm);
    valueMaps.push(vm);
  }
  const header = loop.header;
  const nextHeader = (j: number): Block => blockMaps[(j + 1) % k]!.get(header)!;
  // Copies 1..k-1, blocks in reverse postorder so every definition is copied before its uses.
  for (let j = 1; j < k; j++) {
    const bm = blockMaps[j]!;
    const vm = valueMaps[j]!;
    const map = (v: Value): Value => vm.get(v) ?? v;
    for (const b of loop.body) {
      const target = fn.blocks[bm.get(b)!]!;
      for (const i of fn.blocks[b]!.insts) {
        const src = fn.insts[i]!;
        const row: InstData = { ...src, args: src.args.map(map) };
        delete row.result;
        if (src.targets !== undefined) {
          row.targets = src.targets.map((c) => ({
            block: c.block === header ? nextHeader(j) : bm.get(c.block) ?? c.block,
            args: c.args.map(map),
          }));
        }
        const ni = asInst(fn.insts.length);
        fn.insts.push(row);
        if (src.result !== undefined) {
          row.result = asValue(fn.values.length);
          fn.values.push({ type: fn.values[src.result]!.type, def: { kind: 'inst', inst: ni } });
          vm.set(src.result, row.result);
        }
        target.insts.push(ni);
      }
    }
  }
  // Copy 0's back edges now enter copy 1.
  for (const b of loop.latches) {
    for (const c of fn.insts[terminatorOf(fn, b)!]!.targets!) if (c.block === header) c.block = nextHeader(0);
  }
  foldCountedExits(fn, loop, k, dom, blockMaps);
  repairUsesAfter(fn, loop, inBody, blockMaps, valueMaps);
}

/** The constant a value holds, if it is an `iconst`. */
function constOf(fn: Func, v: Value): bigint | undefined {
  const d = fn.values[v]!.def;
  if (d.kind !== 'inst') return undefined;
  const inst = fn.insts[d.inst]!;
  return inst.op === 'iconst' ? inst.imm : undefined;
}

/** The instruction defining a value, if any. */
function defOf(fn: Func, v: Value): InstData | undefined {
  const d = fn.values[v]!.def;
  return d.kind === 'inst' ? fn.insts[d.inst] : undefined;
}

const bits = (fn: Func, v: Value): bigint => (fn.values[v]!.type === 'i64' ? 64n : 32n);

/**
 * Fold the exit tests of induction variables in every copy but the one where
 * they can fire (see the file comment).
 */
function foldCountedExits(fn: Func, loop: Loop, k: number, dom: DomTree, blockMaps: Map<Block, Block>[]): void {
  if (loop.latches.length !== 1) return;
  const latch = loop.latches[0]!;
  const header = loop.header;
  const inBody = new Set(loop.body);
  const back = fn.insts[terminatorOf(fn, latch)!]!.targets!.filter((c) => c.block === blockMaps[1]!.get(header));
  if (back.length !== 1) return;
  const entries: BlockCall[] = [];
  for (const b of dom.rpo) {
    if (inBody.has(b)) continue;
    const t = terminatorOf(fn, b);
    for (const c of t === undefined ? [] : fn.insts[t]!.targets ?? []) if (c.block === header) entries.push(c);
  }
  if (entries.length === 0) return;
  // Induction variables: header parameter -> start, step, and the value after the step.
  const ivs = new Map<Value, { start: bigint; step: bigint; next: Value }>();
  fn.blocks[header]!.params.forEach((p, index) => {
    const starts = entries.map((c) => constOf(fn, c.args[index]!));
    const start = starts[0];
    if (start === undefined || starts.some((s) => s !== start)) return;
    const next = back[0]!.args[index]!;
    const update = defOf(fn, next);
    if ((update?.op !== 'add' && update?.op !== 'sub') || update.type !== fn.values[p]!.type) return;
    const [a, b] = update.args as [Value, Value];
    const c = a === p ? constOf(fn, b) : b === p && update.op === 'add' ? constOf(fn, a) : undefined;
    if (c === undefined) return;
    const w = bits(fn, p);
    // The step as a signed number: `sub p, c` steps by -c.
    const step = BigInt.asIntN(Number(w), update.op === 'sub' ? -c : c);
    if (step !== 0n) ivs.set(p, { start, step, next });
  });
  if (ivs.size === 0) return;
  for (const b of loop.body) {
    if (!dominates(dom, b, latch)) continue;
    const t = terminatorOf(fn, b)!;
    const br = fn.insts[t]!;
    if (br.op !== 'br_if') continue;
    const [taken, fallthrough] = br.targets! as [BlockCall, BlockCall];
    const cmp = defOf(fn, br.args[0]!);
    if (cmp?.op !== 'icmp' || (cmp.cond !== 'eq' && cmp.cond !== 'ne')) continue;
    // The exit must be the branch taken when x == C.
    const exitWhenEqual = cmp.cond === 'eq' ? !inBody.has(taken.block) : !inBody.has(fallthrough.block);
    const stay = cmp.cond === 'eq' ? fallthrough : taken;
    if (!exitWhenEqual || !(inBody.has(stay.block) || stay.block === blockMaps[1]!.get(header))) continue;
    const fire = firstFiring(fn, cmp, ivs);
    if (fire === undefined) continue;
    const keep = Number(fire % BigInt(k));
    for (let j = 0; j < k; j++) {
      if (j === keep) continue;
      const copy = fn.insts[fn.blocks[blockMaps[j]!.get(b)!]!.insts.at(-1)!]!;
      const stayCopy = cmp.cond === 'eq' ? copy.targets![1]! : copy.targets![0]!;
      copy.op = 'jump';
      copy.type = 'i64';
      copy.args = [];
      copy.targets = [stayCopy];
    }
  }
}

/**
 * The iteration (from 0) at which `x == C` first holds, for a compare of
 * `x` in {p, p + s, trunc p, trunc (p + s)} with a constant, when the values
 * from the start to C cannot wrap; undefined otherwise.
 */
function firstFiring(fn: Func, cmp: InstData, ivs: ReadonlyMap<Value, { start: bigint; step: bigint; next: Value }>): bigint | undefined {
  const [x0, c0] = cmp.args as [Value, Value];
  let x = x0;
  let limit = constOf(fn, c0);
  if (limit === undefined) { x = c0; limit = constOf(fn, x0); }
  if (limit === undefined) return undefined;
  let width = bits(fn, x);
  const tr = defOf(fn, x);
  if (tr?.op === 'trunc') { x = tr.args[0]!; width = 32n; }
  for (const [p, iv] of ivs) {
    const offset = x === p ? 0n : x === iv.next ? 1n : undefined;
    if (offset === undefined) continue;
    // Every value from the start to the limit lies in [0, 2^width): no wrap, and a truncation changes none.
    if (iv.start >= 1n << width) return undefined;
    const distance = limit - iv.start;
    if (distance % iv.step !== 0n) return undefined;
    const q = distance / iv.step;
    if (q < offset) return undefined;
    return q - offset;
  }
  return undefined;
}

/**
 * Give every use after the loop of a value defined in it the copy that
 * reaches it, adding block parameters where copies' paths merge.
 */
function repairUsesAfter(fn: Func, loop: Loop, inBody: ReadonlySet<Block>, blockMaps: Map<Block, Block>[], valueMaps: Map<Value, Value>[]): void {
  const copies = new Set<Block>();
  for (const bm of blockMaps) for (const b of bm.values()) copies.add(b);
  // Values defined in the loop, with the block of their definition.
  const defBlock = new Map<Value, Block>();
  for (const b of loop.body) {
    for (const p of fn.blocks[b]!.params) defBlock.set(p, b);
    for (const i of fn.blocks[b]!.insts) { const r = fn.insts[i]!.result; if (r !== undefined) defBlock.set(r, b); }
  }
  const outside = fn.layout.filter((b) => !copies.has(b) && !inBody.has(b));
  const escaping = new Set<Value>();
  for (const b of outside) {
    for (const i of fn.blocks[b]!.insts) {
      const inst = fn.insts[i]!;
      for (const v of inst.args) if (defBlock.has(v)) escaping.add(v);
      for (const c of inst.targets ?? []) for (const v of c.args) if (defBlock.has(v)) escaping.add(v);
    }
  }
  if (escaping.size === 0) return;
  // Predecessors among reachable blocks only: the walk must not wander into dead code.
  const reachable = new Set(reversePostorder(fn));
  const preds = new Map<Block, Block[]>();
  for (const [b, ps] of predecessors(fn)) preds.set(b, ps.filter((p) => reachable.has(p)));
  for (const v of escaping) {
    const defs = new Map<Block, Value>();
    blockMaps.forEach((bm, j) => defs.set(bm.get(defBlock.get(v)!)!, j === 0 ? v : valueMaps[j]!.get(v)!));
    const atEnd = reachingAtEnd(fn, preds, defs, fn.values[v]!.type);
    const rewrites: { inst: Inst; value: Value }[] = [];
    for (const b of outside) {
      for (const i of fn.blocks[b]!.insts) {
        const inst = fn.insts[i]!;
        if (inst.args.includes(v) || (inst.targets ?? []).some((c) => c.args.includes(v))) rewrites.push({ inst: i, value: atEnd(b) });
      }
    }
    for (const { inst, value } of rewrites) {
      const row = fn.insts[inst]!;
      row.args = row.args.map((a) => (a === v ? value : a));
      for (const c of row.targets ?? []) c.args = c.args.map((a) => (a === v ? value : a));
    }
  }
}

/** The on-demand SSA construction: the definition of one variable that reaches the end of a block. */
function reachingAtEnd(fn: Func, preds: ReadonlyMap<Block, Block[]>, defs: ReadonlyMap<Block, Value>, type: InstData['type']): (b: Block) => Value {
  const memo = new Map<Block, Value>();
  // A merge: a new parameter, set before the predecessors are asked (loops come back here).
  const merge = (b: Block, ps: readonly Block[]): Value => {
    assert(b !== fn.layout[0], `unroll-loops: a value defined in a loop reaches the entry block of ${fn.name}`);
    const param = addParam(fn, b, type);
    memo.set(b, param);
    for (const p of new Set(ps)) {
      const arg = atEnd(p);
      for (const c of fn.insts[terminatorOf(fn, p)!]!.targets!) if (c.block === b) c.args.push(arg);
    }
    return param;
  };
  const atEnd = (start: Block): Value => {
    // Up a chain of single predecessors without recursion: straight-line code can be long.
    const chain: Block[] = [];
    let b = start;
    let found: Value | undefined;
    while (found === undefined) {
      found = defs.get(b) ?? memo.get(b);
      if (found !== undefined) break;
      const ps = preds.get(b) ?? [];
      if (ps.length === 1 && ps[0] !== b && chain.length <= preds.size) {
        chain.push(b);
        b = ps[0]!;
      } else {
        found = merge(b, ps);
      }
    }
    for (const c of chain) memo.set(c, found);
    return found;
  };
  return atEnd;
}
