/**
 * @file Dead code elimination (mark and sweep over values, as Cranelift's
 * `dce` and the "aggressive" DCE of Cytron et al.): an instruction is live
 * when it has a side effect, is a terminator, can fault on a checked access,
 * or produces a value a live instruction uses. A block parameter is live only
 * when something live uses it; branch arguments are uses only of live
 * parameters, so dead loop-carried values (a parameter feeding only itself)
 * go away too. Dead instructions and parameters are removed.
 *
 * Checked loads stay even when unused: under `--no-verify` a faulting load
 * must still fault. Unchecked ones (proven safe) are removed.
 */

import { dropResult, incomingCalls, removeBlockParams, type Func, type InstData } from '../ir/func.js';
import { OPS } from '../ir/ops.js';
import type { Value } from '../ir/types.js';

function isRoot(inst: InstData): boolean {
  const row = OPS[inst.op];
  return row.sideEffect || row.terminator || (row.trap && inst.checked !== false);
}

/** Remove dead instructions and block parameters. */
export function eliminateDeadCode(fn: Func): void {
  const live = new Set<Value>();
  const work: Value[] = [];
  const mark = (v: Value): void => { if (!live.has(v)) { live.add(v); work.push(v); } };
  const incoming = incomingCalls(fn);
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      const inst = fn.insts[i]!;
      if (isRoot(inst)) for (const a of inst.args) mark(a);
    }
  }
  // The entry block's parameters are the function's signature: always kept.
  for (const p of fn.blocks[fn.layout[0]!]!.params) mark(p);
  while (work.length > 0) {
    const v = work.pop()!;
    const d = fn.values[v]!.def;
    if (d.kind === 'inst') {
      for (const a of fn.insts[d.inst]!.args) mark(a);
    } else if (d.kind === 'param') {
      for (const c of incoming.get(d.block) ?? []) {
        const a = c.args[d.index];
        if (a !== undefined) mark(a);
      }
    }
  }
  for (const b of fn.layout) {
    const data = fn.blocks[b]!;
    data.insts = data.insts.filter((i) => {
      const inst = fn.insts[i]!;
      if (isRoot(inst) || (inst.result !== undefined && live.has(inst.result))) return true;
      dropResult(fn, i);
      return false;
    });
    if (b === fn.layout[0]) continue;
    const dead = new Set<number>();
    data.params.forEach((p, i) => { if (!live.has(p)) dead.add(i); });
    removeBlockParams(fn, b, dead, incoming.get(b) ?? []);
  }
}
