/**
 * @file Running raw program bytes the way the bpf_conformance suite assumes
 * (../shared/bpf-conformance/README.md, "Execution environment"): r1 points
 * to a private copy of the test memory and r2 holds its length (both 0
 * without memory), a stack of `MAX_CALL_FRAMES` frames, and helper 5 is
 * uBPF's "unwind". The legacy packet loads (`ldabs*`/`ldind*`, group
 * `packet`) read the same memory as their packet. Shared by the conformance
 * plugin and the tests.
 */

import { conformanceHelpers, type Helpers } from '../abi/helper-env.js';
import { LinearMemory } from '../abi/linear-memory.js';
import { DiagnosticError } from '../diag/index.js';
import { decodeChecked } from '../isa/validate.js';
import { runFast } from './fast.js';
import { run, type RunResult } from './interp.js';
import { prepare } from './program.js';

/** Options of `runConformanceProgram`. */
export interface ConformanceRunOptions {
  /** Instruction budget (default: the interpreter's). */
  readonly budget?: number;
  /** Helpers (default: `conformanceHelpers()`). */
  readonly helpers?: Helpers;
  /** Which interpreter: the BigInt reference (default) or the fast one. */
  readonly engine?: 'reference' | 'fast';
}

/**
 * Decode, validate and run program bytes with the suite's conventions.
 * `mem` undefined means "no `-- mem` section" (r1 = 0); an empty array maps a
 * zero-length region. Throws `DiagnosticError` for invalid programs and faults.
 */
export function runConformanceProgram(bytes: Uint8Array, mem: Uint8Array | undefined, options: ConformanceRunOptions = {}): RunResult {
  const { insns, diagnostics } = decodeChecked(bytes);
  if (diagnostics.length > 0) throw new DiagnosticError(diagnostics[0]!);
  const program = prepare(insns);
  const memory = new LinearMemory();
  let args: bigint[] = [0n, 0n];
  let packet = { start: 0, size: 0 };
  if (mem !== undefined && mem.length > 0) {
    const region = memory.map('input', 'input', mem.length, true);
    memory.bytes.set(mem, region.start);
    args = [BigInt(region.start), BigInt(mem.length)];
    packet = { start: region.start, size: mem.length };
  }
  return (options.engine === 'fast' ? runFast : run)(program, {
    memory, args, packet,
    helpers: options.helpers ?? conformanceHelpers(),
    ...(options.budget !== undefined ? { budget: options.budget } : {}),
  });
}
