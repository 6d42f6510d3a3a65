/**
 * @file AArch64 condition codes, listed once: number, negation, spelling, and
 * the test on NZCV each one stands for. Every use (B.cond, CSEL, CSET, the
 * emulator, the eBPF jump mapping) derives from this table.
 *
 * Arm ARM (DDI 0487) C1.2.4 "Condition code", table C1-1.
 */

/** A condition code number, 0..15 (the `cond` field of B.cond, CSEL, ...). */
export type Cond = number;

/** One row of the condition table. */
export interface CondRow {
  /** The 4-bit encoding. */
  readonly code: Cond;
  /** The spelling llvm prints (`hs`/`lo`, not `cs`/`cc`). */
  readonly name: string;
  /** Other spellings assemblers accept. */
  readonly aliases: readonly string[];
  /** Meaning after `cmp a, b`. */
  readonly meaning: string;
}

/** The sixteen condition codes, indexed by their encoding. */
export const CONDS: readonly CondRow[] = [
  { code: 0, name: 'eq', aliases: [], meaning: 'equal' },
  { code: 1, name: 'ne', aliases: [], meaning: 'not equal' },
  { code: 2, name: 'hs', aliases: ['cs'], meaning: 'unsigned higher or same' },
  { code: 3, name: 'lo', aliases: ['cc'], meaning: 'unsigned lower' },
  { code: 4, name: 'mi', aliases: [], meaning: 'negative' },
  { code: 5, name: 'pl', aliases: [], meaning: 'positive or zero' },
  { code: 6, name: 'vs', aliases: [], meaning: 'signed overflow' },
  { code: 7, name: 'vc', aliases: [], meaning: 'no signed overflow' },
  { code: 8, name: 'hi', aliases: [], meaning: 'unsigned higher' },
  { code: 9, name: 'ls', aliases: [], meaning: 'unsigned lower or same' },
  { code: 10, name: 'ge', aliases: [], meaning: 'signed greater or equal' },
  { code: 11, name: 'lt', aliases: [], meaning: 'signed less than' },
  { code: 12, name: 'gt', aliases: [], meaning: 'signed greater than' },
  { code: 13, name: 'le', aliases: [], meaning: 'signed less or equal' },
  { code: 14, name: 'al', aliases: [], meaning: 'always' },
  { code: 15, name: 'nv', aliases: [], meaning: 'always (reserved spelling)' },
];

/** Condition numbers by name, for readable code: `COND.hs`. */
export const COND = {
  eq: 0, ne: 1, hs: 2, lo: 3, mi: 4, pl: 5, vs: 6, vc: 7,
  hi: 8, ls: 9, ge: 10, lt: 11, gt: 12, le: 13, al: 14, nv: 15,
} as const;

/**
 * The opposite condition. Flipping bit 0 negates every condition except
 * AL/NV (both mean "always"; Arm ARM C1.2.4).
 */
export function negate(c: Cond): Cond {
  return c ^ 1;
}

/** The spelling of a condition. */
export function condName(c: Cond): string {
  return CONDS[c & 15]!.name;
}

/**
 * Whether condition `c` holds for flags `nzcv` (N in bit 3 … V in bit 0).
 * Arm ARM shared pseudocode `ConditionHolds()`.
 */
export function condHolds(c: Cond, nzcv: number): boolean {
  const n = (nzcv >> 3) & 1, z = (nzcv >> 2) & 1, cf = (nzcv >> 1) & 1, v = nzcv & 1;
  let r: boolean;
  switch (c >> 1) {
    case 0: r = z === 1; break;
    case 1: r = cf === 1; break;
    case 2: r = n === 1; break;
    case 3: r = v === 1; break;
    case 4: r = cf === 1 && z === 0; break;
    case 5: r = n === v; break;
    case 6: r = n === v && z === 0; break;
    default: return true;
  }
  return (c & 1) === 1 ? !r : r;
}

/**
 * The condition that implements each eBPF conditional jump after
 * `cmp dst, src` (RFC 9669 section 4.3, "Jump instructions"). JSET is
 * `tst dst, src` followed by `ne`.
 */
export const BPF_JUMP_COND = {
  JEQ: COND.eq, JNE: COND.ne, JSET: COND.ne,
  JGT: COND.hi, JGE: COND.hs, JLT: COND.lo, JLE: COND.ls,
  JSGT: COND.gt, JSGE: COND.ge, JSLT: COND.lt, JSLE: COND.le,
} as const;
