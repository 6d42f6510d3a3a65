/**
 * @file The minimal BTF a multi-function program needs to load in the
 * kernel: one `FUNC` per function and the `bpf_func_info` records naming
 * where each starts. Without them the kernel refuses callbacks (`bpf_loop`,
 * `bpf_for_each_map_elem`, timers) with "missing btf func_info".
 *
 * The blob follows include/uapi/linux/btf.h: a `struct btf_header` (magic
 * 0xeb9f, version 1), the type section, the string section. Its types:
 *
 * - `[1] INT int` (4 bytes, signed);
 * - `[2] FUNC_PROTO` returning `int`, no parameters: for a static function
 *   the kernel takes the argument registers as the caller left them and only
 *   checks that the return type is a scalar (`check_btf_func`);
 * - `[3..] FUNC` with `BTF_FUNC_STATIC` linkage, one per function, named
 *   after it (as a C identifier).
 *
 * Every function is static, so the kernel verifies subprograms in their
 * caller's context, as it does when no BTF is sent at all.
 */

import type { FuncInfo } from '../../src/elf/types.js';
import { rowOf, type Insn } from '../../src/isa/insn.js';
import { CallSrc, LddwSrc } from '../../src/isa/opcodes.js';
import * as k from './bpf-syscall.js';

/** `struct btf_header` constants. */
const BTF_MAGIC = 0xeb9f;
const BTF_VERSION = 1;
const BTF_HEADER_LEN = 24;
/** `BTF_KIND_*` values used here. */
const BtfKind = { INT: 1, FUNC: 12, FUNC_PROTO: 13 } as const;
/** `BTF_INT_SIGNED` in the INT encoding bits. */
const BTF_INT_SIGNED = 1;
/** `BTF_FUNC_STATIC` (the FUNC's vlen holds its linkage). */
const BTF_FUNC_STATIC = 0;
/** Type ids: the `int`, the prototype, then the first `FUNC`. */
const INT_ID = 1;
const PROTO_ID = 2;
const FIRST_FUNC_ID = 3;
/** `sizeof(struct bpf_func_info)`. */
export const FUNC_INFO_REC_SIZE = 8;
/** `KSYM_NAME_LEN` minus the NUL: the longest name the kernel takes. */
const MAX_NAME = 127;

/** Where a function of a linked program starts, and what to call it. */
export interface FuncStart {
  /** Slot index of its first instruction. */
  readonly pc: number;
  readonly name: string;
}

/** The BTF blob and the `bpf_func_info` records for one program. */
export interface FuncBtf {
  readonly btf: Uint8Array;
  /** Packed `{ insn_off, type_id }` records, sorted by `insn_off`. */
  readonly funcInfo: Uint8Array;
}

/** `name` as a valid C identifier (`btf_name_valid_identifier`). */
export function cIdentifier(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, MAX_NAME);
  return s === '' || /^[0-9]/.test(s) ? `f_${s}`.slice(0, MAX_NAME) : s;
}

/**
 * Targets of bpf-to-bpf calls (`call` with `src = 1`) and of function
 * addresses (`lddw` with `src = BPF_PSEUDO_FUNC`): the subprogram starts the
 * kernel finds (`add_subprog_and_kfunc`), both at `pc + 1 + imm`.
 */
export function callTargets(insns: readonly Insn[]): Set<number> {
  const out = new Set<number>();
  for (const insn of insns) {
    const row = rowOf(insn);
    if (row === undefined) continue;
    const local = row.kind === 'call' && insn.src === CallSrc.LOCAL;
    const func = row.kind === 'lddw' && insn.src === LddwSrc.FUNC;
    if (local || func) out.add(insn.pc + 1 + insn.imm);
  }
  return out;
}

/**
 * Every function of a linked program, sorted, the entry at pc 0: the
 * program's `funcInfo` with the call targets added (assembled programs have
 * no `funcInfo`), named after `funcInfo` where it knows the function.
 */
export function functionStarts(insns: readonly Insn[], funcInfo: readonly FuncInfo[] = []): FuncStart[] {
  const names = new Map(funcInfo.map((f) => [f.pc, f.name] as const));
  const pcs = new Set<number>([0, ...funcInfo.map((f) => f.pc), ...callTargets(insns)]);
  return [...pcs].sort((a, b) => a - b).map((pc) => ({ pc, name: names.get(pc) ?? `func_${pc}` }));
}

/** An append-only string section; offset 0 is the empty string. */
class Strings {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private size = 1;
  private readonly offsets = new Map<string, number>();

  add(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    const bytes = new TextEncoder().encode(`${s}\0`);
    const off = this.size;
    this.parts.push(bytes);
    this.size += bytes.length;
    this.offsets.set(s, off);
    return off;
  }

  bytes(): Uint8Array {
    return concat(this.parts);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Little-endian u32 words as bytes. */
function words(...ws: number[]): Uint8Array {
  const out = new Uint8Array(ws.length * 4);
  const v = new DataView(out.buffer);
  ws.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return out;
}

/** A `struct btf_type`'s `info` word. */
function info(kind: number, vlen: number): number {
  return (kind << 24) | (vlen & 0xffff);
}

/** The type section: `int`, the prototype, one static `FUNC` per function. */
function typeSection(funcs: readonly FuncStart[], strings: Strings): Uint8Array {
  const parts: Uint8Array[] = [
    words(strings.add('int'), info(BtfKind.INT, 0), 4, (BTF_INT_SIGNED << 24) | 32),
    words(0, info(BtfKind.FUNC_PROTO, 0), INT_ID),
  ];
  for (const f of funcs) parts.push(words(strings.add(cIdentifier(f.name)), info(BtfKind.FUNC, BTF_FUNC_STATIC), PROTO_ID));
  return concat(parts);
}

/** The BTF blob and `bpf_func_info` records describing `funcs` (sorted, the first at pc 0). */
export function buildFuncBtf(funcs: readonly FuncStart[]): FuncBtf {
  if (funcs.length === 0 || funcs[0]!.pc !== 0) throw new Error('func_info: the first function must start at pc 0');
  const strings = new Strings();
  const types = typeSection(funcs, strings);
  const strs = strings.bytes();
  const header = new Uint8Array(BTF_HEADER_LEN);
  const h = new DataView(header.buffer);
  h.setUint16(0, BTF_MAGIC, true);
  h.setUint8(2, BTF_VERSION);
  h.setUint32(4, BTF_HEADER_LEN, true);
  h.setUint32(8, 0, true);
  h.setUint32(12, types.length, true);
  h.setUint32(16, types.length, true);
  h.setUint32(20, strs.length, true);
  const funcInfo = words(...funcs.flatMap((f, i) => [f.pc, FIRST_FUNC_ID + i]));
  return { btf: concat([header, types, strs]), funcInfo };
}

/** The `BPF_PROG_LOAD` attributes this file adds, with the BTF fd to close after loading. */
export interface LoadedFuncBtf {
  readonly progBtfFd: number;
  readonly funcInfo: Uint8Array;
  readonly funcInfoRecSize: number;
}

/**
 * Load the BTF for a program's functions: `undefined` for a single-function
 * program (it loads without BTF), else the fd and records, or `-errno` with
 * the kernel's BTF log when `BPF_BTF_LOAD` refuses the blob.
 */
export function loadFuncBtf(insns: readonly Insn[], funcInfo: readonly FuncInfo[] = []): LoadedFuncBtf | { errno: number; log: string } | undefined {
  const funcs = functionStarts(insns, funcInfo);
  if (funcs.length < 2) return undefined;
  const built = buildFuncBtf(funcs);
  const r = k.btfLoad({ btf: built.btf });
  if (r.fd >= 0) return { progBtfFd: r.fd, funcInfo: built.funcInfo, funcInfoRecSize: FUNC_INFO_REC_SIZE };
  const logged = k.btfLoad({ btf: built.btf, logLevel: 1 });
  if (logged.fd >= 0) k.close(logged.fd);
  return { errno: r.fd, log: logged.log };
}

/**
 * `BPF_PROG_LOAD` of `attr`, with the func_info BTF of `insns` (the decoded
 * form of `attr.insns`) when the program has more than one function. The BTF
 * fd is closed after the load (the program keeps its own reference). A
 * refused BTF comes back as the load's `-errno` with the BTF log, its last
 * line "BPF_BTF_LOAD of the func_info BTF failed (errno N)".
 */
export function progLoadWithFuncInfo(attr: k.ProgLoadAttr, insns: readonly Insn[], funcInfo: readonly FuncInfo[] = []): { fd: number; log: string } {
  const btf = loadFuncBtf(insns, funcInfo);
  if (btf === undefined) return k.progLoad(attr);
  if ('errno' in btf) return { fd: btf.errno, log: `${btf.log.trim()}\nBPF_BTF_LOAD of the func_info BTF failed (errno ${-btf.errno})` };
  try {
    return k.progLoad({ ...attr, ...btf });
  } finally {
    k.close(btf.progBtfFd);
  }
}
