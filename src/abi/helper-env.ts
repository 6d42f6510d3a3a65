/**
 * @file How every backend calls a helper: one function signature, the
 * environment it gets, a table by the kernel's helper id, and how a helper
 * stops the program.
 *
 * A helper receives r1..r5 as unsigned 64-bit values and returns r0
 * (RFC 9669 §4.3.1: "call helper function by static ID"). Pointers are
 * addresses in `env.memory`. A helper that must end the program (a tail call
 * that succeeded, the conformance suite's helper 5 "unwind" returning 0)
 * calls `stopProgram(r0)`, which throws a `ProgramStop`; every backend
 * catches it at its entry point and returns its `r0` as the program's result.
 */

import type { Memory } from './memory.js';

/** What a helper can reach while it runs. */
export interface HelperEnv {
  /** The linear memory the program runs against. */
  readonly memory: Memory;
  /** Address of the program's context (its `r1` on entry). */
  readonly ctx: number;
  /** Program counter (instruction slot) of the call, for diagnostics. */
  readonly pc: number;
  /**
   * Call a function of the running program (the value a `lddw` of a
   * function loaded: `bpf_loop` and `bpf_for_each_map_elem` callbacks) with
   * r1..r5, in a new stack frame below the caller's, as a bpf-to-bpf call
   * from the helper's call site; returns its r0. Absent on backends that
   * cannot call back.
   */
  readonly callback?: (fn: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;
  /**
   * End the running program and run `target` next (a successful
   * `bpf_tail_call`): a backend that can unwind the program itself records
   * the target here and the helper returns; without it the helper throws.
   */
  readonly tailCall?: (target: unknown) => void;
}

/** A helper: r1..r5 in, r0 out, all unsigned 64-bit. */
export type HelperFn = (env: HelperEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/** Helpers by the kernel's helper id (`include/uapi/linux/bpf.h`, `__BPF_FUNC_MAPPER`). */
export type Helpers = ReadonlyMap<number, HelperFn>;

/** Thrown by a helper (through `stopProgram`) to end the program with `r0`. */
export class ProgramStop {
  /** The program's result. */
  readonly r0: bigint;
  constructor(r0: bigint) { this.r0 = BigInt.asUintN(64, r0); }
}

/** End the running program now, with this result. Only helpers call it. */
export function stopProgram(r0: bigint): never {
  throw new ProgramStop(r0);
}

/**
 * The conformance suite's helper 5 (uBPF's "unwind"): returns `r1`, and stops
 * the program with r0 = 0 when `r1` is 0.
 */
export const unwindHelper: HelperFn = (_env, r1) => {
  if (r1 === 0n) stopProgram(0n);
  return r1;
};

/** The helpers the conformance suite assumes: id 5 is `unwindHelper`. */
export function conformanceHelpers(): Map<number, HelperFn> {
  return new Map([[5, unwindHelper]]);
}
