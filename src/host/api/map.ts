/**
 * @file A map as user space sees it (libbpf's `bpf_map__*`, cilium/ebpf's
 * `Map`): lookup, update, delete and iteration over raw bytes, with the
 * kernel's user-side semantics (`BPF_MAP_*_ELEM`, `BPF_MAP_GET_NEXT_KEY`).
 * A per-CPU map's value is every CPU's value, each rounded up to 8 bytes;
 * `lookupPerCpu` splits it. `as('u32', 'u64')` gives the same map with
 * numbers and bigints for keys and values.
 *
 * A missing key is `undefined` (lookup) or `false` (delete); any other
 * failure is an `API_MAP_OP` diagnostic carrying the negative errno.
 */

import { MapType, mapTypeName } from '../../abi/map-types.js';
import { fail } from '../../diag/index.js';
import { ENOENT } from '../maps/errno.js';
import { round8, type BpfMap } from '../maps/map.js';

/** Map types whose values are per CPU. */
const PERCPU = new Set<number>([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH, MapType.PERCPU_CGROUP_STORAGE]);

/** Whether a map type keeps one value per CPU. */
export function isPerCpu(type: number): boolean {
  return PERCPU.has(type);
}

/** Scalar types for keys and values. */
export type Scalar = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';
/** The JavaScript type of a scalar: bigint for 64-bit ones, number otherwise. */
export type JsOf<S extends Scalar> = S extends 'u64' | 's64' ? bigint : number;

const SCALAR_SIZE: Record<Scalar, number> = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4, s64: 8 };

/** A key or value: bytes, or an integer stored little-endian in the map's key or value size. */
export type Bytes = Uint8Array | number | bigint;

/** `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`. */
export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

/** A map of an opened object. */
export class ObjectMap {
  constructor(readonly name: string, readonly map: BpfMap) {}

  /** Lower-case map type name (`hash`, `percpu_array`). */
  get type(): string { return mapTypeName(this.map.spec.type); }
  /** Bytes in a key. */
  get keySize(): number { return this.map.spec.keySize; }
  /** Bytes in one value (one CPU's, for a per-CPU map). */
  get valueSize(): number { return this.map.spec.valueSize; }
  /** `max_entries`. */
  get maxEntries(): number { return this.map.spec.maxEntries; }
  /** CPUs a per-CPU map holds values for. */
  get nCpus(): number { return this.map.nCpus; }
  /** Whether the map keeps one value per CPU. */
  get perCpu(): boolean { return isPerCpu(this.map.spec.type); }

  /** The value under a key (per-CPU maps: every CPU's, concatenated), or undefined. */
  lookup(key: Bytes): Uint8Array | undefined {
    const out = new Uint8Array(this.map.userValueSize);
    const rc = this.map.lookupUser(this.bytes(key, this.keySize, 'key'), out, 0);
    if (rc === -ENOENT) return undefined;
    this.check(rc, 'lookup');
    return out;
  }

  /** A per-CPU map's value under a key, one `valueSize`-byte value per CPU, or undefined. */
  lookupPerCpu(key: Bytes): Uint8Array[] | undefined {
    if (!this.perCpu) fail('API_MAP_KIND', { name: this.name, type: this.type, op: 'lookupPerCpu', need: 'a per-CPU map' });
    const all = this.lookup(key);
    if (all === undefined) return undefined;
    const stride = round8(this.valueSize);
    return Array.from({ length: this.nCpus }, (_, c) => all.slice(c * stride, c * stride + this.valueSize));
  }

  /** Store a value (per-CPU maps: every CPU's, or one value that every CPU gets). */
  update(key: Bytes, value: Bytes, flags: number = UpdateFlags.ANY): void {
    let v = this.bytes(value, this.valueSize, 'value');
    if (this.perCpu && v.length === this.valueSize && v.length !== this.map.userValueSize) v = this.spread(v);
    this.check(this.map.updateUser(this.bytes(key, this.keySize, 'key'), v, flags), 'update');
  }

  /** Delete a key; false when it was not there. */
  delete(key: Bytes): boolean {
    const rc = this.map.delete(this.bytes(key, this.keySize, 'key'));
    if (rc === -ENOENT) return false;
    this.check(rc, 'delete');
    return true;
  }

  /** Every key, in `BPF_MAP_GET_NEXT_KEY` order. */
  *keys(): Generator<Uint8Array> {
    let key: Uint8Array | undefined;
    for (let guard = 0; guard <= this.maxEntries; guard++) {
      const next = new Uint8Array(this.keySize);
      if (this.map.getNextKey(key, next) !== 0) return;
      yield next;
      key = next;
    }
  }

  /** Every `[key, value]` pair; keys deleted meanwhile are skipped. */
  *iterate(): Generator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value !== undefined) yield [key, value];
    }
  }

  [Symbol.iterator](): Generator<[Uint8Array, Uint8Array]> { return this.iterate(); }

  /** The same map with scalar keys and values. */
  as<K extends Scalar, V extends Scalar>(key: K, value: V): TypedMap<JsOf<K>, JsOf<V>> {
    if (SCALAR_SIZE[key] !== this.keySize) fail('API_SCALAR', { name: this.name, what: 'a key', size: this.keySize, as: key });
    if (SCALAR_SIZE[value] !== this.valueSize) fail('API_SCALAR', { name: this.name, what: 'a value', size: this.valueSize, as: value });
    return new TypedMap<JsOf<K>, JsOf<V>>(this, key, value);
  }

  /** Bytes of a key or value given as bytes or an integer. */
  private bytes(x: Bytes, size: number, what: string): Uint8Array {
    if (x instanceof Uint8Array) return x;
    if (typeof x === 'number' && !Number.isFinite(x)) fail('API_SCALAR', { name: this.name, what: `a ${what}`, size, as: String(x) });
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) fail('API_SCALAR', { name: this.name, what: `a ${what}`, size, as: 'number' });
    return encodeScalar(x, size);
  }

  /** One value repeated for every CPU, each padded to 8 bytes. */
  private spread(v: Uint8Array): Uint8Array {
    const stride = round8(this.valueSize);
    const out = new Uint8Array(this.map.userValueSize);
    for (let c = 0; c < this.nCpus; c++) out.set(v, c * stride);
    return out;
  }

  private check(rc: number, op: string): void {
    if (rc !== 0) fail('API_MAP_OP', { name: this.name, op, errno: rc });
  }
}

/** A map with scalar keys and values (`ObjectMap.as`). */
export class TypedMap<K extends number | bigint, V extends number | bigint> {
  constructor(readonly raw: ObjectMap, readonly keyType: Scalar, readonly valueType: Scalar) {}

  /** The value under a key (CPU 0's, for a per-CPU map), or undefined. */
  get(key: K): V | undefined {
    const v = this.raw.lookup(key);
    return v === undefined ? undefined : decodeScalar(v, this.valueType) as V;
  }

  /** Per-CPU maps: one value per CPU. */
  getPerCpu(key: K): V[] | undefined {
    return this.raw.lookupPerCpu(key)?.map((v) => decodeScalar(v, this.valueType) as V);
  }

  /** Store a value (for a per-CPU map, on every CPU). */
  set(key: K, value: V, flags: number = UpdateFlags.ANY): void { this.raw.update(key, value, flags); }

  /** Delete a key; false when it was not there. */
  delete(key: K): boolean { return this.raw.delete(key); }

  /** Every `[key, value]`; per-CPU maps give CPU 0's value (use `getPerCpu` for the others). */
  *entries(): Generator<[K, V]> {
    for (const [k, v] of this.raw.iterate()) yield [decodeScalar(k, this.keyType) as K, decodeScalar(v, this.valueType) as V];
  }

  [Symbol.iterator](): Generator<[K, V]> { return this.entries(); }
}

/** An integer as `size` little-endian bytes (two's complement). */
function encodeScalar(x: number | bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let n = BigInt.asUintN(64, typeof x === 'bigint' ? x : BigInt(Math.trunc(x)));
  for (let i = 0; i < size; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/** Little-endian bytes as a scalar of the type. */
function decodeScalar(b: Uint8Array, type: Scalar): number | bigint {
  const size = SCALAR_SIZE[type];
  let n = 0n;
  for (let i = size - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i] ?? 0);
  const v = type.startsWith('s') ? BigInt.asIntN(size * 8, n) : n;
  return size === 8 ? v : Number(v);
}
