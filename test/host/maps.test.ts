/**
 * @file Host maps without the kernel: what the differential test cannot reach
 * (values addressable in the linear memory, ring buffer layout, LRU eviction,
 * perf event records, map-in-map, creation diagnostics).
 */

import t from 'tap';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { MapType } from '../../src/abi/map-types.js';
import { DiagnosticError } from '../../src/diag/diagnostic.js';
import { createMap } from '../../src/host/maps/create.js';
import { E2BIG, EAGAIN, EBADF, EEXIST, EINVAL, ENOENT, EOPNOTSUPP } from '../../src/host/maps/errno.js';
import {
  BPF_EXIST, BPF_F_INNER_MAP, BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_NOEXIST,
} from '../../src/host/maps/flags.js';
import { sysFreeze, sysGetNextKey, sysLookup, sysUpdate } from '../../src/host/maps/syscall.js';
import { runHost } from './harness.js';
import type { BpfMap } from '../../src/host/maps/map.js';
import { FdArrayMap, HashOfMapsMap } from '../../src/host/maps/fd-maps.js';
import { HashMap } from '../../src/host/maps/hash.js';
import { jhash } from '../../src/host/maps/jhash.js';
import { keyId } from '../../src/host/maps/key.js';
import { PerfEventArrayMap, BPF_F_CURRENT_CPU } from '../../src/host/maps/perf-event-array.js';
import { MapRegistry } from '../../src/host/maps/registry.js';
import { BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, RingbufMap } from '../../src/host/maps/ringbuf.js';

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([n]).buffer);

t.test('values live in the linear memory and stay put', (t) => {
  const mem = new LinearMemory();
  for (const type of [MapType.ARRAY, MapType.HASH, MapType.LRU_HASH, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY]) {
    const m = createMap({ type, keySize: 4, valueSize: 8, maxEntries: 300, name: `m${type}` }, mem, { nCpus: 3 });
    for (let i = 0; i < 300; i++) t.equal(m.update(u32(i), u64(BigInt(i) * 3n), 0, i % 3), 0);
    const a = m.lookup(u32(123), 0 % 3)!;
    const b = m.lookup(u32(123), 123 % 3)!;
    t.ok(mem.find(b, 8)?.writable, `type ${type}: value is in a writable region`);
    t.equal(mem.view.getBigUint64(b, true), 369n, `type ${type}: the program reads the value through the pointer`);
    // a store through the pointer is what user space sees
    mem.view.setBigUint64(b, 7n, true);
    const out = new Uint8Array(m.userValueSize);
    t.equal(m.lookupUser(u32(123), out, 0), 0);
    const view = new DataView(out.buffer);
    t.equal(view.getBigUint64(m.userValueSize === 8 ? 0 : (123 % 3) * 8, true), 7n);
    // growing the memory with more maps does not move values
    createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 4096, maxEntries: 64 }, mem);
    t.equal(m.lookup(u32(123), 0), a, `type ${type}: address stable`);
  }
  t.end();
});

t.test('keyId never confuses keys', (t) => {
  const seen = new Map<string, string>();
  for (const len of [1, 2, 3, 4, 5, 6, 7, 8, 9, 16]) {
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(len).map((_, j) => (i * 2654435761 >>> (j * 3)) & 0xff);
      const id = `${len}:${typeof keyId(b, 0, len)}:${String(keyId(b, 0, len))}`;
      const hex = Buffer.from(b).toString('hex');
      const prev = seen.get(id);
      if (prev !== undefined && prev !== hex) t.fail(`collision ${prev} vs ${hex}`);
      seen.set(id, hex);
    }
  }
  const hi = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 0xff]);
  t.equal(typeof keyId(hi, 0, 8), 'string', 'large 8-byte keys become strings');
  t.end();
});

t.test('jhash known values', (t) => {
  // lookup3 reference: hashlittle("", 0) = 0xdeadbeef; "Four score and seven years ago" with 0 → 0x17770551
  t.equal(jhash(new Uint8Array(0), 0, 0, 0), 0xdeadbeef);
  const s = new TextEncoder().encode('Four score and seven years ago');
  t.equal(jhash(s, 0, s.length, 0), 0x17770551);
  t.equal(jhash(s, 0, s.length, 1), 0xcd628161);
  t.end();
});

t.test('hash: full map, flags and in-place replacement', (t) => {
  const mem = new LinearMemory();
  const m = createMap({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2 }, mem);
  t.equal(m.update(u32(1), u32(10), BPF_EXIST, 0), -ENOENT);
  t.equal(m.update(u32(1), u32(10), BPF_NOEXIST, 0), 0);
  t.equal(m.update(u32(1), u32(11), BPF_NOEXIST, 0), -EEXIST);
  t.equal(m.update(u32(2), u32(20), 0, 0), 0);
  t.equal(m.update(u32(3), u32(30), 0, 0), -E2BIG, 'full');
  t.equal(m.update(u32(2), u32(21), 0, 0), 0, 'replacing in a full map works');
  t.equal(m.update(u32(2), u32(21), 3, 0), -EINVAL, 'bad flags');
  t.equal(m.delete(u32(3)), -ENOENT);
  t.equal(m.delete(u32(1)), 0);
  t.equal(m.update(u32(3), u32(30), 0, 0), 0, 'a freed slot is reused');
  t.equal(m.count, 2);
  t.end();
});

t.test('lru: eviction under pressure keeps recently used keys', (t) => {
  const mem = new LinearMemory();
  const m = createMap({ type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 4 }, mem) as HashMap;
  for (let i = 0; i < 4; i++) t.equal(m.update(u32(i), u32(i), 0, 0), 0);
  t.ok(m.lookup(u32(0), 0) !== undefined, 'touch key 0');
  t.equal(m.update(u32(4), u32(4), 0, 0), 0, 'an lru map never reports full');
  t.equal(m.count, 4);
  t.ok(m.lookup(u32(0), 0) !== undefined, 'recently used key 0 survives');
  t.equal(m.lookup(u32(1), 0), undefined, 'the oldest untouched key 1 is evicted');
  for (let i = 5; i < 100; i++) t.equal(m.update(u32(i), u32(i), 0, 0), 0);
  t.equal(m.count, 4);
  t.ok(m.lookup(u32(99), 0) !== undefined, 'the newest key is present');
  t.end();
});

t.test('queue/stack/bloom from the program side', (t) => {
  const mem = new LinearMemory();
  const q = createMap({ type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 }, mem);
  const s = createMap({ type: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 2 }, mem);
  for (const m of [q, s]) {
    t.equal(m.push(u32(1), 0), 0);
    t.equal(m.push(u32(2), 0), 0);
    t.equal(m.push(u32(3), 0), -E2BIG);
    t.equal(m.push(u32(3), BPF_EXIST), 0, 'BPF_EXIST overwrites the oldest');
    t.equal(m.push(u32(3), BPF_NOEXIST), -EINVAL);
  }
  const out = new Uint8Array(4);
  t.equal(q.pop(out), 0); t.same([...out], [2, 0, 0, 0], 'queue: FIFO after overwrite');
  t.equal(s.pop(out), 0); t.same([...out], [3, 0, 0, 0], 'stack: LIFO');
  t.equal(s.peek(out), 0); t.same([...out], [2, 0, 0, 0]);
  t.equal(s.pop(out), 0); t.equal(s.pop(out), -ENOENT);
  const b = createMap({ type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 100 }, mem);
  for (let i = 0; i < 100; i++) b.push(u32(i * 7), 0);
  for (let i = 0; i < 100; i++) t.equal(b.peek(u32(i * 7)), 0, 'no false negatives');
  let fp = 0;
  for (let i = 0; i < 1000; i++) if (b.peek(u32(100000 + i)) === 0) fp++;
  t.ok(fp < 100, `false positives ${fp}/1000`);
  t.equal(b.pop(out), -EOPNOTSUPP);
  t.end();
});

t.test('lpm trie: longest match, prefix limits', (t) => {
  const mem = new LinearMemory();
  const m = createMap({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 8, flags: BPF_F_NO_PREALLOC }, mem);
  const key = (plen: number, a: number, b: number, c: number, d: number): Uint8Array => new Uint8Array([plen, 0, 0, 0, a, b, c, d]);
  t.equal(m.update(key(8, 10, 0, 0, 0), u32(8), 0, 0), 0);
  t.equal(m.update(key(24, 10, 1, 2, 0), u32(24), 0, 0), 0);
  t.equal(m.update(key(0, 0, 0, 0, 0), u32(0), 0, 0), 0);
  t.equal(m.update(key(33, 0, 0, 0, 0), u32(0), 0, 0), -EINVAL);
  const val = (k: Uint8Array): number | undefined => {
    const a = m.lookup(k, 0);
    return a === undefined ? undefined : mem.view.getUint32(a, true);
  };
  t.equal(val(key(32, 10, 1, 2, 3)), 24);
  t.equal(val(key(32, 10, 9, 9, 9)), 8);
  t.equal(val(key(32, 11, 1, 2, 3)), 0, 'the /0 default route');
  t.equal(val(key(16, 10, 1, 2, 3)), 8, 'the key prefixlen bounds the match');
  t.end();
});

t.test('lpm trie: lookups agree with a brute-force longest match through inserts and deletes', (t) => {
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  for (const dataSize of [1, 2, 4, 8]) {
    const mem = new LinearMemory();
    const bits = dataSize * 8;
    const m = createMap({ type: MapType.LPM_TRIE, keySize: 4 + dataSize, valueSize: 4, maxEntries: 64, flags: BPF_F_NO_PREALLOC }, mem);
    const live = new Map<string, { plen: number; data: number[]; value: number }>();
    // data near a few bases, so prefixes nest and part at every depth
    const bases = Array.from({ length: 3 }, () => Array.from({ length: dataSize }, () => rnd(256)));
    const data = (): number[] => bases[rnd(3)]!.map((b) => (rnd(3) === 0 ? rnd(256) : b));
    const key = (plen: number, d: readonly number[]): Uint8Array => new Uint8Array([plen, 0, 0, 0, ...d]);
    const bit = (d: readonly number[], i: number): number => (d[i >> 3]! >> (7 - (i & 7))) & 1;
    const covers = (e: { plen: number; data: number[] }, plen: number, d: readonly number[]): boolean => {
      if (e.plen > plen) return false;
      for (let i = 0; i < e.plen; i++) if (bit(e.data, i) !== bit(d, i)) return false;
      return true;
    };
    const id = (plen: number, d: readonly number[]): string => `${plen}:${Array.from({ length: plen }, (_, i) => bit(d, i)).join('')}`;
    let mismatches = 0;
    for (let step = 0; step < 3000; step++) {
      const plen = rnd(bits + 1);
      const d = data();
      const op = rnd(10);
      if (op < 4 && live.size < 64) {
        const value = step;
        t.equal(m.update(key(plen, d), u32(value), 0, 0), 0);
        live.set(id(plen, d), { plen, data: d, value });
      } else if (op < 6) {
        const had = live.delete(id(plen, d));
        t.equal(m.delete(key(plen, d)), had ? 0 : -ENOENT);
      } else {
        let best: { plen: number; value: number } | undefined;
        for (const e of live.values()) if (covers(e, plen, d) && (best === undefined || e.plen > best.plen)) best = e;
        const a = m.lookup(key(plen, d), 0);
        const got = a === undefined ? undefined : mem.view.getUint32(a, true);
        if (got !== best?.value) mismatches++;
      }
    }
    t.equal(mismatches, 0, `${dataSize}-byte data: every lookup finds the longest matching prefix`);
  }
  t.end();
});

t.test('ring buffer: record layout, wrap-around, discard, full', (t) => {
  const mem = new LinearMemory();
  const rb = createMap({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }, mem) as RingbufMap;
  let wakeups = 0;
  rb.onWakeup = () => { wakeups++; };
  const p = rb.reserve(10, 0);
  t.ok(p > 0);
  const v = mem.view;
  t.equal(v.getUint32(p - BPF_RINGBUF_HDR_SZ, true), (10 | BPF_RINGBUF_BUSY_BIT) >>> 0, 'busy header while reserved');
  t.equal(rb.query(3), 16n + 8n, 'producer advanced by round_up(10 + 8, 8)');
  mem.bytes.set(new TextEncoder().encode('0123456789'), p);
  const got: string[] = [];
  t.equal(rb.consume((s) => got.push(new TextDecoder().decode(s))), 0, 'a busy record stops the consumer');
  rb.commit(p, 0, false);
  t.equal(v.getUint32(p - BPF_RINGBUF_HDR_SZ, true), 10);
  t.equal(wakeups, 1, 'wakes the waiting consumer');
  const d = rb.reserve(4, 0);
  rb.commit(d, 1 /* NO_WAKEUP */, true);
  t.equal(v.getUint32(d - 8, true), (4 | BPF_RINGBUF_DISCARD_BIT) >>> 0);
  t.equal(rb.consume((s) => got.push(new TextDecoder().decode(s))), 1);
  t.same(got, ['0123456789'], 'discarded records are skipped');
  t.equal(rb.query(0), 0n, 'nothing left');
  t.equal(rb.reserve(1, 1), 0, 'flags must be 0');
  t.equal(rb.reserve(4096, 0), 0, 'larger than the ring');
  // fill, then wrap a record across the end
  let n = 0;
  while (rb.output(new Uint8Array(1000).fill(n & 0xff), 0) === 0) n++;
  t.equal(rb.output(new Uint8Array(1000), 0), -EAGAIN, 'full ring: -EAGAIN');
  const sizes: number[] = [];
  rb.consume((s) => sizes.push(s.length));
  t.equal(sizes.length, n);
  t.equal(rb.output(new Uint8Array(3000).fill(0xab), 0), 0, 'a record wrapping the end');
  const wrapped: Uint8Array[] = [];
  rb.consume((s) => wrapped.push(s));
  t.equal(wrapped[0]!.length, 3000);
  t.ok(wrapped[0]!.every((x) => x === 0xab), 'contiguous across the wrap');
  t.equal(rb.output(new Uint8Array(1), 4), -EINVAL, 'unknown flags');
  t.end();
});

t.test('perf event array: per-CPU records', (t) => {
  const mem = new LinearMemory();
  const m = createMap({ type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }, mem, { nCpus: 2 }) as PerfEventArrayMap;
  t.equal(m.output(BPF_F_CURRENT_CPU, new Uint8Array([1]), 1), 0);
  t.equal(m.output(0n, new Uint8Array([2]), 0), 0);
  t.equal(m.output(0n, new Uint8Array([2]), 1), -EOPNOTSUPP, 'another CPU\'s event');
  t.equal(m.output(3n, new Uint8Array([2]), 1), -ENOENT, 'no event opened at index 3');
  t.equal(m.output(4n, new Uint8Array([2]), 1), -E2BIG);
  t.equal(m.output(1n << 60n, new Uint8Array([2]), 1), -EINVAL);
  t.same(m.drain(1).map((r) => [...r]), [[1]]);
  t.same(m.drain(0).map((r) => [...r]), [[2]]);
  t.end();
});

t.test('map-in-map and prog array', (t) => {
  const mem = new LinearMemory();
  const reg = new MapRegistry();
  const fds = new Map<number, unknown>();
  const inner = { type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 };
  const a = createMap(inner, mem);
  const bigger = createMap({ ...inner, maxEntries: 3 }, mem);
  fds.set(10, a); fds.set(11, bigger);
  const opts = { resolve: (fd: number) => fds.get(fd), idOf: (o: unknown) => reg.idOf(o as BpfMap) };
  const aom = createMap({ type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner }, mem, opts) as FdArrayMap;
  t.equal(aom.updateUser(u32(0), u32(10), 0), 0);
  t.equal(aom.updateUser(u32(1), u32(11), 0), -EINVAL, 'inner max_entries must match');
  t.equal(aom.updateUser(u32(1), u32(99), 0), -EBADF);
  t.equal(aom.updateUser(u32(2), u32(10), 0), -E2BIG);
  t.equal(aom.updateUser(u32(0), u32(10), BPF_NOEXIST), -EINVAL, 'fd arrays take BPF_ANY only');
  t.equal(reg.get(aom.lookup(u32(0), 0)!), a, 'a program lookup yields the inner map handle');
  const out = new Uint8Array(4);
  t.equal(aom.lookupUser(u32(0), out, 0), 0);
  t.equal(new DataView(out.buffer).getUint32(0, true), reg.idOf(a), 'user space sees the inner map id');
  const flexible = createMap({ type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: { ...inner, flags: BPF_F_INNER_MAP } }, mem, opts) as HashOfMapsMap;
  fds.set(12, createMap({ ...inner, flags: BPF_F_INNER_MAP, maxEntries: 9 }, mem));
  t.equal(flexible.updateUser(u32(5), u32(12), 0), 0, 'BPF_F_INNER_MAP allows another max_entries');
  t.equal(flexible.delete(u32(5)), 0);
  t.equal(flexible.delete(u32(5)), -ENOENT);
  const progs = createMap({ type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }, mem) as FdArrayMap;
  t.equal(progs.set(1, 'prog'), 0);
  t.equal(progs.get(1), 'prog');
  t.equal(progs.lookup(u32(1), 0), undefined, 'programs cannot read a prog array');
  t.equal(progs.delete(u32(0)), -ENOENT);
  t.end();
});

t.test('creation errors are typed diagnostics', (t) => {
  const mem = new LinearMemory();
  try {
    createMap({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 8, name: 'routes' }, mem);
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof DiagnosticError);
    t.equal((e as DiagnosticError).code, 'HOST_MAP_INVALID');
    t.match((e as DiagnosticError).message, /map "routes" \(lpm_trie\): an lpm trie needs BPF_F_NO_PREALLOC/);
  }
  t.throws(() => createMap({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 5000 }, mem), { code: 'HOST_MAP_INVALID' });
  t.throws(() => createMap({ type: 99, keySize: 4, valueSize: 4, maxEntries: 1 }, mem), { code: 'HOST_MAP_INVALID' });
  t.end();
});

t.test('user-space permissions and read-only program maps', (t) => {
  const mem = new LinearMemory();
  const m = createMap({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 }, mem);
  t.equal(sysUpdate(m, u32(1), u32(1)), 0);
  t.equal(sysFreeze(m), 0);
  t.equal(sysUpdate(m, u32(1), u32(2)), -1, 'frozen: -EPERM');
  t.equal(sysFreeze(m), -1, 'freezing twice: -EPERM');
  t.equal(m.update(u32(1), u32(3), 0, 0), 0, 'programs may still write');
  const ro = createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_RDONLY }, mem);
  t.equal(sysUpdate(ro, u32(0), u32(1)), -1);
  const wo = createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_WRONLY }, mem);
  t.equal(sysLookup(wo, u32(0), new Uint8Array(4)), -1);
  t.equal(sysGetNextKey(wo, undefined, new Uint8Array(4)), -1);
  t.equal(sysLookup(wo, u32(0), new Uint8Array(4), 8), -EINVAL, 'flags are checked before permissions');
  // .rodata-style map: a program store through the value pointer faults
  const prog = `stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_by_fd(0)\ncall 1\njeq %r0, 0, +1\nstw [%r0], 1\nmov %r0, 0\nexit\n`;
  const r = runHost({ asm: prog, maps: [{ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_RDONLY_PROG }] }, { nCpus: 1 });
  t.match(String(r.r0), /read-only|RUN_READONLY/i, 'store into a BPF_F_RDONLY_PROG value faults');
  const w = runHost({ asm: prog, maps: [{ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }] }, { nCpus: 1 });
  t.equal(w.r0, 0);
  t.same(w.maps[0], ['00000000=01000000'], 'and a writable one takes the store');
  t.end();
});

t.test('BPF_F_LOCK keeps the lock word', (t) => {
  const mem = new LinearMemory();
  const m = createMap({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 2, spinLockOffset: 0 }, mem);
  t.equal(m.update(u32(1), u64(0x1111111122222222n), 4, 0), 0, 'BPF_F_LOCK with a declared lock');
  const a = m.lookup(u32(1), 0)!;
  t.equal(mem.view.getUint32(a, true), 0, 'the lock word is not copied');
  t.equal(mem.view.getUint32(a + 4, true), 0x11111111);
  const out = new Uint8Array(8);
  mem.view.setUint32(a, 1, true);
  t.equal(m.lookupUser(u32(1), out, 4), 0);
  t.equal(new DataView(out.buffer).getUint32(0, true), 0, 'user space reads the lock as zero');
  const plain = createMap({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 2 }, mem);
  t.equal(plain.update(u32(1), u64(1n), 4, 0), -EINVAL, 'no lock declared: -EINVAL');
  t.end();
});

t.test('a large max_entries costs memory only as the map fills', (t) => {
  const mem = new LinearMemory();
  const m = createMap({ type: MapType.LRU_HASH, keySize: 8, valueSize: 16, maxEntries: 1 << 22 }, mem);
  const before = mem.wasm.buffer.byteLength;
  for (let i = 0; i < 5000; i++) t.equal(m.update(u64(BigInt(i) << 40n), u64(BigInt(i)), 0, 0), 0);
  t.ok(mem.wasm.buffer.byteLength - before < 1 << 20, 'under 1 MiB of linear memory for 5000 values');
  let n = 0;
  const k = new Uint8Array(8);
  let cur: Uint8Array | undefined;
  while (m.getNextKey(cur, k) === 0) { n++; cur = k.slice(); }
  t.equal(n, 5000, 'iteration visits every key once');
  t.end();
});
