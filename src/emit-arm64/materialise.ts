/**
 * @file Loading any 32- or 64-bit constant into a register with the fewest
 * instructions this layer knows: one MOVZ or MOVN, one ORR with a bitmask
 * immediate, or a MOVZ/MOVN followed by MOVKs for the remaining halfwords
 * (Arm ARM C6.2, MOV (wide immediate), MOV (inverted wide immediate) and MOV
 * (bitmask immediate) are the one-instruction cases).
 */

import { encodeBitmask } from './bitmask.js';
import { moveWide, logicalImm, ZR, type Inst, type Reg } from './insts.js';

/** Instructions that leave `value` (taken modulo 2^width) in `rd`. */
export function materialise(sf: boolean, rd: Reg, value: bigint): Inst[] {
  const halves = sf ? 4 : 2;
  const v = BigInt.asUintN(sf ? 64 : 32, value);
  const half = (x: bigint, k: number): number => Number((x >> BigInt(16 * k)) & 0xffffn);
  let zeros = 0, ones = 0;
  for (let k = 0; k < halves; k++) {
    if (half(v, k) === 0) zeros++;
    if (half(v, k) === 0xffff) ones++;
  }
  // One instruction: MOVZ, MOVN, or ORR with a bitmask immediate.
  if (zeros >= halves - 1) {
    const k = Math.max(0, [...Array(halves).keys()].find((i) => half(v, i) !== 0) ?? 0);
    return [moveWide('movz', sf, rd, half(v, k), k)];
  }
  if (ones >= halves - 1) {
    const k = Math.max(0, [...Array(halves).keys()].find((i) => half(v, i) !== 0xffff) ?? 0);
    return [moveWide('movn', sf, rd, half(v, k) ^ 0xffff, k)];
  }
  if (encodeBitmask(v, sf) !== undefined) return [logicalImm('orr', sf, rd, ZR, v)];
  // MOVZ (or MOVN when more halfwords are all-ones) then MOVK the rest.
  const inverted = ones > zeros;
  const fill = inverted ? 0xffff : 0;
  const out: Inst[] = [];
  for (let k = 0; k < halves; k++) {
    const h = half(v, k);
    if (h === fill) continue;
    if (out.length === 0) out.push(moveWide(inverted ? 'movn' : 'movz', sf, rd, inverted ? h ^ 0xffff : h, k));
    else out.push(moveWide('movk', sf, rd, h, k));
  }
  return out;
}
