/**
 * @file x86-64 condition codes, listed once: every jcc, setcc and cmovcc spelling derives from here.
 *
 * The 4-bit `cc` is the low nibble of the opcodes `70+cc` (Jcc rel8),
 * `0F 80+cc` (Jcc rel32), `0F 90+cc` (SETcc) and `0F 40+cc` (CMOVcc); Intel
 * SDM Vol. 1 Appendix B, "EFLAGS Condition Codes". Flipping bit 0 of `cc`
 * negates the condition.
 */

/** A condition code: the 4-bit `cc` field. */
export type Cond = number;

/** One condition: its number, the flags it tests and its assembler suffix. */
export interface CondInfo {
  /** The 4-bit cc field. */
  readonly cc: Cond;
  /** Suffix as GNU as / llvm-mc print it: `e` gives `je`, `sete`, `cmoveq`. */
  readonly suffix: string;
  /** What it tests, for documentation. */
  readonly test: string;
}

/** The sixteen conditions, indexed by cc. */
export const CONDS: readonly CondInfo[] = [
  { cc: 0x0, suffix: 'o', test: 'OF=1' },
  { cc: 0x1, suffix: 'no', test: 'OF=0' },
  { cc: 0x2, suffix: 'b', test: 'CF=1 (unsigned <)' },
  { cc: 0x3, suffix: 'ae', test: 'CF=0 (unsigned >=)' },
  { cc: 0x4, suffix: 'e', test: 'ZF=1' },
  { cc: 0x5, suffix: 'ne', test: 'ZF=0' },
  { cc: 0x6, suffix: 'be', test: 'CF=1 or ZF=1 (unsigned <=)' },
  { cc: 0x7, suffix: 'a', test: 'CF=0 and ZF=0 (unsigned >)' },
  { cc: 0x8, suffix: 's', test: 'SF=1' },
  { cc: 0x9, suffix: 'ns', test: 'SF=0' },
  { cc: 0xa, suffix: 'p', test: 'PF=1' },
  { cc: 0xb, suffix: 'np', test: 'PF=0' },
  { cc: 0xc, suffix: 'l', test: 'SF!=OF (signed <)' },
  { cc: 0xd, suffix: 'ge', test: 'SF=OF (signed >=)' },
  { cc: 0xe, suffix: 'le', test: 'ZF=1 or SF!=OF (signed <=)' },
  { cc: 0xf, suffix: 'g', test: 'ZF=0 and SF=OF (signed >)' },
];

/** Condition numbers by name. */
export const CC = {
  O: 0x0, NO: 0x1, B: 0x2, AE: 0x3, E: 0x4, NE: 0x5, BE: 0x6, A: 0x7,
  S: 0x8, NS: 0x9, P: 0xa, NP: 0xb, L: 0xc, GE: 0xd, LE: 0xe, G: 0xf,
} as const;

/** The negated condition (SDM: conditions come in pairs differing in bit 0). */
export function negate(cc: Cond): Cond { return cc ^ 1; }

/** The condition's assembler suffix. */
export function condSuffix(cc: Cond): string { return CONDS[cc]!.suffix; }

/** Arithmetic flags the emulator keeps: bit positions in RFLAGS (SDM Vol. 1 §3.4.3). */
export const FLAG = { CF: 1 << 0, PF: 1 << 2, ZF: 1 << 6, SF: 1 << 7, OF: 1 << 11 } as const;

/** Which flags each condition reads, as a FLAG mask. */
export function condFlags(cc: Cond): number {
  switch (cc >> 1) {
    case 0: return FLAG.OF;
    case 1: return FLAG.CF;
    case 2: return FLAG.ZF;
    case 3: return FLAG.CF | FLAG.ZF;
    case 4: return FLAG.SF;
    case 5: return FLAG.PF;
    case 6: return FLAG.SF | FLAG.OF;
    default: return FLAG.ZF | FLAG.SF | FLAG.OF;
  }
}

/** Evaluate a condition on an RFLAGS value. */
export function condHolds(cc: Cond, flags: number): boolean {
  const cf = (flags & FLAG.CF) !== 0, zf = (flags & FLAG.ZF) !== 0, sf = (flags & FLAG.SF) !== 0;
  const of = (flags & FLAG.OF) !== 0, pf = (flags & FLAG.PF) !== 0;
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf !== of; break;
    default: r = zf || sf !== of; break;
  }
  return (cc & 1) === 0 ? r : !r;
}
