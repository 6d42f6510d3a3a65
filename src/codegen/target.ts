/**
 * @file The description a native backend gives the shared register allocator
 * (`regalloc.ts`): which registers it may hand out, which a call clobbers,
 * where arguments and results travel, and which registers the lowering keeps
 * for itself.
 *
 * Registers are the backend's own numbers (x86-64: 0..15 as `regs.ts` encodes
 * them; AArch64: x0..x30). The allocator never looks inside them; it only
 * compares and copies them. There is one register class (64-bit integer):
 * eBPF has no floating point.
 */

import type { Func, InstData } from '../ir/func.js';

/** A machine register number, as the backend numbers it. */
export type MReg = number;

/** What the register allocator needs to know about a target. */
export interface RegTarget {
  /** Name for messages (`x86-64`, `arm64`). */
  readonly name: string;
  /**
   * Registers the allocator may assign, in order of preference (it takes the
   * first free one that suits, so put caller-saved first: they cost no
   * save/restore in the prologue). Must not contain any `scratch` register or
   * the stack pointer.
   */
  readonly allocatable: readonly MReg[];
  /**
   * Registers a call (helper, bpf-to-bpf, indirect) may destroy. A value live
   * across a call is never put in one of these: it gets a callee-saved
   * register or a frame slot.
   */
  readonly callerSaved: readonly MReg[];
  /**
   * Registers the generated function must preserve: the allocator reports the
   * ones it used (`Allocation.usedCalleeSaved`) so the prologue saves them.
   */
  readonly calleeSaved: readonly MReg[];
  /**
   * Where parameter i of a function (entry block param i) arrives and where
   * argument i of a call is passed (r1..r5 → argRegs[0..4]). Also the
   * registers a helper call receives its arguments in.
   */
  readonly argRegs: readonly MReg[];
  /** Where a call's result arrives and where `ret` leaves it (r0). */
  readonly retReg: MReg;
  /**
   * Registers never allocated: the lowering's temporaries (loading spilled
   * operands, materialising constants, address computation). The first one
   * (`scratch[0]`) is also what the move sequentialiser uses to break cycles
   * in parallel copies, so the lowering must not hold anything in it across
   * a move sequence from `Allocation`. A `Move` from a slot to a slot needs a
   * second scratch register, so give at least two.
   */
  readonly scratch: readonly MReg[];
  /**
   * Extra registers an instruction's lowering destroys (besides its result
   * register), e.g. x86-64 `div` clobbers rdx. Values live across that
   * instruction avoid them. Calls need not list `callerSaved` here.
   */
  clobbers?(fn: Func, inst: InstData): readonly MReg[];
  /**
   * Whether the lowering folds operand `argIndex` of `inst` into the
   * instruction as an immediate when that operand is an `iconst` (so the use
   * needs no register). When every use of a constant is folded, the constant
   * gets no location at all (`Loc` kind `none`).
   */
  foldsConst?(fn: Func, inst: InstData, argIndex: number, value: bigint): boolean;
  /** Register name for dumps and tests (`rax`, `x0`). */
  regName(reg: MReg): string;
}
