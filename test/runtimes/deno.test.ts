/**
 * @file The core under a real Deno: the Deno runtime entry and the firewall
 * report (`firewall-sample.ts`) are bundled with esbuild (ESM, platform
 * neutral, no Node built-ins), run by `deno run --allow-read` (interpreter,
 * `wasm` compiled at run time, and a `.wasm` loaded alone), and the JSON must
 * equal the same computation in this Node.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { firewallReport } from './firewall-sample.js';

const root = new URL('../../', import.meta.url).pathname;
const deno = join(root, 'node_modules/.bin/deno');
const firewall = join(root, 'examples/firewall.o');

const version = spawnSync(deno, ['--version'], { encoding: 'utf8', timeout: 20_000 });
const skip = version.status !== 0 ? `deno cannot run here (${version.error?.message ?? version.stderr.trim()})` : false;

t.test('the firewall under Deno gives the results it gives in Node', { skip, timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf2wasm-deno-'));
  try {
    const bundle = join(dir, 'main.mjs');
    await build({
      entryPoints: [join(root, 'test/runtimes/deno-main.ts')], outfile: bundle, bundle: true,
      format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'error',
    });
    const r = spawnSync(deno, ['run', '--no-prompt', `--allow-read=${firewall}`, bundle, firewall], {
      encoding: 'utf8', timeout: 45_000, cwd: dir,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', DENO_DIR: join(dir, 'deno-dir') },
    });
    t.equal(r.status, 0, `deno exited with 0${r.status !== 0 ? `: ${r.error?.message ?? ''} ${r.stderr}` : ''}`);
    if (r.status !== 0) return;
    const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as { runtime: string; report: Record<string, { runs: { retval: number }[] }> };
    t.match(got.runtime, /^deno \d+\.\d+/, `ran under ${got.runtime}`);
    const expected = firewallReport(new Uint8Array(readFileSync(firewall)));
    t.same(got.report, expected, 'verdicts, output frames and maps equal Node\'s');
    // The sample is worth comparing: it drops some frames and passes others, identically on every backend.
    const verdicts = got.report.interp!.runs.map((x) => x.retval);
    t.ok(verdicts.includes(1) && verdicts.includes(2), `verdicts ${verdicts.join(',')} include XDP_DROP and XDP_PASS`);
    t.same(got.report.wasm!.runs, got.report.interp!.runs, 'wasm compiled under Deno agrees with the interpreter');
    t.same(got.report['compiled-module'], got.report.interp, 'the module loaded alone agrees with the interpreter, maps included');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
