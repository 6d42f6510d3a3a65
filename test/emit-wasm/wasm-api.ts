/** @file The engine's `WebAssembly` API for the tests: the project's own typing of it. */
export { Wasm, instantiate, type WasmExports, type WasmInstance, type WasmMemory, type WasmModule } from '../../src/util/wasm-api.js';
