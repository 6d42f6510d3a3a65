/** @file Internal errors: assertions about this project's own invariants, never user mistakes. */

/** A bug in ebpf2wasm itself. Seeing one is always worth a report. */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error: ${message}`);
    this.name = 'InternalError';
  }
}

/** Assert an invariant of the project's own code. */
export function assert(cond: unknown, message = 'assertion failed'): asserts cond {
  if (!cond) throw new InternalError(message);
}

/** Mark a switch as exhaustive. */
export function unreachable(x: never, what = 'value'): never {
  throw new InternalError(`unexpected ${what}: ${String(x)}`);
}
