/** @file eBPF bytecode to SSA IR: re-exports. */
export { lift, type LiftOptions, type LiftResult } from './lift.js';
export { buildCfg, functionEntries, type BcBlock, type BcCfg } from './cfg.js';
export { analyzeFrame, type FrameInfo, type Slot } from './frame.js';
