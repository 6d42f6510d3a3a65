/**
 * @file 32-bit AArch64 words → instruction records, for the subset
 * `encode.ts` produces. The emulator runs on what this file reads from the
 * bytes, so it is written from the Arm ARM (DDI 0487) encoding tables, not by
 * inverting `encode.ts`; the tests check that the two agree and that llvm-mc
 * agrees with both. A word outside the subset (or a reserved field value)
 * decodes to `undefined`.
 */

import { decodeBitmask } from './bitmask.js';
import type { Bytes, Extend, Inst, LdStOp, Order, Shift } from './insts.js';

const bits = (w: number, lo: number, n: number): number => (w >>> lo) & ((1 << n) - 1);
const sext = (v: number, n: number): number => (v << (32 - n)) >> (32 - n);

const SHIFTS: readonly Shift[] = ['lsl', 'lsr', 'asr', 'ror'];
const ORDERS: readonly Order[] = ['', 'l', 'a', 'al']; // indexed by A:R (A = bit 1)
const SIZES: readonly Bytes[] = [1, 2, 4, 8];

/** C4.1 Loads and Stores: size:opc → load/store mnemonic and W/X form, or undefined (prefetch, reserved). */
function ldStOp(size: number, opc: number): [LdStOp, boolean] | undefined {
  switch (opc) {
    case 0: return [(['strb', 'strh', 'str', 'str'] as const)[size]!, size === 3];
    case 1: return [(['ldrb', 'ldrh', 'ldr', 'ldr'] as const)[size]!, size === 3];
    case 2: return size === 3 ? undefined : [(['ldrsb', 'ldrsh', 'ldrsw'] as const)[size]!, true];
    default: return size >= 2 ? undefined : [(['ldrsb', 'ldrsh'] as const)[size]!, false];
  }
}

/** Decode one word, or `undefined` when it is outside the supported subset. */
export function decode(w: number): Inst | undefined {
  w >>>= 0;
  const sf = (w >>> 31) === 1;
  const rd = w & 31, rn = (w >>> 5) & 31, rm = (w >>> 16) & 31;
  const op0 = bits(w, 25, 4);
  // C4.1 top-level: op0 = 100x data processing (immediate)
  if ((op0 & 0b1110) === 0b1000) {
    const op1 = bits(w, 23, 3);
    switch (op1) {
      case 0b010: { // add/sub immediate
        const opS = bits(w, 29, 2);
        return { kind: 'addSubImm', op: (['add', 'adds', 'sub', 'subs'] as const)[opS]!, sf, rd, rn,
          imm12: bits(w, 10, 12), lsl12: bits(w, 22, 1) === 1 };
      }
      case 0b100: { // logical immediate
        const n = bits(w, 22, 1);
        const imm = decodeBitmask(n, bits(w, 16, 6), bits(w, 10, 6), sf);
        if (imm === undefined) return undefined;
        return { kind: 'logicalImm', op: (['and', 'orr', 'eor', 'ands'] as const)[bits(w, 29, 2)]!, sf, rd, rn, imm };
      }
      case 0b101: { // move wide
        const opc = bits(w, 29, 2), hw = bits(w, 21, 2);
        if (opc === 1 || (!sf && hw >= 2)) return undefined;
        return { kind: 'moveWide', op: (['movn', 'movn', 'movz', 'movk'] as const)[opc]!, sf, rd, imm16: bits(w, 5, 16), hw };
      }
      case 0b110: { // bitfield
        const opc = bits(w, 29, 2), n = bits(w, 22, 1), immr = bits(w, 16, 6), imms = bits(w, 10, 6);
        if (opc === 1 || opc === 3 || n !== (sf ? 1 : 0)) return undefined;
        if (!sf && (immr >= 32 || imms >= 32)) return undefined;
        return { kind: 'bitfield', op: opc === 0 ? 'sbfm' : 'ubfm', sf, rd, rn, immr, imms };
      }
      default: return undefined;
    }
  }
  // op0 = 101x branches, exception generation, system
  if ((op0 & 0b1110) === 0b1010) {
    if ((w & 0x7c000000) === 0x14000000) {
      return { kind: 'branchImm', link: sf, offset: sext(bits(w, 0, 26), 26) * 4 };
    }
    if (((w & 0xff000010) >>> 0) === 0x54000000) {
      return { kind: 'branchCond', cond: w & 15, offset: sext(bits(w, 5, 19), 19) * 4 };
    }
    if ((w & 0x7e000000) === 0x34000000) {
      return { kind: 'compareBranch', nonzero: bits(w, 24, 1) === 1, sf, rt: rd, offset: sext(bits(w, 5, 19), 19) * 4 };
    }
    if ((w & 0x7e000000) === 0x36000000) {
      return { kind: 'testBranch', nonzero: bits(w, 24, 1) === 1, rt: rd, bit: ((w >>> 31) << 5) | bits(w, 19, 5),
        offset: sext(bits(w, 5, 14), 14) * 4 };
    }
    if (((w & 0xff9ffc1f) >>> 0) === 0xd61f0000) {
      const opc = bits(w, 21, 2);
      if (opc === 3) return undefined;
      return { kind: 'branchReg', op: (['br', 'blr', 'ret'] as const)[opc]!, rn };
    }
    if (((w & 0xffe0001f) >>> 0) === 0xd4200000) return { kind: 'brk', imm16: bits(w, 5, 16) };
    if (w === 0xd503201f) return { kind: 'nop' };
    return undefined;
  }
  // op0 = x101 data processing (register)
  if ((op0 & 0b0111) === 0b0101) {
    const shift = SHIFTS[bits(w, 22, 2)]!;
    const imm6 = bits(w, 10, 6);
    if ((w & 0x1f000000) === 0x0a000000) { // logical shifted register
      const opc = bits(w, 29, 2), n = bits(w, 21, 1);
      if (!sf && imm6 >= 32) return undefined;
      const op = (n === 0 ? (['and', 'orr', 'eor', 'ands'] as const) : (['bic', 'orn', 'eon', 'bics'] as const))[opc]!;
      return { kind: 'logicalReg', op, sf, rd, rn, rm, shift, amount: imm6 };
    }
    if ((w & 0x1f200000) === 0x0b000000) { // add/sub shifted register
      if (shift === 'ror' || (!sf && imm6 >= 32)) return undefined;
      return { kind: 'addSubReg', op: (['add', 'adds', 'sub', 'subs'] as const)[bits(w, 29, 2)]!, sf, rd, rn, rm,
        shift, amount: imm6 };
    }
    if ((w & 0x7fe00000) === 0x1ac00000) { // data-processing (2 source)
      const op = ({ 2: 'udiv', 3: 'sdiv', 8: 'lslv', 9: 'lsrv', 10: 'asrv', 11: 'rorv' } as const)[imm6 as 2];
      return op === undefined ? undefined : { kind: 'dp2', op, sf, rd, rn, rm };
    }
    if ((w & 0x7fff0000) === 0x5ac00000) { // data-processing (1 source)
      switch (imm6) {
        case 0: return { kind: 'dp1', op: 'rbit', sf, rd, rn };
        case 1: return { kind: 'dp1', op: 'rev16', sf, rd, rn };
        case 2: return { kind: 'dp1', op: sf ? 'rev32' : 'rev', sf, rd, rn };
        case 3: return sf ? { kind: 'dp1', op: 'rev', sf, rd, rn } : undefined;
        case 4: return { kind: 'dp1', op: 'clz', sf, rd, rn };
        default: return undefined;
      }
    }
    if ((w & 0x3fe00000) === 0x1a800000) { // conditional select
      const op = bits(w, 30, 1), op2 = bits(w, 10, 2);
      if (op2 >= 2) return undefined;
      return { kind: 'condSelect', op: (['csel', 'csinc', 'csinv', 'csneg'] as const)[op * 2 + op2]!, sf, rd, rn, rm,
        cond: bits(w, 12, 4) };
    }
    if ((w & 0x7f000000) === 0x1b000000) { // data-processing (3 source)
      const op31 = bits(w, 21, 3), o0 = bits(w, 15, 1), ra = bits(w, 10, 5);
      if (op31 === 0) return { kind: 'dp3', op: o0 ? 'msub' : 'madd', sf, rd, rn, rm, ra };
      if (sf && o0 === 0 && ra === 31 && (op31 === 2 || op31 === 6)) {
        return { kind: 'dp3', op: op31 === 2 ? 'smulh' : 'umulh', sf, rd, rn, rm, ra };
      }
      return undefined;
    }
    return undefined;
  }
  // op0 = x1x0 loads and stores
  if ((op0 & 0b0101) === 0b0100) {
    const size = bits(w, 30, 2);
    const rt = rd;
    if ((w & 0x3b000000) === 0x39000000 && bits(w, 26, 1) === 0) { // unsigned immediate
      const o = ldStOp(size, bits(w, 22, 2));
      if (o === undefined) return undefined;
      return { kind: 'loadStore', op: o[0], sf: o[1], rt, rn, mode: 'uimm', offset: bits(w, 10, 12) << size };
    }
    if ((w & 0x3f200000) === 0x38000000) { // imm9 forms
      const o = ldStOp(size, bits(w, 22, 2));
      const idx = bits(w, 10, 2);
      if (o === undefined || idx === 2) return undefined;
      return { kind: 'loadStore', op: o[0], sf: o[1], rt, rn, mode: (['unscaled', 'post', 'unscaled', 'pre'] as const)[idx]!,
        offset: sext(bits(w, 12, 9), 9) };
    }
    if ((w & 0x3f200c00) === 0x38200800) { // register offset
      const o = ldStOp(size, bits(w, 22, 2));
      const extend = ({ 2: 'uxtw', 3: 'lsl', 6: 'sxtw', 7: 'sxtx' } as Record<number, Extend | undefined>)[bits(w, 13, 3)];
      if (o === undefined || extend === undefined) return undefined;
      return { kind: 'loadStoreReg', op: o[0], sf: o[1], rt, rn, rm, extend, scaled: bits(w, 12, 1) === 1 };
    }
    if ((w & 0x3e000000) === 0x28000000 && bits(w, 26, 1) === 0) { // pair
      const opc = bits(w, 30, 2), idx = bits(w, 23, 2);
      if ((opc !== 0 && opc !== 2) || idx === 0) return undefined;
      const psf = opc === 2;
      return { kind: 'loadStorePair', load: bits(w, 22, 1) === 1, sf: psf, rt, rt2: bits(w, 10, 5), rn,
        mode: (['offset', 'post', 'offset', 'pre'] as const)[idx]!, offset: sext(bits(w, 15, 7), 7) * (psf ? 8 : 4) };
    }
    if ((w & 0x3fa07c00) === 0x08a07c00) { // compare and swap (o1 = 1, Rt2 = 11111), 32/64-bit
      if (size < 2) return undefined;
      const l = bits(w, 22, 1), o0 = bits(w, 15, 1);
      return { kind: 'cas', size: size === 3 ? 8 : 4, order: ORDERS[(l << 1) | o0]!, rs: rm, rt, rn };
    }
    if ((w & 0x3fa07c00) === 0x08007c00) { // load/store exclusive register (o2 = 0, o1 = 0, Rt2 = 11111)
      const load = bits(w, 22, 1) === 1, o0 = bits(w, 15, 1);
      if (load && rm !== 31) return undefined;
      const op = load ? (o0 ? 'ldaxr' : 'ldxr') : (o0 ? 'stlxr' : 'stxr');
      return { kind: 'exclusive', op, size: SIZES[size]!, rs: rm, rt, rn };
    }
    if ((w & 0x3f200c00) === 0x38200000) { // atomic memory operations
      if (size < 2) return undefined;
      const o3 = bits(w, 15, 1), opc = bits(w, 12, 3);
      const op = o3 === 0 ? (['ldadd', 'ldclr', 'ldeor', 'ldset'] as const)[opc] : opc === 0 ? 'swp' : undefined;
      if (op === undefined) return undefined;
      return { kind: 'atomic', op, size: size === 3 ? 8 : 4, order: ORDERS[bits(w, 22, 2)]!, rs: rm, rt, rn };
    }
    return undefined;
  }
  return undefined;
}
