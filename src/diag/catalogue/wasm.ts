/** @file Diagnostic templates for the wasm stage. */

/** wasm diagnostics. */
export const wasmMessages = {
} as const;
