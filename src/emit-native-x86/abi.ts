/**
 * @file The x86-64 program ABI (see `docs/native.md`): which register holds
 * the eBPF frame pointer, and how generated code reaches the host through the
 * emulator's host-call escape (`call HOST_BASE + id`, `emulator.ts`).
 *
 * A host id packs the eBPF pc of the call site with a service number:
 * `id = pc << 10 | service`. Services below `SERVICE_BASE` are helper calls
 * (the service is the kernel helper id, arguments r1..r5 in rdi, rsi, rdx,
 * rcx, r8, result in rax). The runtime services above take their operand in
 * r11 (a native trampoline would save every register; the emulator changes
 * only rax):
 *
 * - `CHECK + (kind << 4 | size)`: the access of `size` bytes at address r11
 *   must lie inside one region (writable unless `kind` is load), else fault
 *   at `pc`; returns nothing.
 * - `LD_PKT + size`: legacy packet load at signed offset r11 (big-endian,
 *   zero-extended into rax); out of bounds ends the program with r0 = 0.
 * - `TRAP`: fault at `pc` (code the lifter proved unreachable by good programs).
 * - `CALLX`: `callx`: helper whose id is in r9, arguments in rdi..r8.
 * - `CALL_DEPTH`: fault: the call at `pc` exceeds MAX_CALL_FRAMES.
 */

import { RBP } from './regs.js';

/** The register holding the eBPF frame pointer r10 on entry to and throughout every compiled function. */
export const FRAME_REG = RBP;

/** First service number that is not a helper id. */
export const SERVICE_BASE = 0x300;
/** Memory check service base: `CHECK + (kind << 4 | size)`. */
export const CHECK = 0x300;
/** Legacy packet load service base: `LD_PKT + size`. */
export const LD_PKT = 0x380;
/** Trap service. */
export const TRAP = 0x3f0;
/** Indirect call (`callx`) service. */
export const CALLX = 0x3f1;
/** Call-depth fault service: a bpf-to-bpf call would need a frame below the stack region. */
export const CALL_DEPTH = 0x3f2;

/** Access kinds of `CHECK`. */
export const ACCESS = { load: 0, store: 1, atomic: 2 } as const;

/** Largest pc a host id can carry (host ids are below 2^28). */
export const MAX_ID_PC = (1 << 18) - 1;

/** The host id of a service at `pc`. */
export function hostId(pc: number, service: number): number {
  return (Math.min(pc, MAX_ID_PC) << 10) | service;
}

/** Split a host id. */
export function splitHostId(id: number): { pc: number; service: number } {
  return { pc: id >>> 10, service: id & 0x3ff };
}
