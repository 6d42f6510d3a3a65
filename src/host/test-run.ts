/**
 * @file One run of a program on a packet, the way the kernel's
 * `BPF_PROG_TEST_RUN` does it for the program's type
 * (`net/bpf/test_run.c`):
 *
 * - XDP (`bpf_prog_test_run_xdp`): the frame sits after 256 bytes of
 *   headroom (`XDP_PACKET_HEADROOM`) with room for the tail; the program sees
 *   at most 3520 bytes (4096 − headroom − `skb_shared_info`'s 320); `xdp_md`
 *   has `data`, `data_end`, `data_meta` (= `data`) and `ingress_ifindex` 1
 *   (the loopback device the kernel uses). The output is the frame from
 *   `data_meta` to `data_end` after the run, followed by the bytes past 3520,
 *   which the kernel keeps as page-sized fragments the program does not see
 *   (`Instance.xdpFrags` during the run; `bpf_xdp_adjust_tail` grows or
 *   shrinks the last one).
 * - Socket filters, tc and cgroup_skb (`bpf_prog_test_run_skb`): the kernel
 *   runs `eth_type_trans`, so `skb->protocol` is the Ethernet type and the
 *   network header is at `skb->data` — except for tc (`SCHED_CLS`/`ACT`),
 *   which pushes the Ethernet header back and sees layer 2. `skb->len` counts
 *   from `skb->data`. Legacy LD_ABS/LD_IND loads read from `skb->data`; one
 *   past the end ends the program with 0. Frames of fewer than 34 or more than
 *   3712 bytes (4096 − 64 headroom − 320) are refused, as the kernel refuses
 *   them. The output is the whole frame; for the types that see layer 3, the
 *   kernel returns the Ethernet header zeroed, and so does this.
 * - Other types run with a zeroed context of their UAPI layout (or the bytes
 *   given as `ctx`).
 *
 * The context lives in the linear memory in its UAPI layout, with packet
 * pointers as 32-bit addresses, so `(void *)(long)ctx->data` is usable as is.
 */

import { contextOf } from '../abi/contexts.js';
import type { Region } from '../abi/memory.js';
import { ProgType, progTypeName } from '../abi/program-types.js';
import { fail } from '../diag/index.js';
import type { ProgramSpec } from '../elf/types.js';
import type { Backend, Execution } from './backend.js';
import type { Instance } from './instance.js';
import type { XdpFrags } from './helpers/host.js';

/** `XDP_PACKET_HEADROOM`. */
export const XDP_HEADROOM = 256;
/** Largest frame an XDP program sees in a test run: 4096 − 256 − 320. */
export const XDP_MAX_DATA = 3520;
/** Size of one fragment's page. */
const PAGE_SIZE = 4096;
/** Tailroom kept after an XDP frame for `bpf_xdp_adjust_tail`. */
const XDP_TAILROOM = 320;
/** `ETH_HLEN`. */
export const ETH_HLEN = 14;
/** Smallest and largest frames the kernel test-runs on skb programs (measured on Linux 6.18). */
export const SKB_MIN_DATA = 34;
export const SKB_MAX_DATA = 3712;
/** `sizeof(struct __sk_buff)`. */
const SK_BUFF_SIZE = 192;

/** `struct __sk_buff` field offsets used here (include/uapi/linux/bpf.h). */
const SKB = { len: 0, pkt_type: 4, protocol: 16, ingress_ifindex: 36, ifindex: 40, data: 76, data_end: 80, data_meta: 140, wire_len: 160, gso_segs: 164 } as const;
/** `struct xdp_md` field offsets. */
const XDP = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20 } as const;

/** Input of a test run. */
export interface TestRunInput {
  /** The packet (`data_in`). */
  readonly data?: Uint8Array;
  /** Context bytes (`ctx_in`) for types that take one. */
  readonly ctx?: Uint8Array;
}

/** Output of a test run, as `BPF_PROG_TEST_RUN` reports it. */
export interface TestRunResult {
  /** r0 truncated to 32 bits, as the kernel reports `retval`. */
  readonly retval: number;
  /** The full 64-bit r0. */
  readonly r0: bigint;
  /** The packet after the run (`data_out`). */
  readonly dataOut: Uint8Array;
  /** Instructions executed, when the backend counts them. */
  readonly insnCount?: number;
}

type PacketKind = 'xdp' | 'skb-l2' | 'skb-l3' | 'none';

function packetKind(type: number): PacketKind {
  switch (type) {
    case ProgType.XDP: return 'xdp';
    case ProgType.SCHED_CLS: case ProgType.SCHED_ACT: return 'skb-l2';
    case ProgType.SOCKET_FILTER: case ProgType.CGROUP_SKB:
    case ProgType.LWT_IN: case ProgType.LWT_OUT: case ProgType.LWT_XMIT:
      return 'skb-l3';
    default: return 'none';
  }
}

/** Bytes past an XDP frame's linear part as page-sized fragments, as `bpf_prog_test_run_xdp` lays them out. */
export function xdpFragments(rest: Uint8Array): XdpFrags['frags'] {
  const frags: XdpFrags['frags'] = [];
  for (let at = 0; at < rest.length; at += PAGE_SIZE) {
    const bytes = new Uint8Array(PAGE_SIZE);
    const part = rest.subarray(at, Math.min(rest.length, at + PAGE_SIZE));
    bytes.set(part);
    frags.push({ bytes, size: part.length });
  }
  return frags;
}

/** Run `f` with `frags` as the fragments the instance's helpers see. */
export function withFragments<T>(instance: Instance, frags: XdpFrags['frags'], f: () => T): T {
  instance.xdpFrags = frags.length > 0 ? { frags } : undefined;
  try {
    return f();
  } finally {
    instance.xdpFrags = undefined;
  }
}

/** `head` followed by the fragments' data: a multi-buffer frame's `data_out`. */
export function joinFragments(head: Uint8Array, frags: XdpFrags['frags']): Uint8Array {
  const out = new Uint8Array(head.length + frags.reduce((n, f) => n + f.size, 0));
  out.set(head);
  let at = head.length;
  for (const f of frags) { out.set(f.bytes.subarray(0, f.size), at); at += f.size; }
  return out;
}

/** Run a program once on a packet, as `BPF_PROG_TEST_RUN` would. */
export function testRun(instance: Instance, prog: ProgramSpec, backend: Backend, input: TestRunInput = {}): TestRunResult {
  const exe = backend.load(prog, instance);
  const mem = instance.memory;
  const data = input.data ?? new Uint8Array(0);
  const kind = packetKind(prog.type);
  const mapped: Region[] = [];
  const region = (name: string, k: Region['kind'], size: number, writable: boolean): Region => {
    const r = mem.map(name, k, size, writable);
    mapped.push(r);
    return r;
  };
  try {
    if (kind === 'xdp') {
      if (data.length < ETH_HLEN) fail('TEST_RUN_DATA_SIZE', { size: data.length, problem: `shorter than an Ethernet header (${ETH_HLEN})` });
      const frame = data.subarray(0, XDP_MAX_DATA);
      // The whole buffer is one region so that adjust_head/tail stay inside it.
      const buf = region('packet', 'packet', XDP_HEADROOM + XDP_MAX_DATA + XDP_TAILROOM, true);
      const start = buf.start + XDP_HEADROOM;
      mem.bytes.set(frame, start);
      const ctx = region('ctx', 'ctx', 24, false);
      const v = mem.view;
      v.setUint32(ctx.start + XDP.data, start, true);
      v.setUint32(ctx.start + XDP.data_end, start + frame.length, true);
      v.setUint32(ctx.start + XDP.data_meta, start, true);
      v.setUint32(ctx.start + XDP.ingress_ifindex, 1, true);
      const frags = xdpFragments(data.subarray(frame.length));
      const r = withFragments(instance, frags, () => exe.run(ctx.start, { start, size: frame.length }));
      const metaStart = mem.view.getUint32(ctx.start + XDP.data_meta, true);
      const dataEnd = mem.view.getUint32(ctx.start + XDP.data_end, true);
      return result(r, joinFragments(mem.bytes.subarray(metaStart, dataEnd), frags));
    }
    if (kind === 'skb-l2' || kind === 'skb-l3') {
      if (data.length < SKB_MIN_DATA || data.length > SKB_MAX_DATA) {
        fail('TEST_RUN_DATA_SIZE', { size: data.length, problem: `outside the ${SKB_MIN_DATA}..${SKB_MAX_DATA} bytes the kernel test-runs on skb programs` });
      }
      const buf = region('packet', 'packet', data.length, true);
      mem.bytes.set(data, buf.start);
      const seen = kind === 'skb-l2' ? buf.start : buf.start + ETH_HLEN;
      const len = buf.start + data.length - seen;
      const ctx = region('ctx', 'ctx', SK_BUFF_SIZE, true);
      const v = mem.view;
      v.setUint32(ctx.start + SKB.len, len, true);
      // skb->protocol holds the Ethernet type in network byte order (__be16).
      v.setUint32(ctx.start + SKB.protocol, (data[13]! << 8) | data[12]!, true);
      v.setUint32(ctx.start + SKB.ingress_ifindex, 1, true);
      v.setUint32(ctx.start + SKB.ifindex, 1, true);
      v.setUint32(ctx.start + SKB.data, seen, true);
      v.setUint32(ctx.start + SKB.data_end, seen + len, true);
      v.setUint32(ctx.start + SKB.data_meta, seen, true);
      v.setUint32(ctx.start + SKB.wire_len, 0, true);
      v.setUint32(ctx.start + SKB.gso_segs, 1, true);
      const r = exe.run(ctx.start, { start: seen, size: len });
      const out = mem.bytes.slice(buf.start, buf.start + data.length);
      if (kind === 'skb-l3') out.fill(0, 0, ETH_HLEN);
      return result(r, out);
    }
    const layout = contextOf(progTypeName(prog.type));
    const size = Math.max(layout?.size ?? 0, input.ctx?.length ?? 0, 8);
    const ctx = region('ctx', 'ctx', size, true);
    if (input.ctx !== undefined) mem.bytes.set(input.ctx, ctx.start);
    const r = exe.run(ctx.start);
    return result(r, data.slice());
  } finally {
    for (const r of mapped.reverse()) mem.unmap(r);
    exe.dispose?.();
  }
}

function result(r: Execution, dataOut: Uint8Array): TestRunResult {
  return {
    retval: Number(r.r0 & 0xffffffffn), r0: r.r0, dataOut,
    ...(r.insnCount !== undefined ? { insnCount: r.insnCount } : {}),
  };
}
