/**
 * @file The assembler for the bpf_conformance suite's syntax (see
 * ../shared/bpf-conformance/README.md), which is also what `disassemble`
 * prints in its `conformance` syntax.
 *
 * One instruction or label per line. `#` and `;` start comments. Registers
 * are `%r0`..`%r10`; memory operands `[%rN]`, `[%rN+OFF]`, `[%rN-OFF]`; jump
 * targets a label or `+N`/`-N`; the label `exit` is predefined as the first
 * `exit` instruction. Immediates are signed decimal or `0x` hex (a raw 32-bit
 * pattern); `lddw` takes 64 bits. Extensions beyond the suite's syntax, all
 * printed by the disassembler: `lddw %rD, map_by_idx(N)` and the other pseudo
 * sources, `call helper N`, `call runtime N`, `callx %rN`, `ldabs{b,h,w} IMM`,
 * `ldind{b,h,w} %rS, IMM`.
 */

import { diagnostic, type Diagnostic } from '../diag/index.js';
import { make, slots, type Insn } from './insn.js';
import { LddwSrc, OPCODES, type OpcodeRow } from './opcodes.js';

/** The result of assembling: instructions, and every problem found (line-numbered). */
export interface AsmResult {
  readonly insns: Insn[];
  readonly diagnostics: Diagnostic[];
}

class AsmError extends Error {}

const ALIASES: Record<string, string> = {
  swap16: 'bswap16', swap32: 'bswap32', swap64: 'bswap64',
  add64: 'add', sub64: 'sub', mul64: 'mul', div64: 'div', sdiv64: 'sdiv', or64: 'or', and64: 'and',
  lsh64: 'lsh', rsh64: 'rsh', neg64: 'neg', mod64: 'mod', smod64: 'smod', xor64: 'xor', mov64: 'mov',
  arsh64: 'arsh', callx: 'call',
};

/** Rows by mnemonic and operand source, for the forms that a mnemonic alone does not pick. */
const BY_MNEMONIC = (() => {
  const map = new Map<string, OpcodeRow[]>();
  for (const row of OPCODES) {
    const list = map.get(row.mnemonic) ?? [];
    list.push(row);
    map.set(row.mnemonic, list);
  }
  return map;
})();

function opOf(row: OpcodeRow): number {
  return OPCODES.indexOf(row);
}

function pickRow(mnemonic: string, source?: 'K' | 'X'): OpcodeRow {
  const rows = BY_MNEMONIC.get(mnemonic);
  if (rows === undefined) throw new AsmError(`unknown mnemonic "${mnemonic}"`);
  const row = source === undefined ? rows[0] : rows.find((r) => r.source === source);
  if (row === undefined) throw new AsmError(`"${mnemonic}" has no ${source === 'X' ? 'register' : 'immediate'} form`);
  return row;
}

function parseReg(text: string): number {
  const m = /^%r(\d+)$/.exec(text);
  if (m === null) throw new AsmError(`expected a register like %r1, found "${text}"`);
  const n = Number(m[1]);
  if (n > 15) throw new AsmError(`no register %r${n}`);
  return n;
}

const isReg = (text: string): boolean => text.startsWith('%');

function parseInteger(text: string): bigint {
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(text);
  if (m === null) throw new AsmError(`expected a number, found "${text}"`);
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}

/** A 32-bit immediate: signed decimal, or hex taken as a raw 32-bit pattern. */
function parseImm32(text: string): number {
  const v = parseInteger(text);
  if (v < -(1n << 31n) || v > 0xffffffffn) throw new AsmError(`immediate ${text} does not fit in 32 bits`);
  return Number(BigInt.asIntN(32, v));
}

function parseOffset(text: string): number {
  const v = parseInteger(text);
  if (v < -32768n || v > 0xffffn) throw new AsmError(`offset ${text} does not fit in 16 bits`);
  return Number(BigInt.asIntN(16, v));
}

function parseMem(text: string): { reg: number; off: number } {
  const m = /^\[(%r\d+)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+))?\]$/i.exec(text);
  if (m === null) throw new AsmError(`expected a memory operand like [%r1+8], found "${text}"`);
  const off = m[2] === undefined ? 0 : parseOffset(`${m[2]}${m[3]}`);
  return { reg: parseReg(m[1]!), off };
}

/** Split operands on commas and white space, keeping bracketed memory operands whole. */
function splitOperands(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of text) {
    if (ch === '[' || ch === '(') depth++;
    if (ch === ']' || ch === ')') depth--;
    if (depth === 0 && (ch === ',' || ch === ' ' || ch === '\t')) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else if (depth > 0 && (ch === ' ' || ch === '\t')) {
      continue;
    } else {
      cur += ch;
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}

const PSEUDO_BY_NAME: Record<string, number> = {
  map_by_fd: LddwSrc.MAP_FD, map_value_by_fd: LddwSrc.MAP_VALUE, btf_id: LddwSrc.BTF_ID,
  func: LddwSrc.FUNC, map_by_idx: LddwSrc.MAP_IDX, map_value_by_idx: LddwSrc.MAP_IDX_VALUE,
};

/** A pending jump: the instruction index and the label it names. */
interface Fixup { readonly index: number; readonly label: string; readonly line: number; readonly field: 'off' | 'imm' }

function need(ops: string[], n: number, mnemonic: string): void {
  if (ops.length !== n) throw new AsmError(`"${mnemonic}" takes ${n} operand${n === 1 ? '' : 's'}, found ${ops.length}`);
}

/**
 * Assemble a program. Problems are collected as diagnostics with the line
 * number; instructions that fail to assemble are left out.
 */
export function assemble(text: string): AsmResult {
  const insns: Insn[] = [];
  const diagnostics: Diagnostic[] = [];
  const labels = new Map<string, number>();
  const fixups: Fixup[] = [];
  let pc = 0;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.replace(/[#;].*$/, '').trim();
    if (line === '') return;
    try {
      const label = /^([A-Za-z_.$][\w.$]*):$/.exec(line);
      if (label !== null) {
        if (labels.has(label[1]!)) throw new AsmError(`label "${label[1]}" defined twice`);
        labels.set(label[1]!, pc);
        return;
      }
      const sp = line.search(/\s/);
      let mnemonic = (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
      let ops = sp < 0 ? [] : splitOperands(line.slice(sp + 1).trim());
      mnemonic = ALIASES[mnemonic] ?? mnemonic;
      const emit = (insn: Insn, fix?: { label: string; field: 'off' | 'imm' }): void => {
        const placed = { ...insn, pc };
        if (fix !== undefined) fixups.push({ index: insns.length, label: fix.label, line: lineNo, field: fix.field });
        insns.push(placed);
        pc += slots(placed);
      };
      /** A jump target: a relative `+N`/`-N`, or a label fixed up later. */
      const target = (t: string, field: 'off' | 'imm'): { value: number; label?: string } =>
        /^[+-]/.test(t) ? { value: field === 'off' ? parseOffset(t) : parseImm32(t) } : { value: 0, label: t };

      if (mnemonic === 'lock') {
        let fetch = false;
        if (ops[0] === 'fetch') { fetch = true; ops = ops.slice(1); }
        const opName = ops.shift();
        if (opName === undefined) throw new AsmError('"lock" needs an operation');
        const full = `lock ${fetch ? 'fetch ' : ''}${opName}`;
        const row = pickRow(full);
        need(ops, 2, full);
        const mem = parseMem(ops[0]!);
        emit(make(opOf(row), { dst: mem.reg, off: mem.off, src: parseReg(ops[1]!) }));
        return;
      }
      if (mnemonic === 'call') {
        if (ops.length === 1 && isReg(ops[0]!)) {
          emit(make(opOf(pickRow('callx')), { dst: parseReg(ops[0]!) }));
          return;
        }
        const mode = ops.length >= 2 ? ops[0] : 'helper';
        const arg = ops.length >= 2 ? ops[1]! : ops[0];
        if (ops.length === 3 && mode === 'runtime') {
          emit(make(opOf(pickRow('call runtime')), { imm: parseImm32(arg!), off: parseOffset(ops[2]!) }));
          return;
        }
        if (arg === undefined || ops.length > 2) throw new AsmError('"call" takes a helper id, "local LABEL", "runtime N" or a register');
        if (mode === 'local') {
          const t = target(arg, 'imm');
          emit(make(opOf(pickRow('call local')), { imm: t.value }), t.label === undefined ? undefined : { label: t.label, field: 'imm' });
          return;
        }
        if (mode === 'helper' || mode === 'runtime') {
          emit(make(opOf(pickRow(mode === 'helper' ? 'call' : 'call runtime')), { imm: parseImm32(arg) }));
          return;
        }
        throw new AsmError(`unknown call mode "${mode}"`);
      }
      if (mnemonic === 'lddw') {
        need(ops, 2, mnemonic);
        const dst = parseReg(ops[0]!);
        const pseudo = /^(\w+)\(([+-]?(?:0x[0-9a-f]+|\d+))\)(?:\+([+-]?(?:0x[0-9a-f]+|\d+)))?$/i.exec(ops[1]!);
        if (pseudo !== null) {
          const src = PSEUDO_BY_NAME[pseudo[1]!];
          if (src === undefined) throw new AsmError(`unknown lddw source "${pseudo[1]}"`);
          const insn = make(opOf(OPCODES.find((r) => r.kind === 'lddw' && r.match?.value === src)!), { dst });
          emit({ ...insn, imm: parseImm32(pseudo[2]!), imm2: pseudo[3] === undefined ? 0 : parseImm32(pseudo[3]) });
          return;
        }
        const v = parseInteger(ops[1]!);
        if (v < -(1n << 63n) || v > (1n << 64n) - 1n) throw new AsmError(`immediate ${ops[1]} does not fit in 64 bits`);
        emit(make(opOf(pickRow('lddw')), { dst, imm64: BigInt.asUintN(64, v) }));
        return;
      }
      if (mnemonic === 'exit') { need(ops, 0, mnemonic); emit(make(opOf(pickRow('exit')))); return; }
      if (mnemonic === 'ja' || mnemonic === 'ja32') {
        need(ops, 1, mnemonic);
        const field = mnemonic === 'ja' ? 'off' : 'imm';
        const t = target(ops[0]!, field);
        emit(make(opOf(pickRow(mnemonic)), { [field]: t.value }), t.label === undefined ? undefined : { label: t.label, field });
        return;
      }
      const rows = BY_MNEMONIC.get(mnemonic);
      if (rows === undefined) throw new AsmError(`unknown mnemonic "${mnemonic}"`);
      const kind = rows[0]!.kind;
      switch (kind) {
        case 'jcond': {
          need(ops, 3, mnemonic);
          const x = isReg(ops[1]!);
          const row = pickRow(mnemonic, x ? 'X' : 'K');
          const t = target(ops[2]!, 'off');
          emit(make(opOf(row), {
            dst: parseReg(ops[0]!), ...(x ? { src: parseReg(ops[1]!) } : { imm: parseImm32(ops[1]!) }), off: t.value,
          }), t.label === undefined ? undefined : { label: t.label, field: 'off' });
          return;
        }
        case 'alu': {
          need(ops, 2, mnemonic);
          const x = isReg(ops[1]!);
          const row = pickRow(mnemonic, x ? 'X' : 'K');
          emit(make(opOf(row), { dst: parseReg(ops[0]!), ...(x ? { src: parseReg(ops[1]!) } : { imm: parseImm32(ops[1]!) }) }));
          return;
        }
        case 'neg': case 'end':
          need(ops, 1, mnemonic);
          emit(make(opOf(rows[0]!), { dst: parseReg(ops[0]!) }));
          return;
        case 'ldabs':
          need(ops, 1, mnemonic);
          emit(make(opOf(rows[0]!), { imm: parseImm32(ops[0]!) }));
          return;
        case 'ldind':
          need(ops, 2, mnemonic);
          emit(make(opOf(rows[0]!), { src: parseReg(ops[0]!), imm: parseImm32(ops[1]!) }));
          return;
        case 'ldx': {
          need(ops, 2, mnemonic);
          const mem = parseMem(ops[1]!);
          emit(make(opOf(rows[0]!), { dst: parseReg(ops[0]!), src: mem.reg, off: mem.off }));
          return;
        }
        case 'st': {
          need(ops, 2, mnemonic);
          const mem = parseMem(ops[0]!);
          emit(make(opOf(rows[0]!), { dst: mem.reg, off: mem.off, imm: parseImm32(ops[1]!) }));
          return;
        }
        case 'stx': {
          need(ops, 2, mnemonic);
          const mem = parseMem(ops[0]!);
          emit(make(opOf(rows[0]!), { dst: mem.reg, off: mem.off, src: parseReg(ops[1]!) }));
          return;
        }
        default:
          throw new AsmError(`cannot assemble "${mnemonic}" here`);
      }
    } catch (err) {
      if (!(err instanceof AsmError)) throw err;
      diagnostics.push(diagnostic('ISA_ASM_SYNTAX', { line: lineNo, detail: err.message }, { pc }));
    }
  });
  if (!labels.has('exit')) {
    const firstExit = insns.find((insn) => insn.op >= 0 && OPCODES[insn.op]!.kind === 'exit');
    if (firstExit !== undefined) labels.set('exit', firstExit.pc);
  }
  for (const fix of fixups) {
    const at = labels.get(fix.label);
    const insn = insns[fix.index]!;
    if (at === undefined) {
      diagnostics.push(diagnostic('ISA_ASM_SYNTAX', { line: fix.line, detail: `undefined label "${fix.label}"` }, { pc: insn.pc }));
      continue;
    }
    insns[fix.index] = { ...insn, [fix.field]: at - (insn.pc + 1) };
  }
  return { insns, diagnostics };
}
