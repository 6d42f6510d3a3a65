/**
 * @file One-line text of an instruction for the verifier log, in the
 * kernel's log style (`0: (b7) r0 = 1`, llvm-objdump-like). Kept minimal;
 * `src/isa/disasm.ts` is the full disassembler.
 */

import { imm64, rowOf, type Insn } from '../isa/insn.js';

const ALU_SYM: Record<string, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=', mod: '%=',
  smod: 's%=', xor: '^=', mov: '=', arsh: 's>>=',
};
const JMP_SYM: Record<string, string> = {
  jeq: '==', jne: '!=', jgt: '>', jge: '>=', jlt: '<', jle: '<=', jsgt: 's>', jsge: 's>=', jslt: 's<', jsle: 's<=', jset: '&',
};
const SZ: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

const off = (o: number): string => (o < 0 ? ` - ${-o}` : ` + ${o}`);

/** The instruction's text, e.g. `r1 = *(u32 *)(r1 + 4)`. */
export function insnText(insn: Insn): string {
  const row = rowOf(insn);
  if (row === undefined) return `invalid opcode 0x${insn.code.toString(16)}`;
  const w = row.width === 32 ? 'w' : 'r';
  const d = `${w}${insn.dst}`;
  const s = row.source === 'X' ? `${w}${insn.src}` : `${insn.imm}`;
  switch (row.kind) {
    case 'alu':
      if (row.alu === 'movsx') return `${d} = (s${row.sxBits})${w}${insn.src}`;
      return `${d} ${ALU_SYM[row.alu!]} ${s}`;
    case 'neg': return `${d} = -${d}`;
    case 'end': return `r${insn.dst} = ${row.end}${(row.size ?? 8) * 8} r${insn.dst}`;
    case 'ja': return `goto pc${row.width === 32 ? (insn.imm >= 0 ? '+' : '') + insn.imm : (insn.off >= 0 ? '+' : '') + insn.off}`;
    case 'jcond': return `if ${d} ${JMP_SYM[row.cond!]} ${row.source === 'X' ? s : `0x${(insn.imm >>> 0).toString(16)}`} goto pc${insn.off >= 0 ? '+' : ''}${insn.off}`;
    case 'call':
      if (row.name === 'CALL_LOCAL') return `call pc${insn.imm >= 0 ? '+' : ''}${insn.imm}`;
      return `call ${insn.imm}`;
    case 'callx': return `callx r${insn.dst}`;
    case 'exit': return 'exit';
    case 'lddw':
      if (insn.src === 0) return `r${insn.dst} = 0x${imm64(insn).toString(16)} ll`;
      if (insn.src === 1 || insn.src === 5) return `r${insn.dst} = map[id:${insn.imm}]`;
      if (insn.src === 2 || insn.src === 6) return `r${insn.dst} = map[id:${insn.imm}][0]+${insn.imm2}`;
      if (insn.src === 4) return `r${insn.dst} = func pc${insn.imm >= 0 ? '+' : ''}${insn.imm}`;
      return `r${insn.dst} = pseudo(${insn.src}, ${insn.imm})`;
    case 'ldabs': return `r0 = *(${SZ[row.size!]} *)skb[${insn.imm}]`;
    case 'ldind': return `r0 = *(${SZ[row.size!]} *)skb[r${insn.src} + ${insn.imm}]`;
    case 'ldx': return `r${insn.dst} = *(${row.signed ? 's' : 'u'}${row.size! * 8} *)(r${insn.src}${off(insn.off)})`;
    case 'st': return `*(${SZ[row.size!]} *)(r${insn.dst}${off(insn.off)}) = ${insn.imm}`;
    case 'stx': return `*(${SZ[row.size!]} *)(r${insn.dst}${off(insn.off)}) = r${insn.src}`;
    case 'atomic': return `lock *(${SZ[row.size!]} *)(r${insn.dst}${off(insn.off)}) ${row.atomic}${row.fetch ? ' fetch' : ''} r${insn.src}`;
  }
}
