/**
 * @file A ring buffer consumer as an async iterator, the counterpart of
 * libbpf's `ring_buffer__poll` loop:
 *
 * ```ts
 * for await (const record of obj.ringbuf('events', { signal })) { ... }
 * ```
 *
 * The iterator hands out every committed, non-discarded record in order (a
 * copy of its bytes). When the ring is empty it waits for the ring's wakeup,
 * which a program's `bpf_ringbuf_submit`/`output`/`discard` gives as the
 * kernel would wake an epoll waiter: a record committed with
 * `BPF_RB_NO_WAKEUP` does not wake it (it is handed out at the next wakeup).
 * Aborting the signal ends the iteration once the records already taken
 * from the ring have been handed out; later records stay in the ring. The ring has one consumer: a second iterator over the
 * same ring takes the wakeups until it ends.
 */

import type { RingbufMap } from '../maps/ringbuf.js';

/** The part of `AbortSignal` used here. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Options of a ring buffer consumer. */
export interface RingbufOptions {
  /** Ends the iteration when aborted. */
  readonly signal?: AbortSignalLike;
}

/** The records of a ring buffer, as they are committed, until the signal aborts. */
export async function* ringbufRecords(ring: RingbufMap, options: RingbufOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal } = options;
  let wake: (() => void) | undefined;
  const onWakeup = (): void => { wake?.(); };
  const previous = ring.onWakeup;
  ring.onWakeup = onWakeup;
  signal?.addEventListener('abort', onWakeup, { once: true });
  const queue: Uint8Array[] = [];
  try {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (signal?.aborted === true) return;
      ring.consume((record) => { queue.push(record); });
      if (queue.length > 0) continue;
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
    }
  } finally {
    signal?.removeEventListener('abort', onWakeup);
    if (ring.onWakeup === onWakeup) ring.onWakeup = previous;
  }
}
