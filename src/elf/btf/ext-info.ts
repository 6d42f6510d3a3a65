/**
 * @file Decode `.BTF.ext`: per-section func_info, line_info and CO-RE
 * relocation records (`tools/lib/bpf/libbpf_internal.h`, `struct btf_ext_header`).
 *
 * ```
 *  header: u16 magic 0xeB9F; u8 version; u8 flags; u32 hdr_len;
 *          u32 func_info_off, func_info_len, line_info_off, line_info_len;
 *          [u32 core_relo_off, core_relo_len]          (hdr_len >= 32)
 *  each info block: u32 rec_size, then repeated
 *          { u32 sec_name_off; u32 num_info; rec_size * num_info bytes }
 *  bpf_func_info      { u32 insn_off; u32 type_id; }
 *  bpf_line_info      { u32 insn_off; u32 file_name_off; u32 line_off; u32 line_col; }
 *  bpf_core_relo      { u32 insn_off; u32 type_id; u32 access_str_off; u32 kind; }
 * ```
 *
 * In an object file `insn_off` is a byte offset within the named section;
 * names and file names are offsets into the `.BTF` string section.
 */

import { fail, DiagnosticError, type Location } from '../../diag/index.js';
import { Reader, utf8 } from '../reader.js';
import { BTF_MAGIC } from './wire.js';
import type { Btf } from './types.js';

/** A func_info record: a function starts at `insnOff` (bytes) with BTF FUNC `typeId`. */
export interface ExtFuncInfo { readonly insnOff: number; readonly typeId: number }
/** A line_info record, strings resolved. */
export interface ExtLineInfo {
  readonly insnOff: number;
  readonly file: string;
  readonly text: string;
  readonly line: number;
  readonly column: number;
}
/** A CO-RE relocation record. */
export interface ExtCoreRelo { readonly insnOff: number; readonly typeId: number; readonly access: string; readonly kind: number }

/** `.BTF.ext` records grouped by ELF section name, each list sorted by `insnOff`. */
export interface BtfExt {
  readonly funcInfo: ReadonlyMap<string, readonly ExtFuncInfo[]>;
  readonly lineInfo: ReadonlyMap<string, readonly ExtLineInfo[]>;
  readonly coreRelos: ReadonlyMap<string, readonly ExtCoreRelo[]>;
}

/** Read a `.BTF.ext` section against its `.BTF`. */
export function parseBtfExt(data: Uint8Array, little: boolean, btf: Btf, where: Location = {}): BtfExt {
  const loc: Location = { ...where, section: '.BTF.ext' };
  try {
    return parse(data, little, btf, loc);
  } catch (e) {
    if (e instanceof DiagnosticError) throw e.within(loc);
    throw e;
  }
}

function parse(data: Uint8Array, little: boolean, btf: Btf, loc: Location): BtfExt {
  const r = new Reader(data, little, loc);
  if (data.length < 24) fail('BTF_EXT_BAD', { what: 'header', detail: `section is ${data.length} bytes, header needs 24` }, { ...loc, offset: 0 });
  const magic = r.u16(0, '.BTF.ext header');
  if (magic !== BTF_MAGIC) fail('BTF_EXT_BAD', { what: 'header', detail: `magic 0x${magic.toString(16)}` }, { ...loc, offset: 0 });
  const hdrLen = r.u32(4, '.BTF.ext header');
  if (hdrLen < 24 || hdrLen > data.length) fail('BTF_EXT_BAD', { what: 'header', detail: `header length ${hdrLen}` }, { ...loc, offset: 4 });
  const str = (off: number, at: number): string => {
    if (off === 0) return '';
    const s = btf.strings;
    const end = off < s.length ? s.indexOf(0, off) : -1;
    if (end < 0) fail('BTF_BAD_STRING', { offset: off.toString(16) }, { ...loc, offset: at });
    return utf8(s.subarray(off, end));
  };
  const block = <T>(offField: number, minRec: number, what: string, read: (rec: Reader, at: number, fileAt: number) => T): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    if (offField + 8 > hdrLen) return out;
    const off = r.u32(offField, '.BTF.ext header');
    const len = r.u32(offField + 4, '.BTF.ext header');
    if (len === 0) return out;
    const start = hdrLen + off;
    if (start + len > data.length) fail('BTF_EXT_BAD', { what, detail: 'runs past the end of the section' }, { ...loc, offset: offField });
    const b = r.sub(start, len, what);
    const recSize = b.u32(0, what);
    if (recSize < minRec || recSize > len) fail('BTF_EXT_BAD', { what, detail: `record size ${recSize}` }, { ...loc, offset: start });
    let at = 4;
    while (at < len) {
      const secName = str(b.u32(at, what), start + at);
      const num = b.u32(at + 4, what);
      at += 8;
      if (num * recSize > len - at) fail('BTF_EXT_BAD', { what, detail: `${num} records of section "${secName}" do not fit` }, { ...loc, offset: start + at });
      const list = out.get(secName) ?? [];
      for (let i = 0; i < num; i++, at += recSize) list.push(read(b, at, start + at));
      out.set(secName, list);
    }
    // Sorted by instruction offset (stable, so clang's order within one offset is kept).
    for (const list of out.values()) list.sort((a, b) => (a as { insnOff: number }).insnOff - (b as { insnOff: number }).insnOff);
    return out;
  };
  const funcInfo = block(8, 8, 'func_info', (b, at) => ({ insnOff: b.u32(at, 'func_info'), typeId: b.u32(at + 4, 'func_info') }));
  const lineInfo = block(16, 16, 'line_info', (b, at, fileAt) => {
    const col = b.u32(at + 12, 'line_info');
    return {
      insnOff: b.u32(at, 'line_info'),
      file: str(b.u32(at + 4, 'line_info'), fileAt),
      text: str(b.u32(at + 8, 'line_info'), fileAt),
      line: col >>> 10,
      column: col & 0x3ff,
    };
  });
  const coreRelos = block(24, 16, 'core_relo', (b, at, fileAt) => ({
    insnOff: b.u32(at, 'core_relo'),
    typeId: b.u32(at + 4, 'core_relo'),
    access: str(b.u32(at + 8, 'core_relo'), fileAt),
    kind: b.u32(at + 12, 'core_relo'),
  }));
  return { funcInfo, lineInfo, coreRelos };
}
