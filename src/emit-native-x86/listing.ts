/**
 * @file Machine code → assembly listing: decodes x86-64 bytes (`decode.ts`) and
 * prints them (`print.ts`) with a label `.L<offset>` at every branch target
 * inside the code, so the text assembles back to the same bytes. Also counts
 * instructions, e.g. of a JIT image to compare code quality.
 */

import { decodeInst } from './decode.js';
import type { Inst } from './insts.js';
import { printInst } from './print.js';

/** A listing and what it covers. */
export interface Listing {
  /** Assembly text, one instruction per line, labels on their own lines. */
  readonly text: string;
  /** Number of instructions decoded. */
  readonly count: number;
  /** Offset where decoding stopped (the code length unless bytes outside the subset follow). */
  readonly end: number;
}

/** The label name for a code offset. */
export function labelAt(offset: number): string { return `.L${offset.toString(16)}`; }

/**
 * Decode and print `code`. Bytes after the first undecodable one are listed
 * as `.byte` lines, so the text still assembles to the whole input.
 */
export function disassemble(code: Uint8Array): Listing {
  const decoded: { at: number; inst: Inst; length: number }[] = [];
  let at = 0;
  while (at < code.length) {
    const d = decodeInst(code, at);
    if (d === undefined) break;
    decoded.push({ at, inst: d.inst, length: d.length });
    at += d.length;
  }
  const end = at;
  const starts = new Set(decoded.map((d) => d.at));
  const targetOf = (d: { at: number; inst: Inst; length: number }): number | undefined => {
    const i = d.inst;
    if (i.op !== 'jcc' && i.op !== 'jmp' && i.op !== 'call') return undefined;
    const target = d.at + d.length + i.rel;
    return starts.has(target) || target === end ? target : undefined;
  };
  const targets = new Set<number>();
  for (const d of decoded) { const x = targetOf(d); if (x !== undefined) targets.add(x); }
  const lines: string[] = [];
  for (const d of decoded) {
    if (targets.has(d.at)) lines.push(`${labelAt(d.at)}:`);
    const target = targetOf(d);
    lines.push(`\t${printInst(d.inst, target === undefined ? undefined : labelAt(target))}`);
  }
  if (targets.has(end)) lines.push(`${labelAt(end)}:`);
  for (let i = end; i < code.length; i += 16) {
    lines.push(`\t.byte ${Array.from(code.subarray(i, Math.min(i + 16, code.length)), (b) => `0x${b.toString(16)}`).join(', ')}`);
  }
  return { text: lines.join('\n') + '\n', count: decoded.length, end };
}
