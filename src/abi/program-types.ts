/**
 * @file Program types: the kernel's `enum bpf_prog_type` and `enum
 * bpf_attach_type` values, and libbpf's section-name rules that choose them.
 *
 * Numbers are the kernel's UAPI values (`include/uapi/linux/bpf.h`). The
 * section table follows libbpf's `section_defs[]` (`tools/lib/bpf/libbpf.c`):
 * a name ending in `+` matches the name itself or the name followed by `/`
 * (the rest is the attach target), other names match exactly. Objects built
 * for old loaders use looser names (`socket1`, `xdp_prog`, `kprobe_foo`); like
 * libbpf before 1.0 we accept those by prefix in a second pass. Anything else
 * (Cilium's `2/1`, `1/0x1010`, `from-container`) is `UNSPEC`, never an error:
 * the caller picks the type.
 */

/** `enum bpf_prog_type`, by the kernel's name without `BPF_PROG_TYPE_`. */
export const ProgType = {
  UNSPEC: 0, SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5,
  XDP: 6, PERF_EVENT: 7, CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11,
  LWT_XMIT: 12, SOCK_OPS: 13, SK_SKB: 14, CGROUP_DEVICE: 15, SK_MSG: 16,
  RAW_TRACEPOINT: 17, CGROUP_SOCK_ADDR: 18, LWT_SEG6LOCAL: 19, LIRC_MODE2: 20,
  SK_REUSEPORT: 21, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23, RAW_TRACEPOINT_WRITABLE: 24,
  CGROUP_SOCKOPT: 25, TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29, SK_LOOKUP: 30,
  SYSCALL: 31, NETFILTER: 32,
} as const;

/** `enum bpf_attach_type`, by the kernel's name without `BPF_`. */
export const AttachType = {
  CGROUP_INET_INGRESS: 0, CGROUP_INET_EGRESS: 1, CGROUP_INET_SOCK_CREATE: 2,
  CGROUP_SOCK_OPS: 3, SK_SKB_STREAM_PARSER: 4, SK_SKB_STREAM_VERDICT: 5,
  CGROUP_DEVICE: 6, SK_MSG_VERDICT: 7, CGROUP_INET4_BIND: 8, CGROUP_INET6_BIND: 9,
  CGROUP_INET4_CONNECT: 10, CGROUP_INET6_CONNECT: 11, CGROUP_INET4_POST_BIND: 12,
  CGROUP_INET6_POST_BIND: 13, CGROUP_UDP4_SENDMSG: 14, CGROUP_UDP6_SENDMSG: 15,
  LIRC_MODE2: 16, FLOW_DISSECTOR: 17, CGROUP_SYSCTL: 18, CGROUP_UDP4_RECVMSG: 19,
  CGROUP_UDP6_RECVMSG: 20, CGROUP_GETSOCKOPT: 21, CGROUP_SETSOCKOPT: 22,
  TRACE_RAW_TP: 23, TRACE_FENTRY: 24, TRACE_FEXIT: 25, MODIFY_RETURN: 26,
  LSM_MAC: 27, TRACE_ITER: 28, CGROUP_INET4_GETPEERNAME: 29,
  CGROUP_INET6_GETPEERNAME: 30, CGROUP_INET4_GETSOCKNAME: 31,
  CGROUP_INET6_GETSOCKNAME: 32, XDP_DEVMAP: 33, CGROUP_INET_SOCK_RELEASE: 34,
  XDP_CPUMAP: 35, SK_LOOKUP: 36, XDP: 37, SK_SKB_VERDICT: 38,
  SK_REUSEPORT_SELECT: 39, SK_REUSEPORT_SELECT_OR_MIGRATE: 40, PERF_EVENT: 41,
  TRACE_KPROBE_MULTI: 42, LSM_CGROUP: 43, STRUCT_OPS: 44, NETFILTER: 45,
  TCX_INGRESS: 46, TCX_EGRESS: 47, TRACE_UPROBE_MULTI: 48, CGROUP_UNIX_CONNECT: 49,
  CGROUP_UNIX_SENDMSG: 50, CGROUP_UNIX_RECVMSG: 51, CGROUP_UNIX_GETPEERNAME: 52,
  CGROUP_UNIX_GETSOCKNAME: 53, NETKIT_PRIMARY: 54, NETKIT_PEER: 55,
} as const;

/** A program type number (`ProgType` value). */
export type ProgTypeNumber = number;

const PROG_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(ProgType).map(([name, value]) => [value, name.toLowerCase()]),
);

/** The lower-case kernel name of a program type (`xdp`, `sched_cls`), or `unknown(N)`. */
export function progTypeName(type: number): string {
  return PROG_NAMES.get(type) ?? `unknown(${type})`;
}

/** A program type by its lower-case kernel name (`sched_cls`), or undefined. */
export function progTypeByName(name: string): number | undefined {
  const key = name.toUpperCase() as keyof typeof ProgType;
  return Object.hasOwn(ProgType, key) ? ProgType[key] : undefined;
}

/** What a section name says about the programs in it. */
export interface SectionType {
  /** Program type (`ProgType`); `UNSPEC` for names no rule knows. */
  readonly type: number;
  /** Expected attach type (`AttachType`), when the rule names one. */
  readonly expectedAttachType?: number;
  /** Attach target after the prefix: `kprobe/sys_open` → `sys_open`. */
  readonly attachTo?: string;
  /** `.s` rules: the program may sleep. */
  readonly sleepable: boolean;
  /** Matched only by the pre-1.0 prefix rule (`socket1`, `xdp_prog`). */
  readonly legacy: boolean;
  /** The rule that matched (`kprobe+`), or undefined for `UNSPEC`. */
  readonly rule?: string;
}

/** One row of libbpf's `section_defs[]`. */
interface SectionRule {
  readonly name: string;
  readonly type: number;
  readonly attach?: number;
  readonly sleepable?: boolean;
}

const P = ProgType;
const A = AttachType;

/** libbpf's section rules, in libbpf's order (first match wins). */
const RULES: readonly SectionRule[] = [
  { name: 'socket', type: P.SOCKET_FILTER },
  { name: 'sk_reuseport/migrate', type: P.SK_REUSEPORT, attach: A.SK_REUSEPORT_SELECT_OR_MIGRATE },
  { name: 'sk_reuseport', type: P.SK_REUSEPORT, attach: A.SK_REUSEPORT_SELECT },
  { name: 'kprobe+', type: P.KPROBE },
  { name: 'uprobe+', type: P.KPROBE },
  { name: 'uprobe.s+', type: P.KPROBE, sleepable: true },
  { name: 'kretprobe+', type: P.KPROBE },
  { name: 'uretprobe+', type: P.KPROBE },
  { name: 'uretprobe.s+', type: P.KPROBE, sleepable: true },
  { name: 'kprobe.multi+', type: P.KPROBE, attach: A.TRACE_KPROBE_MULTI },
  { name: 'kretprobe.multi+', type: P.KPROBE, attach: A.TRACE_KPROBE_MULTI },
  { name: 'uprobe.multi+', type: P.KPROBE, attach: A.TRACE_UPROBE_MULTI },
  { name: 'uretprobe.multi+', type: P.KPROBE, attach: A.TRACE_UPROBE_MULTI },
  { name: 'uprobe.multi.s+', type: P.KPROBE, attach: A.TRACE_UPROBE_MULTI, sleepable: true },
  { name: 'uretprobe.multi.s+', type: P.KPROBE, attach: A.TRACE_UPROBE_MULTI, sleepable: true },
  { name: 'ksyscall+', type: P.KPROBE },
  { name: 'kretsyscall+', type: P.KPROBE },
  { name: 'usdt+', type: P.KPROBE },
  { name: 'usdt.s+', type: P.KPROBE, sleepable: true },
  { name: 'tc/ingress', type: P.SCHED_CLS, attach: A.TCX_INGRESS },
  { name: 'tc/egress', type: P.SCHED_CLS, attach: A.TCX_EGRESS },
  { name: 'tcx/ingress', type: P.SCHED_CLS, attach: A.TCX_INGRESS },
  { name: 'tcx/egress', type: P.SCHED_CLS, attach: A.TCX_EGRESS },
  { name: 'netkit/primary', type: P.SCHED_CLS, attach: A.NETKIT_PRIMARY },
  { name: 'netkit/peer', type: P.SCHED_CLS, attach: A.NETKIT_PEER },
  { name: 'tc', type: P.SCHED_CLS },
  { name: 'classifier', type: P.SCHED_CLS },
  { name: 'action', type: P.SCHED_ACT },
  { name: 'tracepoint+', type: P.TRACEPOINT },
  { name: 'tp+', type: P.TRACEPOINT },
  { name: 'raw_tracepoint+', type: P.RAW_TRACEPOINT },
  { name: 'raw_tp+', type: P.RAW_TRACEPOINT },
  { name: 'raw_tracepoint.w+', type: P.RAW_TRACEPOINT_WRITABLE },
  { name: 'raw_tp.w+', type: P.RAW_TRACEPOINT_WRITABLE },
  { name: 'tp_btf+', type: P.TRACING, attach: A.TRACE_RAW_TP },
  { name: 'fentry+', type: P.TRACING, attach: A.TRACE_FENTRY },
  { name: 'fmod_ret+', type: P.TRACING, attach: A.MODIFY_RETURN },
  { name: 'fexit+', type: P.TRACING, attach: A.TRACE_FEXIT },
  { name: 'fentry.s+', type: P.TRACING, attach: A.TRACE_FENTRY, sleepable: true },
  { name: 'fmod_ret.s+', type: P.TRACING, attach: A.MODIFY_RETURN, sleepable: true },
  { name: 'fexit.s+', type: P.TRACING, attach: A.TRACE_FEXIT, sleepable: true },
  { name: 'freplace+', type: P.EXT },
  { name: 'lsm+', type: P.LSM, attach: A.LSM_MAC },
  { name: 'lsm.s+', type: P.LSM, attach: A.LSM_MAC, sleepable: true },
  { name: 'lsm_cgroup+', type: P.LSM, attach: A.LSM_CGROUP },
  { name: 'iter+', type: P.TRACING, attach: A.TRACE_ITER },
  { name: 'iter.s+', type: P.TRACING, attach: A.TRACE_ITER, sleepable: true },
  { name: 'syscall', type: P.SYSCALL, sleepable: true },
  { name: 'xdp.frags/devmap', type: P.XDP, attach: A.XDP_DEVMAP },
  { name: 'xdp/devmap', type: P.XDP, attach: A.XDP_DEVMAP },
  { name: 'xdp.frags/cpumap', type: P.XDP, attach: A.XDP_CPUMAP },
  { name: 'xdp/cpumap', type: P.XDP, attach: A.XDP_CPUMAP },
  { name: 'xdp.frags', type: P.XDP, attach: A.XDP },
  { name: 'xdp', type: P.XDP, attach: A.XDP },
  { name: 'perf_event', type: P.PERF_EVENT },
  { name: 'lwt_in', type: P.LWT_IN },
  { name: 'lwt_out', type: P.LWT_OUT },
  { name: 'lwt_xmit', type: P.LWT_XMIT },
  { name: 'lwt_seg6local', type: P.LWT_SEG6LOCAL },
  { name: 'sockops', type: P.SOCK_OPS, attach: A.CGROUP_SOCK_OPS },
  { name: 'sk_skb/stream_parser', type: P.SK_SKB, attach: A.SK_SKB_STREAM_PARSER },
  { name: 'sk_skb/stream_verdict', type: P.SK_SKB, attach: A.SK_SKB_STREAM_VERDICT },
  { name: 'sk_skb/verdict', type: P.SK_SKB, attach: A.SK_SKB_VERDICT },
  { name: 'sk_skb', type: P.SK_SKB },
  { name: 'sk_msg', type: P.SK_MSG, attach: A.SK_MSG_VERDICT },
  { name: 'lirc_mode2', type: P.LIRC_MODE2, attach: A.LIRC_MODE2 },
  { name: 'flow_dissector', type: P.FLOW_DISSECTOR, attach: A.FLOW_DISSECTOR },
  { name: 'cgroup_skb/ingress', type: P.CGROUP_SKB, attach: A.CGROUP_INET_INGRESS },
  { name: 'cgroup_skb/egress', type: P.CGROUP_SKB, attach: A.CGROUP_INET_EGRESS },
  { name: 'cgroup/skb', type: P.CGROUP_SKB },
  { name: 'cgroup/sock_create', type: P.CGROUP_SOCK, attach: A.CGROUP_INET_SOCK_CREATE },
  { name: 'cgroup/sock_release', type: P.CGROUP_SOCK, attach: A.CGROUP_INET_SOCK_RELEASE },
  { name: 'cgroup/sock', type: P.CGROUP_SOCK, attach: A.CGROUP_INET_SOCK_CREATE },
  { name: 'cgroup/post_bind4', type: P.CGROUP_SOCK, attach: A.CGROUP_INET4_POST_BIND },
  { name: 'cgroup/post_bind6', type: P.CGROUP_SOCK, attach: A.CGROUP_INET6_POST_BIND },
  { name: 'cgroup/bind4', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_INET4_BIND },
  { name: 'cgroup/bind6', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_INET6_BIND },
  { name: 'cgroup/connect4', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_INET4_CONNECT },
  { name: 'cgroup/connect6', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_INET6_CONNECT },
  { name: 'cgroup/connect_unix', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_UNIX_CONNECT },
  { name: 'cgroup/sendmsg4', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_UDP4_SENDMSG },
  { name: 'cgroup/sendmsg6', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_UDP6_SENDMSG },
  { name: 'cgroup/sendmsg_unix', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_UNIX_SENDMSG },
  { name: 'cgroup/recvmsg4', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_UDP4_RECVMSG },
  { name: 'cgroup/recvmsg6', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_UDP6_RECVMSG },
  { name: 'cgroup/recvmsg_unix', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_UNIX_RECVMSG },
  { name: 'cgroup/getpeername4', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_INET4_GETPEERNAME },
  { name: 'cgroup/getpeername6', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_INET6_GETPEERNAME },
  { name: 'cgroup/getpeername_unix', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_UNIX_GETPEERNAME },
  { name: 'cgroup/getsockname4', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_INET4_GETSOCKNAME },
  { name: 'cgroup/getsockname6', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_INET6_GETSOCKNAME },
  { name: 'cgroup/getsockname_unix', type: P.CGROUP_SOCK_ADDR, attach: A.CGROUP_UNIX_GETSOCKNAME },
  { name: 'cgroup/sysctl', type: P.CGROUP_SYSCTL, attach: A.CGROUP_SYSCTL },
  { name: 'cgroup/getsockopt', type: P.CGROUP_SOCKOPT, attach: A.CGROUP_GETSOCKOPT },
  { name: 'cgroup/setsockopt', type: P.CGROUP_SOCKOPT, attach: A.CGROUP_SETSOCKOPT },
  { name: 'cgroup/dev', type: P.CGROUP_DEVICE, attach: A.CGROUP_DEVICE },
  { name: 'struct_ops+', type: P.STRUCT_OPS },
  { name: 'struct_ops.s+', type: P.STRUCT_OPS, sleepable: true },
  { name: 'sk_lookup', type: P.SK_LOOKUP, attach: A.SK_LOOKUP },
  { name: 'netfilter', type: P.NETFILTER, attach: A.NETFILTER },
];

/**
 * Old loaders' names that the pre-1.0 prefix pass should also accept, beyond
 * the rule names themselves (`samples/bpf` used `cgroup/skb`-less forms).
 */
const LEGACY_ALIASES: readonly SectionRule[] = [
  { name: 'cgroup_skb', type: P.CGROUP_SKB },
  { name: 'cgroup_sock', type: P.CGROUP_SOCK },
  { name: 'sk_skb', type: P.SK_SKB },
  { name: 'raw_tracepoint', type: P.RAW_TRACEPOINT },
];

function result(rule: SectionRule, legacy: boolean, attachTo?: string): SectionType {
  return {
    type: rule.type,
    ...(rule.attach !== undefined ? { expectedAttachType: rule.attach } : {}),
    ...(attachTo !== undefined && attachTo !== '' ? { attachTo } : {}),
    sleepable: rule.sleepable === true,
    legacy,
    rule: rule.name,
  };
}

/** The program type, expected attach type and attach target a section name implies. */
export function sectionType(section: string): SectionType {
  // libbpf sec_def_matches(): `+` rules match "name" or "name/...", others match exactly.
  for (const rule of RULES) {
    if (rule.name.endsWith('+')) {
      const base = rule.name.slice(0, -1);
      if (section === base) return result(rule, false);
      if (section.startsWith(`${base}/`)) return result(rule, false, section.slice(base.length + 1));
    } else if (section === rule.name) {
      return result(rule, false);
    }
  }
  // Pre-1.0 libbpf (SEC_SLOPPY_PFX): any rule name is a prefix; the longest wins.
  let best: SectionRule | undefined;
  for (const rule of [...RULES, ...LEGACY_ALIASES]) {
    const base = rule.name.endsWith('+') ? rule.name.slice(0, -1) : rule.name;
    if (section.startsWith(base) && (best === undefined || base.length > best.name.replace(/\+$/, '').length)) {
      best = rule;
    }
  }
  if (best !== undefined) {
    const base = best.name.replace(/\+$/, '');
    const rest = section.slice(base.length);
    return result(best, true, rest.startsWith('/') ? rest.slice(1) : undefined);
  }
  return { type: P.UNSPEC, sleepable: false, legacy: false };
}
