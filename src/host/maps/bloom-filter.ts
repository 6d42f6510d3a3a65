/**
 * @file `BPF_MAP_TYPE_BLOOM_FILTER` (kernel/bpf/bloom_filter.c).
 *
 * The kernel's sizing and hashing, reproduced: `nr_hash_funcs` from the low 4
 * bits of `map_extra` (default 5); a bit array of `max_entries * k * 7 / 5`
 * bits rounded up to a power of two (at least 64); bit `i` of a value is
 * `jhash2(value, seed + i) & mask` (`jhash` when the size is not a multiple of 4).
 * The seed is random unless `BPF_F_ZERO_SEED`; only false positives depend on
 * it, and with a zero seed they are exactly the kernel's.
 */

import type { Memory } from '../../abi/memory.js';
import { EINVAL, ENOENT, EOPNOTSUPP } from './errno.js';
import { BPF_ANY, BPF_F_ZERO_SEED } from './flags.js';
import { jhash } from './jhash.js';
import { checkUserFlags, MapBase, type MapOptions, type MapSpec } from './map.js';

/** Host settings of the bloom filter. */
export interface BloomOptions extends MapOptions {
  /** Seed when `BPF_F_ZERO_SEED` is not set (the kernel uses `get_random_u32()`). */
  readonly seed?: number;
}

/** A bloom filter map. */
export class BloomFilterMap extends MapBase {
  readonly nrHashFuncs: number;
  /** Number of bits minus one. */
  readonly bitsetMask: number;
  readonly seed: number;
  private readonly bits: Uint32Array;
  private n = 0;

  constructor(spec: MapSpec, mem: Memory, opts: BloomOptions = {}) {
    super(spec, mem, opts);
    const k = Number((spec.mapExtra ?? 0n) & 0xfn) || 5;
    this.nrHashFuncs = k;
    let nrBits = spec.maxEntries * k;
    nrBits = Math.floor(nrBits / 5) * 7;
    let mask: number;
    if (spec.maxEntries * k > 0xffffffff || nrBits > 2 ** 31) {
      mask = 0xffffffff;
    } else {
      nrBits = nrBits <= 64 ? 64 : 2 ** Math.ceil(Math.log2(nrBits));
      mask = nrBits - 1;
    }
    this.bitsetMask = mask;
    this.bits = new Uint32Array(Math.ceil((mask + 1) / 32));
    this.seed = (this.flags & BPF_F_ZERO_SEED) !== 0 ? 0 : (opts.seed ?? 0) >>> 0;
  }

  override get count(): number { return this.n; }

  private hash(value: Uint8Array, i: number): number {
    return (jhash(value, 0, this.valueSize, (this.seed + i) >>> 0) & this.bitsetMask) >>> 0;
  }

  override push(value: Uint8Array, flags: number): number {
    // bloom_map_push_elem
    if (flags !== BPF_ANY) return -EINVAL;
    for (let i = 0; i < this.nrHashFuncs; i++) {
      const h = this.hash(value, i);
      this.bits[h >>> 5]! |= 1 << (h & 31);
    }
    this.n++;
    return 0;
  }

  override peek(value: Uint8Array): number {
    // bloom_map_peek_elem: -ENOENT as soon as one bit is clear
    for (let i = 0; i < this.nrHashFuncs; i++) {
      const h = this.hash(value, i);
      if ((this.bits[h >>> 5]! & (1 << (h & 31))) === 0) return -ENOENT;
    }
    return 0;
  }

  override pop(_out: Uint8Array): number { return -EOPNOTSUPP; }
  override delete(_key: Uint8Array): number { return -EOPNOTSUPP; }
  override getNextKey(_key: Uint8Array | undefined, _out: Uint8Array): number { return -EOPNOTSUPP; }
  override update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): number { return -EINVAL; }

  override lookupUser(_key: Uint8Array | undefined, value: Uint8Array, flags: number): number {
    const e = checkUserFlags(this, flags);
    return e !== 0 ? e : this.peek(value);
  }

  override updateUser(_key: Uint8Array | undefined, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }
}
