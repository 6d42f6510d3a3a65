/**
 * @file `BPF_MAP_TYPE_HASH`, `PERCPU_HASH`, `LRU_HASH` and `LRU_PERCPU_HASH`
 * (kernel/bpf/hashtab.c, kernel/bpf/bpf_lru_list.c).
 *
 * The index is a JavaScript `Map` from the key bytes (see `key.ts`) to a slot;
 * values live in preallocated-on-demand slots of the linear memory (`slab.ts`),
 * so `lookup` returns a stable address. A slot is `round_up(value_size, 8)`
 * bytes, times `nCpus` for per-CPU maps.
 *
 * Iteration (`getNextKey`) follows the kernel's bucket order: `n_buckets =
 * roundup_pow_of_two(max_entries)`, bucket `jhash(key, seed) & (n_buckets - 1)`,
 * each bucket newest first (`hlist_nulls_add_head_rcu`), a replaced element of
 * a (non-per-CPU) hash or LRU map moving to its bucket's head. The seed is
 * `MapOptions`' (default 0); the kernel's is random unless `BPF_F_ZERO_SEED`,
 * so with that flag the order is exactly the kernel's. A missing key restarts
 * from the first element, as in the kernel.
 *
 * LRU: the kernel's list is approximate (per-CPU free lists, batch shrinking of
 * an inactive list, a reference bit set by lookups). Here: when the map is full,
 * inserting a new key evicts with the second-chance rule on the same reference
 * bit — the oldest element whose bit is clear goes, elements with the bit set
 * get it cleared and move to the young end. Updating an existing key never
 * evicts (the kernel may).
 */

import type { Memory } from '../../abi/memory.js';
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_F_RDONLY_PROG, BPF_F_ZERO_SEED, BPF_NOEXIST } from './flags.js';
import { jhash } from './jhash.js';
import { keyId, type KeyId } from './key.js';
import { checkUserFlags, MapBase, round8, type MapOptions, type MapSpec } from './map.js';

/** Host settings of a hash map. */
export interface HashOptions extends MapOptions {
  /** Bucket hash seed when `BPF_F_ZERO_SEED` is not set (default 0). */
  readonly seed?: number;
}
import { MapType } from '../../abi/map-types.js';
import { Slab } from './slab.js';
import { MemoryHashIndex } from './hash-index.js';
import { MAX_INDEXED_KEY } from '../../abi/hash-index.js';

/** A hash map of any of the four hash families. */
export class HashMap extends MapBase {
  readonly percpu: boolean;
  readonly lru: boolean;
  /** Bytes per CPU value. */
  readonly elemSize: number;
  private readonly index = new Map<KeyId, number>();
  private readonly slab: Slab;
  /** Key bytes of each used slot. */
  private readonly keys: (Uint8Array | undefined)[] = [];
  /** Bucket of each used slot. */
  private bucketOf: Uint32Array;
  /** Bucket heads (lazily allocated) and per-slot links, -1 ends. */
  private heads: Int32Array | undefined;
  private bnext: Int32Array;
  private bprev: Int32Array;
  private readonly nBuckets: number;
  private readonly seed: number;
  /** LRU age list, oldest at `head` (LRU maps only). */
  private next: Int32Array;
  private prev: Int32Array;
  private head = -1;
  private tail = -1;
  /** LRU reference bits, set by lookups. */
  private ref: Uint8Array;
  /** Free slots (LIFO); slots never used yet start at `fresh`. */
  private readonly free: number[] = [];
  private fresh = 0;
  /** The index in the linear memory, once compiled code asked for it. */
  private memIndex: MemoryHashIndex | undefined;

  constructor(spec: MapSpec, mem: Memory, opts: HashOptions = {}) {
    super(spec, mem, opts);
    const t = spec.type;
    this.percpu = t === MapType.PERCPU_HASH || t === MapType.LRU_PERCPU_HASH;
    this.lru = t === MapType.LRU_HASH || t === MapType.LRU_PERCPU_HASH;
    this.elemSize = round8(spec.valueSize);
    const n = spec.maxEntries;
    this.slab = new Slab(mem, `map:${this.name}`, this.elemSize * (this.percpu ? this.nCpus : 1), n, false, (this.flags & BPF_F_RDONLY_PROG) === 0);
    // per-slot tables grow with use, so a large max_entries costs nothing up front
    const cap = Math.min(n, 64);
    this.next = new Int32Array(this.lru ? cap : 0);
    this.prev = new Int32Array(this.lru ? cap : 0);
    this.ref = new Uint8Array(this.lru ? cap : 0);
    this.bucketOf = new Uint32Array(cap);
    this.bnext = new Int32Array(cap);
    this.bprev = new Int32Array(cap);
    this.nBuckets = 2 ** Math.ceil(Math.log2(Math.max(1, n)));
    this.seed = (this.flags & BPF_F_ZERO_SEED) !== 0 ? 0 : (opts.seed ?? 0) >>> 0;
  }

  override get count(): number { return this.index.size; }
  override get userValueSize(): number { return this.percpu ? this.nCpus * this.elemSize : this.valueSize; }

  /** Address of the value of `slot` on `cpu`. */
  private addr(slot: number, cpu: number): number {
    return this.slab.address(slot) + (this.percpu ? cpu * this.elemSize : 0);
  }

  override lookup(key: Uint8Array, cpu: number): number | undefined {
    const slot = this.index.get(keyId(key, 0, this.keySize));
    if (slot === undefined) return undefined;
    if (this.lru) this.ref[slot] = 1;
    return this.addr(slot, cpu);
  }

  /** The address a key's value has, by key address in the linear memory (the helpers' fast path). */
  lookupAt(bytes: Uint8Array, keyAddr: number, cpu: number): number | undefined {
    const slot = this.index.get(keyId(bytes, keyAddr, this.keySize));
    if (slot === undefined) return undefined;
    if (this.lru) this.ref[slot] = 1;
    return this.addr(slot, cpu);
  }

  /**
   * The address of this map's index in the linear memory, for compiled
   * lookups (`bpf_map_index.<k>`, `docs/abi.md`): built on first request and
   * kept in step with every insert and delete from then on. 0 for the maps
   * whose lookup does more than find an address: per-CPU maps (the value
   * depends on the CPU), LRU maps (a lookup sets the reference bit), and keys
   * over `MAX_INDEXED_KEY` bytes.
   */
  memoryIndex(): number {
    if (this.percpu || this.lru || this.keySize > MAX_INDEXED_KEY) return 0;
    if (this.memIndex === undefined) {
      const index = new MemoryHashIndex(this.mem, this.name, this.keySize, this.index.size);
      for (const slot of this.index.values()) index.insert(this.keys[slot]!, this.addr(slot, 0));
      this.memIndex = index;
    }
    return this.memIndex.header;
  }

  /** Double the per-slot tables (up to `max_entries`). */
  private grow(): void {
    const cap = Math.min(this.maxEntries, this.bucketOf.length * 2);
    const widen = <T extends Int32Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(a.length === 0 ? 0 : cap);
      b.set(a);
      return b;
    };
    this.bucketOf = widen(this.bucketOf, (n) => new Uint32Array(n));
    this.bnext = widen(this.bnext, (n) => new Int32Array(n));
    this.bprev = widen(this.bprev, (n) => new Int32Array(n));
    this.next = widen(this.next, (n) => new Int32Array(n));
    this.prev = widen(this.prev, (n) => new Int32Array(n));
    this.ref = widen(this.ref, (n) => new Uint8Array(n));
  }

  /** `htab_map_hash(key) & (n_buckets - 1)`. */
  private bucket(key: Uint8Array): number {
    return (jhash(key, 0, this.keySize, this.seed) & (this.nBuckets - 1)) >>> 0;
  }

  /** Put `slot` at the head of its bucket. */
  private blink(slot: number): void {
    const heads = this.heads ??= new Int32Array(this.nBuckets).fill(-1);
    const b = this.bucketOf[slot]!;
    const h = heads[b]!;
    this.bnext[slot] = h;
    this.bprev[slot] = -1;
    if (h >= 0) this.bprev[h] = slot;
    heads[b] = slot;
  }

  private bunlink(slot: number): void {
    const p = this.bprev[slot]!;
    const n = this.bnext[slot]!;
    if (p >= 0) this.bnext[p] = n; else this.heads![this.bucketOf[slot]!] = n;
    if (n >= 0) this.bprev[n] = p;
  }

  private link(slot: number): void {
    this.prev[slot] = this.tail;
    this.next[slot] = -1;
    if (this.tail >= 0) this.next[this.tail] = slot; else this.head = slot;
    this.tail = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p >= 0) this.next[p] = n; else this.head = n;
    if (n >= 0) this.prev[n] = p; else this.tail = p;
  }

  /** A slot for a new element, evicting under LRU; -1 when full. */
  private allocSlot(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.fresh < this.maxEntries) {
      if (this.fresh === this.bucketOf.length) this.grow();
      return this.fresh++;
    }
    if (!this.lru) return -1;
    // second chance over the reference bits
    for (;;) {
      const s = this.head;
      if (this.ref[s] !== 0) {
        this.ref[s] = 0;
        this.unlink(s);
        this.link(s);
        continue;
      }
      this.remove(s);
      return this.free.pop()!;
    }
  }

  private remove(slot: number): void {
    this.index.delete(keyId(this.keys[slot]!, 0, this.keySize));
    this.memIndex?.delete(this.keys[slot]!);
    this.keys[slot] = undefined;
    if (this.lru) this.unlink(slot);
    this.bunlink(slot);
    this.free.push(slot);
  }

  /** Find or insert `key` under the kernel's flag rules; returns the slot, or -errno - 1. */
  private upsert(key: Uint8Array, flags: number): { slot: number; fresh: boolean } | number {
    const id = keyId(key, 0, this.keySize);
    const old = this.index.get(id);
    // check_flags()
    const f = flags & ~BPF_F_LOCK;
    if (old !== undefined && f === BPF_NOEXIST) return -EEXIST;
    if (old === undefined && f === BPF_EXIST) return -ENOENT;
    if (old !== undefined) {
      // a replaced element is a new one at the bucket's head, except in place
      // for per-CPU values and BPF_F_LOCK updates (htab_map_update_elem)
      if (!this.percpu && (flags & BPF_F_LOCK) === 0) {
        this.bunlink(old);
        this.blink(old);
        if (this.lru) { this.unlink(old); this.link(old); this.ref[old] = 0; }
      }
      return { slot: old, fresh: false };
    }
    const slot = this.allocSlot();
    if (slot < 0) return -E2BIG;
    this.index.set(id, slot);
    const k = key.slice(0, this.keySize);
    this.keys[slot] = k;
    this.bucketOf[slot] = this.bucket(k);
    this.blink(slot);
    if (this.lru) { this.link(slot); this.ref[slot] = 0; }
    this.memIndex?.insert(k, this.addr(slot, 0));
    return { slot, fresh: true };
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (this.percpu) {
      // htab_percpu_map_update_elem / htab_lru_percpu_map_update_elem (onallcpus = false)
      if (flags > BPF_EXIST) return -EINVAL;
    } else {
      if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
      if ((flags & BPF_F_LOCK) !== 0 && !this.hasSpinLock) return -EINVAL;
    }
    const r = this.upsert(key, flags);
    if (typeof r === 'number') return r;
    if (!this.percpu) {
      this.writeValue(this.addr(r.slot, 0), value);
      return 0;
    }
    const bytes = this.mem.bytes;
    if (r.fresh) {
      // pcpu_init_value: the current CPU gets the value, the others zero
      for (let c = 0; c < this.nCpus; c++) {
        const a = this.addr(r.slot, c);
        if (c === cpu) bytes.set(value.subarray(0, this.valueSize), a);
        else bytes.fill(0, a, a + this.elemSize);
      }
    } else {
      bytes.set(value.subarray(0, this.valueSize), this.addr(r.slot, cpu));
    }
    return 0;
  }

  override delete(key: Uint8Array): number {
    const slot = this.index.get(keyId(key, 0, this.keySize));
    if (slot === undefined) return -ENOENT;
    this.remove(slot);
    return 0;
  }

  /** Copy a slot's user-side value (every CPU for per-CPU maps) into `out`. */
  private copyOut(slot: number, out: Uint8Array): void {
    if (!this.percpu) {
      this.readValue(this.addr(slot, 0), out, 0);
      return;
    }
    const bytes = this.mem.bytes;
    for (let c = 0; c < this.nCpus; c++) {
      const a = this.addr(slot, c);
      out.set(bytes.subarray(a, a + this.elemSize), c * this.elemSize);
    }
  }

  override lookupUser(key: Uint8Array | undefined, out: Uint8Array, flags: number): number {
    const e = checkUserFlags(this, flags);
    if (e !== 0) return e;
    if (key === undefined) return -EINVAL;
    const slot = this.index.get(keyId(key, 0, this.keySize));
    if (slot === undefined) return -ENOENT;
    this.copyOut(slot, out);
    return 0;
  }

  override updateUser(key: Uint8Array | undefined, value: Uint8Array, flags: number): number {
    if (key === undefined) return -EINVAL;
    if ((flags & BPF_F_LOCK) !== 0 && !this.hasSpinLock) return -EINVAL;
    if (!this.percpu) return this.update(key, value, flags, 0);
    // bpf_percpu_hash_update → __htab_percpu_map_update_elem(onallcpus = true)
    if (flags > BPF_EXIST) return -EINVAL;
    const r = this.upsert(key, flags);
    if (typeof r === 'number') return r;
    const bytes = this.mem.bytes;
    for (let c = 0; c < this.nCpus; c++) {
      bytes.set(value.subarray(c * this.elemSize, (c + 1) * this.elemSize), this.addr(r.slot, c));
    }
    return 0;
  }

  override getNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    // htab_map_get_next_key
    let b = 0;
    const cur = key === undefined ? undefined : this.index.get(keyId(key, 0, this.keySize));
    if (cur !== undefined) {
      const n = this.bnext[cur]!;
      if (n >= 0) { out.set(this.keys[n]!); return 0; }
      b = this.bucketOf[cur]! + 1;
    }
    const heads = this.heads;
    if (heads === undefined) return -ENOENT;
    for (; b < this.nBuckets; b++) {
      const h = heads[b]!;
      if (h >= 0) { out.set(this.keys[h]!); return 0; }
    }
    return -ENOENT;
  }

  override lookupAndDeleteUser(key: Uint8Array | undefined, out: Uint8Array, flags: number): number {
    const e = checkUserFlags(this, flags);
    if (e !== 0) return e;
    if (key === undefined) return -EINVAL;
    const slot = this.index.get(keyId(key, 0, this.keySize));
    if (slot === undefined) return -ENOENT;
    this.copyOut(slot, out);
    this.remove(slot);
    return 0;
  }
}
