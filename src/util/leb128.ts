/**
 * @file LEB128 variable-length integers, as the WebAssembly binary format uses
 * them (WebAssembly Core Specification §5.2.2 "Integers").
 *
 * Unsigned values are written seven bits at a time, low bits first, with the
 * high bit of each byte set when more bytes follow. Signed values use the
 * same grouping on the two's-complement bits and stop once the remaining
 * value is all sign bits and bit 6 of the last byte agrees with the sign.
 */

/** Append the unsigned LEB128 encoding of `value` (a non-negative safe integer or bigint) to `out`. */
export function writeUleb(out: number[], value: number | bigint): void {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError(`uleb128 of a negative value ${v}`);
  if (typeof value === 'number' && value <= 0xffffffff) {
    let n = value >>> 0;
    do {
      const byte = n & 0x7f;
      n >>>= 7;
      out.push(n !== 0 ? byte | 0x80 : byte);
    } while (n !== 0);
    return;
  }
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v !== 0n ? byte | 0x80 : byte);
  } while (v !== 0n);
}

/** Append the signed LEB128 encoding of `value` (a safe integer or bigint) to `out`. */
export function writeSleb(out: number[], value: number | bigint): void {
  let v = BigInt(value);
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n; // arithmetic shift on BigInt
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** Encode an unsigned LEB128 into a fresh array. */
export function uleb(value: number | bigint): number[] {
  const out: number[] = [];
  writeUleb(out, value);
  return out;
}

/** Encode a signed LEB128 into a fresh array. */
export function sleb(value: number | bigint): number[] {
  const out: number[] = [];
  writeSleb(out, value);
  return out;
}

/** A decoded LEB128 value and the offset just past it. */
export interface LebRead {
  readonly value: bigint;
  readonly next: number;
}

/**
 * Read an unsigned LEB128 at `offset`; `undefined` when the bytes end first
 * or the value is longer than `maxBits` allows.
 */
export function readUleb(bytes: Uint8Array, offset: number, maxBits = 64): LebRead | undefined {
  let result = 0n;
  let shift = 0n;
  let at = offset;
  for (;;) {
    if (at >= bytes.length || shift >= BigInt(maxBits + 7)) return undefined;
    const byte = bytes[at++]!;
    result |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) break;
  }
  if (result >> BigInt(maxBits) !== 0n) return undefined;
  return { value: result, next: at };
}

/** Read a signed LEB128 at `offset`; `undefined` when the bytes end first or it is too long. */
export function readSleb(bytes: Uint8Array, offset: number, maxBits = 64): LebRead | undefined {
  let result = 0n;
  let shift = 0n;
  let at = offset;
  let byte: number;
  do {
    if (at >= bytes.length || shift >= BigInt(maxBits + 7)) return undefined;
    byte = bytes[at++]!;
    result |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
  } while ((byte & 0x80) !== 0);
  if ((byte & 0x40) !== 0) result -= 1n << shift;
  return { value: result, next: at };
}
