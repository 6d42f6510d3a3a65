/**
 * @file An IR module → x86-64 machine code and GNU assembly text: lowers
 * every function (`lower.ts`), lays the items out, picks the short form of
 * every branch that reaches (growing branches that do not, until nothing
 * changes, as assemblers relax: LLVM `MCAssembler::layout`), and encodes.
 *
 * Host calls are `call rel32` to `HOST_BASE + id` with the code at
 * `CODE_BASE` (`emulator.ts`), printed as `callq .+N` so the text assembles to
 * the same bytes anywhere.
 */

import { assert } from '../diag/errors.js';
import type { Module } from '../ir/func.js';
import { encodeInst } from './encode.js';
import { CODE_BASE, HOST_BASE } from './emulator.js';
import type { Inst } from './insts.js';
import { funcLabel, lowerFunc, type Item, type LowerEnv } from './lower.js';
import { printInst } from './print.js';

/** A compiled module. */
export interface X86Code {
  /** The machine code; offset 0 is mapped at `CODE_BASE`. */
  readonly code: Uint8Array;
  /** GNU (AT&T) assembly text that `llvm-mc --triple=x86_64` assembles to `code`. */
  readonly asm: string;
  /** Code offset of the program's entry function. */
  readonly entry: number;
  /** Code offset of each function. */
  readonly funcs: readonly number[];
  /** Number of machine instructions in the code. */
  readonly instCount: number;
}

/** Compile a module (see `docs/native.md` for the calling convention). */
export function compileX86(mod: Module, env: LowerEnv): X86Code {
  const items: Item[] = [];
  mod.funcs.forEach((fn, k) => items.push(...lowerFunc(fn, k, env)));
  // Relaxation: every branch starts short; widen the ones that do not reach.
  const wide = items.map((it) => it.kind === 'branch' && it.inst.op === 'call');
  const sizes = items.map((it) => (it.kind === 'inst' ? encodeInst(it.inst).length : it.kind === 'host' ? 5 : 0));
  let offsets: number[] = [];
  let labels = new Map<string, number>();
  const branchSize = (it: Item & { kind: 'branch' }, w: boolean): number =>
    it.inst.op === 'call' ? 5 : it.inst.op === 'jmp' ? (w ? 5 : 2) : (w ? 6 : 2);
  for (;;) {
    offsets = [];
    labels = new Map();
    let at = 0;
    items.forEach((it, k) => {
      offsets.push(at);
      if (it.kind === 'label') labels.set(it.label, at);
      at += it.kind === 'branch' ? branchSize(it, wide[k]!) : sizes[k]!;
    });
    let changed = false;
    items.forEach((it, k) => {
      if (it.kind !== 'branch' || wide[k]) return;
      const target = labels.get(it.label);
      assert(target !== undefined, `undefined label ${it.label}`);
      const rel = target - (offsets[k]! + 2);
      if (rel < -128 || rel > 127) { wide[k] = true; changed = true; }
    });
    if (!changed) break;
  }
  const bytes: number[] = [];
  const lines: string[] = ['\t.text'];
  let instCount = 0;
  items.forEach((it, k) => {
    const at = offsets[k]!;
    let inst: Inst;
    let text: string;
    if (it.kind === 'label') {
      lines.push(`${it.label}:${it.comment !== undefined ? `\t\t# ${it.comment}` : ''}`);
      return;
    } else if (it.kind === 'inst') {
      inst = it.inst;
      text = printInst(inst);
    } else if (it.kind === 'host') {
      inst = { op: 'call', rel: HOST_BASE + it.id - (CODE_BASE + at + 5) };
      text = `${printInst(inst)}\t\t# ${it.comment}`;
    } else {
      const target = labels.get(it.label)!;
      const w = wide[k]!;
      const len = branchSize(it, w);
      const rel = target - (at + len);
      inst = it.inst.op === 'call' ? { op: 'call', rel } : { ...it.inst, rel, width: w ? 32 : 8 };
      text = printInst(inst, it.label);
    }
    const enc = encodeInst(inst);
    assert(bytes.length === at, `layout drift at ${it.kind} ${text}`);
    bytes.push(...enc);
    lines.push(`\t${text}`);
    instCount++;
  });
  return {
    code: Uint8Array.from(bytes),
    asm: `${lines.join('\n')}\n`,
    entry: labels.get(funcLabel(mod.entry))!,
    funcs: mod.funcs.map((_f, k) => labels.get(funcLabel(k))!),
    instCount,
  };
}
