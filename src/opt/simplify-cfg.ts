/**
 * @file CFG simplification:
 * - blocks unreachable from the entry are removed from the layout;
 * - a block whose only predecessor ends in a `jump` to it is merged into
 *   that predecessor (its parameters become the jump's arguments);
 * - an empty block (only a `jump`) whose parameters are used by nothing but
 *   that jump is bypassed: each branch to it goes straight to its target,
 *   with the arguments substituted;
 * - the layout is put in reverse postorder, so every block comes after its
 *   dominator (what structured-control-flow lowering likes best).
 */

import { reversePostorder } from '../ir/dominators.js';
import { incomingCalls, replaceUses, terminatorOf, usesOf, type BlockCall, type Func } from '../ir/func.js';
import type { Block, Value } from '../ir/types.js';

/** Simplify the CFG (see the file comment). */
export function simplifyCfg(fn: Func): void {
  for (let round = 0; round < 100; round++) {
    fn.layout = reversePostorder(fn);
    const changed = bypassEmpty(fn) || mergeChains(fn);
    if (!changed) break;
  }
  fn.layout = reversePostorder(fn);
}

/** Redirect branches to blocks that contain only a `jump`. */
function bypassEmpty(fn: Func): boolean {
  const entry = fn.layout[0]!;
  // How often each value is used: a bypassed block's parameters must be used only by its own jump.
  const uses = new Map<Value, number>();
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) for (const v of usesOf(fn.insts[i]!)) uses.set(v, (uses.get(v) ?? 0) + 1);
  }
  const forward = new Map<Block, { params: Map<Value, number>; next: BlockCall }>();
  for (const b of fn.layout) {
    if (b === entry) continue;
    const data = fn.blocks[b]!;
    if (data.insts.length !== 1) continue;
    const j = fn.insts[data.insts[0]!]!;
    if (j.op !== 'jump' || j.targets![0]!.block === b) continue; // an empty infinite loop stays
    const own = new Map<Value, number>();
    for (const v of j.targets![0]!.args) own.set(v, (own.get(v) ?? 0) + 1);
    if (data.params.some((p) => (uses.get(p) ?? 0) !== (own.get(p) ?? 0))) continue;
    const params = new Map<Value, number>();
    data.params.forEach((p, i) => params.set(p, i));
    forward.set(b, { params, next: j.targets![0]! });
  }
  if (forward.size === 0) return false;
  let changed = false;
  for (const pb of fn.layout) {
    if (forward.has(pb)) continue;
    const t = terminatorOf(fn, pb);
    if (t === undefined) continue;
    const calls = fn.insts[t]!.targets ?? [];
    calls.forEach((c0, k) => {
      let c = c0;
      // Follow chains of empty blocks; a cycle of them is an infinite loop, bounded here.
      for (let hops = 0; hops < forward.size; hops++) {
        const f = forward.get(c.block);
        if (f === undefined) break;
        const args = f.next.args.map((a) => { const i = f.params.get(a); return i === undefined ? a : c.args[i]!; });
        c = { block: f.next.block, args };
      }
      if (c !== c0) { calls[k] = c; changed = true; }
    });
  }
  return changed;
}

/** Merge a block into its single predecessor when that predecessor jumps to it unconditionally. */
function mergeChains(fn: Func): boolean {
  let changed = false;
  const incoming = incomingCalls(fn);
  const subst = new Map<Value, Value>();
  const gone = new Set<Block>();
  for (const a of fn.layout) {
    if (gone.has(a)) continue;
    for (;;) {
      const t = terminatorOf(fn, a);
      if (t === undefined) break;
      const j = fn.insts[t]!;
      if (j.op !== 'jump') break;
      const call = j.targets![0]!;
      const b = call.block;
      if (b === a || b === fn.layout[0] || (incoming.get(b)?.length ?? 0) !== 1) break;
      const bd = fn.blocks[b]!;
      bd.params.forEach((p, i) => { subst.set(p, call.args[i]!); fn.values[p]!.def = { kind: 'none' }; });
      bd.params = [];
      const ad = fn.blocks[a]!;
      ad.insts.pop();
      ad.insts.push(...bd.insts);
      bd.insts = [];
      gone.add(b);
      changed = true;
    }
  }
  // Branch arguments moved with their instructions; the incoming lists hold the same call records.
  fn.layout = fn.layout.filter((b) => !gone.has(b));
  replaceUses(fn, subst);
  return changed;
}
