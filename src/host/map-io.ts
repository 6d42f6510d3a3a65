/**
 * @file Maps as text: preloading from a maps file, and the contents of every
 * map as plain data (what `run --json` prints).
 *
 * A maps file has one update per line, `MAP_NAME KEY_HEX VALUE_HEX`, bytes
 * in memory order; `#` starts a comment. Hex may contain spaces only between
 * the three fields, so `0a000001` is four bytes. Per-CPU maps take every
 * CPU's value, concatenated (each rounded up to 8 bytes, as `bpf()` does).
 */

import { mapTypeName, MapType } from '../abi/map-types.js';
import { fail } from '../diag/index.js';
import type { Instance } from './instance.js';
import type { BpfMap } from './maps/map.js';
import { RingbufMap } from './maps/ringbuf.js';

/** Bytes as compact lower-case hex (`0a000001`). */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Compact hex (an optional `0x` prefix, even length) as bytes; undefined if it is not. */
export function fromHex(text: string): Uint8Array | undefined {
  const t = text.startsWith('0x') ? text.slice(2) : text;
  if (t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) return undefined;
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Apply a maps file to an instance's maps. */
export function loadMapsFile(instance: Instance, text: string, file?: string): number {
  let count = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = { ...(file !== undefined ? { file } : {}) };
    const fields = line.split(/\s+/);
    if (fields.length !== 3) {
      fail('MAPS_FILE_SYNTAX', { line: i + 1, detail: `expected "MAP_NAME KEY_HEX VALUE_HEX", found ${fields.length} field${fields.length === 1 ? '' : 's'}` }, where);
    }
    const [name, keyHex, valueHex] = fields as [string, string, string];
    const map = instance.maps.get(name);
    if (map === undefined) {
      fail('MAPS_FILE_SYNTAX', { line: i + 1, detail: `no map "${name}" (maps: ${[...instance.maps.keys()].join(', ') || 'none'})` }, where);
    }
    const key = fromHex(keyHex);
    const value = fromHex(valueHex);
    if (key === undefined || value === undefined) {
      fail('MAPS_FILE_SYNTAX', { line: i + 1, detail: `"${key === undefined ? keyHex : valueHex}" is not hex bytes` }, where);
    }
    if (key.length !== map.spec.keySize) {
      fail('MAPS_FILE_SYNTAX', { line: i + 1, detail: `map "${name}" has ${map.spec.keySize}-byte keys, this key has ${key.length}` }, where);
    }
    if (value.length !== map.userValueSize) {
      fail('MAPS_FILE_SYNTAX', { line: i + 1, detail: `map "${name}" takes ${map.userValueSize}-byte values, this value has ${value.length}` }, where);
    }
    const rc = map.updateUser(key, value, 0);
    if (rc !== 0) fail('MAPS_FILE_UPDATE', { line: i + 1, map: name, errno: rc }, where);
    count++;
  });
  return count;
}

/** One map entry as hex. Per-CPU maps give `values`, one per CPU. */
export type MapEntryDump = { key: string; value: string } | { key: string; values: string[] };

/** One map's contents. */
export interface MapDump {
  type: string;
  entries: MapEntryDump[];
}

const PERCPU = new Set<number>([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]);
const DUMPABLE = new Set<number>([
  MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH, MapType.LPM_TRIE,
]);

/** Every entry of a map, in `get_next_key` order. Maps without keys (queues, ringbufs) give none. */
export function dumpMap(map: BpfMap): MapDump {
  const entries: MapEntryDump[] = [];
  const type = mapTypeName(map.spec.type);
  if (!DUMPABLE.has(map.spec.type)) return { type, entries };
  const keySize = map.spec.keySize;
  let key: Uint8Array | undefined;
  const next = new Uint8Array(keySize);
  const value = new Uint8Array(map.userValueSize);
  for (let guard = 0; guard <= map.spec.maxEntries; guard++) {
    if (map.getNextKey(key, next) !== 0) break;
    key = next.slice();
    if (map.lookupUser(key, value, 0) !== 0) continue;
    if (PERCPU.has(map.spec.type)) {
      const per = value.length / map.nCpus;
      const values: string[] = [];
      for (let c = 0; c < map.nCpus; c++) values.push(toHex(value.subarray(c * per, c * per + map.spec.valueSize)));
      entries.push({ key: toHex(key), values });
    } else {
      entries.push({ key: toHex(key), value: toHex(value) });
    }
  }
  return { type, entries };
}

/** Every map of an instance, by name. */
export function dumpMaps(instance: Instance): Record<string, MapDump> {
  const out: Record<string, MapDump> = {};
  for (const [name, map] of instance.maps) out[name] = dumpMap(map);
  return out;
}

/** Drain every ring buffer of an instance: records as hex, by map name. */
export function drainRingbufs(instance: Instance): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, map] of instance.maps) {
    if (!(map instanceof RingbufMap)) continue;
    const records: string[] = [];
    map.consume((sample) => { records.push(toHex(sample)); });
    out[name] = records;
  }
  return out;
}
