/**
 * @file Packet hooks (XDP): `dispatch(frame)` runs every attached XDP
 * program on the frame and returns the verdict and the frame as the
 * programs left it (rewritten, or moved and resized by
 * `bpf_xdp_adjust_head`/`_tail`/`_meta`).
 *
 * Each program sees the frame the way `testRun` lays it out for XDP, which
 * is what the packet helpers expect: one `packet` region holding 256 bytes
 * of headroom, at most 3520 bytes of frame and the 320 bytes the kernel
 * keeps for `skb_shared_info`, and a 24-byte `xdp_md` with `data`,
 * `data_end` and `data_meta` as addresses. Bytes past 3520 are carried as
 * fragments the programs do not see but `bpf_xdp_adjust_tail` resizes. The
 * regions are mapped once per link, when it is attached.
 *
 * Several programs combine as libxdp's multi-program dispatcher does: they
 * run in attach order on the same frame (each sees what the previous ones
 * wrote) and the first verdict that is not among the link's
 * "chain call actions" (by default only `XDP_PASS`) is the hook's verdict.
 * When every program passes, or none is attached, the verdict is
 * `XDP_PASS`. A return value outside the five actions is what the kernel
 * treats as an invalid action (`bpf_warn_invalid_xdp_action`): the frame is
 * dropped as on `XDP_ABORTED`; `action` says `aborted` and `verdict` keeps
 * the raw value.
 */

import type { Region } from '../../abi/memory.js';
import { ProgType } from '../../abi/program-types.js';
import { fail } from '../../diag/index.js';
import { ETH_HLEN, XDP_HEADROOM, XDP_MAX_DATA, joinFragments, withFragments, xdpFragments } from '../test-run.js';
import { contextFields, LinkRegions } from './context.js';
import { Hook } from './hook.js';
import type { HookProgram } from './program.js';

/** `enum xdp_action`. */
export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;

/** Verdict names, by `enum xdp_action` value. */
const ACTION_NAMES = ['aborted', 'drop', 'pass', 'tx', 'redirect'] as const;
/** The name of an XDP action. */
export type XdpActionName = (typeof ACTION_NAMES)[number];

/** `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`, the tail of every XDP buffer. */
const SHARED_INFO = 320;
const XDP = contextFields('xdp', ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index']);

/** Options of a packet hook link. */
export interface PacketLinkOptions {
  /** Verdicts after which the next program runs (libxdp `chain_call_actions`; default `[XDP_PASS]`). */
  readonly chainCallActions?: readonly number[];
}

/** Options of one dispatch. */
export interface PacketEvent {
  /** `xdp_md.ingress_ifindex` (default 1). */
  readonly ifindex?: number;
  /** `xdp_md.rx_queue_index` (default 0). */
  readonly rxQueue?: number;
}

/** What a packet hook decided. */
export interface PacketVerdict {
  /** The deciding program's return value (low 32 bits); `XDP_PASS` when every program passed. */
  readonly verdict: number;
  /** The action the verdict means; invalid values are `aborted`. */
  readonly action: XdpActionName;
  /** The frame after the programs that ran (from `data_meta` to `data_end`, then the fragments). */
  readonly data: Uint8Array;
  /** Bytes of metadata at the start of `data` (`data - data_meta`). */
  readonly meta: number;
  /** The program whose verdict ended the chain, when one did. */
  readonly program?: string;
  /** How many programs ran. */
  readonly ran: number;
}

interface PacketState {
  readonly regions: LinkRegions;
  readonly buf: Region;
  readonly ctx: Region;
  readonly chain: ReadonlySet<number>;
}

/** An XDP hook: a network device's receive path. */
export class PacketHook extends Hook<PacketState, PacketLinkOptions> {
  readonly kind = 'packet' as const;
  protected readonly programTypes = [ProgType.XDP];

  protected setup(program: HookProgram, options: PacketLinkOptions): PacketState {
    const regions = new LinkRegions(program);
    const buf = regions.map('xdp-buffer', 'packet', XDP_HEADROOM + XDP_MAX_DATA + SHARED_INFO, true);
    // exactly sizeof(struct xdp_md): the packet helpers tell XDP from skb contexts by the region's size
    const ctx = regions.map('xdp-md', 'ctx', XDP.size, false);
    return { regions, buf, ctx, chain: new Set(options.chainCallActions ?? [XdpAction.PASS]) };
  }

  protected teardown(_program: HookProgram, state: PacketState): void { state.regions.release(); }
  protected defaults(): PacketLinkOptions { return {}; }

  /** Run the attached programs on a frame (at least an Ethernet header long). */
  dispatch(frame: Uint8Array, event: PacketEvent = {}): PacketVerdict {
    if (frame.length < ETH_HLEN) fail('TEST_RUN_DATA_SIZE', { size: frame.length, problem: `shorter than an Ethernet header (${ETH_HLEN})` });
    let data = frame;
    let meta = 0;
    let ran = 0;
    for (const link of this.links) {
      const r = runXdp(link.program, link.state, data, meta, event);
      data = r.data;
      meta = r.meta;
      ran++;
      if (!link.state.chain.has(r.verdict)) {
        return { verdict: r.verdict, action: ACTION_NAMES[r.verdict] ?? 'aborted', data, meta, program: link.program.spec.name, ran };
      }
    }
    return { verdict: XdpAction.PASS, action: 'pass', data: data === frame ? frame.slice() : data, meta, ran };
  }
}

/**
 * One XDP program on one frame, in the link's regions. The first `meta`
 * bytes of `frame` are metadata a previous program added
 * (`bpf_xdp_adjust_meta`): they go just before `data`, as in the shared
 * `xdp_buff` of a multi-program dispatch.
 */
function runXdp(program: HookProgram, state: PacketState, frame: Uint8Array, meta: number, event: PacketEvent): { verdict: number; data: Uint8Array; meta: number } {
  const mem = program.instance.memory;
  const { buf, ctx } = state;
  const seen = frame.subarray(0, meta + XDP_MAX_DATA);
  const start = buf.start + XDP_HEADROOM;
  const bytes = mem.bytes;
  bytes.fill(0, buf.start, buf.start + buf.size);
  bytes.set(seen, start - meta);
  const v = mem.view;
  v.setUint32(ctx.start + XDP.off.data, start, true);
  v.setUint32(ctx.start + XDP.off.data_end, start - meta + seen.length, true);
  v.setUint32(ctx.start + XDP.off.data_meta, start - meta, true);
  v.setUint32(ctx.start + XDP.off.ingress_ifindex, event.ifindex ?? 1, true);
  v.setUint32(ctx.start + XDP.off.rx_queue_index, event.rxQueue ?? 0, true);
  const frags = xdpFragments(frame.subarray(seen.length));
  const r = withFragments(program.instance, frags, () => program.executable.run(ctx.start, { start, size: seen.length - meta }));
  const after = mem.view;
  const metaAt = after.getUint32(ctx.start + XDP.off.data_meta, true);
  const dataAt = after.getUint32(ctx.start + XDP.off.data, true);
  const end = after.getUint32(ctx.start + XDP.off.data_end, true);
  return { verdict: Number(r.r0 & 0xffffffffn), data: joinFragments(mem.bytes.subarray(metaAt, end), frags), meta: dataAt - metaAt };
}
