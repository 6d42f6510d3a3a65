/**
 * @file Events per second through each kind of hook: a packet hook
 * dispatching a 64-byte frame, a filter hook over a 64-byte buffer, a
 * tracepoint firing a record, and a probed function with an entry and a
 * return program. Each is measured in batches after a warm-up batch until
 * the time budget is spent; the figure includes everything the hook does per
 * event (laying out the context, running the programs, reading results).
 * The clock comes from the caller (`scripts/bench-hooks.ts` passes
 * `performance.now`).
 */

import type { Backend } from '../backend.js';
import { kernelContender, type KernelBpf } from '../bench/kernel.js';
import { measure as measureBatches } from '../bench/measure.js';
import type { Instance } from '../instance.js';
import { RingbufMap } from '../maps/ringbuf.js';
import { FilterHook } from './filter.js';
import type { HookKind } from './hook.js';
import { PacketHook } from './packet.js';
import { probe } from './probe.js';
import { loadProgram } from './program.js';
import { TracepointRegistry } from './tracepoint.js';

/** Programs each hook runs (defaults: the `test/fixtures/hooks.c` programs). */
export interface HookBenchPrograms {
  readonly packet: string;
  readonly filter: string;
  readonly tracepoint: string;
  readonly entry: string;
  readonly return: string;
}

const FIXTURE_PROGRAMS: HookBenchPrograms = { packet: 'xdp_drop_udp', filter: 'filter_min_len', tracepoint: 'tp_sum', entry: 'on_entry', return: 'on_return' };

/** One measurement. */
export interface HookBenchRow {
  readonly hook: HookKind;
  readonly backend: string;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

/** Options of `benchHooks`. */
export interface HookBenchOptions {
  /** Milliseconds to measure each hook (default 500). */
  readonly ms?: number;
  /** Events per batch (default 1000). */
  readonly batch?: number;
  readonly programs?: HookBenchPrograms;
}

/** A 64-byte Ethernet/IPv4/TCP frame. */
function sampleFrame(): Uint8Array {
  const f = new Uint8Array(64);
  f.set([0x08, 0x00], 12);
  f[14] = 0x45;
  f[23] = 6;
  return f;
}

/** Time `run(n)` in batches of n events. */
function measure(hook: HookKind, backend: string, now: () => number, options: HookBenchOptions, run: (n: number) => void): HookBenchRow {
  const batch = options.batch ?? 1000;
  const budget = options.ms ?? 500;
  run(batch);
  let events = 0;
  const start = now();
  let elapsed = 0;
  while (elapsed < budget) {
    run(batch);
    events += batch;
    elapsed = now() - start;
  }
  const seconds = elapsed / 1000;
  return { hook, backend, events, seconds, eventsPerSecond: events / seconds };
}

/** Measure every hook kind on one backend; `instance()` makes a fresh instance of the object holding the programs. */
export function benchHooks(instance: () => Instance, backend: Backend, now: () => number, options: HookBenchOptions = {}): HookBenchRow[] {
  const p = options.programs ?? FIXTURE_PROGRAMS;
  const rows: HookBenchRow[] = [];
  const frame = sampleFrame();

  const packet = new PacketHook('bench');
  packet.attach(loadProgram(instance(), p.packet, backend));
  rows.push(measure('packet', backend.name, now, options, (n) => { for (let i = 0; i < n; i++) packet.dispatch(frame); }));

  const filter = new FilterHook('bench');
  filter.attach(loadProgram(instance(), p.filter, backend));
  rows.push(measure('filter', backend.name, now, options, (n) => { for (let i = 0; i < n; i++) filter.dispatch(frame); }));

  const tps = new TracepointRegistry();
  const tp = tps.declare('bench/event', { fields: [{ name: 'client', offset: 8, size: 4 }, { name: 'status', offset: 12, size: 4 }, { name: 'bytes', offset: 16, size: 8 }] });
  tp.attach(loadProgram(instance(), p.tracepoint, backend));
  const record = tp.encode({ client: 1, status: 200, bytes: 100n });
  rows.push(measure('tracepoint', backend.name, now, options, (n) => { for (let i = 0; i < n; i++) tp.fire(record); }));

  const inst = instance();
  const rings = [...inst.maps.values()].filter((m): m is RingbufMap => m instanceof RingbufMap);
  const probed = probe((n: number, s: string) => n + s.length, { entry: loadProgram(inst, p.entry, backend), return: loadProgram(inst, p.return, backend) });
  rows.push(measure('probe', backend.name, now, options, (n) => {
    for (let i = 0; i < n; i++) {
      probed(i, 'label');
      // the consumer keeps up, so the ring never fills
      if ((i & 31) === 31) for (const r of rings) r.consume(() => undefined);
    }
  }));
  return rows;
}

/**
 * The kernel's figure for the hooks whose programs it can run on demand
 * (`BPF_PROG_TEST_RUN`: the packet hook's XDP program and the filter hook's
 * socket filter, on the same 64-byte frame), as events per second of its own
 * timer. Tracepoint and kprobe programs have no test run in the kernel, so
 * those hooks have no kernel figure. Undefined, with the reason, where
 * `bpf()` does not work.
 */
export function kernelHookRows(instance: () => Instance, bpf: KernelBpf | undefined, whyNot: string | undefined, options: HookBenchOptions = {}): HookBenchRow[] | { unavailable: string } {
  const p = options.programs ?? FIXTURE_PROGRAMS;
  const rows: HookBenchRow[] = [];
  const clock = (): bigint => process.hrtime.bigint();
  for (const [hook, name] of [['packet', p.packet], ['filter', p.filter]] as const) {
    const prog = instance().object.programs.find((x) => x.name === name);
    if (prog === undefined) throw new Error(`no program "${name}"`);
    const c = kernelContender(bpf, whyNot, prog, instance);
    if (c.unavailable !== undefined) return { unavailable: c.unavailable };
    const prepared = c.prepare({ name: 'frame', data: sampleFrame() }, clock);
    try {
      const t = measureBatches(clock, prepared.batch, { batchNs: (options.ms ?? 500) * 1e6 / 7, batches: 7, warmupNs: 20e6 });
      const events = t.batch * t.batches;
      rows.push({ hook, backend: 'kernel', events, seconds: (events * t.nsPerRun) / 1e9, eventsPerSecond: 1e9 / t.nsPerRun });
    } finally {
      prepared.dispose();
    }
  }
  return rows;
}
