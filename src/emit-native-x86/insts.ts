/**
 * @file x86-64 machine-instruction records: the one description that `encode.ts`
 * turns into bytes, `print.ts` into AT&T assembly text, and `decode.ts` recovers
 * from bytes.
 *
 * Operands are plain data:
 * - a register is its number (`Reg`, 0..15, see `regs.ts`);
 * - an immediate is `{ imm }`, a signed value that must fit the form's field
 *   (imm8/imm16/imm32, sign-extended to the operand size as the SDM says);
 * - memory is `{ base, index?, scale?, disp }`, meaning `base + index*scale + disp`
 *   (`base: 'rip'` for RIP-relative, disp counted from the end of the instruction).
 *
 * `size` is the operand size in bits. Fields named `dst` are written (and for
 * two-operand arithmetic also read); `src` is only read. Branch records carry
 * `rel`, the displacement from the end of the instruction, and the field
 * `width` (8 or 32); code that branches to labels emits them through
 * `emitBranch` in `encode.ts`, which records a fixup in the code buffer.
 */

import type { Cond } from './cond.js';
import type { Reg } from './regs.js';

/** Operand size in bits. */
export type Size = 8 | 16 | 32 | 64;

/** An immediate operand. */
export interface Imm { readonly imm: number }

/** A memory operand: `[base + index*scale + disp]`. */
export interface Mem {
  readonly base: Reg | 'rip';
  readonly index?: Reg;
  readonly scale?: 1 | 2 | 4 | 8;
  /** Signed 32-bit displacement. */
  readonly disp: number;
}

/** A register or memory operand (the ModRM r/m side). */
export type RM = Reg | Mem;

/** The eight classic ALU operations, numbered as their ModRM /digit and opcode row (SDM "ADD", "OR"...). */
export const ALU_OPS = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'] as const;
/** An ALU operation. */
export type AluOp = typeof ALU_OPS[number];

/** Group-2 shifts and rotates with their ModRM /digit (SDM "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR"). */
export const SHIFT_OPS = { rol: 0, ror: 1, shl: 4, shr: 5, sar: 7 } as const;
/** A shift or rotate. */
export type ShiftOp = keyof typeof SHIFT_OPS;

/** Group-3 unary operations with their ModRM /digit (SDM "NOT", "NEG", "MUL", "DIV", "IDIV"). */
export const UNARY_OPS = { not: 2, neg: 3, mul: 4, div: 6, idiv: 7 } as const;
/** A group-3 unary operation; mul/div/idiv use rdx:rax implicitly. */
export type UnaryOp = keyof typeof UNARY_OPS;

/** One x86-64 machine instruction. */
export type Inst =
  /** mov r/m, r | mov r, r/m | mov r/m, imm (64-bit: imm32 sign-extended; 32-bit writes zero-extend). */
  | { readonly op: 'mov'; readonly size: Size; readonly dst: RM; readonly src: RM | Imm }
  /** movabs r64, imm64. */
  | { readonly op: 'movabs'; readonly dst: Reg; readonly imm: bigint }
  /** movzx/movsx r, r/m of a narrower size `from` (movsx from 32 is movsxd, size 64 only). */
  | { readonly op: 'movzx' | 'movsx'; readonly size: 16 | 32 | 64; readonly from: 8 | 16 | 32; readonly dst: Reg; readonly src: RM }
  /** lea r, m. */
  | { readonly op: 'lea'; readonly size: 32 | 64; readonly dst: Reg; readonly src: Mem }
  /** add/or/adc/sbb/and/sub/xor/cmp, optionally `lock` (memory destination only). */
  | { readonly op: AluOp; readonly size: Size; readonly dst: RM; readonly src: RM | Imm; readonly lock?: boolean }
  /** test r/m, r | test r/m, imm. */
  | { readonly op: 'test'; readonly size: Size; readonly dst: RM; readonly src: Reg | Imm }
  /** imul r, r/m (two operands) or imul r, r/m, imm (three). */
  | { readonly op: 'imul'; readonly size: 16 | 32 | 64; readonly dst: Reg; readonly src: RM; readonly imm?: number }
  /** not/neg r/m; mul/div/idiv r/m with rdx:rax. */
  | { readonly op: UnaryOp; readonly size: Size; readonly dst: RM }
  /** Shift or rotate r/m by an immediate count or by cl. */
  | { readonly op: ShiftOp; readonly size: Size; readonly dst: RM; readonly count: number | 'cl' }
  /** BMI2 shlx/shrx/sarx: dst = src shifted by `count` (masked to 5 or 6 bits); flags unchanged. */
  | { readonly op: 'shlx' | 'shrx' | 'sarx'; readonly size: 32 | 64; readonly dst: Reg; readonly src: RM; readonly count: Reg }
  /** bswap r32/r64. */
  | { readonly op: 'bswap'; readonly size: 32 | 64; readonly dst: Reg }
  /** xchg r/m, r (a memory xchg is locked anyway; `lock` only adds the redundant prefix). */
  | { readonly op: 'xchg'; readonly size: Size; readonly dst: RM; readonly src: Reg; readonly lock?: boolean }
  /** xadd/cmpxchg r/m, r, optionally `lock`. cmpxchg compares with rax. */
  | { readonly op: 'xadd' | 'cmpxchg'; readonly size: Size; readonly dst: RM; readonly src: Reg; readonly lock?: boolean }
  /** setcc r/m8. */
  | { readonly op: 'setcc'; readonly cc: Cond; readonly dst: RM }
  /** cmovcc r, r/m. */
  | { readonly op: 'cmovcc'; readonly cc: Cond; readonly size: 16 | 32 | 64; readonly dst: Reg; readonly src: RM }
  /** jcc rel8/rel32. */
  | { readonly op: 'jcc'; readonly cc: Cond; readonly rel: number; readonly width: 8 | 32 }
  /** jmp rel8/rel32. */
  | { readonly op: 'jmp'; readonly rel: number; readonly width: 8 | 32 }
  /** call rel32. */
  | { readonly op: 'call'; readonly rel: number }
  /** jmp *r/m64, call *r/m64. */
  | { readonly op: 'jmp-indirect' | 'call-indirect'; readonly target: RM }
  /** push r64, pop r64. */
  | { readonly op: 'push' | 'pop'; readonly reg: Reg }
  /** cqo (size 64: rdx:rax = sign-extend rax) or cdq (size 32: edx:eax = sign-extend eax). */
  | { readonly op: 'cqo'; readonly size: 32 | 64 }
  /** ret, nop, ud2, int3; leave (rsp ← rbp, pop rbp) and endbr64 (a CET landing pad, a no-op here) as JIT prologues/epilogues use them. */
  | { readonly op: 'ret' | 'nop' | 'ud2' | 'int3' | 'leave' | 'endbr64' };

/** Operation names. */
export type InstOp = Inst['op'];

/** Whether an operand is a register. */
export function isReg(x: RM | Imm): x is Reg { return typeof x === 'number'; }

/** Whether an operand is an immediate. */
export function isImm(x: RM | Imm): x is Imm { return typeof x === 'object' && 'imm' in x; }

/** Whether an operand is memory. */
export function isMem(x: RM | Imm): x is Mem { return typeof x === 'object' && 'base' in x; }

/** Shorthand for a memory operand. */
export function mem(base: Reg | 'rip', disp = 0, index?: Reg, scale?: 1 | 2 | 4 | 8): Mem {
  return index === undefined ? { base, disp } : { base, index, scale: scale ?? 1, disp };
}

/** Shorthand for an immediate operand. */
export function imm(value: number): Imm { return { imm: value }; }

/**
 * The shortest plain move of a 64-bit constant into `dst` (flags untouched):
 * `movl $imm32` when it zero-extends to `value` (5-6 bytes), `movq $simm32`
 * when it sign-extends to it (7 bytes), else `movabsq` (10 bytes).
 */
export function movImm64(dst: number, value: bigint): Inst {
  const u = BigInt.asUintN(64, value);
  if (u <= 0xffffffffn) return { op: 'mov', size: 32, dst, src: { imm: Number(BigInt.asIntN(32, u)) } };
  const s = BigInt.asIntN(64, u);
  if (s >= -0x80000000n && s <= 0x7fffffffn) return { op: 'mov', size: 64, dst, src: { imm: Number(s) } };
  return { op: 'movabs', dst, imm: u };
}
