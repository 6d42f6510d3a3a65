/**
 * @file The kernel's Jenkins hash (include/linux/jhash.h, lookup3), used by the
 * hash maps for bucket order and by the bloom filter for its bit positions.
 * With `BPF_F_ZERO_SEED` the kernel seeds it with 0, so results match exactly.
 */

const JHASH_INITVAL = 0xdeadbeef;

function rol32(x: number, s: number): number {
  return (x << s) | (x >>> (32 - s));
}

/** Read a little-endian u32 (x86-64 and arm64 are little-endian: `__get_unaligned_cpu32`). */
function u32(k: Uint8Array, i: number): number {
  return k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24);
}

/** `jhash(key, length, initval)` over `length` bytes of `k` from `off`; returns a u32. */
export function jhash(k: Uint8Array, off: number, length: number, initval: number): number {
  let a = (JHASH_INITVAL + length + initval) | 0;
  let b = a;
  let c = a;
  let p = off;
  while (length > 12) {
    a = (a + u32(k, p)) | 0;
    b = (b + u32(k, p + 4)) | 0;
    c = (c + u32(k, p + 8)) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= rol32(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol32(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol32(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol32(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol32(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol32(b, 4); b = (b + a) | 0;
    length -= 12;
    p += 12;
  }
  if (length === 0) return c >>> 0;
  // the fall-through switch of jhash(): add the tail bytes
  if (length >= 12) c = (c + (k[p + 11]! << 24)) | 0;
  if (length >= 11) c = (c + (k[p + 10]! << 16)) | 0;
  if (length >= 10) c = (c + (k[p + 9]! << 8)) | 0;
  if (length >= 9) c = (c + k[p + 8]!) | 0;
  if (length >= 8) b = (b + (k[p + 7]! << 24)) | 0;
  if (length >= 7) b = (b + (k[p + 6]! << 16)) | 0;
  if (length >= 6) b = (b + (k[p + 5]! << 8)) | 0;
  if (length >= 5) b = (b + k[p + 4]!) | 0;
  if (length >= 4) a = (a + (k[p + 3]! << 24)) | 0;
  if (length >= 3) a = (a + (k[p + 2]! << 16)) | 0;
  if (length >= 2) a = (a + (k[p + 1]! << 8)) | 0;
  a = (a + k[p]!) | 0;
  return jhashFinal(a, b, c);
}

/** `__jhash_final(a, b, c)`, returning `c`. */
function jhashFinal(a: number, b: number, c: number): number {
  c ^= b; c = (c - rol32(b, 14)) | 0;
  a ^= c; a = (a - rol32(c, 11)) | 0;
  b ^= a; b = (b - rol32(a, 25)) | 0;
  c ^= b; c = (c - rol32(b, 16)) | 0;
  a ^= c; a = (a - rol32(c, 4)) | 0;
  b ^= a; b = (b - rol32(a, 14)) | 0;
  c ^= b; c = (c - rol32(b, 24)) | 0;
  return c >>> 0;
}

/**
 * `jhash2(k, length, initval)` over `words` u32 words from byte offset `off`.
 * For lengths that are multiples of 4 bytes it equals `jhash` (same state and tail).
 */
export function jhash2(k: Uint8Array, off: number, words: number, initval: number): number {
  return jhash(k, off, words * 4, initval);
}
