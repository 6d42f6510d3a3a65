/**
 * @file The browser runtime: the whole API plus what a page supplies —
 * bytes through `fetch`, modules compiled asynchronously
 * (`WebAssembly.compileStreaming`/`compile`: Chromium refuses synchronous
 * compilation of modules over 4 KB on the main thread), the clock from
 * `performance.now`, the random seed from `crypto.getRandomValues`.
 *
 * Bundle with esbuild (`--bundle --format=esm --platform=browser`); see
 * `docs/runtimes.md`.
 */

import { loadCompiled, type CompiledProgramSet } from '../../src/host/compiled.js';
import type { WasmModule } from '../../src/util/wasm-api.js';

export * from '../../src/index.js';
export { loadCompiled, compiledBackend, type CompiledProgramSet } from '../../src/host/compiled.js';
export { compileObject, type CompileSettings } from '../../src/host/compile.js';
export { syntheticFrame, parseCidr, parseIPv4 } from '../worker/frame.js';
export { openProgramSet, type WorkerProgramSet } from '../worker/mod.js';
export { platformOptions } from '../worker/platform.js';

interface FetchResponse { ok: boolean; status: number; url: string; arrayBuffer(): Promise<ArrayBuffer> }
declare function fetch(url: string | URL): Promise<FetchResponse>;
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  compileStreaming?(response: Promise<FetchResponse>): Promise<WasmModule>;
};

/** The bytes at `url`; a failed request throws an `Error` naming the status. */
export async function fetchBytes(url: string | URL): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`fetching ${String(url)}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/**
 * A `.wasm` from `ebpf2wasm compile`, fetched and compiled asynchronously
 * (streaming when the server sends `application/wasm`), then loaded with its
 * ABI sections.
 */
export async function fetchCompiled(url: string | URL): Promise<CompiledProgramSet> {
  let module: WasmModule;
  try {
    if (WebAssembly.compileStreaming === undefined) throw new Error('no streaming compilation');
    module = await WebAssembly.compileStreaming(fetch(url));
  } catch {
    module = await WebAssembly.compile(await fetchBytes(url));
  }
  return loadCompiled(module, { file: String(url) });
}
