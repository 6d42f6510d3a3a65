/** @file eBPF registers and their roles in the calling convention (RFC 9669 §2.4). */

/** r0: return value of calls and of the program. */
export const R0 = 0;
/** r1..r5: arguments; clobbered by calls. */
export const ARG_REGS = [1, 2, 3, 4, 5] as const;
/** r6..r9: callee-saved. */
export const CALLEE_SAVED = [6, 7, 8, 9] as const;
/** r10: read-only frame pointer. */
export const FP = 10;
/** Number of registers. */
export const REG_COUNT = 11;
/** Bytes of stack per frame. */
export const STACK_SIZE = 512;
/** Deepest bpf-to-bpf call chain, frames included (the kernel's MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;
