/**
 * @file What a web-platform runtime (edge workers, Deno, browsers) supplies
 * to an `Instance`: a monotonic clock from `performance.now` (edge platforms
 * advance it only across I/O, so programs see coarse time there) and a seed
 * for `bpf_get_prandom_u32` from `crypto.getRandomValues`.
 */

import type { InstanceOptions } from '../../src/host/instance.js';

/** Instance options from the platform's clock and random source (falling back to `Date.now`). */
export function platformOptions(): InstanceOptions {
  const g = globalThis as unknown as {
    performance?: { now(): number };
    crypto?: { getRandomValues(a: Uint32Array): Uint32Array };
  };
  const origin = Date.now();
  const now = g.performance !== undefined ? () => g.performance!.now() : () => Date.now() - origin;
  const seed = g.crypto !== undefined ? g.crypto.getRandomValues(new Uint32Array(1))[0]! : origin >>> 0;
  return { clock: { monotonicNs: () => BigInt(Math.round(now() * 1e6)) }, randomSeed: seed };
}
