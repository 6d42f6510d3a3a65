/**
 * @file Host helpers without the kernel: the ones the kernel oracle cannot run
 * from a test program (probe reads, task values, clocks, ring buffer and perf
 * output, locks), the log of trace_printk, and faults as diagnostics.
 */

import t from 'tap';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import type { HelperFn } from '../../src/abi/helper-env.js';
import { MapType } from '../../src/abi/map-types.js';
import { DiagnosticError } from '../../src/diag/diagnostic.js';
import { createMap } from '../../src/host/maps/create.js';
import { MapRegistry } from '../../src/host/maps/registry.js';
import { PerfEventArrayMap } from '../../src/host/maps/perf-event-array.js';
import { RingbufMap } from '../../src/host/maps/ringbuf.js';
import type { HelperHost } from '../../src/host/helpers/host.js';
import { hostHelpers } from '../../src/host/helpers/table.js';
import { Prandom } from '../../src/host/helpers/prandom.js';
import { bprintf } from '../../src/host/helpers/bprintf.js';
import { helperEnv, runHost } from './harness.js';

const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));

function setup(extra: Partial<HelperHost> = {}) {
  const mem = new LinearMemory();
  const reg = new MapRegistry();
  const logs: string[] = [];
  let now = 5_000_000_123n;
  const rings: RingbufMap[] = [];
  const host: HelperHost = {
    map: (p) => reg.get(Number(p)), cpu: () => 1,
    clock: { monotonicNs: () => now, bootNs: () => now + 7n, hz: 100 },
    randomSeed: 42, log: (s) => logs.push(s),
    task: { pid: 100, tgid: 99, uid: 1000, gid: 1001, comm: 'a-very-long-command-name' },
    ...extra,
  };
  const h = hostHelpers(host, () => rings);
  const buf = mem.map('buf', 'heap', 256, true);
  const env = helperEnv(mem);
  const call = (id: number, ...r: bigint[]): bigint => (h.get(id) as HelperFn)(env, r[0] ?? 0n, r[1] ?? 0n, r[2] ?? 0n, r[3] ?? 0n, r[4] ?? 0n);
  return { mem, reg, logs, host, call, buf: buf.start, rings, setNow: (v: bigint) => { now = v; } };
}

t.test('time, cpu, task', (t) => {
  const s = setup();
  t.equal(s.call(5), 5_000_000_123n, 'ktime_get_ns');
  t.equal(s.call(125), 5_000_000_130n, 'ktime_get_boot_ns');
  t.equal(s.call(160), 5_000_000_000n, 'coarse: the last 10 ms tick at HZ=100');
  t.equal(s.call(118), BigInt((-300 * 100) >>> 0) + 500n, 'jiffies64 from INITIAL_JIFFIES');
  t.equal(s.call(8), 1n, 'get_smp_processor_id');
  t.equal(s.call(14), (99n << 32n) | 100n, 'pid_tgid');
  t.equal(s.call(15), (1001n << 32n) | 1000n, 'uid_gid');
  t.equal(s.call(16, BigInt(s.buf), 8n), 0n);
  t.equal(new TextDecoder().decode(s.mem.bytes.subarray(s.buf, s.buf + 8)), 'a-very-\0', 'comm cut to size with a NUL');
  s.mem.bytes.fill(0xff, s.buf, s.buf + 32);
  s.call(16, BigInt(s.buf), 32n);
  t.same([...s.mem.bytes.subarray(s.buf + 15, s.buf + 32)], new Array(17).fill(0), 'TASK_COMM_LEN 16: 15 bytes, the rest zero');
  const none = setup({ task: undefined });
  t.equal(none.call(14), neg(22), 'no task: -EINVAL');
  t.end();
});

t.test('prandom: seeded, deterministic, spread', (t) => {
  const a = new Prandom(42n);
  const b = new Prandom(42n);
  const c = new Prandom(43n);
  const xs = Array.from({ length: 1000 }, () => a.next());
  t.same(xs.slice(0, 10), Array.from({ length: 10 }, () => b.next()));
  t.not(xs[0], c.next());
  t.equal(new Set(xs).size, 1000, 'no repeats in 1000 draws');
  const mean = xs.reduce((x, y) => x + y, 0) / xs.length / 2 ** 32;
  t.ok(mean > 0.45 && mean < 0.55, `mean ${mean}`);
  const s = setup();
  t.equal(s.call(7), BigInt(new Prandom(42n).next()), 'get_prandom_u32 uses the host seed');
  t.end();
});

t.test('probe reads', (t) => {
  const s = setup({ probe: (space, addr, size) => (space === 'user' && addr === 0x7fff0000n ? new Uint8Array(size).fill(9) : undefined) });
  const src = s.mem.map('src', 'heap', 16, false);
  s.mem.bytes.set(new TextEncoder().encode('hello\0world'), src.start);
  t.equal(s.call(113, BigInt(s.buf), 4n, BigInt(src.start)), 0n);
  t.equal(new TextDecoder().decode(s.mem.bytes.subarray(s.buf, s.buf + 4)), 'hell');
  s.mem.bytes.fill(0xee, s.buf, s.buf + 8);
  t.equal(s.call(113, BigInt(s.buf), 8n, 0x10n), neg(14), 'a fault is -EFAULT');
  t.same([...s.mem.bytes.subarray(s.buf, s.buf + 8)], new Array(8).fill(0), 'and zeroes the destination');
  t.equal(s.call(112, BigInt(s.buf), 3n, 0x7fff0000n), 0n, 'user memory the host exposes');
  t.same([...s.mem.bytes.subarray(s.buf, s.buf + 3)], [9, 9, 9]);
  t.equal(s.call(115, BigInt(s.buf), 16n, BigInt(src.start)), 6n, 'str: length with the NUL');
  t.equal(s.call(115, BigInt(s.buf), 3n, BigInt(src.start)), 3n, 'str: truncated');
  t.same([...s.mem.bytes.subarray(s.buf, s.buf + 3)], [104, 101, 0], 'truncated and NUL-terminated');
  t.equal(s.call(45, BigInt(s.buf), 0n, BigInt(src.start)), 0n, 'size 0');
  t.end();
});

t.test('trace_printk goes to the log; %p prints the address', (t) => {
  const s = setup();
  s.mem.bytes.set(new TextEncoder().encode('pid %d ptr %p\0'), s.buf);
  t.equal(s.call(6, BigInt(s.buf), 14n, 7n, 0x1234n), BigInt('pid 7 ptr 0000000000001234'.length));
  t.same(s.logs, ['pid 7 ptr 0000000000001234']);
  t.equal(s.call(6, BigInt(s.buf), 3n, 7n), neg(22), 'no NUL within fmt_size');
  t.equal(bprintf(new TextEncoder().encode('%d %d %d %d'), [1n, 2n, 3n], { string: () => undefined, read: () => undefined }), -22, 'more conversions than arguments');
  t.end();
});

t.test('ring buffer helpers and a consumer', (t) => {
  const s = setup();
  const rb = createMap({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'events' }, s.mem) as RingbufMap;
  s.rings.push(rb);
  const id = BigInt(s.reg.add(rb));
  const p = s.call(131, id, 16n, 0n);
  t.ok(p > 0n, 'reserve');
  s.mem.view.setBigUint64(Number(p), 0x1122334455667788n, true);
  s.call(132, p, 0n);
  const q = s.call(131, id, 8n, 0n);
  s.call(133, q, 0n);
  s.mem.view.setUint32(s.buf, 0xabcd, true);
  t.equal(s.call(130, id, BigInt(s.buf), 4n, 0n), 0n, 'output');
  t.equal(s.call(134, id, 1n), 4096n, 'query ring size');
  const got: string[] = [];
  rb.consume((x) => got.push(Buffer.from(x).toString('hex')));
  t.same(got, ['8877665544332211' + '0'.repeat(16), 'cdab0000']);
  t.equal(s.call(131, id, 16n, 1n), 0n, 'reserve with flags is NULL');
  t.throws(() => s.call(132, BigInt(s.buf + 8), 0n), DiagnosticError, 'submitting a pointer no ring owns faults with a diagnostic');
  t.end();
});

t.test('perf_event_output on the current CPU', (t) => {
  const s = setup();
  const pe = createMap({ type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }, s.mem, { nCpus: 2 }) as PerfEventArrayMap;
  const id = BigInt(s.reg.add(pe));
  s.mem.bytes.set([1, 2, 3], s.buf);
  t.equal(s.call(25, 0n, id, 0xffffffffn, BigInt(s.buf), 3n), 0n);
  t.same(pe.drain(1).map((r) => [...r]), [[1, 2, 3]], 'lands on CPU 1, the current one');
  t.end();
});

t.test('spin lock word, map_lookup_percpu_elem', (t) => {
  const s = setup();
  s.call(93, BigInt(s.buf));
  t.equal(s.mem.view.getUint32(s.buf, true), 1);
  s.call(94, BigInt(s.buf));
  t.equal(s.mem.view.getUint32(s.buf, true), 0);
  const m = createMap({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }, s.mem, { nCpus: 2 });
  const id = BigInt(s.reg.add(m));
  s.mem.view.setUint32(s.buf, 1, true);
  s.mem.view.setUint32(s.buf + 4, 55, true);
  t.equal(s.call(2, id, BigInt(s.buf), BigInt(s.buf + 4), 0n), 0n, 'update on the current CPU (1)');
  const on1 = s.call(195, id, BigInt(s.buf), 1n);
  const on0 = s.call(195, id, BigInt(s.buf), 0n);
  t.equal(s.mem.view.getUint32(Number(on1), true), 55);
  t.equal(s.mem.view.getUint32(Number(on0), true), 0);
  t.equal(s.call(195, id, BigInt(s.buf), 2n), 0n, 'cpu past nr_cpu_ids: NULL');
  const plain = BigInt(s.reg.add(createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }, s.mem)));
  t.equal(s.call(195, plain, BigInt(s.buf), 0n), 0n, 'not a per-CPU map: NULL');
  t.end();
});

t.test('bad pointers are diagnostics, not crashes', (t) => {
  const s = setup();
  const m = createMap({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2 }, s.mem);
  const id = BigInt(s.reg.add(m));
  t.throws(() => s.call(1, id, 0x10n), { code: 'HOST_HELPER_FAULT' });
  t.throws(() => s.call(1, 12345n, BigInt(s.buf)), { code: 'HOST_HELPER_BAD_MAP' });
  t.throws(() => s.call(2, id, BigInt(s.buf), 0xffffffffffn, 0n), { code: 'HOST_HELPER_FAULT' });
  // inside a program: the interpreter reports the helper's diagnostic
  const r = runHost({ asm: 'mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, 0\ncall 113\nexit\n' }, { nCpus: 1 });
  t.equal(r.r0, 0xfffffff2, 'probe_read_kernel of NULL: -EFAULT, not a fault');
  const bad = runHost({ asm: 'lddw %r1, map_by_fd(0)\nmov %r2, 16\ncall 1\nexit\n', maps: [{ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 1 }] }, { nCpus: 1 });
  t.match(String(bad.r0), /HOST_HELPER_FAULT|outside every memory region/);
  t.end();
});
