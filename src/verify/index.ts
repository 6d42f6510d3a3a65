/** @file The verifier: re-exports. */
export { verifyProgram, COMPLEXITY_LIMIT } from './analyze.js';
export type { GlobalArg, GlobalFunc, VerifyError, VerifyMap, VerifyOptions, VerifyResult } from './types.js';
