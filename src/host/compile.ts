/**
 * @file The compile pipeline, assembled in one place: a linked program is
 * lifted to SSA IR (with the verifier's facts when given, so proven accesses
 * run unchecked), optimised at the chosen level, and emitted as a
 * WebAssembly module carrying the ABI sections (`docs/abi.md`).
 *
 * ```
 *   ProgramSpec.insns ──lift──► IR ──runPipeline(level)──► IR' ──compilePrograms──► .wasm
 *                        ▲
 *                  ProgramFacts (verifier)
 * ```
 */

import type { ProgramFacts } from '../abi/facts.js';
import { DiagnosticError } from '../diag/index.js';
import type { BpfObject, ProgramSpec } from '../elf/types.js';
import { compilePrograms, type CompileProgram, type CompileStats } from '../emit-wasm/compile.js';
import type { Module } from '../ir/func.js';
import { lift } from '../lift/index.js';
import type { MapShape } from '../opt/context.js';
import { runPipeline } from '../opt/pipeline.js';

/** How to compile. */
export interface CompileSettings {
  /** Optimisation level (default 2). */
  readonly level?: 0 | 1 | 2;
  /** Verifier facts per program name; programs without facts compile with every access checked. */
  readonly facts?: ReadonlyMap<string, ProgramFacts>;
  /** Run the IR checker after every pass. */
  readonly checkIR?: boolean;
  /** Dump the IR after these passes (`lift`, `all` or a pass name). */
  readonly dumpAfter?: readonly string[];
  /** Receives IR dumps. */
  readonly dump?: (title: string, text: string) => void;
  /**
   * The object's maps: with verifier facts, array lookups by a constant map
   * compile to address arithmetic (`src/opt/inline-map-lookups.ts`).
   */
  readonly maps?: readonly MapShape[];
  /** Unroll small innermost loops by this factor at `-O2` (`src/opt/unroll-loops.ts`); default: none. */
  readonly unroll?: number;
}

/**
 * The unrolling factor of the WebAssembly backend: V8 checks its stack guard
 * on every back edge of a WebAssembly loop, so a small loop pays for it once
 * per four iterations instead of once per iteration.
 */
export const WASM_UNROLL = 4;

/** One program's IR, lifted and optimised; the entry takes `entryArgs` registers (default 1, the context). */
export function programIR(prog: ProgramSpec, settings: CompileSettings = {}, entryArgs = 1): Module {
  const where = { section: prog.section, program: prog.name };
  const facts = settings.facts?.get(prog.name);
  const names = new Map(prog.funcInfo.map((f) => [f.pc, f.pc === 0 ? prog.name : f.name] as const));
  const lifted = lift(prog.insns, { ...(facts !== undefined ? { facts } : {}), names, entryArgs });
  if (lifted.module === undefined) throw new DiagnosticError(lifted.diagnostics[0]!).within(where);
  runPipeline(lifted.module, {
    level: settings.level ?? 2,
    ...(settings.checkIR !== undefined ? { checkIR: settings.checkIR } : {}),
    ...(settings.dumpAfter !== undefined ? { dumpAfter: settings.dumpAfter } : {}),
    ...(settings.dump !== undefined ? { dump: (title: string, text: string) => settings.dump!(`${prog.name}: ${title}`, text) } : {}),
    context: {
      ...(settings.maps !== undefined ? { maps: settings.maps } : {}),
      ...(settings.unroll !== undefined ? { unroll: settings.unroll } : {}),
      verified: facts !== undefined,
    },
  });
  return lifted.module;
}

/** A compiled module and what went into it. */
export interface CompiledObject {
  readonly bytes: Uint8Array;
  readonly stats: CompileStats;
  /** Instructions lifted, over every program. */
  readonly insnCount: number;
}

/** Compile some programs of an object (default: all) into one module with the ABI sections. */
export function compileObject(object: BpfObject, programs: readonly ProgramSpec[] = object.programs, settings: CompileSettings = {}): CompiledObject {
  const parts: CompileProgram[] = programs.map((prog) => ({
    ir: programIR(prog, { maps: object.maps, unroll: WASM_UNROLL, ...settings }),
    name: prog.name,
    section: prog.section,
    type: prog.type,
    ...(prog.expectedAttachType !== undefined ? { expectedAttachType: prog.expectedAttachType } : {}),
    ...(prog.attachTo !== undefined ? { attachTo: prog.attachTo } : {}),
  }));
  const allVerified = programs.length > 0 && programs.every((p) => settings.facts?.has(p.name) === true);
  const compiled = compilePrograms(parts, { maps: object.maps, license: object.license, verified: allVerified });
  const insnCount = programs.reduce((n, p) => n + p.insns.length, 0);
  return { bytes: compiled.bytes, stats: compiled.stats, insnCount };
}
