/** @file The benchmark core with a fake clock: batch sizing, medians and spread, ratios, disagreement warnings, contenders and reports. */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { loadObject } from '../../src/elf/index.js';
import { BACKENDS } from '../../src/host/backend.js';
import {
  backendContender, benchProgram, chooseBatch, disagreements, disagreementWarnings, formatNs, htmlReport, kernelContender,
  markdownReport, measure, median, patchMapFds, setupRun, textReport, withRatios, type Batch, type BenchResult, type Contender, type KernelBpf,
} from '../../src/host/bench/index.js';
import { Instance } from '../../src/host/instance.js';
import { testRun } from '../../src/host/test-run.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { LddwSrc } from '../../src/isa/opcodes.js';
import { tcpPacket, udpPacket } from '../../bench/packets.js';

const root = new URL('../../', import.meta.url).pathname;

/** A virtual clock and a batch costing `cost(n)` ns of virtual time. */
function virtual(cost: (n: number) => number, r0 = 7n): { clock: () => bigint; batch: Batch; calls: number[] } {
  let now = 0n;
  const calls: number[] = [];
  return {
    clock: () => now,
    batch: (n) => { calls.push(n); now += BigInt(Math.round(cost(n))); return { r0 }; },
    calls,
  };
}

t.test('median', async (t) => {
  t.equal(median([5, 1, 3]), 3);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.equal(median([9]), 9);
  t.ok(Number.isNaN(median([])));
  for (let k = 0; k < 50; k++) {
    const xs = Array.from({ length: 1 + (k % 9) }, (_, i) => ((i * 7919 + k * 104729) % 1000) - 500);
    const m = median(xs);
    t.ok(xs.filter((x) => x < m).length <= xs.length / 2 && xs.filter((x) => x > m).length <= xs.length / 2, `median of ${xs}`);
  }
});

t.test('batch size: smallest doubling that lasts the target, then scaled', async (t) => {
  for (const cost of [1, 3, 250, 1e4, 3e6, 2e7]) {
    const v = virtual((n) => n * cost);
    const n = chooseBatch(v.clock, v.batch, 10e6, 1 << 30);
    t.ok(n * cost >= 10e6, `cost ${cost}: batch ${n} lasts the target`);
    t.ok(n === 1 || n * cost < 2.2 * 10e6, `cost ${cost}: batch ${n} is not far above the target`);
  }
  const capped = virtual((n) => n);
  t.equal(chooseBatch(capped.clock, capped.batch, 1e12, 1024), 1024, 'capped at maxBatch');
});

t.test('measure: warm-up, then timed batches of the chosen size; median, min, max', async (t) => {
  const v = virtual((n) => n * 1000);
  const r = measure(v.clock, v.batch, { batchNs: 10e6, batches: 5, warmupNs: 20e6 });
  t.equal(r.nsPerRun, 1000);
  t.equal(r.nsMin, 1000);
  t.equal(r.nsMax, 1000);
  t.equal(r.batches, 5);
  t.equal(r.r0, 7n);
  t.same(v.calls.slice(-5), Array(5).fill(r.batch), 'the last five calls are the timed batches');
  const warm = v.calls.slice(0, v.calls.indexOf(1, 1) < 0 ? 0 : v.calls.indexOf(1, 1));
  t.ok(warm.reduce((a, b) => a + b, 0) * 1000 >= 20e6, 'the warm-up ran for its time');

  // Self-timed batches (kernel, native): their own durations replace the clock's.
  const reported = [999, 50, 10, 30, 20, 40];
  const self: Batch = () => ({ r0: 1n, ns: reported.shift()! });
  const s = measure(() => 0n, self, { batchNs: 0, batches: 5, warmupNs: 0 });
  t.equal(s.batch, 1);
  t.same([s.nsPerRun, s.nsMin, s.nsMax], [30, 10, 50]);
});

/** A contender over a fake batch. */
function fake(name: string, nsPerRun: number, r0: bigint, clockRef: { now: bigint }): Contender {
  return {
    name,
    prepare: () => ({
      compileNs: nsPerRun * 100,
      batch: (n) => { clockRef.now += BigInt(n * nsPerRun); return { r0 }; },
      dispose: () => undefined,
    }),
  };
}

t.test('benchProgram: rows, unavailable and failing contenders, progress, ratios, disagreements', async (t) => {
  const c = { now: 0n };
  const events: string[] = [];
  const rows = benchProgram({
    program: 'p', inputs: [{ name: 'a', data: new Uint8Array(0) }, { name: 'b', data: new Uint8Array(0) }], clock: () => c.now,
    measure: { batchNs: 1e6, batches: 3, warmupNs: 0 },
    contenders: [
      fake('slow', 400, 5n, c), fake('fast', 100, 5n, c),
      { name: 'absent', unavailable: 'not here', prepare() { throw new Error('unused'); } },
      { name: 'broken', prepare() { throw new Error('cannot load'); } },
    ],
    onProgress: (p) => events.push(`${p.done}/${p.total}${p.result ? `:${p.result.backend}` : ''}`),
  });
  t.equal(rows.length, 8);
  t.equal(events.length, 16, 'an event before and after each measurement');
  t.equal(events.at(-1), '8/8:broken');
  const row = (input: string, b: string): BenchResult => rows.find((r) => r.input === input && r.backend === b)!;
  t.equal(row('a', 'slow').ns_per_run, 400);
  t.equal(row('a', 'slow').runs_per_sec, 1e9 / 400);
  t.equal(row('a', 'slow').compile_ms, 400 * 100 / 1e6);
  t.equal(row('a', 'absent').unavailable, 'not here');
  t.equal(row('b', 'broken').error, 'cannot load');
  const rated = withRatios(rows, 'fast');
  const r = (input: string, b: string): BenchResult => rated.find((x) => x.input === input && x.backend === b)!;
  t.equal(r('a', 'slow').ratio?.ns_per_run, 4);
  t.equal(r('b', 'fast').ratio?.ns_per_run, 1);
  t.equal(r('a', 'slow').ratio?.compile_ms, 4);
  t.equal(r('a', 'absent').ratio, undefined);
  t.same(withRatios(rows, 'nobody'), rows, 'no baseline measured: no ratios');
  t.same(disagreements(rows), [], 'agreeing contenders');

  const d = { now: 0n };
  const bad = benchProgram({
    program: 'q', inputs: [{ name: 'x', data: new Uint8Array(0) }], clock: () => d.now, measure: { batchNs: 1e5, batches: 1, warmupNs: 0 },
    contenders: [fake('one', 10, 1n, d), fake('two', 10, 2n, d), fake('three', 10, 1n, d)],
  });
  const ds = disagreements(bad);
  t.same(ds, [{ program: 'q', input: 'x', retvals: { one: 1, two: 2, three: 1 } }]);
  const w = disagreementWarnings(ds);
  t.equal(w.length, 1);
  t.match(w[0]!, /^WARNING: backends disagree on q \(x\): one=1, two=2, three=1/);
});

t.test('host backends as contenders agree with testRun on every program of the suite', async (t) => {
  let now = 0n;
  const clock = (): bigint => (now += 1_000_000n);
  for (const name of ['checksum', 'hash', 'parser', 'calls', 'counter', 'ringbuf', 'trivial']) {
    const object = loadObject(new Uint8Array(readFileSync(`${root}bench/progs/${name}.o`)), { file: `${name}.o` });
    for (const prog of object.programs) {
      for (const data of [tcpPacket(400), udpPacket(64)]) {
        const expected = testRun(new Instance(object), prog, BACKENDS.get('interp')!, { data }).retval;
        const rows = benchProgram({
          program: prog.name, inputs: [{ name: 'in', data }], clock, measure: { batchNs: 1e6, batches: 1, warmupNs: 0 },
          contenders: ['interp-fast', 'wasm'].map((b) => backendContender(BACKENDS.get(b)!, prog, () => new Instance(object))),
        });
        t.same(rows.map((r) => r.retval), [expected, expected], `${prog.name} on ${data.length} bytes`);
        t.ok(rows.every((r) => r.batch === 1 && r.ns_per_run === 1e6), 'fake clock: one run per batch, 1 ms each');
        t.ok(rows[0]!.insns_per_run! > 0, 'the interpreter counts instructions');
        t.equal(rows[1]!.insns_per_run, undefined, 'the wasm backend does not');
      }
    }
  }
});

t.test('run setup: XDP context around the packet; too short a packet is a user error', async (t) => {
  const object = loadObject(new Uint8Array(readFileSync(`${root}bench/progs/trivial.o`)), { file: 'trivial.o' });
  const inst = new Instance(object);
  const s = setupRun(inst, object.programs[0]!, udpPacket(64));
  const v = inst.memory.view;
  const data = v.getUint32(s.ctx, true);
  t.equal(v.getUint32(s.ctx + 4, true) - data, 64);
  t.same(inst.memory.bytes.slice(data, data + 64), udpPacket(64));
  t.same(s.packet, { start: data, size: 64 });
  s.release();
  t.throws(() => setupRun(inst, object.programs[0]!, new Uint8Array(4)), DiagnosticError);
});

t.test('kernel contender: map references patched to fds; unavailable with the reason', async (t) => {
  const object = loadObject(new Uint8Array(readFileSync(`${root}bench/progs/firewall.o`)), { file: 'firewall.o' });
  const prog = object.programs[0]!;
  const fds = [41, 42];
  const patched = patchMapFds(prog.insns, fds);
  const refs = prog.insns.filter((i) => i.imm2 !== undefined && i.src === LddwSrc.MAP_IDX);
  t.ok(refs.length >= 2, 'the firewall references its maps');
  patched.forEach((p, k) => {
    const o = prog.insns[k]!;
    if (o.imm2 !== undefined && o.src === LddwSrc.MAP_IDX) t.same([p.src, p.imm], [LddwSrc.MAP_FD, fds[o.imm]]);
    else t.same(p, o);
  });
  t.equal(kernelContender(undefined, 'no koffi', prog, () => new Instance(object)).unavailable, 'no koffi');
  const denied = { available: () => ({ ok: false, reason: 'permission denied' }) } as unknown as KernelBpf;
  t.equal(kernelContender(denied, undefined, prog, () => new Instance(object)).unavailable, 'permission denied');
});

t.test('reports: text, Markdown, and HTML with one inline SVG chart per program and input', async (t) => {
  const rows: BenchResult[] = withRatios([
    { program: 'p', input: 'a', backend: 'x', ns_per_run: 100, ns_min: 90, ns_max: 120, compile_ms: 1, retval: 2 },
    { program: 'p', input: 'a', backend: 'y', ns_per_run: 250, ns_min: 240, ns_max: 260, compile_ms: 3, retval: 2 },
    { program: 'p', input: 'a', backend: 'k', unavailable: 'no <bpf>' },
    { program: 'q', input: 'a', backend: 'x', ns_per_run: 2e6, ns_min: 2e6, ns_max: 2e6, retval: 1 },
  ], 'x');
  const html = htmlReport('title & more', { cpu: 'test' }, rows, ['WARNING: something']);
  t.equal(html.match(/<svg /g)?.length, 2);
  t.equal(html.match(/<rect /g)?.length, 3, 'a bar per measured row');
  t.notMatch(html, /<script|src="http|href="http|@import/, 'nothing from the network');
  t.match(html, /title &amp; more/);
  t.match(html, /no &lt;bpf&gt;/);
  t.match(html, /2\.50×/);
  t.match(html, /WARNING: something/);
  const md = markdownReport(rows);
  t.match(md, /### p — a \(ratios to x\)/);
  t.match(md, /\| y \| 250 ns \|/);
  t.match(textReport(rows), /unavailable: no <bpf>/);
  t.same([formatNs(999), formatNs(1500), formatNs(2.5e6), formatNs(undefined)], ['999 ns', '1.50 µs', '2.50 ms', '-']);
});

t.test('ring buffer output caps the batch for every contender after the first that writes', async (t) => {
  const object = loadObject(new Uint8Array(readFileSync(`${root}bench/progs/ringbuf.o`)), { file: 'ringbuf.o' });
  const prog = object.programs[0]!;
  const host = backendContender(BACKENDS.get('interp-fast')!, prog, () => new Instance(object));
  const prepared = host.prepare({ name: 'in', data: tcpPacket(400) }, () => 0n);
  // an 8-byte header and 16 bytes of data per run, into a 1 MiB ring
  t.equal(prepared.maxBatch, Math.floor((1 << 20) / 24), 'runs that fit the ring');
  prepared.dispose();
  const quiet = backendContender(BACKENDS.get('interp-fast')!, object.programs[0]!, () => new Instance(object));
  const trivial = loadObject(new Uint8Array(readFileSync(`${root}bench/progs/trivial.o`)), { file: 'trivial.o' });
  const none = backendContender(BACKENDS.get('interp-fast')!, trivial.programs[0]!, () => new Instance(trivial)).prepare({ name: 'in', data: tcpPacket(400) }, () => 0n);
  t.equal(none.maxBatch, undefined, 'a program without ring buffer output has no cap');
  none.dispose();
  // a later contender (the kernel, in the command) is measured with the cap: its batches never exceed it
  const v = virtual((n) => n);
  const after: Contender = { name: 'after', prepare: () => ({ compileNs: 0, batch: v.batch, dispose() {} }) };
  benchProgram({ program: 'ringbuf', inputs: [{ name: 'in', data: tcpPacket(400) }], clock: v.clock, measure: { batchNs: 1e9, batches: 2, warmupNs: 0 }, contenders: [quiet, after] });
  t.ok(v.calls.length > 0 && Math.max(...v.calls) <= Math.floor((1 << 20) / 24), `largest batch ${Math.max(...v.calls)}`);
});

t.test('measure: the warm-up goes on until the time per run settles', async (t) => {
  // runs start ten times slower and speed up as a JIT's tiers arrive, settling at 1000 ns
  let elapsed = 0;
  const v = virtual((n) => {
    let ns = 0;
    for (let i = 0; i < n; i += 100) {
      const per = 1000 * (1 + 9 * Math.exp(-elapsed / 100e6));
      const k = Math.min(100, n - i);
      ns += k * per;
      elapsed += k * per;
    }
    return ns;
  });
  const r = measure(v.clock, v.batch, { batchNs: 10e6, batches: 5, warmupNs: 20e6 });
  // at the end of the 20 ms warm-up a run costs about 8400 ns; settled, consecutive batches differ by under 5%
  t.ok(r.nsPerRun < 3000, `the timed batches come after the speed-up (${r.nsPerRun.toFixed(0)} ns per run)`);
  t.ok(elapsed > 100e6, 'the warm-up went on well past its 20 ms');
  t.ok(r.nsMax / r.nsMin < 1.3, 'the timed batches agree with each other');
  const capped = virtual((n) => n * 1000 * (1 + (n % 7)));
  const c = measure(capped.clock, capped.batch, { batchNs: 1e6, batches: 1, warmupNs: 1e6, settleNs: 5e6 });
  t.ok(Number.isFinite(c.nsPerRun), 'a time that never settles stops settling at the limit');
});
