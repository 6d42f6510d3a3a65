/** @file The whole bpf_conformance suite (../shared/bpf-conformance) on the reference interpreter. */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConformanceProgram } from '../../src/interp/conformance.js';
import { DiagnosticError, formatDiagnostic } from '../../src/diag/index.js';
import { caseProgram, parseConformanceData } from '../harness/conformance-data.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suite = resolve(root, '..', 'shared', 'bpf-conformance', 'tests');

if (!existsSync(suite)) {
  t.comment(`skipping: conformance suite not found at ${suite}`);
  t.pass('skipped: ../shared/bpf-conformance is absent', { skip: `no ${suite}` });
} else {
  const files = readdirSync(suite).filter((f) => f.endsWith('.data')).sort();
  t.test('every conformance case passes on the interpreter', async (t) => {
    let passed = 0;
    const failures: string[] = [];
    for (const file of files) {
      const c = parseConformanceData(readFileSync(join(suite, file), 'utf8'), file);
      if (c.skip !== undefined) { failures.push(`${file}: skipped (${c.skip})`); continue; }
      let outcome: string;
      try {
        const { r0 } = runConformanceProgram(caseProgram(c), c.hasMem ? c.mem : undefined);
        outcome = c.result === r0 ? 'pass' : `r0 = 0x${r0.toString(16)}, expected ${c.result === undefined ? c.error : `0x${c.result.toString(16)}`}`;
      } catch (e) {
        if (!(e instanceof DiagnosticError)) throw e;
        const msg = formatDiagnostic(e.diagnostic);
        outcome = c.error !== undefined && c.error === msg ? 'pass' : `error ${msg}`;
      }
      if (outcome === 'pass') passed++;
      else failures.push(`${file}: ${outcome}`);
    }
    t.comment(`interpreter: passed ${passed} out of ${files.length} conformance tests`);
    t.same(failures, [], 'no failures');
    t.equal(files.length, 313, 'the suite has 313 files');
    t.equal(passed, 313, 'all 313 pass');
  });
}
