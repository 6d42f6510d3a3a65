/**
 * @file Remainders spelled out as `a - (a / b) * b` become one remainder
 * instruction. Clang's BPF backend expands `a % b` that way (a division, a
 * multiplication and a subtraction), and a target with a remainder
 * instruction — WebAssembly's `i64.rem_u`, x86's `div` leaving it in `rdx` —
 * then divides once and keeps the product off the critical path.
 *
 * ```
 *   q = udiv a, b;  p = mul q, b;  r = sub a, p    →    r = urem a, b
 *   q = sdiv a, b;  p = mul b, q;  r = sub a, p    →    r = srem a, b
 * ```
 *
 * Exact under eBPF's rules in every case: for b = 0 the division gives 0,
 * so the subtraction gives a, which is what the remainder by 0 gives; for
 * a signed MIN / -1 the division wraps to MIN, MIN × -1 wraps to MIN, and
 * the subtraction gives 0, the remainder's result. The division stays for
 * other users; dead-code elimination drops it when there are none.
 */

import type { Func, InstData } from '../ir/func.js';
import type { Value } from '../ir/types.js';

const REMAINDER = { udiv: 'urem', sdiv: 'srem' } as const;

/** The instruction defining `v`, if an instruction does. */
function defOf(fn: Func, v: Value): InstData | undefined {
  const d = fn.values[v]?.def;
  return d?.kind === 'inst' ? fn.insts[d.inst] : undefined;
}

/** Turn `a - (a / b) * b` into `a % b`. */
export function combineRemainders(fn: Func): void {
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      const sub = fn.insts[i]!;
      if (sub.op !== 'sub') continue;
      const [a, p] = sub.args as [Value, Value];
      const mul = defOf(fn, p);
      if (mul?.op !== 'mul' || mul.type !== sub.type) continue;
      // the product's operands in either order: the quotient and the divisor
      for (const [qv, divisor] of [[mul.args[0]!, mul.args[1]!], [mul.args[1]!, mul.args[0]!]] as const) {
        const q = defOf(fn, qv);
        if ((q?.op !== 'udiv' && q?.op !== 'sdiv') || q.type !== sub.type) continue;
        if (q.args[0] !== a || q.args[1] !== divisor) continue;
        sub.op = REMAINDER[q.op];
        sub.args = [a, divisor];
        break;
      }
    }
  }
}
