/**
 * @file Turning key bytes into a cheap JavaScript `Map` key.
 *
 * Keys of up to 6 bytes become a number (exact below 2^53); 8-byte keys become
 * a number when their high half is small, else a string; longer keys become a
 * string of 16-bit characters. Numbers and strings never compare equal, so one
 * `Map` holds both shapes without collisions.
 */

/** A `Map` key equal for equal key bytes. */
export type KeyId = number | string;

/** The `KeyId` of `len` bytes of `bytes` starting at `off`. */
export function keyId(bytes: Uint8Array, off: number, len: number): KeyId {
  switch (len) {
    case 1: return bytes[off]!;
    case 2: return bytes[off]! | (bytes[off + 1]! << 8);
    case 4: return (bytes[off]! | (bytes[off + 1]! << 8) | (bytes[off + 2]! << 16)) + bytes[off + 3]! * 0x1000000;
    case 8: {
      const lo = (bytes[off]! | (bytes[off + 1]! << 8) | (bytes[off + 2]! << 16)) + bytes[off + 3]! * 0x1000000;
      const hi = (bytes[off + 4]! | (bytes[off + 5]! << 8) | (bytes[off + 6]! << 16)) + bytes[off + 7]! * 0x1000000;
      if (hi < 0x200000) return hi * 0x100000000 + lo;
      return String.fromCharCode(lo & 0xffff, lo >>> 16, hi & 0xffff, hi >>> 16);
    }
    default: break;
  }
  if (len <= 6) {
    let n = 0;
    for (let i = len - 1; i >= 0; i--) n = n * 256 + bytes[off + i]!;
    return n;
  }
  let s = '';
  let i = 0;
  for (; i + 1 < len; i += 2) s += String.fromCharCode(bytes[off + i]! | (bytes[off + i + 1]! << 8));
  // every key of a map has the same length, so a lone last byte is unambiguous
  if (i < len) s += String.fromCharCode(bytes[off + i]!);
  return s;
}
