/**
 * @file A program's export in an instantiated module with the compiled-module
 * ABI, as an `Executable`: the instance's memory, map handles and value
 * addresses, direct map lookups and helpers as imports, its own stack
 * region, and the run path (context converted once per address, a tail call
 * the module unwound handed to the run loop). The WebAssembly backend and
 * compiled modules loaded alone (`compiled.ts`) share it.
 */

import { R0_EXPORT, RUN32_PREFIX } from '../emit-wasm/compile.js';
import { abiImports, runExport, stopped, type AbiImportOptions, type AbiPacket } from '../emit-wasm/imports.js';
import { freshCopy } from '../util/fresh-copy.js';
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
  let entry32: ((ctx: number) => number) | undefined;
  let r0Global: { value: bigint } | undefined;
  try {
    const exports = instantiate(glue.imports);
    glue.bind(exports);
    entry = exports[name] as (ctx: bigint) => bigint;
    entry32 = exports[RUN32_PREFIX + name] as typeof entry32;
    r0Global = exports[R0_EXPORT] as typeof r0Global;
  } catch (err) {
    instance.memory.unmap(stack);
    throw err;
  }
  return {
    dispose() { instance.memory.unmap(stack); },
    run: freshCopy(runner)(entry, entry32, r0Global, SMALL, options, instance, glue, runExport, stopped, located),
  };
}

/** r0 values a run returns without allocating a BigInt. */
const SMALL: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));

/**
 * `Executable.run` for one export: the run's context, packet and CPU set
 * where the imports read them, the export called, r0 read as unsigned, a
 * tail call the module unwound handed on. With one argument it calls the
 * export's `(i32) -> f64` twin (`docs/abi.md`), which passes no BigInt either
 * way: r0 comes back as a double, or as -1 with r0 in a global when it is
 * 2^53 or more; a double is made a BigInt once while runs return it again
 * (no allocation per run for a program that keeps returning one hash or
 * verdict). Self-contained (everything it uses
 * arrives as a parameter), so each executable gets a fresh copy with call
 * sites of its own (`freshCopy`).
 */
function runner(
  entry: (ctx: bigint) => bigint, entry32: ((ctx: number) => number) | undefined, r0Global: { value: bigint } | undefined,
  small: readonly bigint[], options: AbiImportOptions & { ctx?: number; packet?: AbiPacket }, instance: Instance,
  glue: { setCpu(cpu: number): void; takeTailCall(): unknown }, runMore: typeof runExport, finish: typeof stopped,
  located: (err: unknown) => unknown,
): Executable['run'] {
  // the context's address as the BigInt export takes it, converted once per address
  let lastCtx = -1;
  let ctxArg = 0n;
  let lastCpu = 0;
  // the last r0 above `small` converted to a BigInt, kept while runs return the same value
  let lastX = -1;
  let lastR0 = 0n;
  return function run(ctx, packet, more = []) {
    options.ctx = ctx;
    options.packet = packet;
    if (ctx !== lastCtx && (entry32 === undefined || more.length > 0)) { lastCtx = ctx; ctxArg = BigInt(ctx); }
    if (instance.cpu !== lastCpu) { lastCpu = instance.cpu; glue.setCpu(lastCpu); }
    try {
      let r0: bigint;
      if (more.length === 0) {
        try {
          if (entry32 !== undefined && r0Global !== undefined) {
            const x = entry32(ctx);
            if (x < 0) r0 = BigInt.asUintN(64, r0Global.value);
            else if (x < small.length) r0 = small[x]!;
            else {
              if (x !== lastX) { lastX = x; lastR0 = BigInt(x); }
              r0 = lastR0;
            }
          } else {
            r0 = entry(ctxArg);
            if (r0 < 0n) r0 = BigInt.asUintN(64, r0);
          }
        } catch (e) {
          r0 = finish(e);
        }
      } else {
        r0 = runMore(entry, ctxArg, ...more);
      }
      const tailCall = glue.takeTailCall();
      return tailCall === undefined ? { r0 } : { r0, tailCall };
    } catch (err) {
      throw located(err);
    }
  };
}
