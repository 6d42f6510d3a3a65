/**
 * @file Differential test: random operation sequences applied to a host map
 * and to a real kernel map of the same spec through `bpf()`, comparing every
 * return code, every value read and the full contents after each step.
 * Skips, saying why, where the syscall is unavailable (not Linux, not root).
 */

import t from 'tap';
import { readFileSync } from 'node:fs';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { MapType, mapTypeName } from '../../src/abi/map-types.js';
import { tryCreateMap } from '../../src/host/maps/create.js';
import type { BpfMap, MapSpec } from '../../src/host/maps/map.js';
import { sysDelete, sysFreeze, sysGetNextKey, sysLookup, sysLookupAndDelete, sysUpdate } from '../../src/host/maps/syscall.js';
import {
  BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG,
  BPF_F_ZERO_SEED, BPF_F_MMAPABLE, BPF_F_INNER_MAP,
} from '../../src/host/maps/flags.js';
import * as k from '../../runtimes/node/bpf-syscall.js';

const avail = k.available();
if (!avail.ok) {
  t.plan(0, `kernel bpf() unavailable: ${avail.reason}`);
} else {
  run();
}

/** mulberry32: a small seeded PRNG, so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(b: Uint8Array | undefined): string {
  return b === undefined ? '-' : Buffer.from(b).toString('hex');
}

function run(): void {
  const nCpus = k.possibleCpus(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));

  t.test('creation checks give the kernel\'s errno', (t) => {
    const specs: MapSpec[] = [];
    const types = [MapType.HASH, MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_HASH,
      MapType.LRU_PERCPU_HASH, MapType.LPM_TRIE, MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER, MapType.RINGBUF,
      MapType.PERF_EVENT_ARRAY, MapType.PROG_ARRAY];
    const flagSet = [0, BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_ZERO_SEED, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG,
      BPF_F_RDONLY | BPF_F_WRONLY, BPF_F_MMAPABLE, BPF_F_INNER_MAP, BPF_F_NUMA_NODE, 1 << 20, BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG];
    for (const type of types) {
      for (const [ks, vs, max] of [[4, 8, 16], [0, 8, 16], [4, 0, 16], [4, 8, 0], [8, 4, 4], [0, 0, 4096], [0, 0, 8192],
        [0, 0, 12288], [5, 4, 8], [260, 4, 8], [261, 4, 8], [0, 4, 4], [4, 40000, 4]] as const) {
        for (const flags of flagSet) specs.push({ type, keySize: ks, valueSize: vs, maxEntries: max, flags });
      }
    }
    specs.push({ type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 10, mapExtra: 16n });
    specs.push({ type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 10, mapExtra: 15n });
    specs.push({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 10, mapExtra: 1n });
    let agree = 0;
    const mem = new LinearMemory();
    for (const s of specs) {
      const fd = k.mapCreate({ type: s.type, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries,
        flags: s.flags ?? 0, mapExtra: s.mapExtra ?? 0n });
      if (fd >= 0) k.close(fd);
      const ours = tryCreateMap(s, mem, { nCpus });
      const ourErr = 'errno' in ours ? -ours.errno : 0;
      const kErr = fd >= 0 ? 0 : fd;
      if (ourErr === kErr) agree++;
      else t.equal(ourErr, kErr, `${mapTypeName(s.type)} key ${s.keySize} value ${s.valueSize} max ${s.maxEntries} flags 0x${(s.flags ?? 0).toString(16)} extra ${s.mapExtra ?? 0n}${'reason' in ours ? ` (${ours.reason})` : ''}`);
    }
    t.equal(agree, specs.length, `${agree}/${specs.length} specs agree`);
    t.end();
  });

  interface Scenario {
    readonly spec: MapSpec;
    readonly steps: number;
    /** Random key (undefined: no key, as for queue/stack/bloom). */
    readonly key: (r: () => number) => Uint8Array | undefined;
    /** Compare contents as a set rather than in iteration order. */
    readonly unordered?: boolean;
    readonly ops: readonly Op[];
  }
  type Op = 'update' | 'lookup' | 'delete' | 'next' | 'lookup_and_delete' | 'freeze';

  const smallKey = (size: number, space: number) => (r: () => number): Uint8Array => {
    const b = new Uint8Array(size);
    const v = Math.floor(r() * space);
    b[0] = v; b[size - 1] ^= v * 7;
    return b;
  };
  const lpmKey = (dataSize: number) => (r: () => number): Uint8Array => {
    const b = new Uint8Array(4 + dataSize);
    const plen = Math.floor(r() * (dataSize * 8 + 2));
    new DataView(b.buffer).setUint32(0, plen, true);
    // a few distinct prefixes so entries nest and share bits
    const base = [0xc0a80000, 0xc0a80100, 0x0a000000, 0xc0a88000][Math.floor(r() * 4)]!;
    for (let i = 0; i < dataSize; i++) b[4 + i] = i < 4 ? (base >>> (24 - 8 * i)) & 0xff : Math.floor(r() * 4);
    if (r() < 0.3) b[4 + dataSize - 1] = Math.floor(r() * 256);
    return b;
  };
  const all: Op[] = ['update', 'update', 'update', 'lookup', 'delete', 'next', 'lookup_and_delete'];
  const scenarios: Scenario[] = [
    { spec: { type: MapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 8 }, steps: 300, key: smallKey(4, 10), ops: all },
    { spec: { type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 12, maxEntries: 8 }, steps: 300, key: smallKey(4, 10), ops: all },
    // with BPF_F_ZERO_SEED the kernel's bucket order is deterministic, and ours is the same
    { spec: { type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 6, flags: BPF_F_ZERO_SEED }, steps: 400, key: smallKey(4, 10), ops: all },
    { spec: { type: MapType.HASH, keySize: 7, valueSize: 3, maxEntries: 8, flags: BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED }, steps: 400, key: smallKey(7, 12), ops: all },
    { spec: { type: MapType.HASH, keySize: 16, valueSize: 16, maxEntries: 5, flags: BPF_F_ZERO_SEED }, steps: 300, key: smallKey(16, 8), ops: all },
    { spec: { type: MapType.PERCPU_HASH, keySize: 8, valueSize: 4, maxEntries: 5, flags: BPF_F_ZERO_SEED }, steps: 300, key: smallKey(8, 8), ops: all },
    // a random kernel seed: the same contents, in an order nobody can predict
    { spec: { type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 7 }, steps: 300, key: smallKey(4, 10), ops: ['update', 'update', 'lookup', 'delete', 'lookup_and_delete'], unordered: true },
    // LRU: never past capacity, where the kernel's approximate eviction starts
    { spec: { type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 256, flags: BPF_F_ZERO_SEED }, steps: 300, key: smallKey(4, 12), ops: all },
    { spec: { type: MapType.LRU_PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 256, flags: BPF_F_ZERO_SEED }, steps: 300, key: smallKey(4, 12), ops: all },
    { spec: { type: MapType.LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 6, flags: BPF_F_NO_PREALLOC }, steps: 500, key: lpmKey(4), ops: all },
    { spec: { type: MapType.LPM_TRIE, keySize: 5, valueSize: 2, maxEntries: 20, flags: BPF_F_NO_PREALLOC }, steps: 400, key: lpmKey(1), ops: all },
    { spec: { type: MapType.QUEUE, keySize: 0, valueSize: 6, maxEntries: 5 }, steps: 300, key: () => undefined, ops: all },
    { spec: { type: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 4 }, steps: 300, key: () => undefined, ops: all },
    { spec: { type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 8, flags: BPF_F_ZERO_SEED, mapExtra: 3n }, steps: 300, key: () => undefined, ops: ['update', 'lookup', 'lookup', 'delete', 'next', 'lookup_and_delete'] },
    { spec: { type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 5, maxEntries: 4, flags: BPF_F_ZERO_SEED }, steps: 300, key: () => undefined, ops: ['update', 'lookup', 'lookup'] },
    // user-space permissions: read-only, write-only, and freezing part-way
    { spec: { type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_RDONLY }, steps: 60, key: smallKey(4, 5), ops: all },
    { spec: { type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_WRONLY | BPF_F_ZERO_SEED }, steps: 60, key: smallKey(4, 5), ops: all, unordered: true },
    { spec: { type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_ZERO_SEED }, steps: 200, key: smallKey(4, 5), ops: [...all, ...all, ...all, 'freeze'] },
    { spec: { type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 4 }, steps: 200, key: () => undefined, ops: [...all, ...all, 'freeze'] },
  ];

  t.test('lru past capacity: what the kernel promises', (t) => {
    // the kernel's eviction is approximate (per-CPU free lists, batch shrinking):
    // compare only what both guarantee — updates succeed, the size stays bounded,
    // and the key just written is present
    for (const type of [MapType.LRU_HASH, MapType.LRU_PERCPU_HASH]) {
      const s: MapSpec = { type, keySize: 4, valueSize: 8, maxEntries: 64 };
      const mem = new LinearMemory();
      const ours = tryCreateMap(s, mem, { nCpus });
      const fd = k.mapCreate({ type, keySize: 4, valueSize: 8, maxEntries: 64 });
      if ('errno' in ours || fd < 0) { t.fail('create'); continue; }
      const r = rng(99 + type);
      let bad = 0;
      for (let i = 0; i < 2000; i++) {
        const key = new Uint8Array(new Uint32Array([Math.floor(r() * 500)]).buffer);
        const v = new Uint8Array(ours.userValueSize).fill(i & 0xff);
        const a = ours.updateUser(key, v, 0);
        const b = k.mapUpdate(fd, key, v, 0);
        if (a !== 0 || b !== 0) bad++;
        const oa = new Uint8Array(ours.userValueSize);
        const ob = new Uint8Array(ours.userValueSize);
        if (ours.lookupUser(key, oa, 0) !== 0 || k.mapLookup(fd, key, ob, 0) !== 0 || hex(oa) !== hex(ob)) bad++;
      }
      const n = kernelContents(fd, 4, ours.userValueSize, true).length;
      t.equal(bad, 0, `${mapTypeName(type)}: every update succeeded and reads back on both`);
      t.ok(ours.count <= 64 && n <= 64, `${mapTypeName(type)}: sizes bounded (host ${ours.count}, kernel ${n})`);
      k.close(fd);
    }
    t.end();
  });

  for (const sc of scenarios) for (const seed of [0, 1, 2]) {
    const s = sc.spec;
    t.test(`${mapTypeName(s.type)} key ${s.keySize} value ${s.valueSize} max ${s.maxEntries} seed ${seed}`, (t) => {
      const mem = new LinearMemory();
      const ours = tryCreateMap(s, mem, { nCpus });
      if ('errno' in ours) { t.fail(`host refused: ${ours.reason}`); t.end(); return; }
      const fd = k.mapCreate({ type: s.type, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries,
        flags: s.flags ?? 0, mapExtra: s.mapExtra ?? 0n });
      t.ok(fd >= 0, `kernel created the map (${fd})`);
      if (fd < 0) { t.end(); return; }
      const m: BpfMap = ours;
      const r = rng(0x5eed + s.type * 131 + s.keySize * 7 + s.maxEntries + seed * 7919);
      const vsize = m.userValueSize;
      const flagChoices = [0, 0, 1, 2, 4, 3, 8];
      let mismatches = 0;
      const check = (what: string, a: unknown, b: unknown): void => {
        if (JSON.stringify(a) !== JSON.stringify(b)) {
          mismatches++;
          if (mismatches <= 5) t.same(a, b, what);
        }
      };
      const valueOf = (): Uint8Array => {
        const v = new Uint8Array(s.type === MapType.BLOOM_FILTER ? s.valueSize : vsize);
        // bloom: a small value space so probes hit and miss
        if (s.type === MapType.BLOOM_FILTER) { v[0] = Math.floor(r() * 24); return v; }
        for (let i = 0; i < v.length; i++) v[i] = Math.floor(r() * 256);
        return v;
      };
      let ops = 0;
      for (let step = 0; step < sc.steps; step++) {
        const op = sc.ops[Math.floor(r() * sc.ops.length)]!;
        const key = sc.key(r);
        const flags = flagChoices[Math.floor(r() * flagChoices.length)]!;
        const what = `step ${step}: ${op} key ${hex(key)} flags ${flags}`;
        switch (op) {
          case 'update': {
            const v = valueOf();
            check(what, sysUpdate(m, key, v, flags), k.mapUpdate(fd, key, v, flags));
            break;
          }
          case 'lookup': {
            const lf = flags === 4 || flags === 8 ? flags : 0;
            const a = s.type === MapType.BLOOM_FILTER ? valueOf() : new Uint8Array(vsize);
            const b = a.slice();
            const ra = sysLookup(m, key, a, lf);
            const rb = k.mapLookup(fd, key, b, lf);
            check(what, [ra, ra === 0 ? hex(a) : ''], [rb, rb === 0 ? hex(b) : '']);
            break;
          }
          case 'delete':
            check(what, sysDelete(m, key ?? new Uint8Array(0)), k.mapDelete(fd, key));
            break;
          case 'next': {
            const a = new Uint8Array(Math.max(1, s.keySize));
            const b = new Uint8Array(Math.max(1, s.keySize));
            const from = r() < 0.3 ? undefined : key;
            const ra = sysGetNextKey(m, from, a);
            const rb = k.mapGetNextKey(fd, from, b);
            // hash order is the kernel's bucket order: compare only the result code
            check(what, [ra, sc.unordered ? '' : hex(a)], [rb, sc.unordered ? '' : hex(b)]);
            break;
          }
          case 'lookup_and_delete': {
            const lf = flags === 4 || flags === 1 ? flags : 0;
            const a = new Uint8Array(vsize);
            const b = new Uint8Array(vsize);
            const ra = sysLookupAndDelete(m, key, a, lf);
            const rb = k.mapLookupAndDelete(fd, key, b, lf);
            check(what, [ra, ra === 0 ? hex(a) : ''], [rb, rb === 0 ? hex(b) : '']);
            break;
          }
          case 'freeze':
            check(what, sysFreeze(m), k.mapFreeze(fd));
            break;
        }
        ops++;
        if (s.keySize > 0) check(`${what}: contents`, contents(m, sc.unordered === true), kernelContents(fd, s.keySize, vsize, sc.unordered === true));
      }
      t.equal(mismatches, 0, `${ops} operations, ${mismatches} mismatches`);
      k.close(fd);
      t.end();
    });
  }
}

/** Every (key, value) of a host map by walking `getNextKey`, as user space would. */
function contents(m: BpfMap, unordered: boolean): string[] {
  const out: string[] = [];
  let key: Uint8Array | undefined;
  for (let guard = 0; guard < 10000; guard++) {
    const next = new Uint8Array(m.spec.keySize);
    if (sysGetNextKey(m, key, next) !== 0) break;
    const v = new Uint8Array(m.userValueSize);
    const rc = sysLookup(m, next, v, 0);
    out.push(`${hex(next)}=${rc === 0 ? hex(v) : rc}`);
    key = next;
  }
  return unordered ? out.sort() : out;
}

/** The same walk over a kernel map. */
function kernelContents(fd: number, keySize: number, vsize: number, unordered: boolean): string[] {
  const out: string[] = [];
  let key: Uint8Array | undefined;
  for (let guard = 0; guard < 10000; guard++) {
    const next = new Uint8Array(keySize);
    if (k.mapGetNextKey(fd, key, next) !== 0) break;
    const v = new Uint8Array(vsize);
    const rc = k.mapLookup(fd, next, v, 0);
    out.push(`${hex(next)}=${rc === 0 ? hex(v) : rc}`);
    key = next;
  }
  return unordered ? out.sort() : out;
}
