/**
 * @file Instruction text, in two syntaxes read off the opcode table:
 *
 * - `conformance`: the bpf_conformance suite's assembler syntax
 *   (`add32 %r0, 1`, `ldxdw %r0, [%r1+8]`, `jne %r1, 0, +3`), which
 *   `assemble` in `asm.ts` reads back exactly;
 * - `llvm`: the syntax users see from `llvm-objdump -d`
 *   (`w0 += 1`, `r0 = *(u64 *)(r1 + 8)`, `if r1 != 0 goto +3`). For the v4
 *   instructions that older LLVM cannot print, the spelling of LLVM 18 and
 *   later is used (`r0 s/= r1`, `r0 = (s8)r1`, `r0 = bswap16 r0`, `gotol +5`).
 */

import { imm64, INVALID, type Insn } from './insn.js';
import { LddwSrc, OPCODES, type AluOp, type JmpCond, type OpcodeRow } from './opcodes.js';

/** Which text syntax to use. */
export type Syntax = 'conformance' | 'llvm';

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const signed = (n: number): string => (n < 0 ? `-${-n}` : `+${n}`);

const LLVM_ALU: Record<AluOp, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', or: '|=', and: '&=', lsh: '<<=',
  rsh: '>>=', mod: '%=', smod: 's%=', xor: '^=', mov: '=', movsx: '=', arsh: 's>>=',
};

const LLVM_COND: Record<JmpCond, string> = {
  jeq: '==', jgt: '>', jge: '>=', jset: '&', jne: '!=', jsgt: 's>', jsge: 's>=',
  jlt: '<', jle: '<=', jslt: 's<', jsle: 's<=',
};

const LLVM_ATOMIC: Record<string, string> = { add: '+=', or: '|=', and: '&=', xor: '^=' };

const PSEUDO_NAMES: Record<number, string> = {
  [LddwSrc.MAP_FD]: 'map_by_fd',
  [LddwSrc.MAP_VALUE]: 'map_value_by_fd',
  [LddwSrc.BTF_ID]: 'btf_id',
  [LddwSrc.FUNC]: 'func',
  [LddwSrc.MAP_IDX]: 'map_by_idx',
  [LddwSrc.MAP_IDX_VALUE]: 'map_value_by_idx',
};

/** The operand of a pseudo `lddw`, e.g. `map_value_by_idx(2)+16` (shared by both syntaxes). */
function pseudoOperand(insn: Insn): string {
  const name = PSEUDO_NAMES[insn.src] ?? `pseudo${insn.src}`;
  if (insn.src === LddwSrc.FUNC && (insn.imm2 ?? 0) === 0) return `${name}(${signed(insn.imm)})`;
  const base = `${name}(${insn.imm})`;
  return (insn.imm2 ?? 0) !== 0 ? `${base}+${insn.imm2}` : base;
}

function memOperandConf(reg: number, off: number): string {
  return `[%r${reg}${off < 0 ? `-${-off}` : `+${off}`}]`;
}

function memOperandLlvm(reg: number, off: number): string {
  return `(r${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)})`;
}

const SIZE_TYPE = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;
const SSIZE_TYPE = { 1: 's8', 2: 's16', 4: 's32', 8: 's64' } as const;

function conformance(insn: Insn, row: OpcodeRow): string {
  const r = (n: number): string => `%r${n}`;
  const mn = row.mnemonic;
  switch (row.kind) {
    case 'alu':
      return row.source === 'X' ? `${mn} ${r(insn.dst)}, ${r(insn.src)}` : `${mn} ${r(insn.dst)}, ${insn.imm}`;
    case 'neg': case 'end':
      return `${mn} ${r(insn.dst)}`;
    case 'ja':
      return `${mn} ${signed(row.width === 32 ? insn.imm : insn.off)}`;
    case 'jcond': {
      const rhs = row.source === 'X' ? r(insn.src) : String(insn.imm);
      return `${mn} ${r(insn.dst)}, ${rhs}, ${signed(insn.off)}`;
    }
    case 'call':
      if (row.name === 'CALL_LOCAL') return `call local ${signed(insn.imm)}`;
      if (row.name === 'CALL_KFUNC') return `call runtime ${insn.imm}${insn.off !== 0 ? `, ${insn.off}` : ''}`;
      return `call ${insn.imm}`;
    case 'callx':
      return `call ${r(insn.dst)}`;
    case 'exit':
      return 'exit';
    case 'lddw':
      if (insn.src === LddwSrc.IMM64) return `lddw ${r(insn.dst)}, 0x${imm64(insn).toString(16)}`;
      return `lddw ${r(insn.dst)}, ${pseudoOperand(insn)}`;
    case 'ldabs':
      return `${mn} ${insn.imm}`;
    case 'ldind':
      return `${mn} ${r(insn.src)}, ${insn.imm}`;
    case 'ldx':
      return `${mn} ${r(insn.dst)}, ${memOperandConf(insn.src, insn.off)}`;
    case 'st':
      return `${mn} ${memOperandConf(insn.dst, insn.off)}, ${insn.imm}`;
    case 'stx':
    case 'atomic':
      return `${mn} ${memOperandConf(insn.dst, insn.off)}, ${r(insn.src)}`;
  }
}

function llvm(insn: Insn, row: OpcodeRow): string {
  const w = row.width === 32 ? 'w' : 'r';
  const d = `${w}${insn.dst}`;
  const s = `${w}${insn.src}`;
  switch (row.kind) {
    case 'alu': {
      if (row.alu === 'movsx') return `${d} = (s${row.sxBits})${s}`;
      const rhs = row.source === 'X' ? s : String(insn.imm);
      return `${d} ${LLVM_ALU[row.alu!]} ${rhs}`;
    }
    case 'neg':
      return `${d} = -${d}`;
    case 'end':
      return `r${insn.dst} = ${row.mnemonic} r${insn.dst}`;
    case 'ja':
      return row.width === 32 ? `gotol ${signed(insn.imm)}` : `goto ${signed(insn.off)}`;
    case 'jcond': {
      const rhs = row.source === 'X' ? s : String(insn.imm);
      return `if ${d} ${LLVM_COND[row.cond!]} ${rhs} goto ${signed(insn.off)}`;
    }
    case 'call':
      return `call ${insn.imm}`;
    case 'callx':
      return `callx r${insn.dst}`;
    case 'exit':
      return 'exit';
    case 'lddw':
      if (insn.src === LddwSrc.IMM64) return `r${insn.dst} = ${BigInt.asIntN(64, imm64(insn))} ll`;
      return `r${insn.dst} = ${pseudoOperand(insn)} ll`;
    case 'ldabs':
      return `r0 = *(${SIZE_TYPE[row.size!]} *)skb[${insn.imm}]`;
    case 'ldind':
      return `r0 = *(${SIZE_TYPE[row.size!]} *)skb[r${insn.src}${insn.imm === 0 ? '' : ` + ${insn.imm}`}]`;
    case 'ldx': {
      const ty = row.signed ? SSIZE_TYPE[row.size!] : SIZE_TYPE[row.size!];
      return `r${insn.dst} = *(${ty} *)${memOperandLlvm(insn.src, insn.off)}`;
    }
    case 'st':
      return `*(${SIZE_TYPE[row.size!]} *)${memOperandLlvm(insn.dst, insn.off)} = ${insn.imm}`;
    case 'stx':
      return `*(${SIZE_TYPE[row.size!]} *)${memOperandLlvm(insn.dst, insn.off)} = r${insn.src}`;
    case 'atomic': {
      const ty = SIZE_TYPE[row.size!];
      const addr = `r${insn.dst} ${insn.off < 0 ? '-' : '+'} ${Math.abs(insn.off)}`;
      if (row.atomic === 'xchg') return `${s} = xchg${row.width === 32 ? '32_32' : '_64'}(${addr}, ${s})`;
      if (row.atomic === 'cmpxchg') {
        return `${w}0 = cmpxchg${row.width === 32 ? '32_32' : '_64'}(${addr}, ${w}0, ${s})`;
      }
      if (row.fetch) return `${s} = atomic_fetch_${row.atomic}((${ty} *)(${addr}), ${s})`;
      // llvm-objdump prints the v1 `xadd` forms with 64-bit register names at both widths.
      const reg = row.atomic === 'add' ? `r${insn.src}` : s;
      return `lock *(${ty} *)(${addr}) ${LLVM_ATOMIC[row.atomic!]} ${reg}`;
    }
  }
}

/** One instruction as text. Invalid instructions print as `<unknown>` in llvm syntax, `.invalid 0x..` otherwise. */
export function formatInsn(insn: Insn, syntax: Syntax = 'conformance'): string {
  if (insn.op === INVALID) return syntax === 'llvm' ? '<unknown>' : `.invalid ${hex(insn.code)}`;
  const row = OPCODES[insn.op]!;
  return syntax === 'llvm' ? llvm(insn, row) : conformance(insn, row);
}

/** A program as text, one instruction per line. */
export function disassemble(insns: readonly Insn[], syntax: Syntax = 'conformance'): string {
  return insns.map((insn) => formatInsn(insn, syntax)).join('\n') + (insns.length > 0 ? '\n' : '');
}
