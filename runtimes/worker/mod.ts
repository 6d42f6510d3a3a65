/**
 * @file The edge-worker runtime (workerd, Cloudflare Workers and the like).
 * Edge platforms refuse to compile WebAssembly from bytes at run time, so a
 * worker runs a `.wasm` that `ebpf2wasm compile` produced ahead of time and
 * the platform handed over as a `WebAssembly.Module` (a wasm module in the
 * worker's configuration); an ELF object that arrives at run time runs on
 * the interpreter instead. What the runtime supplies: the clock
 * (`performance.now`, which edge platforms advance only across I/O) and a
 * random seed from `crypto.getRandomValues`.
 *
 * Bundle with esbuild (`format: 'esm'`, `platform: 'neutral'`), keeping the
 * `.wasm` imports external so the platform compiles them; see
 * `scripts/bundle-worker.ts`.
 */

import { loadObject } from '../../src/elf/index.js';
import type { BpfObject, ProgramSpec } from '../../src/elf/types.js';
import { BACKENDS, type Backend, type Executable } from '../../src/host/backend.js';
import { loadCompiled } from '../../src/host/compiled.js';
import { Instance, type InstanceOptions } from '../../src/host/instance.js';
import { testRun, type TestRunResult } from '../../src/host/test-run.js';
import type { WasmModule } from '../../src/util/wasm-api.js';
import { platformOptions } from './platform.js';

export { loadCompiled, compiledBackend, type CompiledProgramSet } from '../../src/host/compiled.js';
export { Instance, testRun, type InstanceOptions, type TestRunResult };
export { dumpMaps, dumpMap } from '../../src/host/map-io.js';
export { DiagnosticError } from '../../src/diag/index.js';
export { syntheticFrame, parseCidr, parseIPv4, type FrameSpec } from './frame.js';
export { platformOptions };

/** An object made live in a worker, with the backend that runs it. */
export interface WorkerProgramSet {
  readonly object: BpfObject;
  readonly instance: Instance;
  readonly backend: Backend;
  /** `compiled` (ahead-of-time module) or the interpreter backend's name. */
  readonly mode: string;
  /** Run a program (by name; default the first) once on a packet, as `BPF_PROG_TEST_RUN` would. */
  run(data: Uint8Array, program?: string): TestRunResult;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/**
 * A backend that loads each program once and keeps it (instantiated module or
 * prepared interpreter program) for every later run: a worker runs the same
 * program on every request, one instance at a time.
 */
function cachedBackend(inner: Backend): Backend {
  const loaded = new Map<string, Executable>();
  return {
    name: inner.name,
    load(prog, instance) {
      let exe = loaded.get(prog.name);
      if (exe === undefined) {
        exe = inner.load(prog, instance);
        loaded.set(prog.name, exe);
      }
      const { run } = exe;
      return { run: (ctx, packet) => run.call(exe, ctx, packet) };
    },
  };
}

/**
 * Make a program set live: a `WebAssembly.Module` compiled ahead of time runs
 * compiled; ELF bytes (an object loaded at run time) run on the fast
 * interpreter; `.wasm` bytes are compiled here, which only runtimes that allow
 * it (not edge platforms) accept.
 */
export function openProgramSet(source: WasmModule | Uint8Array, options: InstanceOptions & { file?: string } = platformOptions()): WorkerProgramSet {
  let object: BpfObject;
  let backend: Backend;
  let mode: string;
  const file = options.file;
  if (source instanceof Uint8Array && ELF_MAGIC.every((b, i) => source[i] === b)) {
    object = loadObject(source, file !== undefined ? { file } : {});
    backend = BACKENDS.get('interp-fast')!;
    mode = backend.name;
  } else {
    const set = loadCompiled(source, file !== undefined ? { file } : {});
    object = set.object;
    backend = set.backend;
    mode = 'compiled';
  }
  backend = cachedBackend(backend);
  const instance = new Instance(object, options);
  const byName = (name: string | undefined): ProgramSpec => (name === undefined ? object.programs[0] : undefined) ?? instance.program(name ?? '');
  return { object, instance, backend, mode, run: (data, program) => testRun(instance, byName(program), backend, { data }) };
}
