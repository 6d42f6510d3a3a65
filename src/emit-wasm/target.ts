/**
 * @file The WebAssembly backend as a target record: what the host needs to
 * pick it by name, compile IR modules with it and print the result.
 */

import { compilePrograms, type CompileOptions, type CompileProgram, type Compiled } from './compile.js';
import { toWat } from './wat.js';

/** The WebAssembly target. */
export interface WasmTarget {
  readonly name: 'wasm';
  /** Compile programs (one IR module each) into one module with the ABI of `docs/abi.md`. */
  compile(programs: readonly CompileProgram[], options?: CompileOptions): Compiled;
  /** The text form of a compiled module. */
  print(bytes: Uint8Array): Promise<string>;
}

/** The WebAssembly target record. */
export const wasmTarget: WasmTarget = {
  name: 'wasm',
  compile: (programs, options = {}) => compilePrograms(programs, options),
  print: toWat,
};
