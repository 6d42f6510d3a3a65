/**
 * @file Branch folding: a `br_if` on a constant becomes a `jump` to the
 * target it always takes, and a `br_if` whose two targets are the same block
 * with the same arguments becomes a `jump`. Blocks that become unreachable
 * are left for `simplifyCfg`.
 */

import { terminatorOf, type Func } from '../ir/func.js';

/** Fold branches whose direction is known. */
export function foldBranches(fn: Func): void {
  for (const b of fn.layout) {
    const t = terminatorOf(fn, b);
    if (t === undefined) continue;
    const inst = fn.insts[t]!;
    if (inst.op !== 'br_if') continue;
    const [taken, fall] = inst.targets as [NonNullable<typeof inst.targets>[0], NonNullable<typeof inst.targets>[0]];
    let target: typeof taken | undefined;
    const d = fn.values[inst.args[0]!]!.def;
    const cond = d.kind === 'inst' && fn.insts[d.inst]!.op === 'iconst' ? fn.insts[d.inst]!.imm : undefined;
    if (cond !== undefined) target = cond !== 0n ? taken : fall;
    else if (taken.block === fall.block && taken.args.length === fall.args.length && taken.args.every((a, i) => a === fall.args[i])) target = taken;
    if (target === undefined) continue;
    inst.op = 'jump';
    inst.type = 'i64';
    inst.args = [];
    inst.targets = [target];
  }
}
