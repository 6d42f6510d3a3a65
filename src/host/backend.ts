/**
 * @file Backends as the host sees them: something that turns a linked program
 * into an executable bound to an instance's memory, maps and helpers. Every
 * backend runs against the same `Instance`, so results are comparable byte
 * for byte.
 */

import { prepare, run, type PacketRange } from '../interp/index.js';
import type { ProgramSpec } from '../elf/types.js';
import { fail } from '../diag/index.js';
import type { Instance } from './instance.js';

/** The outcome of one execution. */
export interface Execution {
  /** The program's 64-bit result. */
  readonly r0: bigint;
  /** eBPF instructions executed (interpreter) or machine instructions (emulated CPUs), when known. */
  readonly insnCount?: number;
}

/** A program ready to run on one backend. */
export interface Executable {
  /** Run with `ctx` in r1; `packet` is what the legacy LD_ABS/LD_IND loads read. */
  run(ctx: number, packet?: PacketRange): Execution;
}

/** A way to execute programs. */
export interface Backend {
  readonly name: string;
  /** Prepare a program of the instance's object. Problems with the program throw `DiagnosticError`. */
  load(prog: ProgramSpec, instance: Instance): Executable;
}

/** The reference interpreter as a backend. */
export const interpBackend: Backend = {
  name: 'interp',
  load(prog, instance) {
    const where = { section: prog.section, program: prog.name };
    let prepared;
    try {
      prepared = prepare(prog.insns, { lddw: { resolve: (kind, insn) => instance.resolveLddw(kind, insn) } });
    } catch (err) {
      throw (err as { within?: (l: object) => Error }).within?.(where) ?? err;
    }
    return {
      run(ctx, packet) {
        try {
          const r = run(prepared, {
            memory: instance.memory, args: [BigInt(ctx)], helpers: instance.helpers,
            ...(packet !== undefined ? { packet } : {}),
          });
          return { r0: r.r0, insnCount: r.insnCount };
        } catch (err) {
          throw (err as { within?: (l: object) => Error }).within?.(where) ?? err;
        }
      },
    };
  },
};

/** Backends by name. Others register here as they land. */
export const BACKENDS: ReadonlyMap<string, Backend> = new Map([[interpBackend.name, interpBackend]]);

/** The backend with this name, or a user error listing the ones there are. */
export function backendByName(name: string): Backend {
  const b = BACKENDS.get(name);
  if (b === undefined) fail('HOST_NO_BACKEND', { name, available: [...BACKENDS.keys()].join(', ') });
  return b;
}
