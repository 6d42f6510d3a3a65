/**
 * @file The part of the `WebAssembly` JavaScript API the tests use, typed
 * locally (the project's `lib` setting has no DOM types); at run time it is
 * the engine's global.
 */

/** A linear memory object. */
export interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
/** A compiled module. */
export type WasmModule = object;
/** An instance's exports. */
export type WasmExports = Record<string, unknown>;
/** An instantiated module. */
export interface WasmInstance { readonly exports: WasmExports }

interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    customSections(module: WasmModule, name: string): ArrayBuffer[];
  };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}

/** The engine's `WebAssembly` namespace. */
export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Compile and instantiate synchronously. */
export function instantiate(bytes: Uint8Array, imports: Record<string, Record<string, unknown>>): WasmInstance {
  return new Wasm.Instance(new Wasm.Module(bytes), imports);
}
