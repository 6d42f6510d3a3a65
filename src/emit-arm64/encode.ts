/**
 * @file AArch64 instruction records → 32-bit little-endian words.
 *
 * One encoder per Arm ARM (DDI 0487) encoding class, named after the class.
 * Each cites its place in chapter C4.1 "A64 instruction set encoding" as
 * `group / class` with the field layout (sub-section numbers change between
 * issues of the manual, the titles do not). `encode` dispatches on the
 * record kind.
 * Field ranges are the compiler's responsibility: an out-of-range field is a
 * bug and fails an assertion, never a silently wrong word.
 */

import { assert, unreachable } from '../diag/errors.js';
import { encodeBitmask } from './bitmask.js';
import { accessBytes, type Bytes, type Extend, type Inst, type LdStOp, type Order, type Reg, type Shift } from './insts.js';

const sfBit = (sf: boolean): number => (sf ? 1 : 0);
const reg = (r: Reg): number => {
  assert(Number.isInteger(r) && r >= 0 && r <= 31, `register ${r} out of range`);
  return r;
};
const field = (v: number, bits: number, what: string): number => {
  assert(Number.isInteger(v) && v >= 0 && v < 2 ** bits, `${what} ${v} does not fit ${bits} bits`);
  return v;
};
/** A signed field: `v` in [-2^(bits-1), 2^(bits-1)), as its two's complement `bits` bits. */
const sfield = (v: number, bits: number, what: string): number => {
  assert(Number.isInteger(v) && v >= -(2 ** (bits - 1)) && v < 2 ** (bits - 1), `${what} ${v} does not fit ${bits} signed bits`);
  return v < 0 ? v + 2 ** bits : v;
};
/** A byte offset that must be a multiple of `scale`, as a signed field of `bits` bits in units of `scale`. */
const scaled = (v: number, scale: number, bits: number, what: string): number => {
  assert(v % scale === 0, `${what} ${v} is not a multiple of ${scale}`);
  return sfield(v / scale, bits, what);
};
const u32 = (v: number): number => v >>> 0;

const SHIFT_CODE: Record<Shift, number> = { lsl: 0, lsr: 1, asr: 2, ror: 3 };
const ORDER_BITS: Record<Order, [number, number]> = { '': [0, 0], a: [1, 0], l: [0, 1], al: [1, 1] };
const SIZE_CODE: Record<Bytes, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

/**
 * C4.1 Data Processing -- Immediate / Add/subtract (immediate):
 * `sf op S 100010 sh imm12 Rn Rd`.
 */
export function addSubImmediate(sf: boolean, op: number, s: number, sh: number, imm12: number, rn: Reg, rd: Reg): number {
  return u32((sfBit(sf) << 31) | (op << 30) | (s << 29) | 0x11000000 | (sh << 22)
    | (field(imm12, 12, 'imm12') << 10) | (reg(rn) << 5) | reg(rd));
}

/**
 * C4.1 Data Processing -- Register / Add/subtract (shifted register):
 * `sf op S 01011 shift 0 Rm imm6 Rn Rd`.
 */
export function addSubShiftedRegister(sf: boolean, op: number, s: number, shift: number, rm: Reg, imm6: number,
  rn: Reg, rd: Reg): number {
  assert(shift !== 3, 'add/sub shifted register has no ror');
  field(imm6, sf ? 6 : 5, 'shift amount');
  return u32((sfBit(sf) << 31) | (op << 30) | (s << 29) | 0x0b000000 | (shift << 22) | (reg(rm) << 16)
    | (imm6 << 10) | (reg(rn) << 5) | reg(rd));
}

/**
 * C4.1 Data Processing -- Immediate / Logical (immediate):
 * `sf opc 100100 N immr imms Rn Rd`.
 */
export function logicalImmediate(sf: boolean, opc: number, n: number, immr: number, imms: number, rn: Reg,
  rd: Reg): number {
  return u32((sfBit(sf) << 31) | (opc << 29) | 0x12000000 | (n << 22) | (field(immr, 6, 'immr') << 16)
    | (field(imms, 6, 'imms') << 10) | (reg(rn) << 5) | reg(rd));
}

/**
 * C4.1 Data Processing -- Register / Logical (shifted register):
 * `sf opc 01010 shift N Rm imm6 Rn Rd`.
 */
export function logicalShiftedRegister(sf: boolean, opc: number, shift: number, n: number, rm: Reg, imm6: number,
  rn: Reg, rd: Reg): number {
  field(imm6, sf ? 6 : 5, 'shift amount');
  return u32((sfBit(sf) << 31) | (opc << 29) | 0x0a000000 | (shift << 22) | (n << 21) | (reg(rm) << 16)
    | (imm6 << 10) | (reg(rn) << 5) | reg(rd));
}

/**
 * C4.1 Data Processing -- Immediate / Move wide (immediate):
 * `sf opc 100101 hw imm16 Rd` (opc: 00 MOVN, 10 MOVZ, 11 MOVK).
 */
export function moveWideImmediate(sf: boolean, opc: number, hw: number, imm16: number, rd: Reg): number {
  field(hw, sf ? 2 : 1, 'hw');
  return u32((sfBit(sf) << 31) | (opc << 29) | 0x12800000 | (hw << 21) | (field(imm16, 16, 'imm16') << 5) | reg(rd));
}

/**
 * C4.1 Data Processing -- Immediate / Bitfield:
 * `sf opc 100110 N immr imms Rn Rd` (opc: 00 SBFM, 01 BFM, 10 UBFM; N = sf).
 */
export function bitfield(sf: boolean, opc: number, immr: number, imms: number, rn: Reg, rd: Reg): number {
  const bits = sf ? 6 : 5;
  return u32((sfBit(sf) << 31) | (opc << 29) | 0x13000000 | (sfBit(sf) << 22) | (field(immr, bits, 'immr') << 16)
    | (field(imms, bits, 'imms') << 10) | (reg(rn) << 5) | reg(rd));
}

/**
 * C4.1 Data Processing -- Register / Data-processing (2 source):
 * `sf 0 0 11010110 Rm opcode Rn Rd`.
 */
export function dataProcessing2Source(sf: boolean, opcode: number, rm: Reg, rn: Reg, rd: Reg): number {
  return u32((sfBit(sf) << 31) | 0x1ac00000 | (reg(rm) << 16) | (opcode << 10) | (reg(rn) << 5) | reg(rd));
}

/**
 * C4.1 Data Processing -- Register / Data-processing (1 source):
 * `sf 1 0 11010110 00000 opcode Rn Rd`.
 */
export function dataProcessing1Source(sf: boolean, opcode: number, rn: Reg, rd: Reg): number {
  return u32((sfBit(sf) << 31) | 0x5ac00000 | (opcode << 10) | (reg(rn) << 5) | reg(rd));
}

/**
 * C4.1 Data Processing -- Register / Data-processing (3 source):
 * `sf 00 11011 op31 Rm o0 Ra Rn Rd`.
 */
export function dataProcessing3Source(sf: boolean, op31: number, o0: number, rm: Reg, ra: Reg, rn: Reg,
  rd: Reg): number {
  return u32((sfBit(sf) << 31) | 0x1b000000 | (op31 << 21) | (reg(rm) << 16) | (o0 << 15) | (reg(ra) << 10)
    | (reg(rn) << 5) | reg(rd));
}

/**
 * C4.1 Data Processing -- Register / Conditional select:
 * `sf op S 11010100 Rm cond op2 Rn Rd`.
 */
export function conditionalSelect(sf: boolean, op: number, op2: number, rm: Reg, cond: number, rn: Reg,
  rd: Reg): number {
  return u32((sfBit(sf) << 31) | (op << 30) | 0x1a800000 | (reg(rm) << 16) | (field(cond, 4, 'cond') << 12)
    | (op2 << 10) | (reg(rn) << 5) | reg(rd));
}

/** C4.1 Branches, Exception Generating and System instructions / Unconditional branch (immediate): `op 00101 imm26`. */
export function unconditionalBranchImmediate(link: boolean, offset: number): number {
  return u32(((link ? 1 : 0) << 31) | 0x14000000 | scaled(offset, 4, 26, 'branch offset'));
}

/** C4.1 Branches, Exception Generating and System instructions / Conditional branch (immediate): `0101010 0 imm19 0 cond`. */
export function conditionalBranchImmediate(cond: number, offset: number): number {
  return u32(0x54000000 | (scaled(offset, 4, 19, 'branch offset') << 5) | field(cond, 4, 'cond'));
}

/** C4.1 Branches, Exception Generating and System instructions / Compare and branch (immediate): `sf 011010 op imm19 Rt`. */
export function compareAndBranchImmediate(sf: boolean, nonzero: boolean, offset: number, rt: Reg): number {
  return u32((sfBit(sf) << 31) | 0x34000000 | ((nonzero ? 1 : 0) << 24)
    | (scaled(offset, 4, 19, 'branch offset') << 5) | reg(rt));
}

/** C4.1 Branches, Exception Generating and System instructions / Test and branch (immediate): `b5 011011 op b40 imm14 Rt`. */
export function testAndBranchImmediate(nonzero: boolean, bit: number, offset: number, rt: Reg): number {
  field(bit, 6, 'bit');
  return u32(((bit >> 5) << 31) | 0x36000000 | ((nonzero ? 1 : 0) << 24) | ((bit & 31) << 19)
    | (scaled(offset, 4, 14, 'branch offset') << 5) | reg(rt));
}

/** C4.1 Branches, Exception Generating and System instructions / Unconditional branch (register): `1101011 opc 11111 000000 Rn 00000`. */
export function unconditionalBranchRegister(opc: number, rn: Reg): number {
  return u32(0xd61f0000 | (opc << 21) | (reg(rn) << 5));
}

/** The `size` and `opc` fields of a scalar load/store (C4.1 Loads and Stores, "size" and "opc" columns). */
function sizeOpc(op: LdStOp, sf: boolean): [number, number] {
  const size = SIZE_CODE[accessBytes(op, sf)];
  switch (op) {
    case 'strb': case 'strh': case 'str': return [size, 0];
    case 'ldrb': case 'ldrh': case 'ldr': return [size, 1];
    case 'ldrsb': case 'ldrsh': return [size, sf ? 2 : 3];
    case 'ldrsw': assert(sf, 'ldrsw is 64-bit only'); return [size, 2];
  }
}

/**
 * C4.1 Loads and Stores / Load/store register (unsigned immediate):
 * `size 111 0 01 opc imm12 Rn Rt`, offset = imm12 << size.
 */
export function loadStoreRegisterUnsignedImmediate(size: number, opc: number, offset: number, rn: Reg,
  rt: Reg): number {
  const scale = 1 << size;
  assert(offset % scale === 0, `offset ${offset} not a multiple of ${scale}`);
  return u32((size << 30) | 0x39000000 | (opc << 22) | (field(offset / scale, 12, 'imm12') << 10) | (reg(rn) << 5)
    | reg(rt));
}

/**
 * C4.1 Loads and Stores / Load/store register (unscaled immediate,
 * immediate pre-indexed, immediate post-indexed): `size 111 0 00 opc 0 imm9 idx Rn Rt`,
 * idx: 00 unscaled (LDUR/STUR), 01 post-index, 11 pre-index.
 */
export function loadStoreRegisterImm9(size: number, opc: number, idx: number, offset: number, rn: Reg,
  rt: Reg): number {
  return u32((size << 30) | 0x38000000 | (opc << 22) | (sfield(offset, 9, 'imm9') << 12) | (idx << 10)
    | (reg(rn) << 5) | reg(rt));
}

/**
 * C4.1 Loads and Stores / Load/store register (register offset):
 * `size 111 0 00 opc 1 Rm option S 10 Rn Rt`.
 */
export function loadStoreRegisterRegisterOffset(size: number, opc: number, rm: Reg, option: number, s: number,
  rn: Reg, rt: Reg): number {
  return u32((size << 30) | 0x38200800 | (opc << 22) | (reg(rm) << 16) | (option << 13) | (s << 12) | (reg(rn) << 5)
    | reg(rt));
}

/**
 * C4.1 Loads and Stores / Load/store register pair (post-indexed 001, signed offset
 * 010, pre-indexed 011): `opc 101 0 idx L imm7 Rt2 Rn Rt`.
 */
export function loadStorePair(sf: boolean, idx: number, load: boolean, offset: number, rt2: Reg, rn: Reg,
  rt: Reg): number {
  const opc = sf ? 2 : 0;
  return u32((opc << 30) | 0x28000000 | (idx << 23) | ((load ? 1 : 0) << 22)
    | (scaled(offset, sf ? 8 : 4, 7, 'pair offset') << 15) | (reg(rt2) << 10) | (reg(rn) << 5) | reg(rt));
}

/** Pair, pre-indexed (`stp x29, x30, [sp, #-16]!`). */
export const loadStorePairPreIndexed = (sf: boolean, load: boolean, offset: number, rt2: Reg, rn: Reg, rt: Reg):
  number => loadStorePair(sf, 3, load, offset, rt2, rn, rt);
/** Pair, post-indexed (`ldp x29, x30, [sp], #16`). */
export const loadStorePairPostIndexed = (sf: boolean, load: boolean, offset: number, rt2: Reg, rn: Reg, rt: Reg):
  number => loadStorePair(sf, 1, load, offset, rt2, rn, rt);
/** Pair, signed offset. */
export const loadStorePairOffset = (sf: boolean, load: boolean, offset: number, rt2: Reg, rn: Reg, rt: Reg):
  number => loadStorePair(sf, 2, load, offset, rt2, rn, rt);

/**
 * C4.1 Loads and Stores / Load/store exclusive register:
 * `size 001000 0 L 0 Rs o0 Rt2 Rn Rt` (Rt2 = 11111; Rs = 11111 for loads).
 */
export function loadStoreExclusiveRegister(size: number, load: boolean, o0: number, rs: Reg, rn: Reg,
  rt: Reg): number {
  return u32((size << 30) | 0x08000000 | ((load ? 1 : 0) << 22) | (reg(rs) << 16) | (o0 << 15) | (31 << 10)
    | (reg(rn) << 5) | reg(rt));
}

/**
 * C4.1 Loads and Stores / Atomic memory operations (FEAT_LSE):
 * `size 111 0 00 A R 1 Rs o3 opc 00 Rn Rt`.
 */
export function atomicMemoryOperation(size: number, a: number, r: number, rs: Reg, o3: number, opc: number,
  rn: Reg, rt: Reg): number {
  return u32((size << 30) | 0x38200000 | (a << 23) | (r << 22) | (reg(rs) << 16) | (o3 << 15) | (opc << 12)
    | (reg(rn) << 5) | reg(rt));
}

/**
 * C4.1 Loads and Stores / Compare and swap (FEAT_LSE):
 * `size 001000 1 L 1 Rs o0 11111 Rn Rt`.
 */
export function compareAndSwap(size: number, l: number, o0: number, rs: Reg, rn: Reg, rt: Reg): number {
  return u32((size << 30) | 0x08a07c00 | (l << 22) | (reg(rs) << 16) | (o0 << 15) | (reg(rn) << 5) | reg(rt));
}

/** C6.2 NOP: the hint `1101010100 0 00 011 0010 0000 000 11111`. */
export function hint(): number {
  return 0xd503201f;
}

/** C6.2 BRK: exception generation `11010100 001 imm16 000 00`. */
export function exceptionGeneration(imm16: number): number {
  return u32(0xd4200000 | (field(imm16, 16, 'imm16') << 5));
}

const ADD_SUB: Record<'add' | 'adds' | 'sub' | 'subs', [number, number]> =
  { add: [0, 0], adds: [0, 1], sub: [1, 0], subs: [1, 1] };
const LOGIC: Record<'and' | 'orr' | 'eor' | 'ands' | 'bic' | 'orn' | 'eon' | 'bics', [number, number]> =
  { and: [0, 0], orr: [1, 0], eor: [2, 0], ands: [3, 0], bic: [0, 1], orn: [1, 1], eon: [2, 1], bics: [3, 1] };
const MOVE_WIDE = { movn: 0, movz: 2, movk: 3 } as const;
const DP2 = { udiv: 2, sdiv: 3, lslv: 8, lsrv: 9, asrv: 10, rorv: 11 } as const;
const EXTEND: Record<Extend, number> = { uxtw: 2, lsl: 3, sxtw: 6, sxtx: 7 };
const ATOMIC = { ldadd: [0, 0], ldclr: [0, 1], ldeor: [0, 2], ldset: [0, 3], swp: [1, 0] } as const;

/** Encode one instruction record as its 32-bit word. */
export function encode(i: Inst): number {
  switch (i.kind) {
    case 'addSubImm': {
      const [op, s] = ADD_SUB[i.op];
      return addSubImmediate(i.sf, op, s, i.lsl12 ? 1 : 0, i.imm12, i.rn, i.rd);
    }
    case 'addSubReg': {
      const [op, s] = ADD_SUB[i.op];
      return addSubShiftedRegister(i.sf, op, s, SHIFT_CODE[i.shift], i.rm, i.amount, i.rn, i.rd);
    }
    case 'logicalImm': {
      const f = encodeBitmask(i.imm, i.sf);
      assert(f !== undefined, `0x${BigInt.asUintN(64, i.imm).toString(16)} is not a bitmask immediate`);
      return logicalImmediate(i.sf, LOGIC[i.op][0], f.n, f.immr, f.imms, i.rn, i.rd);
    }
    case 'logicalReg': {
      const [opc, n] = LOGIC[i.op];
      return logicalShiftedRegister(i.sf, opc, SHIFT_CODE[i.shift], n, i.rm, i.amount, i.rn, i.rd);
    }
    case 'moveWide':
      return moveWideImmediate(i.sf, MOVE_WIDE[i.op], i.hw, i.imm16, i.rd);
    case 'bitfield':
      return bitfield(i.sf, i.op === 'sbfm' ? 0 : 2, i.immr, i.imms, i.rn, i.rd);
    case 'dp2':
      return dataProcessing2Source(i.sf, DP2[i.op], i.rm, i.rn, i.rd);
    case 'dp1': {
      let opcode: number;
      switch (i.op) {
        case 'rbit': opcode = 0; break;
        case 'rev16': opcode = 1; break;
        case 'rev32': assert(i.sf, 'rev32 is 64-bit only'); opcode = 2; break;
        case 'rev': opcode = i.sf ? 3 : 2; break;
        case 'clz': opcode = 4; break;
      }
      return dataProcessing1Source(i.sf, opcode, i.rn, i.rd);
    }
    case 'dp3':
      switch (i.op) {
        case 'madd': return dataProcessing3Source(i.sf, 0, 0, i.rm, i.ra, i.rn, i.rd);
        case 'msub': return dataProcessing3Source(i.sf, 0, 1, i.rm, i.ra, i.rn, i.rd);
        case 'smulh': assert(i.sf, 'smulh is 64-bit only'); return dataProcessing3Source(true, 2, 0, i.rm, 31, i.rn, i.rd);
        case 'umulh': assert(i.sf, 'umulh is 64-bit only'); return dataProcessing3Source(true, 6, 0, i.rm, 31, i.rn, i.rd);
      }
    case 'condSelect': {
      const op = i.op === 'csinv' || i.op === 'csneg' ? 1 : 0;
      const op2 = i.op === 'csinc' || i.op === 'csneg' ? 1 : 0;
      return conditionalSelect(i.sf, op, op2, i.rm, i.cond, i.rn, i.rd);
    }
    case 'branchImm': return unconditionalBranchImmediate(i.link, i.offset);
    case 'branchCond': return conditionalBranchImmediate(i.cond, i.offset);
    case 'compareBranch': return compareAndBranchImmediate(i.sf, i.nonzero, i.offset, i.rt);
    case 'testBranch':
      return testAndBranchImmediate(i.nonzero, i.bit, i.offset, i.rt);
    case 'branchReg': return unconditionalBranchRegister({ br: 0, blr: 1, ret: 2 }[i.op], i.rn);
    case 'loadStore': {
      const [size, opc] = sizeOpc(i.op, i.sf);
      switch (i.mode) {
        case 'uimm': return loadStoreRegisterUnsignedImmediate(size, opc, i.offset, i.rn, i.rt);
        case 'unscaled': return loadStoreRegisterImm9(size, opc, 0, i.offset, i.rn, i.rt);
        case 'post': return loadStoreRegisterImm9(size, opc, 1, i.offset, i.rn, i.rt);
        case 'pre': return loadStoreRegisterImm9(size, opc, 3, i.offset, i.rn, i.rt);
      }
    }
    case 'loadStoreReg': {
      const [size, opc] = sizeOpc(i.op, i.sf);
      return loadStoreRegisterRegisterOffset(size, opc, i.rm, EXTEND[i.extend], i.scaled ? 1 : 0, i.rn, i.rt);
    }
    case 'loadStorePair':
      return loadStorePair(i.sf, { post: 1, offset: 2, pre: 3 }[i.mode], i.load, i.offset, i.rt2, i.rn, i.rt);
    case 'exclusive': {
      const load = i.op === 'ldxr' || i.op === 'ldaxr';
      const o0 = i.op === 'ldaxr' || i.op === 'stlxr' ? 1 : 0;
      return loadStoreExclusiveRegister(SIZE_CODE[i.size], load, o0, load ? 31 : i.rs, i.rn, i.rt);
    }
    case 'atomic': {
      const [o3, opc] = ATOMIC[i.op];
      const [a, r] = ORDER_BITS[i.order];
      return atomicMemoryOperation(SIZE_CODE[i.size], a, r, i.rs, o3, opc, i.rn, i.rt);
    }
    case 'cas': {
      const [l, o0] = ORDER_BITS[i.order];
      return compareAndSwap(SIZE_CODE[i.size], l, o0, i.rs, i.rn, i.rt);
    }
    case 'nop': return hint();
    case 'brk': return exceptionGeneration(i.imm16);
  }
  return unreachable(i, 'instruction kind');
}

/** Encode a sequence as little-endian bytes. */
export function encodeAll(insts: readonly Inst[]): Uint8Array {
  const out = new Uint8Array(insts.length * 4);
  const view = new DataView(out.buffer);
  insts.forEach((inst, k) => view.setUint32(k * 4, encode(inst), true));
  return out;
}
