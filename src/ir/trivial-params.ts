/**
 * @file Minimising block parameters after the lifter gave every join block one
 * parameter per variable (Aycock and Horspool, "Simple Generation of Static
 * Single-Assignment Form", CC 2000, and the trivial-phi rule of Braun et al.,
 * CC 2013): a parameter whose incoming arguments are all one value `x` or
 * the parameter itself is replaced by `x`, repeatedly, until no such
 * parameter is left. Also used by the optimiser after passes that change
 * branch arguments.
 */

import { incomingCalls, removeBlockParams, replaceUses, type Func } from './func.js';
import type { Block, Value } from './types.js';

/** Remove trivial block parameters (never the entry block's). Returns whether anything changed. */
export function removeTrivialParams(fn: Func): boolean {
  const incoming = incomingCalls(fn);
  const subst = new Map<Value, Value>();
  const resolve = (v: Value): Value => {
    let r = v;
    for (let next = subst.get(r); next !== undefined; next = subst.get(r)) r = next;
    return r;
  };
  const removed = new Map<Block, Set<number>>();
  let changed = true;
  let any = false;
  while (changed) {
    changed = false;
    for (const b of fn.layout.slice(1)) {
      const params = fn.blocks[b]!.params;
      const calls = incoming.get(b)!;
      if (calls.length === 0) continue; // unreachable: left for dead-code elimination
      params.forEach((p, i) => {
        if (removed.get(b)?.has(i)) return;
        let only: Value | undefined;
        for (const c of calls) {
          const a = resolve(c.args[i]!);
          if (a === p) continue;
          if (only === undefined) only = a;
          else if (only !== a) return;
        }
        if (only === undefined) return; // only ever receives itself: unreachable loop, leave it
        subst.set(p, only);
        let set = removed.get(b);
        if (set === undefined) { set = new Set(); removed.set(b, set); }
        set.add(i);
        changed = true;
        any = true;
      });
    }
  }
  if (!any) return false;
  for (const [b, idx] of removed) removeBlockParams(fn, b, idx, incoming.get(b)!);
  replaceUses(fn, subst);
  return true;
}
