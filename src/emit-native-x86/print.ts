/**
 * @file x86-64 assembly text in GNU/AT&T syntax, as `llvm-mc -triple=x86_64` reads it.
 *
 * Every mnemonic carries its operand-size suffix (b/w/l/q), so the assembler
 * never guesses, and for every record `llvm-mc` assembles the printed text to
 * exactly the bytes `encode.ts` produces (checked by
 * `test/emit-native-x86/encoding.test.ts`). Operands come source first,
 * destination last (AT&T order). A relative branch without a label prints as
 * `.+N`, N counted from the start of the instruction; a rel32 branch carries
 * the `{disp32}` pseudo-prefix so the assembler keeps the long form.
 */

import { unreachable } from '../diag/errors.js';
import { condSuffix } from './cond.js';
import { encodeInst } from './encode.js';
import { isImm, isReg, type Imm, type Inst, type RM, type Size } from './insts.js';
import { regName, type Reg } from './regs.js';

/** Operand-size suffix. */
const SUFFIX: Record<Size, string> = { 8: 'b', 16: 'w', 32: 'l', 64: 'q' };

/** A register operand. */
function reg(r: Reg, size: Size): string { return `%${regName(r, size)}`; }

/** An r/m or immediate operand; registers are printed at `size`. */
function operand(x: RM | Imm, size: Size): string {
  if (isReg(x)) return reg(x, size);
  if (isImm(x)) return `$${x.imm}`;
  const disp = x.disp === 0 ? '' : String(x.disp);
  if (x.base === 'rip') return `${disp}(%rip)`;
  const index = x.index === undefined ? '' : `,${reg(x.index, 64)},${x.scale ?? 1}`;
  return `${disp}(${reg(x.base, 64)}${index})`;
}

/** An indirect branch target. */
function indirect(x: RM): string { return `*${operand(x, 64)}`; }

/** A relative branch target: the label if given, else `.+N` from the instruction start. */
function relTarget(inst: Inst & { op: 'jcc' | 'jmp' | 'call' }, label: string | undefined): string {
  if (label !== undefined) return label;
  const len = encodeInst(inst).length;
  const n = inst.rel + len;
  return n >= 0 ? `.+${n}` : `.${n}`;
}

/**
 * One instruction as AT&T text (no indentation, no newline). `label` replaces
 * the numeric target of a relative branch.
 */
export function printInst(inst: Inst, label?: string): string {
  switch (inst.op) {
    case 'mov':
      return `mov${SUFFIX[inst.size]} ${operand(inst.src, inst.size)}, ${operand(inst.dst, inst.size)}`;
    case 'movabs':
      return `movabsq $${BigInt.asIntN(64, inst.imm)}, ${reg(inst.dst, 64)}`;
    case 'movzx':
    case 'movsx':
      return `mov${inst.op === 'movzx' ? 'z' : 's'}${SUFFIX[inst.from]}${SUFFIX[inst.size]} ` +
        `${operand(inst.src, inst.from)}, ${reg(inst.dst, inst.size)}`;
    case 'lea':
      return `lea${SUFFIX[inst.size]} ${operand(inst.src, 64)}, ${reg(inst.dst, inst.size)}`;
    case 'add': case 'or': case 'adc': case 'sbb': case 'and': case 'sub': case 'xor': case 'cmp':
      return `${inst.lock === true ? 'lock ' : ''}${inst.op}${SUFFIX[inst.size]} ` +
        `${operand(inst.src, inst.size)}, ${operand(inst.dst, inst.size)}`;
    case 'test':
      return `test${SUFFIX[inst.size]} ${operand(inst.src, inst.size)}, ${operand(inst.dst, inst.size)}`;
    case 'imul':
      return inst.imm === undefined
        ? `imul${SUFFIX[inst.size]} ${operand(inst.src, inst.size)}, ${reg(inst.dst, inst.size)}`
        : `imul${SUFFIX[inst.size]} $${inst.imm}, ${operand(inst.src, inst.size)}, ${reg(inst.dst, inst.size)}`;
    case 'not': case 'neg': case 'mul': case 'div': case 'idiv':
      return `${inst.op}${SUFFIX[inst.size]} ${operand(inst.dst, inst.size)}`;
    case 'rol': case 'ror': case 'shl': case 'shr': case 'sar':
      return `${inst.op}${SUFFIX[inst.size]} ${inst.count === 'cl' ? '%cl' : `$${inst.count}`}, ${operand(inst.dst, inst.size)}`;
    case 'shlx': case 'shrx': case 'sarx':
      return `${inst.op}${SUFFIX[inst.size]} ${reg(inst.count, inst.size)}, ${operand(inst.src, inst.size)}, ${reg(inst.dst, inst.size)}`;
    case 'bswap':
      return `bswap${SUFFIX[inst.size]} ${reg(inst.dst, inst.size)}`;
    case 'xchg':
      // Register pairs print destination first: llvm-mc puts the first operand in ModRM.rm.
      return isReg(inst.dst)
        ? `xchg${SUFFIX[inst.size]} ${reg(inst.dst, inst.size)}, ${reg(inst.src, inst.size)}`
        : `${inst.lock === true ? 'lock ' : ''}xchg${SUFFIX[inst.size]} ${reg(inst.src, inst.size)}, ${operand(inst.dst, inst.size)}`;
    case 'xadd':
    case 'cmpxchg':
      return `${inst.lock === true ? 'lock ' : ''}${inst.op}${SUFFIX[inst.size]} ` +
        `${reg(inst.src, inst.size)}, ${operand(inst.dst, inst.size)}`;
    case 'setcc':
      return `set${condSuffix(inst.cc)} ${operand(inst.dst, 8)}`;
    case 'cmovcc':
      return `cmov${condSuffix(inst.cc)}${SUFFIX[inst.size]} ${operand(inst.src, inst.size)}, ${reg(inst.dst, inst.size)}`;
    case 'jcc':
      return `${inst.width === 32 ? '{disp32} ' : ''}j${condSuffix(inst.cc)} ${relTarget(inst, label)}`;
    case 'jmp':
      return `${inst.width === 32 ? '{disp32} ' : ''}jmp ${relTarget(inst, label)}`;
    case 'call':
      return `callq ${relTarget(inst, label)}`;
    case 'jmp-indirect':
      return `jmpq ${indirect(inst.target)}`;
    case 'call-indirect':
      return `callq ${indirect(inst.target)}`;
    case 'push':
    case 'pop':
      return `${inst.op}q ${reg(inst.reg, 64)}`;
    case 'cqo':
      return inst.size === 64 ? 'cqto' : 'cltd';
    case 'ret': return 'retq';
    case 'nop': return 'nop';
    case 'ud2': return 'ud2';
    case 'int3': return 'int3';
    case 'leave': return 'leaveq';
    case 'endbr64': return 'endbr64';
    default: return unreachable(inst, 'x86 instruction');
  }
}

/** A sequence of instructions, one per line, tab-indented, as an assembler source body. */
export function printInsts(insts: readonly Inst[]): string {
  return insts.map((i) => `\t${printInst(i)}\n`).join('');
}
