/**
 * @file The calling convention and run-time layout of compiled AArch64
 * programs (`docs/native-arm64.md` explains them in full): which registers
 * carry what, how the eBPF stack is found, how helpers are reached through the
 * emulator's host-call escape, and how run-time failures are reported.
 *
 * ```
 *   x0..x4   r1..r5 (arguments of functions, helpers and bpf-to-bpf calls)
 *   x0       r0 (results)
 *   x7       on entry to the program stub only: the eBPF stack top
 *   x15-x17  lowering scratch (x16 = IP0 also breaks parallel-move cycles)
 *   x26      lowest frame pointer a call may reach (call-depth limit)
 *   x27      eBPF frame pointer (r10) of the running function
 *   x29/x30  AAPCS64 frame record; SP: the machine stack (spills, saves)
 * ```
 */

import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/registers.js';
import type { Reg } from './insts.js';

/** The eBPF frame pointer register (r10 of the running call). */
export const FRAME_REG: Reg = 27;
/** Lowest frame pointer a bpf-to-bpf call may set up (the eighth frame's r10). */
export const LIMIT_REG: Reg = 26;
/** Where the program stub receives the eBPF stack top. */
export const STACK_TOP_ARG: Reg = 7;
/** Lowering scratch registers: x16 (IP0, also used to break move cycles), x17 (IP1), x15. */
export const SCRATCH: readonly Reg[] = [16, 17, 15];
/** Bytes of eBPF stack per call frame. */
export const FRAME_BYTES = STACK_SIZE;
/** Distance from the entry frame's r10 down to the deepest allowed r10. */
export const DEPTH_SPAN = STACK_SIZE * (MAX_CALL_FRAMES - 1);

/** What a BRK site in the code reports (the program-stub's fault table). */
export type FaultKind = 'trap' | 'callDepth';

/** One BRK site: the `imm16` of the BRK indexes the table of these. */
export interface FaultSite {
  readonly kind: FaultKind;
  /** eBPF pc the fault names. */
  readonly pc: number;
}

/**
 * What one host function (the target of `blr` to `HOST_CALL_BASE + 4 * index`)
 * does: a helper with `argc` arguments (the rest read as 0), a `callx` (x5
 * holds the helper id, x0..x4 the arguments), or a legacy packet load of
 * `size` bytes at packet offset x1.
 */
export type HostCall =
  | { readonly kind: 'helper'; readonly id: number; readonly argc: number }
  | { readonly kind: 'callx'; readonly argc: number }
  | { readonly kind: 'ldPkt'; readonly size: 1 | 2 | 4 };

/** A stable key of a host call, for sharing one host-function slot between sites. */
export function hostCallKey(h: HostCall): string {
  switch (h.kind) {
    case 'helper': return `helper ${h.id}/${h.argc}`;
    case 'callx': return `callx/${h.argc}`;
    case 'ldPkt': return `ld_pkt ${h.size}`;
  }
}
