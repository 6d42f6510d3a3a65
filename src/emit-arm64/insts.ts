/**
 * @file AArch64 machine-instruction records: the single description of an
 * instruction from which `encode.ts` makes the 32-bit word and `print.ts`
 * the assembly text.
 *
 * One record kind per Arm ARM (DDI 0487) encoding class, with the class's
 * fields spelled out (not packed): `op` picks the instruction inside the
 * class, `sf` is the class's size bit (true = 64-bit X form, false = 32-bit
 * W form). Registers are plain numbers 0..31; what 31 means (SP or the zero
 * register) is fixed by the class, as in the manual, and noted on each kind.
 * Branch offsets are in bytes, relative to the branch itself. Aliases (MOV,
 * CMP, LSL, CSET, ...) are not records of their own: the constructors at the
 * end build the underlying record and the printer prints the alias llvm
 * prefers, so every record has exactly one encoding.
 */

import type { Cond } from './cond.js';

/** A general-purpose register number, 0..31. */
export type Reg = number;

/** Register 31 when the class reads it as the stack pointer. */
export const SP: Reg = 31;
/** Register 31 when the class reads it as the zero register (XZR/WZR). */
export const ZR: Reg = 31;
/** The link register X30. */
export const LR: Reg = 30;
/** The frame pointer X29. */
export const FP: Reg = 29;

/** Shift applied to the second register of a shifted-register operation. */
export type Shift = 'lsl' | 'lsr' | 'asr' | 'ror';

/** Index extension of a register-offset load/store (`option` field). */
export type Extend = 'uxtw' | 'lsl' | 'sxtw' | 'sxtx';

/** Load/store mnemonics (the scalar integer ones). */
export type LdStOp = 'strb' | 'strh' | 'str' | 'ldrb' | 'ldrh' | 'ldr' | 'ldrsb' | 'ldrsh' | 'ldrsw';

/** Memory ordering suffix of an LSE atomic: none, acquire, release, both. */
export type Order = '' | 'a' | 'l' | 'al';

/** Access size in bytes. */
export type Bytes = 1 | 2 | 4 | 8;

/** The record of one AArch64 instruction. */
export type Inst =
  /** C4.1 Data Processing -- Immediate / Add/subtract (immediate). Rd is SP for add/sub, ZR for adds/subs; Rn is SP. */
  | { readonly kind: 'addSubImm'; readonly op: 'add' | 'adds' | 'sub' | 'subs'; readonly sf: boolean;
      readonly rd: Reg; readonly rn: Reg; readonly imm12: number; readonly lsl12: boolean }
  /** C4.1 Data Processing -- Register / Add/subtract (shifted register). All of Rd, Rn, Rm are ZR. Shift is never ror. */
  | { readonly kind: 'addSubReg'; readonly op: 'add' | 'adds' | 'sub' | 'subs'; readonly sf: boolean;
      readonly rd: Reg; readonly rn: Reg; readonly rm: Reg; readonly shift: Shift; readonly amount: number }
  /** C4.1 Data Processing -- Immediate / Logical (immediate). `imm` is the value (a bitmask immediate); Rd is SP except for ands. */
  | { readonly kind: 'logicalImm'; readonly op: 'and' | 'orr' | 'eor' | 'ands'; readonly sf: boolean;
      readonly rd: Reg; readonly rn: Reg; readonly imm: bigint }
  /** C4.1 Data Processing -- Register / Logical (shifted register); `bic`, `orn`, `eon`, `bics` are the N=1 forms. */
  | { readonly kind: 'logicalReg';
      readonly op: 'and' | 'orr' | 'eor' | 'ands' | 'bic' | 'orn' | 'eon' | 'bics'; readonly sf: boolean;
      readonly rd: Reg; readonly rn: Reg; readonly rm: Reg; readonly shift: Shift; readonly amount: number }
  /** C4.1 Data Processing -- Immediate / Move wide (immediate): `imm16 << (16 * hw)`. Rd is ZR. */
  | { readonly kind: 'moveWide'; readonly op: 'movz' | 'movn' | 'movk'; readonly sf: boolean;
      readonly rd: Reg; readonly imm16: number; readonly hw: number }
  /** C4.1 Data Processing -- Immediate / Bitfield: SBFM/UBFM (LSL, LSR, ASR, SXT*, UXT*, *BFX, *BFIZ are aliases). */
  | { readonly kind: 'bitfield'; readonly op: 'sbfm' | 'ubfm'; readonly sf: boolean;
      readonly rd: Reg; readonly rn: Reg; readonly immr: number; readonly imms: number }
  /** C4.1 Data Processing -- Register / Data-processing (2 source). */
  | { readonly kind: 'dp2'; readonly op: 'udiv' | 'sdiv' | 'lslv' | 'lsrv' | 'asrv' | 'rorv'; readonly sf: boolean;
      readonly rd: Reg; readonly rn: Reg; readonly rm: Reg }
  /** C4.1 Data Processing -- Register / Data-processing (1 source). `rev32` is 64-bit only. */
  | { readonly kind: 'dp1'; readonly op: 'rbit' | 'rev16' | 'rev32' | 'rev' | 'clz'; readonly sf: boolean;
      readonly rd: Reg; readonly rn: Reg }
  /** C4.1 Data Processing -- Register / Data-processing (3 source); `umulh`/`smulh` are 64-bit only and ignore ra. */
  | { readonly kind: 'dp3'; readonly op: 'madd' | 'msub' | 'umulh' | 'smulh'; readonly sf: boolean;
      readonly rd: Reg; readonly rn: Reg; readonly rm: Reg; readonly ra: Reg }
  /** C4.1 Data Processing -- Register / Conditional select. */
  | { readonly kind: 'condSelect'; readonly op: 'csel' | 'csinc' | 'csinv' | 'csneg'; readonly sf: boolean;
      readonly rd: Reg; readonly rn: Reg; readonly rm: Reg; readonly cond: Cond }
  /** C4.1 Branches, Exception Generating and System instructions / Unconditional branch (immediate): B, BL. */
  | { readonly kind: 'branchImm'; readonly link: boolean; readonly offset: number }
  /** C4.1 Branches, Exception Generating and System instructions / Conditional branch (immediate): B.cond. */
  | { readonly kind: 'branchCond'; readonly cond: Cond; readonly offset: number }
  /** C4.1 Branches, Exception Generating and System instructions / Compare and branch (immediate): CBZ, CBNZ. */
  | { readonly kind: 'compareBranch'; readonly nonzero: boolean; readonly sf: boolean;
      readonly rt: Reg; readonly offset: number }
  /** C4.1 Branches, Exception Generating and System instructions / Test and branch (immediate): TBZ, TBNZ on bit 0..63. */
  | { readonly kind: 'testBranch'; readonly nonzero: boolean; readonly rt: Reg; readonly bit: number;
      readonly offset: number }
  /** C4.1 Branches, Exception Generating and System instructions / Unconditional branch (register): BR, BLR, RET. */
  | { readonly kind: 'branchReg'; readonly op: 'br' | 'blr' | 'ret'; readonly rn: Reg }
  /**
   * C4.1 Loads and Stores / Load/store register: unsigned scaled offset
   * (`uimm`), unscaled 9-bit offset (`unscaled`, LDUR/STUR), pre/post-index;
   * `loadStoreReg` is the register-offset class. `sf` picks W/X for
   * ldr/str/ldrsb/ldrsh. Rn is SP, Rt is ZR. `offset` is in bytes.
   */
  | { readonly kind: 'loadStore'; readonly op: LdStOp; readonly sf: boolean; readonly rt: Reg; readonly rn: Reg;
      readonly mode: 'uimm' | 'unscaled' | 'pre' | 'post'; readonly offset: number }
  | { readonly kind: 'loadStoreReg'; readonly op: LdStOp; readonly sf: boolean; readonly rt: Reg; readonly rn: Reg;
      readonly rm: Reg; readonly extend: Extend; readonly scaled: boolean }
  /** C4.1 Loads and Stores / Load/store register pair (offset, pre-index, post-index). Offset in bytes. */
  | { readonly kind: 'loadStorePair'; readonly load: boolean; readonly sf: boolean; readonly rt: Reg;
      readonly rt2: Reg; readonly rn: Reg; readonly mode: 'offset' | 'pre' | 'post'; readonly offset: number }
  /** C4.1 Loads and Stores / Load/store exclusive register: LDXR, LDAXR, STXR (status in rs), STLXR. */
  | { readonly kind: 'exclusive'; readonly op: 'ldxr' | 'ldaxr' | 'stxr' | 'stlxr'; readonly size: Bytes;
      readonly rs: Reg; readonly rt: Reg; readonly rn: Reg }
  /** C4.1 Loads and Stores / Atomic memory operations (FEAT_LSE): rt gets the old value, memory gets old `op` rs. */
  | { readonly kind: 'atomic'; readonly op: 'ldadd' | 'ldclr' | 'ldeor' | 'ldset' | 'swp'; readonly size: 4 | 8;
      readonly order: Order; readonly rs: Reg; readonly rt: Reg; readonly rn: Reg }
  /** C4.1 Loads and Stores / Compare and swap (FEAT_LSE): if [rn] == rs then [rn] = rt; rs gets the old value. */
  | { readonly kind: 'cas'; readonly size: 4 | 8; readonly order: Order; readonly rs: Reg; readonly rt: Reg;
      readonly rn: Reg }
  /** C6.2 NOP (a hint). */
  | { readonly kind: 'nop' }
  /** C6.2 BRK #imm16 (breakpoint). */
  | { readonly kind: 'brk'; readonly imm16: number };

/** The kind tags of `Inst`. */
export type InstKind = Inst['kind'];

/** The record type of one kind: `InstOf<'branchCond'>`. */
export type InstOf<K extends InstKind> = Extract<Inst, { kind: K }>;

/** Bytes one load/store moves. */
export function accessBytes(op: LdStOp, sf: boolean): Bytes {
  switch (op) {
    case 'strb': case 'ldrb': case 'ldrsb': return 1;
    case 'strh': case 'ldrh': case 'ldrsh': return 2;
    case 'ldrsw': return 4;
    case 'str': case 'ldr': return sf ? 8 : 4;
  }
}

// ---------------------------------------------------------------------------
// Constructors: the instruction as an assembly programmer writes it.
// `sf` comes first where it matters: `true` = X registers.

/** `add rd, rn, #imm{, lsl #12}` (rd, rn may be SP). */
export const addImm = (sf: boolean, rd: Reg, rn: Reg, imm12: number, lsl12 = false): Inst =>
  ({ kind: 'addSubImm', op: 'add', sf, rd, rn, imm12, lsl12 });
/** `sub rd, rn, #imm{, lsl #12}` (rd, rn may be SP). */
export const subImm = (sf: boolean, rd: Reg, rn: Reg, imm12: number, lsl12 = false): Inst =>
  ({ kind: 'addSubImm', op: 'sub', sf, rd, rn, imm12, lsl12 });
/** `cmp rn, #imm` = `subs zr, rn, #imm`. */
export const cmpImm = (sf: boolean, rn: Reg, imm12: number, lsl12 = false): Inst =>
  ({ kind: 'addSubImm', op: 'subs', sf, rd: ZR, rn, imm12, lsl12 });
/** `cmn rn, #imm` = `adds zr, rn, #imm`. */
export const cmnImm = (sf: boolean, rn: Reg, imm12: number, lsl12 = false): Inst =>
  ({ kind: 'addSubImm', op: 'adds', sf, rd: ZR, rn, imm12, lsl12 });
/** Add/sub/adds/subs with a shifted register. */
export const addSub = (op: 'add' | 'adds' | 'sub' | 'subs', sf: boolean, rd: Reg, rn: Reg, rm: Reg,
  shift: Shift = 'lsl', amount = 0): Inst => ({ kind: 'addSubReg', op, sf, rd, rn, rm, shift, amount });
/** `cmp rn, rm` = `subs zr, rn, rm`. */
export const cmp = (sf: boolean, rn: Reg, rm: Reg): Inst => addSub('subs', sf, ZR, rn, rm);
/** `cmn rn, rm` = `adds zr, rn, rm`. */
export const cmn = (sf: boolean, rn: Reg, rm: Reg): Inst => addSub('adds', sf, ZR, rn, rm);
/** `neg rd, rm` = `sub rd, zr, rm`. */
export const neg = (sf: boolean, rd: Reg, rm: Reg): Inst => addSub('sub', sf, rd, ZR, rm);
/** Logical operation with a bitmask immediate (see `bitmask.ts` for which values encode). */
export const logicalImm = (op: 'and' | 'orr' | 'eor' | 'ands', sf: boolean, rd: Reg, rn: Reg, imm: bigint): Inst =>
  ({ kind: 'logicalImm', op, sf, rd, rn, imm });
/** `tst rn, #imm` = `ands zr, rn, #imm`. */
export const tstImm = (sf: boolean, rn: Reg, imm: bigint): Inst => logicalImm('ands', sf, ZR, rn, imm);
/** Logical operation with a shifted register. */
export const logical = (op: 'and' | 'orr' | 'eor' | 'ands' | 'bic' | 'orn' | 'eon' | 'bics', sf: boolean,
  rd: Reg, rn: Reg, rm: Reg, shift: Shift = 'lsl', amount = 0): Inst =>
  ({ kind: 'logicalReg', op, sf, rd, rn, rm, shift, amount });
/** `tst rn, rm` = `ands zr, rn, rm`. */
export const tst = (sf: boolean, rn: Reg, rm: Reg): Inst => logical('ands', sf, ZR, rn, rm);
/** `mov rd, rm` between general registers (not SP) = `orr rd, zr, rm`. */
export const mov = (sf: boolean, rd: Reg, rm: Reg): Inst => logical('orr', sf, rd, ZR, rm);
/** `mov rd, rn` where one side is SP = `add rd, rn, #0`. */
export const movSp = (sf: boolean, rd: Reg, rn: Reg): Inst => addImm(sf, rd, rn, 0);
/** MOVZ/MOVN/MOVK. */
export const moveWide = (op: 'movz' | 'movn' | 'movk', sf: boolean, rd: Reg, imm16: number, hw = 0): Inst =>
  ({ kind: 'moveWide', op, sf, rd, imm16, hw });
/** `lsl rd, rn, #n` = `ubfm rd, rn, #(-n mod w), #(w-1-n)`. */
export const lslImm = (sf: boolean, rd: Reg, rn: Reg, n: number): Inst => {
  const w = sf ? 64 : 32;
  return { kind: 'bitfield', op: 'ubfm', sf, rd, rn, immr: (w - n) % w, imms: w - 1 - n };
};
/** `lsr rd, rn, #n` = `ubfm rd, rn, #n, #(w-1)`. */
export const lsrImm = (sf: boolean, rd: Reg, rn: Reg, n: number): Inst =>
  ({ kind: 'bitfield', op: 'ubfm', sf, rd, rn, immr: n, imms: sf ? 63 : 31 });
/** `asr rd, rn, #n` = `sbfm rd, rn, #n, #(w-1)`. */
export const asrImm = (sf: boolean, rd: Reg, rn: Reg, n: number): Inst =>
  ({ kind: 'bitfield', op: 'sbfm', sf, rd, rn, immr: n, imms: sf ? 63 : 31 });
/** Sign-extend the low 8/16/32 bits: SXTB/SXTH/SXTW = `sbfm rd, rn, #0, #(bits-1)`. */
export const sxt = (sf: boolean, rd: Reg, rn: Reg, bits: 8 | 16 | 32): Inst =>
  ({ kind: 'bitfield', op: 'sbfm', sf, rd, rn, immr: 0, imms: bits - 1 });
/** Zero-extend the low 8/16 bits (W form): UXTB/UXTH = `ubfm wd, wn, #0, #(bits-1)`. */
export const uxt = (rd: Reg, rn: Reg, bits: 8 | 16): Inst =>
  ({ kind: 'bitfield', op: 'ubfm', sf: false, rd, rn, immr: 0, imms: bits - 1 });
/** Register shifts and divisions. */
export const dp2 = (op: 'udiv' | 'sdiv' | 'lslv' | 'lsrv' | 'asrv' | 'rorv', sf: boolean, rd: Reg, rn: Reg,
  rm: Reg): Inst => ({ kind: 'dp2', op, sf, rd, rn, rm });
/** Byte reversal and bit counting. */
export const dp1 = (op: 'rbit' | 'rev16' | 'rev32' | 'rev' | 'clz', sf: boolean, rd: Reg, rn: Reg): Inst =>
  ({ kind: 'dp1', op, sf, rd, rn });
/** `madd rd, rn, rm, ra` (rd = ra + rn * rm). */
export const madd = (sf: boolean, rd: Reg, rn: Reg, rm: Reg, ra: Reg): Inst =>
  ({ kind: 'dp3', op: 'madd', sf, rd, rn, rm, ra });
/** `msub rd, rn, rm, ra` (rd = ra - rn * rm). */
export const msub = (sf: boolean, rd: Reg, rn: Reg, rm: Reg, ra: Reg): Inst =>
  ({ kind: 'dp3', op: 'msub', sf, rd, rn, rm, ra });
/** `mul rd, rn, rm` = `madd rd, rn, rm, zr`. */
export const mul = (sf: boolean, rd: Reg, rn: Reg, rm: Reg): Inst => madd(sf, rd, rn, rm, ZR);
/** Conditional select family. */
export const condSelect = (op: 'csel' | 'csinc' | 'csinv' | 'csneg', sf: boolean, rd: Reg, rn: Reg, rm: Reg,
  cond: Cond): Inst => ({ kind: 'condSelect', op, sf, rd, rn, rm, cond });
/** `cset rd, cond` = `csinc rd, zr, zr, !cond`. */
export const cset = (sf: boolean, rd: Reg, cond: Cond): Inst => condSelect('csinc', sf, rd, ZR, ZR, cond ^ 1);
/** `b offset`. */
export const b = (offset: number): InstOf<'branchImm'> => ({ kind: 'branchImm', link: false, offset });
/** `bl offset`. */
export const bl = (offset: number): InstOf<'branchImm'> => ({ kind: 'branchImm', link: true, offset });
/** `b.cond offset`. */
export const bcond = (cond: Cond, offset: number): InstOf<'branchCond'> => ({ kind: 'branchCond', cond, offset });
/** `cbz`/`cbnz`. */
export const cbz = (nonzero: boolean, sf: boolean, rt: Reg, offset: number): InstOf<'compareBranch'> =>
  ({ kind: 'compareBranch', nonzero, sf, rt, offset });
/** `tbz`/`tbnz`. */
export const tbz = (nonzero: boolean, rt: Reg, bit: number, offset: number): InstOf<'testBranch'> =>
  ({ kind: 'testBranch', nonzero, rt, bit, offset });
/** `br`/`blr`/`ret`. */
export const branchReg = (op: 'br' | 'blr' | 'ret', rn: Reg = LR): Inst => ({ kind: 'branchReg', op, rn });
/** `ret` (to X30). */
export const ret = (): Inst => branchReg('ret', LR);
/** Load/store with an immediate offset (`uimm` scaled, `unscaled`, `pre`, `post`). */
export const ldst = (op: LdStOp, sf: boolean, rt: Reg, rn: Reg, offset = 0,
  mode: 'uimm' | 'unscaled' | 'pre' | 'post' = 'uimm'): Inst =>
  ({ kind: 'loadStore', op, sf, rt, rn, mode, offset });
/** Load/store with a register offset. */
export const ldstReg = (op: LdStOp, sf: boolean, rt: Reg, rn: Reg, rm: Reg, extend: Extend = 'lsl',
  scaled = false): Inst => ({ kind: 'loadStoreReg', op, sf, rt, rn, rm, extend, scaled });
/** LDP/STP. */
export const pair = (load: boolean, sf: boolean, rt: Reg, rt2: Reg, rn: Reg, offset = 0,
  mode: 'offset' | 'pre' | 'post' = 'offset'): Inst =>
  ({ kind: 'loadStorePair', load, sf, rt, rt2, rn, mode, offset });
/** Exclusive load/store (loads take rs = ZR). */
export const exclusive = (op: 'ldxr' | 'ldaxr' | 'stxr' | 'stlxr', size: Bytes, rs: Reg, rt: Reg, rn: Reg): Inst =>
  ({ kind: 'exclusive', op, size, rs, rt, rn });
/** LSE atomic read-modify-write (default ordering AL, as the eBPF memory model needs). */
export const atomic = (op: 'ldadd' | 'ldclr' | 'ldeor' | 'ldset' | 'swp', size: 4 | 8, rs: Reg, rt: Reg, rn: Reg,
  order: Order = 'al'): Inst => ({ kind: 'atomic', op, size, order, rs, rt, rn });
/** LSE compare and swap (default ordering AL). */
export const cas = (size: 4 | 8, rs: Reg, rt: Reg, rn: Reg, order: Order = 'al'): Inst =>
  ({ kind: 'cas', size, order, rs, rt, rn });
/** `nop`. */
export const nop = (): Inst => ({ kind: 'nop' });
/** `brk #imm16`. */
export const brk = (imm16: number): Inst => ({ kind: 'brk', imm16 });
