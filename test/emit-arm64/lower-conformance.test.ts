/**
 * @file The bpf_conformance suite (../shared/bpf-conformance) through
 * lift → opt → AArch64 → the emulator, compared with the expected results and
 * with the reference interpreter on r0 (or the fault's code and pc) and memory.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conformanceHelpers } from '../../src/abi/helper-env.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { compileArm64 } from '../../src/emit-arm64/compile.js';
import { MACHINE_STACK_SIZE, runArm64 } from '../../src/host/native-backend-arm64.js';
import { run } from '../../src/interp/interp.js';
import { prepare } from '../../src/interp/program.js';
import { decodeChecked } from '../../src/isa/validate.js';
import { lift } from '../../src/lift/lift.js';
import { runPipeline } from '../../src/opt/pipeline.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../../src/isa/registers.js';
import { caseProgram, parseConformanceData } from '../harness/conformance-data.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suite = resolve(root, '..', 'shared', 'bpf-conformance', 'tests');

interface Outcome { result: string; mem: string }

function describe(e: unknown): string {
  if (e instanceof DiagnosticError) return `${e.code} pc ${e.diagnostic.location.pc ?? '?'}`;
  throw e;
}

/** Memory laid out the same way for both runs: input (when any), the eBPF stack, the machine stack. */
function layout(mem: Uint8Array | undefined) {
  const memory = new LinearMemory();
  let args: bigint[] = [0n, 0n];
  let input: { start: number; size: number } | undefined;
  if (mem !== undefined && mem.length > 0) {
    const region = memory.map('input', 'input', mem.length, true);
    memory.bytes.set(mem, region.start);
    args = [BigInt(region.start), BigInt(mem.length)];
    input = region;
  }
  const stack = memory.map('stack', 'stack', STACK_SIZE * MAX_CALL_FRAMES, true);
  const mstack = memory.map('machine-stack', 'stack', MACHINE_STACK_SIZE, true);
  return { memory, args, input, stackTop: stack.start + stack.size, machineStackTop: mstack.start + mstack.size };
}

const hex = (m: LinearMemory, r: { start: number; size: number } | undefined): string =>
  r === undefined ? '' : Buffer.from(m.bytes.slice(r.start, r.start + r.size)).toString('hex');

if (!existsSync(suite)) {
  t.pass('skipped: ../shared/bpf-conformance is absent', { skip: `no ${suite}` });
} else {
  const files = readdirSync(suite).filter((f) => f.endsWith('.data')).sort();
  const configs = [
    { level: 0, atomics: 'lse' }, { level: 2, atomics: 'lse' }, { level: 2, atomics: 'llsc' },
  ] as const;
  for (const { level, atomics } of configs) {
    t.test(`conformance cases on the arm64 backend at -O${level}, ${atomics} atomics`, async (t) => {
      let passed = 0;
      let machine = 0;
      const failures: string[] = [];
      for (const file of files) {
        const c = parseConformanceData(readFileSync(join(suite, file), 'utf8'), file);
        if (c.skip !== undefined) { failures.push(`${file}: skipped (${c.skip})`); continue; }
        const mem = c.hasMem ? c.mem : undefined;
        const { insns, diagnostics } = decodeChecked(caseProgram(c));
        let want: Outcome;
        {
          const l = layout(mem);
          try {
            if (diagnostics.length > 0) throw new DiagnosticError(diagnostics[0]!);
            const { r0 } = run(prepare(insns), { memory: l.memory, args: l.args, helpers: conformanceHelpers() });
            want = { result: `r0 ${r0}`, mem: hex(l.memory, l.input) };
          } catch (e) { want = { result: describe(e), mem: hex(l.memory, l.input) }; }
        }
        let got: Outcome;
        {
          const l = layout(mem);
          try {
            if (diagnostics.length > 0) throw new DiagnosticError(diagnostics[0]!);
            const lifted = lift(insns, { entryArgs: 2 });
            if (lifted.module === undefined) throw new DiagnosticError(lifted.diagnostics[0]!);
            runPipeline(lifted.module, { level });
            const prog = compileArm64(lifted.module, { atomics });
            const r = runArm64(prog, {
              memory: l.memory, args: l.args, helpers: conformanceHelpers(), stackTop: l.stackTop,
              machineStackTop: l.machineStackTop,
            });
            machine += r.insnCount;
            got = { result: `r0 ${r.r0}`, mem: hex(l.memory, l.input) };
          } catch (e) { got = { result: describe(e), mem: hex(l.memory, l.input) }; }
        }
        const resultOk = c.result !== undefined ? got.result === `r0 ${c.result}` : !got.result.startsWith('r0');
        if (resultOk && JSON.stringify(got) === JSON.stringify(want)) passed++;
        else failures.push(`${file}: arm64 ${JSON.stringify(got)}, interpreter ${JSON.stringify(want)}`);
      }
      t.comment(`arm64 -O${level} ${atomics}: passed ${passed} of ${files.length}; ${machine} machine instructions executed in all`);
      t.same(failures, [], 'no failures');
      t.equal(passed, files.length, `all ${files.length} pass`);
    });
  }
}
