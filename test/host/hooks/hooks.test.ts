/**
 * @file Every hook kind with the `hooks.c` fixture, on the reference
 * interpreter and on WebAssembly: each scenario's whole outcome (verdicts,
 * frames, maps, ring buffer records) must be the same on both, and single
 * XDP programs must give what `testRun` gives.
 */

import t from 'tap';
import { ipv4Frame } from '../../../src/cli/packets.js';
import { backendByName } from '../../../src/host/backend.js';
import { Instance } from '../../../src/host/instance.js';
import { testRun } from '../../../src/host/test-run.js';
import { benchHooks, kernelHookRows } from '../../../src/host/hooks/bench.js';
import type { KernelBpf } from '../../../src/host/bench/kernel.js';
import {
  FilterHook, PacketHook, TracepointRegistry, XdpAction, attach, detach, parseTracepointFormat, probe, replace,
} from '../../../src/host/hooks/index.js';
import { HOOK_BACKENDS, callEvents, codeOf, counts, hex, hooksObject, liveHooks, sharedTotal } from './support.js';

const tcp = ipv4Frame({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 4000, dport: 80, payload: 'GET /' });
const udp = ipv4Frame({ src: '10.0.0.3', dst: '10.0.0.1', proto: 'udp', sport: 5353, dport: 53, payload: 'query' });

/** Packet hook scenario: chain, rewrite, drop, replace, detach, resize. */
function packetScenario(backend: string): unknown {
  const { instance, load } = liveHooks(backend);
  const hook = new PacketHook('eth0');
  const count = attach(hook, load('xdp_count'));
  const drop = attach(hook, load('xdp_drop_udp'));
  const steps: unknown[] = [];
  const step = (frame: Uint8Array): void => {
    const r = hook.dispatch(frame);
    steps.push({ verdict: r.verdict, action: r.action, program: r.program ?? null, ran: r.ran, data: hex(r.data), counts: counts(instance).slice(0, 2).map(String) });
  };
  step(tcp);
  step(udp);
  replace(count, 'xdp_count_v2');
  step(tcp);
  detach(drop);
  step(udp);
  const strip = new PacketHook('strip');
  attach(strip, load('xdp_strip'), { chainCallActions: [XdpAction.PASS, XdpAction.TX] });
  attach(strip, load('xdp_count'));
  const s = strip.dispatch(tcp);
  const alone = new PacketHook('alone');
  attach(alone, load('xdp_strip'));
  const a = alone.dispatch(udp);
  return { steps, strip: { verdict: s.verdict, ran: s.ran, data: hex(s.data) }, alone: { verdict: a.verdict, action: a.action, data: hex(a.data) }, total: String(sharedTotal(instance, 1)) };
}

t.test('packet hooks: chain, rewrite, replace, detach, resize', async (t) => {
  const outcomes = HOOK_BACKENDS.map(packetScenario);
  t.same(outcomes[1], outcomes[0], 'wasm gives what the interpreter gives');
  const o = outcomes[0] as { steps: { verdict: number; program: string | null; ran: number; data: string; counts: string[] }[]; strip: { verdict: number; ran: number; data: string }; alone: { verdict: number; action: string; data: string }; total: string };
  const rewritten = (f: Uint8Array): string => hex(Uint8Array.of(0xaa, ...f.subarray(1)));
  t.match(o.steps[0], { verdict: XdpAction.PASS, program: null, ran: 2, data: rewritten(tcp), counts: ['1', '1'] }, 'tcp passes both, rewritten by the first');
  t.match(o.steps[1], { verdict: XdpAction.DROP, program: 'xdp_drop_udp', ran: 2, data: rewritten(udp), counts: ['2', '2'] }, 'udp dropped by the second, after the first rewrote it');
  t.match(o.steps[2], { verdict: XdpAction.PASS, data: hex(tcp), counts: ['12', '3'] }, 'the replacement counts by ten on the same map');
  t.match(o.steps[3], { verdict: XdpAction.PASS, ran: 1, counts: ['22', '3'] }, 'after detach, udp passes and the detached program no longer counts');
  t.same(o.strip, { verdict: XdpAction.PASS, ran: 2, data: hex(Uint8Array.of(0xaa, ...tcp.subarray(15, tcp.length - 4))) }, 'a chain call action lets the next program see the resized frame');
  t.same(o.alone, { verdict: XdpAction.TX, action: 'tx', data: hex(udp.subarray(14, udp.length - 4)) }, 'XDP_TX ends the chain with the stripped frame');
  t.equal(o.total, String(1 + 1 + 10 + 10 + 1), 'the shared totals followed every counting program');
});

t.test('a packet hook with one program gives what testRun gives', async (t) => {
  for (const backend of HOOK_BACKENDS) {
    for (const name of ['xdp_count', 'xdp_drop_udp', 'xdp_strip']) {
      for (const frame of [tcp, udp]) {
        const { load } = liveHooks(backend);
        const hook = new PacketHook('one');
        attach(hook, load(name));
        const r = hook.dispatch(frame);
        const object = hooksObject();
        const ref = testRun(new Instance(object, { nCpus: 2 }), object.programs.find((p) => p.name === name)!, backendByName(backend), { data: frame });
        t.same([r.verdict, hex(r.data)], [ref.retval, hex(ref.dataOut)], `${backend} ${name}`);
      }
    }
  }
});

t.test('packet hooks refuse what the kernel refuses', async (t) => {
  const { load } = liveHooks('interp');
  const hook = new PacketHook('eth0');
  t.equal(codeOf(() => attach(hook, load('filter_min_len'))), 'HOOK_PROG_TYPE', 'a socket filter on an XDP hook');
  const link = attach(hook, load('xdp_count'));
  t.equal(codeOf(() => hook.dispatch(new Uint8Array(10))), 'TEST_RUN_DATA_SIZE', 'a frame shorter than an Ethernet header');
  t.equal(codeOf(() => replace(link, 'tp_sum')), 'HOOK_PROG_TYPE', 'replacing by a program of another type');
  t.equal(hook.links[0]!.program.spec.name, 'xdp_count', 'a refused replacement leaves the program in place');
  detach(link);
  t.equal(codeOf(() => replace(link, 'xdp_count_v2')), 'HOOK_DETACHED', 'replacing a detached link');
  t.same(hook.dispatch(tcp), { verdict: XdpAction.PASS, action: 'pass', data: tcp, meta: 0, ran: 0 }, 'no program: XDP_PASS, frame unchanged');
});

/** Filter hook scenario: keep counts, drops, the trim pipeline, a buffer larger than the first region. */
function filterScenario(backend: string): unknown {
  const { instance, load } = liveHooks(backend);
  const hook = new FilterHook('sock');
  const first = attach(hook, load('filter_first_byte'));
  const big = new Uint8Array(5000).map((_, i) => i & 0xff);
  big[0] = 200;
  const out: unknown[] = [];
  const step = (bytes: Uint8Array): void => {
    const r = hook.dispatch(bytes);
    out.push({ keep: r.keep, data: hex(r.data), droppedBy: r.droppedBy ?? null, ran: r.ran });
  };
  step(Uint8Array.of(5, 1, 2, 3, 4, 5, 6, 7));
  step(Uint8Array.of(0, 1, 2, 3));
  step(big);
  attach(hook, load('filter_min_len'));
  step(Uint8Array.of(9, 1, 2));
  step(Uint8Array.of(2, 1, 2, 3, 4, 5));
  step(Uint8Array.of(4, 1, 2, 3, 4, 5));
  detach(first);
  step(Uint8Array.of(2, 1, 2, 3, 4, 5));
  return { out, counts: counts(instance).slice(2, 4).map(String) };
}

t.test('filter hooks: bytes to keep, drops, a pipeline of trims', async (t) => {
  const outcomes = HOOK_BACKENDS.map(filterScenario);
  t.same(outcomes[1], outcomes[0], 'wasm gives what the interpreter gives');
  const o = outcomes[0] as { out: { keep: number; droppedBy: string | null; ran: number; data: string }[]; counts: string[] };
  t.same(o.out.map((r) => [r.keep, r.droppedBy, r.ran]), [
    [5, null, 1], [0, 'filter_first_byte', 1], [200, null, 1],
    [0, 'filter_min_len', 2], [0, 'filter_min_len', 2], [4, null, 2], [6, null, 1],
  ]);
  t.equal(o.out[0]!.data, '0501020304', 'the kept bytes are the first ones');
  t.equal(o.out[2]!.data.length, 400, 'a 5000-byte buffer is filtered whole');
  t.same(o.counts, ['6', '4'], 'each filter ran as often as reported');
});

const REQUEST_FORMAT = `name: request
ID: 1234
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:u32 client;\toffset:8;\tsize:4;\tsigned:0;
\tfield:u32 status;\toffset:12;\tsize:4;\tsigned:0;
\tfield:u64 bytes;\toffset:16;\tsize:8;\tsigned:0;
\tfield:char path[8];\toffset:24;\tsize:8;\tsigned:0;
`;

/** Tracepoint scenario: results ANDed as trace_call_bpf does, listeners, totals per client. */
function tracepointScenario(backend: string): unknown {
  const { instance, load } = liveHooks(backend);
  const tps = new TracepointRegistry();
  const tp = tps.declare('app/request', REQUEST_FORMAT);
  const kept: string[] = [];
  tp.onEvent((r) => kept.push(hex(r)));
  const results: number[] = [];
  const fire = (client: number, status: number, bytes: bigint): void => {
    results.push(tps.fire('app/request', { client, status, bytes, path: '/x' }, { pid: 42 }).result);
  };
  const sum = attach(tp, load('tp_sum'));
  fire(7, 200, 1000n);
  fire(7, 404, 5n);
  const odd = attach(tp, load('tp_bytes'));
  fire(8, 200, 1001n);
  fire(8, 200, 1000n);
  detach(sum);
  fire(9, 500, 3n);
  detach(odd);
  fire(9, 500, 4n);
  return { results, kept, totals: [7, 8, 9].map((c) => String(sharedTotal(instance, c))), calls: String(counts(instance)[4]) };
}

t.test('tracepoints: records, results ANDed like trace_call_bpf, listeners', async (t) => {
  const outcomes = HOOK_BACKENDS.map(tracepointScenario);
  t.same(outcomes[1], outcomes[0], 'wasm gives what the interpreter gives');
  const o = outcomes[0] as { results: number[]; kept: string[]; totals: string[]; calls: string };
  t.same(o.results, [1, 0, 1, 0, 1, 1], 'status < 400 keeps; an even byte count clears the low bit; no program keeps');
  t.same(o.totals, ['1005', '2001', 'undefined'], 'the program summed bytes per client while attached');
  t.equal(o.calls, '4', 'tp_sum ran once per firing while attached');
  t.equal(o.kept.length, 4, 'listeners received the kept records only');
  t.equal(o.kept[0], '0100' + '0000' + '2a000000' + '07000000' + 'c8000000' + 'e803000000000000' + '2f78000000000000', 'the record in the kernel layout: common header, then the fields');
});

t.test('tracepoint declarations are checked', async (t) => {
  const tps = new TracepointRegistry();
  t.same(parseTracepointFormat(REQUEST_FORMAT).fields.map((f) => [f.name, f.offset, f.size]), [['client', 8, 4], ['status', 12, 4], ['bytes', 16, 8], ['path', 24, 8]]);
  tps.declare('app/request', REQUEST_FORMAT);
  t.equal(codeOf(() => tps.declare('app/request', REQUEST_FORMAT)), 'HOOK_TRACEPOINT_EXISTS');
  t.equal(codeOf(() => tps.fire('app/other', {})), 'HOOK_NO_TRACEPOINT');
  t.equal(codeOf(() => tps.fire('app/request', { nope: 1 })), 'HOOK_RECORD', 'an unknown field');
  t.equal(codeOf(() => tps.declare('app/bad', { fields: [{ name: 'x', offset: 4, size: 4 }] })), 'HOOK_RECORD', 'a field over the common header');
  const { load } = liveHooks('interp');
  t.equal(codeOf(() => attach(tps.get('app/request'), load('on_entry'))), 'HOOK_PROG_TYPE', 'a kprobe program on a tracepoint');
});

/** Probe scenario: arguments of every kind, return values, throws, detach. */
function probeScenario(backend: string): unknown {
  const { instance, load } = liveHooks(backend);
  const greet = (n: number | bigint, label: unknown): number => Number(n) + String(label).length;
  const probed = probe(greet, { entry: load('on_entry'), return: load('on_return') });
  const thrower = probe((n: number): number => { throw new RangeError(`no ${n}`); }, { entry: load('on_entry'), return: load('on_return') });
  const returns = [probed(41, 'hello'), probed(-1n, new TextEncoder().encode('bytes\0')), probed(3, 'a string longer than sixteen bytes')];
  const thrown = (() => { try { thrower(7); return 'none'; } catch (err) { return (err as Error).message; } })();
  const beforeDetach = counts(instance).slice(5, 7).map(String);
  probed.links.entry!.detach();
  returns.push(probed(1, 'x'));
  return { returns, thrown, beforeDetach, after: counts(instance).slice(5, 7).map(String), events: callEvents(instance).map(([a, r, s]) => [a.toString(16), String(r), s]), name: probed.name, ids: probed.probeId !== thrower.probeId };
}

t.test('probes: arguments reach the entry program, return values the return program', async (t) => {
  const outcomes = HOOK_BACKENDS.map(probeScenario);
  t.same(outcomes[1], outcomes[0], 'wasm gives what the interpreter gives');
  const o = outcomes[0] as { returns: number[]; thrown: string; beforeDetach: string[]; after: string[]; events: string[][]; name: string; ids: boolean };
  t.same(o.returns, [46, -1 + '98,121,116,101,115,0'.length, 37, 2], 'the probed function returns what the original does');
  t.equal(o.thrown, 'no 7', 'an exception passes through');
  t.same(o.beforeDetach, ['4', String(46 + 19 + 37)], 'entry ran on every call; return summed the return values, not on the throw');
  t.same(o.after, ['4', String(46 + 19 + 37 + 2)], 'a detached entry program no longer runs; the return program still does');
  t.same(o.events, [
    ['29', '0', 'hello'], ['ffffffffffffffff', '0', 'bytes'], ['3', '0', 'a string longer'], ['7', '0', ''],
  ], 'di holds the first argument; the string at si is read with bpf_probe_read_user_str');
  t.equal(o.name, 'greet', 'the wrapper keeps the name');
  t.ok(o.ids, 'each probe has its own id');
});

t.test('the hook benchmark drives every hook kind', async (t) => {
  let clock = 0;
  const rows = benchHooks(() => new Instance(hooksObject(), { nCpus: 2 }), backendByName('interp'), () => (clock += 1), { ms: 2, batch: 5 });
  t.same(rows.map((r) => [r.hook, r.backend, r.events]), [['packet', 'interp', 10], ['filter', 'interp', 10], ['tracepoint', 'interp', 10], ['probe', 'interp', 10]], 'two batches each on a clock that ticks once per reading');
});

const kernelBpf = (await import('../../../runtimes/node/bpf-syscall.js')) as unknown as KernelBpf;
const kernelProbe = kernelBpf.available();

t.test('the hook benchmark says why it has no kernel figure', async (t) => {
  t.same(kernelHookRows(() => new Instance(hooksObject(), { nCpus: 2 }), undefined, 'no bpf() here'), { unavailable: 'no bpf() here' });
});

t.test('the hook benchmark has a kernel figure for the packet and filter hooks', { skip: kernelProbe.ok ? false : `bpf() unavailable: ${kernelProbe.reason}` }, async (t) => {
  const rows = kernelHookRows(() => new Instance(hooksObject(), { nCpus: 2 }), kernelBpf, undefined, { ms: 20 });
  t.ok(Array.isArray(rows), 'measured');
  if (!Array.isArray(rows)) return;
  t.same(rows.map((r) => [r.hook, r.backend]), [['packet', 'kernel'], ['filter', 'kernel']]);
  t.ok(rows.every((r) => r.events > 0 && Number.isFinite(r.eventsPerSecond) && r.eventsPerSecond > 0), 'events per second from the kernel timer');
});
