/** @file The shared native code generation machinery: code buffer, liveness, target description, register allocation. */

export { CodeBuffer, type Label, type FixupKind } from './buffer.js';
export { liveness, isCall, type Liveness } from './liveness.js';
export type { MReg, RegTarget } from './target.js';
export { allocate, sequentialise, type Allocation, type Loc, type Move } from './regalloc.js';
