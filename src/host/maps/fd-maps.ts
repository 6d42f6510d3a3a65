/**
 * @file Maps whose values are references: `BPF_MAP_TYPE_PROG_ARRAY`,
 * `ARRAY_OF_MAPS` and `HASH_OF_MAPS` (kernel/bpf/arraymap.c fd_array_*,
 * kernel/bpf/hashtab.c htab_of_map_*, kernel/bpf/map_in_map.c).
 *
 * User space stores a file descriptor (a u32 value) that `MapOptions.resolve`
 * turns into the object; lookups from user space give back the object's id
 * (`MapOptions.idOf`), as the kernel gives the map or program id. A program's
 * lookup in a map-in-map yields the inner map's handle (its id), which the
 * map helpers accept as a map pointer.
 */

import type { Memory } from '../../abi/memory.js';
import { E2BIG, EBADF, EEXIST, EINVAL, ENOENT } from './errno.js';
import { BPF_ANY, BPF_EXIST, BPF_F_INNER_MAP, BPF_NOEXIST } from './flags.js';
import { keyId, type KeyId } from './key.js';
import { checkUserFlags, MapBase, type BpfMap, type MapOptions, type MapSpec } from './map.js';
import { MapType } from '../../abi/map-types.js';

/** Whether `inner` may be stored in a map-in-map declared with `meta` (`bpf_map_meta_equal`). */
export function innerMapFits(meta: MapSpec, inner: MapSpec): boolean {
  return meta.type === inner.type && meta.keySize === inner.keySize && meta.valueSize === inner.valueSize
    && (meta.flags ?? 0) === (inner.flags ?? 0)
    && (((meta.flags ?? 0) & BPF_F_INNER_MAP) !== 0 || meta.maxEntries === inner.maxEntries);
}

function u32(b: Uint8Array): number {
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

function putU32(out: Uint8Array, v: number): void {
  out[0] = v; out[1] = v >>> 8; out[2] = v >>> 16; out[3] = v >>> 24;
}

/** Shared: turning a user fd into an object, checking map-in-map compatibility. */
abstract class RefMap<T> extends MapBase {
  protected readonly resolve: (fd: number) => unknown;
  protected readonly idOf: (obj: unknown) => number;
  constructor(spec: MapSpec, mem: Memory, opts: MapOptions = {}) {
    super(spec, mem, opts);
    this.resolve = opts.resolve ?? (() => undefined);
    this.idOf = opts.idOf ?? (() => 0);
  }

  /** The object a user value names, or a negated errno. */
  protected fromFd(value: Uint8Array): T | number {
    const obj = this.resolve(u32(value));
    if (obj === undefined) return -EBADF;
    if (this.spec.type !== MapType.PROG_ARRAY) {
      const inner = obj as BpfMap;
      if (typeof inner !== 'object' || inner === null || !('spec' in inner)) return -EINVAL;
      if (this.spec.inner !== undefined && !innerMapFits(this.spec.inner, inner.spec)) return -EINVAL;
    }
    return obj as T;
  }
}

/** A prog array or array of maps: `max_entries` optional references by u32 index. */
export class FdArrayMap<T = unknown> extends RefMap<T> {
  private readonly slots: (T | undefined)[];

  constructor(spec: MapSpec, mem: Memory, opts: MapOptions = {}) {
    super(spec, mem, opts);
    this.slots = new Array<T | undefined>(spec.maxEntries);
  }

  override get count(): number { return this.slots.filter((s) => s !== undefined).length; }

  /** The reference at `index` (tail calls, inner map lookups). */
  get(index: number): T | undefined { return index < this.maxEntries ? this.slots[index] : undefined; }

  /** Store a reference directly (the host's API, bypassing fds). */
  set(index: number, obj: T | undefined): number {
    if (index >= this.maxEntries) return -E2BIG;
    this.slots[index] = obj;
    return 0;
  }

  override lookup(key: Uint8Array, _cpu: number): number | undefined {
    // programs may look up inner maps, not programs (the verifier forbids it)
    if (this.spec.type === MapType.PROG_ARRAY) return undefined;
    const obj = this.get(u32(key));
    return obj === undefined ? undefined : this.idOf(obj);
  }

  override updateUser(key: Uint8Array | undefined, value: Uint8Array, flags: number): number {
    // bpf_fd_array_map_update_elem
    if (key === undefined) return -EINVAL;
    if (flags !== BPF_ANY) return -EINVAL;
    const i = u32(key);
    if (i >= this.maxEntries) return -E2BIG;
    const obj = this.fromFd(value);
    if (typeof obj === 'number') return obj;
    this.slots[i] = obj;
    return 0;
  }

  override update(): number { return -EINVAL; }

  override delete(key: Uint8Array): number {
    // fd_array_map_delete_elem
    const i = u32(key);
    if (i >= this.maxEntries) return -E2BIG;
    if (this.slots[i] === undefined) return -ENOENT;
    this.slots[i] = undefined;
    return 0;
  }

  override lookupUser(key: Uint8Array | undefined, out: Uint8Array, flags: number): number {
    const e = checkUserFlags(this, flags);
    if (e !== 0) return e;
    if (key === undefined) return -EINVAL;
    const obj = this.get(u32(key));
    if (obj === undefined) return -ENOENT;
    putU32(out, this.idOf(obj));
    return 0;
  }

  override getNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    const i = key === undefined ? 0xffffffff : u32(key);
    if (i >= this.maxEntries) { putU32(out, 0); return 0; }
    if (i === this.maxEntries - 1) return -ENOENT;
    putU32(out, i + 1);
    return 0;
  }
}

/** A hash of maps: keys as in a hash map, values references to inner maps. */
export class HashOfMapsMap<T = unknown> extends RefMap<T> {
  private readonly entries = new Map<KeyId, { key: Uint8Array; obj: T }>();

  override get count(): number { return this.entries.size; }

  /** The inner map stored under `key`. */
  get(key: Uint8Array): T | undefined { return this.entries.get(keyId(key, 0, this.keySize))?.obj; }

  override lookup(key: Uint8Array, _cpu: number): number | undefined {
    const obj = this.get(key);
    return obj === undefined ? undefined : this.idOf(obj);
  }

  override update(): number { return -EINVAL; }

  override updateUser(key: Uint8Array | undefined, value: Uint8Array, flags: number): number {
    if (key === undefined) return -EINVAL;
    if (flags > BPF_EXIST) return -EINVAL;
    const id = keyId(key, 0, this.keySize);
    const old = this.entries.get(id);
    if (old !== undefined && flags === BPF_NOEXIST) return -EEXIST;
    if (old === undefined && flags === BPF_EXIST) return -ENOENT;
    if (old === undefined && this.entries.size >= this.maxEntries) return -E2BIG;
    const obj = this.fromFd(value);
    if (typeof obj === 'number') return obj;
    this.entries.set(id, { key: key.slice(0, this.keySize), obj });
    return 0;
  }

  override delete(key: Uint8Array): number {
    return this.entries.delete(keyId(key, 0, this.keySize)) ? 0 : -ENOENT;
  }

  override lookupUser(key: Uint8Array | undefined, out: Uint8Array, flags: number): number {
    const e = checkUserFlags(this, flags);
    if (e !== 0) return e;
    if (key === undefined) return -EINVAL;
    const obj = this.get(key);
    if (obj === undefined) return -ENOENT;
    putU32(out, this.idOf(obj));
    return 0;
  }

  override getNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    const cur = key === undefined ? undefined : keyId(key, 0, this.keySize);
    let take = cur === undefined || !this.entries.has(cur);
    for (const [id, e] of this.entries) {
      if (take) { out.set(e.key); return 0; }
      if (id === cur) take = true;
    }
    return -ENOENT;
  }
}
