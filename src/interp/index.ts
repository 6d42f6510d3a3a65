/** @file The reference interpreter: re-exports. */
export * from './program.js';
export * from './interp.js';
export * from './fast.js';
