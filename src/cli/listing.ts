/**
 * @file The `disasm` listing: executable sections of an object in
 * llvm-objdump's layout, with source lines from BTF line info.
 *
 * ```
 * Disassembly of section xdp:
 *
 * 0000000000000000 <prog>:
 * ; void *data = (void *)(long)ctx->data;
 *        0:	61 12 00 00 00 00 00 00	r2 = *(u32 *)(r1 + 0)
 * ```
 *
 * Like `llvm-objdump -d`, it shows the bytes as stored in the object, before
 * relocation (a map load reads `r1 = 0 ll`); `--relocs` adds the relocation
 * under the instruction it applies to, as `llvm-objdump -dr` does.
 */

import type { BpfObject } from '../elf/types.js';
import { readElf, readRelocations, SHF, STT, type Section, type ElfSymbol } from '../elf/sections.js';
import { decode, slots } from '../isa/insn.js';
import { formatInsn } from '../isa/disasm.js';
import { branchTarget } from '../isa/validate.js';

/** Options of a listing. */
export interface ListingOptions {
  /** Only this section. */
  readonly section?: string;
  /** Interleave source lines from BTF (default true). */
  readonly source?: boolean;
  /** Show relocations (default false). */
  readonly relocs?: boolean;
  /** File name for the heading. */
  readonly file?: string;
}

const RELOC_NAMES: Record<number, string> = { 1: 'R_BPF_64_64', 2: 'R_BPF_64_ABS64', 3: 'R_BPF_64_ABS32', 4: 'R_BPF_64_NODYLD32', 10: 'R_BPF_64_32' };

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');

/** Source lines by section and section pc, recovered from the linked programs' line info. */
function sourceLines(object: BpfObject): Map<string, string> {
  const out = new Map<string, string>();
  for (const prog of object.programs) {
    for (const li of prog.lineInfo) {
      const idx = prog.insns.findIndex((insn) => insn.pc === li.pc);
      const origin = idx < 0 ? undefined : prog.origins[idx];
      if (origin !== undefined && li.text !== '') out.set(`${origin.section}\0${origin.pc}`, li.text);
    }
  }
  return out;
}

/** The listing of an object's executable sections. */
export function listing(bytes: Uint8Array, object: BpfObject, options: ListingOptions = {}): string {
  const elf = readElf(bytes, { file: options.file });
  const lines = options.source === false ? new Map<string, string>() : sourceLines(object);
  const out: string[] = ['', `${options.file ?? 'object'}:\tfile format elf64-bpf`, ''];
  const exec = elf.sections.filter((s) => (s.flags & SHF.EXECINSTR) !== 0 && s.size > 0 &&
    (options.section === undefined || s.name === options.section));
  for (const sec of exec) {
    out.push(`Disassembly of section ${sec.name}:`, '');
    out.push(...sectionListing(sec, elf.symbols, elf.sections, elf.little, lines, options.relocs === true));
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

function sectionListing(
  sec: Section, symbols: readonly ElfSymbol[], sections: readonly Section[], little: boolean,
  lines: Map<string, string>, withRelocs: boolean,
): string[] {
  const labels = new Map<number, string>();
  for (const sym of symbols) {
    if (sym.shndx !== sec.index || sym.name === '') continue;
    if (sym.type !== STT.FUNC && sym.type !== STT.NOTYPE) continue;
    if (sym.value % 8 !== 0) continue;
    const pc = sym.value / 8;
    if (!labels.has(pc) || sym.type === STT.FUNC) labels.set(pc, sym.name);
  }
  const relocs = new Map<number, string>();
  if (withRelocs) {
    for (const rs of sections) {
      if (rs.info !== sec.index || (rs.type !== 9 && rs.type !== 4)) continue;
      for (const r of readRelocations(rs, little, { section: rs.name })) {
        const name = symbols[r.symbol]?.name ?? '';
        relocs.set(r.offset, `\t\t${hex16(r.offset)}:  ${RELOC_NAMES[r.type] ?? `R_BPF_${r.type}`}\t${name}`);
      }
    }
  }
  const out: string[] = [];
  let lastSource: string | undefined;
  for (const insn of decode(sec.data, little ? 'little' : 'big')) {
    const label = labels.get(insn.pc);
    if (label !== undefined) {
      if (insn.pc !== 0) out.push('');
      out.push(`${hex16(insn.pc * 8)} <${label}>:`);
    }
    const src = lines.get(`${sec.name}\0${insn.pc}`);
    if (src !== undefined && src !== lastSource) {
      out.push(`; ${src}`);
      lastSource = src;
    }
    const raw = sec.data.subarray(insn.pc * 8, (insn.pc + slots(insn)) * 8);
    const hexBytes = Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join(' ');
    let text = formatInsn(insn, 'llvm');
    const target = branchTarget(insn);
    if (target !== undefined && labels.has(target) && !text.startsWith('call')) text += ` <${labels.get(target)}>`;
    out.push(`${String(insn.pc).padStart(8)}:\t${hexBytes}\t${text}`);
    const reloc = relocs.get(insn.pc * 8);
    if (reloc !== undefined) out.push(reloc);
  }
  out.push('');
  return out;
}
