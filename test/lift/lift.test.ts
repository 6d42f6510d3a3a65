/**
 * @file Golden tests of the lifter: each `test/lift/*.s` holds eBPF assembly
 * (the conformance suite's syntax) and, after `# ---- expect ----`, the IR
 * module it lifts to. Header comments: `# level: N` runs the pipeline at -ON
 * after lifting; `# entry-args: N` gives the entry function N parameters.
 * Every lifted module must also pass the structural checker.
 */

import t from 'tap';
import { dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble } from '../../src/isa/asm.js';
import { formatDiagnostic } from '../../src/diag/index.js';
import { checkModule } from '../../src/ir/check.js';
import { printModule } from '../../src/ir/print.js';
import { parseModule } from '../../src/ir/parse.js';
import { lift } from '../../src/lift/lift.js';
import { runPipeline } from '../../src/opt/pipeline.js';
import { compareGolden, filesUnder, readGolden } from '../ir/harness.js';

const here = dirname(fileURLToPath(import.meta.url));

for (const path of filesUnder(here, '.s')) {
  t.test(basename(path), async (t) => {
    const g = readGolden(path, '#');
    const asm = assemble(g.input);
    t.same(asm.diagnostics.map(formatDiagnostic), [], 'assembles');
    const entryArgs = Number(g.headers.get('entry-args') ?? 1);
    const result = lift(asm.insns, { entryArgs });
    t.same(result.diagnostics.map(formatDiagnostic), [], 'lifts without diagnostics');
    const mod = result.module!;
    t.same(checkModule(mod), [], 'lifted IR passes the checker');
    const level = g.headers.get('level');
    if (level !== undefined) runPipeline(mod, { level: Number(level) as 0 | 1 | 2, checkIR: true });
    const text = printModule(mod);
    t.equal(printModule(parseModule(text)), text, 'printed IR reads back to the same text');
    const outcome = compareGolden(g, text, '#');
    t.ok(outcome.ok, outcome.message);
  });
}
