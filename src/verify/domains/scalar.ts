/**
 * @file Scalar value ranges as the kernel tracks them in `struct bpf_reg_state`
 * (`kernel/bpf/verifier.c`): a tnum plus unsigned and signed bounds in the
 * 64-bit and the 32-bit (sub-register) view, kept consistent with each other
 * by `reg_bounds_sync`; ALU transfer functions (`adjust_scalar_min_max_vals`)
 * and conditional-jump refinement (`is_branch_taken`, `regs_refine_cond_op`).
 *
 * Signed bounds are signed BigInts, unsigned bounds unsigned BigInts.
 */

import {
  TNUM_UNKNOWN, U32_MAX, U64_MAX, tnumAdd, tnumAnd, tnumArshift, tnumCast, tnumClearSubreg, tnumConst, tnumIn,
  tnumIntersect, tnumIsConst, tnumLshift, tnumMul, tnumOr, tnumRange, tnumRshift, tnumSub, tnumSubreg, tnumUnion,
  tnumWithSubreg, tnumXor, type Tnum,
} from './tnum.js';

/** The numeric part of a register: a scalar's value, or a pointer's variable offset. */
export interface Bounds {
  varOff: Tnum;
  smin: bigint; smax: bigint; umin: bigint; umax: bigint;
  s32min: bigint; s32max: bigint; u32min: bigint; u32max: bigint;
}

/** Smallest signed 64-bit value. */
export const S64_MIN = -(1n << 63n);
/** Largest signed 64-bit value. */
export const S64_MAX = (1n << 63n) - 1n;
/** Smallest signed 32-bit value. */
export const S32_MIN = -(1n << 31n);
/** Largest signed 32-bit value. */
export const S32_MAX = (1n << 31n) - 1n;

/** The high 32 bits of a 64-bit value (`~U32_MAX` on unsigned values). */
const HI32 = 0xffff_ffff_0000_0000n;
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);

/** Bounds of a completely unknown value (`__mark_reg_unknown`). */
export function unknownBounds(): Bounds {
  return {
    varOff: TNUM_UNKNOWN, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX,
    s32min: S32_MIN, s32max: S32_MAX, u32min: 0n, u32max: U32_MAX,
  };
}

/** Bounds of a known constant (`__mark_reg_known`). */
export function constBounds(v: bigint): Bounds {
  const u = u64(v);
  return {
    varOff: tnumConst(u), smin: s64(u), smax: s64(u), umin: u, umax: u,
    s32min: s32(u), s32max: s32(u), u32min: u32(u), u32max: u32(u),
  };
}

/** Copy the numeric fields of `from` into `to`. */
export function assignBounds(to: Bounds, from: Bounds): void {
  to.varOff = from.varOff; to.smin = from.smin; to.smax = from.smax; to.umin = from.umin; to.umax = from.umax;
  to.s32min = from.s32min; to.s32max = from.s32max; to.u32min = from.u32min; to.u32max = from.u32max;
}

/** A fresh copy of the numeric fields. */
export function copyBounds(b: Bounds): Bounds {
  return {
    varOff: b.varOff, smin: b.smin, smax: b.smax, umin: b.umin, umax: b.umax,
    s32min: b.s32min, s32max: b.s32max, u32min: b.u32min, u32max: b.u32max,
  };
}

/** Whether the value is one known constant (64-bit view). */
export function isConst(b: Bounds): boolean { return tnumIsConst(b.varOff); }
/** Whether the low 32 bits are one known constant. */
export function isConst32(b: Bounds): boolean { return tnumIsConst(tnumSubreg(b.varOff)); }

/** Whether the bounds describe no value at all (an infeasible path). */
export function isEmpty(b: Bounds): boolean {
  return b.umin > b.umax || b.smin > b.smax || b.u32min > b.u32max || b.s32min > b.s32max
    || (b.varOff.value & b.varOff.mask) !== 0n;
}

function updateBounds(r: Bounds): void {
  // __update_reg32_bounds
  const v32 = tnumSubreg(r.varOff);
  r.s32min = max(r.s32min, s32(v32.value | (v32.mask & 0x8000_0000n)));
  r.s32max = min(r.s32max, s32(v32.value | (v32.mask & 0x7fff_ffffn)));
  r.u32min = max(r.u32min, v32.value);
  r.u32max = min(r.u32max, v32.value | v32.mask);
  // __update_reg64_bounds
  const v = r.varOff;
  r.smin = max(r.smin, s64(v.value | (v.mask & 0x8000_0000_0000_0000n)));
  r.smax = min(r.smax, s64(v.value | (v.mask & 0x7fff_ffff_ffff_ffffn)));
  r.umin = max(r.umin, v.value);
  r.umax = min(r.umax, v.value | v.mask);
}

function deduce32(r: Bounds): void {
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (u32(r.smin) <= u32(r.smax)) {
      r.u32min = max(r.u32min, u32(r.smin));
      r.u32max = min(r.u32max, u32(r.smax));
    }
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(r.u32min, u32(r.s32min));
    r.u32max = min(r.u32max, u32(r.s32max));
  }
}

function deduce64(r: Bounds): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(r.umin, u64(r.smin));
    r.umax = min(r.umax, u64(r.smax));
  } else if (r.umax < u64(r.smin)) {
    // the s64 range wraps; the u64 range overlaps only its non-negative end
    r.smin = max(r.smin, s64(r.umin) < 0n ? r.smin : s64(r.umin));
    if (r.umax <= S64_MAX) r.smax = min(r.smax, r.umax);
  } else if (u64(r.smax) < r.umin) {
    // ... or only its negative end
    if (r.umin > S64_MAX) r.smin = max(r.smin, s64(r.umin));
    if (r.umax > S64_MAX) r.smax = min(r.smax, s64(r.umax));
  }
}

function deduceMixed(r: Bounds): void {
  const hiU = r.umin & HI32;
  r.umin = max(r.umin, hiU | r.u32min);
  r.umax = min(r.umax, (r.umax & HI32) | r.u32max);
  const smin = s64((u64(r.smin) & HI32) | r.u32min);
  const smax = s64((u64(r.smax) & HI32) | r.u32max);
  r.smin = max(r.smin, smin);
  r.smax = min(r.smax, smax);
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.umin = max(r.umin, (r.umin & HI32) | u32(r.s32min));
    r.umax = min(r.umax, (r.umax & HI32) | u32(r.s32max));
    r.smin = max(r.smin, s64((u64(r.smin) & HI32) | u32(r.s32min)));
    r.smax = min(r.smax, s64((u64(r.smax) & HI32) | u32(r.s32max)));
  }
}

function boundOffset(r: Bounds): void {
  // ranges that span the sign bit (64- and 32-bit) give unknown tnums: intersecting with them changes nothing
  const t = r.varOff;
  if ((r.umin ^ r.umax) > S64_MAX && (r.u32min ^ r.u32max) > S32_MAX && (t.value & t.mask) === 0n) return;
  const v64 = tnumIntersect(r.varOff, tnumRange(r.umin, r.umax));
  const v32 = tnumIntersect(tnumSubreg(v64), tnumRange(r.u32min, r.u32max));
  r.varOff = tnumOr(tnumClearSubreg(v64), v32);
}

/**
 * `reg_bounds_sync`: propagate knowledge between the tnum and the four
 * ranges until they agree.
 */
export function syncBounds(r: Bounds): void {
  if (r.varOff.mask === 0n && setConstIfWithin(r, r.varOff.value)) return;
  if (isUnknown(r)) return;
  updateBounds(r);
  const { umin, umax, smin, smax, u32min, u32max, s32min, s32max } = r;
  deduce32(r); deduce64(r); deduceMixed(r);
  // every step only tightens, as a function of the bounds alone: a round that changed nothing would not change the next
  if (r.umin !== umin || r.umax !== umax || r.smin !== smin || r.smax !== smax
    || r.u32min !== u32min || r.u32max !== u32max || r.s32min !== s32min || r.s32max !== s32max) {
    deduce32(r); deduce64(r); deduceMixed(r);
  }
  const t = r.varOff;
  boundOffset(r);
  // the tnum's limits are in the bounds already unless the tnum changed
  if (r.varOff.value !== t.value || r.varOff.mask !== t.mask) updateBounds(r);
}

/** Nothing known at all: syncing changes nothing. */
function isUnknown(r: Bounds): boolean {
  return r.varOff.mask === U64_MAX && r.umin === 0n && r.umax === U64_MAX && r.smin === S64_MIN && r.smax === S64_MAX
    && r.u32min === 0n && r.u32max === U32_MAX && r.s32min === S32_MIN && r.s32max === S32_MAX;
}

/** A known value inside every range: all bounds become that value (what the full sync computes, without the work). */
function setConstIfWithin(r: Bounds, v: bigint): boolean {
  const sv = s64(v);
  const v32 = v & U32_MAX;
  const sv32 = s32(v);
  if (r.umin > v || v > r.umax || r.smin > sv || sv > r.smax || r.u32min > v32 || v32 > r.u32max || r.s32min > sv32 || sv32 > r.s32max) return false;
  r.umin = v; r.umax = v; r.smin = sv; r.smax = sv; r.u32min = v32; r.u32max = v32; r.s32min = sv32; r.s32max = sv32;
  return true;
}

/** Keep the low `size` bytes, zero-extended (`coerce_reg_to_size`). */
export function truncate(r: Bounds, size: number): void {
  if (size >= 8) return;
  const keep = SIZE_MASK[size]!;
  // already a zero-extended `size`-byte value (most 32-bit results): the synced bounds are what truncating gives
  if (r.umax <= keep && ((r.varOff.value | r.varOff.mask) & ~keep) === 0n && r.smin >= 0n && r.s32min >= 0n === r.u32max <= S32_MAX) return;
  if (r.varOff.mask === U64_MAX && r.umin === 0n && r.umax === U64_MAX) {
    // the result depends only on the tnum and the unsigned range: for an unknown value it is fixed per size
    const t = TRUNCATED_UNKNOWN[size];
    if (t !== undefined) { assignBounds(r, t); return; }
  }
  truncateBounds(r, size);
}

function truncateBounds(r: Bounds, size: number): void {
  const mask = (1n << BigInt(size * 8)) - 1n;
  r.varOff = tnumCast(r.varOff, size);
  if ((r.umin & ~mask) === (r.umax & ~mask)) { r.umin &= mask; r.umax &= mask; } else { r.umin = 0n; r.umax = mask; }
  r.smin = r.umin; r.smax = r.umax;
  r.u32min = 0n; r.u32max = U32_MAX; r.s32min = S32_MIN; r.s32max = S32_MAX;
  syncBounds(r);
}

/** The low `size` bytes, by size. */
const SIZE_MASK: readonly bigint[] = [0n, 0xffn, 0xffffn, 0n, 0xffff_ffffn];

/** `truncate` of a completely unknown value, by size in bytes. */
const TRUNCATED_UNKNOWN: (Bounds | undefined)[] = [1, 2, 4].reduce<(Bounds | undefined)[]>((out, size) => {
  const b = unknownBounds();
  truncateBounds(b, size);
  out[size] = b;
  return out;
}, []);

/** Keep the low `size` bytes, sign-extended (`coerce_reg_to_size_sx`). */
export function signExtend(r: Bounds, size: number): void {
  if (size >= 8) return;
  const bits = BigInt(size * 8);
  const half = 1n << (bits - 1n);
  truncate(r, size);
  const signKnown = (r.varOff.mask & half) === 0n;
  if (r.umax < half) return; // all non-negative: unchanged
  if (r.umin >= half) {
    const lo = r.umin - (1n << bits);
    const hi = r.umax - (1n << bits);
    const ext = signKnown ? { value: u64(r.varOff.value | ~((1n << bits) - 1n)), mask: r.varOff.mask } : TNUM_UNKNOWN;
    assignBounds(r, unknownBounds());
    r.varOff = ext; r.smin = lo; r.smax = hi;
    syncBounds(r);
    return;
  }
  assignBounds(r, unknownBounds());
  r.smin = -half; r.smax = half - 1n;
  syncBounds(r);
}

/** Zero-extend the low 32 bits into 64 (`zext_32_to_64`). */
export function zext32(r: Bounds): void { truncate(r, 4); }

const addOv = (a: bigint, b: bigint): boolean => { const s = a + b; return s > S64_MAX || s < S64_MIN; };
const subOv = (a: bigint, b: bigint): boolean => { const s = a - b; return s > S64_MAX || s < S64_MIN; };

/** The ALU operations on scalars. */
export type ScalarOp = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'mod' | 'smod' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh' | 'arsh';

function setUnknown(r: Bounds): void { assignBounds(r, unknownBounds()); }

/**
 * `dst = dst op src` on 64-bit values (`adjust_scalar_min_max_vals` with
 * the `scalar_min_max_*` helpers). `dst` is updated in place.
 */
export function alu64(dst: Bounds, op: ScalarOp, src: Bounds): void {
  const srcConst = isConst(src);
  switch (op) {
    case 'add': {
      if (addOv(dst.smin, src.smin) || addOv(dst.smax, src.smax)) { dst.smin = S64_MIN; dst.smax = S64_MAX; }
      else { dst.smin += src.smin; dst.smax += src.smax; }
      const lo = dst.umin + src.umin;
      const hi = dst.umax + src.umax;
      if (lo > U64_MAX || hi > U64_MAX) { dst.umin = 0n; dst.umax = U64_MAX; } else { dst.umin = lo; dst.umax = hi; }
      dst.varOff = tnumAdd(dst.varOff, src.varOff);
      break;
    }
    case 'sub': {
      if (subOv(dst.smin, src.smax) || subOv(dst.smax, src.smin)) { dst.smin = S64_MIN; dst.smax = S64_MAX; }
      else { const lo = dst.smin - src.smax; dst.smax -= src.smin; dst.smin = lo; }
      if (dst.umin < src.umax) { dst.umin = 0n; dst.umax = U64_MAX; }
      else { const lo = dst.umin - src.umax; dst.umax -= src.umin; dst.umin = lo; }
      dst.varOff = tnumSub(dst.varOff, src.varOff);
      break;
    }
    case 'mul': {
      const hi = dst.umax * src.umax;
      if (hi > U64_MAX) { dst.umin = 0n; dst.umax = U64_MAX; } else { dst.umin *= src.umin; dst.umax = hi; }
      const p = [dst.smin * src.smin, dst.smin * src.smax, dst.smax * src.smin, dst.smax * src.smax];
      if (p.some((x) => x > S64_MAX || x < S64_MIN)) { dst.smin = S64_MIN; dst.smax = S64_MAX; }
      else { dst.smin = p.reduce(min); dst.smax = p.reduce(max); }
      dst.varOff = tnumMul(dst.varOff, src.varOff);
      break;
    }
    case 'and': {
      dst.varOff = tnumAnd(dst.varOff, src.varOff);
      dst.umin = dst.varOff.value;
      dst.umax = min(dst.umax, src.umax);
      if (dst.smin < 0n || src.smin < 0n) { dst.smin = S64_MIN; dst.smax = S64_MAX; }
      else { dst.smin = dst.umin; dst.smax = dst.umax; }
      break;
    }
    case 'or': {
      dst.varOff = tnumOr(dst.varOff, src.varOff);
      dst.umin = max(dst.umin, src.umin);
      dst.umax = dst.varOff.value | dst.varOff.mask;
      if (dst.smin < 0n || src.smin < 0n) { dst.smin = S64_MIN; dst.smax = S64_MAX; }
      else { dst.smin = dst.umin; dst.smax = dst.umax; }
      break;
    }
    case 'xor': {
      dst.varOff = tnumXor(dst.varOff, src.varOff);
      dst.umin = dst.varOff.value;
      dst.umax = dst.varOff.value | dst.varOff.mask;
      if (dst.smin >= 0n && src.smin >= 0n) { dst.smin = dst.umin; dst.smax = dst.umax; }
      else { dst.smin = S64_MIN; dst.smax = S64_MAX; }
      break;
    }
    case 'lsh': {
      if (!srcConst || src.umax > 63n) { setUnknown(dst); return; }
      const s = src.umax;
      dst.smin = S64_MIN; dst.smax = S64_MAX;
      if (dst.umax > 1n << (63n - s)) { dst.umin = 0n; dst.umax = U64_MAX; }
      else { dst.umin <<= s; dst.umax <<= s; }
      dst.varOff = tnumLshift(dst.varOff, Number(s));
      break;
    }
    case 'rsh': {
      if (!srcConst || src.umax > 63n) { setUnknown(dst); return; }
      const s = src.umax;
      dst.smin = S64_MIN; dst.smax = S64_MAX;
      dst.varOff = tnumRshift(dst.varOff, Number(s));
      dst.umin >>= s; dst.umax >>= s;
      break;
    }
    case 'arsh': {
      if (!srcConst || src.umax > 63n) { setUnknown(dst); return; }
      const s = src.umax;
      dst.smin >>= s; dst.smax >>= s;
      dst.varOff = tnumArshift(dst.varOff, Number(s), 64);
      dst.umin = 0n; dst.umax = U64_MAX;
      break;
    }
    default:
      // division and remainder: the kernel does not track their ranges
      setUnknown(dst);
      return;
  }
  dst.s32min = S32_MIN; dst.s32max = S32_MAX; dst.u32min = 0n; dst.u32max = U32_MAX;
  if (isEmpty(dst)) setUnknown(dst);
  syncBounds(dst);
}

/**
 * `dst = dst op src` on the low 32 bits, zero-extended: computed on the
 * zero-extended (or, for `arsh`, sign-extended) 32-bit inputs and truncated
 * back, which is what the kernel's `scalar32_min_max_*` helpers compute.
 */
export function alu32(dst: Bounds, op: ScalarOp, src: Bounds): void {
  const s = copyBounds(src);
  // a constant that fits in 32 bits is its own truncation
  if (!(isConst(s) && s.umax <= U32_MAX)) truncate(s, 4);
  if (op === 'arsh') {
    signExtend(dst, 4);
    if (!isConst(s) || s.umax > 31n) { setUnknown(dst); truncate(dst, 4); return; }
    alu64(dst, 'arsh', s);
    truncate(dst, 4);
    return;
  }
  truncate(dst, 4);
  if ((op === 'lsh' || op === 'rsh') && (!isConst(s) || s.umax > 31n)) { setUnknown(dst); truncate(dst, 4); return; }
  alu64(dst, op, s);
  truncate(dst, 4);
}

/** Negation (`0 - dst`), 64- or 32-bit. */
export function neg(dst: Bounds, width: 32 | 64): void {
  const src = copyBounds(dst);
  assignBounds(dst, constBounds(0n));
  if (width === 64) alu64(dst, 'sub', src); else alu32(dst, 'sub', src);
}

/** Byte swap of the low `bits` bits (unknown unless constant); `le` on a little-endian target only truncates. */
export function byteSwap(dst: Bounds, bits: 16 | 32 | 64, swap: boolean): void {
  if (!swap) { truncate(dst, bits / 8); return; }
  if (isConst(dst)) {
    let v = dst.varOff.value;
    let out = 0n;
    for (let i = 0; i < bits / 8; i++) { out = (out << 8n) | (v & 0xffn); v >>= 8n; }
    assignBounds(dst, constBounds(out));
    return;
  }
  setUnknown(dst);
  truncate(dst, bits / 8);
}

/** Comparison operators of conditional jumps, plus the negation of `jset`. */
export type CondOp = 'jeq' | 'jne' | 'jgt' | 'jge' | 'jlt' | 'jle' | 'jsgt' | 'jsge' | 'jslt' | 'jsle' | 'jset' | 'jnset';

/** The condition that holds on the fall-through edge (`rev_opcode`). */
export function negateCond(op: CondOp): CondOp {
  switch (op) {
    case 'jeq': return 'jne'; case 'jne': return 'jeq';
    case 'jgt': return 'jle'; case 'jle': return 'jgt';
    case 'jge': return 'jlt'; case 'jlt': return 'jge';
    case 'jsgt': return 'jsle'; case 'jsle': return 'jsgt';
    case 'jsge': return 'jslt'; case 'jslt': return 'jsge';
    case 'jset': return 'jnset'; case 'jnset': return 'jset';
  }
}

/** The same condition with operands swapped (`flip_opcode`). */
export function flipCond(op: CondOp): CondOp {
  switch (op) {
    case 'jgt': return 'jlt'; case 'jlt': return 'jgt';
    case 'jge': return 'jle'; case 'jle': return 'jge';
    case 'jsgt': return 'jslt'; case 'jslt': return 'jsgt';
    case 'jsge': return 'jsle'; case 'jsle': return 'jsge';
    default: return op;
  }
}

interface View { umin: bigint; umax: bigint; smin: bigint; smax: bigint; t: Tnum }

function view(r: Bounds, is32: boolean): View {
  return is32
    ? { umin: r.u32min, umax: r.u32max, smin: r.s32min, smax: r.s32max, t: tnumSubreg(r.varOff) }
    : { umin: r.umin, umax: r.umax, smin: r.smin, smax: r.smax, t: r.varOff };
}

/**
 * Whether `a op b` is always true (1), always false (0) or either (-1)
 * (`is_scalar_branch_taken`).
 */
export function branchTaken(a: Bounds, b: Bounds, op: CondOp, is32: boolean): -1 | 0 | 1 {
  const x = view(a, is32);
  const y = view(b, is32);
  switch (op) {
    case 'jeq': case 'jne': {
      const t = op === 'jeq' ? 1 : 0;
      const f = op === 'jeq' ? 0 : 1;
      if (tnumIsConst(x.t) && tnumIsConst(y.t)) return x.t.value === y.t.value ? t : f;
      if (x.umin > y.umax || x.umax < y.umin) return f;
      if (x.smin > y.smax || x.smax < y.smin) return f;
      if (((x.t.value ^ y.t.value) & ~(x.t.mask | y.t.mask)) !== 0n) return f;
      if (!is32) {
        if (a.u32min > b.u32max || a.u32max < b.u32min) return f;
        if (a.s32min > b.s32max || a.s32max < b.s32min) return f;
      }
      return -1;
    }
    case 'jset': case 'jnset': {
      let p = x; let q = y;
      if (!tnumIsConst(q.t)) { p = y; q = x; }
      if (!tnumIsConst(q.t)) return -1;
      const t = op === 'jset' ? 1 : 0;
      if ((~p.t.mask & p.t.value & q.t.value) !== 0n) return t;
      if (((p.t.mask | p.t.value) & q.t.value) === 0n) return (1 - t) as 0 | 1;
      return -1;
    }
    case 'jgt': return x.umin > y.umax ? 1 : x.umax <= y.umin ? 0 : -1;
    case 'jge': return x.umin >= y.umax ? 1 : x.umax < y.umin ? 0 : -1;
    case 'jlt': return x.umax < y.umin ? 1 : x.umin >= y.umax ? 0 : -1;
    case 'jle': return x.umax <= y.umin ? 1 : x.umin > y.umax ? 0 : -1;
    case 'jsgt': return x.smin > y.smax ? 1 : x.smax <= y.smin ? 0 : -1;
    case 'jsge': return x.smin >= y.smax ? 1 : x.smax < y.smin ? 0 : -1;
    case 'jslt': return x.smax < y.smin ? 1 : x.smin >= y.smax ? 0 : -1;
    case 'jsle': return x.smax <= y.smin ? 1 : x.smin > y.smax ? 0 : -1;
  }
}

const isPow2 = (v: bigint): boolean => v !== 0n && (v & (v - 1n)) === 0n;

/**
 * Narrow both operands to the values where `a op b` holds
 * (`regs_refine_cond_op` followed by `reg_bounds_sync`). Returns false when
 * no value satisfies it (the edge cannot be taken).
 */
export function refineCond(a: Bounds, b: Bounds, op0: CondOp, is32: boolean): boolean {
  let r1 = a; let r2 = b; let op = op0;
  if (op === 'jge' || op === 'jgt' || op === 'jsge' || op === 'jsgt') { op = flipCond(op); r1 = b; r2 = a; }
  switch (op) {
    case 'jeq':
      if (is32) {
        r1.u32min = max(r1.u32min, r2.u32min); r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min); r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min; r2.u32max = r1.u32max; r2.s32min = r1.s32min; r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t); r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        r1.umin = max(r1.umin, r2.umin); r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin); r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin; r2.umax = r1.umax; r2.smin = r1.smin; r2.smax = r1.smax;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff); r2.varOff = r1.varOff;
      }
      break;
    case 'jne': {
      if (!(is32 ? isConst32(r2) : isConst(r2))) { const t = r1; r1 = r2; r2 = t; }
      if (!(is32 ? isConst32(r2) : isConst(r2))) break;
      const v = is32 ? tnumSubreg(r2.varOff).value : r2.varOff.value;
      if (is32) {
        if (r1.u32min === v) r1.u32min++;
        if (r1.u32max === v) r1.u32max--;
        if (r1.s32min === s32(v)) r1.s32min++;
        if (r1.s32max === s32(v)) r1.s32max--;
        if (isConst32(r1) && tnumSubreg(r1.varOff).value === v) return false;
      } else {
        if (r1.umin === v) r1.umin++;
        if (r1.umax === v) r1.umax--;
        if (r1.smin === s64(v)) r1.smin++;
        if (r1.smax === s64(v)) r1.smax--;
        if (isConst(r1) && r1.varOff.value === v) return false;
      }
      break;
    }
    case 'jset': case 'jnset': {
      if (!(is32 ? isConst32(r2) : isConst(r2))) { const t = r1; r1 = r2; r2 = t; }
      if (!(is32 ? isConst32(r2) : isConst(r2))) break;
      const v = is32 ? tnumSubreg(r2.varOff).value : r2.varOff.value;
      if (op === 'jset') {
        if (!isPow2(v)) break;
        if (is32) r1.varOff = tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(v)));
        else r1.varOff = tnumOr(r1.varOff, tnumConst(v));
      } else if (is32) {
        r1.varOff = tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(u32(~v))));
      } else {
        r1.varOff = tnumAnd(r1.varOff, tnumConst(u64(~v)));
      }
      break;
    }
    case 'jle':
      if (is32) { r1.u32max = min(r1.u32max, r2.u32max); r2.u32min = max(r1.u32min, r2.u32min); }
      else { r1.umax = min(r1.umax, r2.umax); r2.umin = max(r1.umin, r2.umin); }
      break;
    case 'jlt':
      if (is32) { r1.u32max = min(r1.u32max, r2.u32max - 1n); r2.u32min = max(r1.u32min + 1n, r2.u32min); }
      else { r1.umax = min(r1.umax, r2.umax - 1n); r2.umin = max(r1.umin + 1n, r2.umin); }
      break;
    case 'jsle':
      if (is32) { r1.s32max = min(r1.s32max, r2.s32max); r2.s32min = max(r1.s32min, r2.s32min); }
      else { r1.smax = min(r1.smax, r2.smax); r2.smin = max(r1.smin, r2.smin); }
      break;
    case 'jslt':
      if (is32) { r1.s32max = min(r1.s32max, r2.s32max - 1n); r2.s32min = max(r1.s32min + 1n, r2.s32min); }
      else { r1.smax = min(r1.smax, r2.smax - 1n); r2.smin = max(r1.smin + 1n, r2.smin); }
      break;
    default: break;
  }
  if (isEmpty(a) || isEmpty(b)) return false;
  syncBounds(a); syncBounds(b);
  return !isEmpty(a) && !isEmpty(b);
}

/** Whether every value of `inner` is a value of `outer` (`range_within` + `tnum_in`). */
export function boundsWithin(outer: Bounds, inner: Bounds): boolean {
  return outer.umin <= inner.umin && inner.umax <= outer.umax
    && outer.smin <= inner.smin && inner.smax <= outer.smax
    && outer.u32min <= inner.u32min && inner.u32max <= outer.u32max
    && outer.s32min <= inner.s32min && inner.s32max <= outer.s32max
    && tnumIn(outer.varOff, inner.varOff);
}

/** The least bounds holding every value of both (a join). */
export function joinBounds(a: Bounds, b: Bounds): Bounds {
  const r: Bounds = {
    varOff: tnumUnion(a.varOff, b.varOff),
    smin: min(a.smin, b.smin), smax: max(a.smax, b.smax), umin: min(a.umin, b.umin), umax: max(a.umax, b.umax),
    s32min: min(a.s32min, b.s32min), s32max: max(a.s32max, b.s32max),
    u32min: min(a.u32min, b.u32min), u32max: max(a.u32max, b.u32max),
  };
  syncBounds(r);
  return r;
}

/** Whether the bounds hold the value `v`. */
export function boundsContain(r: Bounds, v: bigint): boolean {
  const u = u64(v);
  const s = s64(v);
  return r.umin <= u && u <= r.umax && r.smin <= s && s <= r.smax
    && r.u32min <= u32(u) && u32(u) <= r.u32max && r.s32min <= s32(u) && s32(u) <= r.s32max
    && (u & ~r.varOff.mask) === r.varOff.value;
}

/** Text as the kernel's log prints a scalar's bounds. */
export function boundsText(r: Bounds): string {
  if (isConst(r)) return `${s64(r.varOff.value)}`;
  const parts: string[] = [];
  if (r.smin !== S64_MIN) parts.push(`smin=${r.smin}`);
  if (r.smax !== S64_MAX) parts.push(`smax=${r.smax}`);
  if (r.umin !== 0n) parts.push(`umin=${r.umin}`);
  if (r.umax !== U64_MAX) parts.push(`umax=${r.umax}`);
  if (r.s32min !== S32_MIN) parts.push(`smin32=${r.s32min}`);
  if (r.s32max !== S32_MAX) parts.push(`smax32=${r.s32max}`);
  if (r.u32min !== 0n) parts.push(`umin32=${r.u32min}`);
  if (r.u32max !== U32_MAX) parts.push(`umax32=${r.u32max}`);
  if (r.varOff.mask !== U64_MAX) parts.push(`var_off=(0x${r.varOff.value.toString(16)}; 0x${r.varOff.mask.toString(16)})`);
  return parts.join(',');
}
