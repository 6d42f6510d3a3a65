/**
 * @file Test support: run one assembled program on the kernel (through
 * `bpf()` and `BPF_PROG_TEST_RUN`) and on the host (the interpreter with the
 * host's maps and helpers), with the same maps and input, and collect r0 and
 * every map's contents for comparison.
 *
 * In the program text, `map_by_fd(N)` and `map_value_by_fd(N)+OFF` name the
 * case's N-th map; each side substitutes its own map.
 */

import { LinearMemory } from '../../src/abi/linear-memory.js';
import type { HelperEnv } from '../../src/abi/helper-env.js';
import { MapType } from '../../src/abi/map-types.js';
import { assemble } from '../../src/isa/asm.js';
import { encode, type Insn } from '../../src/isa/insn.js';
import { interpret } from '../../src/interp/interp.js';
import { createMap } from '../../src/host/maps/create.js';
import type { BpfMap, MapSpec } from '../../src/host/maps/map.js';
import { MapRegistry } from '../../src/host/maps/registry.js';
import { hostHelpers } from '../../src/host/helpers/table.js';
import type { HelperHost } from '../../src/host/helpers/host.js';
import { RingbufMap } from '../../src/host/maps/ringbuf.js';
import * as k from '../../runtimes/node/bpf-syscall.js';

/** One program run on both sides. */
export interface ProgCase {
  readonly asm: string;
  readonly maps?: readonly MapSpec[];
  /** Initial updates: [map index, key (undefined for queues), value]. */
  readonly init?: readonly (readonly [number, Uint8Array | undefined, Uint8Array])[];
  /** Maps to freeze after init (read-only, for constant strings). */
  readonly freeze?: readonly number[];
  /** `BPF_PROG_TYPE_*` (default XDP, 6). */
  readonly progType?: number;
  /** Packet (default 64 zero bytes). */
  readonly data?: Uint8Array;
}

/** What a side produced. */
export interface ProgResult {
  /** r0 (the kernel reports its low 32 bits), or an error text. */
  readonly r0: number | string;
  /** Each map's contents, as `key=value` lines in iteration order. */
  readonly maps: string[][];
  /** Output packet (XDP / tc). */
  readonly data?: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function assembleOrThrow(text: string): Insn[] {
  const a = assemble(text);
  if (a.diagnostics.length > 0) throw new Error(a.diagnostics.map((d) => d.message).join('; '));
  return a.insns;
}

/** Number of CPUs the kernel's per-CPU maps have. */
export function kernelCpus(possible: string): number {
  return k.possibleCpus(possible);
}

/** Walk a host map. */
export function hostContents(m: BpfMap): string[] {
  if (m.spec.keySize === 0) return [];
  const out: string[] = [];
  let key: Uint8Array | undefined;
  for (let guard = 0; guard < 100000; guard++) {
    const next = new Uint8Array(m.spec.keySize);
    if (m.getNextKey(key, next) !== 0) break;
    const v = new Uint8Array(m.userValueSize);
    const rc = m.lookupUser(next, v, 0);
    out.push(`${hex(next)}=${rc === 0 ? hex(v) : rc}`);
    key = next;
  }
  return out;
}

/** Walk a kernel map. */
export function kernelContents(fd: number, keySize: number, valueSize: number): string[] {
  if (keySize === 0) return [];
  const out: string[] = [];
  let key: Uint8Array | undefined;
  for (let guard = 0; guard < 100000; guard++) {
    const next = new Uint8Array(keySize);
    if (k.mapGetNextKey(fd, key, next) !== 0) break;
    const v = new Uint8Array(valueSize);
    const rc = k.mapLookup(fd, next, v, 0);
    out.push(`${hex(next)}=${rc === 0 ? hex(v) : rc}`);
    key = next;
  }
  return out;
}

/** Run on the kernel (pinned to CPU 0). */
export function runKernel(c: ProgCase, nCpus: number): ProgResult {
  k.pinCpu(0);
  const fds: number[] = [];
  try {
    for (const s of c.maps ?? []) {
      const fd = k.mapCreate({ type: s.type, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, flags: s.flags ?? 0, mapExtra: s.mapExtra ?? 0n });
      if (fd < 0) return { r0: `map create ${fd}`, maps: [] };
      fds.push(fd);
    }
    for (const [i, key, value] of c.init ?? []) k.mapUpdate(fds[i]!, key, value, 0);
    for (const i of c.freeze ?? []) k.mapFreeze(fds[i]!);
    const insns = assembleOrThrow(c.asm).map((insn) => (insn.imm2 !== undefined && (insn.src === 1 || insn.src === 2) ? { ...insn, imm: fds[insn.imm]! } : insn));
    const p = k.progLoad({ type: c.progType ?? 6, insns: encode(insns), logLevel: 1 });
    if (p.fd < 0) return { r0: `load ${p.fd}: ${p.log.split('\n').slice(-3).join(' | ')}`, maps: [] };
    const data = c.data ?? new Uint8Array(64);
    const r = k.progTestRun(p.fd, { data, dataOutSize: data.length + 512 });
    k.close(p.fd);
    if (r.err < 0) return { r0: `test run ${r.err}`, maps: [] };
    const maps = (c.maps ?? []).map((s, i) => kernelContents(fds[i]!, s.keySize, percpu(s) ? nCpus * ((s.valueSize + 7) & ~7) : s.valueSize));
    return { r0: r.retval, maps, data: hex(r.dataOut) };
  } finally {
    for (const fd of fds) k.close(fd);
  }
}

function percpu(s: MapSpec): boolean {
  return s.type === MapType.PERCPU_ARRAY || s.type === MapType.PERCPU_HASH || s.type === MapType.LRU_PERCPU_HASH;
}

/** Host settings for `runHost`. */
export interface HostSide {
  readonly nCpus: number;
  readonly log?: (s: string) => void;
  readonly host?: Partial<HelperHost>;
}

/** Run on the host: the interpreter, the host's maps and helpers, an `xdp_md` context. */
export function runHost(c: ProgCase, side: HostSide): ProgResult & { memory: LinearMemory; maps_: BpfMap[] } {
  const mem = new LinearMemory();
  const reg = new MapRegistry();
  const maps = (c.maps ?? []).map((s) => createMap(s, mem, { nCpus: side.nCpus }));
  for (const m of maps) reg.add(m);
  for (const [i, key, value] of c.init ?? []) maps[i]!.updateUser(key, value, 0);
  const host: HelperHost = {
    map: (p) => reg.get(Number(p)),
    cpu: () => 0,
    clock: { monotonicNs: () => 1_000_000_000n },
    randomSeed: 1,
    log: side.log ?? (() => undefined),
    ...side.host,
  };
  const helpers = hostHelpers(host, () => maps.filter((m): m is RingbufMap => m instanceof RingbufMap));
  const data = c.data ?? new Uint8Array(64);
  const pkt = mem.map('packet', 'packet', data.length + 256, true);
  const start = pkt.start + 256;
  mem.bytes.set(data, start);
  let ctx;
  const v = mem.view;
  if ((c.progType ?? 6) === 6) {
    // xdp_md { u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex }
    ctx = mem.map('ctx', 'ctx', 24, false);
    v.setUint32(ctx.start, start, true);
    v.setUint32(ctx.start + 4, start + data.length, true);
    v.setUint32(ctx.start + 8, start, true);
    v.setUint32(ctx.start + 12, 1, true);
  } else {
    // __sk_buff: len at 0, data at 76, data_end at 80 (the packet from the Ethernet header, as tc sees it)
    ctx = mem.map('ctx', 'ctx', 192, true);
    v.setUint32(ctx.start, data.length, true);
    v.setUint32(ctx.start + 76, start, true);
    v.setUint32(ctx.start + 80, start + data.length, true);
  }
  let r0: number | string;
  try {
    const res = interpret(assembleOrThrow(c.asm), {
      memory: mem, args: [BigInt(ctx.start)], helpers, packet: { start, size: data.length },
      lddw: {
        resolve(kind: number, insn: Insn): bigint | undefined {
          const m = maps[insn.imm];
          if (m === undefined) return undefined;
          if (kind === 1) return BigInt(reg.idOf(m));
          if (kind === 2) return BigInt(m.lookup(new Uint8Array(4), 0)! + (insn.imm2 ?? 0));
          return undefined;
        },
      },
    });
    r0 = Number(res.r0 & 0xffffffffn);
  } catch (e) {
    r0 = e instanceof Error ? e.message : String(e);
  }
  return {
    r0, maps: maps.map(hostContents), data: hex(mem.view.buffer.byteLength ? mem.bytes.slice(start, start + data.length) : new Uint8Array(0)),
    memory: mem, maps_: maps,
  };
}

/** A helper environment over a fresh memory, for direct helper unit tests. */
export function helperEnv(mem: LinearMemory, ctx = 0): HelperEnv {
  return { memory: mem, ctx, pc: 0 };
}
