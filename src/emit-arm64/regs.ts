/**
 * @file The AArch64 general-purpose register file and the roles the
 * procedure call standard gives each register (AAPCS64, "Procedure Call
 * Standard for the Arm 64-bit Architecture", section "General-purpose
 * registers"), as the register allocator and the host-call trampoline need
 * them.
 *
 * ```
 *   x0–x7    arguments and results          caller-saved
 *   x8       indirect result location       caller-saved
 *   x9–x15   temporaries                    caller-saved
 *   x16–x17  IP0/IP1, intra-procedure-call scratch (veneers may clobber)
 *   x18      platform register (reserved on some OSes: never allocated)
 *   x19–x28  callee-saved
 *   x29      frame pointer                  x30  link register
 *   31       SP or XZR, by instruction
 * ```
 */

import type { Reg } from './insts.js';

/** Argument registers, in order (x0 also holds the result). */
export const ARG_REGS: readonly Reg[] = [0, 1, 2, 3, 4, 5, 6, 7];
/** Registers a call may clobber (x0–x17; x18 is left out, as it is never allocated). */
export const CALLER_SAVED: readonly Reg[] = Array.from({ length: 18 }, (_, k) => k);
/** Registers a callee must preserve (x19–x28; x29/x30 are saved by the frame record). */
export const CALLEE_SAVED: readonly Reg[] = [19, 20, 21, 22, 23, 24, 25, 26, 27, 28];
/** Scratch registers the backend keeps out of allocation, for address and constant building. */
export const SCRATCH_REGS: readonly Reg[] = [16, 17];
/** The platform register, never used. */
export const PLATFORM_REG: Reg = 18;
/** Registers the allocator may hand out, caller-saved first. */
export const ALLOCATABLE: readonly Reg[] = [
  ...CALLER_SAVED.filter((r) => !SCRATCH_REGS.includes(r)),
  ...CALLEE_SAVED,
];
