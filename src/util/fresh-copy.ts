/**
 * @file Copies of a function that learn on their own. V8 keeps type feedback
 * per function: a hot path shared by every loaded program sees many targets
 * at its call sites and calls each the slow, generic way (a call from
 * JavaScript into WebAssembly is inlined only where one target was seen).
 * A copy compiled from the function's source starts with no feedback, so each
 * program's path is as fast as if it were the only one. V8 caches functions
 * compiled from identical source, feedback included, so each copy's source
 * carries a serial number.
 *
 * The function must be self-contained: it sees only its parameters and the
 * global scope, never the module's imports. Platforms that forbid compiling
 * from source (a content security policy, edge workers) get the function
 * itself.
 */

/** Copies made so far. */
let copies = 0;

/** A fresh copy of `fn`, or `fn` itself where code cannot be compiled at run time. */
export function freshCopy<F extends (...args: never[]) => unknown>(fn: F): F {
  try {
    return new Function(`return (${fn.toString()}); /* copy ${++copies} */`)() as F;
  } catch {
    return fn;
  }
}
