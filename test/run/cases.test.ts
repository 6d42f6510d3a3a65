/**
 * @file The project's own run cases (`test/run/<area>/*.data`, the
 * bpf_conformance format) on the reference interpreter, and the check that
 * together they use every row of the opcode table.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticError, formatDiagnostic } from '../../src/diag/index.js';
import { runConformanceProgram } from '../../src/interp/conformance.js';
import { decode } from '../../src/isa/insn.js';
import { OPCODES } from '../../src/isa/opcodes.js';
import { caseProgram, parseConformanceData } from '../harness/conformance-data.js';

const here = dirname(fileURLToPath(import.meta.url));
const AREAS = ['alu', 'jmp', 'mem', 'atomic', 'call', 'errors'];

const files = AREAS.flatMap((area) =>
  readdirSync(join(here, area)).filter((f) => f.endsWith('.data')).sort().map((f) => join(area, f)));

const used = new Set<string>();

t.test('own cases on the interpreter', async (t) => {
  t.ok(files.length > 0);
  for (const file of files) {
    const c = parseConformanceData(readFileSync(join(here, file), 'utf8'), file);
    t.equal(c.skip, undefined, `${file} is runnable`);
    const program = caseProgram(c);
    for (const insn of decode(program)) {
      const row = OPCODES[insn.op];
      if (row !== undefined) used.add(row.name);
    }
    let got: string;
    try {
      got = `result 0x${runConformanceProgram(program, c.hasMem ? c.mem : undefined).r0.toString(16)}`;
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      got = formatDiagnostic(e.diagnostic);
    }
    const want = c.error ?? `result 0x${c.result!.toString(16)}`;
    t.equal(got, want, file);
  }
});

t.test('the own cases use every row of the opcode table', async (t) => {
  const missing = OPCODES.map((r) => r.name).filter((n) => !used.has(n));
  t.same(missing, [], 'rows no own case uses');
  t.comment(`${used.size} of ${OPCODES.length} rows used by ${files.length} cases`);
});
