/**
 * @file Reverse postorder and the dominator tree of a function's CFG, by the
 * iterative algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast Dominance
 * Algorithm", 2001). Only blocks reachable from the entry take part.
 */

import { entryBlock, successors, type Func } from './func.js';
import type { Block } from './types.js';

/** The dominator tree and block order of a function. */
export interface DomTree {
  /** Reachable blocks in reverse postorder (entry first). */
  readonly rpo: readonly Block[];
  /** Position of each reachable block in `rpo`. */
  readonly rpoIndex: ReadonlyMap<Block, number>;
  /** Immediate dominator of each reachable block (the entry maps to itself). */
  readonly idom: ReadonlyMap<Block, Block>;
  /** Children of each block in the dominator tree, in reverse postorder. */
  readonly children: ReadonlyMap<Block, readonly Block[]>;
}

/** Reachable blocks in reverse postorder. */
export function reversePostorder(fn: Func): Block[] {
  const seen = new Set<Block>();
  const post: Block[] = [];
  const entry = entryBlock(fn);
  // Iterative DFS: each stack frame is a block and the index of its next successor.
  const stack: [Block, Block[], number][] = [[entry, successors(fn, entry), 0]];
  seen.add(entry);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [b, succs, i] = top;
    if (i < succs.length) {
      top[2] = i + 1;
      const s = succs[i]!;
      if (!seen.has(s)) {
        seen.add(s);
        stack.push([s, successors(fn, s), 0]);
      }
    } else {
      post.push(b);
      stack.pop();
    }
  }
  return post.reverse();
}

/** Compute the dominator tree. */
export function dominators(fn: Func): DomTree {
  const rpo = reversePostorder(fn);
  const rpoIndex = new Map<Block, number>();
  rpo.forEach((b, i) => rpoIndex.set(b, i));
  const preds = new Map<Block, Block[]>();
  for (const b of rpo) preds.set(b, []);
  for (const b of rpo) for (const s of successors(fn, b)) preds.get(s)!.push(b);
  const idom = new Map<Block, Block>();
  const entry = rpo[0]!;
  idom.set(entry, entry);
  const intersect = (a: Block, b: Block): Block => {
    let x = a;
    let y = b;
    while (x !== y) {
      while (rpoIndex.get(x)! > rpoIndex.get(y)!) x = idom.get(x)!;
      while (rpoIndex.get(y)! > rpoIndex.get(x)!) y = idom.get(y)!;
    }
    return x;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = 1; i < rpo.length; i++) {
      const b = rpo[i]!;
      let next: Block | undefined;
      for (const p of preds.get(b)!) {
        if (!idom.has(p)) continue;
        next = next === undefined ? p : intersect(p, next);
      }
      if (next !== undefined && idom.get(b) !== next) {
        idom.set(b, next);
        changed = true;
      }
    }
  }
  const children = new Map<Block, Block[]>();
  for (const b of rpo) children.set(b, []);
  for (const b of rpo) if (b !== entry) children.get(idom.get(b)!)!.push(b);
  return { rpo, rpoIndex, idom, children };
}

/** Whether block `a` dominates block `b` (both reachable). */
export function dominates(tree: DomTree, a: Block, b: Block): boolean {
  let x = b;
  for (;;) {
    if (x === a) return true;
    const up = tree.idom.get(x);
    if (up === undefined || up === x) return false;
    x = up;
  }
}
