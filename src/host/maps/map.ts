/**
 * @file The `BpfMap` interface every map family implements, its creation spec,
 * and a base class with the kernel's answers for operations a family lacks.
 *
 * Two sides, as in the kernel:
 * - the *program* side (what helpers call): `lookup` returns the ADDRESS of the
 *   value in the linear memory, so the program can dereference it; per-CPU maps
 *   take the current CPU;
 * - the *user* side (what the `bpf()` syscall does): values are copied in and
 *   out; a per-CPU value is `nCpus` slots of `round_up(value_size, 8)` bytes.
 *
 * Every operation returns `0` or a negated errno, like the kernel.
 */

import type { Memory } from '../../abi/memory.js';
import { EINVAL, ENOTSUPP } from './errno.js';

/** What a map is created from: the fields of `bpf_attr` for `BPF_MAP_CREATE`. */
export interface MapSpec {
  /** `enum bpf_map_type`. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** `map_flags` (BPF_F_*). */
  readonly flags?: number;
  /** `map_extra` (bloom filter: number of hash functions in the low 4 bits). */
  readonly mapExtra?: bigint;
  /** Name, for diagnostics and pinning. */
  readonly name?: string;
  /** Map-in-map: the spec every inner map must match. */
  readonly inner?: MapSpec;
  /** Offset of a `struct bpf_spin_lock` in the value, when BTF declares one. */
  readonly spinLockOffset?: number;
}

/** Host settings shared by all maps. */
export interface MapOptions {
  /** Number of possible CPUs (per-CPU maps keep one value per CPU). Default 1. */
  readonly nCpus?: number;
  /** Resolve a map id/fd stored in a map-in-map or prog-array (user side). */
  readonly resolve?: (fd: number) => unknown;
  /** The id user space sees for an object stored in a map-in-map or prog-array. */
  readonly idOf?: (obj: unknown) => number;
}

/** A map with the kernel's semantics. */
export interface BpfMap {
  readonly spec: MapSpec;
  readonly name: string;
  /** CPUs a per-CPU map keeps values for. */
  readonly nCpus: number;
  /** Bytes a user-side value has (per-CPU: `nCpus * round_up(value_size, 8)`). */
  readonly userValueSize: number;
  /** Number of elements currently stored (arrays: `max_entries`). */
  readonly count: number;
  /** Whether `BPF_MAP_FREEZE` made the map read-only for user space. */
  frozen: boolean;

  /** Program side: the value's address, or `undefined` (NULL). */
  lookup(key: Uint8Array, cpu: number): number | undefined;
  /**
   * Program side, optional fast path: `lookup` with the key read straight
   * from `bytes` at `keyAddr` (no copy).
   */
  lookupAt?(bytes: Uint8Array, keyAddr: number, cpu: number): number | undefined;
  /** Program side: `bpf_map_update_elem` (per-CPU maps set `cpu`'s value). */
  update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number;
  /** Both sides: `bpf_map_delete_elem`. */
  delete(key: Uint8Array): number;
  /** Both sides: `bpf_map_push_elem` (queue, stack, bloom filter). */
  push(value: Uint8Array, flags: number): number;
  /** Both sides: `bpf_map_pop_elem`, writing into `out`. */
  pop(out: Uint8Array): number;
  /** Both sides: `bpf_map_peek_elem`, writing into `out` (bloom: `out` is the probed value). */
  peek(out: Uint8Array): number;

  /** User side: `BPF_MAP_LOOKUP_ELEM`, copying the value(s) into `out`. */
  lookupUser(key: Uint8Array | undefined, out: Uint8Array, flags: number): number;
  /** User side: `BPF_MAP_UPDATE_ELEM` (per-CPU maps take every CPU's value). */
  updateUser(key: Uint8Array | undefined, value: Uint8Array, flags: number): number;
  /** User side: `BPF_MAP_GET_NEXT_KEY`; `key` absent or not found gives the first key. */
  getNextKey(key: Uint8Array | undefined, out: Uint8Array): number;
  /** User side: `BPF_MAP_LOOKUP_AND_DELETE_ELEM`. */
  lookupAndDeleteUser(key: Uint8Array | undefined, out: Uint8Array, flags: number): number;
}

/** `round_up(n, 8)`. */
export function round8(n: number): number {
  return (n + 7) & ~7;
}

/** Shared state and the kernel's default answers; families override what they support. */
export abstract class MapBase implements BpfMap {
  readonly spec: MapSpec;
  readonly name: string;
  readonly nCpus: number;
  readonly mem: Memory;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  frozen = false;

  constructor(spec: MapSpec, mem: Memory, opts: MapOptions = {}) {
    this.spec = spec;
    this.name = spec.name ?? '';
    this.nCpus = opts.nCpus ?? 1;
    this.mem = mem;
    this.keySize = spec.keySize;
    this.valueSize = spec.valueSize;
    this.maxEntries = spec.maxEntries;
    this.flags = spec.flags ?? 0;
  }

  get userValueSize(): number { return this.valueSize; }
  abstract get count(): number;

  lookup(_key: Uint8Array, _cpu: number): number | undefined { return undefined; }
  update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): number { return -EINVAL; }
  delete(_key: Uint8Array): number { return -EINVAL; }
  push(_value: Uint8Array, _flags: number): number { return -ENOTSUPP; }
  pop(_out: Uint8Array): number { return -ENOTSUPP; }
  peek(_out: Uint8Array): number { return -ENOTSUPP; }
  lookupUser(_key: Uint8Array | undefined, _out: Uint8Array, _flags: number): number { return -EINVAL; }
  updateUser(key: Uint8Array | undefined, value: Uint8Array, flags: number): number {
    return key === undefined ? -EINVAL : this.update(key, value, flags, 0);
  }
  getNextKey(_key: Uint8Array | undefined, _out: Uint8Array): number { return -EINVAL; }
  lookupAndDeleteUser(_key: Uint8Array | undefined, _out: Uint8Array, flags: number): number {
    // map_lookup_and_delete_elem checks the flags before the map type
    return checkUserFlags(this, flags) || -ENOTSUPP;
  }

  /** Whether the value declares a `bpf_spin_lock` (needed by `BPF_F_LOCK`). */
  protected get hasSpinLock(): boolean { return this.spec.spinLockOffset !== undefined; }

  /**
   * Copy `src` into the value at `addr`; the 4-byte spin lock, when declared,
   * is left alone (the kernel's `copy_map_value` skips special fields).
   */
  protected writeValue(addr: number, src: Uint8Array): void {
    const bytes = this.mem.bytes;
    const n = this.valueSize;
    const l = this.spec.spinLockOffset;
    if (l !== undefined) {
      // copy_map_value never overwrites the lock word itself (include/linux/bpf.h)
      bytes.set(src.subarray(0, l), addr);
      bytes.set(src.subarray(l + 4, n), addr + l + 4);
    } else {
      bytes.set(n === src.length ? src : src.subarray(0, n), addr);
    }
  }

  /** Copy the value at `addr` into `out` at `offset` (the spin lock reads as zero, like the kernel). */
  protected readValue(addr: number, out: Uint8Array, offset: number): void {
    out.set(this.mem.bytes.subarray(addr, addr + this.valueSize), offset);
    if (this.spec.spinLockOffset !== undefined) out.fill(0, offset + this.spec.spinLockOffset, offset + this.spec.spinLockOffset + 4);
  }
}

/**
 * The flag checks `BPF_MAP_LOOKUP_ELEM` and `BPF_MAP_LOOKUP_AND_DELETE_ELEM`
 * make before reaching the map (kernel/bpf/syscall.c): only `BPF_F_LOCK`, and
 * only on a value with a spin lock. Returns 0 or `-EINVAL`.
 */
export function checkUserFlags(map: BpfMap, flags: number): number {
  if ((flags & ~4) !== 0) return -EINVAL;
  if ((flags & 4) !== 0 && map.spec.spinLockOffset === undefined) return -EINVAL;
  return 0;
}
