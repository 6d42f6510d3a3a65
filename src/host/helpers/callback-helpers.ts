/**
 * @file Helpers that call back into the program: `bpf_loop` (181) and
 * `bpf_for_each_map_elem` (164), as kernel/bpf/bpf_iter.c and the maps'
 * `map_for_each_callback` implement them. The callback is a function of the
 * program (its address came from a `lddw` of a function); the backend runs
 * it through `HelperEnv.callback`, in a new frame below the caller's.
 *
 * - `bpf_loop(nr, cb, ctx, flags)`: `cb(i, ctx)` for i = 0.., stopping when
 *   it returns non-zero; returns the number of calls made. `flags` must be
 *   0 (`-EINVAL`), `nr` at most 2^23 (`-E2BIG`).
 * - `bpf_for_each_map_elem(map, cb, ctx, flags)`: `cb(map, &key, &value,
 *   ctx)` for each element in the map's iteration order (arrays by index,
 *   hash maps in the kernel's bucket order), the running CPU's value of
 *   per-CPU maps, stopping when it returns non-zero; returns the number of
 *   elements visited. The key is a read-only copy in the linear memory;
 *   the value is the element itself. Array and hash maps only (`-ENOTSUPP`
 *   for the others, as the kernel's verifier would have refused them).
 */

import type { HelperEnv, HelperFn } from '../../abi/helper-env.js';
import { helperName } from '../../abi/helpers.js';
import { MapType } from '../../abi/map-types.js';
import { fail } from '../../diag/diagnostic.js';
import { E2BIG, EINVAL } from '../maps/errno.js';
import { errno } from './access.js';
import type { HelperHost } from './host.js';

/** Helper ids implemented here. */
export const CALLBACK_HELPER_IDS = { for_each_map_elem: 164, loop: 181 } as const;

/** `BPF_MAX_LOOPS` (kernel/bpf/bpf_iter.c). */
export const MAX_LOOPS = 8 * 1024 * 1024;

/** `-ENOTSUPP` (524), the kernel's internal "operation not supported". */
const ENOTSUPP = 524;

/** Map types `bpf_for_each_map_elem` walks. */
const ITERABLE: ReadonlySet<number> = new Set([
  MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH,
]);

function callbackOf(env: HelperEnv, id: number): NonNullable<HelperEnv['callback']> {
  if (env.callback === undefined) {
    fail('RUN_UNSUPPORTED', { insn: helperName(id), reason: 'this backend cannot call back into the program' }, { pc: env.pc });
  }
  return env.callback;
}

/** The callback helpers, by helper id. */
export function callbackHelpers(host: HelperHost): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  const I = CALLBACK_HELPER_IDS;

  // long bpf_loop(u32 nr_loops, void *callback_fn, void *callback_ctx, u64 flags)
  h.set(I.loop, (env, nr, fn, ctx, flags) => {
    if (flags !== 0n) return errno(-EINVAL);
    const n = Number(BigInt.asUintN(32, nr));
    if (n > MAX_LOOPS) return errno(-E2BIG);
    const call = callbackOf(env, I.loop);
    for (let i = 0; i < n; i++) {
      if (call(fn, BigInt(i), ctx, 0n, 0n, 0n) !== 0n) return BigInt(i + 1);
    }
    return BigInt(n);
  });

  // long bpf_for_each_map_elem(struct bpf_map *map, void *callback_fn, void *callback_ctx, u64 flags)
  h.set(I.for_each_map_elem, (env, mapPtr, fn, ctx, flags) => {
    const map = host.map(mapPtr);
    if (map === undefined) fail('HOST_HELPER_BAD_MAP', { helper: helperName(I.for_each_map_elem), pointer: mapPtr.toString(16) }, { pc: env.pc });
    if (flags !== 0n) return errno(-EINVAL);
    if (!ITERABLE.has(map.spec.type)) return errno(-ENOTSUPP);
    const call = callbackOf(env, I.for_each_map_elem);
    const mem = env.memory;
    const keySize = map.spec.keySize;
    const keyRegion = mem.map('callback-key', 'map_value', keySize, false);
    try {
      let key: Uint8Array | undefined;
      const next = new Uint8Array(keySize);
      let visited = 0;
      // a callback that deletes elements can make iteration restart: never visit more than the map holds
      for (let guard = 0; guard < map.spec.maxEntries; guard++) {
        if (map.getNextKey(key, next) !== 0) break;
        key = next.slice();
        const value = map.lookup(key, host.cpu());
        if (value === undefined) continue;
        mem.bytes.set(key, keyRegion.start);
        visited++;
        if (call(fn, mapPtr, BigInt(keyRegion.start), BigInt(value), ctx, 0n) !== 0n) break;
      }
      return BigInt(visited);
    } finally {
      mem.unmap(keyRegion);
    }
  });
  return h;
}
