/**
 * @file Copy propagation: every use of `v = copy x` becomes a use of `x`, and
 * block parameters that receive a single value on every edge (copies through
 * a join) are replaced by that value. The copies themselves are left for
 * dead-code elimination.
 */

import { replaceUses, type Func } from '../ir/func.js';
import { removeTrivialParams } from '../ir/trivial-params.js';
import type { Value } from '../ir/types.js';

/** Propagate copies (see the file comment). */
export function propagateCopies(fn: Func): void {
  const subst = new Map<Value, Value>();
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      const inst = fn.insts[i]!;
      if (inst.op === 'copy') subst.set(inst.result!, inst.args[0]!);
    }
  }
  replaceUses(fn, subst);
  removeTrivialParams(fn);
}
