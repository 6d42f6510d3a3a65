/**
 * @file The part of the engine's `WebAssembly` API the project uses, typed
 * here because the project's `lib` setting (ES2022) declares no
 * `WebAssembly` namespace; at run time it is the engine's own global, the
 * same in Node, Deno, workers and browsers.
 */

/** A linear memory object. */
export interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
/** A compiled module. */
export type WasmModule = object;
/** An instance's exports. */
export type WasmExports = Record<string, unknown>;
/** An instantiated module. */
export interface WasmInstance { readonly exports: WasmExports }
/** A global, as the host reads and sets it. */
export interface WasmGlobal<T> { value: T }

interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    customSections(module: WasmModule, name: string): ArrayBuffer[];
  };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Global: new (d: { value: 'i32'; mutable: boolean }, init: number) => WasmGlobal<number>;
  validate(bytes: Uint8Array): boolean;
}

/** The engine's `WebAssembly` namespace. */
export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Compile and instantiate synchronously (fine for program-sized modules; edge runtimes take precompiled modules instead). */
export function instantiate(bytes: Uint8Array | WasmModule, imports: Record<string, Record<string, unknown>>): WasmInstance {
  const module = bytes instanceof Uint8Array ? new Wasm.Module(bytes) : bytes;
  return new Wasm.Instance(module, imports);
}
