/** @file `ebpf2wasm bench`: the `--json` shape, plain progress lines, the kernel row, the HTML report, and errors. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tcpPacket } from '../../bench/packets.js';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'dist/src/cli/main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const skip = existsSync(cli) ? false : 'skipped: dist/ not built (npm test builds it)';
const tmp = mkdtempSync(join(tmpdir(), 'ebpf2wasm-bench-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
const fast = ['--runs', '1', '--batch-ms', '0', '--warmup-ms', '0'];
const packet = join(tmp, 'tcp1500.bin');
writeFileSync(packet, tcpPacket(1500));

t.test('--json: machine and one result per program, input and backend, with the figures the issue names', { skip }, async (t) => {
  const r = run('bench', join(root, 'bench/progs/hash.o'), '--backend', 'interp-fast,wasm', '--data', packet, '--json', ...fast);
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { machine: Record<string, unknown>; results: Record<string, unknown>[]; warnings: string[] };
  t.same(Object.keys(out.machine).sort(), ['cores', 'cpu', 'kernel', 'load', 'node']);
  t.equal(out.results.length, 4, 'two programs × one input × two backends');
  t.same(out.results.map((x) => `${x.program}/${x.backend}`), ['fnv1a/interp-fast', 'fnv1a/wasm', 'jhash/interp-fast', 'jhash/wasm']);
  for (const x of out.results) {
    t.equal(x.input, 'tcp1500.bin');
    for (const k of ['ns_per_run', 'ns_min', 'ns_max', 'compile_ms', 'runs_per_sec', 'retval']) t.type(x[k], 'number', `${k} of ${x.backend}`);
    t.ok((x.ns_min as number) <= (x.ns_per_run as number) && (x.ns_per_run as number) <= (x.ns_max as number), 'min ≤ median ≤ max');
    t.equal(x.baseline, 'interp-fast');
  }
  t.type(out.results[0]!.insns_per_run, 'number', 'the interpreter counts instructions');
  t.equal((out.results[0]!.ratio as { ns_per_run: number }).ns_per_run, 1, 'the baseline against itself');
  t.equal(out.results[0]!.retval, out.results[1]!.retval, 'backends agree');
  t.same(out.warnings, []);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 4, 'one progress line per measurement when stderr is not a terminal');
  t.ok(lines.every((l) => /^\[\d\/4\] \S+ tcp1500\.bin \S+: /.test(l)), lines.join('\n'));
});

t.test('--program and --baseline; the kernel is measured or listed as unavailable with a reason', { skip }, async (t) => {
  const r = run('bench', join(root, 'examples/firewall.o'), '--program', 'firewall', '--backend', 'wasm,kernel', '--baseline', 'wasm', '--clock', 'cpu', '--json', ...fast);
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { results: Record<string, unknown>[] };
  t.same(out.results.map((x) => x.backend), ['wasm', 'kernel']);
  const k = out.results[1]!;
  if (k.unavailable !== undefined) {
    t.match(k.unavailable, /\S/, `kernel unavailable: ${k.unavailable}`);
  } else {
    t.type(k.ns_per_run, 'number', 'kernel measured through BPF_PROG_TEST_RUN');
    t.equal(k.retval, out.results[0]!.retval, 'the kernel agrees with the wasm backend');
  }
});

t.test('a program with callbacks loads in the kernel too (func_info BTF)', { skip }, async (t) => {
  const r = run('bench', join(root, 'test/fixtures/callbacks-el.o'), '--backend', 'interp-fast,kernel', '--data', packet, '--json', ...fast);
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { results: Record<string, unknown>[] };
  const k = out.results.find((x) => x.backend === 'kernel')!;
  if (k.unavailable !== undefined) {
    t.match(k.unavailable, /\S/, `kernel unavailable: ${k.unavailable}`);
    return;
  }
  t.equal(k.error, undefined, 'no load error');
  t.type(k.ns_per_run, 'number', 'kernel measured');
  t.equal(k.retval, out.results.find((x) => x.backend === 'interp-fast')!.retval, 'the kernel agrees with the interpreter');
});

t.test('--report writes a self-contained page with an SVG chart per program; the text table is printed', { skip }, async (t) => {
  const html = join(tmp, 'report.html');
  const r = run('bench', join(root, 'bench/progs/hash.o'), '--backend', 'interp-fast,wasm', '--report', html, ...fast);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /fnv1a on pkt64 \(baseline interp-fast\)/);
  const page = readFileSync(html, 'utf8');
  t.equal(page.match(/<svg /g)?.length, 2);
  t.notMatch(page, /<script|src="http|href="http/);
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (chromium === undefined) {
    t.comment('skipped the screenshot check: chromium is not installed');
    return;
  }
  const shot = join(tmp, 'report.png');
  const c = spawnSync(chromium, ['--headless', '--no-sandbox', '--disable-gpu', `--screenshot=${shot}`, '--window-size=800,900', `file://${html}`], { timeout: 60000 });
  t.equal(c.status, 0, 'chromium rendered the page');
  t.ok(existsSync(shot) && readFileSync(shot).length > 1000, 'a screenshot was written');
});

t.test('errors are one line with exit 1', { skip }, async (t) => {
  const r = run('bench', join(root, 'bench/progs/hash.o'), '--backend', 'nope', ...fast);
  t.equal(r.status, 1);
  t.match(r.stderr, /no backend named "nope"/);
  t.equal(r.stderr.trim().split('\n').length, 1);
  const m = run('bench', join(root, 'bench/progs/hash.o'), '--program', 'missing', ...fast);
  t.equal(m.status, 1);
  t.match(m.stderr, /missing/);
  const c = run('bench', join(root, 'bench/progs/hash.o'), '--clock', 'sundial', ...fast);
  t.equal(c.status, 2, 'a bad --clock is a usage error');
  const d = run('bench', join(root, 'bench/progs/hash.o'), '--data', join(tmp, 'absent.bin'), ...fast);
  t.equal(d.status, 1);
  t.match(d.stderr, /no such file/);
});
