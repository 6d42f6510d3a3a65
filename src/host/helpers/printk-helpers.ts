/**
 * @file `bpf_trace_printk`, `bpf_trace_vprintk` and `bpf_snprintf`
 * (kernel/trace/bpf_trace.c, kernel/bpf/helpers.c), formatting with the
 * kernel's rules (`bprintf.ts`). Trace output goes to `HelperHost.log`.
 */

import type { HelperEnv, HelperFn } from '../../abi/helper-env.js';
import { EINVAL } from '../maps/errno.js';
import { at, bytesAt, errno, u32 } from './access.js';
import { bprintf, formatBytes, MAX_BPRINTF_BUF, MAX_BPRINTF_VARARGS, type FormatMemory } from './bprintf.js';
import type { HelperHost } from './host.js';

/** Helper ids implemented here. */
export const PRINTK_HELPER_IDS = { trace_printk: 6, snprintf: 165, trace_vprintk: 177 } as const;

/** `FormatMemory` over the program's linear memory. */
export function linearFormatMemory(env: HelperEnv): FormatMemory {
  const mem = env.memory;
  return {
    string(ptr, max) {
      if (ptr >= 0x100000000n || max <= 0) return undefined;
      const a = Number(ptr);
      const r = mem.find(a, 1);
      if (r === undefined) return undefined;
      const end = Math.min(r.start + r.size, a + max - 1);
      const b = mem.bytes.subarray(a, end);
      const nul = b.indexOf(0);
      return (nul < 0 ? b : b.subarray(0, nul)).slice();
    },
    read(ptr, size) {
      if (ptr >= 0x100000000n || mem.find(Number(ptr), size) === undefined) return undefined;
      return mem.bytes.slice(Number(ptr), Number(ptr) + size);
    },
  };
}

/** Latin-1 "byte string" → bytes. */
function toBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** Read `data_len / 8` u64 arguments; `-EINVAL` for a bad length (`bpf_snprintf`, `bpf_trace_vprintk`). */
function varargs(env: HelperEnv, helper: number, data: bigint, len: number): bigint[] | number {
  if (len % 8 !== 0 || len > MAX_BPRINTF_VARARGS * 8 || (len !== 0 && data === 0n)) return -EINVAL;
  const a = at(env, helper, data, len);
  const v = env.memory.view;
  const args: bigint[] = [];
  for (let i = 0; i < len; i += 8) args.push(v.getBigUint64(a + i, true));
  return args;
}

/** The formatting helpers, by helper id. */
export function printkHelpers(host: HelperHost): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  const I = PRINTK_HELPER_IDS;
  const decoder = new TextDecoder();

  const trace = (env: HelperEnv, helper: number, fmtPtr: bigint, fmtSize: number, args: bigint[]): bigint => {
    const fmt = formatBytes(bytesAt(env, helper, fmtPtr, fmtSize));
    if (fmt === undefined) return errno(-EINVAL);
    const text = bprintf(fmt, args, linearFormatMemory(env));
    if (typeof text === 'number') return errno(text);
    // bstr_printf(buf, MAX_BPRINTF_BUF, ...): the message is cut, the length is not
    host.log(decoder.decode(toBytes(text.slice(0, MAX_BPRINTF_BUF - 1))));
    return BigInt(text.length);
  };

  // long bpf_trace_printk(const char *fmt, u32 fmt_size, ...): three arguments at most
  h.set(I.trace_printk, (env, r1, r2, r3, r4, r5) => trace(env, I.trace_printk, r1, u32(r2), [r3, r4, r5]));

  // long bpf_trace_vprintk(const char *fmt, u32 fmt_size, const void *data, u32 data_len)
  h.set(I.trace_vprintk, (env, r1, r2, r3, r4) => {
    const args = varargs(env, I.trace_vprintk, r3, u32(r4));
    if (typeof args === 'number') return errno(args);
    return trace(env, I.trace_vprintk, r1, u32(r2), args);
  });

  // long bpf_snprintf(char *str, u32 str_size, const char *fmt, u64 *data, u32 data_len)
  h.set(I.snprintf, (env, r1, r2, r3, r4, r5) => {
    const args = varargs(env, I.snprintf, r4, u32(r5));
    if (typeof args === 'number') return errno(args);
    const mem = linearFormatMemory(env);
    const fmt = mem.string(r3, 1 << 20);
    if (fmt === undefined) return errno(-EINVAL);
    const text = bprintf(fmt, args, mem);
    if (typeof text === 'number') return errno(text);
    const size = u32(r2);
    if (size > 0) {
      const a = at(env, I.snprintf, r1, size, true);
      const b = toBytes(text.length > size - 1 ? text.slice(0, size - 1) : text);
      env.memory.bytes.set(b, a);
      env.memory.bytes[a + b.length] = 0;
    }
    return BigInt(text.length + 1);
  });
  return h;
}
