/**
 * @file Checksum helpers (net/core/filter.c): `bpf_csum_diff`,
 * `bpf_l3_csum_replace` and `bpf_l4_csum_replace`, with the kernel's
 * one's-complement arithmetic (include/net/checksum.h). Words are taken in
 * memory order, as the kernel does on a little-endian CPU, so results stored
 * back into packets are byte-exact.
 *
 * `bpf_csum_diff` returns the 16-bit folded value, as Linux does since 6.13
 * ("homogenize for all archs"). The replace helpers act on the packet of an
 * `__sk_buff` context: its `data` and `data_end` (offsets 76 and 80) bound
 * it; they model an skb whose `ip_summed` is not `CHECKSUM_PARTIAL`.
 */

import type { HelperEnv, HelperFn } from '../../abi/helper-env.js';
import { EFAULT, EINVAL } from '../maps/errno.js';
import { at, errno, u32 } from './access.js';

/** Helper ids implemented here. */
export const CSUM_HELPER_IDS = { l3_csum_replace: 10, l4_csum_replace: 11, csum_diff: 28 } as const;

/** `BPF_F_HDR_FIELD_MASK`. */
const BPF_F_HDR_FIELD_MASK = 0xfn;
/** `bpf_l4_csum_replace` flags. */
const BPF_F_PSEUDO_HDR = 1n << 4n;
const BPF_F_MARK_MANGLED_0 = 1n << 5n;
const BPF_F_MARK_ENFORCE = 1n << 6n;
const BPF_F_IPV6 = 1n << 7n;
/** `CSUM_MANGLED_0`. */
const CSUM_MANGLED_0 = 0xffff;
/** `struct __sk_buff` offsets of `data` and `data_end`. */
const SKB_DATA = 76;
const SKB_DATA_END = 80;

/** `csum_add`: 32-bit one's-complement addition (end-around carry). */
export function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return (s >= 0x100000000 ? s - 0xffffffff : s) >>> 0;
}

/** `csum_sub`. */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** `csum_partial(buf, len, sum)` over 32-bit little-endian words (len a multiple of 4). */
export function csumPartial(bytes: Uint8Array, off: number, len: number, sum: number): number {
  let s = sum >>> 0;
  for (let i = 0; i < len; i += 4) {
    const w = (bytes[off + i]! | (bytes[off + i + 1]! << 8) | (bytes[off + i + 2]! << 16) | (bytes[off + i + 3]! << 24)) >>> 0;
    s = csumAdd(s, w);
  }
  return s;
}

/** Fold 32 bits to 16 with end-around carry (`from32to16`). */
export function csumFrom32to16(x: number): number {
  x = (x & 0xffff) + (x >>> 16);
  x = (x & 0xffff) + (x >>> 16);
  return x;
}

/** `csum_fold`: fold and complement. */
export function csumFold(x: number): number {
  return ~csumFrom32to16(x >>> 0) & 0xffff;
}

/** `csum16_add`. */
function csum16Add(c: number, a: number): number {
  let r = (c + a) & 0xffff;
  if (r < (a & 0xffff)) r = (r + 1) & 0xffff;
  return r;
}

/** The checksum helpers, by helper id. */
export function csumHelpers(): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  const I = CSUM_HELPER_IDS;

  // s64 bpf_csum_diff(__be32 *from, u32 from_size, __be32 *to, u32 to_size, __wsum seed)
  h.set(I.csum_diff, (env, r1, r2, r3, r4, r5) => {
    const fromSize = u32(r2);
    const toSize = u32(r4);
    // the per-CPU scratch pad is MAX_BPF_STACK (512) bytes
    if (((fromSize | toSize) & 3) !== 0 || fromSize + toSize > 512) return errno(-EINVAL);
    const bytes = env.memory.bytes;
    const from = fromSize > 0 ? at(env, I.csum_diff, r1, fromSize) : 0;
    const to = toSize > 0 ? at(env, I.csum_diff, r3, toSize) : 0;
    let ret = u32(r5);
    if (fromSize > 0 && toSize > 0) ret = csumSub(csumPartial(bytes, to, toSize, ret), csumPartial(bytes, from, fromSize, 0));
    else if (toSize > 0) ret = csumPartial(bytes, to, toSize, ret);
    else if (fromSize > 0) ret = ~csumPartial(bytes, from, fromSize, ~ret >>> 0) >>> 0;
    return BigInt(csumFrom32to16(ret));
  });

  /** The packet field at `offset` (2 bytes), or a negated errno. */
  const field = (env: HelperEnv, offset: number): number => {
    if (offset > 0xffff || (offset & 1) !== 0) return -EFAULT;
    const v = env.memory.view;
    const data = v.getUint32(env.ctx + SKB_DATA, true);
    const end = v.getUint32(env.ctx + SKB_DATA_END, true);
    if (data + offset + 2 > end) return -EFAULT;
    return data + offset;
  };

  // long bpf_l3_csum_replace(struct sk_buff *skb, u32 offset, u64 from, u64 to, u64 size)
  h.set(I.l3_csum_replace, (env, _r1, r2, r3, r4, r5) => {
    if ((r5 & ~BPF_F_HDR_FIELD_MASK) !== 0n) return errno(-EINVAL);
    const p = field(env, u32(r2));
    if (p < 0) return errno(p);
    const v = env.memory.view;
    const sum = v.getUint16(p, true);
    switch (Number(r5 & BPF_F_HDR_FIELD_MASK)) {
      case 0:
        if (r3 !== 0n) return errno(-EINVAL);
        // csum_replace_by_diff
        v.setUint16(p, csumFold(csumAdd(u32(r4), ~sum >>> 0)), true);
        break;
      case 2:
        // csum_replace2: ~csum16_add(csum16_sub(~sum, old), new)
        v.setUint16(p, ~csum16Add(csum16Add(~sum & 0xffff, ~Number(r3 & 0xffffn) & 0xffff), Number(r4 & 0xffffn)) & 0xffff, true);
        break;
      case 4:
        // csum_replace4
        v.setUint16(p, csumFold(csumAdd(csumSub(~sum >>> 0, u32(r3)), u32(r4))), true);
        break;
      default:
        return errno(-EINVAL);
    }
    return 0n;
  });

  // long bpf_l4_csum_replace(struct sk_buff *skb, u32 offset, u64 from, u64 to, u64 flags)
  h.set(I.l4_csum_replace, (env, _r1, r2, r3, r4, r5) => {
    const known = BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_IPV6 | BPF_F_HDR_FIELD_MASK;
    if ((r5 & ~known) !== 0n) return errno(-EINVAL);
    const p = field(env, u32(r2));
    if (p < 0) return errno(p);
    const v = env.memory.view;
    const mmzero = (r5 & BPF_F_MARK_MANGLED_0) !== 0n;
    const enforce = (r5 & BPF_F_MARK_ENFORCE) !== 0n;
    if (mmzero && !enforce && v.getUint16(p, true) === 0) return 0n;
    const sum = v.getUint16(p, true);
    switch (Number(r5 & BPF_F_HDR_FIELD_MASK)) {
      case 0:
        if (r3 !== 0n) return errno(-EINVAL);
        v.setUint16(p, csumFold(csumAdd(u32(r4), ~sum >>> 0)), true);
        break;
      case 2: case 4: {
        // inet_proto_csum_replace2/4 → csum_replace4 (2-byte values zero-extended)
        const mask = (r5 & BPF_F_HDR_FIELD_MASK) === 2n ? 0xffffn : 0xffffffffn;
        v.setUint16(p, csumFold(csumAdd(csumSub(~sum >>> 0, Number(r3 & mask)), Number(r4 & mask))), true);
        break;
      }
      default:
        return errno(-EINVAL);
    }
    if (mmzero && v.getUint16(p, true) === 0) v.setUint16(p, CSUM_MANGLED_0, true);
    return 0n;
  });
  return h;
}
