/**
 * @file Differential test of lift + optimise + evaluate against the bytecode
 * interpreter: every case of the bpf_conformance suite (`../shared/bpf-conformance/tests`)
 * and of the project's own `test/run/**` cases is lifted, optimised at -O0,
 * -O1 and -O2 with the structural checker after every pass, printed and
 * parsed back, evaluated with `src/ir/eval.ts`, and compared with the
 * interpreter on r0, on the fault code, and on the test memory afterwards.
 */

import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conformanceHelpers } from '../../src/abi/helper-env.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import type { Region } from '../../src/abi/memory.js';
import { DiagnosticError, formatDiagnostic } from '../../src/diag/index.js';
import { evalModule } from '../../src/ir/eval.js';
import { parseModule } from '../../src/ir/parse.js';
import { printModule } from '../../src/ir/print.js';
import { run } from '../../src/interp/interp.js';
import { prepare } from '../../src/interp/program.js';
import type { Insn } from '../../src/isa/insn.js';
import { decodeChecked } from '../../src/isa/validate.js';
import { lift } from '../../src/lift/lift.js';
import { runPipeline } from '../../src/opt/pipeline.js';
import { caseProgram, parseConformanceData, type ConformanceCase } from '../harness/conformance-data.js';
import { filesUnder } from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suite = join(root, '..', 'shared', 'bpf-conformance', 'tests');
const own = join(root, 'test', 'run');

interface Outcome { readonly r0?: bigint; readonly error?: string; readonly mem: string }

function execute(c: ConformanceCase, insns: readonly Insn[], how: 'interp' | 0 | 1 | 2): Outcome {
  const memory = new LinearMemory();
  let args: bigint[] = [0n, 0n];
  let region: Region | undefined;
  if (c.hasMem && c.mem.length > 0) {
    region = memory.map('input', 'input', c.mem.length, true);
    memory.bytes.set(c.mem, region.start);
    args = [BigInt(region.start), BigInt(c.mem.length)];
  }
  const snapshot = (): string => (region === undefined ? '' : Buffer.from(memory.bytes.slice(region.start, region.start + region.size)).toString('hex'));
  try {
    if (how === 'interp') {
      const r = run(prepare(insns), { memory, args, helpers: conformanceHelpers(), budget: 1_000_000 });
      return { r0: r.r0, mem: snapshot() };
    }
    const lifted = lift(insns, { entryArgs: 2 });
    if (lifted.module === undefined) return { error: `lift: ${lifted.diagnostics.map(formatDiagnostic).join('; ')}`, mem: snapshot() };
    runPipeline(lifted.module, { level: how, checkIR: true });
    const text = printModule(lifted.module);
    const reparsed = parseModule(text);
    if (printModule(reparsed) !== text) return { error: 'print/parse round trip differs', mem: snapshot() };
    const r = evalModule(reparsed, { memory, args, helpers: conformanceHelpers(), budget: 4_000_000 });
    return { r0: r.r0, mem: snapshot() };
  } catch (e) {
    if (e instanceof DiagnosticError) return { error: e.code, mem: snapshot() };
    throw e;
  }
}

function cases(dir: string): string[] {
  return existsSync(dir) ? filesUnder(dir, '.data') : [];
}

const files = [...cases(suite), ...cases(own)];
if (!existsSync(suite)) t.comment(`skipping the conformance suite: ${suite} is absent`);

t.test('lifted, optimised and evaluated programs agree with the interpreter', async (t) => {
  let compared = 0;
  for (const file of files) {
    const c = parseConformanceData(readFileSync(file, 'utf8'), relative(root, file));
    if (c.skip !== undefined) continue;
    let bytes: Uint8Array;
    try { bytes = caseProgram(c); } catch { continue; }
    const { insns, diagnostics } = decodeChecked(bytes);
    if (diagnostics.length > 0) continue;
    // Programs the interpreter refuses to load (pseudo lddw without a resolver) have no run to compare.
    try { prepare(insns); } catch { continue; }
    const want = execute(c, insns, 'interp');
    if (want.error === 'RUN_BUDGET') continue;
    for (const level of [0, 1, 2] as const) {
      const got = execute(c, insns, level);
      compared++;
      if (got.error?.startsWith('lift: ') === true) {
        // The lifter refuses what cannot run anywhere (kernel functions, BTF ids): the interpreter must fail too.
        t.ok(want.error !== undefined, `${c.name}: lifter refused (${got.error}) but the interpreter ran it`);
        continue;
      }
      t.same(got, want, `${c.name} at -O${level}`, { diagnostic: !(got.r0 === want.r0 && got.error === want.error && got.mem === want.mem) });
    }
  }
  t.ok(files.length === 0 || compared > 0, `compared ${compared} runs`);
});
