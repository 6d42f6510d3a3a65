/**
 * @file The WebAssembly backend as the host runs it: a program compiled to a
 * module with the ABI (`docs/abi.md`), instantiated over the instance's own
 * linear memory, with map handles and global-data addresses as the
 * instance resolves them and the instance's helpers as imports.
 */

import { compilePrograms } from '../emit-wasm/compile.js';
import { instantiate } from '../util/wasm-api.js';
import type { Backend } from './backend.js';
import { programIR, WASM_UNROLL, type CompileSettings } from './compile.js';
import type { Instance } from './instance.js';
import { moduleExecutable } from './module-executable.js';
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
        const ir = programIR(prog, { maps: instance.object.maps, unroll: WASM_UNROLL, ...settings, ...(facts !== undefined ? { facts } : {}) }, loadOptions.entryArgs ?? 1);
        const verified = facts?.has(prog.name) === true;
        const { bytes } = compilePrograms([{ ir, name: 'prog', section: prog.section, type: prog.type }], {
          maps: instance.object.maps, license: instance.object.license, verified,
        });
        return moduleExecutable(prog, instance, (imports) => instantiate(bytes, imports).exports, 'prog');
      } catch (err) {
        throw located(err);
      }
    },
  };
}
