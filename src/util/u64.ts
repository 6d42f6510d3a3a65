/**
 * @file All 64-bit (and 32-bit) integer arithmetic of eBPF, as named functions
 * with the exact semantics of RFC 9669 §4.1–§4.3. Every value is an unsigned
 * 64-bit integer held in a BigInt in `0 .. 2^64-1` (32-bit results are
 * zero-extended); the representation lives only here, so it can change in one
 * place.
 *
 * Division and modulo never trap (RFC 9669 §4.1): `x / 0 = 0`, `x % 0 = x`,
 * signed `INT_MIN / -1 = INT_MIN` and `INT_MIN % -1 = 0`; signed division
 * truncates towards zero and the remainder takes the dividend's sign, as in C.
 * Shift amounts are masked to 6 bits (5 for 32-bit operations).
 */

/** An unsigned 64-bit value. */
export type U64 = bigint;

const M64 = 0xffffffffffffffffn;
const M32 = 0xffffffffn;

/** Wrap any integer to 64 bits, unsigned. */
export function u64(x: bigint): U64 { return BigInt.asUintN(64, x); }
/** Wrap any integer to 32 bits, unsigned (zero-extended to 64). */
export function u32(x: bigint): U64 { return BigInt.asUintN(32, x); }
/** Reinterpret the 64 bits as a signed value. */
export function s64(x: U64): bigint { return BigInt.asIntN(64, x); }
/** Reinterpret the low 32 bits as a signed value. */
export function s32(x: U64): bigint { return BigInt.asIntN(32, x); }

/** A JavaScript number (int32 or uint32 pattern) sign-extended to 64 bits, as an eBPF immediate is. */
export function fromImm(imm: number): U64 { return BigInt.asUintN(64, BigInt(imm | 0)); }
/** A JavaScript number (int32 or uint32 pattern) as its 32-bit unsigned value. */
export function fromImm32(imm: number): U64 { return BigInt(imm >>> 0); }

/** Sign-extend the low `bits` bits to 64 bits. */
export function sext(x: U64, bits: 8 | 16 | 32 | 64): U64 { return BigInt.asUintN(64, BigInt.asIntN(bits, x)); }
/** Sign-extend the low `bits` bits to 32 bits, then zero-extend to 64 (`movsx` in the ALU class). */
export function sext32(x: U64, bits: 8 | 16 | 32): U64 { return BigInt.asUintN(32, BigInt.asIntN(bits, x)); }
/** Zero-extend the low `bits` bits. */
export function zext(x: U64, bits: 8 | 16 | 32 | 64): U64 { return BigInt.asUintN(bits, x); }

// ---- 64-bit ALU (BPF_ALU64) ----

/** `dst + src` modulo 2^64. */
export function add64(a: U64, b: U64): U64 { return (a + b) & M64; }
/** `dst - src` modulo 2^64. */
export function sub64(a: U64, b: U64): U64 { return (a - b) & M64; }
/** `dst * src` modulo 2^64. */
export function mul64(a: U64, b: U64): U64 { return (a * b) & M64; }
/** Unsigned division; division by zero gives 0. */
export function divU64(a: U64, b: U64): U64 { return b === 0n ? 0n : a / b; }
/** Unsigned modulo; modulo by zero leaves the dividend. */
export function modU64(a: U64, b: U64): U64 { return b === 0n ? a : a % b; }
/** Signed division (truncating); by zero gives 0; `INT_MIN / -1 = INT_MIN`. */
export function divS64(a: U64, b: U64): U64 {
  if (b === 0n) return 0n;
  return BigInt.asUintN(64, BigInt.asIntN(64, a) / BigInt.asIntN(64, b));
}
/** Signed modulo (sign of the dividend); by zero leaves the dividend; `INT_MIN % -1 = 0`. */
export function modS64(a: U64, b: U64): U64 {
  if (b === 0n) return a;
  return BigInt.asUintN(64, BigInt.asIntN(64, a) % BigInt.asIntN(64, b));
}
/** Bitwise or. */
export function or64(a: U64, b: U64): U64 { return a | b; }
/** Bitwise and. */
export function and64(a: U64, b: U64): U64 { return a & b; }
/** Bitwise exclusive or. */
export function xor64(a: U64, b: U64): U64 { return a ^ b; }
/** Left shift by `b & 63`. */
export function lsh64(a: U64, b: U64): U64 { return (a << (b & 63n)) & M64; }
/** Logical right shift by `b & 63`. */
export function rsh64(a: U64, b: U64): U64 { return a >> (b & 63n); }
/** Arithmetic right shift by `b & 63`. */
export function arsh64(a: U64, b: U64): U64 { return BigInt.asUintN(64, BigInt.asIntN(64, a) >> (b & 63n)); }
/** Two's complement negation. */
export function neg64(a: U64): U64 { return (-a) & M64; }

// ---- 32-bit ALU (BPF_ALU): operate on the low halves, zero-extend the result ----

/** 32-bit add, zero-extended. */
export function add32(a: U64, b: U64): U64 { return (a + b) & M32; }
/** 32-bit subtract, zero-extended. */
export function sub32(a: U64, b: U64): U64 { return (a - b) & M32; }
/** 32-bit multiply, zero-extended. */
export function mul32(a: U64, b: U64): U64 { return ((a & M32) * (b & M32)) & M32; }
/** 32-bit unsigned division; by zero gives 0. */
export function divU32(a: U64, b: U64): U64 { const d = b & M32; return d === 0n ? 0n : (a & M32) / d; }
/** 32-bit unsigned modulo; by zero leaves the (32-bit, zero-extended) dividend. */
export function modU32(a: U64, b: U64): U64 { const d = b & M32; return d === 0n ? a & M32 : (a & M32) % d; }
/** 32-bit signed division; by zero gives 0; `INT32_MIN / -1 = INT32_MIN`. */
export function divS32(a: U64, b: U64): U64 {
  const d = BigInt.asIntN(32, b);
  if (d === 0n) return 0n;
  return BigInt.asUintN(32, BigInt.asIntN(32, a) / d);
}
/** 32-bit signed modulo; by zero leaves the (32-bit, zero-extended) dividend; `INT32_MIN % -1 = 0`. */
export function modS32(a: U64, b: U64): U64 {
  const d = BigInt.asIntN(32, b);
  if (d === 0n) return a & M32;
  return BigInt.asUintN(32, BigInt.asIntN(32, a) % d);
}
/** 32-bit or, zero-extended. */
export function or32(a: U64, b: U64): U64 { return (a | b) & M32; }
/** 32-bit and, zero-extended. */
export function and32(a: U64, b: U64): U64 { return a & b & M32; }
/** 32-bit exclusive or, zero-extended. */
export function xor32(a: U64, b: U64): U64 { return (a ^ b) & M32; }
/** 32-bit left shift by `b & 31`, zero-extended. */
export function lsh32(a: U64, b: U64): U64 { return (a << (b & 31n)) & M32; }
/** 32-bit logical right shift by `b & 31`. */
export function rsh32(a: U64, b: U64): U64 { return (a & M32) >> (b & 31n); }
/** 32-bit arithmetic right shift by `b & 31`, zero-extended. */
export function arsh32(a: U64, b: U64): U64 { return BigInt.asUintN(32, BigInt.asIntN(32, a) >> (b & 31n)); }
/** 32-bit negation, zero-extended. */
export function neg32(a: U64): U64 { return (-a) & M32; }
/** 32-bit move: the low half, zero-extended. */
export function mov32(a: U64): U64 { return a & M32; }

// ---- byte order (RFC 9669 §4.2), on a little-endian machine as eBPF defines ----

/** Swap the bytes of the low 16 bits; the result is zero-extended. */
export function bswap16(a: U64): U64 { return ((a & 0xffn) << 8n) | ((a >> 8n) & 0xffn); }
/** Swap the bytes of the low 32 bits; the result is zero-extended. */
export function bswap32(a: U64): U64 {
  return ((a & 0xffn) << 24n) | ((a & 0xff00n) << 8n) | ((a >> 8n) & 0xff00n) | ((a >> 24n) & 0xffn);
}
/** Swap all 8 bytes. */
export function bswap64(a: U64): U64 { return (bswap32(a) << 32n) | bswap32(a >> 32n); }
/** Convert to little-endian: on a little-endian machine, truncate to `bits` (zero-extend). */
export function toLe(a: U64, bits: 16 | 32 | 64): U64 { return BigInt.asUintN(bits, a); }
/** Convert to big-endian: on a little-endian machine, swap the low `bits`. */
export function toBe(a: U64, bits: 16 | 32 | 64): U64 {
  return bits === 16 ? bswap16(a) : bits === 32 ? bswap32(a) : bswap64(a);
}
/** Unconditional swap of the low `bits` (`bswap`, RFC 9669 §4.2, BPF_ALU64 class). */
export function bswap(a: U64, bits: 16 | 32 | 64): U64 { return toBe(a, bits); }

// ---- comparisons (RFC 9669 §4.3) ----

/** Unsigned less-than over 64 bits. */
export function ltU64(a: U64, b: U64): boolean { return a < b; }
/** Signed less-than over 64 bits. */
export function ltS64(a: U64, b: U64): boolean { return BigInt.asIntN(64, a) < BigInt.asIntN(64, b); }
/** Unsigned less-than over the low 32 bits. */
export function ltU32(a: U64, b: U64): boolean { return (a & M32) < (b & M32); }
/** Signed less-than over the low 32 bits. */
export function ltS32(a: U64, b: U64): boolean { return BigInt.asIntN(32, a) < BigInt.asIntN(32, b); }

// ---- text ----

/** Format as `0x` followed by lower-case hex digits (no padding). */
export function toHex(a: U64): string { return `0x${a.toString(16)}`; }
/**
 * Parse an unsigned or signed integer literal (`0x…` hex, or decimal with an
 * optional `-`) and wrap it to 64 bits; undefined when it is not a number.
 */
export function parseU64(text: string): U64 | undefined {
  const s = text.trim();
  if (/^-?0x[0-9a-f]+$/i.test(s)) {
    const neg = s.startsWith('-');
    const v = BigInt(neg ? s.slice(1) : s);
    return BigInt.asUintN(64, neg ? -v : v);
  }
  if (/^-?[0-9]+$/.test(s)) return BigInt.asUintN(64, BigInt(s));
  return undefined;
}
