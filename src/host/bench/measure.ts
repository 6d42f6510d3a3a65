/**
 * @file Timing one piece of work with an injected clock: warm-up until the
 * time per run settles, a batch
 * size chosen so that one batch lasts at least a target time (10 ms by
 * default, well above the clock's resolution and a timer interrupt), then
 * repeated batches summarised by their median and spread. Nothing here reads
 * a real clock: the caller passes one (`process.hrtime.bigint` in the CLI, a
 * fake one in tests), so the logic is deterministic under test.
 */

/** A monotonic clock in nanoseconds. */
export type Clock = () => bigint;

/**
 * One batch of `n` runs. It returns the last run's r0 and, for contenders
 * that time themselves (the kernel's `BPF_PROG_TEST_RUN` `duration`, a native
 * driver), the batch's own duration in ns, which then replaces the clock's.
 */
export type Batch = (n: number) => { readonly r0: bigint; readonly ns?: number };

/** How long to measure. */
export interface MeasureOptions {
  /** Target duration of one batch, ns (default 10 ms). */
  readonly batchNs?: number;
  /** Number of timed batches (default 7). */
  readonly batches?: number;
  /** Warm-up time before sizing, ns (default 50 ms): lets a JIT tier up. */
  readonly warmupNs?: number;
  /**
   * Longest settling after the warm-up, ns (default 1 s): batches like the
   * warm-up's last go on until two in a row agree within 5%.
   */
  readonly settleNs?: number;
  /** Largest batch size (default 2^26). */
  readonly maxBatch?: number;
}

/** Summary of the timed batches. */
export interface Timing {
  /** Median over batches of ns per run. */
  readonly nsPerRun: number;
  readonly nsMin: number;
  readonly nsMax: number;
  /** Runs per batch. */
  readonly batch: number;
  /** Number of timed batches. */
  readonly batches: number;
  /** r0 of the last run. */
  readonly r0: bigint;
}

/** The median of a non-empty list (mean of the middle two for an even length). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Time one batch: its own duration when it reports one, else the clock's. */
function timeBatch(clock: Clock, batch: Batch, n: number): { ns: number; r0: bigint } {
  const t0 = clock();
  const r = batch(n);
  const t1 = clock();
  return { ns: r.ns ?? Number(t1 - t0), r0: r.r0 };
}

/**
 * The batch size: start at 1 and double until one batch takes at least
 * `batchNs` (then scale to the target from that last measurement).
 */
export function chooseBatch(clock: Clock, batch: Batch, batchNs: number, maxBatch: number): number {
  let n = 1;
  for (;;) {
    const { ns } = timeBatch(clock, batch, n);
    if (ns >= batchNs) return n;
    if (n >= maxBatch) return maxBatch;
    // Grow by the measured shortfall when it is reliable (≥ 1 ms), else double.
    const grow = ns >= 1e6 ? Math.ceil((batchNs / ns) * n * 1.05) : n * 2;
    n = Math.min(maxBatch, Math.max(grow, n + 1));
  }
}

/** Warm up, size the batch, time `batches` batches and summarise them. */
export function measure(clock: Clock, batch: Batch, options: MeasureOptions = {}): Timing {
  const batchNs = options.batchNs ?? 10e6;
  const batches = Math.max(1, options.batches ?? 7);
  const warmupNs = options.warmupNs ?? 50e6;
  const maxBatch = options.maxBatch ?? 1 << 26;
  // Warm-up: batches of growing size until the warm-up time has passed.
  let spent = 0;
  let w = 1;
  while (spent < warmupNs && w <= maxBatch) {
    spent += timeBatch(clock, batch, w).ns;
    w *= 2;
  }
  // Settling: when the warm-up time is up, a JIT may still be compiling the hot code in the
  // background (V8 compiles an interpreter's loop copy or a module's top tier on another thread,
  // tens of milliseconds on a busy machine). Batches like the warm-up's last go on until two in a
  // row agree within 5%, so the timed batches see the code the program keeps running on.
  if (warmupNs > 0) {
    const size = Math.max(1, Math.min(maxBatch, w >> 1));
    let prev = timeBatch(clock, batch, size).ns / size;
    for (let settled = 0; settled < (options.settleNs ?? 1e9);) {
      const { ns } = timeBatch(clock, batch, size);
      settled += ns;
      if (Math.abs(ns / size - prev) <= 0.05 * prev) break;
      prev = ns / size;
    }
  }
  const n = chooseBatch(clock, batch, batchNs, maxBatch);
  const per: number[] = [];
  let r0 = 0n;
  for (let i = 0; i < batches; i++) {
    const t = timeBatch(clock, batch, n);
    per.push(t.ns / n);
    r0 = t.r0;
  }
  return { nsPerRun: median(per), nsMin: Math.min(...per), nsMax: Math.max(...per), batch: n, batches, r0 };
}
