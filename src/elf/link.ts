/**
 * @file Relocations and linking: turn code sections into one linked,
 * relocated instruction array per entry program, as libbpf does
 * (`bpf_program__record_reloc`, `bpf_object__reloc_code`).
 *
 * Relocation kinds on instructions (llvm `BPFELFObjectWriter`):
 *
 * - `R_BPF_64_64` on `lddw`: a map (legacy `maps`/BTF `.maps` symbol), global
 *   data (a `.data`/`.rodata`/`.bss` symbol or section symbol, offset in
 *   `imm`), or a function (address of a callback, offset in `imm`);
 * - `R_BPF_64_32` on `call src=1`: a subprogram; the target slot is
 *   `sym.value / 8 + imm + 1` for both function and section symbols.
 *
 * Calls without a relocation are relative within their section. Each entry
 * program is its own function followed by every function it reaches,
 * transitively, in the order first reached; calls and function addresses are
 * then rewritten relative to the linked array.
 */

import { diagnostic, fail, type Diagnostic, type Location } from '../diag/index.js';
import { decode, withFields, type Insn } from '../isa/insn.js';
import { CallSrc, LddwSrc } from '../isa/opcodes.js';
import { sectionType, ProgType } from '../abi/program-types.js';
import { readRelocations, R_BPF, SHF, SHN, SHT, STB, STT, type ElfFile, type ElfSymbol, type Section } from './sections.js';
import type { MapTable } from './maps.js';
import type { BtfExt } from './btf/ext-info.js';
import type { FuncInfo, LineInfo, Origin, ProgramSpec } from './types.js';

const CALL_CODE = 0x85;
/**
 * Upper bound on the instructions of all linked programs together: each
 * program copies the subprograms it reaches, so a crafted object could ask
 * for programs × subprograms copies. The kernel takes at most 1M per program.
 */
const MAX_LINKED = 1 << 23;
const LDDW_CODE = 0x18;

/** A function: a symbol's slot range inside a code section. */
interface Func {
  readonly key: string;
  readonly name: string;
  readonly section: Section;
  /** First slot (section-relative). */
  readonly start: number;
  /** One past the last slot. */
  readonly end: number;
  readonly global: boolean;
  /** Has a FUNC symbol (vs a legacy or synthetic range). */
  readonly symbol: boolean;
}

/** What a relocation (or a relative call) makes of one instruction. */
type Ref =
  | { readonly kind: 'insn'; readonly insn: Insn; readonly symbol: string }
  | { readonly kind: 'call' | 'func'; readonly section: number; readonly slot: number; readonly symbol?: string }
  | { readonly kind: 'unresolved'; readonly symbol: string };

/** A code section: its functions and its per-slot references. */
interface Code {
  readonly section: Section;
  readonly funcs: Func[];
  /** Functions by first slot. */
  readonly starts: Map<number, Func>;
  /** Decoded instructions by section slot (lddw second halves absent). */
  readonly insns: Map<number, Insn>;
  readonly refs: Map<number, Ref>;
}

/** Swap a big-endian instruction stream into the little-endian wire layout `decode` reads. */
export function toLittleEndianInsns(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - (bytes.length % 8));
  for (let at = 0; at + 8 <= bytes.length; at += 8) {
    out[at] = bytes[at]!;
    // struct bpf_insn bitfields: dst_reg is the high nibble on big-endian.
    const regs = bytes[at + 1]!;
    out[at + 1] = ((regs & 0x0f) << 4) | (regs >> 4);
    out[at + 2] = bytes[at + 3]!; out[at + 3] = bytes[at + 2]!;
    out[at + 4] = bytes[at + 7]!; out[at + 5] = bytes[at + 6]!;
    out[at + 6] = bytes[at + 5]!; out[at + 7] = bytes[at + 4]!;
  }
  return out;
}

/** Whether a section holds code. */
export function isCodeSection(sec: Section): boolean {
  return sec.type === SHT.PROGBITS && (sec.flags & SHF.EXECINSTR) !== 0 && sec.size > 0;
}

/** Result of linking: the programs, non-fatal diagnostics, slot initialisers for `.maps`. */
export interface Linked {
  readonly programs: ProgramSpec[];
  readonly diagnostics: Diagnostic[];
}

/** Link every entry program of the object. */
export function linkPrograms(elf: ElfFile, maps: MapTable, ext: BtfExt | undefined, where: Location, textEntries = false): Linked {
  const diagnostics: Diagnostic[] = [];
  const codes = new Map<number, Code>();
  for (const sec of elf.sections) {
    if (!isCodeSection(sec)) continue;
    if (sec.size % 8 !== 0) {
      fail('ELF_BAD_SECTION', { index: sec.index, detail: `code size ${sec.size} is not a multiple of 8` }, { ...where, section: sec.name });
    }
    codes.set(sec.index, readCode(elf, sec, where));
  }
  for (const sec of elf.sections) {
    if (sec.type !== SHT.REL && sec.type !== SHT.RELA) continue;
    const target = elf.sections[sec.info];
    if (target === undefined) fail('ELF_BAD_SECTION', { index: sec.index, detail: `relocates section ${sec.info}, which does not exist` }, { ...where, section: sec.name });
    const code = codes.get(target.index);
    if (code !== undefined) applyRelocations(elf, sec, code, maps, diagnostics, where);
    else if (target.name === '.maps') recordSlots(elf, sec, maps, where);
    // .BTF, .BTF.ext, DWARF and data-section relocations are for other consumers.
  }
  // Calls without relocations are relative to their section.
  for (const code of codes.values()) {
    for (const [slot, insn] of code.insns) {
      if (code.refs.has(slot)) continue;
      if (insn.code === CALL_CODE && insn.src === CallSrc.LOCAL) {
        code.refs.set(slot, { kind: 'call', section: code.section.index, slot: slot + insn.imm + 1 });
      }
    }
  }

  // Entry programs: every function outside .text (libbpf 1.x accepts static ones too);
  // .text functions only when there is nothing else.
  const entries: Func[] = [];
  for (const code of codes.values()) {
    if (code.section.name !== '.text') entries.push(...code.funcs);
  }
  const text = [...codes.values()].find((c) => c.section.name === '.text');
  if (textEntries && text !== undefined) entries.push(...text.funcs);
  else if (entries.length === 0) {
    if (text !== undefined) {
      const globals = text.funcs.filter((f) => f.global);
      entries.push(...(globals.length > 0 ? globals : text.funcs));
    }
  }
  const programs: ProgramSpec[] = [];
  let total = 0;
  for (const f of entries) {
    const p = link(f, codes, ext, diagnostics, where);
    total += p.insns.length;
    if (total > MAX_LINKED) fail('ELF_TOO_LARGE', { what: 'linked code of all programs', count: total, limit: MAX_LINKED }, where);
    programs.push(p);
  }
  return { programs, diagnostics };
}

function readCode(elf: ElfFile, sec: Section, where: Location): Code {
  const loc: Location = { ...where, section: sec.name };
  const raw = elf.little ? sec.data : toLittleEndianInsns(sec.data);
  const insns = new Map<number, Insn>();
  for (const insn of decode(raw)) insns.set(insn.pc, insn);
  const slots = sec.size / 8;
  const syms = elf.symbolsIn(sec.index).filter((s) => s.type === STT.FUNC);
  for (const s of syms) {
    if (s.value % 8 !== 0 || s.size % 8 !== 0 || s.value + s.size > sec.size) {
      fail('ELF_BAD_SYMBOL', { index: s.index, detail: `function "${s.name}" (offset ${s.value}, size ${s.size}) is not inside section "${sec.name}" on instruction boundaries` }, loc);
    }
  }
  let starts: { name: string; start: number; size: number; global: boolean; symbol: boolean }[] = syms
    .map((s) => ({ name: s.name, start: s.value / 8, size: s.size / 8, global: s.bind !== STB.LOCAL, symbol: true }));
  if (starts.length === 0) {
    // Old objects: no FUNC symbols; a global symbol at an offset names a program, else the section does.
    const labels = elf.symbolsIn(sec.index).filter((s) => s.type === STT.NOTYPE && s.bind !== STB.LOCAL && s.value % 8 === 0 && s.value < sec.size);
    starts = labels.map((s) => ({ name: s.name, start: s.value / 8, size: 0, global: true, symbol: false }));
    if (!starts.some((s) => s.start === 0)) starts.push({ name: sec.name, start: 0, size: 0, global: true, symbol: false });
  }
  starts.sort((a, b) => a.start - b.start || b.size - a.size);
  const funcs: Func[] = [];
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!;
    if (i > 0 && starts[i - 1]!.start === s.start) continue; // aliases: keep the first
    let next = slots;
    for (let j = i + 1; j < starts.length; j++) if (starts[j]!.start > s.start) { next = starts[j]!.start; break; }
    const end = s.size > 0 ? Math.min(s.start + s.size, slots) : next;
    if (end <= s.start) continue;
    funcs.push({ key: `${sec.index}:${s.start}`, name: s.name, section: sec, start: s.start, end, global: s.global, symbol: s.symbol });
  }
  return { section: sec, funcs, starts: new Map(funcs.map((f) => [f.start, f])), insns, refs: new Map() };
}

function symbolOf(elf: ElfFile, index: number, table: Section, i: number, where: Location): ElfSymbol {
  const sym = elf.symbols[index];
  if (sym === undefined || index === 0) {
    fail('ELF_BAD_RELOC', { index: i, table: table.name, detail: `symbol ${index} does not exist` }, { ...where, section: table.name });
  }
  return sym;
}

function applyRelocations(elf: ElfFile, relSec: Section, code: Code, maps: MapTable, diagnostics: Diagnostic[], where: Location): void {
  const sec = code.section;
  const relocs = readRelocations(relSec, elf.little, where);
  relocs.forEach((rel, i) => {
    const slot = rel.offset / 8;
    const loc: Location = { ...where, section: sec.name, pc: Number.isInteger(slot) ? slot : undefined };
    const bad: (detail: string) => never = (detail) => fail('ELF_BAD_RELOC', { index: i, table: relSec.name, detail }, loc);
    // Old toolchains wrote R_BPF_NONE where R_BPF_64_64 belongs; like libbpf,
    // an lddw names its target by the symbol whatever the type says.
    if (rel.type === R_BPF.NONE && code.insns.get(slot)?.code !== LDDW_CODE) return;
    if (rel.offset % 8 !== 0 || rel.offset >= sec.size) bad(`offset 0x${rel.offset.toString(16)} is not an instruction of "${sec.name}"`);
    const insn = code.insns.get(slot);
    if (insn === undefined) bad(`offset 0x${rel.offset.toString(16)} is inside an instruction`);
    const sym = symbolOf(elf, rel.symbol, relSec, i, loc);
    const symName = sym.type === STT.SECTION ? (elf.sections[sym.shndx]?.name ?? '') : sym.name;
    if (sym.shndx === SHN.UNDEF) {
      code.refs.set(slot, { kind: 'unresolved', symbol: sym.name });
      diagnostics.push(diagnostic('ELF_UNRESOLVED', { pc: slot, symbol: sym.name }, loc, 'warning'));
      return;
    }
    const target = sym.shndx < SHN.LORESERVE ? elf.sections[sym.shndx] : undefined;
    if (target === undefined) bad(`symbol "${sym.name}" has section index 0x${sym.shndx.toString(16)}`);
    if (insn.code === CALL_CODE) {
      if (rel.type !== R_BPF.R64_32 && rel.type !== R_BPF.NODYLD32) bad(`type ${rel.type} on a call`);
      if (insn.src !== CallSrc.LOCAL) bad(`call with src ${insn.src} cannot refer to "${symName}"`);
      if (!isCodeSection(target)) fail('ELF_BAD_CALL', { pc: slot, detail: `refers to "${symName}" in section "${target.name}", which holds no code` }, loc);
      if (sym.value % 8 !== 0) bad(`function "${symName}" is not on an instruction boundary`);
      code.refs.set(slot, { kind: 'call', section: target.index, slot: sym.value / 8 + insn.imm + 1, symbol: symName });
      return;
    }
    if (insn.code !== LDDW_CODE || insn.imm2 === undefined) bad(`relocation on an instruction that is neither lddw nor call (opcode 0x${insn.code.toString(16)})`);
    if (rel.type !== R_BPF.R64_64 && rel.type !== R_BPF.NONE) bad(`type ${rel.type} on lddw`);
    const byOffset = maps.bySymbol.get(target.index);
    if (byOffset !== undefined) {
      const index = byOffset.get(sym.value + insn.imm + rel.addend);
      if (index === undefined) bad(`no map definition at offset ${sym.value + insn.imm} of "${target.name}"`);
      const name = maps.maps[index]!.name;
      code.refs.set(slot, { kind: 'insn', symbol: name, insn: withFields(insn, { src: LddwSrc.MAP_IDX, imm: index, imm2: 0 }) });
      return;
    }
    const dataMap = maps.byDataSection.get(target.index);
    if (dataMap !== undefined) {
      // libbpf RELO_DATA: insn[0].imm = map index, insn[1].imm = insn[0].imm + sym_off.
      const offset = sym.value + insn.imm + rel.addend;
      if (offset < 0 || offset > target.size) bad(`offset ${offset} is outside "${target.name}"`);
      code.refs.set(slot, { kind: 'insn', symbol: symName, insn: withFields(insn, { src: LddwSrc.MAP_IDX_VALUE, imm: dataMap, imm2: offset }) });
      return;
    }
    if (isCodeSection(target)) {
      const off = sym.value + insn.imm + rel.addend;
      if (off % 8 !== 0 || off < 0 || off >= target.size) bad(`function address ${off} is not an instruction of "${target.name}"`);
      code.refs.set(slot, { kind: 'func', section: target.index, slot: off / 8, symbol: symName });
      return;
    }
    bad(`lddw refers to "${symName}" in section "${target.name}", which is neither a map, global data nor code`);
  });
}

/** `.rel.maps`: `values = { [i] = &map_or_prog }` initialisers of map-in-map and program arrays. */
function recordSlots(elf: ElfFile, relSec: Section, maps: MapTable, where: Location): void {
  const relocs = readRelocations(relSec, elf.little, where);
  const slots = new Map<number, { index: number; symbol: string }[]>();
  relocs.forEach((rel, i) => {
    const def = maps.btfDefs.find((d) => rel.offset >= d.offset && rel.offset < d.offset + d.size);
    if (def === undefined || def.valuesOffset === undefined) return;
    const at = rel.offset - def.offset - def.valuesOffset;
    if (at < 0 || at % 8 !== 0) return;
    const sym = symbolOf(elf, rel.symbol, relSec, i, where);
    const list = slots.get(def.map) ?? [];
    list.push({ index: at / 8, symbol: sym.name });
    slots.set(def.map, list);
  });
  for (const [index, list] of slots) maps.maps[index] = { ...maps.maps[index]!, initialSlots: list };
}

/**
 * The function a call or function address lands in. A target inside the
 * calling function itself (a call the assembler resolved, with no symbol at
 * the target, as the conformance suite's objects have) stays where it is.
 */
function funcAt(codes: Map<number, Code>, section: number, slot: number, from: Location, caller?: Func): { func: Func; code: Code } {
  const code = codes.get(section);
  if (code === undefined) fail('ELF_BAD_CALL', { pc: from.pc ?? 0, detail: `targets section ${section}, which holds no code` }, from);
  const exact = code.starts.get(slot);
  if (exact !== undefined) return { func: exact, code };
  if (slot < 0 || slot >= code.section.size / 8 || !code.insns.has(slot)) {
    fail('ELF_BAD_CALL', { pc: from.pc ?? 0, detail: `targets slot ${slot} of "${code.section.name}", which is not an instruction` }, from);
  }
  const inside = code.funcs.find((f) => slot >= f.start && slot < f.end);
  if (inside !== undefined && inside === caller) return { func: inside, code };
  if (inside !== undefined && inside.symbol) {
    fail('ELF_BAD_CALL', { pc: from.pc ?? 0, detail: `targets the middle of function "${inside.name}"` }, from);
  }
  // A target with no symbol (old objects): a function from it to the next function or the end.
  let end = code.section.size / 8;
  for (const f of code.funcs) if (f.start > slot && f.start < end) end = f.start;
  const func: Func = { key: `${section}:${slot}`, name: `${code.section.name}+${slot}`, section: code.section, start: slot, end, global: false, symbol: false };
  code.funcs.push(func);
  code.starts.set(slot, func);
  return { func, code };
}

/** Records with `lo <= insnOff < hi`, from a list sorted by `insnOff` (binary search, so linking stays linear). */
function between<T extends { readonly insnOff: number }>(sorted: readonly T[] | undefined, lo: number, hi: number): readonly T[] {
  if (sorted === undefined) return [];
  const first = (x: number): number => {
    let a = 0, b = sorted.length;
    while (a < b) { const m = (a + b) >> 1; if (sorted[m]!.insnOff < x) a = m + 1; else b = m; }
    return a;
  };
  return sorted.slice(first(lo), first(hi));
}

function link(entry: Func, codes: Map<number, Code>, ext: BtfExt | undefined, diagnostics: Diagnostic[], where: Location): ProgramSpec {
  const order: { func: Func; code: Code; base: number }[] = [];
  const placed = new Map<string, number>();
  let total = 0;
  const place = (func: Func, code: Code): void => {
    placed.set(func.key, order.length);
    order.push({ func, code, base: total });
    total += func.end - func.start;
  };
  place(entry, codes.get(entry.section.index)!);
  // Breadth-first over reached functions; bounded: each function is placed once.
  for (let i = 0; i < order.length; i++) {
    const { func, code } = order[i]!;
    for (let slot = func.start; slot < func.end; slot++) {
      const ref = code.refs.get(slot);
      if (ref === undefined || (ref.kind !== 'call' && ref.kind !== 'func')) continue;
      const loc: Location = { ...where, section: code.section.name, program: entry.name, pc: slot };
      const t = funcAt(codes, ref.section, ref.slot, loc, func);
      if (!placed.has(t.func.key)) place(t.func, t.code);
    }
  }
  const insns: Insn[] = [];
  const origins: Origin[] = [];
  const funcInfo: FuncInfo[] = [];
  const lineInfo: LineInfo[] = [];
  let coreReloCount = 0;
  for (const { func, code, base } of order) {
    const secName = code.section.name;
    const lo = func.start * 8, hi = func.end * 8;
    const fi = between(ext?.funcInfo.get(secName), lo, lo + 1)[0];
    funcInfo.push({ name: func.name, pc: base, length: func.end - func.start, ...(fi !== undefined ? { btfTypeId: fi.typeId } : {}) });
    for (const li of between(ext?.lineInfo.get(secName), lo, hi)) {
      lineInfo.push({ pc: base + li.insnOff / 8 - func.start, file: li.file, line: li.line, column: li.column, text: li.text });
    }
    coreReloCount += between(ext?.coreRelos.get(secName), lo, hi).length;
    for (let slot = func.start; slot < func.end; slot++) {
      let insn = code.insns.get(slot);
      if (insn === undefined) continue;
      const pc = base + slot - func.start;
      if (slot + (insn.imm2 !== undefined ? 2 : 1) > func.end) {
        fail('ELF_BAD_PROGRAM', { name: func.name, detail: `lddw at pc ${pc} is split by the end of the function` }, { ...where, section: secName, program: entry.name, pc });
      }
      const ref = code.refs.get(slot);
      if (ref !== undefined) {
        if (ref.kind === 'insn') insn = withFields(ref.insn, { meta: { symbol: ref.symbol } });
        else if (ref.kind === 'unresolved') insn = withFields(insn, { meta: { symbol: ref.symbol } });
        else {
          const t = funcAt(codes, ref.section, ref.slot, { ...where, section: secName, pc: slot }, func);
          const target = order[placed.get(t.func.key)!]!;
          const rel = target.base + (ref.slot - t.func.start) - pc - 1;
          insn = ref.kind === 'call'
            ? withFields(insn, { imm: rel, ...(ref.symbol !== undefined ? { meta: { symbol: ref.symbol } } : {}) })
            : withFields(insn, { src: LddwSrc.FUNC, imm: rel, imm2: 0, ...(ref.symbol !== undefined ? { meta: { symbol: ref.symbol } } : {}) });
        }
      }
      insns.push(withFields(insn, { pc }));
      origins.push({ section: secName, pc: slot });
    }
  }
  lineInfo.sort((a, b) => a.pc - b.pc);
  const st = entry.section.name === '.text' ? { type: ProgType.UNSPEC } : sectionType(entry.section.name);
  void diagnostics;
  return {
    name: entry.name, section: entry.section.name, type: st.type,
    ...('expectedAttachType' in st && st.expectedAttachType !== undefined ? { expectedAttachType: st.expectedAttachType } : {}),
    ...('attachTo' in st && st.attachTo !== undefined ? { attachTo: st.attachTo } : {}),
    insns, origins, funcInfo, lineInfo, coreReloCount, global: entry.global,
  };
}
