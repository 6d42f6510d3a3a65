/**
 * @file The user-space API with the `hooks.c` fixture: maps over raw bytes
 * and typed, per-CPU values, pinning shared between objects, a ring buffer
 * as an async iterator, and replacing a program by another object's. The
 * same scenario runs on every backend and on the module `ebpf2wasm compile`
 * writes; all must agree.
 */

import t from 'tap';
import { readFileSync } from 'node:fs';
import { ipv4Frame } from '../../../src/cli/packets.js';
import { loadObject } from '../../../src/elf/index.js';
import { compileObject } from '../../../src/host/compile.js';
import { PacketHook, attach, probe, replace } from '../../../src/host/hooks/index.js';
import { openObject, PinRegistry, UpdateFlags, type OpenedObject } from '../../../src/host/api/index.js';
import { HOOKS_OBJECT, codeOf, hex } from '../hooks/support.js';

const elf = new Uint8Array(readFileSync(HOOKS_OBJECT));
const compiled = compileObject(loadObject(elf)).bytes;
const frame = ipv4Frame({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 4000, dport: 80, payload: 'x' });

/** Where the scenario runs: a backend name for the ELF object, or `compiled` for the `.wasm`. */
const TARGETS = ['interp', 'wasm', 'x86-64', 'arm64', 'compiled'] as const;

function open(target: string, pins: PinRegistry, extra: object = {}): OpenedObject {
  return target === 'compiled'
    ? openObject(compiled, { pins, nCpus: 2, ...extra })
    : openObject(elf, { backend: target, pins, nCpus: 2, file: 'hooks-el.o', ...extra });
}

/** Everything the API shows after a fixed sequence of calls. */
function mapsScenario(target: string): unknown {
  const pins = new PinRegistry();
  const a = open(target, pins);
  const counts = a.map('counts').as('u32', 'u64');
  counts.set(7, 5n);
  const hook = new PacketHook('eth0');
  const link = attach(hook, a.program('xdp_count'));
  for (let i = 0; i < 3; i++) hook.dispatch(frame);
  // a program running on CPU 1, on a's per-CPU map
  const onCpu1 = open(target, pins, { cpu: 1, reuseMaps: { percpu_hits: a.map('percpu_hits') } });
  const hook1 = new PacketHook('eth0-cpu1');
  attach(hook1, onCpu1.program('xdp_count'));
  hook1.dispatch(frame);
  const totals = a.map('shared_totals').as('u32', 'u64');
  totals.set(5, 50n, UpdateFlags.NOEXIST);
  const afterSet = [...totals];
  const deleted = [totals.delete(5), totals.delete(5)];
  const noexist = codeOf(() => totals.set(1, 0n, UpdateFlags.NOEXIST));

  // a second object shares the pinned map, not the others
  const b = open(target, pins);
  const sharedByPin = b.map('shared_totals').map === a.map('shared_totals').map;
  const hookB = new PacketHook('eth1');
  attach(hookB, b.program('xdp_count'));
  hookB.dispatch(frame);
  // replacing a's program by b's v2: the pinned map carries on
  replace(link, b.program('xdp_count_v2'));
  hook.dispatch(frame);

  // an explicit pin given to a third object with reuseMaps
  a.pin('counts', 'a_counts');
  const c = open(target, pins, { reuseMaps: { counts: pins.openPinned('a_counts') } });
  c.map('counts').as('u32', 'u64').set(3, 333n);

  return {
    counts: [...counts].map(([k, v]) => `${k}=${v}`),
    raw: hex(a.map('counts').lookup(0)!),
    iterated: [...a.map('counts').iterate()].length,
    perCpu: a.map('percpu_hits').as('u32', 'u64').getPerCpu(0)!.map(String),
    perCpuRaw: a.map('percpu_hits').lookupPerCpu(0)!.map(hex),
    afterSet: afterSet.map(([k, v]) => `${k}=${v}`),
    deleted, noexist, sharedByPin,
    totals: [...totals].map(([k, v]) => `${k}=${v}`),
    bCounts: String(b.map('counts').as('u32', 'u64').get(0)),
    aCount3: String(counts.get(3)),
    pinned: pins.names(),
  };
}

t.test('maps, per-CPU values and pinning: the same on every backend and on the compiled module', async (t) => {
  const outcomes = TARGETS.map(mapsScenario);
  for (let i = 1; i < TARGETS.length; i++) t.same(outcomes[i], outcomes[0], `${TARGETS[i]} gives what interp gives`);
  t.same(outcomes[0], {
    counts: ['0=3', '1=0', '2=0', '3=333', '4=0', '5=0', '6=0', '7=5'],
    raw: '0300000000000000',
    iterated: 8,
    perCpu: ['3', '1'],
    perCpuRaw: ['0300000000000000', '0100000000000000'],
    afterSet: ['1=4', '5=50'],
    deleted: [true, false],
    noexist: 'API_MAP_OP',
    sharedByPin: true,
    totals: ['1=15'],
    bCounts: '11',
    aCount3: '333',
    pinned: ['shared_totals', 'a_counts'],
  }, 'typed and raw views, per-CPU values, the pinned map shared, the replacement counting on it');
});

t.test('a ring buffer as an async iterator, ended by an AbortSignal', async (t) => {
  for (const target of ['interp', 'wasm', 'compiled']) {
    const obj = open(target, new PinRegistry());
    const traced = probe((n: number, s: string) => n + s.length, { entry: obj.program('on_entry') });
    const controller = new AbortController();
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const record of obj.ringbuf('events', { signal: controller.signal })) {
        const text = record.subarray(16);
        seen.push(`${new DataView(record.buffer).getBigUint64(0, true)}:${new TextDecoder().decode(text.subarray(0, text.indexOf(0)))}`);
        if (seen.length === 3) controller.abort();
      }
      return 'ended';
    })();
    traced(1, 'one');
    await new Promise((r) => setImmediate(r));
    traced(2, 'two');
    traced(3, 'three');
    await new Promise((r) => setImmediate(r));
    traced(4, 'after');
    t.equal(await consumer, 'ended', `${target}: the loop ends once aborted`);
    t.same(seen, ['1:one', '2:two', '3:three'], `${target}: records in order, each once`);
    let none = 0;
    for await (const _ of obj.ringbuf('events', { signal: AbortSignal.abort() })) none++;
    t.equal(none, 0, `${target}: an already aborted signal ends at once`);
    const rest: string[] = [];
    const later = new AbortController();
    const timer = setTimeout(() => later.abort(), 50);
    for await (const r of obj.ringbuf('events', { signal: later.signal })) rest.push(hex(r.subarray(0, 1)));
    clearTimeout(timer);
    t.same(rest, ['04'], `${target}: the record after the abort stayed in the ring`);
  }
});

t.test('API errors are typed diagnostics', async (t) => {
  const pins = new PinRegistry();
  const obj = open('interp', pins);
  t.equal(codeOf(() => openObject(Uint8Array.of(1, 2, 3, 4))), 'API_NOT_OBJECT');
  t.equal(codeOf(() => obj.map('nope')), 'API_NO_MAP');
  t.equal(codeOf(() => obj.ringbuf('counts')), 'API_MAP_KIND');
  t.equal(codeOf(() => obj.map('counts').as('u64', 'u64')), 'API_SCALAR');
  t.equal(codeOf(() => obj.map('counts').lookupPerCpu(0)), 'API_MAP_KIND');
  t.equal(codeOf(() => obj.map('counts').update(0, Number.NaN)), 'API_SCALAR');
  t.equal(codeOf(() => pins.openPinned('nothing')), 'PIN_NOT_FOUND');
  t.equal(codeOf(() => obj.pin('counts', 'shared_totals')), 'PIN_EXISTS');
  t.equal(codeOf(() => new PinRegistry().pin('x', obj.map('counts').map)), 'PIN_MEMORY');
  const other = new PinRegistry();
  open('interp', other).pin('counts', 'elsewhere');
  t.equal(codeOf(() => open('interp', pins, { reuseMaps: { counts: other.openPinned('elsewhere') } })), 'PIN_MEMORY', 'a map from another memory');
  t.equal(codeOf(() => pins.pin('shared_totals', obj.map('shared_totals').map)), 'none', 'pinning the same map again');
  const wrong = new PinRegistry();
  const first = open('interp', wrong);
  wrong.unpin('shared_totals');
  wrong.pin('shared_totals', first.map('counts').map);
  t.equal(codeOf(() => open('interp', wrong)), 'PIN_INCOMPATIBLE', 'a pinned array where a hash is declared');
  t.equal(codeOf(() => open('interp', pins, { nCpus: 3, reuseMaps: { percpu_hits: obj.map('percpu_hits') } })), 'PIN_INCOMPATIBLE', 'per-CPU values for another number of CPUs');
});
