/**
 * @file Section-name rules: libbpf's documented names (Documentation/bpf/libbpf/program_types.rst),
 * old loaders' names, and agreement with the program types the kernel run used for the corpus.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sectionType, ProgType, AttachType, progTypeName, progTypeByName } from '../../src/abi/program-types.js';
import { MapType, mapTypeName, isMapInMap } from '../../src/abi/map-types.js';
import { SHARED, haveShared } from './helpers.js';

t.test('libbpf section names', async (t) => {
  const cases: [string, number, number | undefined, string | undefined][] = [
    ['xdp', ProgType.XDP, AttachType.XDP, undefined],
    ['xdp.frags', ProgType.XDP, AttachType.XDP, undefined],
    ['xdp/devmap', ProgType.XDP, AttachType.XDP_DEVMAP, undefined],
    ['socket', ProgType.SOCKET_FILTER, undefined, undefined],
    ['tc', ProgType.SCHED_CLS, undefined, undefined],
    ['classifier', ProgType.SCHED_CLS, undefined, undefined],
    ['action', ProgType.SCHED_ACT, undefined, undefined],
    ['tc/ingress', ProgType.SCHED_CLS, AttachType.TCX_INGRESS, undefined],
    ['tcx/egress', ProgType.SCHED_CLS, AttachType.TCX_EGRESS, undefined],
    ['kprobe/do_unlinkat', ProgType.KPROBE, undefined, 'do_unlinkat'],
    ['kretprobe/tcp_v4_connect', ProgType.KPROBE, undefined, 'tcp_v4_connect'],
    ['uprobe//bin/bash:readline', ProgType.KPROBE, undefined, '/bin/bash:readline'],
    ['tracepoint/syscalls/sys_enter_openat', ProgType.TRACEPOINT, undefined, 'syscalls/sys_enter_openat'],
    ['tp/sched/sched_switch', ProgType.TRACEPOINT, undefined, 'sched/sched_switch'],
    ['raw_tracepoint/sys_enter', ProgType.RAW_TRACEPOINT, undefined, 'sys_enter'],
    ['raw_tp/sys_exit', ProgType.RAW_TRACEPOINT, undefined, 'sys_exit'],
    ['perf_event', ProgType.PERF_EVENT, undefined, undefined],
    ['cgroup_skb/ingress', ProgType.CGROUP_SKB, AttachType.CGROUP_INET_INGRESS, undefined],
    ['cgroup_skb/egress', ProgType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS, undefined],
    ['cgroup/skb', ProgType.CGROUP_SKB, undefined, undefined],
    ['cgroup/connect4', ProgType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT, undefined],
    ['cgroup/sock_create', ProgType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE, undefined],
    ['sockops', ProgType.SOCK_OPS, AttachType.CGROUP_SOCK_OPS, undefined],
    ['sk_skb/stream_parser', ProgType.SK_SKB, AttachType.SK_SKB_STREAM_PARSER, undefined],
    ['sk_skb', ProgType.SK_SKB, undefined, undefined],
    ['sk_msg', ProgType.SK_MSG, AttachType.SK_MSG_VERDICT, undefined],
    ['lwt_in', ProgType.LWT_IN, undefined, undefined],
    ['lwt_xmit', ProgType.LWT_XMIT, undefined, undefined],
    ['lwt_seg6local', ProgType.LWT_SEG6LOCAL, undefined, undefined],
    ['fentry/tcp_connect', ProgType.TRACING, AttachType.TRACE_FENTRY, 'tcp_connect'],
    ['fexit/tcp_connect', ProgType.TRACING, AttachType.TRACE_FEXIT, 'tcp_connect'],
    ['lsm/file_open', ProgType.LSM, AttachType.LSM_MAC, 'file_open'],
    ['flow_dissector', ProgType.FLOW_DISSECTOR, AttachType.FLOW_DISSECTOR, undefined],
    ['sk_lookup', ProgType.SK_LOOKUP, AttachType.SK_LOOKUP, undefined],
  ];
  for (const [name, type, attach, to] of cases) {
    const st = sectionType(name);
    t.equal(st.type, type, `${name}: ${progTypeName(st.type)}`);
    t.equal(st.expectedAttachType, attach, `${name} attach type`);
    t.equal(st.attachTo, to, `${name} target`);
    t.equal(st.legacy, false);
  }
  t.equal(sectionType('fentry.s/x').sleepable, true);
});

t.test('old loaders and unknown names', async (t) => {
  t.match(sectionType('socket1'), { type: ProgType.SOCKET_FILTER, legacy: true });
  t.match(sectionType('xdp_prog'), { type: ProgType.XDP, legacy: true });
  t.match(sectionType('kprobe_foo'), { type: ProgType.KPROBE, legacy: true });
  for (const name of ['1/0x1010', '2/1', 'from-container', 'from-netdev', '', 'maps', 'mystery']) {
    t.match(sectionType(name), { type: ProgType.UNSPEC, legacy: false }, `"${name}" is unspec`);
  }
  t.equal(progTypeName(ProgType.SCHED_CLS), 'sched_cls');
  t.equal(progTypeByName('sched_cls'), ProgType.SCHED_CLS);
  t.equal(progTypeByName('nope'), undefined);
  t.equal(progTypeName(999), 'unknown(999)');
  t.equal(mapTypeName(MapType.LPM_TRIE), 'lpm_trie');
  t.equal(mapTypeName(MapType.ARENA), 'arena');
  t.ok(isMapInMap(MapType.HASH_OF_MAPS) && !isMapInMap(MapType.HASH));
});

t.test('program types agree with the kernel run over the corpus', { skip: haveShared ? false : '../shared/ebpf-samples is absent' }, async (t) => {
  const rows = readFileSync(join(SHARED, 'ebpf-samples/kernel-verdicts.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  let known = 0, agree = 0;
  const differ = new Set<string>();
  for (const r of rows) {
    const section = r[1] ?? '', loader = r[6] ?? '', progType = r[7] ?? '';
    if (section === '' || progType === '' || loader === 'libbpf-text') continue;
    const st = sectionType(section);
    if (st.type === ProgType.UNSPEC) continue; // the kernel run chose a type for names no rule knows
    known++;
    if (progTypeName(st.type) === progType) agree++; else differ.add(`${section}: ${progTypeName(st.type)} vs ${progType}`);
  }
  t.comment(`section rules agree with the kernel run's program type for ${agree} of ${known} programs`);
  for (const d of differ) t.comment(`differs: ${d}`);
  t.ok(agree >= known * 0.97, `${agree}/${known}`);
});
