/**
 * @file An object made live: its maps created in one linear memory (global
 * data sections as single-entry array maps holding their initial bytes), the
 * helpers bound to those maps, and the resolution of every `lddw` pseudo
 * source a linked program can hold.
 *
 * ```
 *   lddw rX, map_by_idx(i)         → the map's handle (MapRegistry id)
 *   lddw rX, map_value_by_idx(i)+k → address of map i's value at index 0, plus k
 *   lddw rX, func(+n)              → the target's absolute pc
 * ```
 *
 * Programs have fds too, from `PROGRAM_FD_BASE` up, which is what program
 * arrays hold (slots initialised in `.maps`, or set by user space with
 * `programFd`): the tail-call helper finds its target through them.
 */

import type { Helpers } from '../abi/helper-env.js';
import { LinearMemory } from '../abi/linear-memory.js';
import { MapType } from '../abi/map-types.js';
import { fail } from '../diag/index.js';
import type { BpfObject, MapSpec as ObjectMapSpec, ProgramSpec } from '../elf/types.js';
import type { Insn } from '../isa/insn.js';
import { LddwSrc } from '../isa/opcodes.js';
import type { HelperHost, HostClock, HostTask, XdpFrags } from './helpers/host.js';
import { hostHelpers } from './helpers/table.js';
import type { TailCallCounter } from './helpers/tail-call.js';
import { createMap } from './maps/create.js';
import { HashMap } from './maps/hash.js';
import { LpmTrieMap } from './maps/lpm-trie.js';
import type { BpfMap, MapSpec } from './maps/map.js';
import { MapRegistry } from './maps/registry.js';
import { RingbufMap } from './maps/ringbuf.js';

/** What an instance takes from its runtime: CPUs, clock, randomness, task, log. */
export interface InstanceOptions {
  /** Possible CPUs, for per-CPU maps (default 1). */
  readonly nCpus?: number;
  /** The CPU programs run on (default 0). */
  readonly cpu?: number;
  /** Clock for `bpf_ktime_get_*` (default: a clock that starts at 0 and advances 1 µs per reading). */
  readonly clock?: HostClock;
  /** Seed of `bpf_get_prandom_u32` (default a fixed seed, so runs are reproducible). */
  readonly randomSeed?: number;
  readonly task?: HostTask;
  /** Receives `bpf_trace_printk` messages (default: kept in `trace`). */
  readonly log?: (message: string) => void;
  /** Use this memory instead of a new one. */
  readonly memory?: LinearMemory;
  /** Use these helpers instead of the host's (e.g. the conformance suite's). */
  readonly helpers?: Helpers;
  /**
   * A map to use for a definition instead of creating one (a pinned map
   * shared with another instance; it must live in this instance's memory),
   * or undefined to create it.
   */
  readonly reuseMap?: (spec: ObjectMapSpec) => BpfMap | undefined;
}

/** A clock that advances one microsecond each time it is read: deterministic, monotonic. */
export function steppingClock(): HostClock {
  let now = 0n;
  return { monotonicNs: () => (now += 1000n) };
}

/** The host-side spec of an object's map definition. */
function hostSpec(m: ObjectMapSpec): MapSpec {
  return {
    type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
    flags: m.flags, name: m.name,
    ...(m.mapExtra !== undefined ? { mapExtra: m.mapExtra } : {}),
    ...(m.innerMap !== undefined ? { inner: hostSpec(m.innerMap) } : {}),
  };
}

/** The first program fd; map handles stay below it. */
export const PROGRAM_FD_BASE = 0x10000;

/** An object's maps, helpers and memory, ready to run its programs. */
export class Instance {
  readonly object: BpfObject;
  readonly memory: LinearMemory;
  /** Maps in the object's order (its map indexes). */
  readonly mapList: readonly BpfMap[];
  /** Maps by name. */
  readonly maps: ReadonlyMap<string, BpfMap>;
  readonly registry = new MapRegistry();
  readonly helpers: Helpers;
  /** `bpf_trace_printk` output, when no log function was given. */
  readonly trace: string[] = [];
  /** The CPU programs run on. */
  cpu: number;
  /** Fragments of the multi-buffer XDP frame being run (`testRun` sets them for the run). */
  xdpFrags: XdpFrags | undefined;
  /** Tail calls made in the current run (the run loop in `backend.ts` resets it). */
  readonly tailCalls: TailCallCounter = { count: 0 };
  private readonly programFds = new Map<ProgramSpec, number>();
  private readonly programsByFd = new Map<number, ProgramSpec>();

  constructor(object: BpfObject, options: InstanceOptions = {}) {
    this.object = object;
    this.memory = options.memory ?? new LinearMemory();
    this.cpu = options.cpu ?? 0;
    const nCpus = options.nCpus ?? 1;
    const list: BpfMap[] = [];
    const byName = new Map<string, BpfMap>();
    for (const spec of object.maps) {
      // user space names maps by fd; here a map's fd is its registry handle
      const reused = options.reuseMap?.(spec);
      const map = reused ?? createMap(hostSpec(spec), this.memory, {
        nCpus,
        resolve: (fd) => this.registry.get(fd) ?? this.programsByFd.get(fd),
        idOf: (obj) => this.programFds.get(obj as ProgramSpec) ?? this.registry.idOf(obj as BpfMap),
      });
      if (reused === undefined && spec.initial !== undefined && spec.type === MapType.ARRAY) {
        const value = new Uint8Array(map.userValueSize);
        value.set(spec.initial.subarray(0, value.length));
        map.updateUser(new Uint8Array(4), value, 0);
      }
      list.push(map);
      byName.set(spec.name, map);
      this.registry.add(map);
    }
    this.mapList = list;
    this.maps = byName;
    // `values = { [i] = &inner }` initialisers of maps of maps, as libbpf fills them after creating the maps
    object.maps.forEach((spec, k) => {
      for (const slot of spec.initialSlots ?? []) {
        const inner = byName.get(slot.symbol);
        const target = inner === undefined ? object.programs.find((p) => p.name === slot.symbol) : undefined;
        if (inner === undefined && target === undefined) continue;
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, slot.index, true);
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, inner !== undefined ? this.registry.idOf(inner) : this.programFd(target!), true);
        list[k]!.updateUser(key, value, 0);
      }
    });
    const host: HelperHost = {
      map: (pointer) => (pointer > 0n && pointer < 0x100000000n ? this.registry.get(Number(pointer)) : undefined),
      cpu: () => this.cpu,
      clock: options.clock ?? steppingClock(),
      randomSeed: options.randomSeed ?? 0x5eed,
      ...(options.task !== undefined ? { task: options.task } : {}),
      log: options.log ?? ((message) => { this.trace.push(message); }),
      xdpFrags: () => this.xdpFrags,
    };
    this.helpers = options.helpers ?? hostHelpers(host, () => list.filter((m): m is RingbufMap => m instanceof RingbufMap), this.tailCalls);
  }

  /** The fd of a program of the object (by spec or name), as program arrays hold it. */
  programFd(prog: ProgramSpec | string): number {
    const spec = typeof prog === 'string' ? this.program(prog) : prog;
    let fd = this.programFds.get(spec);
    if (fd === undefined) {
      fd = PROGRAM_FD_BASE + this.programFds.size;
      this.programFds.set(spec, fd);
      this.programsByFd.set(fd, spec);
    }
    return fd;
  }

  /** A program of the object by function name. */
  program(name: string): ProgramSpec {
    const prog = this.object.programs.find((p) => p.name === name);
    if (prog === undefined) {
      fail('CLI_NO_PROGRAM', { what: `named "${name}"`, available: this.object.programs.map((p) => p.name).join(', ') || 'none' });
    }
    return prog;
  }

  /**
   * `bpf_map_lookup_elem` on map `k` as a plain function of the key's
   * address, for compiled code (`bpf_map_lookup.<k>`, `docs/abi.md`): what
   * helper 1 does, without its argument conversions. Undefined for maps that
   * do not look keys up in place (maps of maps, ...): those take the helper.
   */
  directLookup(k: number): ((keyAddr: number) => number) | undefined {
    const map = this.mapList[k];
    const lookupAt = map?.lookupAt?.bind(map);
    if (lookupAt === undefined) return undefined;
    const mem = this.memory;
    return (keyAddr) => lookupAt(mem.bytes, keyAddr, this.cpu) ?? 0;
  }

  /**
   * The address of hash map or LPM trie `k`'s index in the memory, for compiled lookups
   * (`bpf_map_index.<k>`, `docs/abi.md`); 0 for maps that keep none.
   */
  mapIndex(k: number): number {
    const map = this.mapList[k];
    return map instanceof HashMap || map instanceof LpmTrieMap ? map.memoryIndex() : 0;
  }

  /**
   * Address of the value at index 0 of an array map (global data), for
   * `map_value_by_idx`; CPU 0's for a per-CPU array, whose other CPUs' copies
   * follow at a fixed stride (`src/host/maps/array.ts`).
   */
  private valueAddress(index: number): number | undefined {
    const map = this.mapList[index];
    return map?.lookup(new Uint8Array(map.spec.keySize), 0);
  }

  /**
   * What every map reference of a compiled program resolves to, by map index:
   * the map handle (`map_by_idx`) and the address of its first value
   * (`map_value_by_idx`, for global data). Backends that bake these into code
   * or imports take them from here.
   */
  mapAddresses(): { handles: Map<number, bigint>; values: Map<number, bigint> } {
    const handles = new Map<number, bigint>();
    const values = new Map<number, bigint>();
    this.mapList.forEach((map, k) => {
      handles.set(k, BigInt(this.registry.idOf(map)));
      const addr = this.valueAddress(k);
      if (addr !== undefined) values.set(k, BigInt(addr));
    });
    return { handles, values };
  }

  /** The value an `lddw` with a pseudo source loads, or undefined when it names nothing here. */
  resolveLddw(kind: number, insn: Insn): bigint | undefined {
    switch (kind) {
      case LddwSrc.MAP_IDX: {
        const map = this.mapList[insn.imm];
        return map === undefined ? undefined : BigInt(this.registry.idOf(map));
      }
      case LddwSrc.MAP_IDX_VALUE: {
        const addr = this.valueAddress(insn.imm);
        return addr === undefined ? undefined : BigInt(addr + (insn.imm2 ?? 0));
      }
      case LddwSrc.FUNC:
        return BigInt(insn.pc + 1 + insn.imm);
      default:
        return undefined;
    }
  }
}
