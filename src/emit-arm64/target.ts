/**
 * @file The AArch64 target as the shared register allocator sees it
 * (`src/codegen/target.ts`): AAPCS64 roles (`regs.ts`) minus the registers the
 * lowering reserves (`abi.ts`), and which constants the instruction selection
 * folds into immediates (`lower.ts` asks the same functions, so the two agree);
 * and the backend's target record.
 */

import type { RegTarget } from '../codegen/target.js';
import type { Func, InstData, Module } from '../ir/func.js';
import { compileArm64, type Arm64CompileOptions, type Arm64Program } from './compile.js';
import { isBitmask } from './bitmask.js';
import { FRAME_REG, LIMIT_REG, SCRATCH } from './abi.js';
import { ARG_REGS, CALLEE_SAVED, CALLER_SAVED, PLATFORM_REG } from './regs.js';

const RESERVED = new Set([...SCRATCH, FRAME_REG, LIMIT_REG, PLATFORM_REG]);

/** Whether `value` (at `bits`) fits an add/sub immediate: 12 bits, optionally shifted by 12. */
export function addSubImmFits(value: bigint): boolean {
  return (value >= 0n && value < 4096n) || (value >= 0n && (value & 0xfffn) === 0n && value < (4096n << 12n));
}

/** Signed value of an immediate at the instruction's width. */
export function signedImm(value: bigint, bits: 32 | 64): bigint {
  return BigInt.asIntN(bits, value);
}

/** Whether an add/sub/cmp by `value` encodes (either sign: add becomes sub and cmp becomes cmn). */
export function arithImmFits(value: bigint, bits: 32 | 64): boolean {
  const s = signedImm(value, bits);
  return addSubImmFits(s) || addSubImmFits(-s);
}

/**
 * Whether operand `argIndex` of `inst`, a constant `value`, is folded into the
 * instruction: add/sub/icmp immediates, bitmask immediates of and/or/xor,
 * constant shift amounts, storing the constant zero (from XZR), and returning
 * a constant (materialised straight into x0).
 */
export function foldsConst(_fn: Func, inst: InstData, argIndex: number, value: bigint): boolean {
  const bits = inst.type === 'i64' ? 64 : 32;
  switch (inst.op) {
    case 'add': case 'sub': case 'icmp':
      if (inst.op === 'icmp' && inst.cond === 'set') return argIndex === 1 && isBitmask(BigInt.asUintN(bits, value), bits === 64);
      return argIndex === 1 && arithImmFits(value, bits);
    case 'and': case 'or': case 'xor':
      return argIndex === 1 && isBitmask(BigInt.asUintN(bits, value), bits === 64);
    case 'shl': case 'lshr': case 'ashr':
      return argIndex === 1;
    case 'store':
      return argIndex === 0 && value === 0n;
    case 'ret':
      return true;
    default:
      return false;
  }
}

/** The AArch64 register target. */
export const ARM64_TARGET: RegTarget = {
  name: 'arm64',
  allocatable: [
    ...CALLER_SAVED.filter((r) => !RESERVED.has(r)),
    ...CALLEE_SAVED.filter((r) => !RESERVED.has(r)),
  ],
  callerSaved: CALLER_SAVED,
  calleeSaved: CALLEE_SAVED.filter((r) => !RESERVED.has(r)),
  argRegs: ARG_REGS.slice(0, 5),
  retReg: 0,
  scratch: SCRATCH,
  // a legacy packet load is a host call: everything caller-saved is lost across it
  clobbers: (_fn, inst) => (inst.op === 'ld_pkt' ? CALLER_SAVED : []),
  foldsConst,
  regName: (r) => (r === 31 ? 'sp' : `x${r}`),
};

/** The AArch64 backend as a target record (the same shape as `wasmTarget`). */
export interface Arm64Target {
  readonly name: 'arm64';
  /** The register file as the allocator sees it. */
  readonly regs: RegTarget;
  /** Compile an IR module (see `compile.ts`). */
  compile(module: Module, options?: Arm64CompileOptions): Arm64Program;
  /** The assembly text of a compiled module. */
  print(prog: Arm64Program): string;
}

/** The AArch64 target record. */
export const arm64Target: Arm64Target = {
  name: 'arm64',
  regs: ARM64_TARGET,
  compile: (module, options = {}) => compileArm64(module, options),
  print: (prog) => prog.text,
};
