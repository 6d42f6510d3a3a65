/**
 * @file A program ready to attach: a program of an instance's object, loaded
 * once on a backend. Hooks run the same executable on every event, so the
 * cost of loading (verifying and compiling, for `wasm` and the native
 * backends) is paid at attach time, never per event.
 */

import type { ProgramSpec } from '../../elf/types.js';
import type { Backend, Executable } from '../backend.js';
import type { Instance } from '../instance.js';

/** What a hook runs: a program, the instance holding its maps, and its executable. */
export interface HookProgram {
  readonly spec: ProgramSpec;
  /** Holds the maps and the linear memory the program runs against. */
  readonly instance: Instance;
  /** The backend that loaded `executable` (used again when a link replaces the program by name). */
  readonly backend: Backend;
  readonly executable: Executable;
}

/** Load a program of the instance's object (by spec or function name) on a backend. */
export function loadProgram(instance: Instance, program: ProgramSpec | string, backend: Backend): HookProgram {
  const spec = typeof program === 'string' ? instance.program(program) : program;
  return { spec, instance, backend, executable: backend.load(spec, instance) };
}
