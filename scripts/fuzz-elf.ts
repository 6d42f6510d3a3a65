/**
 * @file Long-running mutation fuzzer for the ELF/BTF loader.
 *
 * Usage (after `npm run build`):
 *   node dist/scripts/fuzz-elf.js --seconds 600 [--seed N] [--save DIR]
 *
 * Mutates the committed fixtures (test/fixtures/*.o, examples/*.o) and loads
 * each result; anything other than a DiagnosticError is a loader bug. Failing
 * inputs are written to DIR (default: the current folder) for reproduction.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../src/elf/index.js';
import { DiagnosticError } from '../src/diag/index.js';
import { mutate, rng } from '../test/elf/mutate.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'test/fixtures'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error('cannot find test/fixtures above this script');
}

const seconds = Number(arg('seconds', '60'));
const seed = Number(arg('seed', String(Date.now() & 0x7fffffff)));
const save = arg('save', '.');
const root = findRoot();
const inputs = [
  ...readdirSync(join(root, 'test/fixtures')).filter((f) => f.endsWith('.o')).map((f) => join(root, 'test/fixtures', f)),
  ...readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.o')).map((f) => join(root, 'examples', f)),
].map((p) => [p, new Uint8Array(readFileSync(p))] as const);

const rand = rng(seed);
const stop = Date.now() + seconds * 1000;
let runs = 0, refused = 0, bugs = 0, slowest = 0;
while (Date.now() < stop) {
  const [path, base] = inputs[Math.floor(rand() * inputs.length)]!;
  let bytes: Uint8Array = base;
  const rounds = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < rounds; i++) bytes = mutate(bytes, rand).bytes;
  const t0 = performance.now();
  try {
    loadObject(bytes, { file: path });
  } catch (e) {
    if (e instanceof DiagnosticError && !e.message.includes('\n')) refused++;
    else {
      bugs++;
      const out = join(save, `elf-crash-${seed}-${runs}.o`);
      writeFileSync(out, bytes);
      console.error(`bug on run ${runs} (${path}): ${e instanceof Error ? e.stack : String(e)}\n  input saved to ${out}`);
    }
  }
  slowest = Math.max(slowest, performance.now() - t0);
  runs++;
}
console.log(`seed ${seed}: ${runs} mutated objects in ${seconds} s, ${refused} refused with diagnostics, ${bugs} bugs, slowest load ${slowest.toFixed(1)} ms`);
process.exitCode = bugs > 0 ? 1 : 0;
