/**
 * @file x86-64 decoder: bytes → machine-instruction records, for the subset `encode.ts` emits.
 *
 * It accepts every encoding `encode.ts` produces and the alternative forms of
 * the same instructions (e.g. `mov r, r` as `8B /r`, `80 /digit` for the
 * accumulator, the multi-byte NOP `0F 1F /0`), so it also reads code from
 * other x86-64 code generators that stay in this subset. Anything else gives
 * `undefined`. Opcode map: Intel SDM Vol. 2 Appendix A, Tables;
 * prefixes: §2.1.1; REX: §2.2.1.
 */

import { ALU_OPS, type Inst, type Mem, type RM, type ShiftOp, type Size, type UnaryOp } from './insts.js';

/** One decoded instruction and its length in bytes. */
export interface Decoded {
  readonly inst: Inst;
  readonly length: number;
}

const SHIFT_BY_DIGIT: (ShiftOp | undefined)[] = ['rol', 'ror', undefined, undefined, 'shl', 'shr', undefined, 'sar'];
const UNARY_BY_DIGIT: (UnaryOp | undefined)[] = [undefined, undefined, 'not', 'neg', 'mul', undefined, 'div', 'idiv'];

/** A byte cursor over the code. */
class Cursor {
  constructor(readonly code: Uint8Array, public at: number) {}
  get ok(): boolean { return this.at <= this.code.length; }
  u8(): number { return this.at < this.code.length ? this.code[this.at++]! : (this.at++, 0); }
  i8(): number { return (this.u8() << 24) >> 24; }
  i16(): number { const lo = this.u8(); return ((this.u8() << 24) >> 16) | lo; }
  i32(): number { const a = this.u8(), b = this.u8(), c = this.u8(), d = this.u8(); return a | b << 8 | c << 16 | d << 24; }
  u64(): bigint { const lo = BigInt(this.i32() >>> 0); return (BigInt(this.i32() >>> 0) << 32n) | lo; }
}

/** Decoded ModRM: the reg field (with REX.R) and the r/m operand. */
interface ModRM { readonly reg: number; readonly rm: RM }

/** Read ModRM/SIB/displacement (SDM Vol. 2 §2.1.5, Tables 2-2, 2-3). */
function readModrm(c: Cursor, rex: number): ModRM | undefined {
  const m = c.u8();
  const mod = m >> 6, reg = ((m >> 3) & 7) | ((rex & 4) << 1), rm = m & 7;
  if (mod === 3) return { reg, rm: rm | ((rex & 1) << 3) };
  let mem: Mem;
  if (rm === 4) {
    const sib = c.u8();
    const ss = sib >> 6, idx = ((sib >> 3) & 7) | ((rex & 2) << 2), base = sib & 7;
    if (mod === 0 && base === 5) return undefined; // no-base disp32: not in the subset
    const scale = ([1, 2, 4, 8] as const)[ss]!;
    const b = base | ((rex & 1) << 3);
    mem = idx === 4 ? { base: b, disp: 0 } : { base: b, index: idx, scale, disp: 0 };
    if (idx === 4 && ss !== 0) return undefined;
  } else if (mod === 0 && rm === 5) {
    return { reg, rm: { base: 'rip', disp: c.i32() } };
  } else {
    mem = { base: rm | ((rex & 1) << 3), disp: 0 };
  }
  const disp = mod === 1 ? c.i8() : mod === 2 ? c.i32() : 0;
  return { reg, rm: { ...mem, disp } };
}

/**
 * Decode the instruction at `at`. Returns undefined for bytes outside the
 * subset (or cut short by the end of `code`).
 */
export function decodeInst(code: Uint8Array, at: number): Decoded | undefined {
  const c = new Cursor(code, at);
  let opsize = false, lock = false, rex = 0;
  let b = c.u8();
  if (b === 0xf3 && code[at + 1] === 0x0f && code[at + 2] === 0x1e && code[at + 3] === 0xfa) {
    return { inst: { op: 'endbr64' }, length: 4 };
  }
  for (;;) {
    if (b === 0x66) opsize = true;
    else if (b === 0xf0) lock = true;
    else break;
    b = c.u8();
  }
  if (b === 0xc4 && !opsize && !lock) return decodeVex(c, at);
  if ((b & 0xf0) === 0x40) { rex = b; b = c.u8(); }
  const w = (rex & 8) !== 0;
  const vsize: Size = w ? 64 : opsize ? 16 : 32;
  /** A byte-register operand without REX means ah..bh for 4..7: outside the subset. */
  const byteOk = (x: RM): boolean => rex !== 0 || typeof x !== 'number' || x < 4 || x > 7;
  const iz = (size: Size): number => (size === 8 ? c.i8() : size === 16 ? c.i16() : c.i32());
  const done = (inst: Inst): Decoded | undefined => {
    if (!c.ok) return undefined;
    if (lock && !('lock' in inst && inst.lock === true)) return undefined;
    return { inst, length: c.at - at };
  };

  // One-byte opcodes, SDM Vol. 2 Table A-2.
  if (b < 0x40 && (b & 7) < 6 && b !== 0x0f) {
    const op = ALU_OPS[b >> 3]!;
    const size: Size = (b & 1) === 0 && (b & 7) < 6 && (b & 7) !== 5 ? 8 : vsize;
    switch (b & 7) {
      case 0: case 1: {
        const m = readModrm(c, rex); if (!m) return undefined;
        if (size === 8 && (!byteOk(m.rm) || !byteOk(m.reg))) return undefined;
        return done(lock ? { op, size, dst: m.rm, src: m.reg, lock: true } : { op, size, dst: m.rm, src: m.reg });
      }
      case 2: case 3: {
        const m = readModrm(c, rex); if (!m) return undefined;
        if (size === 8 && (!byteOk(m.rm) || !byteOk(m.reg))) return undefined;
        return done({ op, size, dst: m.reg, src: m.rm });
      }
      case 4: return done({ op, size: 8, dst: 0, src: { imm: c.i8() } });
      default: return done({ op, size: vsize, dst: 0, src: { imm: iz(vsize) } });
    }
  }
  if (b >= 0x50 && b <= 0x57) return done({ op: 'push', reg: (b & 7) | ((rex & 1) << 3) });
  if (b >= 0x58 && b <= 0x5f) return done({ op: 'pop', reg: (b & 7) | ((rex & 1) << 3) });
  if (b >= 0x70 && b <= 0x7f) return done({ op: 'jcc', cc: b & 15, rel: c.i8(), width: 8 });
  if (b >= 0x91 && b <= 0x97 || (b === 0x90 && (rex & 1) !== 0)) {
    return done({ op: 'xchg', size: vsize, dst: (b & 7) | ((rex & 1) << 3), src: 0 });
  }
  if (b >= 0xb0 && b <= 0xb7) {
    const r = (b & 7) | ((rex & 1) << 3);
    if (!byteOk(r)) return undefined;
    return done({ op: 'mov', size: 8, dst: r, src: { imm: c.i8() } });
  }
  if (b >= 0xb8 && b <= 0xbf) {
    const r = (b & 7) | ((rex & 1) << 3);
    if (w) return done({ op: 'movabs', dst: r, imm: c.u64() });
    return done({ op: 'mov', size: vsize, dst: r, src: { imm: iz(vsize) } });
  }
  switch (b) {
    case 0x63: {
      const m = readModrm(c, rex); if (!m || !w) return undefined;
      return done({ op: 'movsx', size: 64, from: 32, dst: m.reg, src: m.rm });
    }
    case 0x69: case 0x6b: {
      const m = readModrm(c, rex); if (!m) return undefined;
      const size = vsize as 16 | 32 | 64;
      return done({ op: 'imul', size, dst: m.reg, src: m.rm, imm: b === 0x6b ? c.i8() : iz(size) });
    }
    case 0x80: case 0x81: case 0x83: {
      const m = readModrm(c, rex); if (!m) return undefined;
      const size: Size = b === 0x80 ? 8 : vsize;
      if (size === 8 && !byteOk(m.rm)) return undefined;
      const v = b === 0x81 ? iz(size) : c.i8();
      const op = ALU_OPS[m.reg & 7]!;
      return done(lock ? { op, size, dst: m.rm, src: { imm: v }, lock: true } : { op, size, dst: m.rm, src: { imm: v } });
    }
    case 0x84: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8a: case 0x8b: {
      const m = readModrm(c, rex); if (!m) return undefined;
      const size: Size = (b & 1) === 0 ? 8 : vsize;
      if (size === 8 && (!byteOk(m.rm) || !byteOk(m.reg))) return undefined;
      if (b <= 0x85) return done({ op: 'test', size, dst: m.rm, src: m.reg });
      if (b <= 0x87) return done(lock ? { op: 'xchg', size, dst: m.rm, src: m.reg, lock: true } : { op: 'xchg', size, dst: m.rm, src: m.reg });
      if (b <= 0x89) return done({ op: 'mov', size, dst: m.rm, src: m.reg });
      return done({ op: 'mov', size, dst: m.reg, src: m.rm });
    }
    case 0x8d: {
      const m = readModrm(c, rex); if (!m || typeof m.rm === 'number' || vsize === 16) return undefined;
      return done({ op: 'lea', size: vsize, dst: m.reg, src: m.rm });
    }
    case 0x90: return opsize ? done({ op: 'xchg', size: 16, dst: 0, src: 0 }) : done({ op: 'nop' });
    case 0x99: return vsize === 16 ? undefined : done({ op: 'cqo', size: vsize });
    case 0xa8: return done({ op: 'test', size: 8, dst: 0, src: { imm: c.i8() } });
    case 0xa9: return done({ op: 'test', size: vsize, dst: 0, src: { imm: iz(vsize) } });
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      const m = readModrm(c, rex); if (!m) return undefined;
      const size: Size = (b & 1) === 0 ? 8 : vsize;
      const op = SHIFT_BY_DIGIT[m.reg & 7];
      if (op === undefined || (size === 8 && !byteOk(m.rm))) return undefined;
      const count = b <= 0xc1 ? c.u8() : b <= 0xd1 ? 1 : 'cl' as const;
      return done({ op, size, dst: m.rm, count });
    }
    case 0xc3: return done({ op: 'ret' });
    case 0xc6: case 0xc7: {
      const m = readModrm(c, rex); if (!m || (m.reg & 7) !== 0) return undefined;
      const size: Size = b === 0xc6 ? 8 : vsize;
      if (size === 8 && !byteOk(m.rm)) return undefined;
      return done({ op: 'mov', size, dst: m.rm, src: { imm: iz(size) } });
    }
    case 0xcc: return done({ op: 'int3' });
    case 0xc9: return done({ op: 'leave' });
    case 0xe8: return done({ op: 'call', rel: c.i32() });
    case 0xe9: return done({ op: 'jmp', rel: c.i32(), width: 32 });
    case 0xeb: return done({ op: 'jmp', rel: c.i8(), width: 8 });
    case 0xf6: case 0xf7: {
      const m = readModrm(c, rex); if (!m) return undefined;
      const size: Size = b === 0xf6 ? 8 : vsize;
      if (size === 8 && !byteOk(m.rm)) return undefined;
      if ((m.reg & 7) === 0) return done({ op: 'test', size, dst: m.rm, src: { imm: iz(size) } });
      const op = UNARY_BY_DIGIT[m.reg & 7];
      return op === undefined ? undefined : done({ op, size, dst: m.rm });
    }
    case 0xff: {
      const m = readModrm(c, rex); if (!m) return undefined;
      if ((m.reg & 7) === 2) return done({ op: 'call-indirect', target: m.rm });
      if ((m.reg & 7) === 4) return done({ op: 'jmp-indirect', target: m.rm });
      return undefined;
    }
    case 0x0f: break;
    default: return undefined;
  }

  // Two-byte opcodes 0F xx, SDM Vol. 2 Table A-3.
  const b2 = c.u8();
  if (b2 >= 0x80 && b2 <= 0x8f) return done({ op: 'jcc', cc: b2 & 15, rel: c.i32(), width: 32 });
  if (b2 >= 0xc8 && b2 <= 0xcf) {
    if (vsize === 16) return undefined;
    return done({ op: 'bswap', size: vsize, dst: (b2 & 7) | ((rex & 1) << 3) });
  }
  if (b2 === 0x0b) return done({ op: 'ud2' });
  const m = readModrm(c, rex);
  if (!m) return undefined;
  if (b2 === 0x1f && (m.reg & 7) === 0) return done({ op: 'nop' });
  if (b2 >= 0x40 && b2 <= 0x4f) return done({ op: 'cmovcc', cc: b2 & 15, size: vsize as 16 | 32 | 64, dst: m.reg, src: m.rm });
  if (b2 >= 0x90 && b2 <= 0x9f) return byteOk(m.rm) ? done({ op: 'setcc', cc: b2 & 15, dst: m.rm }) : undefined;
  switch (b2) {
    case 0xaf: return done({ op: 'imul', size: vsize as 16 | 32 | 64, dst: m.reg, src: m.rm });
    case 0xb0: case 0xb1: case 0xc0: case 0xc1: {
      const size: Size = (b2 & 1) === 0 ? 8 : vsize;
      if (size === 8 && (!byteOk(m.rm) || !byteOk(m.reg))) return undefined;
      const op = b2 >= 0xc0 ? 'xadd' as const : 'cmpxchg' as const;
      return done(lock ? { op, size, dst: m.rm, src: m.reg, lock: true } : { op, size, dst: m.rm, src: m.reg });
    }
    case 0xb6: case 0xb7: case 0xbe: case 0xbf: {
      const from = (b2 & 1) === 0 ? 8 : 16;
      if (from === 8 && !byteOk(m.rm)) return undefined;
      if (vsize === 16 && from === 16) return undefined;
      return done({ op: b2 < 0xbe ? 'movzx' : 'movsx', size: vsize, from, dst: m.reg, src: m.rm });
    }
    default: return undefined;
  }
}

/** The three-byte VEX forms in the subset: BMI2 shlx/shrx/sarx (SDM Vol. 2 §2.3.5; "SARX/SHLX/SHRX"). */
function decodeVex(c: Cursor, at: number): Decoded | undefined {
  const b1 = c.u8(), b2 = c.u8(), op = c.u8();
  const rex = ((~b1 >> 5) & 7);
  const map = b1 & 31, w = b2 >> 7, vvvv = (~b2 >> 3) & 15, l = (b2 >> 2) & 1, pp = b2 & 3;
  if (map !== 2 || op !== 0xf7 || l !== 0 || pp === 0) return undefined;
  const m = readModrm(c, rex);
  if (!m || !c.ok) return undefined;
  const name = pp === 1 ? 'shlx' as const : pp === 2 ? 'sarx' as const : 'shrx' as const;
  return { inst: { op: name, size: w ? 64 : 32, dst: m.reg, src: m.rm, count: vvvv }, length: c.at - at };
}

/** Decode a whole code block; stops at the first byte outside the subset. */
export function decodeAll(code: Uint8Array): { insts: Decoded[]; end: number } {
  const insts: Decoded[] = [];
  let at = 0;
  while (at < code.length) {
    const d = decodeInst(code, at);
    if (d === undefined) break;
    insts.push(d);
    at += d.length;
  }
  return { insts, end: at };
}
