/**
 * @file The committed objects are exactly what `scripts/build-fixtures.sh`
 * builds from their C sources (skipped where clang-14 is not installed).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const clang = spawnSync('clang-14', ['--version'], { encoding: 'utf8' });
const haveClang = clang.status === 0 && /Debian clang version 14/.test(clang.stdout);

t.test('committed fixtures match their sources', { skip: haveClang ? false : 'Debian clang-14 is not installed' }, async (t) => {
  const r = spawnSync('sh', [join(ROOT, 'scripts/build-fixtures.sh'), '--check'], { encoding: 'utf8', timeout: 120_000 });
  t.equal(r.status, 0, r.stdout + r.stderr);
  t.match(r.stdout, /all objects match their sources/);
});
