/**
 * @file `bpf_probe_read`, `bpf_probe_read_str` and the `_user`/`_kernel`
 * variants (kernel/trace/bpf_trace.c). They read memory the program may not
 * dereference directly: any region of the linear memory, else what the host
 * exposes through `HelperHost.probe`. A fault returns `-EFAULT` and zeroes the
 * destination, as the kernel does.
 */

import type { HelperEnv, HelperFn } from '../../abi/helper-env.js';
import { EFAULT } from '../maps/errno.js';
import { at, errno, u32 } from './access.js';
import type { HelperHost, ProbeSpace } from './host.js';

/** Helper ids implemented here. */
export const PROBE_HELPER_IDS = {
  probe_read: 4, probe_read_str: 45, probe_read_user: 112, probe_read_kernel: 113,
  probe_read_user_str: 114, probe_read_kernel_str: 115,
} as const;

/** `size` bytes at `ptr` from the linear memory or the host, or `undefined` on fault. */
function fetch(host: HelperHost, env: HelperEnv, space: ProbeSpace, ptr: bigint, size: number): Uint8Array | undefined {
  if (ptr < 0x100000000n) {
    const a = Number(ptr);
    if (env.memory.find(a, size) !== undefined) return env.memory.bytes.slice(a, a + size);
  }
  return host.probe?.(space, ptr, size);
}

/** The probe helpers, by helper id. */
export function probeHelpers(host: HelperHost): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  const I = PROBE_HELPER_IDS;

  // long bpf_probe_read_kernel(void *dst, u32 size, const void *unsafe_ptr)
  const read = (id: number, space: ProbeSpace): HelperFn => (env, r1, r2, r3) => {
    const size = u32(r2);
    const dst = at(env, id, r1, size, true);
    if (size === 0) return 0n;
    const b = fetch(host, env, space, r3, size);
    if (b === undefined) {
      env.memory.bytes.fill(0, dst, dst + size);
      return errno(-EFAULT);
    }
    env.memory.bytes.set(b, dst);
    return 0n;
  };

  // long bpf_probe_read_kernel_str(void *dst, u32 size, const void *unsafe_ptr):
  // strncpy_from_kernel_nofault — bytes up to and including the NUL, at most
  // size (the last one then forced to NUL); the count includes the NUL
  const readStr = (id: number, space: ProbeSpace): HelperFn => (env, r1, r2, r3) => {
    const size = u32(r2);
    const dst = at(env, id, r1, size, true);
    if (size === 0) return 0n;
    const bytes = (): Uint8Array => env.memory.bytes;
    let n = 0;
    for (; n < size; n++) {
      const b = fetch(host, env, space, r3 + BigInt(n), 1);
      if (b === undefined) {
        bytes().fill(0, dst, dst + size);
        return errno(-EFAULT);
      }
      bytes()[dst + n] = b[0]!;
      if (b[0] === 0) return BigInt(n + 1);
    }
    bytes()[dst + size - 1] = 0;
    return BigInt(size);
  };

  h.set(I.probe_read, read(I.probe_read, 'kernel'));
  h.set(I.probe_read_kernel, read(I.probe_read_kernel, 'kernel'));
  h.set(I.probe_read_user, read(I.probe_read_user, 'user'));
  h.set(I.probe_read_str, readStr(I.probe_read_str, 'kernel'));
  h.set(I.probe_read_kernel_str, readStr(I.probe_read_kernel_str, 'kernel'));
  h.set(I.probe_read_user_str, readStr(I.probe_read_user_str, 'user'));
  return h;
}
