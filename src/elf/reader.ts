/**
 * @file A bounds-checked, endian-aware view of the input bytes.
 *
 * Every read of the object file goes through here, so a truncated or lying
 * file becomes a `DiagnosticError` (ELF_TRUNCATED) naming what was being
 * read, never a `RangeError` from `DataView`.
 */

import { fail, type Location } from '../diag/index.js';

/** Largest file offset we accept as a JavaScript number. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A view of a byte range with checked reads in one byte order. */
export class Reader {
  readonly bytes: Uint8Array;
  readonly little: boolean;
  private readonly view: DataView;
  /** Location added to every diagnostic this reader raises. */
  private readonly where: Location;

  constructor(bytes: Uint8Array, little: boolean, where: Location = {}) {
    this.bytes = bytes;
    this.little = little;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.where = where;
  }

  /** Size in bytes. */
  get length(): number { return this.bytes.length; }

  /** Fail unless `[at, at + size)` is inside the view. */
  check(at: number, size: number, what: string): void {
    if (!Number.isSafeInteger(at) || !Number.isSafeInteger(size) || at < 0 || size < 0 || at + size > this.bytes.length) {
      const end = Number.isSafeInteger(at + size) ? (at + size).toString(16) : 'ffffffffffffffff';
      fail('ELF_TRUNCATED', { what, end, size: this.bytes.length.toString(16) }, { ...this.where, offset: Number.isSafeInteger(at) ? at : 0 });
    }
  }

  u8(at: number, what: string): number { this.check(at, 1, what); return this.view.getUint8(at); }
  u16(at: number, what: string): number { this.check(at, 2, what); return this.view.getUint16(at, this.little); }
  u32(at: number, what: string): number { this.check(at, 4, what); return this.view.getUint32(at, this.little); }
  i32(at: number, what: string): number { this.check(at, 4, what); return this.view.getInt32(at, this.little); }
  u64big(at: number, what: string): bigint { this.check(at, 8, what); return this.view.getBigUint64(at, this.little); }
  i64big(at: number, what: string): bigint { this.check(at, 8, what); return this.view.getBigInt64(at, this.little); }

  /** A u64 that must fit a safe JavaScript number (offsets and sizes); larger values are clamped so the next bounds check fails. */
  u64(at: number, what: string): number {
    const v = this.u64big(at, what);
    return v > BigInt(MAX_SAFE) ? MAX_SAFE : Number(v);
  }

  /** A sub-range, checked. */
  slice(at: number, size: number, what: string): Uint8Array {
    this.check(at, size, what);
    return this.bytes.subarray(at, at + size);
  }

  /** A sub-reader over `[at, at + size)` in the same byte order. */
  sub(at: number, size: number, what: string, where: Location = this.where): Reader {
    return new Reader(this.slice(at, size, what), this.little, where);
  }

  /** A NUL-terminated string starting at `at`, or undefined when `at` is outside or unterminated. */
  cstring(at: number): string | undefined {
    if (!Number.isSafeInteger(at) || at < 0 || at >= this.bytes.length) return undefined;
    const end = this.bytes.indexOf(0, at);
    if (end < 0) return undefined;
    return utf8(this.bytes.subarray(at, end));
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Decode bytes as UTF-8 (invalid sequences become U+FFFD; never throws). */
export function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
