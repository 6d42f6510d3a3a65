/**
 * @file `bpf_spin_lock` and `bpf_spin_unlock` (kernel/bpf/helpers.c). A
 * program runs to completion on one JavaScript thread, so the lock only
 * records its state in the 4-byte lock word (1 held, 0 free); the verifier
 * guarantees pairing.
 */

import type { HelperFn } from '../../abi/helper-env.js';
import { at } from './access.js';

/** Helper ids implemented here. */
export const LOCK_HELPER_IDS = { spin_lock: 93, spin_unlock: 94 } as const;

/** The lock helpers, by helper id. */
export function lockHelpers(): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  h.set(LOCK_HELPER_IDS.spin_lock, (env, r1) => {
    env.memory.view.setUint32(at(env, LOCK_HELPER_IDS.spin_lock, r1, 4, true), 1, true);
    return 0n;
  });
  h.set(LOCK_HELPER_IDS.spin_unlock, (env, r1) => {
    env.memory.view.setUint32(at(env, LOCK_HELPER_IDS.spin_unlock, r1, 4, true), 0, true);
    return 0n;
  });
  return h;
}
