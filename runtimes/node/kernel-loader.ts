/**
 * @file Load an object's program into the Linux kernel the way libbpf does,
 * through `bpf-syscall.ts`, and run it with `BPF_PROG_TEST_RUN`: the kernel
 * as an oracle for the host runtime.
 *
 * - Every map of the object is created (`BPF_MAP_CREATE`); global data
 *   maps get their initial value at key 0 and `.rodata*` maps are frozen
 *   (libbpf `bpf_object__populate_internal_map`); map-in-map slots from
 *   `.maps` initialisers are filled with the inner maps' fds.
 * - `lddw` map references are patched as libbpf's `bpf_object__relocate_data`
 *   does: `map_by_idx` (src 5) becomes `BPF_PSEUDO_MAP_FD` (src 1) with the
 *   map's fd, `map_value_by_idx` (src 6) becomes `BPF_PSEUDO_MAP_VALUE`
 *   (src 2) with the fd, the offset staying in the second slot.
 * - Maps read back in `dumpMaps`' format (`src/host/map-io.ts`), so a kernel
 *   run and a host run compare as plain data.
 *
 * - A program with subprograms gets the minimal func_info BTF of
 *   `kernel-btf.ts` (every function static), which callbacks need.
 * - Legacy map-in-map definitions take their inner map from
 *   `inner_map_idx`, BTF ones from `innerMap`.
 *
 * Every fd is closed by `close()`. No other BTF is loaded: programs that
 * need the object's types (spin locks, timers, kfuncs, global functions
 * verified as such) are rejected by the kernel or verified with every
 * function static, and a rejection is reported with the verifier log.
 */

import { MapType, mapTypeName } from '../../src/abi/map-types.js';
import type { BpfObject, MapSpec, ProgramSpec } from '../../src/elf/types.js';
import { encode, type Insn } from '../../src/isa/insn.js';
import { LddwSrc } from '../../src/isa/opcodes.js';
import type { MapDump, MapEntryDump } from '../../src/host/map-io.js';
import * as k from './bpf-syscall.js';
import { progLoadWithFuncInfo } from './kernel-btf.js';

/** Per-CPU map types: values come back with one 8-byte-rounded slot per possible CPU. */
const PERCPU = new Set<number>([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]);
/** Map types whose entries `dumpMaps` lists. */
const DUMPABLE = new Set<number>([
  MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH, MapType.LPM_TRIE,
]);
/** Map types that hold other maps (created from an inner-map template). */
const MAP_IN_MAP = new Set<number>([MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS]);

/** A failure of the kernel side: which step, the errno, and the verifier log's tail. */
export interface KernelError {
  /** `tail-call-target`: a program of a program array's initialiser, loaded before the one asked for, was rejected. */
  readonly step: 'map-create' | 'map-init' | 'prog-load' | 'tail-call-target' | 'test-run';
  readonly errno: number;
  /** The program whose load failed (`prog-load`, `tail-call-target`). */
  readonly program?: string;
  readonly detail: string;
}

/** A loaded program. */
export interface KernelProgram {
  readonly fd: number;
  readonly spec: ProgramSpec;
  /** The verifier's log (level 1 when the load failed, else empty). */
  readonly log: string;
}

/** Output of one `BPF_PROG_TEST_RUN`. */
export interface KernelRunResult {
  readonly retval: number;
  readonly dataOut: Uint8Array;
  /** Average ns per run, as the kernel measured it. */
  readonly duration: number;
}

/** A test-run input, as `testRun` takes it. */
export interface KernelRunInput {
  readonly data?: Uint8Array;
  readonly ctx?: Uint8Array;
  readonly repeat?: number;
}

/** Kernel map names: at most 15 characters of `[A-Za-z0-9_.]` (`bpf_obj_name_cpy`). */
function kernelName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

/** `bytes` as compact hex. */
function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * An object's maps made live in the kernel, and its programs loadable.
 * Construct with `KernelObject.open`; call `close` when done.
 */
export class KernelObject {
  readonly object: BpfObject;
  /** Number of possible CPUs (the per-CPU value count). */
  readonly nCpus: number;
  /** Map fds in the object's map order. */
  readonly fds: readonly number[];
  private readonly programs: number[] = [];
  private progArraysFilled = false;
  private progArrayError: KernelError | undefined;

  private constructor(object: BpfObject, fds: number[], nCpus: number) {
    this.object = object;
    this.fds = fds;
    this.nCpus = nCpus;
  }

  /** Create every map of `object` in the kernel; a `KernelError` when one fails. */
  static open(object: BpfObject, nCpus: number): KernelObject | KernelError {
    const fds: number[] = [];
    const fail = (step: KernelError['step'], errno: number, detail: string): KernelError => {
      for (const fd of fds) k.close(fd);
      return { step, errno, detail };
    };
    for (const spec of object.maps) {
      const fd = createMap(object, spec);
      if (fd < 0) return fail('map-create', fd, mapCreateDetail(object, spec));
      fds.push(fd);
    }
    const byName = new Map(object.maps.map((m, i) => [m.name, i] as const));
    for (const [i, spec] of object.maps.entries()) {
      const fd = fds[i]!;
      if (spec.kind === 'data' && spec.initial !== undefined) {
        const value = new Uint8Array(spec.valueSize);
        value.set(spec.initial.subarray(0, value.length));
        const rc = k.mapUpdate(fd, new Uint8Array(4), value, 0);
        if (rc < 0) return fail('map-init', rc, `global data "${spec.name}"`);
        if (spec.readonly) {
          const fr = k.mapFreeze(fd);
          if (fr < 0) return fail('map-init', fr, `freeze "${spec.name}"`);
        }
      }
      // program arrays are filled when a program is first loaded (`load`)
      for (const slot of spec.type === MapType.PROG_ARRAY ? [] : spec.initialSlots ?? []) {
        const inner = byName.get(slot.symbol);
        if (inner === undefined) return fail('map-init', -2, `map "${spec.name}" slot ${slot.index}: no map "${slot.symbol}"`);
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, slot.index, true);
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, fds[inner]!, true);
        const rc = k.mapUpdate(fd, key, value, 0);
        if (rc < 0) return fail('map-init', rc, `map "${spec.name}" slot ${slot.index}`);
      }
    }
    return new KernelObject(object, fds, nCpus);
  }

  /** The fd of a map by name. */
  mapFd(name: string): number | undefined {
    const i = this.object.maps.findIndex((m) => m.name === name);
    return i < 0 ? undefined : this.fds[i];
  }

  /** `BPF_MAP_UPDATE_ELEM` on a map by name (per-CPU values: every CPU's, 8-byte rounded). 0 or `-errno`. */
  update(name: string, key: Uint8Array, value: Uint8Array, flags = 0): number {
    const fd = this.mapFd(name);
    return fd === undefined ? -2 : k.mapUpdate(fd, key, value, flags);
  }

  /** Size of a map's value as `bpf()` transfers it. */
  userValueSize(spec: MapSpec): number {
    return PERCPU.has(spec.type) ? this.nCpus * ((spec.valueSize + 7) & ~7) : spec.valueSize;
  }

  /** The instructions with map references turned into fds (`BPF_PSEUDO_MAP_FD` / `_VALUE`). */
  relocate(prog: ProgramSpec): Insn[] {
    return prog.insns.map((insn) => {
      if (insn.imm2 === undefined) return insn;
      if (insn.src === LddwSrc.MAP_IDX) return { ...insn, src: LddwSrc.MAP_FD, imm: this.fds[insn.imm] ?? -1 };
      if (insn.src === LddwSrc.MAP_IDX_VALUE) return { ...insn, src: LddwSrc.MAP_VALUE, imm: this.fds[insn.imm] ?? -1 };
      return insn;
    });
  }

  /**
   * Load the programs named by program arrays' `.maps` initialisers and
   * store their fds in the slots, as libbpf does after loading the object's
   * programs (`bpf_object__init_prog_arrays`). Runs once; its error (a
   * target the kernel refuses is a `tail-call-target` error naming it) is
   * kept and returned by every later `load`.
   */
  private fillProgramArrays(): KernelError | undefined {
    if (!this.progArraysFilled) {
      this.progArraysFilled = true;
      this.progArrayError = this.fillEachProgramArray();
    }
    return this.progArrayError;
  }

  private fillEachProgramArray(): KernelError | undefined {
    for (const [i, spec] of this.object.maps.entries()) {
      if (spec.type !== MapType.PROG_ARRAY) continue;
      for (const slot of spec.initialSlots ?? []) {
        const where = `map "${spec.name}" slot ${slot.index}`;
        const target = this.object.programs.find((p) => p.name === slot.symbol);
        if (target === undefined) return { step: 'map-init', errno: -2, detail: `${where}: no program "${slot.symbol}"` };
        const loaded = this.loadOne(target);
        if (isKernelError(loaded)) {
          return { step: 'tail-call-target', errno: loaded.errno, program: target.name, detail: `tail-call target "${target.name}" (${where}) rejected: ${loaded.detail}` };
        }
        const key = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, slot.index, true);
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, loaded.fd, true);
        const rc = k.mapUpdate(this.fds[i]!, key, value, 0);
        if (rc < 0) return { step: 'map-init', errno: rc, detail: where };
      }
    }
    return undefined;
  }

  /**
   * `BPF_PROG_LOAD` a program of the object; a `KernelError` (with the
   * verifier log's tail) when rejected. The programs of the object's program
   * arrays are loaded first: when one of them is rejected the error's step is
   * `tail-call-target` and `program` names it, not `prog`.
   */
  load(prog: ProgramSpec): KernelProgram | KernelError {
    const filled = this.fillProgramArrays();
    if (filled !== undefined) return filled;
    return this.loadOne(prog);
  }

  /** `BPF_PROG_LOAD` of one program, with func_info BTF when it has subprograms. */
  private loadOne(prog: ProgramSpec): KernelProgram | KernelError {
    const insns = encode(this.relocate(prog));
    const attr = {
      type: prog.type, insns, license: this.object.license || 'GPL', name: kernelName(prog.name),
      ...(prog.expectedAttachType !== undefined ? { expectedAttachType: prog.expectedAttachType } : {}),
    };
    let r = progLoadWithFuncInfo(attr, prog.insns, prog.funcInfo);
    // load again with a log only on failure (a log costs verifier time)
    if (r.fd < 0) r = progLoadWithFuncInfo({ ...attr, logLevel: 1, logSize: 1 << 22 }, prog.insns, prog.funcInfo);
    if (r.fd < 0) {
      const tail = r.log.trim().split('\n').slice(-3).join(' | ');
      return { step: 'prog-load', errno: r.fd, program: prog.name, detail: tail };
    }
    this.programs.push(r.fd);
    return { fd: r.fd, spec: prog, log: r.log };
  }

  /** `BPF_PROG_TEST_RUN`, on CPU 0 (per-CPU values land in slot 0, as on the host). */
  run(prog: KernelProgram, input: KernelRunInput = {}): KernelRunResult | KernelError {
    k.pinCpu(0);
    const data = input.data ?? new Uint8Array(0);
    const r = k.progTestRun(prog.fd, {
      data, dataOutSize: data.length + 4096, repeat: input.repeat ?? 1,
      ...(input.ctx !== undefined ? { ctx: input.ctx } : {}),
    });
    if (r.err < 0) return { step: 'test-run', errno: r.err, detail: `BPF_PROG_TEST_RUN of "${prog.spec.name}"` };
    return { retval: r.retval, dataOut: r.dataOut, duration: r.duration };
  }

  /** One map's contents, as `dumpMap` gives them for a host map. */
  dumpMap(index: number): MapDump {
    const spec = this.object.maps[index]!;
    const fd = this.fds[index]!;
    const type = mapTypeName(spec.type);
    const entries: MapEntryDump[] = [];
    if (!DUMPABLE.has(spec.type)) return { type, entries };
    const value = new Uint8Array(this.userValueSize(spec));
    let key: Uint8Array | undefined;
    const next = new Uint8Array(spec.keySize);
    for (let guard = 0; guard <= spec.maxEntries; guard++) {
      if (k.mapGetNextKey(fd, key, next) !== 0) break;
      key = next.slice();
      if (k.mapLookup(fd, key, value, 0) !== 0) continue;
      if (PERCPU.has(spec.type)) {
        const per = value.length / this.nCpus;
        const values: string[] = [];
        for (let c = 0; c < this.nCpus; c++) values.push(hex(value.subarray(c * per, c * per + spec.valueSize)));
        entries.push({ key: hex(key), values });
      } else {
        entries.push({ key: hex(key), value: hex(value) });
      }
    }
    return { type, entries };
  }

  /** Every map's contents by name, as `dumpMaps` gives them. */
  dumpMaps(): Record<string, MapDump> {
    const out: Record<string, MapDump> = {};
    this.object.maps.forEach((m, i) => { out[m.name] = this.dumpMap(i); });
    return out;
  }

  /** Close every program and map fd. */
  close(): void {
    for (const fd of this.programs.splice(0)) k.close(fd);
    for (const fd of this.fds) k.close(fd);
  }
}

/** Whether a result is a `KernelError`. */
export function isKernelError(x: unknown): x is KernelError {
  return typeof x === 'object' && x !== null && 'step' in x && 'errno' in x;
}

/**
 * The inner-map template of a map-in-map: the BTF definition's `innerMap`,
 * or for a legacy definition (samples/bpf's `struct bpf_load_map_def`) the
 * map its `inner_map_idx` names, an index over every legacy definition of
 * the object in order (as `verifierMaps` in src/host/verify.ts resolves it).
 */
export function innerMapOf(object: BpfObject, spec: MapSpec): MapSpec | undefined {
  if (spec.innerMap !== undefined) return spec.innerMap;
  if (spec.kind !== 'legacy' || spec.extra === undefined || spec.extra.length < 4) return undefined;
  const idx = new DataView(spec.extra.buffer, spec.extra.byteOffset, 4).getUint32(0, true);
  return object.maps.filter((m) => m.kind === 'legacy')[idx];
}

/** What a failed `BPF_MAP_CREATE` of `spec` was about. */
function mapCreateDetail(object: BpfObject, spec: MapSpec): string {
  const what = `map "${spec.name}" (${spec.typeName})`;
  if (!MAP_IN_MAP.has(spec.type)) return what;
  const inner = innerMapOf(object, spec);
  return inner === undefined ? `${what}: no inner map definition` : `${what} with inner map "${inner.name}" (${inner.typeName})`;
}

/** Create one map; map-in-map types get a temporary inner-map template fd (`-EINVAL` when there is no inner map). */
function createMap(object: BpfObject, spec: MapSpec): number {
  let inner = -1;
  if (MAP_IN_MAP.has(spec.type)) {
    const template = innerMapOf(object, spec);
    // the kernel refuses a map-in-map as an inner map (one level only)
    if (template === undefined || MAP_IN_MAP.has(template.type)) return -22;
    inner = createMap(object, template);
    if (inner < 0) return inner;
  }
  // a map-in-map's value is an fd: 4 bytes, whatever a legacy definition says
  // (samples/bpf leave it 0; bpf_create_map_in_map sets 4)
  const valueSize = MAP_IN_MAP.has(spec.type) ? 4 : spec.valueSize;
  const fd = k.mapCreate({
    type: spec.type, keySize: spec.keySize, valueSize, maxEntries: spec.maxEntries,
    flags: spec.flags, name: kernelName(spec.name),
    ...(inner >= 0 ? { innerMapFd: inner } : {}),
    ...(spec.mapExtra !== undefined ? { mapExtra: spec.mapExtra } : {}),
  });
  if (inner >= 0) k.close(inner);
  return fd;
}
