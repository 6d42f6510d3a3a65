/**
 * @file Context layouts by program type, with per-field access rules: the
 * UAPI structures (`include/uapi/linux/bpf.h`, `arch/x86/include/uapi/asm/ptrace.h`)
 * and the kernel's `*_is_valid_access` callbacks (`net/core/filter.c`,
 * `kernel/trace/bpf_trace.c`) that say which offsets and sizes a program may
 * load or store, and which fields load as packet pointers.
 */

/** What a context load yields when it is not a plain number. */
export type CtxPtrKind = 'packet' | 'packet_end' | 'packet_meta' | 'sock_or_null' | 'sock_common_or_null';

/** One field of a context structure. */
export interface CtxField {
  readonly name: string;
  /** Byte offset in the structure. */
  readonly off: number;
  /** Size in bytes. */
  readonly size: number;
  /** Stores are allowed (only at the full field size). */
  readonly write: boolean;
  /** Loads narrower than the field are allowed (`bpf_ctx_narrow_access_ok`). */
  readonly narrow: boolean;
  /** Loads of this field give a pointer of this kind (full-size loads only). */
  readonly ptr?: CtxPtrKind;
}

/** A context structure as one program type sees it. */
export interface CtxLayout {
  /** UAPI structure name. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  readonly fields: readonly CtxField[];
}

/** The verdict on one context access. */
export type CtxAccess = { readonly ok: true; readonly ptr?: CtxPtrKind; readonly field: string } | { readonly ok: false };

const fld = (name: string, off: number, size: number, write = false, narrow = true, ptr?: CtxPtrKind): CtxField =>
  ({ name, off, size, write, narrow, ...(ptr !== undefined ? { ptr } : {}) });

/** `struct xdp_md` (all fields read-only u32, loads must be 4 bytes: `__is_valid_xdp_access`). */
const XDP_MD: CtxLayout = {
  name: 'xdp_md', size: 24, fields: [
    fld('data', 0, 4, false, false, 'packet'), fld('data_end', 4, 4, false, false, 'packet_end'),
    fld('data_meta', 8, 4, false, false, 'packet_meta'), fld('ingress_ifindex', 12, 4, false, false),
    fld('rx_queue_index', 16, 4, false, false), fld('egress_ifindex', 20, 4, false, false),
  ],
};

/**
 * `struct __sk_buff` for one program type. `writable` names the fields the
 * type may store to; `denied` the fields it may not touch; `packet` whether
 * data/data_end (and `meta`: data_meta) load as packet pointers.
 */
function skBuff(writable: readonly string[], denied: readonly string[], packet: boolean, meta: boolean): CtxLayout {
  const u32 = (name: string, off: number): CtxField => fld(name, off, 4, writable.includes(name), true);
  const all: CtxField[] = [
    u32('len', 0), u32('pkt_type', 4), u32('mark', 8), u32('queue_mapping', 12), u32('protocol', 16),
    u32('vlan_present', 20), u32('vlan_tci', 24), u32('vlan_proto', 28), u32('priority', 32),
    u32('ingress_ifindex', 36), u32('ifindex', 40), u32('tc_index', 44),
    ...[0, 1, 2, 3, 4].map((i) => fld(`cb[${i}]`, 48 + 4 * i, 4, writable.includes('cb'), true)),
    u32('hash', 68), u32('tc_classid', 72),
    fld('data', 76, 4, false, false, packet ? 'packet' : undefined),
    fld('data_end', 80, 4, false, false, packet ? 'packet_end' : undefined),
    u32('napi_id', 84), u32('family', 88), u32('remote_ip4', 92), u32('local_ip4', 96),
    ...[0, 1, 2, 3].map((i) => u32(`remote_ip6[${i}]`, 100 + 4 * i)),
    ...[0, 1, 2, 3].map((i) => u32(`local_ip6[${i}]`, 116 + 4 * i)),
    u32('remote_port', 132), u32('local_port', 136),
    fld('data_meta', 140, 4, false, false, meta ? 'packet_meta' : undefined),
    fld('tstamp', 152, 8, writable.includes('tstamp'), false),
    u32('wire_len', 160), u32('gso_segs', 164),
    fld('sk', 168, 8, false, false, 'sock_common_or_null'),
    u32('gso_size', 176),
    fld('hwtstamp', 184, 8, false, false),
  ];
  const base = (n: string): string => n.replace(/\[\d\]$/, '');
  return { name: '__sk_buff', size: 192, fields: all.filter((x) => !denied.includes(base(x.name))) };
}

const SOCK_PORTS = ['family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port'];

/** `sk_filter_is_valid_access`: socket filters write only `cb`, see no packet pointers. */
const SKB_SOCKET_FILTER = skBuff(['cb'], ['tc_classid', 'data', 'data_end', 'data_meta', ...SOCK_PORTS, 'tstamp', 'wire_len', 'hwtstamp'], false, false);
/** `tc_cls_act_is_valid_access`. */
const SKB_TC = skBuff(['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping'], SOCK_PORTS, true, true);
/** `cg_skb_is_valid_access` (privileged: data and data_end allowed). */
const SKB_CGROUP = skBuff(['mark', 'priority', 'cb', 'tstamp'], ['tc_classid', 'data_meta', 'wire_len'], true, false);

/** x86-64 `struct pt_regs` (`arch/x86/include/uapi/asm/ptrace.h`): 21 u64, read-only (`kprobe_prog_is_valid_access`). */
const PT_REGS_NAMES = ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss'];
const PT_REGS: CtxLayout = { name: 'pt_regs', size: 168, fields: PT_REGS_NAMES.map((n, i) => fld(n, 8 * i, 8)) };

/** `bpf_perf_event_data`: regs must be loaded as whole u64, the rest narrowly (`pe_prog_is_valid_access`). */
const PERF_EVENT: CtxLayout = {
  name: 'bpf_perf_event_data', size: 184, fields: [
    ...PT_REGS_NAMES.map((n, i) => fld(`regs.${n}`, 8 * i, 8, false, false)),
    fld('sample_period', 168, 8), fld('addr', 176, 8),
  ],
};

/** Tracepoint records: read-only from offset 8 up to PERF_MAX_TRACE_SIZE (`tp_prog_is_valid_access`). */
const TRACEPOINT: CtxLayout = {
  name: 'tracepoint record', size: 8192,
  fields: Array.from({ length: 1023 }, (_, i) => fld(`field${i}`, 8 + 8 * i, 8)),
};

/** Raw tracepoint arguments: u64 args[MAX_BPF_FUNC_ARGS = 12], read-only (`raw_tp_prog_is_valid_access`). */
const RAW_TRACEPOINT: CtxLayout = {
  name: 'bpf_raw_tracepoint_args', size: 96,
  fields: Array.from({ length: 12 }, (_, i) => fld(`args[${i}]`, 8 * i, 8)),
};

/** `struct bpf_sock_ops` (`sock_ops_is_valid_access`): u32 loads at full size, stores only to reply. */
const SOCK_OPS: CtxLayout = (() => {
  const names = ['op', 'args[0]', 'args[1]', 'args[2]', 'args[3]', 'family', 'remote_ip4', 'local_ip4',
    'remote_ip6[0]', 'remote_ip6[1]', 'remote_ip6[2]', 'remote_ip6[3]', 'local_ip6[0]', 'local_ip6[1]', 'local_ip6[2]', 'local_ip6[3]',
    'remote_port', 'local_port', 'is_fullsock', 'snd_cwnd', 'srtt_us', 'bpf_sock_ops_cb_flags', 'state', 'rtt_min',
    'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache', 'ecn_flags', 'rate_delivered', 'rate_interval_us',
    'packets_out', 'retrans_out', 'total_retrans', 'segs_in', 'data_segs_in', 'segs_out', 'data_segs_out', 'lost_out',
    'sacked_out', 'sk_txhash'];
  const fields = names.map((n, i) => fld(n, 4 * i, 4, i >= 1 && i <= 4, false));
  fields.push(fld('bytes_received', 168, 8, false, false), fld('bytes_acked', 176, 8, false, false),
    fld('sk', 184, 8, false, false, 'sock_or_null'), fld('skb_data', 192, 8, false, false, 'packet'),
    fld('skb_data_end', 200, 8, false, false, 'packet_end'), fld('skb_len', 208, 4, false, false),
    fld('skb_tcp_flags', 212, 4, false, false), fld('skb_hwtstamp', 216, 8, false, false));
  return { name: 'bpf_sock_ops', size: 224, fields };
})();

/** `struct bpf_sock` for cgroup_sock (`sock_filter_is_valid_access`). */
const BPF_SOCK: CtxLayout = {
  name: 'bpf_sock', size: 80, fields: [
    fld('bound_dev_if', 0, 4, true), fld('family', 4, 4), fld('type', 8, 4), fld('protocol', 12, 4),
    fld('mark', 16, 4, true), fld('priority', 20, 4, true), fld('src_ip4', 24, 4),
    ...[0, 1, 2, 3].map((i) => fld(`src_ip6[${i}]`, 28 + 4 * i, 4)), fld('src_port', 44, 4),
    fld('dst_port', 48, 4), fld('dst_ip4', 52, 4), ...[0, 1, 2, 3].map((i) => fld(`dst_ip6[${i}]`, 56 + 4 * i, 4)),
    fld('state', 72, 4), fld('rx_queue_mapping', 76, 4),
  ],
};

/** `struct bpf_sock_addr` for cgroup_sock_addr (`sock_addr_is_valid_access`). */
const SOCK_ADDR: CtxLayout = {
  name: 'bpf_sock_addr', size: 72, fields: [
    fld('user_family', 0, 4), fld('user_ip4', 4, 4, true), ...[0, 1, 2, 3].map((i) => fld(`user_ip6[${i}]`, 8 + 4 * i, 4, true)),
    fld('user_port', 24, 4, true), fld('family', 28, 4), fld('type', 32, 4), fld('protocol', 36, 4),
    fld('msg_src_ip4', 40, 4, true), ...[0, 1, 2, 3].map((i) => fld(`msg_src_ip6[${i}]`, 44 + 4 * i, 4, true)),
    fld('sk', 64, 8, false, false, 'sock_or_null'),
  ],
};

/** Context layout by program type (kernel `bpf_prog_type` names, lower-case). */
export const CONTEXTS: ReadonlyMap<string, CtxLayout> = new Map([
  ['xdp', XDP_MD],
  ['socket_filter', SKB_SOCKET_FILTER],
  ['sched_cls', SKB_TC], ['sched_act', SKB_TC],
  ['cgroup_skb', SKB_CGROUP],
  ['kprobe', PT_REGS],
  ['perf_event', PERF_EVENT],
  ['tracepoint', TRACEPOINT],
  ['raw_tracepoint', RAW_TRACEPOINT], ['raw_tracepoint_writable', RAW_TRACEPOINT],
  ['tracing', RAW_TRACEPOINT],
  ['sock_ops', SOCK_OPS],
  ['cgroup_sock', BPF_SOCK],
  ['cgroup_sock_addr', SOCK_ADDR],
]);

/** The context layout of a program type, if this project models it. */
export function contextOf(progType: string): CtxLayout | undefined {
  return CONTEXTS.get(progType);
}

/**
 * Check one context access the way the kernel's `is_valid_access` callbacks
 * do: inside one field, aligned to its own size, full-size or (loads of
 * narrow-capable fields) narrower, stores only to writable fields at full
 * size; pointer fields only at full size.
 */
export function checkCtxAccess(layout: CtxLayout, off: number, size: number, write: boolean): CtxAccess {
  if (off < 0 || off + size > layout.size || off % size !== 0) return { ok: false };
  for (const f of layout.fields) {
    if (off < f.off || off >= f.off + f.size) continue;
    if (off + size > f.off + f.size) return { ok: false };
    if (write) {
      if (!f.write || size !== f.size || f.ptr !== undefined) return { ok: false };
      return { ok: true, field: f.name };
    }
    if (size !== f.size && !f.narrow) return { ok: false };
    if (f.ptr !== undefined && size === f.size) return { ok: true, ptr: f.ptr, field: f.name };
    return { ok: true, field: f.name };
  }
  return { ok: false };
}
