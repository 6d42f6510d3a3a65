/**
 * @file A contender: something that runs one program on one input many
 * times and can be timed — a host backend (`interp`, `interp-fast`, `wasm`),
 * the kernel through `BPF_PROG_TEST_RUN`, or a native driver. Backends are
 * wrapped here: the instance and context are built once, `backend.load` is
 * timed as the compile time, and a batch calls `Executable.run` in a loop.
 * Every contender empties the program's ring buffers before a batch, as a
 * consumer keeping up would, so that output does not turn into drops.
 */

import type { ProgramSpec } from '../../elf/types.js';
import type { Backend, Executable } from '../backend.js';
import type { PacketRange } from '../../interp/index.js';
import type { Instance } from '../instance.js';
import { RingbufMap } from '../maps/ringbuf.js';
import { setupRun } from './context.js';
import { freshCopy } from '../../util/fresh-copy.js';
import type { Batch, Clock } from './measure.js';

/** One input of a benchmark: a named packet. */
export interface BenchInput {
  readonly name: string;
  readonly data: Uint8Array;
}

/** A program made ready on one contender for one input. */
export interface Prepared {
  /** Time to compile or load the program, ns. */
  readonly compileNs: number;
  /** Run `n` times. */
  readonly batch: Batch;
  /** Instructions executed per run, when the contender counts them. */
  readonly insnsPerRun?: number;
  /**
   * Largest batch whose ring buffer output fits the rings (emptied before
   * each batch), when the program writes to one: more runs would turn
   * records into drops and time a different path.
   */
  readonly maxBatch?: number;
  /** Release what `prepare` took. */
  dispose(): void;
}

/** Something to benchmark. */
export interface Contender {
  readonly name: string;
  /** Why it cannot run here, when it cannot. */
  readonly unavailable?: string;
  /** Load the program for one input. Problems throw (a `DiagnosticError` for user errors). */
  prepare(input: BenchInput, clock: Clock): Prepared;
}

/** Empty every ring buffer of `instance` (the consumer position moves up to the producer's). */
export function drainRingbufs(instance: Instance): void {
  for (const m of instance.mapList) if (m instanceof RingbufMap) m.consumerPos = m.producerPos;
}

/**
 * Runs that fit the rings of `instance`, from the bytes one run wrote
 * (`before`: producer positions before it); undefined when it wrote none.
 */
export function ringbufBatchLimit(instance: Instance, before: ReadonlyMap<RingbufMap, number>): number | undefined {
  let limit: number | undefined;
  for (const [m, pos] of before) {
    const used = m.producerPos - pos;
    if (used > 0) limit = Math.min(limit ?? Infinity, Math.max(1, Math.floor((m.mask + 1) / used)));
  }
  return limit;
}

/** Producer positions of every ring buffer of `instance`. */
export function ringbufPositions(instance: Instance): Map<RingbufMap, number> {
  const out = new Map<RingbufMap, number>();
  for (const m of instance.mapList) if (m instanceof RingbufMap) out.set(m, m.producerPos);
  return out;
}

/**
 * The loop that times one contender: `exe.run` `n` times on the same context.
 * Each contender runs a fresh copy (`freshCopy`): one loop shared by every
 * backend and program would see many kinds of `run` and call them all the
 * slow, generic way, so a backend measured after others would pay for their
 * presence.
 */
function timingLoop(exe: Executable, ctx: number, packet: PacketRange | undefined, n: number): bigint {
  let r0 = 0n;
  for (let i = 0; i < n; i++) r0 = exe.run(ctx, packet).r0;
  return r0;
}

/** A host backend as a contender; `makeInstance` builds a fresh instance (maps preloaded) per input. */
export function backendContender(backend: Backend, prog: ProgramSpec, makeInstance: () => Instance): Contender {
  return {
    name: backend.name,
    prepare(input, clock) {
      const instance = makeInstance();
      const t0 = clock();
      const exe = backend.load(prog, instance);
      const compileNs = Number(clock() - t0);
      const setup = setupRun(instance, prog, input.data);
      const { ctx, packet } = setup;
      const before = ringbufPositions(instance);
      const first = exe.run(ctx, packet);
      const maxBatch = ringbufBatchLimit(instance, before);
      setup.reset();
      const loop = freshCopy(timingLoop);
      const batch: Batch = (n) => {
        drainRingbufs(instance);
        return { r0: loop(exe, ctx, packet, n) };
      };
      return {
        compileNs, batch,
        ...(first.insnCount !== undefined ? { insnsPerRun: first.insnCount } : {}),
        ...(maxBatch !== undefined ? { maxBatch } : {}),
        dispose() { setup.release(); exe.dispose?.(); },
      };
    },
  };
}
