/**
 * @file The map helpers (include/uapi/linux/bpf.h): `bpf_map_lookup_elem`,
 * `bpf_map_update_elem`, `bpf_map_delete_elem`, `bpf_map_push_elem`,
 * `bpf_map_pop_elem`, `bpf_map_peek_elem` and `bpf_map_lookup_percpu_elem`.
 * Map pointers are resolved through `HelperHost.map`; a pointer that names no
 * map ends the run with `HOST_HELPER_BAD_MAP` (the verifier rules it out).
 */

import type { HelperEnv, HelperFn } from '../../abi/helper-env.js';
import { helperName } from '../../abi/helpers.js';
import { fail } from '../../diag/diagnostic.js';
import type { BpfMap } from '../maps/map.js';
import { at, bytesAt, errno, u32 } from './access.js';
import type { HelperHost } from './host.js';

/** Helper ids implemented here. */
export const MAP_HELPER_IDS = {
  map_lookup_elem: 1, map_update_elem: 2, map_delete_elem: 3,
  map_push_elem: 87, map_pop_elem: 88, map_peek_elem: 89, map_lookup_percpu_elem: 195,
} as const;

function mapOf(host: HelperHost, env: HelperEnv, helper: number, ptr: bigint): BpfMap {
  const m = host.map(ptr);
  if (m === undefined) fail('HOST_HELPER_BAD_MAP', { helper: helperName(helper), pointer: ptr.toString(16) }, { pc: env.pc });
  return m;
}

/** Whether a map keeps one value per CPU. */
function isPercpu(m: BpfMap): boolean {
  return (m as { percpu?: boolean }).percpu === true;
}

/** The map helpers, by helper id. */
export function mapHelpers(host: HelperHost): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  const I = MAP_HELPER_IDS;

  // void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)
  h.set(I.map_lookup_elem, (env, r1, r2) => {
    const m = mapOf(host, env, I.map_lookup_elem, r1);
    const ks = m.spec.keySize;
    const a = at(env, I.map_lookup_elem, r2, ks);
    const cpu = host.cpu();
    const v = m.lookupAt !== undefined
      ? m.lookupAt(env.memory.bytes, a, cpu)
      : m.lookup(env.memory.bytes.slice(a, a + ks), cpu);
    return v === undefined ? 0n : BigInt(v);
  });

  // long bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, u64 flags)
  h.set(I.map_update_elem, (env, r1, r2, r3, r4) => {
    const m = mapOf(host, env, I.map_update_elem, r1);
    const key = bytesAt(env, I.map_update_elem, r2, m.spec.keySize).slice();
    const value = bytesAt(env, I.map_update_elem, r3, m.spec.valueSize).slice();
    return errno(m.update(key, value, r4 > 0xffffffffn ? 0x7fffffff : Number(r4), host.cpu()));
  });

  // long bpf_map_delete_elem(struct bpf_map *map, const void *key)
  h.set(I.map_delete_elem, (env, r1, r2) => {
    const m = mapOf(host, env, I.map_delete_elem, r1);
    return errno(m.delete(bytesAt(env, I.map_delete_elem, r2, m.spec.keySize).slice()));
  });

  // long bpf_map_push_elem(struct bpf_map *map, const void *value, u64 flags)
  h.set(I.map_push_elem, (env, r1, r2, r3) => {
    const m = mapOf(host, env, I.map_push_elem, r1);
    const value = bytesAt(env, I.map_push_elem, r2, m.spec.valueSize).slice();
    return errno(m.push(value, r3 > 0xffffffffn ? 0x7fffffff : Number(r3)));
  });

  // long bpf_map_pop_elem(struct bpf_map *map, void *value)
  h.set(I.map_pop_elem, (env, r1, r2) => {
    const m = mapOf(host, env, I.map_pop_elem, r1);
    const a = at(env, I.map_pop_elem, r2, m.spec.valueSize, true);
    const out = new Uint8Array(m.spec.valueSize);
    const r = m.pop(out);
    if (r === 0) env.memory.bytes.set(out, a);
    return errno(r);
  });

  // long bpf_map_peek_elem(struct bpf_map *map, void *value)
  // (a bloom filter reads the value to test; a queue or stack writes it)
  h.set(I.map_peek_elem, (env, r1, r2) => {
    const m = mapOf(host, env, I.map_peek_elem, r1);
    const vs = m.spec.valueSize;
    const a = at(env, I.map_peek_elem, r2, vs);
    const buf = env.memory.bytes.slice(a, a + vs);
    const r = m.peek(buf);
    if (r === 0 && m.spec.keySize === 0 && m.spec.type !== 30) env.memory.bytes.set(buf, at(env, I.map_peek_elem, r2, vs, true));
    return errno(r);
  });

  // void *bpf_map_lookup_percpu_elem(struct bpf_map *map, const void *key, u32 cpu)
  h.set(I.map_lookup_percpu_elem, (env, r1, r2, r3) => {
    const m = mapOf(host, env, I.map_lookup_percpu_elem, r1);
    const cpu = u32(r3);
    if (!isPercpu(m) || cpu >= m.nCpus) return 0n;
    const ks = m.spec.keySize;
    const a = at(env, I.map_lookup_percpu_elem, r2, ks);
    const v = m.lookup(env.memory.bytes.slice(a, a + ks), cpu);
    return v === undefined ? 0n : BigInt(v);
  });

  return h;
}
