/**
 * @file The output contract of the ELF stage: what `loadObject` returns.
 *
 * Shapes follow cilium/ebpf's `CollectionSpec` (`ProgramSpec`, `MapSpec`):
 * plain data, nothing loaded anywhere yet. Programs are already linked the way
 * libbpf links them (`bpf_object__relocate`): each entry program is its own
 * function followed by every subprogram it reaches, with call and map
 * references rewritten:
 *
 * - `lddw` of a map: `src = BPF_PSEUDO_MAP_IDX (5)`, `imm` = index in `maps`;
 * - `lddw` of global data: `src = BPF_PSEUDO_MAP_IDX_VALUE (6)`, `imm` = map
 *   index, `imm2` = byte offset in the map value;
 * - `lddw` of a function: `src = BPF_PSEUDO_FUNC (4)`, `imm` = target pc
 *   relative to the next instruction;
 * - `call` of a subprogram: `src = 1`, `imm` = target pc relative to the next
 *   instruction, in the linked array.
 *
 * Program counters (`pc`) count 8-byte slots, so an `lddw` takes two.
 */

import type { Insn } from '../isa/insn.js';
import type { Diagnostic, SourceLine } from '../diag/index.js';
import type { Btf } from './btf/types.js';

/** Where a linked instruction came from in the object file. */
export interface Origin {
  /** ELF section name holding the instruction. */
  readonly section: string;
  /** Slot index of the instruction inside that section. */
  readonly pc: number;
}

/** A BTF line-info record mapped onto a linked program. */
export interface LineInfo {
  /** Linked pc the record starts at. */
  readonly pc: number;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The source line's text, as clang stored it. */
  readonly text: string;
}

/** A function inside a linked program: the entry itself or a subprogram. */
export interface FuncInfo {
  /** Function symbol name (or `<section>+<pc>` for an unnamed target). */
  readonly name: string;
  /** Linked pc of its first instruction. */
  readonly pc: number;
  /** Number of slots. */
  readonly length: number;
  /** BTF `FUNC` type id from `.BTF.ext` func_info, when present. */
  readonly btfTypeId?: number;
}

/** One program: an entry function, linked with its subprograms. */
export interface ProgramSpec {
  /** Function symbol name (the section name for symbol-less legacy sections). */
  readonly name: string;
  /** ELF section name (`xdp`, `kprobe/sys_open`). */
  readonly section: string;
  /** Program type (`ProgType` in `src/abi/program-types.ts`); `UNSPEC` if the section name says nothing. */
  readonly type: number;
  /** Expected attach type (`AttachType`), when the section name implies one. */
  readonly expectedAttachType?: number;
  /** Attach target from the section name (`sys_open` for `kprobe/sys_open`). */
  readonly attachTo?: string;
  /** Linked, relocated instructions; `insns[i].pc` is its linked slot index. */
  readonly insns: readonly Insn[];
  /** Where each instruction came from; parallel to `insns`. */
  readonly origins: readonly Origin[];
  /** The entry function and the subprograms, in linked order. */
  readonly funcInfo: readonly FuncInfo[];
  /** BTF line info, sorted by pc; empty without `.BTF.ext`. */
  readonly lineInfo: readonly LineInfo[];
  /** Number of CO-RE relocation records that apply to this program. */
  readonly coreReloCount: number;
  /** Global (non-static) entry symbol. */
  readonly global: boolean;
}

/** One map definition: BTF `.maps`, legacy `maps`, or a global-data section. */
export interface MapSpec {
  /** Symbol name, or the section name for global data (`.rodata`, `.data.custom`). */
  readonly name: string;
  /** Kernel map type (`MapType` in `src/abi/map-types.ts`). */
  readonly type: number;
  /** Lower-case map type name (`hash`, `array`). */
  readonly typeName: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** `BPF_F_*` flags. */
  readonly flags: number;
  /** Inner map template for array/hash of maps. */
  readonly innerMap?: MapSpec;
  /** `LIBBPF_PIN_*` (0 none, 1 by name); for legacy maps, the `pinning` field of iproute2's layout when present. */
  readonly pinning: number;
  /** `numa_node` from a BTF definition, when given. */
  readonly numaNode?: number;
  /** `map_extra` from a BTF definition, when given. */
  readonly mapExtra?: bigint;
  /** Initial value (global data: the section's bytes, zero for `.bss`). */
  readonly initial?: Uint8Array;
  /** Initial slots of a map-in-map or program array (`values = { [i] = &x }`): slot → symbol. */
  readonly initialSlots?: readonly { readonly index: number; readonly symbol: string }[];
  /** `.rodata*` maps: frozen after load, read-only to programs. */
  readonly readonly: boolean;
  /** Where the definition came from. */
  readonly kind: 'btf' | 'legacy' | 'data';
  /** ELF section holding the definition. */
  readonly section: string;
  /** Legacy map definitions: bytes beyond the five standard fields. */
  readonly extra?: Uint8Array;
  /** BTF key type id, when known. */
  readonly btfKeyTypeId?: number;
  /** BTF value type id, when known. */
  readonly btfValueTypeId?: number;
}

/** A loaded object file: the programs and maps it defines, not yet loaded anywhere. */
export interface BpfObject {
  /** Input file name as the caller gave it. */
  readonly file?: string;
  /** The `license` section, up to its first NUL; empty when absent. */
  readonly license: string;
  /** The `version` section (u32), when present. */
  readonly kernelVersion?: number;
  /** Byte order of the object. */
  readonly endian: 'little' | 'big';
  readonly programs: readonly ProgramSpec[];
  readonly maps: readonly MapSpec[];
  /** Parsed `.BTF`, when present. */
  readonly btf?: Btf;
  /** Non-fatal problems (unresolved externs, ignored relocations). */
  readonly diagnostics: readonly Diagnostic[];
}

export type { SourceLine };
