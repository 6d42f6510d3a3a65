/**
 * @file Loop unrolling against the interpreter on counted loops of every
 * shape the pass folds or must not fold: counters going up and down by
 * 1 to 5, starting at 0, below 2^32, below 2^63 and just below 2^64 (so some
 * wrap), compared in 64 or 32 bits, tested at the top of the loop or at its
 * back edge, with trip counts that leave the counted exit in each copy, and
 * with a second exit that depends on memory (taken before the count runs out,
 * or never). Each program runs on the interpreter, on the IR evaluator after
 * -O2 with factors 2 to 5, and on the WebAssembly backend (which unrolls by 4):
 * r0, which mixes the counter and a sum the loop leaves behind, must agree.
 */

import t from 'tap';
import { conformanceHelpers } from '../../src/abi/helper-env.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import type { BpfObject, ProgramSpec } from '../../src/elf/types.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { BACKENDS } from '../../src/host/backend.js';
import { Instance } from '../../src/host/instance.js';
import { evalModule } from '../../src/ir/eval.js';
import { printModule } from '../../src/ir/print.js';
import { run } from '../../src/interp/interp.js';
import { prepare } from '../../src/interp/program.js';
import { assemble } from '../../src/isa/asm.js';
import type { Insn } from '../../src/isa/insn.js';
import { lift } from '../../src/lift/lift.js';
import { runPipeline } from '../../src/opt/pipeline.js';

const M64 = (1n << 64n) - 1n;

interface Shape { readonly start: bigint; readonly step: bigint; readonly limit: bigint; readonly wide: boolean; readonly atTop: boolean }

/** r6 = the u64 at ctx; r2 counts from `start` by `step` until it equals `limit` (or r6). */
function source(s: Shape): string {
  const w = s.wide ? '' : '32';
  const step = s.step < 0n ? `sub %r2, ${-s.step}` : `add %r2, ${s.step}`;
  const lines = [
    'ldxdw %r6, [%r1]',
    'mov %r0, 0',
    `lddw %r2, ${s.start}`,
    `lddw %r3, ${s.limit}`,
    'top:',
    ...(s.atTop ? [`jeq${w} %r2, %r3, out`] : []),
    'add %r0, %r2',
    'mul %r0, 7',
    'jeq %r2, %r6, out',
    step,
    ...(s.atTop ? ['ja top'] : [`jne${w} %r2, %r3, top`]),
    'out:',
    'lsh %r0, 8',
    'add %r0, %r2',
    'exit',
  ];
  return `${lines.join('\n')}\n`;
}

function program(insns: readonly Insn[]): ProgramSpec {
  return { name: 'loop', section: 'xdp', type: 6, insns: [...insns], origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true };
}

function viaEval(insns: readonly Insn[], input: bigint, unroll: number): bigint | string {
  const lifted = lift(insns);
  if (lifted.module === undefined) return 'lift failed';
  runPipeline(lifted.module, { level: 2, checkIR: true, context: { unroll } });
  const memory = new LinearMemory();
  const region = memory.map('ctx', 'ctx', 8, true);
  memory.view.setBigUint64(region.start, input, true);
  return evalModule(lifted.module, { memory, args: [BigInt(region.start)], helpers: conformanceHelpers(), budget: 100_000 }).r0;
}

/** A run's r0, or the code of the error it stopped with (a wrong fold can make a loop run on). */
function outcome(f: () => bigint | string): bigint | string {
  try {
    return f();
  } catch (e) {
    if (e instanceof DiagnosticError) return e.code;
    throw e;
  }
}

const starts = [0n, 7n, (1n << 32n) - 2n, (1n << 63n) - 3n, M64 - 4n];
const steps = [1n, 2n, 3n, 5n, -1n, -4n];
const trips = [1n, 2n, 3n, 4n, 5n, 6n, 9n];

t.test('counted loops agree with the interpreter', async (t) => {
  const object: BpfObject = { license: 'GPL', endian: 'little', programs: [], maps: [], diagnostics: [] };
  const instance = new Instance(object);
  const ctx = instance.memory.map('ctx', 'ctx', 8, true);
  let cases = 0;
  let bad = 0;
  let unrolled = 0;
  for (const wide of [true, false]) {
    for (const atTop of [false, true]) {
      for (const start of starts) {
        for (const step of steps) {
          for (const n of trips) {
            const mask = wide ? M64 : 0xffffffffn;
            // The limit sits n steps away; for steps other than ±1 also one past it, so only the memory exit ends the loop.
            const limits = [(start + step * n) & mask, ...(step * step === 1n ? [] : [((start + step * n) & mask) ^ 1n])];
            for (const limit of limits) {
              const shape = { start, step, limit, wide, atTop };
              const a = assemble(source(shape));
              if (a.diagnostics.length > 0) { t.fail(`assembly: ${JSON.stringify(a.diagnostics)}`); return; }
              const prog = program(a.insns);
              const wasm = BACKENDS.get('wasm')!.load(prog, instance, { entryArgs: 1 });
              // The memory exit: at iteration n - 2 (before the count ends, or at once), or, when the count ends the loop, never (a value off the counter's path).
              const breaks = [(start + step * (n >= 2n ? n - 2n : 0n)) & M64, ...(limit === ((start + step * n) & mask) ? [start ^ (1n << 62n) ^ 1n] : [])];
              for (const input of breaks) {
                const memory = new LinearMemory();
                const region = memory.map('ctx', 'ctx', 8, true);
                memory.view.setBigUint64(region.start, input, true);
                const want = run(prepare(a.insns), { memory, args: [BigInt(region.start)], helpers: conformanceHelpers(), budget: 100_000 }).r0;
                instance.memory.view.setBigUint64(ctx.start, input, true);
                const got: (bigint | string)[] = [outcome(() => wasm.run(ctx.start).r0)];
                for (const unroll of [2, 3, 4, 5]) got.push(outcome(() => viaEval(a.insns, input, unroll)));
                cases++;
                if (got.some((g) => g !== want)) {
                  bad++;
                  if (bad <= 3) t.fail(`${JSON.stringify(shape, (_, v) => (typeof v === 'bigint' ? v.toString() : v))} input ${input}: interpreter ${want}, got ${got.join(' ')}\n${source(shape)}`);
                }
              }
              if (unrolled === 0) {
                const ir = lift(a.insns).module!;
                runPipeline(ir, { level: 2, checkIR: true, context: { unroll: 4 } });
                if ((printModule(ir).match(/mul\.i64/g) ?? []).length === 4) unrolled++;
              }
            }
          }
        }
      }
    }
  }
  t.equal(bad, 0, `${cases} runs agree on every path`);
  t.ok(unrolled > 0, 'the loop body is copied four times');
});
