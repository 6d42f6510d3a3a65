/** @file Test helpers for the x86-64 backend: run a conformance-style program on a host backend and capture r0, fault and memory. */
import { conformanceHelpers } from '../../src/abi/helper-env.js';
import { DiagnosticError } from '../../src/diag/index.js';
import type { BpfObject, ProgramSpec } from '../../src/elf/types.js';
import type { Backend } from '../../src/host/backend.js';
import { Instance } from '../../src/host/instance.js';
import { decodeChecked } from '../../src/isa/validate.js';

/** What one run produced. */
export interface Outcome {
  readonly r0?: bigint;
  /** Diagnostic code when it faulted. */
  readonly error?: string;
  /** The memory block after the run. */
  readonly mem: number[];
}

/** A map-less object holding one program. */
export function programObject(program: Uint8Array): { object: BpfObject; prog: ProgramSpec } {
  const { insns, diagnostics } = decodeChecked(program);
  if (diagnostics.length > 0) throw new DiagnosticError(diagnostics[0]!);
  const prog: ProgramSpec = {
    name: 'main', section: '.text', type: 0, insns, origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true,
  };
  return { object: { license: '', endian: 'little', programs: [prog], maps: [], diagnostics: [] }, prog };
}

/** Run with the conformance conventions (r1 = memory, r2 = its length, helper 5 = unwind). */
export function runCase(backend: Backend, program: Uint8Array, mem: Uint8Array | undefined): Outcome & { insnCount?: number } {
  let decoded;
  try {
    decoded = programObject(program);
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    return { error: e.diagnostic.code, mem: [] };
  }
  const { object, prog } = decoded;
  const instance = new Instance(object, { helpers: conformanceHelpers() });
  let region: { start: number; size: number } | undefined;
  try {
    const exe = backend.load(prog, instance, { entryArgs: 2 });
    let r;
    if (mem === undefined || mem.length === 0) r = exe.run(0, { start: 0, size: 0 }, [0n]);
    else {
      region = instance.memory.map('input', 'input', mem.length, true);
      instance.memory.bytes.set(mem, region.start);
      r = exe.run(region.start, { start: region.start, size: mem.length }, [BigInt(mem.length)]);
    }
    const after = region === undefined ? [] : [...instance.memory.bytes.subarray(region.start, region.start + region.size)];
    return { r0: r.r0, mem: after, ...(r.insnCount !== undefined ? { insnCount: r.insnCount } : {}) };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const after = region === undefined ? [] : [...instance.memory.bytes.subarray(region.start, region.start + region.size)];
    return { error: e.diagnostic.code, mem: after };
  }
}
