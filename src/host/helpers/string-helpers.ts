/**
 * @file `bpf_strncmp`, `bpf_strtol` and `bpf_strtoul` (kernel/bpf/helpers.c).
 *
 * strtol/strtoul (`__bpf_strtoull`): `flags` holds only the base (0, 8, 10 or
 * 16; 0 picks by prefix like C); leading white space and one `-` are skipped;
 * at most 63 characters are parsed; the result is the number of characters
 * consumed, `-EINVAL` when no digit is read (or `strtoul` sees a minus),
 * `-ERANGE` on overflow.
 */

import type { HelperFn } from '../../abi/helper-env.js';
import { EINVAL, ERANGE } from '../maps/errno.js';
import { at, bytesAt, errno, u32 } from './access.js';

/** Helper ids implemented here. */
export const STRING_HELPER_IDS = { strtol: 105, strtoul: 106, strncmp: 182 } as const;

/** `BPF_STRTOX_BASE_MASK`. */
const BASE_MASK = 0x1fn;

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return 16;
}

/** `__bpf_strtoull`: consumed length and value, or a negated errno. */
export function strtoull(buf: Uint8Array, flags: bigint): { consumed: number; value: bigint; negative: boolean } | number {
  let base = Number(flags & BASE_MASK);
  if (buf.length === 0) return -EINVAL;
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return -EINVAL;
  if ((flags & ~BASE_MASK) !== 0n) return -EINVAL;
  let p = 0;
  while (p < buf.length && isSpace(buf[p]!)) p++;
  const negative = p < buf.length && buf[p] === 0x2d;
  if (negative) p++;
  const consumedPrefix = p;
  if (buf.length - p === 0) return -EINVAL;
  // copied into a 64-byte string: at most 63 characters, NUL-terminated
  const str = buf.slice(p, p + Math.min(buf.length - p, 63));
  const ch = (i: number): number => (i < str.length ? str[i]! : 0);
  let s = 0;
  // _parse_integer_fixup_radix
  if (base === 0) {
    if (ch(0) === 0x30) {
      base = (ch(1) | 0x20) === 0x78 && digitValue(ch(2)) < 16 ? 16 : 8;
    } else base = 10;
  }
  if (base === 16 && ch(0) === 0x30 && (ch(1) | 0x20) === 0x78) s = 2;
  // _parse_integer: digits of the base, overflow noted but parsing goes on
  let value = 0n;
  let overflow = false;
  let n = 0;
  const b = BigInt(base);
  for (;;) {
    const d = digitValue(ch(s + n));
    if (d >= base) break;
    const next = value * b + BigInt(d);
    if (next > 0xffffffffffffffffn) overflow = true;
    value = BigInt.asUintN(64, next);
    n++;
  }
  if (overflow) return -ERANGE;
  if (n === 0) return -EINVAL;
  return { consumed: consumedPrefix + s + n, value, negative };
}

/** The string helpers, by helper id. */
export function stringHelpers(): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  const I = STRING_HELPER_IDS;

  // long bpf_strtol(const char *buf, size_t buf_len, u64 flags, long *res)
  h.set(I.strtol, (env, r1, r2, r3, r4) => {
    const len = u32(r2);
    const buf = bytesAt(env, I.strtol, r1, len).slice();
    const resAt = at(env, I.strtol, r4, 8, true);
    // *res = 0 first: the result is written even when parsing fails
    env.memory.view.setBigInt64(resAt, 0n, true);
    const r = strtoull(buf, r3);
    if (typeof r === 'number') return errno(r);
    // __bpf_strtoll: the magnitude must fit the sign
    let v: bigint;
    if (r.negative) {
      v = BigInt.asIntN(64, -r.value);
      if (v > 0n) return errno(-ERANGE);
    } else {
      v = BigInt.asIntN(64, r.value);
      if (v < 0n) return errno(-ERANGE);
    }
    env.memory.view.setBigInt64(resAt, v, true);
    return BigInt(r.consumed);
  });

  // long bpf_strtoul(const char *buf, size_t buf_len, u64 flags, unsigned long *res)
  h.set(I.strtoul, (env, r1, r2, r3, r4) => {
    const len = u32(r2);
    const buf = bytesAt(env, I.strtoul, r1, len).slice();
    const resAt = at(env, I.strtoul, r4, 8, true);
    env.memory.view.setBigUint64(resAt, 0n, true);
    const r = strtoull(buf, r3);
    if (typeof r === 'number') return errno(r);
    if (r.negative) return errno(-EINVAL);
    env.memory.view.setBigUint64(resAt, r.value, true);
    return BigInt(r.consumed);
  });

  // long bpf_strncmp(const char *s1, u32 s1_sz, const char *s2): strncmp(s1, s2, s1_sz)
  h.set(I.strncmp, (env, r1, r2, r3) => {
    const n = u32(r2);
    const s1 = bytesAt(env, I.strncmp, r1, n);
    const bytes = env.memory.bytes;
    let p2 = Number(r3);
    for (let i = 0; i < n; i++, p2++) {
      const c1 = s1[i]!;
      const c2 = bytes[at(env, I.strncmp, BigInt(p2), 1)]!;
      if (c1 !== c2) return c1 < c2 ? errno(-1) : 1n;
      if (c1 === 0) break;
    }
    return 0n;
  });
  return h;
}
