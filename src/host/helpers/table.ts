/**
 * @file Every helper the host implements, as one table by the kernel's helper
 * id (what `src/abi/helper-env.ts` calls `Helpers`).
 */

import type { HelperFn } from '../../abi/helper-env.js';
import type { RingbufMap } from '../maps/ringbuf.js';
import { callbackHelpers } from './callback-helpers.js';
import { csumHelpers } from './csum-helpers.js';
import type { HelperHost } from './host.js';
import { lockHelpers } from './lock-helpers.js';
import { mapHelpers } from './map-helpers.js';
import { outputHelpers } from './output-helpers.js';
import { packetHelpers } from './packet-helpers.js';
import { printkHelpers } from './printk-helpers.js';
import { probeHelpers } from './probe-helpers.js';
import { stringHelpers } from './string-helpers.js';
import { tailCallHelpers, type TailCallCounter } from './tail-call.js';
import { taskHelpers } from './task-helpers.js';

/**
 * The host's helpers. `rings` enumerates the ring buffers in use, so that
 * `bpf_ringbuf_submit`/`discard` can find the ring a sample belongs to;
 * `tailCalls` counts the tail calls of a run (without it there is no
 * `bpf_tail_call`).
 */
export function hostHelpers(host: HelperHost, rings: () => Iterable<RingbufMap> = () => [], tailCalls?: TailCallCounter): Map<number, HelperFn> {
  const all = new Map<number, HelperFn>();
  for (const part of [
    mapHelpers(host), taskHelpers(host), printkHelpers(host), stringHelpers(), probeHelpers(host),
    outputHelpers(host, rings), csumHelpers(), lockHelpers(), packetHelpers(host), callbackHelpers(host),
    ...(tailCalls !== undefined ? [tailCallHelpers(host, tailCalls)] : []),
  ]) {
    for (const [id, fn] of part) all.set(id, fn);
  }
  return all;
}
