/**
 * @file Golden tests: each `test/emit-wasm/ir/*.ir` compiles to the WAT in the
 * `.wat` file next to it (run with `BLESS=1` to update), validates with wabt,
 * and runs in V8 with the same outcome as the IR evaluator.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModule } from '../../src/ir/parse.js';
import { checkModule } from '../../src/ir/check.js';
import { compileModule } from '../../src/emit-wasm/compile.js';
import { toWat, validateWasm } from '../../src/emit-wasm/wat.js';
import { runEval, runWasm } from './run-both.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'ir');
const bless = process.env.BLESS === '1';

/** The first differing lines of two texts, as a small unified-style excerpt. */
function lineDiff(want: string, got: string): string {
  const a = want.split('\n');
  const b = got.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const out = [`@@ line ${i + 1} @@`];
  for (let k = Math.max(0, i - 2); k < i; k++) out.push(`  ${a[k]}`);
  for (let k = i; k < Math.min(a.length, i + 5); k++) out.push(`- ${a[k]}`);
  for (let k = i; k < Math.min(b.length, i + 5); k++) out.push(`+ ${b[k]}`);
  return out.join('\n');
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.ir')).sort()) {
  t.test(file, async (t) => {
    const ir = parseModule(readFileSync(join(dir, file), 'utf8'));
    t.same(checkModule(ir), [], 'the IR passes the checker');
    const bytes = compileModule(ir);
    t.equal(await validateWasm(bytes), undefined, 'wabt validates the module');
    const wat = await toWat(bytes);
    const expectedFile = join(dir, file.replace(/\.ir$/, '.wat'));
    if (bless || !existsSync(expectedFile)) {
      writeFileSync(expectedFile, wat);
      t.pass(`wrote ${expectedFile}`);
    } else {
      const want = readFileSync(expectedFile, 'utf8');
      t.ok(want === wat, want === wat ? 'WAT matches' : `WAT differs (run with BLESS=1 to update)\n${lineDiff(want, wat)}`);
    }
    const input = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
    const want = runEval(ir, input);
    const got = runWasm(ir, input, bytes);
    // Budgets count differently (instructions vs loop iterations): compare the fault code only.
    const norm = (s: string): string => (s.startsWith('RUN_BUDGET') ? 'RUN_BUDGET' : s);
    t.same({ ...got, result: norm(got.result) }, { ...want, result: norm(want.result) }, 'same outcome as the IR evaluator');
  });
}
