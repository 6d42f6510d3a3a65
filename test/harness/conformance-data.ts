/**
 * @file The bpf_conformance `.data` test format, parsed the way the suite's
 * own parser does (see ../shared/bpf-conformance/README.md, "The `.data` file
 * format"): `#` comments, any line containing `--` is a section header found
 * by substring search in a fixed order, empty lines ignored, the last line of
 * `-- result`/`-- error` counts, `-- raw` replaces `-- asm`.
 */

import { assemble } from '../../src/isa/asm.js';
import { encode } from '../../src/isa/insn.js';
import { formatDiagnostic } from '../../src/diag/index.js';
import { parseHexBytes } from '../../src/util/hex.js';

/** Section kinds, in the order the upstream parser tests for them. */
const KINDS = [
  ['asm', 'asm'], ['result', 'result'], ['mem', 'mem'], ['raw', 'raw'],
  ['no register offset', 'noregoff'], [' c', 'c'], ['error', 'error'],
] as const;

type SectionKind = (typeof KINDS)[number][1];

/** One parsed test file. */
export interface ConformanceCase {
  /** File name (for messages). */
  readonly name: string;
  /** `-- asm` lines, comments removed. */
  readonly asm: readonly string[];
  /** `-- raw` slots, when present (they replace the assembled program). */
  readonly raw?: readonly bigint[];
  /** `-- mem` bytes (empty when absent). */
  readonly mem: Uint8Array;
  /** Whether a `-- mem` section was present (the memory argument is passed only then). */
  readonly hasMem: boolean;
  /** Expected r0 from `-- result`. */
  readonly result?: bigint;
  /** Expected error text from `-- error`. */
  readonly error?: string;
  /** Why the runner skips it, if it does (unknown directive, no result or error). */
  readonly skip?: string;
}

/** Parse a 64-bit number the way the upstream runner does: hex if it contains `0x`, else decimal. */
export function parseResultNumber(text: string): bigint | undefined {
  const s = text.trim();
  try {
    if (s.includes('0x')) {
      const m = /^(-?)0x([0-9a-fA-F]+)/.exec(s);
      if (m === null) return undefined;
      const v = BigInt(`0x${m[2]}`);
      return BigInt.asUintN(64, m[1] === '-' ? -v : v);
    }
    const m = /^[+-]?[0-9]+/.exec(s);
    if (m === null) return undefined;
    return BigInt.asUintN(64, BigInt(m[0]));
  } catch {
    return undefined;
  }
}

/** Parse the text of a `.data` file. */
export function parseConformanceData(text: string, name = '<data>'): ConformanceCase {
  const sections = new Map<SectionKind, string[]>();
  let current: SectionKind | undefined;
  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    if (line.includes('--')) {
      const kind = KINDS.find(([needle]) => line.includes(needle));
      if (kind === undefined) return { name, asm: [], mem: new Uint8Array(), hasMem: false, skip: `unknown directive "${line.trim()}"` };
      current = kind[1];
      if (!sections.has(current)) sections.set(current, []);
      continue;
    }
    if (line.trim() === '' || current === undefined) continue;
    sections.get(current)!.push(line);
  }
  const last = (k: SectionKind): string | undefined => {
    const lines = sections.get(k);
    return lines === undefined || lines.length === 0 ? undefined : lines[lines.length - 1]!.trim();
  };
  const memLines = sections.get('mem');
  const mem = memLines === undefined ? new Uint8Array() : parseHexBytes(memLines.join(' '));
  if (mem === undefined) throw new Error(`${name}: bad -- mem section`);
  const rawLines = sections.get('raw');
  const raw = rawLines?.map((l) => {
    const v = parseResultNumber(l);
    if (v === undefined) throw new Error(`${name}: bad -- raw line "${l}"`);
    return v;
  });
  const resultText = last('result');
  const result = resultText === undefined ? undefined : parseResultNumber(resultText);
  const error = last('error');
  const base = {
    name, asm: sections.get('asm') ?? [], mem, hasMem: memLines !== undefined,
    ...(raw !== undefined ? { raw } : {}),
    ...(result !== undefined ? { result } : {}),
    ...(error !== undefined ? { error } : {}),
  };
  if (result === undefined && error === undefined) return { ...base, skip: 'no -- result or -- error section' };
  return base;
}

/** The program bytes of a case: `-- raw` slots if present, else the assembled `-- asm`. */
export function caseProgram(c: ConformanceCase): Uint8Array {
  if (c.raw !== undefined) {
    const out = new Uint8Array(c.raw.length * 8);
    const view = new DataView(out.buffer);
    c.raw.forEach((slot, i) => view.setBigUint64(i * 8, slot, true));
    return out;
  }
  const { insns, diagnostics } = assemble(c.asm.join('\n'));
  if (diagnostics.length > 0) throw new Error(`${c.name}: ${diagnostics.map(formatDiagnostic).join('; ')}`);
  return encode(insns);
}
