/**
 * @file The bpf_conformance suite (../shared/bpf-conformance) through
 * lift → WebAssembly → V8, compared with the expected results and with the
 * reference interpreter on r0 and memory.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conformanceHelpers } from '../../src/abi/helper-env.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError, formatDiagnostic } from '../../src/diag/index.js';
import { compileModule } from '../../src/emit-wasm/compile.js';
import { abiImports, runExport } from '../../src/emit-wasm/imports.js';
import { validateWasm } from '../../src/emit-wasm/wat.js';
import { run } from '../../src/interp/interp.js';
import { prepare } from '../../src/interp/program.js';
import { decodeChecked } from '../../src/isa/validate.js';
import { checkModule } from '../../src/ir/check.js';
import { lift } from '../../src/lift/lift.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../../src/isa/registers.js';
import { caseProgram, parseConformanceData } from '../harness/conformance-data.js';
import { instantiate } from './wasm-api.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suite = resolve(root, '..', 'shared', 'bpf-conformance', 'tests');

interface Outcome { result: string; mem: string }

function describe(e: unknown): string {
  if (e instanceof DiagnosticError) return `${e.code} pc ${e.diagnostic.location.pc ?? '?'}`;
  throw e;
}

/** Memory laid out the same way for both runs: input (when any), then the stack. */
function layout(mem: Uint8Array | undefined): { memory: LinearMemory; args: bigint[]; input?: { start: number; size: number }; stackTop: number } {
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
  return { memory, args, ...(input !== undefined ? { input } : {}), stackTop: stack.start + stack.size };
}

const hex = (m: LinearMemory, r: { start: number; size: number } | undefined): string =>
  r === undefined ? '' : Buffer.from(m.bytes.slice(r.start, r.start + r.size)).toString('hex');

if (!existsSync(suite)) {
  t.comment(`skipping: conformance suite not found at ${suite}`);
  t.pass('skipped: ../shared/bpf-conformance is absent', { skip: `no ${suite}` });
} else {
  const files = readdirSync(suite).filter((f) => f.endsWith('.data')).sort();
  t.test('conformance cases on the wasm backend', async (t) => {
    let passed = 0;
    const failures: string[] = [];
    let validated = 0;
    for (const file of files) {
      const c = parseConformanceData(readFileSync(join(suite, file), 'utf8'), file);
      if (c.skip !== undefined) { failures.push(`${file}: skipped (${c.skip})`); continue; }
      const bytes = caseProgram(c);
      const mem = c.hasMem ? c.mem : undefined;
      const { insns, diagnostics } = decodeChecked(bytes);
      // Reference: the interpreter.
      let want: Outcome;
      {
        const l = layout(mem);
        try {
          if (diagnostics.length > 0) throw new DiagnosticError(diagnostics[0]!);
          const { r0 } = run(prepare(insns), { memory: l.memory, args: l.args, helpers: conformanceHelpers() });
          want = { result: `r0 ${r0}`, mem: hex(l.memory, l.input) };
        } catch (e) { want = { result: describe(e), mem: hex(l.memory, l.input) }; }
      }
      // The wasm backend.
      let got: Outcome;
      let expected: string;
      {
        const l = layout(mem);
        try {
          if (diagnostics.length > 0) throw new DiagnosticError(diagnostics[0]!);
          const lifted = lift(insns, { entryArgs: 2 });
          if (lifted.module === undefined) throw new DiagnosticError(lifted.diagnostics[0]!);
          const problems = checkModule(lifted.module);
          if (problems.length > 0) { failures.push(`${file}: lifted IR fails the checker: ${problems[0]}`); continue; }
          const wasm = compileModule(lifted.module, { name: 'main' });
          const err = await validateWasm(wasm);
          if (err !== undefined) { failures.push(`${file}: invalid module: ${err}`); continue; }
          validated++;
          const glue = abiImports({
            memory: l.memory, wasmMemory: l.memory.wasm, stackTop: l.stackTop, helpers: conformanceHelpers(),
            ctx: Number(l.args[0]),
          });
          const inst = instantiate(wasm, glue.imports);
          glue.bind(inst.exports);
          const r0 = runExport(inst.exports.main, ...l.args);
          got = { result: `r0 ${r0}`, mem: hex(l.memory, l.input) };
        } catch (e) { got = { result: describe(e), mem: hex(l.memory, l.input) }; }
        expected = c.result !== undefined ? `r0 ${c.result}` : `error ${c.error}`;
      }
      const resultOk = c.result !== undefined ? got.result === `r0 ${c.result}` : got.result.startsWith('RUN_') || got.result.startsWith('ISA_') || got.result.startsWith('IR_');
      if (resultOk && JSON.stringify(got) === JSON.stringify(want)) passed++;
      else failures.push(`${file}: wasm ${JSON.stringify(got)}, interpreter ${JSON.stringify(want)}, expected ${expected}`);
    }
    t.comment(`wasm backend: passed ${passed} out of ${files.length} conformance tests (${validated} modules validated by wabt)`);
    t.same(failures, [], 'no failures');
    t.equal(passed, files.length, `all ${files.length} pass`);
  });
}
