/** @file The verifier's public records: options, maps as it needs them, errors and the result. */

import type { Diagnostic, MessageCode, SourceLine } from '../diag/index.js';
import type { ProgramFacts } from '../abi/facts.js';
import type { CtxLayout } from '../abi/contexts.js';
import type { Reg } from './domains/reg-state.js';

/** What the verifier needs to know of a map. */
export interface VerifyMap {
  /** Kernel map type name (`hash`, `array`, `prog_array`, `ringbuf`, ...) or number (`enum bpf_map_type`). */
  readonly type: string | number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** Programs may not write into it (`.rodata`, `BPF_F_RDONLY_PROG`). */
  readonly readonly?: boolean;
  /** Initial contents of a read-only single-value map (loads at constant offsets become constants). */
  readonly initial?: Uint8Array;
  readonly name?: string;
  /** Maps of maps: index (in the same list) of the inner map's template. */
  readonly inner?: number;
}

/** An argument of a global function, from its BTF prototype (`btf_prepare_func_args`). */
export type GlobalArg =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'ctx' }
  /** A pointer to `size` bytes, or null. */
  | { readonly kind: 'mem'; readonly size: number };

/**
 * A global (non-static) function: the kernel verifies it once on its own,
 * from its BTF prototype, and at each call only checks the arguments.
 */
export interface GlobalFunc {
  readonly name: string;
  readonly args: readonly GlobalArg[];
  readonly returnsVoid: boolean;
  /** Why its prototype cannot be verified (an argument or return type the kernel does not support). */
  readonly unsupported?: string;
}

/** Options of `verifyProgram`. */
export interface VerifyOptions {
  /** Program type, kernel `bpf_prog_type` name in lower case (`xdp`, `sched_cls`, `kprobe`, ...). */
  readonly progType: string;
  /** Maps by index, as `lddw` pseudo loads refer to them. */
  readonly maps?: readonly VerifyMap[];
  /** Source line per pc, from BTF line info. */
  readonly lineInfo?: (pc: number) => SourceLine | undefined;
  /** 0: no log; 1: instructions as processed; 2: with register states. */
  readonly logLevel?: 0 | 1 | 2;
  /** Processed-instruction limit (the kernel's BPF_COMPLEXITY_LIMIT_INSNS, 1,000,000). */
  readonly maxInsns?: number;
  /** Context layout to use instead of the program type's (custom hooks, test suites). */
  readonly context?: CtxLayout;
  /**
   * Entry registers instead of the kernel's (r1 = context, r10 = frame
   * pointer); r10 is always the frame pointer.
   */
  readonly entryRegs?: readonly (Reg | undefined)[];
  /** Entry stack byte ranges, as offsets from r10, known to hold numbers. */
  readonly entryStackNumbers?: readonly (readonly [number, number])[];
  /**
   * Rules for an unprivileged loader: reading uninitialised stack is an
   * error. The default is the kernel's privileged mode (CAP_BPF and
   * CAP_PERFMON), where such reads give an unknown value.
   */
  readonly unprivileged?: boolean;
  /** Whether the main function's exit requires r0 to be set (the kernel's rule; default true). */
  readonly exitNeedsR0?: boolean;
  /** Global functions by first pc (from BTF func_info); other subprograms are static. */
  readonly globalFuncs?: ReadonlyMap<number, GlobalFunc>;
}

/** One rejection. */
export interface VerifyError {
  readonly pc: number;
  readonly code: MessageCode;
  /** Plain-words message with what to do. */
  readonly message: string;
  /** The last line the Linux verifier would print for the same problem. */
  readonly kernelMessage: string;
  /** The register involved, its type and value as the log prints them. */
  readonly reg?: { readonly regno: number; readonly type: string; readonly value: string };
  /** The instruction that produced the offending value (-1: program entry). */
  readonly originPc?: number;
  readonly line?: SourceLine;
  readonly diagnostic: Diagnostic;
}

/** The verdict and everything learned on the way. */
export interface VerifyResult {
  readonly verdict: 'accepted' | 'rejected';
  /** At most one error: the first problem found. */
  readonly errors: readonly VerifyError[];
  readonly processedInsns: number;
  readonly totalStates: number;
  readonly peakStates: number;
  readonly facts: ProgramFacts;
  readonly log: string;
}
