/**
 * @file Helper ids, names and prototypes, by the kernel's numbering
 * (`___BPF_FUNC_MAPPER` in `include/uapi/linux/bpf.h`) and the kernel's
 * `struct bpf_func_proto` declarations (argument and return kinds, which
 * program types may call a helper, `gpl_only`).
 */

import { HELPER_AVAILABILITY, PROBED_HELPERS, type IdRanges } from './helper-availability.js';

/**
 * Helper names by id (`BPF_FUNC_<name>`): index = helper id, 0 is `unspec`.
 * Order from `include/uapi/linux/bpf.h` `___BPF_FUNC_MAPPER` (Linux 6.x).
 */
export const HELPER_NAMES: readonly string[] = Object.freeze([
  'unspec', 'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'probe_read', 'ktime_get_ns',
  'trace_printk', 'get_prandom_u32', 'get_smp_processor_id', 'skb_store_bytes', 'l3_csum_replace', 'l4_csum_replace',
  'tail_call', 'clone_redirect', 'get_current_pid_tgid', 'get_current_uid_gid', 'get_current_comm', 'get_cgroup_classid',
  'skb_vlan_push', 'skb_vlan_pop', 'skb_get_tunnel_key', 'skb_set_tunnel_key', 'perf_event_read', 'redirect',
  'get_route_realm', 'perf_event_output', 'skb_load_bytes', 'get_stackid', 'csum_diff', 'skb_get_tunnel_opt',
  'skb_set_tunnel_opt', 'skb_change_proto', 'skb_change_type', 'skb_under_cgroup', 'get_hash_recalc', 'get_current_task',
  'probe_write_user', 'current_task_under_cgroup', 'skb_change_tail', 'skb_pull_data', 'csum_update', 'set_hash_invalid',
  'get_numa_node_id', 'skb_change_head', 'xdp_adjust_head', 'probe_read_str', 'get_socket_cookie', 'get_socket_uid',
  'set_hash', 'setsockopt', 'skb_adjust_room', 'redirect_map', 'sk_redirect_map', 'sock_map_update',
  'xdp_adjust_meta', 'perf_event_read_value', 'perf_prog_read_value', 'getsockopt', 'override_return', 'sock_ops_cb_flags_set',
  'msg_redirect_map', 'msg_apply_bytes', 'msg_cork_bytes', 'msg_pull_data', 'bind', 'xdp_adjust_tail',
  'skb_get_xfrm_state', 'get_stack', 'skb_load_bytes_relative', 'fib_lookup', 'sock_hash_update', 'msg_redirect_hash',
  'sk_redirect_hash', 'lwt_push_encap', 'lwt_seg6_store_bytes', 'lwt_seg6_adjust_srh', 'lwt_seg6_action', 'rc_repeat',
  'rc_keydown', 'skb_cgroup_id', 'get_current_cgroup_id', 'get_local_storage', 'sk_select_reuseport', 'skb_ancestor_cgroup_id',
  'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'map_push_elem', 'map_pop_elem', 'map_peek_elem',
  'msg_push_data', 'msg_pop_data', 'rc_pointer_rel', 'spin_lock', 'spin_unlock', 'sk_fullsock',
  'tcp_sock', 'skb_ecn_set_ce', 'get_listener_sock', 'skc_lookup_tcp', 'tcp_check_syncookie', 'sysctl_get_name',
  'sysctl_get_current_value', 'sysctl_get_new_value', 'sysctl_set_new_value', 'strtol', 'strtoul', 'sk_storage_get',
  'sk_storage_delete', 'send_signal', 'tcp_gen_syncookie', 'skb_output', 'probe_read_user', 'probe_read_kernel',
  'probe_read_user_str', 'probe_read_kernel_str', 'tcp_send_ack', 'send_signal_thread', 'jiffies64', 'read_branch_records',
  'get_ns_current_pid_tgid', 'xdp_output', 'get_netns_cookie', 'get_current_ancestor_cgroup_id', 'sk_assign', 'ktime_get_boot_ns',
  'seq_printf', 'seq_write', 'sk_cgroup_id', 'sk_ancestor_cgroup_id', 'ringbuf_output', 'ringbuf_reserve',
  'ringbuf_submit', 'ringbuf_discard', 'ringbuf_query', 'csum_level', 'skc_to_tcp6_sock', 'skc_to_tcp_sock',
  'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock', 'skc_to_udp6_sock', 'get_task_stack', 'load_hdr_opt', 'store_hdr_opt',
  'reserve_hdr_opt', 'inode_storage_get', 'inode_storage_delete', 'd_path', 'copy_from_user', 'snprintf_btf',
  'seq_printf_btf', 'skb_cgroup_classid', 'redirect_neigh', 'per_cpu_ptr', 'this_cpu_ptr', 'redirect_peer',
  'task_storage_get', 'task_storage_delete', 'get_current_task_btf', 'bprm_opts_set', 'ktime_get_coarse_ns', 'ima_inode_hash',
  'sock_from_file', 'check_mtu', 'for_each_map_elem', 'snprintf', 'sys_bpf', 'btf_find_by_name_kind',
  'sys_close', 'timer_init', 'timer_set_callback', 'timer_start', 'timer_cancel', 'get_func_ip',
  'get_attach_cookie', 'task_pt_regs', 'get_branch_snapshot', 'trace_vprintk', 'skc_to_unix_sock', 'kallsyms_lookup_name',
  'find_vma', 'loop', 'strncmp', 'get_func_arg', 'get_func_ret', 'get_func_arg_cnt',
  'get_retval', 'set_retval', 'xdp_get_buff_len', 'xdp_load_bytes', 'xdp_store_bytes', 'copy_from_user_task',
  'skb_set_tstamp', 'ima_file_hash', 'kptr_xchg', 'map_lookup_percpu_elem', 'skc_to_mptcp_sock', 'dynptr_from_mem',
  'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr', 'dynptr_read', 'dynptr_write', 'dynptr_data',
  'tcp_raw_gen_syncookie_ipv4', 'tcp_raw_gen_syncookie_ipv6', 'tcp_raw_check_syncookie_ipv4', 'tcp_raw_check_syncookie_ipv6', 'ktime_get_tai_ns', 'user_ringbuf_drain',
  'cgrp_storage_get', 'cgrp_storage_delete'
]);

/**
 * Argument kinds (`enum bpf_arg_type` in `include/linux/bpf.h`, with the
 * `MEM_RDONLY`, `MEM_UNINIT`, `PTR_MAYBE_NULL` and `OBJ_RELEASE` flags folded
 * into named kinds).
 */
export type ArgKind =
  | 'anything'            // ARG_ANYTHING: any initialised value
  | 'const_map_ptr'       // ARG_CONST_MAP_PTR
  | 'map_key'             // ARG_PTR_TO_MAP_KEY: initialised memory of the map's key size
  | 'map_value'           // ARG_PTR_TO_MAP_VALUE: initialised memory of the map's value size
  | 'map_value_uninit'    // ARG_PTR_TO_MAP_VALUE | MEM_UNINIT: writable memory of the value size
  | 'map_value_or_null'   // ARG_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL
  | 'mem'                 // ARG_PTR_TO_MEM: memory of the size in the next argument (read and written)
  | 'mem_rdonly'          // ARG_PTR_TO_MEM | MEM_RDONLY: initialised memory, read
  | 'mem_rdonly_or_null'  // ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY
  | 'mem_or_null'         // ARG_PTR_TO_MEM | PTR_MAYBE_NULL (written)
  | 'uninit_mem'          // ARG_PTR_TO_UNINIT_MEM: memory the helper fills
  | 'const_size'          // ARG_CONST_SIZE: bounded scalar, > 0
  | 'const_size_or_zero'  // ARG_CONST_SIZE_OR_ZERO: bounded scalar, may be 0
  | 'const_alloc_size_or_zero' // ARG_CONST_ALLOC_SIZE_OR_ZERO: a constant (ringbuf reserve)
  | 'ctx'                 // ARG_PTR_TO_CTX: the unmodified context pointer
  | 'ctx_or_null'         // ARG_PTR_TO_CTX_OR_NULL
  | 'stack_or_null'       // ARG_PTR_TO_STACK | PTR_MAYBE_NULL (callback context)
  | 'func'                // ARG_PTR_TO_FUNC: a callback (ld_imm64 of a subprogram)
  | 'ringbuf_mem_release' // ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE: a reservation, submitted or discarded
  | 'spin_lock'           // ARG_PTR_TO_SPIN_LOCK
  | 'long'                // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT (8 bytes, `long *res`)
  | 'int'                 // ARG_PTR_TO_FIXED_SIZE_MEM (4 bytes, `u32 *`)
  | 'const_str'           // ARG_PTR_TO_CONST_STR: a read-only map value holding a NUL-terminated string
  | 'sock_common'         // ARG_PTR_TO_BTF_ID_SOCK_COMMON
  | 'sock_common_or_null' // ARG_PTR_TO_BTF_ID_SOCK_COMMON | PTR_MAYBE_NULL
  | 'sock_release'        // ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE (sk_release)
  | 'btf_id';             // ARG_PTR_TO_BTF_ID (accepted as any pointer here)

/** Return kinds (`enum bpf_return_type`). */
export type RetKind =
  | 'integer'                  // RET_INTEGER
  | 'void'                     // RET_VOID: r0 is not initialised after the call
  | 'map_value'                // RET_PTR_TO_MAP_VALUE (never null: get_local_storage)
  | 'map_value_or_null'        // RET_PTR_TO_MAP_VALUE_OR_NULL
  | 'ringbuf_mem_or_null'      // RET_PTR_TO_RINGBUF_MEM_OR_NULL: sized by the constant size argument, a reference
  | 'socket_or_null'           // RET_PTR_TO_SOCKET_OR_NULL (a reference when acquired)
  | 'sock_common_or_null'      // RET_PTR_TO_SOCK_COMMON_OR_NULL
  | 'tcp_sock_or_null'         // RET_PTR_TO_TCP_SOCK_OR_NULL
  | 'btf_id_or_null';          // RET_PTR_TO_BTF_ID_OR_NULL

/** A helper's prototype (`struct bpf_func_proto`). */
export interface HelperProto {
  readonly id: number;
  /** `bpf_`-less name, as in `HELPER_NAMES`. */
  readonly name: string;
  readonly ret: RetKind;
  /** Kinds of r1.. in order; unused arguments are absent. */
  readonly args: readonly ArgKind[];
  /** Program types (kernel `bpf_prog_type` names, lower-case) that may call it; absent = every type. */
  readonly progTypes?: readonly string[];
  readonly gplOnly: boolean;
  /** The returned pointer is a reference that must be released (`acquire` in the kernel). */
  readonly acquire?: boolean;
  /** Where the kernel declares the prototype. */
  readonly source: string;
}

/** Program types that run on tracing hooks (`bpf_tracing_func_proto` users). */
export const TRACING_TYPES: readonly string[] = ['kprobe', 'tracepoint', 'raw_tracepoint', 'raw_tracepoint_writable', 'perf_event', 'tracing', 'lsm'];
/** Program types whose context is an `__sk_buff` (`sk_filter_func_proto` and up). */
export const SKB_TYPES: readonly string[] = ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local', 'sk_skb'];
/** Traffic-control program types (`tc_cls_act_func_proto`). */
export const TC_TYPES: readonly string[] = ['sched_cls', 'sched_act'];
/** Program types that may redirect or rewrite packets: tc and XDP. */
export const TC_XDP_TYPES: readonly string[] = ['sched_cls', 'sched_act', 'xdp'];
/** Program types attached to cgroups or sockets that see the current task. */
const CGROUP_TYPES: readonly string[] = ['cgroup_skb', 'cgroup_sock', 'cgroup_sock_addr', 'sock_ops', 'cgroup_sysctl', 'cgroup_sockopt', 'cgroup_device'];
const TASK_TYPES: readonly string[] = [...TRACING_TYPES, ...CGROUP_TYPES, 'sk_msg'];
const OUTPUT_TYPES: readonly string[] = [...TRACING_TYPES, ...SKB_TYPES, 'xdp', 'sock_ops', 'cgroup_sock', 'cgroup_sock_addr', 'sk_msg'];

const TRACE_C = 'kernel/trace/bpf_trace.c';
const HELPERS_C = 'kernel/bpf/helpers.c';
const FILTER_C = 'net/core/filter.c';
const RINGBUF_C = 'kernel/bpf/ringbuf.c';

type Row = readonly [number, RetKind, readonly ArgKind[], readonly string[] | undefined, boolean, string, boolean?];

const A = 'anything' as const;
const CTX = 'ctx' as const;

/** Prototype rows: id, return, arguments, program types, gpl_only, kernel source, acquire. */
const ROWS: readonly Row[] = [
  [1, 'map_value_or_null', ['const_map_ptr', 'map_key'], undefined, false, HELPERS_C],
  [2, 'integer', ['const_map_ptr', 'map_key', 'map_value', A], undefined, false, HELPERS_C],
  [3, 'integer', ['const_map_ptr', 'map_key'], undefined, false, HELPERS_C],
  [4, 'integer', ['uninit_mem', 'const_size_or_zero', A], TRACING_TYPES, true, TRACE_C],
  [5, 'integer', [], undefined, false, HELPERS_C],
  // bpf_trace_printk_proto declares only fmt and its size; the three values are not checked
  [6, 'integer', ['mem_rdonly', 'const_size'], undefined, true, TRACE_C],
  [7, 'integer', [], undefined, false, HELPERS_C],
  [8, 'integer', [], undefined, false, HELPERS_C],
  [9, 'integer', [CTX, A, 'mem_rdonly', 'const_size', A], [...TC_TYPES, 'lwt_xmit', 'sk_skb'], false, FILTER_C],
  [10, 'integer', [CTX, A, A, A, A], [...TC_TYPES, 'lwt_xmit'], false, FILTER_C],
  [11, 'integer', [CTX, A, A, A, A], [...TC_TYPES, 'lwt_xmit'], false, FILTER_C],
  [12, 'void', [CTX, 'const_map_ptr', A], undefined, false, HELPERS_C],
  [13, 'integer', [CTX, A, A], [...TC_TYPES, 'lwt_xmit'], false, FILTER_C],
  [14, 'integer', [], TASK_TYPES, false, HELPERS_C],
  [15, 'integer', [], TASK_TYPES, false, HELPERS_C],
  [16, 'integer', ['uninit_mem', 'const_size'], TASK_TYPES, false, HELPERS_C],
  [17, 'integer', [CTX], [...TC_TYPES, 'lwt_in', 'lwt_out', 'lwt_xmit'], false, FILTER_C],
  [18, 'integer', [CTX, A, A], [...TC_TYPES, 'lwt_xmit'], false, FILTER_C],
  [19, 'integer', [CTX], [...TC_TYPES, 'lwt_xmit'], false, FILTER_C],
  [20, 'integer', [CTX, 'uninit_mem', 'const_size', A], [...TC_TYPES, 'lwt_xmit'], false, FILTER_C],
  [21, 'integer', [CTX, 'mem_rdonly', 'const_size', A], [...TC_TYPES, 'lwt_xmit'], false, FILTER_C],
  [22, 'integer', ['const_map_ptr', A], TRACING_TYPES, true, TRACE_C],
  [23, 'integer', [A, A], [...TC_XDP_TYPES, 'lwt_xmit'], false, FILTER_C],
  [24, 'integer', [CTX], [...TC_TYPES, 'lwt_in', 'lwt_out', 'lwt_xmit'], false, FILTER_C],
  [25, 'integer', [CTX, 'const_map_ptr', A, 'mem_rdonly', 'const_size_or_zero'], OUTPUT_TYPES, true, TRACE_C],
  [26, 'integer', [CTX, A, 'uninit_mem', 'const_size'], SKB_TYPES, false, FILTER_C],
  [27, 'integer', [CTX, 'const_map_ptr', A], TRACING_TYPES, true, 'kernel/bpf/stackmap.c'],
  [28, 'integer', ['mem_rdonly_or_null', 'const_size_or_zero', 'mem_rdonly_or_null', 'const_size_or_zero', A], [...TC_XDP_TYPES, 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local'], false, FILTER_C],
  [29, 'integer', [CTX, 'uninit_mem', 'const_size'], [...TC_TYPES, 'lwt_xmit'], false, FILTER_C],
  [30, 'integer', [CTX, 'mem_rdonly', 'const_size'], [...TC_TYPES, 'lwt_xmit'], false, FILTER_C],
  [31, 'integer', [CTX, A, A], TC_TYPES, false, FILTER_C],
  [32, 'integer', [CTX, A], TC_TYPES, false, FILTER_C],
  [33, 'integer', [CTX, 'const_map_ptr', A], [...TC_TYPES, 'lwt_in', 'lwt_out', 'lwt_xmit'], false, FILTER_C],
  [34, 'integer', [CTX], [...TC_TYPES, 'lwt_in', 'lwt_out', 'lwt_xmit'], false, FILTER_C],
  [35, 'integer', [], TRACING_TYPES, true, HELPERS_C],
  [36, 'integer', [A, 'mem_rdonly', 'const_size'], TRACING_TYPES, true, TRACE_C],
  [37, 'integer', ['const_map_ptr', A], TRACING_TYPES, false, TRACE_C],
  [38, 'integer', [CTX, A, A], [...TC_TYPES, 'sk_skb'], false, FILTER_C],
  [39, 'integer', [CTX, A], [...TC_TYPES, 'lwt_xmit', 'sk_skb'], false, FILTER_C],
  [40, 'integer', [CTX, A], TC_TYPES, false, FILTER_C],
  [41, 'void', [CTX], TC_TYPES, false, FILTER_C],
  [42, 'integer', [], undefined, false, HELPERS_C],
  [43, 'integer', [CTX, A, A], [...TC_TYPES, 'sk_skb'], false, FILTER_C],
  [44, 'integer', [CTX, A], ['xdp'], false, FILTER_C],
  [45, 'integer', ['uninit_mem', 'const_size_or_zero', A], TRACING_TYPES, true, TRACE_C],
  [46, 'integer', [CTX], [...SKB_TYPES, 'cgroup_sock', 'cgroup_sock_addr', 'sock_ops'], false, FILTER_C],
  [47, 'integer', [CTX], SKB_TYPES, false, FILTER_C],
  [48, 'integer', [CTX, A], TC_TYPES, false, FILTER_C],
  [49, 'integer', [CTX, A, A, 'mem_rdonly', 'const_size'], ['sock_ops', 'cgroup_sock_addr', 'cgroup_sockopt'], false, FILTER_C],
  [50, 'integer', [CTX, A, A, A], [...TC_TYPES, 'sk_skb'], false, FILTER_C],
  [51, 'integer', ['const_map_ptr', A, A], ['xdp'], false, FILTER_C],
  [52, 'integer', [CTX, 'const_map_ptr', A, A], ['sk_skb'], false, 'net/core/sock_map.c'],
  [53, 'integer', [CTX, 'const_map_ptr', 'map_key', A], ['sock_ops'], false, 'net/core/sock_map.c'],
  [54, 'integer', [CTX, A], ['xdp'], false, FILTER_C],
  [55, 'integer', ['const_map_ptr', A, 'uninit_mem', 'const_size'], TRACING_TYPES, true, TRACE_C],
  [56, 'integer', [CTX, 'uninit_mem', 'const_size'], ['perf_event'], true, TRACE_C],
  [57, 'integer', [CTX, A, A, 'uninit_mem', 'const_size'], ['sock_ops', 'cgroup_sock_addr', 'cgroup_sockopt'], false, FILTER_C],
  [58, 'integer', [CTX, A], ['kprobe'], true, TRACE_C],
  [59, 'integer', [CTX, A], ['sock_ops'], false, FILTER_C],
  [64, 'integer', [CTX, 'mem_rdonly', 'const_size'], ['cgroup_sock_addr'], false, FILTER_C],
  [65, 'integer', [CTX, A], ['xdp'], false, FILTER_C],
  [68, 'integer', [CTX, A, 'uninit_mem', 'const_size', A], SKB_TYPES, false, FILTER_C],
  [69, 'integer', [CTX, 'mem', 'const_size', A], TC_XDP_TYPES, true, FILTER_C],
  [79, 'integer', [CTX], [...TC_TYPES, 'cgroup_skb'], false, FILTER_C],
  [80, 'integer', [], TASK_TYPES, false, HELPERS_C],
  [81, 'map_value', ['const_map_ptr', A], CGROUP_TYPES, false, HELPERS_C],
  [84, 'socket_or_null', [CTX, 'mem_rdonly', 'const_size', A, A], [...TC_XDP_TYPES, 'sk_skb', 'cgroup_skb'], false, FILTER_C, true],
  [85, 'socket_or_null', [CTX, 'mem_rdonly', 'const_size', A, A], [...TC_XDP_TYPES, 'sk_skb', 'cgroup_skb'], false, FILTER_C, true],
  [86, 'integer', ['sock_release'], [...TC_XDP_TYPES, 'sk_skb', 'cgroup_skb'], false, FILTER_C],
  [87, 'integer', ['const_map_ptr', 'map_value', A], undefined, false, HELPERS_C],
  [88, 'integer', ['const_map_ptr', 'map_value_uninit'], undefined, false, HELPERS_C],
  [89, 'integer', ['const_map_ptr', 'map_value_uninit'], undefined, false, HELPERS_C],
  [93, 'void', ['spin_lock'], undefined, false, HELPERS_C],
  [94, 'void', ['spin_lock'], undefined, false, HELPERS_C],
  [95, 'socket_or_null', ['sock_common'], undefined, false, FILTER_C],
  [96, 'tcp_sock_or_null', ['sock_common'], undefined, false, FILTER_C],
  [97, 'integer', [CTX], [...TC_TYPES, 'cgroup_skb'], false, FILTER_C],
  [99, 'sock_common_or_null', [CTX, 'mem_rdonly', 'const_size', A, A], [...TC_XDP_TYPES, 'sk_skb', 'cgroup_skb'], false, FILTER_C, true],
  [105, 'integer', ['mem_rdonly', 'const_size', A, 'long'], undefined, false, HELPERS_C],
  [106, 'integer', ['mem_rdonly', 'const_size', A, 'long'], undefined, false, HELPERS_C],
  [107, 'map_value_or_null', ['const_map_ptr', 'sock_common_or_null', 'map_value_or_null', A], undefined, false, 'net/core/bpf_sk_storage.c'],
  [108, 'integer', ['const_map_ptr', 'sock_common'], undefined, false, 'net/core/bpf_sk_storage.c'],
  [112, 'integer', ['uninit_mem', 'const_size_or_zero', A], TRACING_TYPES, true, TRACE_C],
  [113, 'integer', ['uninit_mem', 'const_size_or_zero', A], undefined, true, TRACE_C],
  [114, 'integer', ['uninit_mem', 'const_size_or_zero', A], TRACING_TYPES, true, TRACE_C],
  [115, 'integer', ['uninit_mem', 'const_size_or_zero', A], undefined, true, TRACE_C],
  [118, 'integer', [], undefined, false, HELPERS_C],
  [122, 'integer', ['ctx_or_null'], [...CGROUP_TYPES, 'sk_msg', 'sk_skb', ...TC_TYPES], false, FILTER_C],
  [123, 'integer', [A], TASK_TYPES, false, HELPERS_C],
  [124, 'integer', [CTX, 'sock_common_or_null', A], TC_TYPES, false, FILTER_C],
  [125, 'integer', [], undefined, false, HELPERS_C],
  [130, 'integer', ['const_map_ptr', 'mem_rdonly', 'const_size_or_zero', A], undefined, false, RINGBUF_C],
  [131, 'ringbuf_mem_or_null', ['const_map_ptr', 'const_alloc_size_or_zero', A], undefined, false, RINGBUF_C, true],
  [132, 'void', ['ringbuf_mem_release', A], undefined, false, RINGBUF_C],
  [133, 'void', ['ringbuf_mem_release', A], undefined, false, RINGBUF_C],
  [134, 'integer', ['const_map_ptr', A], undefined, false, RINGBUF_C],
  [135, 'integer', [CTX, A], TC_TYPES, false, FILTER_C],
  [137, 'btf_id_or_null', ['btf_id'], undefined, false, FILTER_C],
  [152, 'integer', [A, 'mem_rdonly_or_null', 'const_size_or_zero', A], TC_TYPES, false, FILTER_C],
  [155, 'integer', [A, A], TC_TYPES, false, FILTER_C],
  [160, 'integer', [], undefined, false, HELPERS_C],
  [163, 'integer', [CTX, A, 'int', A, A], TC_XDP_TYPES, false, FILTER_C],
  [164, 'integer', ['const_map_ptr', 'func', 'stack_or_null', A], undefined, false, 'kernel/bpf/bpf_iter.c'],
  [165, 'integer', ['mem_or_null', 'const_size_or_zero', 'const_str', 'mem_rdonly_or_null', 'const_size_or_zero'], undefined, true, HELPERS_C],
  [173, 'integer', [CTX], TRACING_TYPES, true, TRACE_C],
  [174, 'integer', [CTX], TRACING_TYPES, false, TRACE_C],
  [177, 'integer', ['mem_rdonly', 'const_size', 'mem_rdonly_or_null', 'const_size_or_zero'], undefined, true, TRACE_C],
  [181, 'integer', [A, 'func', 'stack_or_null', A], undefined, false, 'kernel/bpf/bpf_iter.c'],
  [182, 'integer', ['mem_rdonly', 'const_size', 'const_str'], undefined, false, HELPERS_C],
  [188, 'integer', [CTX], ['xdp'], false, FILTER_C],
  [189, 'integer', [CTX, A, 'uninit_mem', 'const_size'], ['xdp'], false, FILTER_C],
  [190, 'integer', [CTX, A, 'mem_rdonly', 'const_size'], ['xdp'], false, FILTER_C],
  [195, 'map_value_or_null', ['const_map_ptr', 'map_key', A], undefined, false, HELPERS_C],
  [208, 'integer', [], undefined, false, HELPERS_C],
];

/** Prototypes by helper id, for every helper the runtime implements. */
export const HELPER_PROTOS: ReadonlyMap<number, HelperProto> = new Map(ROWS.map(([id, ret, args, progTypes, gplOnly, source, acquire]) => {
  const proto: HelperProto = {
    id, name: HELPER_NAMES[id]!, ret, args, gplOnly, source,
    ...(progTypes !== undefined ? { progTypes } : {}),
    ...(acquire === true ? { acquire } : {}),
  };
  return [id, proto] as const;
}));

/** Helper ids by name (`bpf_`-less). */
export const HELPER_IDS: ReadonlyMap<string, number> = new Map(HELPER_NAMES.map((n, i) => [n, i] as const));

/** Well-known helper ids the verifier and runtime treat specially. */
export const HELPER = {
  map_lookup_elem: 1, map_update_elem: 2, map_delete_elem: 3, tail_call: 12,
  ringbuf_output: 130, ringbuf_reserve: 131, ringbuf_submit: 132, ringbuf_discard: 133,
  for_each_map_elem: 164, loop: 181, spin_lock: 93, spin_unlock: 94,
} as const;

/** The helper's name as the kernel prints it (`bpf_map_lookup_elem`), or `#id` for an unknown id. */
export function helperName(id: number): string {
  const n = HELPER_NAMES[id];
  return n === undefined ? `#${id}` : `bpf_${n}`;
}

/** The prototype of a helper, or undefined when the runtime does not implement it. */
export function helperProto(id: number): HelperProto | undefined {
  return HELPER_PROTOS.get(id);
}

/**
 * Whether a program type may call the helper: the kernel-probed table
 * (`helper-availability.ts`) for the program types and helpers it covers,
 * else the prototype's `progTypes`.
 */
export function helperAllowed(proto: HelperProto, progType: string): boolean {
  const probed = probedHelperAllowed(proto.id, progType);
  if (probed !== undefined) return probed;
  return proto.progTypes === undefined || proto.progTypes.includes(progType);
}

/** The ids of `IdRanges`. */
export function expandIds(ranges: IdRanges): Set<number> {
  const out = new Set<number>();
  for (const r of ranges) {
    if (typeof r === 'number') out.add(r);
    else for (let id = r[0]; id <= r[1]; id++) out.add(id);
  }
  return out;
}

const probedHelpers = expandIds(PROBED_HELPERS);
const probedByType = new Map<string, ReadonlySet<number>>();

/**
 * Whether the kernel-probed table answers for (helper, program type), and
 * the answer: undefined when the type or the helper was not probed.
 */
export function probedHelperAllowed(id: number, progType: string): boolean | undefined {
  if (!probedHelpers.has(id) || !Object.hasOwn(HELPER_AVAILABILITY, progType)) return undefined;
  let ids = probedByType.get(progType);
  if (ids === undefined) { ids = expandIds(HELPER_AVAILABILITY[progType]!); probedByType.set(progType, ids); }
  return ids.has(id);
}
