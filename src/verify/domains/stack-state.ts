/**
 * @file The stack of one frame, per byte (`struct bpf_stack_state` in
 * `include/linux/bpf_verifier.h`): each of the 512 bytes is uninitialised
 * (`STACK_INVALID`), holds an unknown number (`STACK_MISC`), a known zero
 * (`STACK_ZERO`), or part of a spilled register (`STACK_SPILL`, the register
 * kept per 8-byte slot so that a fill gets its type back).
 *
 * ```
 *   byte index 0 ................................ 511
 *   offset   -512 .............................. -1   (from r10)
 *   slot        0 | 1 | ... | 63                       (8 bytes each)
 * ```
 */

import { IdMap, copyReg, regSafe, type Reg } from './reg-state.js';
import { isConst } from './scalar.js';

/** Kind of one stack byte. */
export const enum ByteKind { INVALID = 0, MISC = 1, ZERO = 2, SPILL = 3 }

/** Bytes of stack per frame (`MAX_BPF_STACK`). */
export const STACK_BYTES = 512;

/** One frame's stack. */
export class StackState {
  /** Per byte, `ByteKind`. */
  readonly kinds: Uint8Array;
  /** Per 8-byte slot, the spilled register when the slot's bytes are SPILL. */
  readonly spills: (Reg | undefined)[];
  /** Deepest byte touched, in bytes below the frame pointer (the frame's stack depth). */
  depth: number;
  /** `kinds` as 32-bit words, made on first use. */
  private words32: Uint32Array | undefined;

  constructor(from?: StackState) {
    if (from) {
      this.kinds = from.kinds.slice();
      const spills = from.spills.slice();
      for (let k = 0; k < spills.length; k++) { const r = spills[k]; if (r !== undefined) spills[k] = copyReg(r); }
      this.spills = spills;
      this.depth = from.depth;
    } else {
      this.kinds = new Uint8Array(STACK_BYTES);
      this.spills = new Array<Reg | undefined>(STACK_BYTES / 8).fill(undefined);
      this.depth = 0;
    }
  }

  /** The byte kinds viewed four at a time. */
  words(): Uint32Array { return (this.words32 ??= new Uint32Array(this.kinds.buffer, this.kinds.byteOffset, STACK_BYTES / 4)); }

  /** A deep copy. */
  clone(): StackState { return new StackState(this); }

  /** Byte index of an offset from the frame pointer (-512..-1). */
  static index(off: number): number { return STACK_BYTES + off; }

  /** Note a touched range for the stack-depth figure. */
  touch(off: number): void { if (-off > this.depth) this.depth = -off; }

  /** Forget spills that overlap [i, i+n) (their slot becomes MISC where it was SPILL). */
  private breakSpills(i: number, n: number): void {
    for (let s = i >> 3; s <= (i + n - 1) >> 3; s++) {
      if (this.spills[s] === undefined) continue;
      this.spills[s] = undefined;
      for (let b = s * 8; b < s * 8 + 8; b++) if (this.kinds[b] === ByteKind.SPILL) this.kinds[b] = ByteKind.MISC;
    }
  }

  /** Store of a register of `size` bytes at `off` that keeps its type (8-byte aligned spill). */
  spill(off: number, reg: Reg): void {
    const i = StackState.index(off);
    this.breakSpills(i, 8);
    this.kinds.fill(ByteKind.SPILL, i, i + 8);
    this.spills[i >> 3] = copyReg(reg);
    this.touch(off);
  }

  /** Store of `size` bytes of a number (known zero when `zero`). */
  writeMisc(off: number, size: number, zero: boolean): void {
    const i = StackState.index(off);
    this.breakSpills(i, size);
    this.kinds.fill(zero ? ByteKind.ZERO : ByteKind.MISC, i, i + size);
    this.touch(off);
  }

  /** The register spilled in the slot, when [off, off+size) is exactly inside one spill. */
  spilledAt(off: number, size: number): Reg | undefined {
    const i = StackState.index(off);
    const s = i >> 3;
    if ((i + size - 1) >> 3 !== s) return undefined;
    const r = this.spills[s];
    if (r === undefined) return undefined;
    for (let b = i; b < i + size; b++) if (this.kinds[b] !== ByteKind.SPILL) return undefined;
    return r;
  }

  /** The first uninitialised byte in [off, off+size), or undefined when all are initialised. */
  firstInvalid(off: number, size: number): number | undefined {
    const i = StackState.index(off);
    for (let b = i; b < i + size; b++) if (this.kinds[b] === ByteKind.INVALID) return b - STACK_BYTES;
    return undefined;
  }

  /** Whether every byte of [off, off+size) is a known zero (or a spilled constant zero). */
  allZero(off: number, size: number): boolean {
    const i = StackState.index(off);
    for (let b = i; b < i + size; b++) {
      const k = this.kinds[b];
      if (k === ByteKind.ZERO) continue;
      if (k === ByteKind.SPILL) {
        const r = this.spills[b >> 3];
        if (r !== undefined && r.type === 'scalar' && isConst(r) && r.varOff.value === 0n) continue;
      }
      return false;
    }
    return true;
  }
}

/**
 * What the run learned of a pc's stack slots: two 32-bit words per pc
 * (bit n = slot n) of slots that may still be read (`live`) and of slots
 * whose spilled number may reach a precise register (`precise`).
 */
export interface SlotFacts {
  readonly live: Uint32Array;
  readonly precise: Uint32Array;
  readonly at: number;
  /** Reads of uninitialised bytes give unknown numbers (privileged mode), as reads of `MISC` bytes do. */
  readonly uninitReadable: boolean;
  /** Scalar ids shared by more than one register or slot of the old state: those are compared even where imprecise. */
  readonly linked?: ReadonlySet<number>;
}

/**
 * Whether `cur`'s stack is safe wherever `old`'s was (`stacksafe`): every
 * byte `old` relied on is at least as initialised in `cur`, and spilled
 * registers are `regSafe`. With `slots`, slots that are never read again
 * are skipped (the kernel's stack liveness) and spilled scalars are compared
 * only in precise slots.
 */
export function stackSafe(old: StackState, cur: StackState, ids: IdMap, slots?: SlotFacts, from = STACK_BYTES - old.depth, to = STACK_BYTES): boolean {
  const ow = old.words();
  const cw = cur.words();
  const word = slots === undefined ? 0 : slots.at * 2;
  let b = Math.max(from, STACK_BYTES - old.depth);
  failByte = b;
  for (; b < to; b++) {
    failByte = b;
    if (slots !== undefined && ((slots.live[word + (b >> 8)]! >>> ((b >> 3) & 31)) & 1) === 0) { b |= 7; continue; }
    // fast path: four equal bytes with no spill among them are safe
    if ((b & 3) === 0 && b + 4 <= STACK_BYTES) {
      const w = ow[b >> 2]!;
      if (w === cw[b >> 2]! && !hasSpill(w)) { b += 3; continue; }
    }
    const ok = old.kinds[b]!;
    if (ok === ByteKind.INVALID) continue;
    const ck = cur.kinds[b]!;
    if (ck === ByteKind.INVALID) {
      // where uninitialised bytes read as unknown numbers, they are as good as MISC ones
      if (slots?.uninitReadable !== true || ok !== ByteKind.MISC) return false;
      continue;
    }
    if (ok === ByteKind.MISC) {
      if (ck === ByteKind.SPILL) {
        const r = cur.spills[b >> 3];
        if (r === undefined || r.type !== 'scalar') return false;
      }
      continue;
    }
    if (ok === ByteKind.ZERO) {
      if (ck === ByteKind.ZERO) continue;
      // a known zero read into registers that are never compared: any number will do
      if (slots !== undefined && ck === ByteKind.MISC && ((slots.precise[word + (b >> 8)]! >>> ((b >> 3) & 31)) & 1) === 0) continue;
      if (ck === ByteKind.SPILL) {
        const r = cur.spills[b >> 3];
        if (r !== undefined && r.type === 'scalar' && isConst(r) && r.varOff.value === 0n) continue;
      }
      return false;
    }
    // SPILL: compare once per slot
    if ((b & 7) !== 0 && old.kinds[b - 1] === ByteKind.SPILL) continue;
    const o = old.spills[b >> 3];
    const c = cur.spills[b >> 3];
    if (o === undefined) continue;
    if (c === undefined) {
      if (o.type !== 'scalar') return false;
      // a spilled unknown-enough scalar is matched by plain numbers
      for (let x = b & ~7; x < (b & ~7) + 8; x++) if (old.kinds[x] === ByteKind.SPILL && cur.kinds[x] === ByteKind.INVALID) return false;
      if (!(o.umin === 0n && o.umax === 0xffff_ffff_ffff_ffffn && o.smin === -(1n << 63n))) return false;
      continue;
    }
    if (slots !== undefined && o.type === 'scalar' && c.type === 'scalar' && ((slots.precise[word + (b >> 8)]! >>> ((b >> 3) & 31)) & 1) === 0
      && slots.linked?.has(o.id) !== true) continue;
    if (!regSafe(o, c, ids)) return false;
  }
  return true;
}

let failByte = -1;
/** The stack byte (from the bottom of the frame) where the last failed `stackSafe` failed. */
export function stackFailByte(): number { return failByte; }

/** Whether any of the four bytes of `w` is SPILL (3). */
function hasSpill(w: number): boolean {
  return (w & 0xff) === 3 || ((w >>> 8) & 0xff) === 3 || ((w >>> 16) & 0xff) === 3 || (w >>> 24) === 3;
}
