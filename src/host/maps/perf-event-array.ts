/**
 * @file `BPF_MAP_TYPE_PERF_EVENT_ARRAY` (kernel/bpf/arraymap.c, the output side in
 * kernel/trace/bpf_trace.c `bpf_perf_event_output`): one record queue per
 * index. As libbpf's `perf_buffer` sets it up, index `i` is opened for CPU `i`
 * (for `i < nCpus`); the user drains records per index.
 */

import type { Memory } from '../../abi/memory.js';
import { E2BIG, EINVAL, ENOENT, EOPNOTSUPP } from './errno.js';
import { MapBase, type MapOptions, type MapSpec } from './map.js';

/** `bpf_perf_event_output` flags: the index bits. */
export const BPF_F_INDEX_MASK = 0xffffffffn;
/** Index meaning "the current CPU". */
export const BPF_F_CURRENT_CPU = 0xffffffffn;
/** `bpf_skb_output`-style context length bits (the length of context bytes to append). */
export const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

/** A perf event array: per-index record queues. */
export class PerfEventArrayMap extends MapBase {
  /** CPU each index is open on, or -1. */
  private readonly openOn: Int32Array;
  private readonly records: Uint8Array[][];
  /** Records dropped because a queue was full (the kernel counts them as "lost"). */
  lost = 0;
  /** Records kept per index before new ones are dropped. */
  capacity = 65536;

  constructor(spec: MapSpec, mem: Memory, opts: MapOptions = {}) {
    super(spec, mem, opts);
    this.openOn = new Int32Array(spec.maxEntries).fill(-1);
    for (let i = 0; i < Math.min(spec.maxEntries, this.nCpus); i++) this.openOn[i] = i;
    this.records = Array.from({ length: spec.maxEntries }, () => []);
  }

  override get count(): number { return this.records.reduce((n, r) => n + r.length, 0); }

  /** Open (cpu ≥ 0) or close (cpu = -1) the event at `index`. */
  setOpen(index: number, cpu: number): void { this.openOn[index] = cpu; }

  /**
   * `bpf_perf_event_output(ctx, map, flags, data, size)` from a program on `cpu`.
   * Returns 0 or a negated errno as the kernel's `__bpf_perf_event_output`.
   */
  output(flags: bigint, data: Uint8Array, cpu: number): number {
    if ((flags & ~(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK)) !== 0n) return -EINVAL;
    let index = flags & BPF_F_INDEX_MASK;
    if (index === BPF_F_CURRENT_CPU) index = BigInt(cpu);
    if (index >= BigInt(this.maxEntries)) return -E2BIG;
    const i = Number(index);
    const on = this.openOn[i]!;
    if (on < 0) return -ENOENT;
    if (on !== cpu) return -EOPNOTSUPP;
    const q = this.records[i]!;
    if (q.length >= this.capacity) { this.lost++; return 0; }
    q.push(data.slice());
    return 0;
  }

  /** Take every record queued at `index`, oldest first. */
  drain(index: number): Uint8Array[] {
    const q = this.records[index] ?? [];
    this.records[index] = [];
    return q;
  }
}
