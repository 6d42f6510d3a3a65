/** @file Random AArch64 instruction records for the fuzz and differential tests. */
import * as A from '../../src/emit-arm64/insts.js';
import type { Inst, LdStOp, Reg } from '../../src/emit-arm64/insts.js';
import { decodeBitmask } from '../../src/emit-arm64/bitmask.js';

/** A small deterministic PRNG (xorshift32). */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0 || 1; }
  /** A uniform 32-bit value. */
  u32(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  /** An integer in [0, n). */
  int(n: number): number { return this.u32() % n; }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  /** A coin toss. */
  bool(): boolean { return (this.u32() & 1) === 1; }
  /** One element. */
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  /** A 64-bit value biased towards boundaries. */
  u64(): bigint {
    switch (this.int(6)) {
      case 0: return BigInt(this.range(0, 4));
      case 1: return BigInt.asUintN(64, -BigInt(this.range(1, 4)));
      case 2: return 1n << BigInt(this.int(64));
      case 3: return BigInt(this.u32());
      case 4: return 0x7fffffffn + BigInt(this.range(-2, 2)) + (this.bool() ? 0xffffffff00000000n : 0n);
      default: return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
    }
  }
}

/** Choices the generator may use. */
export interface GenOptions {
  /** Registers that may be written and read as data (never 31). */
  readonly data: readonly Reg[];
  /** Whether register 31 may appear (as SP or ZR) in data positions. */
  readonly allow31: boolean;
}

/** Any register number, or one of `data`. */
function r(g: Rng, o: GenOptions): Reg {
  if (o.allow31 && g.int(8) === 0) return 31;
  return g.pick(o.data);
}

/** A random bitmask immediate at the width. */
export function randomBitmask(g: Rng, sf: boolean): bigint {
  for (;;) {
    const n = sf ? g.int(2) : 0;
    const v = decodeBitmask(n, g.int(sf ? 64 : 32), g.int(64), sf);
    if (v !== undefined) return v;
  }
}

const SHIFTS = ['lsl', 'lsr', 'asr'] as const;
const LD_ST_OPS: readonly LdStOp[] = ['strb', 'strh', 'str', 'ldrb', 'ldrh', 'ldr', 'ldrsb', 'ldrsh', 'ldrsw'];

/** A random arithmetic/logic instruction (no memory, no control flow). */
export function randomAlu(g: Rng, o: GenOptions): Inst {
  const sf = g.bool();
  const w = sf ? 64 : 32;
  const rd = (): Reg => r(g, o);
  switch (g.int(15)) {
    case 0: return { kind: 'addSubImm', op: g.pick(['add', 'adds', 'sub', 'subs'] as const), sf, rd: rd(), rn: rd(),
      imm12: g.pick([0, 1, 4095, g.int(4096)]), lsl12: g.bool() };
    case 1: return A.addSub(g.pick(['add', 'adds', 'sub', 'subs'] as const), sf, rd(), rd(), rd(), g.pick(SHIFTS),
      g.int(w));
    case 2: return A.logicalImm(g.pick(['and', 'orr', 'eor', 'ands'] as const), sf, rd(), rd(), randomBitmask(g, sf));
    case 3: return A.logical(g.pick(['and', 'orr', 'eor', 'ands', 'bic', 'orn', 'eon', 'bics'] as const), sf, rd(),
      rd(), rd(), g.pick(['lsl', 'lsr', 'asr', 'ror'] as const), g.int(w));
    case 4: return A.moveWide(g.pick(['movz', 'movn', 'movk'] as const), sf, rd(),
      g.pick([0, 0xffff, 0x8000, g.int(0x10000)]), g.int(sf ? 4 : 2));
    case 5: {
      const immr = g.int(w), imms = g.int(w);
      return { kind: 'bitfield', op: g.pick(['sbfm', 'ubfm'] as const), sf, rd: rd(), rn: rd(), immr, imms };
    }
    case 6: {
      const k = g.int(6);
      if (k === 0) return A.lslImm(sf, rd(), rd(), g.int(w));
      if (k === 1) return A.lsrImm(sf, rd(), rd(), g.int(w));
      if (k === 2) return A.asrImm(sf, rd(), rd(), g.int(w));
      if (k === 3) return A.sxt(sf, rd(), rd(), sf ? g.pick([8, 16, 32] as const) : g.pick([8, 16] as const));
      return A.uxt(rd(), rd(), g.pick([8, 16] as const));
    }
    case 7: return A.dp2(g.pick(['udiv', 'sdiv', 'lslv', 'lsrv', 'asrv', 'rorv'] as const), sf, rd(), rd(), rd());
    case 8: {
      const op = g.pick(['rbit', 'rev16', 'rev32', 'rev', 'clz'] as const);
      return A.dp1(op, op === 'rev32' ? true : sf, rd(), rd());
    }
    case 9: {
      const op = g.pick(['madd', 'msub', 'umulh', 'smulh'] as const);
      const wide = op === 'umulh' || op === 'smulh';
      return { kind: 'dp3', op, sf: wide ? true : sf, rd: rd(), rn: rd(), rm: rd(), ra: wide ? 31 : rd() };
    }
    case 10: return A.condSelect(g.pick(['csel', 'csinc', 'csinv', 'csneg'] as const), sf, rd(), rd(), rd(), g.int(16));
    case 11: { const x = rd(); return A.condSelect(g.pick(['csinc', 'csinv', 'csneg'] as const), sf, rd(), x, x, g.int(14)); }
    case 12: return A.cset(sf, rd(), g.int(14));
    case 13: return A.mov(sf, rd(), rd());
    default: return A.mul(sf, rd(), rd(), rd());
  }
}

/** Any instruction the layer encodes, with unconstrained registers (for the assembler round trip). */
export function randomAny(g: Rng): Inst {
  const all: GenOptions = { data: Array.from({ length: 31 }, (_, k) => k), allow31: true };
  const reg = (): Reg => g.int(32);
  const sf = g.bool();
  switch (g.int(12)) {
    case 0: return A.b(4 * g.range(-(2 ** 25), 2 ** 25 - 1));
    case 1: return g.bool() ? A.bl(4 * g.range(-1000, 1000)) : A.bcond(g.int(16), 4 * g.range(-(2 ** 18), 2 ** 18 - 1));
    case 2: return g.bool() ? A.cbz(g.bool(), sf, reg(), 4 * g.range(-(2 ** 18), 2 ** 18 - 1))
      : A.tbz(g.bool(), reg(), g.int(64), 4 * g.range(-(2 ** 13), 2 ** 13 - 1));
    case 3: return A.branchReg(g.pick(['br', 'blr', 'ret'] as const), reg());
    case 4: case 5: {
      const op = g.pick(LD_ST_OPS);
      const osf = op === 'ldrsw' ? true : op === 'str' || op === 'ldr' || op === 'ldrsb' || op === 'ldrsh' ? sf : false;
      const bytes = A.accessBytes(op, osf);
      const mode = g.pick(['uimm', 'unscaled', 'pre', 'post', 'reg'] as const);
      let rt = reg();
      const rn = reg();
      if (mode === 'reg') {
        return A.ldstReg(op, osf, rt, rn, reg(), g.pick(['uxtw', 'lsl', 'sxtw', 'sxtx'] as const), g.bool());
      }
      if ((mode === 'pre' || mode === 'post') && rt === rn && rn !== 31) rt = (rn + 1) % 31;
      const offset = mode === 'uimm' ? bytes * g.pick([0, 1, 4095, g.int(4096)]) : g.pick([-256, 255, 0, g.range(-256, 255)]);
      return A.ldst(op, osf, rt, rn, offset, mode);
    }
    case 6: {
      const load = g.bool();
      const mode = g.pick(['offset', 'pre', 'post'] as const);
      let rt = reg(), rt2 = reg();
      const rn = reg();
      if (load && rt === rt2) rt2 = (rt + 1) % 32;
      if (mode !== 'offset' && rn !== 31) {
        while (rt === rn || rt2 === rn || (load && rt === rt2)) { rt = g.int(32); rt2 = g.int(32); }
      }
      return A.pair(load, sf, rt, rt2, rn, (sf ? 8 : 4) * g.range(-64, 63), mode);
    }
    case 7: {
      const op = g.pick(['ldxr', 'ldaxr', 'stxr', 'stlxr'] as const);
      const size = g.pick([1, 2, 4, 8] as const);
      const rt = reg(), rn = reg();
      let rs = reg();
      while (rs === rt || (rs === rn && rn !== 31)) rs = g.int(32);
      return A.exclusive(op, size, op.startsWith('ld') ? 31 : rs, rt, rn);
    }
    case 8: return A.atomic(g.pick(['ldadd', 'ldclr', 'ldeor', 'ldset', 'swp'] as const), g.pick([4, 8] as const),
      reg(), reg(), reg(), g.pick(['', 'a', 'l', 'al'] as const));
    case 9: return A.cas(g.pick([4, 8] as const), reg(), reg(), reg(), g.pick(['', 'a', 'l', 'al'] as const));
    case 10: return g.bool() ? A.nop() : A.brk(g.int(0x10000));
    default: return randomAlu(g, all);
  }
}
