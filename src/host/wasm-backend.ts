/**
 * @file The WebAssembly backend as the host runs it: a program compiled to a
 * module with the ABI (`docs/abi.md`), instantiated over the instance's own
 * linear memory, with map handles and global-data addresses as the
 * instance resolves them and the instance's helpers as imports.
 */

import { compilePrograms } from '../emit-wasm/compile.js';
import { abiImports, runExport, runExport1, type AbiImportOptions } from '../emit-wasm/imports.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/registers.js';
import { instantiate } from '../util/wasm-api.js';
import type { Backend } from './backend.js';
import { programIR, type CompileSettings } from './compile.js';
import type { Instance } from './instance.js';
import { verifyObjectProgram } from './verify.js';

/**
 * A WebAssembly backend compiling at `settings.level` (default -O2). Unless
 * `settings.facts` is given, each program goes through the verifier first,
 * as the kernel's loader does: an accepted program runs with the accesses
 * the verifier proved left unchecked; a rejected one still runs, with every
 * access checked (as `compile --no-verify` gives).
 */
export function wasmBackend(settings: CompileSettings = {}, name = 'wasm'): Backend {
  return {
    name,
    load(prog, instance: Instance, loadOptions = {}) {
      const where = { section: prog.section, program: prog.name };
      const located = (err: unknown): unknown => (err as { within?: (l: object) => Error }).within?.(where) ?? err;
      try {
        let facts = settings.facts;
        if (facts === undefined && (loadOptions.entryArgs ?? 1) === 1) {
          const v = verifyObjectProgram(instance.object, prog);
          if (v.verdict === 'accepted') facts = new Map([[prog.name, v.facts]]);
        }
        const ir = programIR(prog, { maps: instance.object.maps, ...settings, ...(facts !== undefined ? { facts } : {}) }, loadOptions.entryArgs ?? 1);
        const verified = facts?.has(prog.name) === true;
        const { bytes } = compilePrograms([{ ir, name: 'prog', section: prog.section, type: prog.type }], {
          maps: instance.object.maps, license: instance.object.license, verified,
        });
        const { handles: mapHandles, values: mapValues } = instance.mapAddresses();
        const stack = instance.memory.map(`stack:${prog.name}`, 'stack', STACK_SIZE * MAX_CALL_FRAMES, true);
        const options: AbiImportOptions = {
          memory: instance.memory, wasmMemory: instance.memory.wasm, stackTop: stack.start + stack.size,
          helpers: instance.helpers, mapHandles, mapValues, mapLookup: (k) => instance.directLookup(k),
        };
        const glue = abiImports(options);
        const inst = instantiate(bytes, glue.imports);
        glue.bind(inst.exports);
        const entry = inst.exports.prog as (ctx: bigint) => bigint;
        // the context's address as the export takes it, converted once per address
        let lastCtx = -1;
        let ctxArg = 0n;
        return {
          dispose() { instance.memory.unmap(stack); },
          run(ctx, packet, more = []) {
            options.ctx = ctx;
            options.packet = packet;
            if (ctx !== lastCtx) { lastCtx = ctx; ctxArg = BigInt(ctx); }
            try {
              const r0 = more.length === 0 ? runExport1(entry, ctxArg) : runExport(entry, ctxArg, ...more);
              const tailCall = glue.takeTailCall();
              return tailCall === undefined ? { r0 } : { r0, tailCall };
            } catch (err) {
              throw located(err);
            }
          },
        };
      } catch (err) {
        throw located(err);
      }
    },
  };
}
