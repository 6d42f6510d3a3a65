/**
 * @file The context and packet of a program run, built once so that a
 * benchmark can call `Executable.run` in a loop. The layout is the one
 * `testRun` (`src/host/test-run.ts`) builds per call, after the kernel's
 * `BPF_PROG_TEST_RUN` (`net/bpf/test_run.c`): XDP frames after 256 bytes of
 * headroom, `__sk_buff` with `data` at the network header for socket
 * filters and at layer 2 for tc, a zeroed UAPI context for other types.
 */

import { contextOf } from '../../abi/contexts.js';
import type { Region } from '../../abi/memory.js';
import { ProgType, progTypeName } from '../../abi/program-types.js';
import { fail } from '../../diag/index.js';
import type { ProgramSpec } from '../../elf/types.js';
import type { PacketRange } from '../../interp/index.js';
import type { Instance } from '../instance.js';
import { ETH_HLEN, XDP_HEADROOM, XDP_MAX_DATA } from '../test-run.js';

/** Tailroom after an XDP frame (as in `testRun`). */
const XDP_TAILROOM = 320;
/** `sizeof(struct __sk_buff)`. */
const SK_BUFF_SIZE = 192;
/** `struct __sk_buff` offsets (include/uapi/linux/bpf.h). */
const SKB = { len: 0, protocol: 16, ingress_ifindex: 36, ifindex: 40, data: 76, data_end: 80, data_meta: 140, gso_segs: 164 } as const;
/** `struct xdp_md` offsets. */
const XDP = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12 } as const;

/** A context ready to pass to `Executable.run`, and how to restore and release it. */
export interface RunSetup {
  /** Address of the context (r1). */
  readonly ctx: number;
  /** What LD_ABS/LD_IND read. */
  readonly packet?: PacketRange;
  /** Put the context's packet pointers back (a program may move them with adjust_head). */
  reset(): void;
  /** Unmap the regions. */
  release(): void;
}

/** Build the context of `prog`'s type around `data` in the instance's memory. */
export function setupRun(instance: Instance, prog: ProgramSpec, data: Uint8Array): RunSetup {
  const mem = instance.memory;
  const mapped: Region[] = [];
  const region = (name: string, k: Region['kind'], size: number): Region => {
    const r = mem.map(name, k, size, true);
    mapped.push(r);
    return r;
  };
  const release = (): void => { for (const r of mapped.reverse()) mem.unmap(r); };
  const t = prog.type;
  const isSkb = t === ProgType.SCHED_CLS || t === ProgType.SCHED_ACT || t === ProgType.SOCKET_FILTER
    || t === ProgType.CGROUP_SKB || t === ProgType.LWT_IN || t === ProgType.LWT_OUT || t === ProgType.LWT_XMIT;
  if (t === ProgType.XDP || isSkb) {
    if (data.length < ETH_HLEN) fail('TEST_RUN_DATA_SIZE', { size: data.length, problem: `shorter than an Ethernet header (${ETH_HLEN})` });
  }
  if (t === ProgType.XDP) {
    const frame = data.subarray(0, XDP_MAX_DATA);
    const buf = region('packet', 'packet', XDP_HEADROOM + XDP_MAX_DATA + XDP_TAILROOM);
    const start = buf.start + XDP_HEADROOM;
    mem.bytes.set(frame, start);
    const ctx = region('ctx', 'ctx', 24);
    const reset = (): void => {
      const v = mem.view;
      v.setUint32(ctx.start + XDP.data, start, true);
      v.setUint32(ctx.start + XDP.data_end, start + frame.length, true);
      v.setUint32(ctx.start + XDP.data_meta, start, true);
      v.setUint32(ctx.start + XDP.ingress_ifindex, 1, true);
    };
    reset();
    return { ctx: ctx.start, packet: { start, size: frame.length }, reset, release };
  }
  if (isSkb) {
    const buf = region('packet', 'packet', data.length);
    mem.bytes.set(data, buf.start);
    const seen = t === ProgType.SCHED_CLS || t === ProgType.SCHED_ACT ? buf.start : buf.start + ETH_HLEN;
    const len = buf.start + data.length - seen;
    const ctx = region('ctx', 'ctx', SK_BUFF_SIZE);
    const reset = (): void => {
      const v = mem.view;
      v.setUint32(ctx.start + SKB.len, len, true);
      v.setUint32(ctx.start + SKB.protocol, (data[13]! << 8) | data[12]!, true);
      v.setUint32(ctx.start + SKB.ingress_ifindex, 1, true);
      v.setUint32(ctx.start + SKB.ifindex, 1, true);
      v.setUint32(ctx.start + SKB.data, seen, true);
      v.setUint32(ctx.start + SKB.data_end, seen + len, true);
      v.setUint32(ctx.start + SKB.data_meta, seen, true);
      v.setUint32(ctx.start + SKB.gso_segs, 1, true);
    };
    reset();
    return { ctx: ctx.start, packet: { start: seen, size: len }, reset, release };
  }
  const layout = contextOf(progTypeName(t));
  const ctx = region('ctx', 'ctx', Math.max(layout?.size ?? 0, 8));
  return { ctx: ctx.start, reset: () => undefined, release };
}
