/**
 * @file The Deno runtime: the whole API (`src/index.ts`) plus what Deno
 * supplies — files through `Deno.readFile`, the clock from `performance.now`,
 * the random seed from `crypto.getRandomValues`. Deno compiles WebAssembly at
 * run time, so objects run on every backend, including `wasm` compiled on
 * the fly and `.wasm` files from `ebpf2wasm compile` (`loadCompiled`).
 *
 * Use it bundled (`esbuild runtimes/deno/mod.ts --bundle --format=esm
 * --platform=neutral`) and run with `deno run --allow-read`; see
 * `docs/runtimes.md`.
 */

import { loadObject } from '../../src/elf/index.js';
import type { BpfObject } from '../../src/elf/types.js';
import { backendByName, type Backend } from '../../src/host/backend.js';
import { loadCompiled } from '../../src/host/compiled.js';
import { Instance, type InstanceOptions } from '../../src/host/instance.js';
import { platformOptions } from '../worker/platform.js';

export * from '../../src/index.js';
export { loadCompiled, compiledBackend, type CompiledProgramSet } from '../../src/host/compiled.js';
export { compileObject, type CompileSettings } from '../../src/host/compile.js';
export { syntheticFrame, parseCidr, parseIPv4 } from '../worker/frame.js';
export { platformOptions };

declare const Deno: { readFile(path: string | URL): Promise<Uint8Array> };

/** A file's bytes (needs `--allow-read`). */
export function readBytes(path: string | URL): Promise<Uint8Array> {
  return Deno.readFile(path);
}

/** An object file or compiled module made live, with the backend to run it on. */
export interface DenoProgramSet {
  readonly object: BpfObject;
  readonly instance: Instance;
  readonly backend: Backend;
}

/**
 * Open a `.o` (run on `backend`, default `wasm` compiled here) or a `.wasm`
 * from `ebpf2wasm compile` (run as compiled), with the platform's clock and seed.
 */
export async function openFile(path: string, options: InstanceOptions & { backend?: string } = {}): Promise<DenoProgramSet> {
  const bytes = await readBytes(path);
  const opts = { ...platformOptions(), ...options };
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    const object = loadObject(bytes, { file: path });
    const backend = backendByName(options.backend ?? 'wasm');
    return { object, instance: new Instance(object, opts), backend };
  }
  const set = loadCompiled(bytes, { file: path });
  return { object: set.object, instance: new Instance(set.object, opts), backend: set.backend };
}
