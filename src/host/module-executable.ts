/**
 * @file A program's export in an instantiated module with the compiled-module
 * ABI, as an `Executable`: the instance's memory, map handles and value
 * addresses, direct map lookups and helpers as imports, its own stack
 * region, and the run path (context converted once per address, a tail call
 * the module unwound handed to the run loop). The WebAssembly backend and
 * compiled modules loaded alone (`compiled.ts`) share it.
 */

import { abiImports, exportRunner, runExport, type AbiImportOptions } from '../emit-wasm/imports.js';
import type { ProgramSpec } from '../elf/types.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/registers.js';
import type { Executable } from './backend.js';
import type { Instance } from './instance.js';

/**
 * Instantiate a module for `prog` over `instance` (`instantiate` gets the
 * import object and returns the exports) and wrap its export `name`.
 */
export function moduleExecutable(
  prog: ProgramSpec, instance: Instance, instantiate: (imports: Record<string, Record<string, unknown>>) => Record<string, unknown>, name: string,
): Executable {
  const where = { section: prog.section, program: prog.name };
  const located = (err: unknown): unknown => (err as { within?: (l: object) => Error }).within?.(where) ?? err;
  const { handles: mapHandles, values: mapValues } = instance.mapAddresses();
  const stack = instance.memory.map(`stack:${prog.name}`, 'stack', STACK_SIZE * MAX_CALL_FRAMES, true);
  const options: AbiImportOptions = {
    memory: instance.memory, wasmMemory: instance.memory.wasm, stackTop: stack.start + stack.size,
    helpers: instance.helpers, mapHandles, mapValues, mapLookup: (k) => instance.directLookup(k), mapIndex: (k) => instance.mapIndex(k),
  };
  const glue = abiImports(options);
  let entry: (ctx: bigint) => bigint;
  let run1: (ctx: bigint) => bigint;
  try {
    const exports = instantiate(glue.imports);
    glue.bind(exports);
    entry = exports[name] as (ctx: bigint) => bigint;
    run1 = exportRunner(entry);
  } catch (err) {
    instance.memory.unmap(stack);
    throw err;
  }
  // the context's address as the export takes it, converted once per address
  let lastCtx = -1;
  let ctxArg = 0n;
  let lastCpu = 0;
  return {
    dispose() { instance.memory.unmap(stack); },
    run(ctx, packet, more = []) {
      options.ctx = ctx;
      options.packet = packet;
      if (ctx !== lastCtx) { lastCtx = ctx; ctxArg = BigInt(ctx); }
      if (instance.cpu !== lastCpu) { lastCpu = instance.cpu; glue.setCpu(lastCpu); }
      try {
        const r0 = more.length === 0 ? run1(ctxArg) : runExport(entry, ctxArg, ...more);
        const tailCall = glue.takeTailCall();
        return tailCall === undefined ? { r0 } : { r0, tailCall };
      } catch (err) {
        throw located(err);
      }
    },
  };
}
