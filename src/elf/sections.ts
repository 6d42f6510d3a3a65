/**
 * @file ELF64 structure: the file header, section headers, string tables and
 * the symbol table (System V gABI, "Object Files"; `include/uapi/linux/elf.h`).
 *
 * ```
 *  Elf64_Ehdr (64 bytes)                 Elf64_Shdr (64 bytes)
 *  0  e_ident[16]  magic, class, data    0  sh_name     u32   32 sh_size      u64
 *  16 e_type u16   18 e_machine u16      4  sh_type     u32   40 sh_link      u32
 *  20 e_version u32                      8  sh_flags    u64   44 sh_info      u32
 *  40 e_shoff u64                        16 sh_addr     u64   48 sh_addralign u64
 *  58 e_shentsize u16  60 e_shnum u16    24 sh_offset   u64   56 sh_entsize   u64
 *  62 e_shstrndx u16
 *
 *  Elf64_Sym (24 bytes): 0 st_name u32, 4 st_info u8, 5 st_other u8,
 *                        6 st_shndx u16, 8 st_value u64, 16 st_size u64
 * ```
 */

import { fail, type Location } from '../diag/index.js';
import { Reader } from './reader.js';

/** Section types (`SHT_*`). */
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
/** Section flags (`SHF_*`). */
export const SHF = { WRITE: 1, ALLOC: 2, EXECINSTR: 4 } as const;
/** Symbol types (`STT_*`). */
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
/** Symbol bindings (`STB_*`). */
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
/** Special section indices (`SHN_*`). */
export const SHN = { UNDEF: 0, LORESERVE: 0xff00, ABS: 0xfff1, COMMON: 0xfff2, XINDEX: 0xffff } as const;

/** `EM_BPF`. */
export const EM_BPF = 247;

/** Upper bounds that keep every loop proportional to the input size. */
const MAX_SECTIONS = 1 << 16;

/** One section header, with its name resolved. */
export interface Section {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  /** File offset of the contents. */
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
  /** Contents (empty for `SHT_NOBITS`). */
  readonly data: Uint8Array;
}

/** One symbol, with its name resolved. */
export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly bind: number;
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

/** The structural view of an ELF file. */
export interface ElfFile {
  readonly reader: Reader;
  readonly little: boolean;
  readonly sections: readonly Section[];
  readonly symbols: readonly ElfSymbol[];
  /** Symbols by the section index they are defined in. */
  readonly symbolsIn: (section: number) => readonly ElfSymbol[];
  /** The first section with this name. */
  readonly section: (name: string) => Section | undefined;
}

/** Parse the header, section headers and symbol table of an ELF64 BPF relocatable object. */
export function readElf(bytes: Uint8Array, where: Location): ElfFile {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail('ELF_NOT_ELF', {}, { ...where, offset: 0 });
  }
  const probe = new Reader(bytes, true, where);
  const cls = probe.u8(4, 'ELF identification');
  if (cls !== 2) fail('ELF_BAD_CLASS', { found: cls }, { ...where, offset: 4 });
  const data = probe.u8(5, 'ELF identification');
  if (data !== 1 && data !== 2) fail('ELF_BAD_ENDIAN', { found: data }, { ...where, offset: 5 });
  const r = new Reader(bytes, data === 1, where);
  r.check(0, 64, 'ELF header');
  const type = r.u16(16, 'ELF header');
  if (type !== 1) fail('ELF_BAD_TYPE', { found: type }, { ...where, offset: 16 });
  const machine = r.u16(18, 'ELF header');
  // Old LLVM wrote EM_NONE; libbpf accepts it (bpf_object__elf_init).
  if (machine !== EM_BPF && machine !== 0) fail('ELF_BAD_MACHINE', { found: machine }, { ...where, offset: 18 });
  const shoff = r.u64(40, 'ELF header');
  const shentsize = r.u16(58, 'ELF header');
  let shnum = r.u16(60, 'ELF header');
  let shstrndx = r.u16(62, 'ELF header');
  if (shoff === 0) fail('ELF_BAD_HEADER', { detail: 'no section header table' }, { ...where, offset: 40 });
  if (shentsize !== 64) fail('ELF_BAD_HEADER', { detail: `e_shentsize is ${shentsize}, expected 64` }, { ...where, offset: 58 });
  // gABI extended numbering: counts that do not fit 16 bits live in section 0.
  if (shnum === 0) shnum = r.u64(shoff + 32, 'section header 0');
  if (shstrndx === SHN.XINDEX) shstrndx = r.u32(shoff + 40, 'section header 0');
  if (shnum > MAX_SECTIONS) fail('ELF_TOO_LARGE', { what: 'section count', count: shnum, limit: MAX_SECTIONS }, { ...where, offset: 60 });
  r.check(shoff, shnum * 64, 'section header table');

  interface Raw { name: number; type: number; flags: number; offset: number; size: number; link: number; info: number; entsize: number }
  const raw: Raw[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * 64;
    raw.push({
      name: r.u32(at, 'section header'),
      type: r.u32(at + 4, 'section header'),
      flags: Number(r.u64big(at + 8, 'section header') & 0xffffffffn),
      offset: r.u64(at + 24, 'section header'),
      size: r.u64(at + 32, 'section header'),
      link: r.u32(at + 40, 'section header'),
      info: r.u32(at + 44, 'section header'),
      entsize: r.u64(at + 56, 'section header'),
    });
  }
  if (shstrndx >= shnum) fail('ELF_BAD_HEADER', { detail: `section name table index ${shstrndx} is out of range` }, { ...where, offset: 62 });
  const shstr = raw[shstrndx]!;
  const shstrData = shstr.type === SHT.NOBITS ? new Uint8Array(0) : r.slice(shstr.offset, shstr.size, 'section name table');
  const shstrReader = new Reader(shstrData, r.little, where);

  const sections: Section[] = raw.map((s, index) => {
    const name = index === 0 ? '' : shstrReader.cstring(s.name);
    if (name === undefined) fail('ELF_BAD_STRING', { offset: s.name.toString(16), table: '.shstrtab' }, { ...where, offset: shoff + index * 64 });
    const hasData = s.type !== SHT.NOBITS && s.type !== SHT.NULL;
    if (hasData) r.check(s.offset, s.size, `section "${name}"`);
    return {
      index, name, type: s.type, flags: s.flags, offset: s.offset, size: s.size,
      link: s.link, info: s.info, entsize: s.entsize,
      data: hasData ? r.slice(s.offset, s.size, `section "${name}"`) : new Uint8Array(0),
    };
  });

  const symtabs = sections.filter((s) => s.type === SHT.SYMTAB);
  if (symtabs.length > 1) fail('ELF_BAD_HEADER', { detail: 'more than one symbol table' }, where);
  const symbols = symtabs.length === 1 ? readSymbols(symtabs[0]!, sections, r.little, where) : [];
  const bySection = new Map<number, ElfSymbol[]>();
  for (const sym of symbols) {
    const list = bySection.get(sym.shndx);
    if (list === undefined) bySection.set(sym.shndx, [sym]); else list.push(sym);
  }
  const byName = new Map<string, Section>();
  for (const sec of sections) if (!byName.has(sec.name)) byName.set(sec.name, sec);
  return {
    reader: r, little: r.little, sections, symbols,
    symbolsIn: (index) => bySection.get(index) ?? [],
    section: (name) => byName.get(name),
  };
}

function readSymbols(symtab: Section, sections: readonly Section[], little: boolean, where: Location): ElfSymbol[] {
  const loc: Location = { ...where, section: symtab.name };
  if (symtab.entsize !== 24) fail('ELF_BAD_SECTION', { index: symtab.index, detail: `symbol entry size is ${symtab.entsize}, expected 24` }, loc);
  const strtab = sections[symtab.link];
  if (strtab === undefined || strtab.type !== SHT.STRTAB) {
    fail('ELF_BAD_SECTION', { index: symtab.index, detail: `sh_link ${symtab.link} is not a string table` }, loc);
  }
  const strs = new Reader(strtab.data, little, { ...where, section: strtab.name });
  const r = new Reader(symtab.data, little, loc);
  const count = Math.floor(symtab.size / 24);
  const out: ElfSymbol[] = [];
  for (let index = 0; index < count; index++) {
    const at = index * 24;
    const nameOff = r.u32(at, 'symbol');
    const name = strs.cstring(nameOff);
    if (name === undefined) fail('ELF_BAD_STRING', { offset: nameOff.toString(16), table: strtab.name }, { ...loc, offset: symtab.offset + at });
    const info = r.u8(at + 4, 'symbol');
    out.push({
      index, name,
      type: info & 0xf,
      bind: info >> 4,
      shndx: r.u16(at + 6, 'symbol'),
      value: r.u64(at + 8, 'symbol'),
      size: r.u64(at + 16, 'symbol'),
    });
  }
  return out;
}

/** One relocation entry (`Elf64_Rel` or `Elf64_Rela`). */
export interface Relocation {
  /** Byte offset in the target section. */
  readonly offset: number;
  readonly type: number;
  readonly symbol: number;
  /** `Elf64_Rela` addend; 0 for `Elf64_Rel`. */
  readonly addend: number;
}

/** BPF relocation types (`R_BPF_*`, llvm `ELFRelocs/BPF.def`). */
export const R_BPF = { NONE: 0, R64_64: 1, ABS64: 2, ABS32: 3, NODYLD32: 4, R64_32: 10 } as const;

/** Read a `SHT_REL` or `SHT_RELA` section. */
export function readRelocations(sec: Section, little: boolean, where: Location): Relocation[] {
  const rela = sec.type === SHT.RELA;
  const size = rela ? 24 : 16;
  const loc: Location = { ...where, section: sec.name };
  if (sec.entsize !== 0 && sec.entsize !== size) {
    fail('ELF_BAD_SECTION', { index: sec.index, detail: `relocation entry size is ${sec.entsize}, expected ${size}` }, loc);
  }
  const r = new Reader(sec.data, little, loc);
  const count = Math.floor(sec.size / size);
  const out: Relocation[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * size;
    const info = r.u64big(at + 8, 'relocation');
    const addend = rela ? r.i64big(at + 16, 'relocation') : 0n;
    out.push({
      offset: r.u64(at, 'relocation'),
      type: Number(info & 0xffffffffn),
      symbol: Number(info >> 32n),
      addend: addend > 0x7fffffffn || addend < -0x80000000n ? Number.MAX_SAFE_INTEGER : Number(addend),
    });
  }
  return out;
}
