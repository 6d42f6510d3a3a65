/**
 * @file Bitmask immediates of the AArch64 logical-immediate instructions:
 * which 32/64-bit values encode, as `N:immr:imms`, and back.
 *
 * A bitmask immediate is an element of 2, 4, 8, 16, 32 or 64 bits holding a
 * run of 1..esize-1 ones rotated right by 0..esize-1, replicated to the
 * register width. Arm ARM (DDI 0487) C4.1 (Data Processing -- Immediate, Logical (immediate)) and the pseudocode
 * `DecodeBitMasks()` (shared pseudocode):
 *
 * ```
 *   N:imms   element size   run length
 *   1 ssssss      64         ssssss + 1
 *   0 0sssss      32         sssss + 1
 *   0 10ssss      16         ssss + 1
 *   0 110sss       8         sss + 1
 *   0 1110ss       4         ss + 1
 *   0 11110s       2         s + 1
 *   immr = rotation to the right, within the element
 * ```
 * There are 5334 encodable 64-bit values and 1302 encodable 32-bit ones.
 */

/** The three fields of a bitmask immediate. */
export interface BitmaskFields {
  readonly n: number;
  readonly immr: number;
  readonly imms: number;
}

const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** Rotate the low `e` bits of `v` right by `r`. */
function ror(v: bigint, r: number, e: number): bigint {
  if (r === 0) return v;
  return ((v >> BigInt(r)) | (v << BigInt(e - r))) & mask(e);
}

/**
 * Encode `value` (taken modulo 2^width) as a bitmask immediate, or
 * `undefined` when it is not one (0 and all-ones never are).
 */
export function encodeBitmask(value: bigint, sf: boolean): BitmaskFields | undefined {
  const width = sf ? 64 : 32;
  const v = BigInt.asUintN(width, value);
  if (v === 0n || v === mask(width)) return undefined;
  // Smallest element size whose replication gives the value.
  let e = width;
  while (e > 2) {
    const half = e / 2;
    if ((v & mask(half)) !== ((v >> BigInt(half)) & mask(half))) break;
    e = half;
  }
  const elem = v & mask(e);
  let ones = 0;
  for (let i = 0; i < e; i++) if ((elem >> BigInt(i)) & 1n) ones++;
  const run = mask(ones);
  for (let r = 0; r < e; r++) {
    if (ror(elem, r, e) === run) {
      const immr = (e - r) % e;
      const imms = (~(e * 2 - 1) & 0x3f) | (ones - 1);
      return { n: e === 64 ? 1 : 0, immr, imms };
    }
  }
  return undefined;
}

/**
 * Decode `N:immr:imms` to the value it stands for at the given width, or
 * `undefined` for a reserved combination (`DecodeBitMasks()` with
 * `immediate = TRUE`).
 */
export function decodeBitmask(n: number, immr: number, imms: number, sf: boolean): bigint | undefined {
  if (!sf && n !== 0) return undefined;
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return undefined;
  const len = 31 - Math.clz32(combined);
  if (len < 1) return undefined;
  const e = 1 << len;
  const levels = e - 1;
  const s = imms & levels;
  if (s === levels) return undefined;
  const r = immr & levels;
  let elem = ror(mask(s + 1), r, e);
  const width = sf ? 64 : 32;
  let out = 0n;
  for (let i = 0; i < width; i += e) out |= elem << BigInt(i);
  elem = out;
  return elem;
}

/** Whether `value` is a bitmask immediate at this width. */
export function isBitmask(value: bigint, sf: boolean): boolean {
  return encodeBitmask(value, sf) !== undefined;
}
