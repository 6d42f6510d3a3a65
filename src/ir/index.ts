/** @file The SSA IR: re-exports. */
export * from './types.js';
export * from './ops.js';
export * from './func.js';
export * from './builder.js';
export * from './print.js';
export * from './parse.js';
export * from './check.js';
export * from './dominators.js';
export * from './semantics.js';
export * from './eval.js';
export * from './trivial-params.js';
