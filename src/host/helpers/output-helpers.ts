/**
 * @file Output to user space: the ring buffer helpers `bpf_ringbuf_output`,
 * `_reserve`, `_submit`, `_discard`, `_query` (kernel/bpf/ringbuf.c) and
 * `bpf_perf_event_output` (kernel/trace/bpf_trace.c).
 */

import type { HelperEnv, HelperFn } from '../../abi/helper-env.js';
import { helperName } from '../../abi/helpers.js';
import { fail } from '../../diag/diagnostic.js';
import { EINVAL } from '../maps/errno.js';
import type { BpfMap } from '../maps/map.js';
import { PerfEventArrayMap } from '../maps/perf-event-array.js';
import { RingbufMap } from '../maps/ringbuf.js';
import { bytesAt, errno, u32 } from './access.js';
import type { HelperHost } from './host.js';

/** Helper ids implemented here. */
export const OUTPUT_HELPER_IDS = {
  perf_event_output: 25, ringbuf_output: 130, ringbuf_reserve: 131, ringbuf_submit: 132,
  ringbuf_discard: 133, ringbuf_query: 134,
} as const;

function mapOf<T>(host: HelperHost, env: HelperEnv, helper: number, ptr: bigint, kind: new (...a: never[]) => T): T {
  const m: BpfMap | undefined = host.map(ptr);
  if (!(m instanceof kind)) fail('HOST_HELPER_BAD_MAP', { helper: helperName(helper), pointer: ptr.toString(16) }, { pc: env.pc });
  return m as T;
}

/** The output helpers, by helper id. `rings` lists every ring buffer, to find a sample's owner. */
export function outputHelpers(host: HelperHost, rings: () => Iterable<RingbufMap>): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  const I = OUTPUT_HELPER_IDS;

  const owner = (env: HelperEnv, helper: number, sample: bigint): RingbufMap => {
    const a = Number(sample);
    for (const r of rings()) if (r.owns(a)) return r;
    return fail('HOST_HELPER_FAULT', { helper: helperName(helper), size: 8, address: sample.toString(16) }, { pc: env.pc });
  };

  // long bpf_ringbuf_output(void *ringbuf, void *data, u64 size, u64 flags)
  h.set(I.ringbuf_output, (env, r1, r2, r3, r4) => {
    const rb = mapOf(host, env, I.ringbuf_output, r1, RingbufMap);
    const data = bytesAt(env, I.ringbuf_output, r2, Number(r3)).slice();
    return errno(rb.output(data, r4));
  });
  // void *bpf_ringbuf_reserve(void *ringbuf, u64 size, u64 flags)
  h.set(I.ringbuf_reserve, (env, r1, r2, r3) => {
    const rb = mapOf(host, env, I.ringbuf_reserve, r1, RingbufMap);
    return BigInt(r2 > 0xffffffffn ? 0 : rb.reserve(Number(r2), r3));
  });
  // void bpf_ringbuf_submit(void *data, u64 flags)
  h.set(I.ringbuf_submit, (env, r1, r2) => {
    owner(env, I.ringbuf_submit, r1).commit(Number(r1), r2, false);
    return 0n;
  });
  // void bpf_ringbuf_discard(void *data, u64 flags)
  h.set(I.ringbuf_discard, (env, r1, r2) => {
    owner(env, I.ringbuf_discard, r1).commit(Number(r1), r2, true);
    return 0n;
  });
  // u64 bpf_ringbuf_query(void *ringbuf, u64 flags)
  h.set(I.ringbuf_query, (env, r1, r2) => mapOf(host, env, I.ringbuf_query, r1, RingbufMap).query(r2));

  // long bpf_perf_event_output(void *ctx, struct bpf_map *map, u64 flags, void *data, u64 size)
  h.set(I.perf_event_output, (env, _r1, r2, r3, r4, r5) => {
    const m = mapOf(host, env, I.perf_event_output, r2, PerfEventArrayMap);
    // perf_event_output: size must fit the raw record (u32 size field, 8-byte aligned header)
    if (r5 > 0xffffffffn) return errno(-EINVAL);
    const data = bytesAt(env, I.perf_event_output, r4, u32(r5)).slice();
    return errno(m.output(r3, data, host.cpu()));
  });
  return h;
}
