/**
 * @file Creating a map from its spec: the kernel's creation checks, then the
 * family that implements the type.
 */

import type { Memory } from '../../abi/memory.js';
import { fail } from '../../diag/diagnostic.js';
import { ArrayMap } from './array.js';
import { BloomFilterMap, type BloomOptions } from './bloom-filter.js';
import { checkMapSpec } from './check.js';
import { FdArrayMap, HashOfMapsMap } from './fd-maps.js';
import { HashMap, type HashOptions } from './hash.js';
import { LpmTrieMap } from './lpm-trie.js';
import type { BpfMap, MapSpec } from './map.js';
import { MapType, mapTypeName } from '../../abi/map-types.js';
import { PerfEventArrayMap } from './perf-event-array.js';
import { QueueStackMap } from './queue-stack.js';
import { RingbufMap } from './ringbuf.js';

/** Options for `createMap`: shared ones, and the hash seed of hash maps and bloom filters. */
export type CreateOptions = BloomOptions & HashOptions;

/**
 * Create a map, or `-errno` with the reason when the kernel would refuse the
 * spec (for callers that compare with the kernel).
 */
export function tryCreateMap(spec: MapSpec, mem: Memory, opts: CreateOptions = {}): BpfMap | { errno: number; reason: string } {
  const bad = checkMapSpec(spec);
  if (bad !== undefined) return bad;
  switch (spec.type) {
    case MapType.ARRAY: case MapType.PERCPU_ARRAY: return new ArrayMap(spec, mem, opts);
    case MapType.HASH: case MapType.PERCPU_HASH: case MapType.LRU_HASH: case MapType.LRU_PERCPU_HASH:
      return new HashMap(spec, mem, opts);
    case MapType.LPM_TRIE: return new LpmTrieMap(spec, mem, opts);
    case MapType.QUEUE: case MapType.STACK: return new QueueStackMap(spec, mem, opts);
    case MapType.BLOOM_FILTER: return new BloomFilterMap(spec, mem, opts);
    case MapType.RINGBUF: return new RingbufMap(spec, mem, opts);
    case MapType.PERF_EVENT_ARRAY: return new PerfEventArrayMap(spec, mem, opts);
    case MapType.PROG_ARRAY: case MapType.ARRAY_OF_MAPS: return new FdArrayMap(spec, mem, opts);
    case MapType.HASH_OF_MAPS: return new HashOfMapsMap(spec, mem, opts);
    default: return { errno: 22, reason: `unsupported map type ${spec.type}` };
  }
}

/** Create a map; a spec the kernel would refuse throws `HOST_MAP_INVALID`. */
export function createMap(spec: MapSpec, mem: Memory, opts: CreateOptions = {}): BpfMap {
  const m = tryCreateMap(spec, mem, opts);
  if ('errno' in m) fail('HOST_MAP_INVALID', { name: spec.name ?? '', type: mapTypeName(spec.type), reason: m.reason });
  return m;
}
