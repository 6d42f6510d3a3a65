/**
 * @file The optimisation pipeline: one table of passes (Go's
 * `cmd/compile/internal/ssa/compile.go` `passes` and `passOrder`), the
 * optimisation levels, IR dumps after chosen passes, and the structural
 * checker after every pass when `checkIR` is on (it is on in every test).
 *
 * - `-O0`: only the required passes (CFG clean-up, so backends always see
 *   reachable blocks in reverse postorder).
 * - `-O1`: constants, copies, branches, the CFG, dead code.
 * - `-O2`: `-O1` plus zero-extension elimination, common subexpressions
 *   (which give bounds-check elimination equal bases to work with),
 *   bounds-check elimination, loop unrolling when the context asks for it,
 *   and a second round of the clean-up passes.
 */

import { InternalError } from '../diag/errors.js';
import { fail } from '../diag/diagnostic.js';
import { checkFunc } from '../ir/check.js';
import type { Func, Module } from '../ir/func.js';
import { printFunc } from '../ir/print.js';
import { eliminateBoundsChecks } from './eliminate-bounds-checks.js';
import { eliminateCommonSubexpressions } from './eliminate-common-subexpressions.js';
import { eliminateDeadCode } from './eliminate-dead-code.js';
import { eliminateZext } from './eliminate-zext.js';
import type { PassContext } from './context.js';
import { foldBranches } from './fold-branches.js';
import { inlineMapLookups } from './inline-map-lookups.js';
import { combineRemainders } from './combine-remainders.js';
import { foldConstants } from './fold-constants.js';
import { propagateCopies } from './propagate-copies.js';
import { simplifyCfg } from './simplify-cfg.js';
import { unrollLoops } from './unroll-loops.js';

/** One pass of the table. */
export interface Pass {
  /** Name used by `--dump-ir=after-NAME` and in messages. */
  readonly name: string;
  readonly run: (fn: Func, ctx: PassContext) => void;
  /** Runs at every level, `-O0` included. */
  readonly required: boolean;
  /** Lowest level that runs it (required passes: 0). */
  readonly level: 0 | 1 | 2;
  /** One line about what it does. */
  readonly doc: string;
}

/** The pass table, in running order. A name may appear twice (a second round). */
export const PASSES: readonly Pass[] = [
  { name: 'inline-map-lookups', run: inlineMapLookups, required: false, level: 1, doc: 'array lookups by constant maps become address arithmetic' },
  { name: 'fold-constants', run: foldConstants, required: false, level: 1, doc: 'constant folding and propagation' },
  { name: 'propagate-copies', run: propagateCopies, required: false, level: 1, doc: 'copy propagation and trivial block parameters' },
  { name: 'combine-remainders', run: combineRemainders, required: false, level: 1, doc: 'a - (a / b) * b becomes a % b' },
  { name: 'fold-branches', run: foldBranches, required: false, level: 1, doc: 'branches on constants become jumps' },
  { name: 'simplify-cfg', run: simplifyCfg, required: true, level: 0, doc: 'unreachable, empty and straight-line blocks' },
  { name: 'eliminate-zext', run: eliminateZext, required: false, level: 2, doc: 'redundant 32-bit zero extensions' },
  { name: 'fold-constants', run: foldConstants, required: false, level: 2, doc: 'second round after zero-extension elimination' },
  { name: 'eliminate-common-subexpressions', run: eliminateCommonSubexpressions, required: false, level: 2, doc: 'pure instructions equal to dominating ones' },
  { name: 'combine-remainders', run: combineRemainders, required: false, level: 2, doc: 'second round, on operands common-subexpression elimination merged' },
  { name: 'eliminate-bounds-checks', run: eliminateBoundsChecks, required: false, level: 2, doc: 'checks made redundant by earlier checks' },
  { name: 'unroll-loops', run: unrollLoops, required: false, level: 2, doc: 'small innermost loops copied by the context\'s factor, counted exits folded' },
  { name: 'eliminate-dead-code', run: eliminateDeadCode, required: false, level: 1, doc: 'unused instructions and block parameters' },
  { name: 'fold-branches', run: foldBranches, required: false, level: 2, doc: 'second round' },
  { name: 'simplify-cfg', run: simplifyCfg, required: true, level: 0, doc: 'second round' },
];

/** "a before b": every run of `a` precedes the last run of `b` and the first run of `b` follows some run of `a`. */
export const ORDER: readonly (readonly [string, string])[] = [
  ['inline-map-lookups', 'fold-constants'],
  ['fold-constants', 'fold-branches'],
  ['fold-branches', 'simplify-cfg'],
  ['propagate-copies', 'eliminate-dead-code'],
  ['propagate-copies', 'combine-remainders'],
  ['combine-remainders', 'eliminate-dead-code'],
  ['eliminate-zext', 'eliminate-dead-code'],
  ['fold-constants', 'eliminate-dead-code'],
  ['eliminate-zext', 'eliminate-common-subexpressions'],
  ['eliminate-common-subexpressions', 'eliminate-bounds-checks'],
  ['eliminate-bounds-checks', 'unroll-loops'],
  ['unroll-loops', 'eliminate-dead-code'],
];

/** Check the ordering constraints against a pass list; returns the violations. */
export function checkOrder(passes: readonly Pass[], order: readonly (readonly [string, string])[] = ORDER): string[] {
  const problems: string[] = [];
  const names = passes.map((p) => p.name);
  for (const [a, b] of order) {
    const firstA = names.indexOf(a);
    const firstB = names.indexOf(b);
    if (firstA < 0 || firstB < 0) { problems.push(`order constraint names unknown pass: ${a} before ${b}`); continue; }
    if (firstA > firstB) problems.push(`${a} must run before ${b}`);
  }
  return problems;
}

{
  const problems = checkOrder(PASSES);
  if (problems.length > 0) throw new InternalError(`pass table: ${problems.join('; ')}`);
}

/** Options of `runPipeline`. */
export interface PipelineOptions {
  /** Optimisation level (default 2). */
  readonly level?: 0 | 1 | 2;
  /** Run the structural checker after every pass (on in tests). */
  readonly checkIR?: boolean;
  /** Dump after these passes (`'lift'` = before the first pass, `'all'` = after every pass). */
  readonly dumpAfter?: readonly string[];
  /** Receives dumps: a title and the function's text. */
  readonly dump?: (title: string, text: string) => void;
  /** What passes may know of the program's maps and verdict. */
  readonly context?: PassContext;
}

/** The names of known passes, for `--dump-ir=after-NAME` validation. */
export function passNames(): string[] {
  return [...new Set(PASSES.map((p) => p.name))];
}

/** The passes a level runs, in order. */
export function passesFor(level: 0 | 1 | 2): Pass[] {
  return PASSES.filter((p) => p.required || p.level <= level);
}

function verify(fn: Func, mod: Module, after: string): void {
  const errors = checkFunc(fn, mod);
  if (errors.length > 0) {
    throw new InternalError(`IR check failed after ${after}:\n  ${errors.join('\n  ')}\n${printFunc(fn)}`);
  }
}

/** Optimise every function of a module in place. */
export function runPipeline(mod: Module, options: PipelineOptions = {}): void {
  const level = options.level ?? 2;
  const dumpAfter = new Set(options.dumpAfter ?? []);
  for (const name of dumpAfter) {
    if (name !== 'lift' && name !== 'all' && !passNames().includes(name)) {
      fail('IR_UNKNOWN_PASS', { name, known: ['lift', 'all', ...passNames()].join(', ') });
    }
  }
  const passes = passesFor(level);
  mod.funcs.forEach((fn, index) => {
    if (options.checkIR === true) verify(fn, mod, 'lift');
    if (dumpAfter.has('lift') || dumpAfter.has('all')) options.dump?.(`lift f${index}`, printFunc(fn, index));
    for (const pass of passes) {
      pass.run(fn, options.context ?? {});
      if (options.checkIR === true) verify(fn, mod, pass.name);
      if (dumpAfter.has(pass.name) || dumpAfter.has('all')) options.dump?.(`after ${pass.name} f${index}`, printFunc(fn, index));
    }
  });
}
