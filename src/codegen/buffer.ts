/**
 * @file A code buffer with labels and fixups, shared by the native backends.
 *
 * Bytes are appended little-endian. A *label* names a position that may not be
 * known yet; a *fixup* records "at byte offset `at`, patch in the distance to
 * `label` using `kind`". `finish()` binds every fixup once all labels are
 * placed. The buffer knows nothing of any architecture: each backend supplies
 * its fixup kinds as small patch functions (x86-64 rel8/rel32, AArch64 imm19/
 * imm26 ...), in the manner of Cranelift's `MachBuffer` and ubpf's
 * `PatchableTarget`.
 */

import { assert, InternalError } from '../diag/errors.js';

/** A position in the code, possibly not yet bound. Index into the buffer's label table. */
export type Label = number & { readonly __brand: 'Label' };

/**
 * How to patch one reference to a label: the backend's encoding of a
 * PC-relative (or absolute) field.
 */
export interface FixupKind {
  /** Name for messages, e.g. `rel32`. */
  readonly name: string;
  /**
   * Write the reference to `target` into `code`. `at` is the offset given to
   * `CodeBuffer.fixup` (the backend decides what it points at: the field, or
   * the instruction). Returns false when the distance does not fit.
   */
  patch(code: Uint8Array, at: number, target: number): boolean;
}

/** One pending reference. */
interface Fixup {
  readonly kind: FixupKind;
  readonly at: number;
  readonly label: Label;
}

/** Unbound label marker in the label table. */
const UNBOUND = -1;

/** A growable byte buffer with labels and fixups. */
export class CodeBuffer {
  private data = new Uint8Array(256);
  private length = 0;
  private readonly labels: number[] = [];
  private readonly fixups: Fixup[] = [];

  /** Current end of the code, in bytes: where the next byte goes. */
  get offset(): number { return this.length; }

  /** Make room for `n` more bytes. */
  private reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    let size = this.data.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }

  /** Append one byte (the low 8 bits of `b`). */
  emit8(b: number): void {
    this.reserve(1);
    this.data[this.length++] = b & 0xff;
  }

  /** Append a 16-bit little-endian value. */
  emit16(v: number): void { this.emit8(v); this.emit8(v >>> 8); }

  /** Append a 32-bit little-endian value (signed or unsigned). */
  emit32(v: number): void { this.emit8(v); this.emit8(v >>> 8); this.emit8(v >>> 16); this.emit8(v >>> 24); }

  /** Append a 64-bit little-endian value. */
  emit64(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.emit32(Number(u & 0xffffffffn));
    this.emit32(Number(u >> 32n));
  }

  /** Append bytes. */
  emitBytes(bytes: ArrayLike<number>): void {
    this.reserve(bytes.length);
    for (let i = 0; i < bytes.length; i++) this.data[this.length++] = bytes[i]! & 0xff;
  }

  /** A fresh, unbound label. */
  newLabel(): Label {
    this.labels.push(UNBOUND);
    return (this.labels.length - 1) as Label;
  }

  /** Bind `label` to the current offset. A label is bound once. */
  bind(label: Label): void {
    assert(label >= 0 && label < this.labels.length, `unknown label ${label}`);
    assert(this.labels[label] === UNBOUND, `label ${label} bound twice`);
    this.labels[label] = this.length;
  }

  /** The offset a label is bound to, or undefined while unbound. */
  labelOffset(label: Label): number | undefined {
    const at = this.labels[label];
    return at === undefined || at === UNBOUND ? undefined : at;
  }

  /** Record that the bytes at `at` refer to `label`, to be patched by `kind`. */
  fixup(kind: FixupKind, at: number, label: Label): void {
    assert(label >= 0 && label < this.labels.length, `unknown label ${label}`);
    this.fixups.push({ kind, at, label });
  }

  /** Overwrite a byte already emitted. */
  patch8(at: number, b: number): void {
    assert(at >= 0 && at < this.length, `patch at ${at} outside the code`);
    this.data[at] = b & 0xff;
  }

  /** The bytes so far, without resolving fixups (a view, not a copy). */
  peek(): Uint8Array { return this.data.subarray(0, this.length); }

  /**
   * Resolve every fixup and return the code. An unbound label or a distance
   * that does not fit is a bug in the backend that chose the encoding.
   */
  finish(): Uint8Array {
    const code = this.data.slice(0, this.length);
    for (const f of this.fixups) {
      const target = this.labels[f.label]!;
      if (target === UNBOUND) throw new InternalError(`label ${f.label} used at ${f.at} but never bound`);
      if (!f.kind.patch(code, f.at, target)) {
        throw new InternalError(`${f.kind.name} fixup at ${f.at} cannot reach offset ${target}`);
      }
    }
    return code;
  }
}
