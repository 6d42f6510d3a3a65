/**
 * @file Helpers about time, CPU, randomness and the current task:
 * `bpf_ktime_get_ns`, `bpf_ktime_get_boot_ns`, `bpf_ktime_get_coarse_ns`,
 * `bpf_jiffies64`, `bpf_get_prandom_u32`, `bpf_get_smp_processor_id`,
 * `bpf_get_current_pid_tgid`, `bpf_get_current_uid_gid` and
 * `bpf_get_current_comm`, from the values the host supplies.
 */

import type { HelperFn } from '../../abi/helper-env.js';
import { EINVAL } from '../maps/errno.js';
import { at, errno, u32 } from './access.js';
import type { HelperHost } from './host.js';
import { Prandom } from './prandom.js';

/** Helper ids implemented here. */
export const TASK_HELPER_IDS = {
  ktime_get_ns: 5, get_prandom_u32: 7, get_smp_processor_id: 8, get_current_pid_tgid: 14,
  get_current_uid_gid: 15, get_current_comm: 16, jiffies64: 118, ktime_get_boot_ns: 125,
  ktime_get_coarse_ns: 160,
} as const;

/**
 * `INITIAL_JIFFIES` (include/linux/jiffies.h): `(unsigned int)(-300 * HZ)`,
 * jiffies start five minutes before the 32-bit counter wraps.
 */
export function initialJiffies(hz: number): bigint {
  return BigInt((-300 * hz) >>> 0);
}

/** `TASK_COMM_LEN`. */
const TASK_COMM_LEN = 16;

/** The time, CPU, random and task helpers, by helper id. */
export function taskHelpers(host: HelperHost): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  const I = TASK_HELPER_IDS;
  const clock = host.clock;
  const hz = BigInt(clock.hz ?? 250);
  const tick = 1_000_000_000n / hz;
  const boot = (): bigint => (clock.bootNs !== undefined ? clock.bootNs() : clock.monotonicNs());
  const rnd = new Prandom(BigInt(host.randomSeed >>> 0));

  h.set(I.ktime_get_ns, () => BigInt.asUintN(64, clock.monotonicNs()));
  h.set(I.ktime_get_boot_ns, () => BigInt.asUintN(64, boot()));
  // ktime_get_coarse_ns: the monotonic clock as of the last tick
  h.set(I.ktime_get_coarse_ns, () => {
    const t = BigInt.asUintN(64, clock.monotonicNs());
    return t - (t % tick);
  });
  // jiffies64: ticks of the monotonic clock, from INITIAL_JIFFIES (CONFIG_HZ ticks a second)
  const initial = initialJiffies(Number(hz));
  h.set(I.jiffies64, () => BigInt.asUintN(64, initial + BigInt.asUintN(64, clock.monotonicNs()) / tick));
  h.set(I.get_prandom_u32, () => BigInt(rnd.next()));
  h.set(I.get_smp_processor_id, () => BigInt(host.cpu()));

  // u64 bpf_get_current_pid_tgid(void): tgid << 32 | pid; -EINVAL without a task
  h.set(I.get_current_pid_tgid, () => {
    const t = host.task;
    if (t === undefined) return errno(-EINVAL);
    return (BigInt(t.tgid >>> 0) << 32n) | BigInt(t.pid >>> 0);
  });
  // u64 bpf_get_current_uid_gid(void): gid << 32 | uid
  h.set(I.get_current_uid_gid, () => {
    const t = host.task;
    if (t === undefined) return errno(-EINVAL);
    return (BigInt(t.gid >>> 0) << 32n) | BigInt(t.uid >>> 0);
  });
  // long bpf_get_current_comm(void *buf, u32 size_of_buf): strscpy_pad, or zeroes and -EINVAL
  h.set(I.get_current_comm, (env, r1, r2) => {
    const size = u32(r2);
    const a = at(env, I.get_current_comm, r1, size, true);
    const bytes = env.memory.bytes;
    bytes.fill(0, a, a + size);
    const t = host.task;
    if (t === undefined) return errno(-EINVAL);
    const comm = new TextEncoder().encode(t.comm).subarray(0, TASK_COMM_LEN - 1);
    // strscpy_pad: at most size - 1 bytes, always NUL-terminated, rest zero
    if (size > 0) bytes.set(comm.subarray(0, size - 1), a);
    return 0n;
  });
  return h;
}
