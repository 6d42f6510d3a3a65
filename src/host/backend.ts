/**
 * @file Backends as the host sees them: something that turns a linked program
 * into an executable bound to an instance's memory, maps and helpers. Every
 * backend runs against the same `Instance`, so results are comparable byte
 * for byte.
 */

import { prepare, run, runFast, type PacketRange, type Program, type RunOptions, type RunResult } from '../interp/index.js';
import type { ProgramSpec } from '../elf/types.js';
import { fail } from '../diag/index.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/registers.js';
import { TailCall } from './helpers/tail-call.js';
import type { Instance } from './instance.js';
import { wasmBackend } from './wasm-backend.js';
import { x86Backend } from './native-backend.js';
import { arm64Backend } from './native-backend-arm64.js';

/** The outcome of one execution. */
export interface Execution {
  /** The program's 64-bit result. */
  readonly r0: bigint;
  /** eBPF instructions executed (interpreter) or machine instructions (emulated CPUs), when known. */
  readonly insnCount?: number;
  /** The program ended with a successful `bpf_tail_call` to this program (backends that unwind it themselves). */
  readonly tailCall?: unknown;
}

/** Options of `Backend.load`. */
export interface LoadOptions {
  /** Registers the entry takes (r1..r5; default 1, the context). */
  readonly entryArgs?: number;
}

/** A program ready to run on one backend. */
export interface Executable {
  /**
   * Run with `ctx` in r1 (and `more` in r2..., up to the `entryArgs` given to
   * `load`); `packet` is what the legacy LD_ABS/LD_IND loads read.
   */
  run(ctx: number, packet?: PacketRange, more?: readonly bigint[]): Execution;
  /** Release what `load` took (memory regions); the executable is not used afterwards. */
  dispose?(): void;
}

/** A way to execute programs. */
export interface Backend {
  readonly name: string;
  /** Prepare a program of the instance's object. Problems with the program throw `DiagnosticError`. */
  load(prog: ProgramSpec, instance: Instance, options?: LoadOptions): Executable;
}

/** A backend over one of the interpreters: both take the same prepared program and options. */
function interpreterBackend(name: string, exec: (prog: Program, options: RunOptions) => RunResult): Backend {
  return {
    name,
    load(prog, instance) {
      const where = { section: prog.section, program: prog.name };
      const located = (err: unknown): unknown => (err as { within?: (l: object) => Error }).within?.(where) ?? err;
      let prepared: Program;
      try {
        prepared = prepare(prog.insns, { lddw: { resolve: (kind, insn) => instance.resolveLddw(kind, insn) } });
      } catch (err) {
        throw located(err);
      }
      // one stack region for the executable's life, not one per run
      const stack = instance.memory.map(`stack:${prog.name}`, 'stack', STACK_SIZE * MAX_CALL_FRAMES, true);
      return {
        dispose() { instance.memory.unmap(stack); },
        run(ctx, packet, more = []) {
          try {
            const r = exec(prepared, {
              memory: instance.memory, args: [BigInt(ctx), ...more], helpers: instance.helpers, stack,
              ...(packet !== undefined ? { packet } : {}),
            });
            return { r0: r.r0, insnCount: r.insnCount };
          } catch (err) {
            throw located(err);
          }
        },
      };
    },
  };
}

/** The reference interpreter (BigInt registers): the semantics every backend is checked against. */
export const interpBackend: Backend = interpreterBackend('interp', run);

/** The fast interpreter (registers as 32-bit halves), checked against the reference. */
export const interpFastBackend: Backend = interpreterBackend('interp-fast', runFast);

/**
 * `call 12` (`bpf_tail_call`) or a `callx`, which may reach it: the only ways
 * a program tail-calls. A program known without its bytecode (from a
 * compiled module) may.
 */
function mayTailCall(prog: ProgramSpec): boolean {
  return prog.insns.length === 0 || prog.insns.some((i) => (i.code === 0x85 && i.src === 0 && i.imm === 12) || i.code === 0x8d);
}

/**
 * The host's run loop around a backend: a `TailCall` thrown by
 * `bpf_tail_call` ends the running program, and its target — loaded on the
 * same backend and instance on first use, then kept — runs next with the same
 * context, until a program returns. The instance's tail-call count starts at
 * 0 on every run. `insnCount` covers the program that returned.
 */
export function withTailCalls(backend: Backend): Backend {
  return {
    name: backend.name,
    load(prog, instance, options) {
      const first = backend.load(prog, instance, options);
      // a program that cannot reach bpf_tail_call runs without the loop around it
      if (!mayTailCall(prog)) return first;
      const targets = new Map<ProgramSpec, Executable>();
      const executable = (target: ProgramSpec): Executable => {
        let exe = targets.get(target);
        if (exe === undefined) {
          exe = target === prog && (options?.entryArgs ?? 1) === 1 ? first : backend.load(target, instance);
          targets.set(target, exe);
        }
        return exe;
      };
      return {
        run(ctx, packet, more) {
          instance.tailCalls.count = 0;
          let exe = first;
          let args = more;
          for (;;) {
            let target: unknown;
            try {
              const r = exe.run(ctx, packet, args);
              if (r.tailCall === undefined) return r;
              target = r.tailCall;
            } catch (err) {
              if (!(err instanceof TailCall)) throw err;
              target = err.target;
            }
            exe = executable(target as ProgramSpec);
            args = undefined;
          }
        },
        dispose() {
          for (const exe of targets.values()) if (exe !== first) exe.dispose?.();
          first.dispose?.();
        },
      };
    },
  };
}

/** Backends by name, each with the tail-call run loop. Others register here as they land. */
export const BACKENDS: ReadonlyMap<string, Backend> = new Map(
  [interpBackend, interpFastBackend, wasmBackend(), x86Backend(), arm64Backend()].map((b) => [b.name, withTailCalls(b)]),
);

/** The backend with this name, or a user error listing the ones there are. */
export function backendByName(name: string): Backend {
  const b = BACKENDS.get(name);
  if (b === undefined) fail('HOST_NO_BACKEND', { name, available: [...BACKENDS.keys()].join(', ') });
  return b;
}
