/**
 * @file Benchmarking a program on a list of contenders and inputs: each
 * contender is loaded (compile time), measured (`measure.ts`), and every
 * figure is also given as a ratio to a baseline contender measured in the
 * same run. Results whose return values differ between contenders are
 * reported as disagreements: a benchmark of a wrong program proves nothing.
 */

import type { BenchInput, Contender } from './contender.js';
import { measure, type Clock, type MeasureOptions } from './measure.js';

/** One row: a program on an input on a contender (field names are the `--json` output's). */
export interface BenchResult {
  readonly program: string;
  readonly input: string;
  readonly backend: string;
  /** Median ns per run over the timed batches. */
  readonly ns_per_run?: number;
  readonly ns_min?: number;
  readonly ns_max?: number;
  readonly runs_per_sec?: number;
  readonly compile_ms?: number;
  /** Instructions executed per run (interpreters and emulated CPUs). */
  readonly insns_per_run?: number;
  /** r0 truncated to 32 bits, as `BPF_PROG_TEST_RUN` reports it. */
  readonly retval?: number;
  readonly batch?: number;
  readonly batches?: number;
  /** The baseline the ratios refer to. */
  readonly baseline?: string;
  /** `ns_per_run / baseline's ns_per_run` and the same for compile time. */
  readonly ratio?: { readonly ns_per_run?: number; readonly compile_ms?: number };
  /** Why the contender did not run here (not an error: the machine lacks it). */
  readonly unavailable?: string;
  /** Why the contender failed on this program. */
  readonly error?: string;
}

/** Progress of a benchmark, one event per measurement started and finished. */
export interface BenchProgress {
  readonly done: number;
  readonly total: number;
  readonly label: string;
  /** The row just finished (on the event after a measurement). */
  readonly result?: BenchResult;
}

/** What to benchmark. */
export interface BenchPlan {
  readonly program: string;
  readonly contenders: readonly Contender[];
  readonly inputs: readonly BenchInput[];
  readonly clock: Clock;
  readonly measure?: MeasureOptions;
  /** Called before and after every measurement. */
  readonly onProgress?: (p: BenchProgress) => void;
}

/**
 * Measure every contender on every input; rows in input-major order. A
 * batch limit one contender finds (ring buffer output, `Prepared.maxBatch`)
 * holds for the contenders after it on the same input too, so that all time
 * the same path: host backends come before the kernel in `contenders`.
 */
export function benchProgram(plan: BenchPlan): BenchResult[] {
  const out: BenchResult[] = [];
  const total = plan.inputs.length * plan.contenders.length;
  let done = 0;
  for (const input of plan.inputs) {
    let limit = plan.measure?.maxBatch;
    for (const c of plan.contenders) {
      const base = { program: plan.program, input: input.name, backend: c.name };
      plan.onProgress?.({ done, total, label: `${plan.program} ${input.name} ${c.name}` });
      if (c.unavailable !== undefined) {
        out.push({ ...base, unavailable: c.unavailable });
      } else {
        let prepared;
        try {
          prepared = c.prepare(input, plan.clock);
          if (prepared.maxBatch !== undefined) limit = Math.min(limit ?? Infinity, prepared.maxBatch);
          const t = measure(plan.clock, prepared.batch, limit !== undefined ? { ...plan.measure, maxBatch: limit } : plan.measure);
          out.push({
            ...base,
            ns_per_run: t.nsPerRun, ns_min: t.nsMin, ns_max: t.nsMax,
            runs_per_sec: t.nsPerRun > 0 ? 1e9 / t.nsPerRun : Infinity,
            compile_ms: prepared.compileNs / 1e6,
            ...(prepared.insnsPerRun !== undefined ? { insns_per_run: prepared.insnsPerRun } : {}),
            retval: Number(t.r0 & 0xffffffffn), batch: t.batch, batches: t.batches,
          });
        } catch (err) {
          const e = err as { diagnostic?: { message?: string }; message?: string };
          out.push({ ...base, error: e.diagnostic?.message ?? e.message ?? String(err) });
        } finally {
          prepared?.dispose();
        }
      }
      done++;
      plan.onProgress?.({ done, total, label: `${plan.program} ${input.name} ${c.name}`, result: out[out.length - 1]! });
    }
  }
  return out;
}

/** Add ratios to `baseline`'s row of the same program and input (rows without a measured baseline get none). */
export function withRatios(results: readonly BenchResult[], baseline: string): BenchResult[] {
  const key = (r: BenchResult): string => `${r.program}\u0000${r.input}`;
  const base = new Map<string, BenchResult>();
  for (const r of results) if (r.backend === baseline && r.ns_per_run !== undefined) base.set(key(r), r);
  return results.map((r) => {
    const b = base.get(key(r));
    if (b === undefined || r.ns_per_run === undefined) return r;
    const ratio: { ns_per_run?: number; compile_ms?: number } = {};
    if (b.ns_per_run! > 0) ratio.ns_per_run = r.ns_per_run / b.ns_per_run!;
    if (r.compile_ms !== undefined && b.compile_ms !== undefined && b.compile_ms > 0) ratio.compile_ms = r.compile_ms / b.compile_ms;
    return { ...r, baseline, ratio };
  });
}

/** One disagreement: a program and input whose contenders returned different values. */
export interface Disagreement {
  readonly program: string;
  readonly input: string;
  /** retval by contender. */
  readonly retvals: Readonly<Record<string, number>>;
}

/** Programs and inputs on which the measured contenders' return values differ. */
export function disagreements(results: readonly BenchResult[]): Disagreement[] {
  const groups = new Map<string, BenchResult[]>();
  for (const r of results) {
    if (r.retval === undefined) continue;
    const k = `${r.program}\u0000${r.input}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: Disagreement[] = [];
  for (const rows of groups.values()) {
    if (new Set(rows.map((r) => r.retval)).size <= 1) continue;
    out.push({ program: rows[0]!.program, input: rows[0]!.input, retvals: Object.fromEntries(rows.map((r) => [r.backend, r.retval!])) });
  }
  return out;
}

/** The loud, one-per-line warning text for disagreements. */
export function disagreementWarnings(ds: readonly Disagreement[]): string[] {
  return ds.map((d) => `WARNING: backends disagree on ${d.program} (${d.input}): ${Object.entries(d.retvals).map(([b, v]) => `${b}=${v}`).join(', ')} — these timings compare different computations`);
}
