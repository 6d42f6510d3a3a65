/**
 * @file The long-run differential script (`scripts/differential.ts`) on a
 * bounded slice: it runs random programs on every host backend, finds no
 * mismatch against the reference interpreter, and refuses bad arguments.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../dist/scripts/differential.js', import.meta.url));

t.test('a bounded run agrees on every backend', async (t) => {
  const r = spawnSync(process.execPath, [script, '--count', '25', '--seed', '99'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^25 random programs \(\d+ instructions, seed 99\) in [\d.]+ s against interp: mismatches interp-fast 0, wasm 0, x86-64 0, arm64 0$/m);
});

t.test('bad arguments are a one-line usage error', async (t) => {
  for (const args of [['--backends', 'nope'], ['--count', 'x'], ['--frobnicate']]) {
    const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
    t.equal(r.status, 2, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});
