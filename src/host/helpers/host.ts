/**
 * @file What the helpers need from their surroundings: the maps a program's
 * map pointers name, the current CPU, clocks, randomness, the current task,
 * a log for `bpf_trace_printk`, and memory outside the linear memory that
 * `bpf_probe_read*` may read. Runtimes fill it in (`runtimes/*`); `src/host`
 * never reads a real clock or random source itself.
 */

import type { BpfMap } from '../maps/map.js';

/** Clocks, all in nanoseconds as unsigned 64-bit values. */
export interface HostClock {
  /** `CLOCK_MONOTONIC` (`bpf_ktime_get_ns`). */
  monotonicNs(): bigint;
  /** `CLOCK_BOOTTIME` (`bpf_ktime_get_boot_ns`); defaults to the monotonic clock. */
  bootNs?(): bigint;
  /** Kernel tick rate for `bpf_jiffies64` and `bpf_ktime_get_coarse_ns` (default 250, `CONFIG_HZ_250`). */
  readonly hz?: number;
}

/** The task a program runs "in" (`bpf_get_current_*`). */
export interface HostTask {
  readonly pid: number;
  readonly tgid: number;
  readonly uid: number;
  readonly gid: number;
  /** Up to 15 bytes are kept (`TASK_COMM_LEN` 16 with the NUL). */
  readonly comm: string;
}

/** Where `bpf_probe_read_user*`/`_kernel*` read. */
export type ProbeSpace = 'user' | 'kernel';

/** Everything the helper implementations depend on. */
export interface HelperHost {
  /** The map a program-held map pointer names (what `lddw rX, map` loaded). */
  map(pointer: bigint): BpfMap | undefined;
  /** The CPU the program runs on (`bpf_get_smp_processor_id`, per-CPU values). */
  cpu(): number;
  readonly clock: HostClock;
  /** A 32-bit seed for `bpf_get_prandom_u32` (the runtime draws it). */
  readonly randomSeed: number;
  readonly task?: HostTask;
  /** Receives each `bpf_trace_printk`/`bpf_trace_vprintk` message (without a trailing newline added). */
  log(message: string): void;
  /**
   * Bytes at an address that is not in the linear memory, for the probe
   * helpers; `undefined` means the read faults (`-EFAULT`).
   */
  probe?(space: ProbeSpace, address: bigint, size: number): Uint8Array | undefined;
  /** The fragments of the XDP frame being run, when it has any (multi-buffer frames past 3520 bytes). */
  xdpFrags?(): XdpFrags | undefined;
}

/**
 * The fragments of a multi-buffer XDP frame (`skb_shared_info.frags`): each
 * a page of `bytes`, of which the first `size` hold data. The program sees
 * only the linear part; `bpf_xdp_adjust_tail` grows or shrinks the last
 * fragment.
 */
export interface XdpFrags {
  readonly frags: { readonly bytes: Uint8Array; size: number }[];
}
