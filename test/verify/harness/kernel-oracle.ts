/**
 * @file The Linux kernel as a verdict oracle for the verifier: a program's
 * verdict from `BPF_PROG_LOAD` with the last line of the kernel's log, the
 * maps of the verifier cases (`VerifyMap`s) created with `bpf()`, and `lddw`
 * map references patched to their fds as libbpf does, and object maps given
 * the sizes libbpf gives them before `BPF_MAP_CREATE`.
 */

import * as k from '../../../runtimes/node/bpf-syscall.js';
import { progLoadWithFuncInfo } from '../../../runtimes/node/kernel-btf.js';
import { MapFlag, MapType } from '../../../src/abi/map-types.js';
import { encode, type Insn } from '../../../src/isa/insn.js';
import { LddwSrc } from '../../../src/isa/opcodes.js';
import type { BpfObject, FuncInfo, MapSpec } from '../../../src/elf/index.js';
import type { VerifyMap } from '../../../src/verify/index.js';

/** The kernel's verdict on one program. */
export interface KernelVerdict {
  readonly verdict: 'accepted' | 'rejected';
  /** `-errno` of the rejected load, 0 when accepted. */
  readonly errno: number;
  /** Last non-empty line of the verifier log (empty when accepted). */
  readonly message: string;
  /** The whole level-1 log of a rejected load. */
  readonly log: string;
}

/** What `BPF_PROG_LOAD` needs besides the instructions. */
export interface LoadAttr {
  readonly type: number;
  readonly expectedAttachType?: number;
  readonly license?: string;
  readonly name?: string;
  /**
   * The program's functions (`ProgramSpec.funcInfo`); without them the
   * function starts come from the call targets. A program with more than one
   * function is loaded with func_info BTF, every function static.
   */
  readonly funcInfo?: readonly FuncInfo[];
}

/**
 * The last non-empty line of a verifier log, before the statistics the
 * kernel appends (`processed N insns (limit ...) ...`).
 */
export function lastLogLine(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^processed \d+ insns \(limit/.test(l));
  return lines[lines.length - 1] ?? '';
}

/**
 * Load `insns` (map references already fds) and close the program again. A
 * rejected load is repeated with a level-1 log (the kernel keeps the log's
 * tail when it overflows the buffer). Programs with subprograms get the
 * func_info BTF of `runtimes/node/kernel-btf.ts`.
 */
export function kernelVerdict(insns: readonly Insn[], attr: LoadAttr): KernelVerdict {
  const base = {
    type: attr.type, insns: encode(insns), license: attr.license ?? 'GPL', name: (attr.name ?? '').replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15),
    ...(attr.expectedAttachType !== undefined ? { expectedAttachType: attr.expectedAttachType } : {}),
  };
  const load = (a: k.ProgLoadAttr): { fd: number; log: string } => progLoadWithFuncInfo(a, insns, attr.funcInfo);
  const quiet = load(base);
  if (quiet.fd >= 0) {
    k.close(quiet.fd);
    return { verdict: 'accepted', errno: 0, message: '', log: '' };
  }
  const logged = load({ ...base, logLevel: 1, logSize: 1 << 22 });
  if (logged.fd >= 0) {
    // accepted on the second attempt: report the first errno as a loader condition
    k.close(logged.fd);
    return { verdict: 'rejected', errno: quiet.fd, message: `errno ${-quiet.fd} without a log, accepted with one`, log: '' };
  }
  return { verdict: 'rejected', errno: logged.fd, message: lastLogLine(logged.log) || `errno ${-logged.fd}, empty log`, log: logged.log };
}

const MAP_TYPES: ReadonlyMap<string, number> = new Map(Object.entries(MapType).map(([name, v]) => [name.toLowerCase(), v]));

/** Verifier maps created in the kernel; `close` releases them. */
export interface KernelMaps {
  readonly fds: readonly number[];
  close(): void;
}

/**
 * Create `maps` in the kernel in order: read-only maps get
 * `BPF_F_RDONLY_PROG`, their initial value at key 0, and are frozen (libbpf's
 * `.rodata`). A string names the map that failed.
 */
export function createVerifyMaps(maps: readonly VerifyMap[]): KernelMaps | string {
  const fds: number[] = [];
  const close = (): void => { for (const fd of fds.splice(0)) k.close(fd); };
  for (const [i, m] of maps.entries()) {
    const type = typeof m.type === 'number' ? m.type : MAP_TYPES.get(m.type);
    if (type === undefined) { close(); return `map ${i}: unknown type ${m.type}`; }
    const fd = k.mapCreate({
      type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
      flags: m.readonly === true ? MapFlag.RDONLY_PROG : 0, name: `case_map_${i}`,
    });
    if (fd < 0) { close(); return `map ${i} (${m.type}): BPF_MAP_CREATE errno ${-fd}`; }
    fds.push(fd);
    if (m.readonly === true) {
      const value = new Uint8Array(m.valueSize);
      if (m.initial !== undefined) value.set(m.initial.subarray(0, value.length));
      const rc = k.mapUpdate(fd, new Uint8Array(4), value, 0);
      const fr = rc < 0 ? rc : k.mapFreeze(fd);
      if (fr < 0) { close(); return `map ${i} (${m.type}): initialising or freezing failed with errno ${-fr}`; }
    }
  }
  return { fds, close };
}

/**
 * The instructions with map references turned into fds, as libbpf's
 * `bpf_object__relocate_data` does: map index (src 5, and src 1 holding an
 * index) becomes `BPF_PSEUDO_MAP_FD`, map value (src 6) `BPF_PSEUDO_MAP_VALUE`
 * with the offset kept in the second slot. A string names a reference with
 * no map behind it.
 */
export function patchMapRefs(insns: readonly Insn[], fds: readonly number[]): Insn[] | string {
  const out: Insn[] = [];
  for (const insn of insns) {
    if (insn.imm2 === undefined || (insn.src !== LddwSrc.MAP_IDX && insn.src !== LddwSrc.MAP_FD && insn.src !== LddwSrc.MAP_IDX_VALUE)) { out.push(insn); continue; }
    const fd = fds[insn.imm];
    if (fd === undefined) return `pc ${insn.pc}: lddw names map ${insn.imm}, which the kernel side does not have`;
    out.push({ ...insn, src: insn.src === LddwSrc.MAP_IDX_VALUE ? LddwSrc.MAP_VALUE : LddwSrc.MAP_FD, imm: fd });
  }
  return out;
}

/**
 * `object` with the map definitions libbpf adjusts before creating them:
 * a perf event array with `max_entries` 0 gets one slot per possible CPU
 * (`map_set_def_max_entries`) and 4-byte keys and values (an fd array), and
 * a ring buffer no key or value size (its `__type(value, ...)` only
 * documents the records). The verifier sees the original definitions.
 */
export function withLibbpfMapDefaults(object: BpfObject, nCpus: number): BpfObject {
  const adjust = (m: MapSpec): MapSpec => {
    if (m.type === MapType.PERF_EVENT_ARRAY) return { ...m, keySize: 4, valueSize: 4, maxEntries: m.maxEntries || nCpus };
    if (m.type === MapType.RINGBUF) return { ...m, keySize: 0, valueSize: 0 };
    return m;
  };
  return { ...object, maps: object.maps.map(adjust) };
}
