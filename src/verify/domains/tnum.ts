/**
 * @file Tristate numbers: the kernel's `kernel/bpf/tnum.c`. A tnum is a pair
 * (value, mask) over 64 bits: a bit set in `mask` is unknown; a bit clear in
 * `mask` has the value of the same bit in `value` (and `value & mask == 0`).
 */

/** A tristate number. Both halves are unsigned 64-bit BigInts. */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

/** All 64 bits set. */
export const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** The low 32 bits set. */
export const U32_MAX = 0xffff_ffffn;

const tn = (value: bigint, mask: bigint): Tnum => ({ value: value & U64_MAX, mask: mask & U64_MAX });

/** Fully unknown. */
export const TNUM_UNKNOWN: Tnum = tn(0n, U64_MAX);

/** A known constant (`tnum_const`). */
export function tnumConst(v: bigint): Tnum { return { value: BigInt.asUintN(64, v), mask: 0n }; }

/** Highest set bit position + 1 (`fls64`). */
function fls64(x: bigint): number {
  const hi = Number(x >> 32n);
  return hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(Number(x));
}

/** The smallest tnum holding every value in [min, max] (`tnum_range`, unsigned). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return tn(min & ~delta, delta);
}

/** `tnum_lshift`. */
export function tnumLshift(a: Tnum, shift: number): Tnum { const s = BigInt(shift); return tn(a.value << s, a.mask << s); }
/** `tnum_rshift` (logical). */
export function tnumRshift(a: Tnum, shift: number): Tnum { const s = BigInt(shift); return tn(a.value >> s, a.mask >> s); }
/** `tnum_arshift` on the 32- or 64-bit view. */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  const s = BigInt(shift);
  if (bits === 32) {
    return tn(BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> s), BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> s));
  }
  return tn(BigInt.asIntN(64, a.value) >> s, BigInt.asIntN(64, a.mask) >> s);
}

/** `tnum_add`. */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = (a.mask + b.mask) & U64_MAX;
  const sv = (a.value + b.value) & U64_MAX;
  const sigma = (sm + sv) & U64_MAX;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return tn(sv & ~mu, mu);
}

/** `tnum_sub`. */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = (a.value - b.value) & U64_MAX;
  const alpha = (dv + a.mask) & U64_MAX;
  const beta = (dv - b.mask) & U64_MAX;
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return tn(dv & ~mu, mu);
}

/** `tnum_neg`. */
export function tnumNeg(a: Tnum): Tnum { return tnumSub(tnumConst(0n), a); }

/** `tnum_and`. */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return tn(v, alpha & beta & ~v);
}

/** `tnum_or`. */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return tn(v, mu & ~v);
}

/** `tnum_xor`. */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return tn(v & ~mu, mu);
}

/** `tnum_mul` (the kernel's shift-and-add form). */
export function tnumMul(a0: Tnum, b0: Tnum): Tnum {
  let a = a0;
  let b = b0;
  const accV = (a.value * b.value) & U64_MAX;
  let accM = tnumConst(0n);
  while (a.value !== 0n || a.mask !== 0n) {
    if ((a.value & 1n) !== 0n) accM = tnumAdd(accM, tn(0n, b.mask));
    else if ((a.mask & 1n) !== 0n) accM = tnumAdd(accM, tn(0n, b.value | b.mask));
    a = tnumRshift(a, 1);
    b = tnumLshift(b, 1);
  }
  return tnumAdd(tnumConst(accV), accM);
}

/** `tnum_intersect`: what is known from both (a meet). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return tn(v & ~mu, mu);
}

/** `tnum_union`: a tnum holding every value of both (a join). */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return tn(v & ~mu, mu);
}

/** Keep the low `size` bytes (`tnum_cast`). */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64_MAX : (1n << BigInt(size * 8)) - 1n;
  return tn(a.value & m, a.mask & m);
}

/** Whether every value is a multiple of `size` (`tnum_is_aligned`). */
export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (size === 0) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** Whether every value of `b` is a value of `a` (`tnum_in`). */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask) !== 0n) return false;
  return a.value === (b.value & ~a.mask);
}

/** Whether the tnum holds exactly one value. */
export function tnumIsConst(a: Tnum): boolean { return a.mask === 0n; }

/** Whether `v` is one of the tnum's values. */
export function tnumContains(a: Tnum, v: bigint): boolean { return (BigInt.asUintN(64, v) & ~a.mask) === a.value; }

/** The low 32 bits (`tnum_subreg`). */
export function tnumSubreg(a: Tnum): Tnum { return tnumCast(a, 4); }

/** The high 32 bits, low bits cleared (`tnum_clear_subreg`). */
export function tnumClearSubreg(a: Tnum): Tnum { return tnumLshift(tnumRshift(a, 32), 32); }

/** Replace the low 32 bits (`tnum_with_subreg`). */
export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum { return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg)); }

/** Text as the kernel prints it: `(0x0; 0xff)`. */
export function tnumText(a: Tnum): string { return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`; }
