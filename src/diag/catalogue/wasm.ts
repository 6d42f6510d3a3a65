/** @file Diagnostic templates for the wasm stage. */

/** wasm diagnostics. */
export const wasmMessages = {
  WASM_NOT_MODULE: 'not a WebAssembly module: {detail}',
  WASM_ABI_SECTION: 'custom section "{section}" is malformed: {detail}',
  WASM_ABI_MISSING: 'not an ebpf2wasm module: custom section "{section}" is missing',
  WASM_ABI_VERSION: 'compiled-module ABI version {found} is not supported (this build reads version {supported})',
  WASM_NO_WABT: 'printing or validating WebAssembly text needs the "wabt" package: {detail}',
} as const;
