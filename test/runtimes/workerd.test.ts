/**
 * @file The example edge worker in a real `workerd serve` process on
 * loopback: the firewall compiled ahead of time answers real HTTP requests
 * (200 on pass, 403 on XDP_DROP), its blocked-prefix and blocked-port maps
 * change through the admin routes, its verdict counters agree with the
 * answers, and an object uploaded at run time runs on the interpreter.
 */
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorker } from '../../scripts/bundle-worker.js';

const root = new URL('../../', import.meta.url).pathname;
const workerd = join(root, 'node_modules/.bin/workerd');

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

const bundleWasm = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

const version = spawnSync(workerd, ['--version'], { encoding: 'utf8', timeout: 10_000 });
const skip = version.status !== 0 ? `workerd cannot run here (${version.error?.message ?? version.stderr.trim() ?? 'no output'})` : false;

t.test('the example edge worker in workerd', { skip, timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf2wasm-workerd-'));
  const port = await freePort();
  const bundle = await bundleWorker({ outDir: dir, address: `127.0.0.1:${port}` });
  t.ok(bundle.wasmBytes > 8 && bundle.workerBytes > 0, `bundle ${bundle.workerBytes} bytes, module ${bundle.wasmBytes} bytes`);
  // coreutils' timeout is a watchdog: workerd dies even if this process is killed before `finally` runs.
  const [cmd, args] = existsSync('/usr/bin/timeout') ? ['/usr/bin/timeout', ['-s', 'KILL', '55', workerd, 'serve', bundle.config]] : [workerd, ['serve', bundle.config]];
  const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const base = `http://127.0.0.1:${port}`;
  let requests = 0;
  const request = async (path: string, init: { method?: string; body?: string | Uint8Array; client?: string } = {}): Promise<{ status: number; body: string; backend: string | null }> => {
    if (++requests > 100) throw new Error('request budget spent');
    const r = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET', ...(init.body !== undefined ? { body: init.body } : {}),
      headers: init.client !== undefined ? { 'cf-connecting-ip': init.client } : {}, signal: AbortSignal.timeout(10_000),
    });
    return { status: r.status, body: await r.text(), backend: r.headers.get('x-ebpf2wasm-backend') };
  };
  try {
    // Wait for the socket (bounded: 20 s).
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}: ${log}`);
      try {
        await fetch(`${base}/admin/stats`, { signal: AbortSignal.timeout(1000) });
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`workerd did not listen on ${port} within 20 s: ${log}`);
        await sleep(100);
      }
    }
    let passed = 0;
    let dropped = 0;
    const timings = new Map<string, number[]>();
    const expect = async (client: string, status: number, backend: string, what: string): Promise<void> => {
      const start = performance.now();
      const r = await request('/hello?x=1', { client });
      timings.set(backend, [...(timings.get(backend) ?? []), performance.now() - start]);
      t.equal(r.status, status, `${what}: ${r.body.trim()}`);
      t.equal(r.backend, backend, `${what}: runs ${backend}`);
      if (r.status === 200) passed++;
      if (r.status === 403) dropped++;
    };
    await expect('192.168.1.10', 200, 'compiled', 'an unblocked client passes');
    await expect('10.1.2.3', 200, 'compiled', 'before the block, 10.1.2.3 passes');
    t.equal((await request('/admin/block', { method: 'POST', body: '10.0.0.0/8' })).status, 200, 'block 10.0.0.0/8');
    await expect('10.1.2.3', 403, 'compiled', 'a client in 10.0.0.0/8 is dropped');
    await expect('10.255.0.1', 403, 'compiled', 'another client in 10.0.0.0/8 is dropped');
    await expect('11.1.2.3', 200, 'compiled', 'a client outside the prefix passes');
    t.equal((await request('/admin/block', { method: 'POST', body: '10.0.0.0/33' })).status, 400, 'a malformed CIDR is refused');
    t.equal((await request('/admin/block-port', { method: 'POST', body: String(port) })).status, 200, 'block the server port');
    await expect('192.168.1.10', 403, 'compiled', 'with its port blocked, every client is dropped');
    t.equal((await request('/admin/unblock-port', { method: 'POST', body: String(port) })).status, 200, 'unblock the port');
    t.equal((await request('/admin/unblock', { method: 'POST', body: '10.0.0.0/8' })).status, 200, 'unblock 10.0.0.0/8');
    await expect('10.1.2.3', 200, 'compiled', 'after the unblock, 10.1.2.3 passes again');
    const stats = JSON.parse((await request('/admin/stats')).body) as { backend: string; verdicts: { entries: { key: string; values: string[] }[] } };
    const counter = (action: number): bigint => {
      const e = stats.verdicts.entries.find((x) => Number.parseInt(x.key.slice(0, 2), 16) === action);
      return e === undefined ? 0n : e.values.reduce((s, v) => s + BigInt(`0x${v.match(/../g)!.reverse().join('')}`), 0n);
    };
    t.equal(counter(1), BigInt(dropped), `the program counted ${dropped} XDP_DROP`);
    t.equal(counter(2), BigInt(passed), `the program counted ${passed} XDP_PASS`);
    // An object uploaded at run time: the worker cannot compile it, so it is interpreted.
    t.equal((await request('/admin/load', { method: 'POST', body: bundleWasm(bundle.wasm) })).status, 415, 'a .wasm uploaded at run time is refused (no run-time compilation)');
    const load = await request('/admin/load', { method: 'POST', body: new Uint8Array(readFileSync(join(root, 'examples/firewall.o'))) });
    t.equal(load.status, 200, load.body.trim());
    await expect('10.1.2.3', 200, 'interp-fast', 'the uploaded object passes an unblocked client');
    t.equal((await request('/admin/block', { method: 'POST', body: '10.1.0.0/16' })).status, 200, 'block 10.1.0.0/16');
    await expect('10.1.2.3', 403, 'interp-fast', 'the interpreted firewall drops 10.1.2.3');
    await expect('10.2.0.1', 200, 'interp-fast', 'and passes 10.2.0.1');
    for (const [backend, ms] of timings) {
      const sorted = [...ms].sort((a, b) => a - b);
      t.comment(`${backend}: ${ms.length} filtered requests, median ${sorted[sorted.length >> 1]!.toFixed(2)} ms, first ${ms[0]!.toFixed(2)} ms (HTTP round trip on loopback)`);
    }
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
  t.ok(child.exitCode !== null || child.signalCode !== null, 'workerd stopped');
});
