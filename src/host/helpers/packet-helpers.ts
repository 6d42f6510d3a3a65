/**
 * @file Packet helpers (net/core/filter.c): `bpf_skb_load_bytes`,
 * `bpf_skb_store_bytes`, `bpf_xdp_adjust_head`, `bpf_xdp_adjust_tail`,
 * `bpf_xdp_adjust_meta`, `bpf_redirect` and `bpf_redirect_map`, with the
 * kernel's bounds rules and error codes.
 *
 * They act on the test-run layout of `src/host/test-run.ts`:
 *
 * - XDP: one `packet` region is the whole frame buffer (`frame_sz`), from
 *   `data_hard_start`; `xdp_md` holds `data`, `data_end` and `data_meta` as
 *   32-bit addresses, which the adjust helpers update. The last
 *   `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` (320) bytes of the buffer
 *   are never part of the frame (`xdp_data_hard_end`). A multi-buffer frame's
 *   fragments come from `HelperHost.xdpFrags`: `bpf_xdp_adjust_tail` acts on
 *   them as `bpf_xdp_frags_increase_tail` / `bpf_xdp_frags_shrink_tail` do.
 * - skb (tc, socket filters): offsets count from `skb->data` (`__sk_buff`
 *   `data`, offset 76) and end at `skb->len` (offset 0); the packet is linear
 *   and not cloned, and `ip_summed` is `CHECKSUM_NONE`, as in
 *   `bpf_prog_test_run_skb`, so `BPF_F_RECOMPUTE_CSUM` has nothing to update.
 *
 * `bpf_redirect` differs between XDP and skb programs; the helper tells them
 * apart by the context's size (`xdp_md` is 24 bytes, `__sk_buff` 192).
 */

import type { HelperEnv, HelperFn } from '../../abi/helper-env.js';
import { fail } from '../../diag/diagnostic.js';
import { MapType } from '../../abi/map-types.js';
import { helperName } from '../../abi/helpers.js';
import { EFAULT, EINVAL } from '../maps/errno.js';
import { at, errno, s32, u32 } from './access.js';
import type { HelperHost, XdpFrags } from './host.js';

/** Helper ids implemented here (`__BPF_FUNC_MAPPER`). */
export const PACKET_HELPER_IDS = {
  skb_store_bytes: 9, redirect: 23, skb_load_bytes: 26, xdp_adjust_head: 44, redirect_map: 51,
  xdp_adjust_meta: 54, xdp_adjust_tail: 65,
} as const;

/** `ETH_HLEN`. */
const ETH_HLEN = 14;
/** `sizeof(struct xdp_frame)`: the start of the buffer the frame may never reach. */
const XDP_FRAME_SIZE = 40;
/** `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`, kept at the end of an XDP buffer. */
const XDP_SHARED_INFO = 320;
/** Largest metadata: `type_max(skb_shared_info.meta_len)` (a `u8`), `xdp_metalen_invalid`. */
const XDP_META_MAX = 255;
/** `EACCES` (not among the map errnos). */
const EACCES = 13;
/** `INT_MAX`. */
const INT_MAX = 0x7fffffff;

/** `struct xdp_md` offsets. */
const XDP_MD = { data: 0, data_end: 4, data_meta: 8, size: 24 } as const;
/** `struct __sk_buff` offsets. */
const SKB = { len: 0, hash: 68, data: 76 } as const;

/** `bpf_skb_store_bytes` flags. */
const BPF_F_RECOMPUTE_CSUM = 1n;
const BPF_F_INVALIDATE_HASH = 2n;
const BPF_F_NO_CSUM_RESET = 4n;
/** `bpf_redirect` flag for skb programs. */
const BPF_F_INGRESS = 1n;
/** `bpf_redirect_map` flags for device maps. */
const BPF_F_BROADCAST = 8n;
const BPF_F_EXCLUDE_INGRESS = 16n;

/** XDP verdicts (`enum xdp_action`). */
const XDP_ABORTED = 0n;
const XDP_REDIRECT = 4n;
/** `XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX`: the fallback verdict bits of `bpf_redirect_map`. */
const XDP_ACTION_MASK = 3n;
/** tc verdicts. */
const TC_ACT_SHOT = 2n;
const TC_ACT_REDIRECT = 7n;

/** Whether the running program's context is an `xdp_md` (rather than an `__sk_buff`). */
function isXdp(env: HelperEnv): boolean {
  const r = env.memory.find(env.ctx, 1);
  return r !== undefined && r.size <= XDP_MD.size;
}

/** The XDP frame pointers, and the buffer they live in. */
interface XdpFrame {
  data: number;
  dataEnd: number;
  dataMeta: number;
  /** `data_hard_start`. */
  hardStart: number;
  /** `xdp_data_hard_end`: the frame may grow up to here. */
  hardEnd: number;
}

function xdpFrame(env: HelperEnv, helper: number): XdpFrame {
  const v = env.memory.view;
  const data = v.getUint32(env.ctx + XDP_MD.data, true);
  const dataEnd = v.getUint32(env.ctx + XDP_MD.data_end, true);
  const dataMeta = v.getUint32(env.ctx + XDP_MD.data_meta, true);
  const buf = env.memory.find(data, 1) ?? env.memory.find(data, 0);
  if (buf === undefined || buf.kind !== 'packet') {
    fail('HOST_HELPER_FAULT', { helper: helperName(helper), size: 1, address: data.toString(16) }, { pc: env.pc });
  }
  return { data, dataEnd, dataMeta, hardStart: buf.start, hardEnd: buf.start + buf.size - XDP_SHARED_INFO };
}

/** `bpf_xdp_adjust_tail` on a frame with fragments: 0 or `-errno`. */
function adjustFragsTail(env: HelperEnv, f: XdpFrame, frags: XdpFrags['frags'], offset: number): number {
  if (offset > 0) {
    // bpf_xdp_frags_increase_tail: the last fragment grows into its page's tailroom, zero-filled
    const last = frags[frags.length - 1]!;
    if (offset > last.bytes.length - last.size) return -EINVAL;
    last.bytes.fill(0, last.size, last.size + offset);
    last.size += offset;
    return 0;
  }
  // bpf_xdp_frags_shrink_tail: fragments shrink from the last; freed ones go, and what is left
  // once none remains comes off the linear part
  let rest = -offset;
  const total = f.dataEnd - f.data + frags.reduce((n, x) => n + x.size, 0);
  if (rest > total - ETH_HLEN) return -EINVAL;
  while (rest > 0 && frags.length > 0) {
    const last = frags[frags.length - 1]!;
    const shrink = Math.min(rest, last.size);
    rest -= shrink;
    if (shrink === last.size) frags.pop();
    else { last.size -= shrink; break; }
  }
  if (frags.length === 0 && rest > 0) setXdp(env, XDP_MD.data_end, f.dataEnd - rest);
  return 0;
}

function setXdp(env: HelperEnv, field: number, value: number): void {
  env.memory.view.setUint32(env.ctx + field, value, true);
}

/** The linear part of an skb: where `skb->data` is and `skb->len`. */
function skbData(env: HelperEnv): { data: number; len: number } {
  const v = env.memory.view;
  return { data: v.getUint32(env.ctx + SKB.data, true), len: v.getUint32(env.ctx + SKB.len, true) };
}

/** The packet helpers, by helper id. `host` resolves map pointers for `bpf_redirect_map`. */
export function packetHelpers(host: HelperHost): Map<number, HelperFn> {
  const h = new Map<number, HelperFn>();
  const I = PACKET_HELPER_IDS;

  // long bpf_skb_load_bytes(const void *skb, u32 offset, void *to, u32 len)
  h.set(I.skb_load_bytes, (env, _r1, r2, r3, r4) => {
    const offset = u32(r2);
    const len = u32(r4);
    const to = at(env, I.skb_load_bytes, r3, len, true);
    const skb = skbData(env);
    const bytes = env.memory.bytes;
    // skb_header_pointer: fails when offset + len passes skb->len
    if (offset > INT_MAX || offset + len > skb.len) {
      bytes.fill(0, to, to + len);
      return errno(-EFAULT);
    }
    bytes.copyWithin(to, skb.data + offset, skb.data + offset + len);
    return 0n;
  });

  // long bpf_skb_store_bytes(struct sk_buff *skb, u32 offset, const void *from, u32 len, u64 flags)
  h.set(I.skb_store_bytes, (env, _r1, r2, r3, r4, r5) => {
    if ((r5 & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH | BPF_F_NO_CSUM_RESET)) !== 0n) return errno(-EINVAL);
    const offset = u32(r2);
    const len = u32(r4);
    if (offset > INT_MAX) return errno(-EFAULT);
    const skb = skbData(env);
    // bpf_try_make_writable(skb, offset + len): pskb_may_pull fails past skb->len (u32 sum)
    if (((offset + len) >>> 0) > skb.len) return errno(-EFAULT);
    const from = at(env, I.skb_store_bytes, r3, len);
    env.memory.bytes.copyWithin(skb.data + offset, from, from + len);
    // skb_clear_hash: skb->hash = 0 (and the l4/sw hash bits, not visible in __sk_buff)
    if ((r5 & BPF_F_INVALIDATE_HASH) !== 0n) env.memory.view.setUint32(env.ctx + SKB.hash, 0, true);
    return 0n;
  });

  // long bpf_xdp_adjust_head(struct xdp_buff *xdp_md, int delta)
  h.set(I.xdp_adjust_head, (env, _r1, r2) => {
    const f = xdpFrame(env, I.xdp_adjust_head);
    const offset = s32(r2);
    const metalen = f.data - f.dataMeta;
    const dataStart = f.hardStart + XDP_FRAME_SIZE + metalen;
    const data = f.data + offset;
    if (data < dataStart || data > f.dataEnd - ETH_HLEN) return errno(-EINVAL);
    if (metalen > 0) env.memory.bytes.copyWithin(f.dataMeta + offset, f.dataMeta, f.dataMeta + metalen);
    setXdp(env, XDP_MD.data_meta, f.dataMeta + offset);
    setXdp(env, XDP_MD.data, data);
    return 0n;
  });

  // long bpf_xdp_adjust_tail(struct xdp_buff *xdp_md, int delta)
  h.set(I.xdp_adjust_tail, (env, _r1, r2) => {
    const f = xdpFrame(env, I.xdp_adjust_tail);
    const offset = s32(r2);
    const frags = host.xdpFrags?.()?.frags;
    if (frags !== undefined && frags.length > 0) return errno(adjustFragsTail(env, f, frags, offset));
    const dataEnd = f.dataEnd + offset;
    if (dataEnd > f.hardEnd) return errno(-EINVAL);
    if (dataEnd < f.data + ETH_HLEN) return errno(-EINVAL);
    // grown bytes are cleared: they could hold stale memory
    if (offset > 0) env.memory.bytes.fill(0, f.dataEnd, dataEnd);
    setXdp(env, XDP_MD.data_end, dataEnd);
    return 0n;
  });

  // long bpf_xdp_adjust_meta(struct xdp_buff *xdp_md, int delta)
  h.set(I.xdp_adjust_meta, (env, _r1, r2) => {
    const f = xdpFrame(env, I.xdp_adjust_meta);
    const meta = f.dataMeta + s32(r2);
    const metalen = f.data - meta;
    if (meta < f.hardStart + XDP_FRAME_SIZE || meta > f.data) return errno(-EINVAL);
    // xdp_metalen_invalid: a multiple of 4, at most what skb_shared_info.meta_len holds
    if ((metalen & 3) !== 0 || metalen > XDP_META_MAX) return errno(-EACCES);
    setXdp(env, XDP_MD.data_meta, meta);
    return 0n;
  });

  // long bpf_redirect(u32 ifindex, u64 flags): the target is remembered by the
  // kernel for after the program; a test run only sees the verdict.
  h.set(I.redirect, (env, _r1, r2) => {
    if (isXdp(env)) return r2 !== 0n ? XDP_ABORTED : XDP_REDIRECT;
    return (r2 & ~BPF_F_INGRESS) !== 0n ? TC_ACT_SHOT : TC_ACT_REDIRECT;
  });

  // long bpf_redirect_map(void *map, u64 key, u64 flags) (__bpf_xdp_redirect_map)
  h.set(I.redirect_map, (env, r1, r2, r3) => {
    const map = host.map(r1);
    if (map === undefined) fail('HOST_HELPER_BAD_MAP', { helper: 'bpf_redirect_map', pointer: r1.toString(16) }, { pc: env.pc });
    const type = map.spec.type;
    const flagMask = type === MapType.DEVMAP || type === MapType.DEVMAP_HASH ? BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : 0n;
    if ((r3 & ~(XDP_ACTION_MASK | flagMask)) !== 0n) return XDP_ABORTED;
    // the key is a u32 index (devmap, cpumap, xskmap); larger keys find nothing
    let found = false;
    if (r2 <= 0xffffffffn && map.spec.keySize === 4) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, Number(r2), true);
      found = map.lookup(key, host.cpu()) !== undefined;
    }
    if (!found && (r3 & BPF_F_BROADCAST) === 0n) return r3 & XDP_ACTION_MASK;
    return XDP_REDIRECT;
  });
  return h;
}
