/**
 * @file Whole programs checked against the Linux kernel: every program of the
 * committed fixture objects runs under `BPF_PROG_TEST_RUN` (loaded by
 * `runtimes/node/kernel-loader.ts`) and under `testRun` on every backend,
 * over the same packets and preloaded map entries, in the same sequence;
 * retval, output packet and every map's contents must agree byte for byte
 * after each packet.
 *
 * Programs the kernel rejects, cannot test-run, or that use helpers the host
 * lacks are listed in the output (as skipped subtests), never hidden. Hash-type
 * maps compare as sets (the kernel's order follows its random hash seed). Skips,
 * saying why, without root or a working `bpf()`.
 */

import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MapType } from '../../src/abi/map-types.js';
import { arpFrame, ipv4Frame } from '../../src/cli/packets.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { loadObject } from '../../src/elf/index.js';
import type { BpfObject, ProgramSpec } from '../../src/elf/types.js';
import { BACKENDS } from '../../src/host/backend.js';
import { Instance } from '../../src/host/instance.js';
import { dumpMaps, type MapDump } from '../../src/host/map-io.js';
import { testRun, XDP_MAX_DATA } from '../../src/host/test-run.js';
import { ProgType } from '../../src/abi/program-types.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import type { HelperHost } from '../../src/host/helpers/host.js';
import { packetHelpers } from '../../src/host/helpers/packet-helpers.js';
import type { BpfMap } from '../../src/host/maps/map.js';
import * as k from '../../runtimes/node/bpf-syscall.js';
import { isKernelError, KernelObject, type KernelProgram } from '../../runtimes/node/kernel-loader.js';

const root = new URL('../../', import.meta.url).pathname;
const fixtures = join(root, 'test/fixtures');
const objects = [
  ...readdirSync(fixtures).filter((f) => f.endsWith('-el.o')).map((f) => join(fixtures, f)),
  join(root, 'examples/firewall.o'),
  ...readdirSync(join(fixtures, 'kernel')).filter((f) => f.endsWith('-el.o')).map((f) => join(fixtures, 'kernel', f)),
];

/** A frame of `n` bytes: an IPv4/UDP header, then a counting payload. */
function bigFrame(n: number): Uint8Array {
  const f = ipv4Frame({ src: '10.9.8.7', dst: '10.0.0.1', proto: 'udp', sport: 4000, dport: 53, payload: 'z'.repeat(n - 42) });
  for (let i = 42; i < n; i++) f[i] = i & 0xff;
  return f;
}

/** The packets each program sees, in order (maps keep their state across them). */
const packets: readonly (readonly [string, Uint8Array])[] = [
  ['tcp', ipv4Frame({ src: '10.1.2.3', dst: '10.0.0.1', proto: 'tcp', sport: 1234, dport: 80, payload: 'hello' })],
  ['dns', ipv4Frame({ src: '192.168.0.7', dst: '10.0.0.1', proto: 'udp', sport: 5353, dport: 53, payload: 'x'.repeat(100) })],
  ['arp', arpFrame()],
  ['eth-only', ipv4Frame({ src: '1.1.1.1', dst: '2.2.2.2', proto: 'udp', sport: 1, dport: 2 }).subarray(0, 14)],
  ['short-ip', ipv4Frame({ src: '10.1.2.3', dst: '10.0.0.9', proto: 'udp', sport: 9, dport: 53 }).subarray(0, 30)],
  ['1500', bigFrame(1500)],
  ['3520', bigFrame(XDP_MAX_DATA)],
  ['4000', bigFrame(4000)],
];

const u32 = (...ns: number[]): Uint8Array => new Uint8Array(new Uint32Array(ns).buffer);

/** Preloaded entries: [map name, key, value], per object file (base name) and scenario name. */
type Preload = readonly (readonly [string, Uint8Array, Uint8Array])[];
const SCENARIOS: Record<string, Record<string, Preload>> = {
  'xdp_adjust-el.o': {
    'pop 14': [['deltas', u32(0), u32(14)], ['deltas', u32(1), u32(-20 >>> 0)], ['deltas', u32(2), u32(-8 >>> 0)], ['deltas', u32(3), u32(4)]],
    'push 200': [['deltas', u32(0), u32(-200 >>> 0)], ['deltas', u32(1), u32(300)], ['deltas', u32(2), u32(-6 >>> 0)], ['deltas', u32(3), u32(-24 >>> 0)]],
    // headroom 256 − sizeof(struct xdp_frame) 40 = 216 bytes to push or to hold metadata
    'limits': [['deltas', u32(0), u32(-216 >>> 0)], ['deltas', u32(1), u32(3520 - 60)], ['deltas', u32(2), u32(-216 >>> 0)], ['deltas', u32(3), u32(4)]],
    'past limits': [['deltas', u32(0), u32(-217 >>> 0)], ['deltas', u32(1), u32(-60 >>> 0)], ['deltas', u32(2), u32(-220 >>> 0)], ['deltas', u32(3), u32(0)]],
    'flags': [['deltas', u32(0), u32(1)], ['deltas', u32(1), u32(-1 >>> 0)], ['deltas', u32(2), u32(-2 >>> 0)], ['deltas', u32(3), u32(2000)]],
  },
  'tc_bytes-el.o': {
    'in bounds': [['config', u32(0), u32(20)], ['config', u32(1), u32(30)], ['config', u32(2), u32(2)], ['config', u32(3), u32(1)], ['by_src', u32(0x0302010a), new Uint8Array(8).fill(1)]],
    'at the end': [['config', u32(0), u32(34)], ['config', u32(1), u32(38)], ['config', u32(2), u32(1)], ['config', u32(3), u32(0)]],
    'past the end': [['config', u32(0), u32(0x80000000)], ['config', u32(1), u32(0xfffffffe)], ['config', u32(2), u32(8)], ['config', u32(3), u32(4)]],
  },
};

const PERCPU = new Set<number>([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]);

/** A generic preload for other objects: one entry in every keyed map. */
function autoPreload(object: BpfObject, nCpus: number): Preload {
  const out: [string, Uint8Array, Uint8Array][] = [];
  for (const m of object.maps) {
    if (m.kind === 'data' || m.keySize === 0) continue;
    const plain = [MapType.ARRAY, MapType.HASH, MapType.LRU_HASH, MapType.LPM_TRIE].includes(m.type as never);
    if (!plain && !PERCPU.has(m.type)) continue;
    const key = new Uint8Array(m.keySize);
    // index 1 of arrays that have one (an array of one entry takes index 0)
    if (m.type === MapType.LPM_TRIE) { key[0] = 8; key[4] = 10; } else key[0] = Math.min(1, m.maxEntries - 1);
    const size = PERCPU.has(m.type) ? nCpus * ((m.valueSize + 7) & ~7) : m.valueSize;
    const value = new Uint8Array(size).map((_, i) => (i * 7 + 1) & 0xff);
    out.push([m.name, key, value]);
  }
  return out;
}

/** skb test runs: the kernel takes frames of 34 (`ETH_HLEN` + an IPv4 header) to 3712 bytes (4096 − `NET_SKB_PAD` − 320). */
/** Hash-type maps: the kernel's iteration order follows its random hash seed, so entries compare as a set. */
const UNORDERED = new Set<string>(['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash']);

function normalise(maps: Record<string, MapDump>): Record<string, MapDump> {
  const out: Record<string, MapDump> = {};
  for (const [name, m] of Object.entries(maps)) {
    out[name] = UNORDERED.has(m.type) ? { type: m.type, entries: [...m.entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) } : m;
  }
  return out;
}

interface Outcome { retval: number | string; data: string; maps: Record<string, MapDump> }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function packetType(p: ProgramSpec): boolean {
  return [ProgType.XDP, ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.SOCKET_FILTER, ProgType.CGROUP_SKB].includes(p.type as never);
}

/** Read a u64 (per-CPU: CPU 0's) from an array map of an instance, as a signed number. */
function slot(inst: Instance, map: string, index: number): number {
  const m = inst.maps.get(map)!;
  const v = new Uint8Array(m.userValueSize);
  m.lookupUser(u32(index), v, 0);
  return Number(new DataView(v.buffer).getBigInt64(0, true));
}

/**
 * The packet helpers' bounds and error codes as net/core/filter.c states them,
 * on every backend, without the kernel (so they are checked everywhere).
 */
function helperRules(): void {
  const obj = (name: string): BpfObject => {
    const file = join(fixtures, 'kernel', name);
    return loadObject(new Uint8Array(readFileSync(file)), { file });
  };
  const xdp = obj('xdp_adjust-el.o');
  const tc = obj('tc_bytes-el.o');
  const frame = packets[0]![1];
  const len = frame.length;
  const EINVAL = -22;
  const EFAULT = -14;
  const EACCES = -13;
  const run = (o: BpfObject, prog: string, backend: string, preload: Preload): Instance => {
    const inst = preloaded(o, 1, preload);
    testRun(inst, inst.program(prog), BACKENDS.get(backend)!, { data: frame });
    return inst;
  };
  for (const backend of BACKENDS.keys()) {
    t.test(`packet helper rules on ${backend}`, (t) => {
      // bpf_xdp_adjust_head: data may move down to data_hard_start + sizeof(struct xdp_frame), up to data_end − ETH_HLEN
      for (const [d, rc] of [[-216, 0], [-217, EINVAL], [len - 14, 0], [len - 13, EINVAL]] as const) {
        t.equal(slot(run(xdp, 'adjust_head', backend, [['deltas', u32(0), u32(d >>> 0)]]), 'rcs', 0) - 1000, rc, `adjust_head(${d})`);
      }
      // bpf_xdp_adjust_tail: data_end up to the frame's hard end (3520 bytes), down to data + ETH_HLEN
      for (const [d, rc] of [[XDP_MAX_DATA - len, 0], [XDP_MAX_DATA - len + 1, EINVAL], [14 - len, 0], [13 - len, EINVAL]] as const) {
        t.equal(slot(run(xdp, 'adjust_tail', backend, [['deltas', u32(1), u32(d >>> 0)]]), 'rcs', 1) - 1000, rc, `adjust_tail(${d})`);
      }
      // bpf_xdp_adjust_meta: meta within [hard start + 40, data]; its length a multiple of 4 (else -EACCES)
      for (const [d, rc] of [[-216, 0], [-220, EINVAL], [-2, EACCES], [4, EINVAL], [0, 0]] as const) {
        t.equal(slot(run(xdp, 'adjust_meta', backend, [['deltas', u32(2), u32(d >>> 0)]]), 'rcs', 2) - 1000, rc, `adjust_meta(${d})`);
      }
      // bpf_redirect from XDP: XDP_REDIRECT (4), or XDP_ABORTED (0) with any flag
      for (const [flags, verdict] of [[0, 4], [1, 0]] as const) {
        t.equal(slot(run(xdp, 'redirect', backend, [['deltas', u32(0), u32(flags)]]), 'rcs', 4) - 1000, verdict, `xdp redirect flags ${flags}`);
      }
      // bpf_skb_load_bytes / bpf_skb_store_bytes: offset + len ≤ skb->len, else -EFAULT; unknown flags -EINVAL
      for (const [off, rc] of [[len - 8, 0], [len - 7, EFAULT], [0x80000000, EFAULT]] as const) {
        t.equal(slot(run(tc, 'load_store', backend, [['config', u32(0), u32(off)]]), 'results', 2), rc, `skb_load_bytes at ${off}`);
      }
      for (const [off, flags, rc] of [[len - 4, 0, 0], [len - 3, 0, EFAULT], [0, 8, EINVAL], [0, 3, 0]] as const) {
        const inst = run(tc, 'load_store', backend, [['config', u32(1), u32(off)], ['config', u32(2), u32(flags)]]);
        t.equal(slot(inst, 'results', 4), rc, `skb_store_bytes at ${off} flags ${flags}`);
      }
      // bpf_redirect from tc: TC_ACT_REDIRECT (7), BPF_F_INGRESS allowed, other flags TC_ACT_SHOT (2)
      for (const [flags, verdict] of [[0, 7], [1, 7], [2, 2]] as const) {
        const inst = preloaded(tc, 1, [['config', u32(3), u32(flags)]]);
        t.equal(testRun(inst, inst.program('redirect_tc'), BACKENDS.get(backend)!, { data: frame }).retval, verdict, `tc redirect flags ${flags}`);
      }
      t.end();
    });
  }
}

/** `bpf_redirect_map` (__bpf_xdp_redirect_map), called directly: the host has no device or CPU maps to run it from a program. */
function redirectMapRules(): void {
  t.test('bpf_redirect_map verdicts', (t) => {
    const mapOf = (type: number): BpfMap => ({ spec: { type, keySize: 4 }, lookup: (key: Uint8Array) => (key[0] === 1 ? 64 : undefined) }) as unknown as BpfMap;
    const maps = [mapOf(MapType.DEVMAP), mapOf(MapType.CPUMAP)];
    const host: HelperHost = { map: (p) => maps[Number(p) - 1], cpu: () => 0, clock: { monotonicNs: () => 0n }, randomSeed: 1, log: () => undefined };
    const fn = packetHelpers(host).get(51)!;
    const env = { memory: new LinearMemory(), ctx: 0, pc: 0 };
    const DEV = 1n;
    const CPU = 2n;
    // [map, key, flags, verdict]: found → XDP_REDIRECT; missing → flags' low bits; unknown flags → XDP_ABORTED
    const cases: [bigint, bigint, bigint, bigint][] = [
      [DEV, 1n, 0n, 4n], [DEV, 2n, 0n, 0n], [DEV, 2n, 2n, 2n], [DEV, 2n, 1n, 1n], [DEV, 2n, 8n, 4n],
      [DEV, 1n, 16n, 4n], [DEV, 1n, 32n, 0n], [CPU, 1n, 8n, 0n], [CPU, 2n, 3n, 3n], [DEV, 1n << 32n | 1n, 2n, 2n],
    ];
    for (const [map, key, flags, verdict] of cases) t.equal(fn(env, map, key, flags, 0n, 0n), verdict, `map ${map} key ${key} flags ${flags}`);
    t.end();
  });
}

function main(): void {
  helperRules();
  redirectMapRules();
  const avail = k.available();
  if (!avail.ok) {
    t.pass(`kernel oracle: ${avail.reason}`, { skip: `kernel oracle: ${avail.reason}` });
    return;
  }
  const nCpus = k.possibleCpus(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
  const counts = { runs: 0, agree: 0, programs: 0 };
  const notRun: string[] = [];

  for (const file of objects) {
    const base = file.split('/').pop()!;
    const object = loadObject(new Uint8Array(readFileSync(file)), { file });
    const scenarios: Record<string, Preload> = SCENARIOS[base] ?? { empty: [], preloaded: autoPreload(object, nCpus) };
    for (const prog of object.programs) {
      const label = `${base} ${prog.name}`;
      if (!packetType(prog)) { notRun.push(`${label}: program type ${prog.type} has no packet test run`); continue; }
      t.test(label, (t) => {
        const skip = (why: string): void => {
          notRun.push(`${label}: ${why}`);
          t.pass(why, { skip: why });
          t.end();
        };
        counts.programs++;
        for (const [scenario, preload] of Object.entries(scenarios)) {
          const kobj = KernelObject.open(object, nCpus);
          if (isKernelError(kobj)) return skip(`kernel ${kobj.step} failed (${kobj.errno}): ${kobj.detail}`);
          try {
            const kp = kobj.load(prog);
            if (isKernelError(kp)) return skip(`kernel rejects ${kp.step === 'tail-call-target' ? `its tail-call target "${kp.program}"` : 'it'} (${kp.errno}): ${kp.detail}`);
            for (const [name, key, value] of preload) t.equal(kobj.update(name, key, value), 0, `kernel preload ${name}`);
            const hosts = [...BACKENDS.values()].map((b) => [b, preloaded(object, nCpus, preload)] as const);
            for (const [pname, data] of packets) {
              const kr = kernelOutcome(kobj, kp, data);
              for (const [b, inst] of hosts) {
                const hr = hostOutcome(inst, prog, b.name, data);
                counts.runs++;
                const same = JSON.stringify(hr) === JSON.stringify(kr);
                if (same) counts.agree++;
                t.same(hr, kr, `${scenario} / ${pname} / ${b.name}`);
              }
            }
          } finally {
            kobj.close();
          }
        }
        t.end();
      });
    }
  }
  t.test('summary', (t) => {
    for (const line of notRun) t.comment(`not compared: ${line}`);
    t.comment(`kernel agreement: ${counts.agree}/${counts.runs} runs over ${counts.programs} programs`);
    t.ok(counts.runs > 0, `${counts.agree}/${counts.runs} runs agree with the kernel`);
    t.end();
  });
}

/** A fresh host instance with the preloaded entries. */
function preloaded(object: BpfObject, nCpus: number, preload: Preload): Instance {
  const inst = new Instance(object, { nCpus });
  for (const [name, key, value] of preload) inst.maps.get(name)!.updateUser(key, value, 0);
  return inst;
}

function kernelOutcome(kobj: KernelObject, kp: KernelProgram, data: Uint8Array): Outcome {
  const r = kobj.run(kp, { data });
  // EINVAL for a frame size the test run refuses is what the host reports as TEST_RUN_DATA_SIZE
  const maps = normalise(kobj.dumpMaps());
  if (isKernelError(r)) return { retval: r.errno === -22 ? 'refused' : `errno ${r.errno}`, data: '', maps };
  return { retval: r.retval, data: hex(r.dataOut), maps };
}

function hostOutcome(inst: Instance, prog: ProgramSpec, backend: string, data: Uint8Array): Outcome {
  try {
    const r = testRun(inst, prog, BACKENDS.get(backend)!, { data });
    return { retval: r.retval, data: hex(r.dataOut), maps: normalise(dumpMaps(inst)) };
  } catch (err) {
    if (err instanceof DiagnosticError) return { retval: err.code === 'TEST_RUN_DATA_SIZE' ? 'refused' : `${err.code}: ${err.message}`, data: '', maps: normalise(dumpMaps(inst)) };
    throw err;
  }
}

main();
