/**
 * @file Interpreter speed on a loop program, in CPU nanoseconds per executed
 * instruction (printed as a comment; CPU time, so a busy machine skews it
 * less than wall time). Asserts only that both engines compute the same.
 */
import t from 'tap';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { prepare, run, runFast, type Program, type RunResult } from '../../src/interp/index.js';
import { assemble } from '../../src/isa/asm.js';

const LOOP = `
mov %r0, 0
mov %r1, 200000
loop:
add %r0, %r1
xor %r0, 0x55
stxdw [%r10-8], %r0
ldxdw %r2, [%r10-8]
rsh %r2, 3
sub %r1, 1
jne %r1, 0, loop
exit`;

function measure(fn: (p: Program, o: { memory: LinearMemory }) => RunResult, p: Program): { ns: number; result: RunResult } {
  const memory = new LinearMemory();
  let best = Infinity;
  let result: RunResult | undefined;
  for (let i = 0; i < 4; i++) {
    const c0 = process.cpuUsage();
    result = fn(p, { memory });
    const cu = process.cpuUsage(c0);
    best = Math.min(best, ((cu.user + cu.system) * 1000) / result.insnCount);
  }
  return { ns: best, result: result! };
}

t.test('loop program: ns per instruction', async (t) => {
  const { insns, diagnostics } = assemble(LOOP);
  t.same(diagnostics, []);
  const p = prepare(insns);
  const ref = measure(run, p);
  const fast = measure(runFast, p);
  t.same(fast.result, ref.result, 'same r0 and instruction count');
  t.equal(ref.result.insnCount, 2 + 7 * 200000 + 1);
  t.comment(`reference (BigInt): ${ref.ns.toFixed(1)} ns/insn; fast (32-bit halves): ${fast.ns.toFixed(1)} ns/insn`);
});
