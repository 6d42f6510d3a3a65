/** @file Every ../shared/bpf-conformance case and every test/run/** case on the x86-64 backend (emulated) against the reference interpreter: r0, fault code and memory. */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interpBackend } from '../../src/host/backend.js';
import { x86Backend } from '../../src/host/native-backend.js';
import { caseProgram, parseConformanceData } from '../harness/conformance-data.js';
import { runCase } from './lower-harness.js';
import { filesUnder } from '../ir/harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suite = resolve(root, '..', 'shared', 'bpf-conformance', 'tests');
const LIFT_TIME = new Set(['kfunc.data', 'lddw-func.data']);

if (!existsSync(suite)) {
  t.pass('skipped: ../shared/bpf-conformance is absent', { skip: `no ${suite}` });
} else {
  const files = [...readdirSync(suite).filter((f) => f.endsWith('.data')).sort().map((f) => join(suite, f)), ...filesUnder(join(root, 'test', 'run'), '.data')];
  // -O2, -O0, and -O0 with three registers (rsi, rbx, r12): most values spilled to frame slots.
  for (const [level, regs] of [[2, undefined], [0, undefined], [0, [6, 3, 12]]] as const) t.test(`every conformance case gives the interpreter's result on x86-64 at -O${level}${regs ? ' with 3 registers' : ''}`, async (t) => {
    const x86 = x86Backend({ level }, 'x86-64', regs);
    const failures: string[] = [];
    let compared = 0;
    for (const file of files) {
      const c = parseConformanceData(readFileSync(file, 'utf8'), file);
      if (c.skip !== undefined) continue;
      // The lifter rejects these at compile time where the interpreter fails (or not) at run time: a lifter matter, shared with the wasm backend.
      const name = file.split('/').pop()!;
      if (LIFT_TIME.has(name)) { t.comment(`not compared: ${name} (rejected by the lifter before any backend runs)`); continue; }
      const program = caseProgram(c);
      const mem = c.hasMem ? c.mem : undefined;
      const want = runCase(interpBackend, program, mem);
      let got;
      try {
        got = runCase(x86, program, mem);
      } catch (e) {
        failures.push(`${file}: threw ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
        continue;
      }
      compared++;
      const same = got.r0 === want.r0 && got.error === want.error && got.mem.join() === want.mem.join();
      if (!same) failures.push(`${file.split("/").pop()}: x86 r0=${got.r0?.toString(16)} err=${got.error}, interp r0=${want.r0?.toString(16)} err=${want.error}${got.mem.join() !== want.mem.join() ? ' (memory differs)' : ''}`);
    }
    t.same(failures, [], `${compared} cases compared`);
    t.ok(compared >= 340, `at least 340 cases ran (${compared})`);
  });
}
