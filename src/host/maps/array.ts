/**
 * @file `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY` (kernel/bpf/arraymap.c).
 *
 * Every element exists from creation, zero-filled, and lives at a fixed
 * address: index `i` at `base + i * round_up(value_size, 8)`. A per-CPU array
 * keeps one such array per CPU, CPU-major (CPU `c`'s copy of index `i` at
 * `base + (c * max_entries + i) * round_up(value_size, 8)`), so a CPU's
 * values have the plain array's layout from its own base. Iteration is index
 * order.
 */

import type { Memory } from '../../abi/memory.js';
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_F_RDONLY_PROG, BPF_NOEXIST } from './flags.js';
import { checkUserFlags, MapBase, round8, type MapOptions, type MapSpec } from './map.js';
import { MapType } from '../../abi/map-types.js';

/** An array or per-CPU array map. */
export class ArrayMap extends MapBase {
  /** Whether each index has one value per CPU. */
  readonly percpu: boolean;
  /** Bytes between consecutive slots. */
  readonly elemSize: number;
  /** Address of index 0 (CPU 0). */
  readonly base: number;

  constructor(spec: MapSpec, mem: Memory, opts: MapOptions = {}) {
    super(spec, mem, opts);
    this.percpu = spec.type === MapType.PERCPU_ARRAY;
    this.elemSize = round8(spec.valueSize);
    const slots = spec.maxEntries * (this.percpu ? this.nCpus : 1);
    // a BPF_F_RDONLY_PROG map (such as .rodata) is read-only to programs: stores through it fault
    const writable = (this.flags & BPF_F_RDONLY_PROG) === 0;
    this.base = mem.map(`map:${this.name}`, 'map_value', Math.max(1, slots * this.elemSize), writable).start;
  }

  override get count(): number { return this.maxEntries; }
  override get userValueSize(): number { return this.percpu ? this.nCpus * this.elemSize : this.valueSize; }

  /** Index from a 4-byte little-endian key. */
  private index(key: Uint8Array): number {
    return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  }

  /** Address of `index` on `cpu` (no bounds check). */
  addressOf(index: number, cpu: number): number {
    return this.base + (this.percpu ? cpu * this.maxEntries + index : index) * this.elemSize;
  }

  override lookup(key: Uint8Array, cpu: number): number | undefined {
    const i = this.index(key);
    if (i >= this.maxEntries) return undefined;
    return this.addressOf(i, cpu);
  }

  /** `lookup` reading the key from the linear memory (the helpers' fast path). */
  lookupAt(bytes: Uint8Array, keyAddr: number, cpu: number): number | undefined {
    const i = (bytes[keyAddr]! | (bytes[keyAddr + 1]! << 8) | (bytes[keyAddr + 2]! << 16) | (bytes[keyAddr + 3]! << 24)) >>> 0;
    if (i >= this.maxEntries) return undefined;
    return this.base + (this.percpu ? cpu * this.maxEntries + i : i) * this.elemSize;
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    // array_map_update_elem
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
    const i = this.index(key);
    if (i >= this.maxEntries) return -E2BIG;
    if ((flags & BPF_NOEXIST) !== 0) return -EEXIST;
    if ((flags & BPF_F_LOCK) !== 0 && !this.hasSpinLock) return -EINVAL;
    this.writeValue(this.addressOf(i, cpu), value);
    return 0;
  }

  override delete(_key: Uint8Array): number { return -EINVAL; }

  override lookupUser(key: Uint8Array | undefined, out: Uint8Array, flags: number): number {
    const e = checkUserFlags(this, flags);
    if (e !== 0) return e;
    if (key === undefined) return -EINVAL;
    const i = this.index(key);
    if (i >= this.maxEntries) return -ENOENT;
    if (!this.percpu) {
      this.readValue(this.addressOf(i, 0), out, 0);
      return 0;
    }
    // bpf_percpu_array_copy: round_up(value_size, 8) bytes per CPU, padding included
    const bytes = this.mem.bytes;
    for (let c = 0; c < this.nCpus; c++) {
      const a = this.addressOf(i, c);
      out.set(bytes.subarray(a, a + this.elemSize), c * this.elemSize);
    }
    return 0;
  }

  override updateUser(key: Uint8Array | undefined, value: Uint8Array, flags: number): number {
    if (key === undefined) return -EINVAL;
    if (!this.percpu) {
      if ((flags & BPF_F_LOCK) !== 0 && !this.hasSpinLock) return -EINVAL;
      return this.update(key, value, flags, 0);
    }
    // bpf_percpu_array_update
    if (flags > BPF_EXIST) return -EINVAL;
    const i = this.index(key);
    if (i >= this.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    const bytes = this.mem.bytes;
    for (let c = 0; c < this.nCpus; c++) {
      bytes.set(value.subarray(c * this.elemSize, (c + 1) * this.elemSize), this.addressOf(i, c));
    }
    return 0;
  }

  override getNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    // array_map_get_next_key
    const i = key === undefined ? 0xffffffff : this.index(key);
    let next: number;
    if (i >= this.maxEntries) next = 0;
    else if (i === this.maxEntries - 1) return -ENOENT;
    else next = i + 1;
    out[0] = next; out[1] = next >>> 8; out[2] = next >>> 16; out[3] = next >>> 24;
    return 0;
  }
}
