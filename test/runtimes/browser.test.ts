/**
 * @file The browser check: a page served on loopback loads an esbuild
 * browser bundle that compiles and runs the firewall in the page (the
 * interpreter, `wasm` compiled in the page, and the `.wasm` fetched and
 * compiled asynchronously); headless Chromium (`/usr/bin/chromium`, or
 * `$CHROMIUM`) renders it and the verdicts are read back from the dumped DOM
 * and compared with the same computation in Node. Skips visibly without
 * Chromium. A second check runs the same page script under Deno with
 * `--location` (fetch over the same server, no DOM): it always runs when Deno
 * does, and is not a substitute for the browser.
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { loadObject } from '../../src/elf/index.js';
import { compileObject } from '../../src/host/compile.js';
import { firewallReport } from './firewall-sample.js';

const root = new URL('../../', import.meta.url).pathname;
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const deno = join(root, 'node_modules/.bin/deno');
const firewall = join(root, 'examples/firewall.o');

/** Run a program without blocking this process's event loop (the server answers meanwhile); killed after `ms`. */
function run(cmd: string, args: string[], ms: number, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    // coreutils' timeout is a watchdog: the child dies even if this process is killed first.
    const watched: [string, string[]] = existsSync('/usr/bin/timeout') ? ['/usr/bin/timeout', ['-s', 'KILL', String(Math.ceil(ms / 1000) + 2), cmd, ...args]] : [cmd, args];
    const child = spawn(watched[0], watched[1], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('error', (e) => { stderr += String(e); });
    child.on('close', (code) => { clearTimeout(timer); res({ code, stdout, stderr }); });
  });
}

interface PageResult {
  runtime?: string;
  error?: string;
  report?: Record<string, { runs: { frame: string; retval: number }[] }>;
  fetched?: { frame: string; retval: number }[];
}

t.test('the firewall in a page', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf2wasm-browser-'));
  const bundle = await build({
    entryPoints: [join(root, 'test/runtimes/browser-main.ts')], bundle: true, write: false,
    format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'error',
  });
  const script = bundle.outputFiles[0]!.contents;
  const objectBytes = new Uint8Array(readFileSync(firewall));
  const wasm = compileObject(loadObject(objectBytes, { file: firewall })).bytes;
  const files: Record<string, [string, Uint8Array | string]> = {
    '/': ['text/html; charset=utf-8', '<!doctype html><html><head><title>ebpf2wasm</title></head><body><pre id="result">pending</pre><script type="module" src="bundle.js"></script></body></html>'],
    '/bundle.js': ['text/javascript', script],
    '/firewall.o': ['application/octet-stream', objectBytes],
    '/firewall.wasm': ['application/wasm', wasm],
  };
  const server: Server = createServer((req, res) => {
    const f = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (f === undefined) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  const expected = firewallReport(objectBytes);
  const check = (t: Test, got: PageResult, where: string): void => {
    t.equal(got.error, undefined, `${where}: no error in the page`);
    t.same(got.report, expected, `${where}: verdicts, output frames and maps equal Node's`);
    const interp = (expected.interp as { runs: { frame: string; retval: number }[] }).runs;
    t.same(got.fetched, interp.map(({ frame, retval }) => ({ frame, retval })), `${where}: the fetched, asynchronously compiled module agrees`);
  };
  try {
    await t.test('headless Chromium', { skip: existsSync(chromium) ? false : `${chromium} is not installed (Debian package chromium)` }, async (t) => {
      const profile = join(dir, 'profile');
      const r = await run(chromium, [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--virtual-time-budget=20000', '--dump-dom', url,
      ], 45_000);
      const m = /<pre id="result">([\s\S]*?)<\/pre>/.exec(r.stdout);
      t.ok(m !== null, `the DOM has #result (exit ${r.code}${m === null ? `: ${r.stderr.slice(0, 400)}` : ''})`);
      if (m === null) return;
      const text = m[1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      t.not(text, 'pending', 'the page finished');
      if (text === 'pending') return;
      const got = JSON.parse(text) as PageResult;
      t.match(got.runtime ?? '', /Chrom/, `ran in ${got.runtime}`);
      check(t, got, 'chromium');
    });
    const denoOk = spawnSync(deno, ['--version'], { timeout: 20_000 }).status === 0;
    await t.test('the page script under Deno --location (stand-in, no DOM)', { skip: denoOk ? false : 'deno cannot run here' }, async (t) => {
      const host = new URL(url).host;
      const r = await run(deno, ['run', '--no-prompt', `--location=${url}`, `--allow-net=${host}`, `${url}bundle.js`], 45_000,
        { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', DENO_DIR: join(dir, 'deno-dir') });
      t.equal(r.code, 0, `deno exited with 0${r.code !== 0 ? `: ${r.stderr.slice(0, 400)}` : ''}`);
      if (r.code !== 0) return;
      check(t, JSON.parse(r.stdout.trim().split('\n').pop()!) as PageResult, 'deno');
    });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});
