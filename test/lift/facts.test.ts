/**
 * @file Verifier facts reach the IR: an access the verifier proved in bounds
 * is lifted unchecked, every other access stays checked, and without facts
 * everything not in the frame is checked.
 */

import t from 'tap';
import type { InsnFacts, ProgramFacts } from '../../src/abi/facts.js';
import { checkModule } from '../../src/ir/check.js';
import { assemble } from '../../src/isa/asm.js';
import { lift } from '../../src/lift/lift.js';

const source = `ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
stxw [%r1+8], %r3
lock add [%r1+16], %r2
mov %r0, %r2
exit`;

function checkedByPc(facts?: ProgramFacts): Map<number, boolean> {
  const { insns } = assemble(source);
  const { module, diagnostics } = lift(insns, facts === undefined ? {} : { facts });
  t.same(diagnostics, []);
  t.same(checkModule(module!), []);
  const out = new Map<number, boolean>();
  for (const fn of module!.funcs) {
    for (const inst of fn.insts) if (inst.checked !== undefined) out.set(inst.pc!, inst.checked);
  }
  return out;
}

t.test('without facts every access is checked', async (t) => {
  t.same([...checkedByPc().entries()], [[0, true], [1, true], [2, true], [3, true]]);
});

t.test('accesses proven in bounds are unchecked', async (t) => {
  const proven: InsnFacts = { regs: [], access: { region: 'ctx', inBounds: true } };
  const unproven: InsnFacts = { regs: [], access: { region: 'mixed', inBounds: false } };
  const facts: ProgramFacts = { insns: [proven, unproven, proven, undefined, undefined, undefined] };
  t.same([...checkedByPc(facts).entries()], [[0, false], [1, true], [2, false], [3, true]]);
});
