/**
 * @file Socket-filter hooks over any byte buffer: `dispatch(bytes)` runs the
 * attached `BPF_PROG_TYPE_SOCKET_FILTER` programs and returns how many bytes
 * to keep (0: drop), as `sk_filter_trim_cap` reads a socket filter's result.
 *
 * Each program sees an `__sk_buff` whose data is the buffer itself: offset 0
 * is the buffer's first byte, `len` its length, `protocol` what the event
 * gives (default 0), so `bpf_skb_load_bytes` and the legacy `LD_ABS`/`LD_IND`
 * loads read the buffer from its start.
 *
 * Combining several filters: the kernel lets one socket have one filter
 * (`SO_ATTACH_BPF` replaces the previous one), so there is no kernel rule
 * to copy. The rule here treats the filters as a pipeline of trims, which is
 * what attaching them to successive layers would do: they run in attach
 * order, each on the buffer as the previous ones trimmed it; a result of 0
 * drops the buffer at once (later filters do not run); otherwise the buffer
 * is cut to `min(result, length)` and passed on. A filter never sees bytes
 * an earlier one cut off, so the outcome can depend on the order (a filter
 * that looks at the length sees the trimmed length).
 */

import type { Region } from '../../abi/memory.js';
import { ProgType } from '../../abi/program-types.js';
import { contextFields, LinkRegions } from './context.js';
import { Hook } from './hook.js';
import type { HookProgram } from './program.js';

const SKB = contextFields('cgroup_skb', ['len', 'protocol', 'ingress_ifindex', 'ifindex', 'data', 'data_end']);
/** Room a link's buffer region starts with; it grows to the next power of two when a buffer needs more. */
const INITIAL_ROOM = 2048;

/** Options of one dispatch. */
export interface FilterEvent {
  /** `skb->protocol`, as the 16-bit network-order value (default 0). */
  readonly protocol?: number;
  /** `skb->ifindex` and `ingress_ifindex` (default 1). */
  readonly ifindex?: number;
}

/** What a filter hook decided. */
export interface FilterResult {
  /** Bytes to keep: 0 drops the buffer. */
  readonly keep: number;
  /** The kept bytes (a copy). */
  readonly data: Uint8Array;
  /** The filter that dropped the buffer, when one did. */
  readonly droppedBy?: string;
  /** How many filters ran. */
  readonly ran: number;
}

interface FilterState {
  readonly regions: LinkRegions;
  buf: Region;
  readonly ctx: Region;
}

/** A socket filter hook: filters a stream of byte buffers. */
export class FilterHook extends Hook<FilterState, object> {
  readonly kind = 'filter' as const;
  protected readonly programTypes = [ProgType.SOCKET_FILTER];

  protected setup(program: HookProgram): FilterState {
    const regions = new LinkRegions(program);
    return { regions, buf: regions.map('filter-data', 'packet', INITIAL_ROOM, true), ctx: regions.map('sk-buff', 'ctx', SKB.size, true) };
  }

  protected teardown(_program: HookProgram, state: FilterState): void { state.regions.release(); }
  protected defaults(): object { return {}; }

  /** Run the filters on a buffer. */
  dispatch(bytes: Uint8Array, event: FilterEvent = {}): FilterResult {
    let keep = bytes.length;
    let ran = 0;
    for (const link of this.links) {
      const r = runFilter(link.program, link.state, bytes.subarray(0, keep), event);
      ran++;
      if (r === 0) return { keep: 0, data: new Uint8Array(0), droppedBy: link.program.spec.name, ran };
      keep = Math.min(keep, r);
    }
    return { keep, data: bytes.slice(0, keep), ran };
  }
}

/** One filter on one buffer: its 32-bit result. */
function runFilter(program: HookProgram, state: FilterState, data: Uint8Array, event: FilterEvent): number {
  if (data.length > state.buf.size) {
    state.regions.unmap(state.buf);
    state.buf = state.regions.map('filter-data', 'packet', 2 ** Math.ceil(Math.log2(data.length)), true);
  }
  const mem = program.instance.memory;
  const { buf, ctx } = state;
  mem.bytes.fill(0, buf.start + data.length, buf.start + buf.size);
  mem.bytes.set(data, buf.start);
  // the control block starts zeroed on every run (`bpf_prog_run_save_cb`)
  mem.bytes.fill(0, ctx.start, ctx.start + ctx.size);
  const v = mem.view;
  v.setUint32(ctx.start + SKB.off.len, data.length, true);
  v.setUint32(ctx.start + SKB.off.protocol, event.protocol ?? 0, true);
  v.setUint32(ctx.start + SKB.off.ingress_ifindex, event.ifindex ?? 1, true);
  v.setUint32(ctx.start + SKB.off.ifindex, event.ifindex ?? 1, true);
  v.setUint32(ctx.start + SKB.off.data, buf.start, true);
  v.setUint32(ctx.start + SKB.off.data_end, buf.start + data.length, true);
  const r = program.executable.run(ctx.start, { start: buf.start, size: data.length });
  return Number(r.r0 & 0xffffffffn);
}
