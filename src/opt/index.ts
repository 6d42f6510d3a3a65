/** @file The optimiser: re-exports. */
export { PASSES, ORDER, runPipeline, passesFor, passNames, checkOrder, type Pass, type PipelineOptions } from './pipeline.js';
export { foldConstants } from './fold-constants.js';
export { propagateCopies } from './propagate-copies.js';
export { foldBranches } from './fold-branches.js';
export { simplifyCfg } from './simplify-cfg.js';
export { eliminateZext, knownWidths } from './eliminate-zext.js';
export { eliminateCommonSubexpressions } from './eliminate-common-subexpressions.js';
export { eliminateBoundsChecks } from './eliminate-bounds-checks.js';
export { eliminateDeadCode } from './eliminate-dead-code.js';
