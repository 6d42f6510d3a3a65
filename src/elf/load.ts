/**
 * @file `loadObject`: read a clang-built BPF object into a `BpfObject`.
 *
 * Order of work follows libbpf's `bpf_object_open`: ELF structure, license
 * and version, BTF and `.BTF.ext`, maps, then relocation and linking of the
 * programs. Anything malformed stops with a `DiagnosticError` carrying an
 * `ELF_*` or `BTF_*` code and the file name.
 */

import { DiagnosticError, fail, type Location, type SourceLine } from '../diag/index.js';
import { InternalError } from '../diag/errors.js';
import { Reader, utf8 } from './reader.js';
import { readElf, STT, type ElfFile } from './sections.js';
import { parseBtf } from './btf/wire.js';
import { parseBtfExt, type BtfExt } from './btf/ext-info.js';
import { readMaps } from './maps.js';
import { linkPrograms } from './link.js';
import { Btf } from './btf/types.js';
import type { BpfObject, Origin, ProgramSpec } from './types.js';

/** Options of `loadObject`. */
export interface LoadOptions {
  /** File name for diagnostics. */
  readonly file?: string;
  /**
   * Offer every `.text` function as an entry program too, linked with what it
   * calls, as loading one function by itself would (the default follows
   * libbpf: `.text` functions are entries only when nothing else is).
   */
  readonly textEntries?: boolean;
}

/**
 * Read an ELF64 BPF relocatable object (either byte order). Throws
 * `DiagnosticError` for malformed input; any other exception is a bug.
 */
export function loadObject(bytes: Uint8Array, options: LoadOptions = {}): BpfObject {
  const where: Location = options.file !== undefined ? { file: options.file } : {};
  try {
    return load(bytes, where, options.file, options.textEntries === true);
  } catch (e) {
    if (e instanceof DiagnosticError) throw printable(e.within(where));
    if (e instanceof InternalError) throw e;
    // A JavaScript error escaping the checks above is a bug in this reader, not the user's fault.
    throw new InternalError(`reading object failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Names come from the file: escape control characters so a message stays on one line. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function printable(e: DiagnosticError): DiagnosticError {
  const d = e.diagnostic;
  const l = d.location;
  return new DiagnosticError({
    ...d,
    message: clean(d.message),
    location: {
      ...l,
      ...(l.section !== undefined ? { section: clean(l.section) } : {}),
      ...(l.program !== undefined ? { program: clean(l.program) } : {}),
    },
  });
}

function load(bytes: Uint8Array, where: Location, file: string | undefined, textEntries: boolean): BpfObject {
  const elf = readElf(bytes, where);
  const byName = (name: string) => elf.section(name);
  const licSec = byName('license');
  let license = '';
  if (licSec !== undefined) {
    const end = licSec.data.indexOf(0);
    license = utf8(licSec.data.subarray(0, end < 0 ? licSec.data.length : end));
  }
  const verSec = byName('version');
  const kernelVersion = verSec !== undefined && verSec.data.length >= 4
    ? new Reader(verSec.data, elf.little, { ...where, section: 'version' }).u32(0, 'version')
    : undefined;
  const btfSec = byName('.BTF');
  const btf: Btf | undefined = btfSec !== undefined ? fixupDatasecs(parseBtf(btfSec.data, elf.little, where), elf) : undefined;
  const extSec = byName('.BTF.ext');
  const ext: BtfExt | undefined = extSec !== undefined && btf !== undefined ? parseBtfExt(extSec.data, elf.little, btf, where) : undefined;
  if (ext !== undefined) checkExt(ext, elf, where);
  const maps = readMaps(elf, btf, where);
  const { programs, diagnostics } = linkPrograms(elf, maps, ext, where, textEntries);
  return {
    ...(file !== undefined ? { file } : {}),
    license,
    ...(kernelVersion !== undefined ? { kernelVersion } : {}),
    endian: elf.little ? 'little' : 'big',
    programs, maps: maps.maps,
    ...(btf !== undefined ? { btf } : {}),
    diagnostics,
  };
}

/**
 * Every `.BTF.ext` record must point at an instruction of its section: the
 * kernel refuses line and func info outside the program (`check_btf_line`).
 */
function checkExt(ext: BtfExt, elf: ElfFile, where: Location): void {
  const groups = [['func_info', ext.funcInfo], ['line_info', ext.lineInfo], ['core_relo', ext.coreRelos]] as const;
  for (const [what, bySection] of groups) {
    for (const [name, records] of bySection) {
      const sec = elf.section(name);
      if (sec === undefined) continue; // libbpf skips info for sections it does not load
      records.forEach((r: { insnOff: number }, i: number) => {
        if (r.insnOff % 8 !== 0 || r.insnOff >= sec.size) {
          fail('BTF_EXT_BAD', { what, detail: `record ${i} of section "${name}" points at byte ${r.insnOff}, not an instruction of its ${sec.size} bytes` }, { ...where, section: '.BTF.ext' });
        }
      });
    }
  }
}

/**
 * clang leaves DATASEC sizes and variable offsets at zero in object files;
 * like libbpf (`btf_fixup_datasec`), take them from the section sizes and the
 * variables' symbols.
 */
function fixupDatasecs(btf: Btf, elf: ElfFile): Btf {
  let changed = false;
  const types = btf.types.map((t) => {
    if (t.kind !== 'datasec') return t;
    const sec = elf.section(t.name);
    if (sec === undefined) return t;
    const vars = t.vars.map((v) => {
      const vt = btf.types[v.type];
      const sym = vt?.kind === 'var' ? elf.symbolsIn(sec.index).find((s) => s.name === vt.name && s.type !== STT.SECTION) : undefined;
      return sym !== undefined && sym.value !== v.offset ? { ...v, offset: sym.value } : v;
    });
    if (t.size === sec.size && vars.every((v, i) => v === t.vars[i])) return t;
    changed = true;
    return { ...t, size: sec.size, vars };
  });
  return changed ? new Btf(types, btf.strings) : btf;
}

/** The source line of linked pc `pc` (the last line-info record at or before it), when BTF line info has one. */
export function sourceLine(program: ProgramSpec, pc: number): SourceLine | undefined {
  let lo = 0, hi = program.lineInfo.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (program.lineInfo[mid]!.pc <= pc) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  // Do not carry a line across a function boundary.
  const fn = program.funcInfo.find((f) => pc >= f.pc && pc < f.pc + f.length);
  const li = program.lineInfo[found]!;
  if (fn !== undefined && li.pc < fn.pc) return undefined;
  return { file: li.file, line: li.line, column: li.column, text: li.text };
}

/** Where the instruction at linked pc `pc` came from, or undefined for a pc inside or past the program. */
export function originOf(program: ProgramSpec, pc: number): Origin | undefined {
  let lo = 0, hi = program.insns.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = program.insns[mid]!.pc;
    if (at === pc) return program.origins[mid];
    if (at < pc) lo = mid + 1; else hi = mid - 1;
  }
  return undefined;
}
