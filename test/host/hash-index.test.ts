/**
 * @file A hash map's index in the linear memory (`src/host/maps/hash-index.ts`)
 * and the probe compiled code runs over it (`src/emit-wasm/map-lookup.ts`):
 * MurmurHash3 against its published vectors; random inserts and deletes
 * against a JavaScript `Map`, through growth and backward-shift deletion;
 * and the compiled probe, for every key size it takes, finding exactly what
 * the host's index finds, present keys and absent ones alike. The same for
 * an LPM trie's image and the compiled walk over it.
 */

import t from 'tap';
import { murmur3, MAX_INDEXED_KEY, MAX_LPM_INDEXED_DATA } from '../../src/abi/hash-index.js';
import { MapType } from '../../src/abi/map-types.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { ValType } from '../../src/emit-wasm/encode.js';
import { hashLookupFunc, lpmLookupFunc } from '../../src/emit-wasm/map-lookup.js';
import { ModuleBuilder } from '../../src/emit-wasm/module.js';
import { createMap } from '../../src/host/maps/create.js';
import { BPF_F_NO_PREALLOC } from '../../src/host/maps/flags.js';
import { MemoryHashIndex } from '../../src/host/maps/hash-index.js';
import type { LpmTrieMap } from '../../src/host/maps/lpm-trie.js';
import { Wasm } from '../../src/util/wasm-api.js';

/** A deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

t.test('MurmurHash3_x86_32 gives the reference values', async (t) => {
  const cases: [string, number, number][] = [
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['test', 0, 0xba6bd213],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ];
  for (const [s, seed, want] of cases) {
    const b = text(s);
    t.equal(murmur3(b, 0, b.length, seed), want, `"${s}" seed ${seed}`);
  }
  // the hash reads only its window of the bytes
  const framed = text('xxtestyy');
  t.equal(murmur3(framed, 2, 4, 0), 0xba6bd213, 'at an offset');
});

t.test('inserts and deletes agree with a Map, through growth and back-shifts', async (t) => {
  for (const keySize of [1, 2, 3, 4, 5, 8, 13, 64]) {
    const mem = new LinearMemory();
    // a small seed space of keys, so deletes and re-inserts collide often
    const index = new MemoryHashIndex(mem, `k${keySize}`, keySize, 0, 7);
    const model = new Map<string, number>();
    const next = rng(keySize);
    const keyOf = (n: number): Uint8Array => {
      const k = new Uint8Array(keySize);
      for (let i = 0; i < keySize; i++) k[i] = (n >>> ((i % 4) * 8)) & 0xff;
      if (keySize === 1) k[0] = n & 0xff;
      return k;
    };
    const space = keySize === 1 ? 256 : 300;
    let nextValue = 0x1000;
    let bad = 0;
    for (let step = 0; step < 3000; step++) {
      const n = next() % space;
      const key = keyOf(n);
      const id = key.join(',');
      if (model.has(id)) {
        if (!index.delete(key)) bad++;
        model.delete(id);
      } else {
        const v = nextValue += 8;
        index.insert(key, v);
        model.set(id, v);
      }
      if (step % 100 === 0 || step > 2900) {
        for (let m = 0; m < space; m++) {
          const k = keyOf(m);
          if (index.lookup(k) !== (model.get(k.join(',')) ?? 0)) bad++;
        }
      }
    }
    t.equal(bad, 0, `${keySize}-byte keys: every lookup after every step agrees`);
    t.equal(index.size, model.size, `${keySize}-byte keys: size`);
    t.notOk(index.delete(keyOf(space + 1)), 'deleting an absent key reports it');
  }
});

t.test('an index overwritten by something else fails with a diagnostic, never loops', async (t) => {
  const mem = new LinearMemory();
  const index = new MemoryHashIndex(mem, 'victim', 4, 0, 1);
  index.insert(new Uint8Array([1, 2, 3, 4]), 0x1000);
  // every slot taken: what a store through a stray pointer could leave
  const table = mem.view.getUint32(index.header, true);
  const slots = mem.view.getUint32(index.header + 4, true) + 1;
  for (let i = 0; i < slots; i++) mem.view.setUint32(table + i * 12 + 4, 0x2000 + i, true);
  const codeOf = (f: () => unknown): string | undefined => {
    try { f(); } catch (e) { return e instanceof DiagnosticError ? e.code : String(e); }
    return undefined;
  };
  const key = new Uint8Array([9, 9, 9, 9]);
  t.equal(codeOf(() => index.lookup(key)), 'HOST_MAP_INDEX_CORRUPT', 'lookup');
  t.equal(codeOf(() => index.insert(key, 0x3000)), 'HOST_MAP_INDEX_CORRUPT', 'insert');
  t.equal(codeOf(() => index.delete(key)), 'HOST_MAP_INDEX_CORRUPT', 'delete');
});

type LookupFunc = (size: number, indexGlobal: number, fallback: number) => ReturnType<typeof hashLookupFunc>;

/** A module exporting a compiled lookup (`make(size, ...)`) over `mem`; the import it falls back on calls `fallback`. */
function compiledLookup(make: LookupFunc, mem: LinearMemory, size: number, header: number, fallback: (key: number) => number): (key: number) => number {
  const m = new ModuleBuilder();
  const imported = m.importFunc('host', 'fallback', m.type([ValType.i32], [ValType.i32]));
  m.importMemory('env', 'memory', { min: 1 });
  const g = m.importGlobal('env', 'index', ValType.i32);
  const f = m.declareFunc(m.type([ValType.i32], [ValType.i32]), 'lookup');
  const { code, locals, names } = make(size, g, imported);
  m.defineFunc(f, locals, code, names);
  m.addExport('lookup', 'func', f);
  const inst = new Wasm.Instance(new Wasm.Module(m.build()), {
    host: { fallback }, env: { memory: mem.wasm, index: header },
  });
  return inst.exports['lookup'] as (key: number) => number;
}

const compiledProbe = (mem: LinearMemory, keySize: number, header: number, fallback: number): (key: number) => number =>
  compiledLookup(hashLookupFunc, mem, keySize, header, () => fallback);

t.test('the compiled probe finds what the host index finds, for every key size', async (t) => {
  let bad = 0;
  let checked = 0;
  for (let keySize = 1; keySize <= MAX_INDEXED_KEY; keySize++) {
    const mem = new LinearMemory();
    const index = new MemoryHashIndex(mem, 'k', keySize);
    const next = rng(keySize * 7919);
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const k = new Uint8Array(keySize);
      for (let j = 0; j < keySize; j++) k[j] = next() & 0xff;
      // two keys sharing all but the last byte
      if (i % 2 === 1) { k.set(keys[i - 1]!); k[keySize - 1] = (k[keySize - 1]! + 1) & 0xff; }
      if (keys.some((o) => o.every((b, j) => b === k[j]))) continue;
      keys.push(k);
    }
    // the first half present, the second half inserted then deleted
    const half = keys.length >> 1;
    keys.forEach((k, i) => index.insert(k, 0x100 + i * 8));
    for (const k of keys.slice(half)) index.delete(k);
    const probe = compiledProbe(mem, keySize, index.header, 0xdead);
    // keys at an odd address, as a program's stack keys may be
    const scratch = mem.map('scratch', 'heap', keySize + 8, true);
    for (const k of keys) {
      mem.bytes.set(k, scratch.start + 3);
      if (probe(scratch.start + 3) !== index.lookup(k)) bad++;
      checked++;
    }
  }
  t.equal(bad, 0, `${checked} lookups over key sizes 1-${MAX_INDEXED_KEY}`);
  // no index: the import answers
  const mem = new LinearMemory();
  t.equal(compiledProbe(mem, 4, 0, 0xdead)(0x2000), 0xdead, 'a host without an index: every lookup takes the import');
});

t.test('the compiled LPM walk finds what the trie finds, through inserts, deletes and stale images', async (t) => {
  for (let dataSize = 1; dataSize <= MAX_LPM_INDEXED_DATA; dataSize++) {
    const mem = new LinearMemory();
    const map = createMap({ type: MapType.LPM_TRIE, keySize: 4 + dataSize, valueSize: 8, maxEntries: 300, flags: BPF_F_NO_PREALLOC, name: 'lpm' }, mem) as LpmTrieMap;
    const header = map.memoryIndex();
    t.not(header, 0, 'an image for keys of up to 4 data bytes');
    let fallbacks = 0;
    const walk = compiledLookup(lpmLookupFunc, mem, dataSize, header, (at) => { fallbacks++; return map.lookupAt(mem.bytes, at, 0) ?? 0; });
    const next = rng(dataSize * 31);
    const bitsMax = 8 * dataSize;
    const keyOf = (plen: number): Uint8Array => {
      const k = new Uint8Array(4 + dataSize);
      new DataView(k.buffer).setUint32(0, plen, true);
      // few distinct top bits, so prefixes nest and share paths
      for (let i = 0; i < dataSize; i++) k[4 + i] = i === 0 ? (next() & 0x0f) << 4 | (next() & 3) : next() & 0xff;
      return k;
    };
    const present: Uint8Array[] = [];
    const scratch = mem.map('scratch', 'heap', 16, true);
    let bad = 0;
    let lookups = 0;
    for (let step = 0; step < 400; step++) {
      if (present.length > 0 && next() % 3 === 0) {
        const k = present.splice(next() % present.length, 1)[0]!;
        if (map.delete(k) !== 0) bad++;
      } else {
        const k = keyOf(next() % (bitsMax + 1));
        // BPF_NOEXIST: a prefix already there is not added twice
        if (map.update(k, new Uint8Array(8).fill(step & 0xff), 1, 0) === 0) present.push(k);
      }
      // a run of queries: the first ones find the image stale, later ones a fresh one
      for (let q = 0; q < 24; q++) {
        const k = keyOf(next() % (bitsMax + 2));
        mem.bytes.set(k, scratch.start + 1);
        if (walk(scratch.start + 1) !== (map.lookup(k, 0) ?? 0)) bad++;
        lookups++;
      }
    }
    t.equal(bad, 0, `${dataSize}-byte data: ${lookups} lookups agree (${fallbacks} through the import)`);
    t.ok(fallbacks > 0 && fallbacks < lookups, 'both the image and the import answered');
  }
  const mem = new LinearMemory();
  const long = createMap({ type: MapType.LPM_TRIE, keySize: 4 + 16, valueSize: 8, maxEntries: 4, flags: BPF_F_NO_PREALLOC }, mem) as LpmTrieMap;
  t.equal(long.memoryIndex(), 0, 'no image for IPv6-sized keys: their lookups take the import');
});
