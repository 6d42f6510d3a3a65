/**
 * @file The x86-64 register description for the shared allocator
 * (`src/codegen/target.ts`) and which constants the lowering folds.
 *
 * rsp is the machine stack, rbp the eBPF frame pointer (`abi.ts`); r11, rax
 * and rcx are the lowering's scratch registers (r11 breaks move cycles and
 * carries runtime-service operands; rax is the implicit operand of div,
 * cmpxchg and results; cl is the shift count). Argument registers follow
 * SysV (System V ABI AMD64 supplement §3.2.3) so helper arguments r1..r5
 * land in rdi, rsi, rdx, rcx, r8.
 */

import type { Func, InstData } from '../ir/func.js';
import type { RegTarget } from '../codegen/target.js';
import { R10, R11, R12, R13, R14, R15, R8, R9, RAX, RBX, RCX, RDI, RDX, RSI, regName } from './regs.js';

/** Whether a constant fits a sign-extended imm32 at this type. */
export function fitsImm(value: bigint, type: 'i32' | 'i64'): boolean {
  if (type === 'i32') return true;
  const s = BigInt.asIntN(64, value);
  return s >= -0x80000000n && s <= 0x7fffffffn;
}

const FOLD_ARG1 = new Set(['add', 'sub', 'and', 'or', 'xor', 'mul', 'shl', 'lshr', 'ashr', 'icmp']);

/** Operand folding rule shared by the allocator and the lowering. */
export function foldsConst(_fn: Func, inst: InstData, argIndex: number, value: bigint): boolean {
  if (argIndex === 1 && FOLD_ARG1.has(inst.op)) return fitsImm(value, inst.type);
  if (argIndex === 0 && inst.op === 'store') return fitsImm(value, inst.type);
  if (inst.op === 'ret') return true;
  return false;
}

/** The x86-64 target. */
export const X86_TARGET: RegTarget = {
  name: 'x86-64',
  allocatable: [RSI, RDI, R8, R9, R10, RDX, RBX, R12, R13, R14, R15],
  callerSaved: [RAX, RCX, RDX, RSI, RDI, R8, R9, R10, R11],
  calleeSaved: [RBX, R12, R13, R14, R15],
  argRegs: [RDI, RSI, RDX, RCX, R8],
  retReg: RAX,
  scratch: [R11, RAX, RCX],
  clobbers(_fn, inst) {
    return inst.op === 'udiv' || inst.op === 'sdiv' || inst.op === 'urem' || inst.op === 'srem' ? [RDX] : [];
  },
  foldsConst,
  regName: (r) => regName(r, 64),
};
