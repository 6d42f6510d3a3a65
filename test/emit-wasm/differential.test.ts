/**
 * @file Differential test of the whole backend: random IR modules run on the
 * IR evaluator and, compiled, in V8 must give the same r0 (or the same fault
 * at the same pc) and leave the same bytes in the input and stack regions.
 */
import t from 'tap';
import { checkModule } from '../../src/ir/check.js';
import { printModule } from '../../src/ir/print.js';
import { compileModule } from '../../src/emit-wasm/compile.js';
import { validateWasm } from '../../src/emit-wasm/wat.js';
import { randomModule, rng, INPUT_SIZE } from './random-ir.js';
import { runEval, runWasm, type Outcome } from './run-both.js';

/** The fields that differ, with the first differing byte of memory snapshots. */
function diff(want: Outcome, got: Outcome): string {
  const out: string[] = [];
  for (const k of ['result', 'input', 'stack'] as const) {
    const a = want[k];
    const b = got[k];
    if (a === b) continue;
    if (k === 'result') { out.push(`result: want ${a}, got ${b}`); continue; }
    let i = 0;
    while (a[i] === b[i]) i++;
    const at = Math.floor(i / 2) & ~7;
    out.push(`${k} differs at byte ${Math.floor(i / 2)}: want ${a.slice(at * 2, at * 2 + 32)}, got ${b.slice(at * 2, at * 2 + 32)}`);
  }
  return out.join('\n');
}

t.test('random IR: evaluator and wasm agree', async (t) => {
  const count = Number(process.env.DIFF_CASES ?? 2000);
  const r = rng(Number(process.env.DIFF_SEED ?? 0xbeef));
  const mismatches: string[] = [];
  let faults = 0;
  let validated = 0;
  for (let i = 0; i < count && mismatches.length < 3; i++) {
    const ir = randomModule(r, i % 4 === 0);
    const problems = checkModule(ir);
    if (problems.length > 0) { mismatches.push(`case ${i}: generator made bad IR: ${problems.join('; ')}`); continue; }
    const input = Uint8Array.from({ length: INPUT_SIZE }, () => Math.floor(r() * 256));
    const bytes = compileModule(ir);
    if (i % 25 === 0) {
      const err = await validateWasm(bytes);
      if (err !== undefined) { mismatches.push(`case ${i}: invalid module: ${err}\n${printModule(ir)}`); continue; }
      validated++;
    }
    const want = runEval(ir, input);
    const got = runWasm(ir, input, bytes);
    if (want.result.startsWith('RUN_')) faults++;
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      mismatches.push(`case ${i}:\n${printModule(ir)}\n${diff(want, got)}`);
    }
  }
  t.same(mismatches, [], `${count} modules, ${faults} faulting, ${validated} validated by wabt`);
  t.ok(faults > 0, 'some programs fault');
});
