/**
 * @file Differential test of the arm64 backend on random valid eBPF programs
 * (the generator of the wasm backend's test): lift → optimise (-O0 and -O2) →
 * AArch64 (LSE atomics for even cases, LL/SC for odd ones) → emulator must agree with the IR evaluator on r0 (or the fault and
 * its pc) and the input memory. `ARM64_PROG_CASES` and `ARM64_PROG_SEED` set
 * the count and seed for long runs.
 */
import t from 'tap';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { compileArm64 } from '../../src/emit-arm64/compile.js';
import { MACHINE_STACK_SIZE, runArm64 } from '../../src/host/native-backend-arm64.js';
import { evalModule } from '../../src/ir/eval.js';
import type { Module } from '../../src/ir/func.js';
import { printModule } from '../../src/ir/print.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../../src/isa/registers.js';
import { lift } from '../../src/lift/lift.js';
import { runPipeline } from '../../src/opt/pipeline.js';
import { randomProgram, PROG_INPUT_SIZE } from '../emit-wasm/random-prog.js';
import { rng } from '../emit-wasm/random-ir.js';
import { testHelpers } from '../emit-wasm/run-both.js';

interface Setup { memory: LinearMemory; input: { start: number; size: number }; stackTop: number; machineStackTop: number }

function setup(input: Uint8Array): Setup {
  const memory = new LinearMemory();
  const region = memory.map('input', 'input', input.length, true);
  memory.bytes.set(input, region.start);
  const stack = memory.map('stack', 'stack', STACK_SIZE * MAX_CALL_FRAMES, true);
  const mstack = memory.map('machine-stack', 'stack', MACHINE_STACK_SIZE, true);
  return { memory, input: region, stackTop: stack.start + stack.size, machineStackTop: mstack.start + mstack.size };
}

function outcome(s: Setup, f: () => bigint): string {
  let result: string;
  try { result = `r0 ${f()}`; } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    result = `${e.code} pc ${e.diagnostic.location.pc}`;
  }
  const b = s.memory.bytes;
  return `${result} input ${Buffer.from(b.slice(s.input.start, s.input.start + s.input.size)).toString('hex')}`;
}

function viaEval(mod: Module, input: Uint8Array): string {
  const s = setup(input);
  return outcome(s, () => evalModule(mod, {
    budget: 2_000_000, memory: s.memory, args: [BigInt(s.input.start)],
    stack: s.memory.regions.find((r) => r.name === 'stack')!, helpers: testHelpers(),
  }).r0);
}

function viaArm64(mod: Module, input: Uint8Array, atomics: 'lse' | 'llsc'): string {
  const s = setup(input);
  const prog = compileArm64(mod, { atomics });
  return outcome(s, () => runArm64(prog, {
    memory: s.memory, args: [BigInt(s.input.start)], helpers: testHelpers(), stackTop: s.stackTop,
    machineStackTop: s.machineStackTop, stepLimit: 10_000_000,
  }).r0);
}

const endless = (o: string): boolean => /^(RUN_BUDGET|ARM64_STEP_LIMIT)/.test(o);

t.test('random programs: the IR evaluator and arm64 agree at -O0 and -O2', async (t) => {
  const count = Number(process.env['ARM64_PROG_CASES'] ?? 400);
  const r = rng(Number(process.env['ARM64_PROG_SEED'] ?? 0x5eed));
  const bad: string[] = [];
  let compared = 0;
  for (let i = 0; i < count && bad.length < 3; i++) {
    const insns = randomProgram(r, Math.floor(r() * 3));
    const input = Uint8Array.from({ length: PROG_INPUT_SIZE }, () => Math.floor(r() * 256));
    for (const level of [0, 2] as const) {
      const lifted = lift(insns);
      if (lifted.module === undefined) continue;
      runPipeline(lifted.module, { level });
      const want = viaEval(lifted.module, input);
      const got = viaArm64(lifted.module, input, i % 2 === 0 ? 'lse' : 'llsc');
      if (endless(want) || endless(got)) continue;
      compared++;
      if (got !== want) bad.push(`case ${i} -O${level}:\n${printModule(lifted.module)}\nir    ${want.slice(0, 160)}\narm64 ${got.slice(0, 160)}`);
    }
  }
  t.ok(compared > count, `${compared} runs compared`);
  t.same(bad, [], 'arm64 = IR evaluator');
});
