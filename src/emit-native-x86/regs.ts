/**
 * @file x86-64 general-purpose registers: numbers as the hardware encodes them, and names.
 *
 * The number is the 4-bit register field of the Intel SDM Vol. 2, §2.1.5
 * (Table 2-2 and §2.2.1.2): the low three bits go in ModRM.reg, ModRM.rm,
 * SIB.base or SIB.index, the fourth in REX.R, REX.B or REX.X.
 */

/** A general-purpose register, 0 (rax) to 15 (r15). */
export type Reg = number;

/** Register numbers. */
export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
/** Register numbers r8..r15. */
export const R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;

/** Number of general-purpose registers. */
export const GPR_COUNT = 16;

const NAMES64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'];
const NAMES32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const NAMES16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
/** With a REX prefix, 4..7 name spl, bpl, sil, dil (never ah..bh, which this backend does not use). */
const NAMES8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil'];

/** The name of `reg` at operand size `size` (bits), without the `%`. */
export function regName(reg: Reg, size: 8 | 16 | 32 | 64): string {
  if (reg >= 8) return `r${reg}${size === 64 ? '' : size === 32 ? 'd' : size === 16 ? 'w' : 'b'}`;
  switch (size) {
    case 64: return NAMES64[reg]!;
    case 32: return NAMES32[reg]!;
    case 16: return NAMES16[reg]!;
    case 8: return NAMES8[reg]!;
  }
}

/** SysV AMD64 integer argument registers, in order (System V ABI AMD64 supplement §3.2.3). */
export const SYSV_ARGS: readonly Reg[] = [RDI, RSI, RDX, RCX, R8, R9];

/** SysV AMD64 callee-saved registers. */
export const SYSV_CALLEE_SAVED: readonly Reg[] = [RBX, RBP, R12, R13, R14, R15];
