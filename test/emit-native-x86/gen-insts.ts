/**
 * @file Instruction records for the x86-64 tests: the systematic encoding table
 * (every form × register classes × displacement and immediate boundaries) and
 * a random generator of valid records for the fuzz test.
 */
import { ALU_OPS, SHIFT_OPS, UNARY_OPS, type Inst, type Mem, type RM, type Size } from '../../src/emit-native-x86/insts.js';

/** A deterministic pseudo-random source (xorshift32). */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0 || 1; }
  /** Next 32-bit unsigned value. */
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  /** An integer in [0, n). */
  int(n: number): number { return this.next() % n; }
  /** One element of a list. */
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  /** A random 64-bit value, biased towards edge cases. */
  u64(): bigint {
    switch (this.int(6)) {
      case 0: return BigInt(this.int(16));
      case 1: return BigInt.asUintN(64, -BigInt(1 + this.int(16)));
      case 2: return this.pick([0x7fffffffn, 0x80000000n, 0xffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0x100000000n, 0x80n, 0xffn, 0x7fn, 0x8000n, 0xffffn]);
      default: return BigInt(this.next()) << 32n | BigInt(this.next());
    }
  }
}

const ALL_REGS = [...Array(16).keys()];
/** Displacements at the disp8/disp32 boundaries. */
export const DISPS = [0, 1, -1, 127, 128, -128, -129, 0x7fffffff, -0x80000000] as const;
/** Immediates at the imm8/imm16/imm32 boundaries (filtered per size). */
const IMMS = [0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, -32768, 65535, 0x7fffffff, -0x80000000] as const;
const SIZES: readonly Size[] = [8, 16, 32, 64];

/** Whether `v` fits the immediate field of a `size`-bit instruction, as the encoder accepts it. */
export function immFits(size: Size, v: number): boolean {
  return size === 8 ? v >= -128 && v <= 255 : size === 16 ? v >= -32768 && v <= 65535 : v >= -0x80000000 && v <= 0x7fffffff;
}

/** Memory operands covering every base (rsp/r12 need SIB, rbp/r13 need a displacement), indexes, scales and rip. */
export function memOperands(): Mem[] {
  const out: Mem[] = [];
  for (const base of ALL_REGS) for (const disp of [0, 8, -128, 0x1000]) out.push({ base, disp });
  for (const disp of DISPS) out.push({ base: 3, disp }, { base: 13, disp });
  for (const index of ALL_REGS) if (index !== 4) out.push({ base: 0, index, scale: 1, disp: 0 }, { base: 12, index, scale: 8, disp: 16 });
  for (const scale of [1, 2, 4, 8] as const) for (const base of [4, 5, 12, 13, 8]) out.push({ base, index: 9, scale, disp: scale === 2 ? 0 : -300 });
  out.push({ base: 'rip', disp: 0 }, { base: 'rip', disp: 64 }, { base: 'rip', disp: -1000 });
  return out;
}

/** The systematic table of instruction records. */
export function tableInsts(): Inst[] {
  const t: Inst[] = [];
  const mems = memOperands();
  const sampleMems = [mems[0]!, mems[4 * 4]!, mems[5 * 4]!, mems[12 * 4 + 1]!, mems[13 * 4 + 2]!, mems[mems.length - 2]!, { base: 1, index: 12, scale: 4, disp: 200 } as Mem];
  // mov in every form
  for (const size of SIZES) {
    for (const a of ALL_REGS) t.push({ op: 'mov', size, dst: a, src: (a * 5 + 3) % 16 });
    for (const m of size === 64 ? mems : sampleMems) t.push({ op: 'mov', size, dst: m, src: size === 8 ? 6 : 9 }, { op: 'mov', size, dst: 7, src: m });
    for (const v of IMMS) if (immFits(size, v)) t.push({ op: 'mov', size, dst: size === 8 ? 5 : 0, src: { imm: v } }, { op: 'mov', size, dst: 11, src: { imm: v } });
    t.push({ op: 'mov', size, dst: { base: 4, disp: 8 }, src: { imm: -1 } }, { op: 'mov', size, dst: { base: 13, disp: 0 }, src: { imm: 100 } });
  }
  for (const v of [0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x123456789abcdefn]) for (const r of [0, 7, 8, 15]) t.push({ op: 'movabs', dst: r, imm: v });
  // extensions
  for (const r of ALL_REGS) {
    t.push({ op: 'movzx', size: 32, from: 8, dst: r, src: 15 - r }, { op: 'movzx', size: 64, from: 16, dst: r, src: (r + 4) % 16 });
    t.push({ op: 'movsx', size: 64, from: 8, dst: r, src: (r + 6) % 16 }, { op: 'movsx', size: 64, from: 32, dst: r, src: 15 - r });
  }
  for (const op of ['movzx', 'movsx'] as const) {
    for (const [size, from] of [[16, 8], [32, 8], [64, 8], [32, 16], [64, 16]] as const) {
      for (const m of sampleMems) t.push({ op, size, from, dst: 2, src: m });
    }
  }
  for (const m of sampleMems) t.push({ op: 'movsx', size: 64, from: 32, dst: 10, src: m });
  for (const m of mems) t.push({ op: 'lea', size: 64, dst: 1, src: m });
  for (const m of sampleMems) t.push({ op: 'lea', size: 32, dst: 14, src: m });
  // arithmetic
  for (const op of ALU_OPS) {
    for (const size of SIZES) {
      t.push({ op, size, dst: 0, src: 3 }, { op, size, dst: 12, src: 6 }, { op, size, dst: 4, src: 13 });
      for (const v of IMMS) if (immFits(size, v)) t.push({ op, size, dst: 0, src: { imm: v } }, { op, size, dst: 9, src: { imm: v } });
      t.push({ op, size, dst: { base: 4, disp: 16 }, src: 2 }, { op, size, dst: 2, src: { base: 13, disp: -8 } });
      t.push({ op, size, dst: { base: 7, disp: 0 }, src: { imm: 1 } }, { op, size, dst: { base: 7, disp: 0 }, src: { imm: 1000 & (size === 8 ? 0x7f : 0xffff) } });
    }
  }
  for (const op of ['add', 'or', 'and', 'xor', 'sub'] as const) {
    for (const size of SIZES) t.push({ op, size, dst: { base: 10, disp: -8 }, src: 1, lock: true });
    t.push({ op, size: 64, dst: { base: 0, disp: 0 }, src: { imm: 5 }, lock: true });
  }
  for (const size of SIZES) {
    for (const v of IMMS) if (immFits(size, v)) t.push({ op: 'test', size, dst: 0, src: { imm: v } }, { op: 'test', size, dst: 14, src: { imm: v } });
    t.push({ op: 'test', size, dst: 0, src: 0 }, { op: 'test', size, dst: 5, src: 12 }, { op: 'test', size, dst: { base: 6, disp: 4 }, src: 7 });
    t.push({ op: 'test', size, dst: { base: 6, disp: 4 }, src: { imm: 3 } });
  }
  for (const size of [16, 32, 64] as const) {
    for (const r of [0, 3, 8, 15]) t.push({ op: 'imul', size, dst: r, src: (r + 5) % 16 }, { op: 'imul', size, dst: r, src: { base: r, disp: 8 } });
    for (const v of IMMS) if (immFits(size, v) && (size !== 16 || v <= 32767)) t.push({ op: 'imul', size, dst: 2, src: 11, imm: v });
    t.push({ op: 'imul', size, dst: 9, src: { base: 4, disp: 0 }, imm: 100 });
  }
  for (const op of Object.keys(UNARY_OPS) as (keyof typeof UNARY_OPS)[]) {
    for (const size of SIZES) for (const dst of [0, 6, 9, { base: 12, disp: 0 } as RM]) t.push({ op, size, dst });
  }
  for (const op of Object.keys(SHIFT_OPS) as (keyof typeof SHIFT_OPS)[]) {
    for (const size of SIZES) {
      for (const count of [1, 0, 2, 8, 31, 63, 'cl'] as const) t.push({ op, size, dst: size === 8 ? 7 : 13, count });
      t.push({ op, size, dst: 0, count: 'cl' }, { op, size, dst: { base: 5, disp: 0 }, count: 3 });
    }
  }
  for (const op of ['shlx', 'shrx', 'sarx'] as const) {
    for (const size of [32, 64] as const) {
      for (const r of ALL_REGS) t.push({ op, size, dst: r, src: (r + 3) % 16, count: 15 - r });
      t.push({ op, size, dst: 2, src: { base: 12, disp: 0 }, count: 9 }, { op, size, dst: 10, src: { base: 13, index: 1, scale: 4, disp: -8 }, count: 0 });
    }
  }
  for (const r of ALL_REGS) t.push({ op: 'bswap', size: 32, dst: r }, { op: 'bswap', size: 64, dst: r }, { op: 'rol', size: 16, dst: r, count: 8 });
  for (const size of SIZES) {
    for (const [a, b] of [[0, 1], [1, 0], [3, 9], [14, 0], [0, 0], [5, 6], [12, 13]]) t.push({ op: 'xchg', size, dst: a!, src: b! });
    t.push({ op: 'xchg', size, dst: { base: 7, disp: 8 }, src: 0 }, { op: 'xchg', size, dst: { base: 12, disp: 0 }, src: 11 });
    t.push({ op: 'xchg', size, dst: { base: 5, disp: -8 }, src: 12, lock: true });
    for (const op of ['xadd', 'cmpxchg'] as const) {
      t.push({ op, size, dst: { base: 10, disp: -16 }, src: 1, lock: true }, { op, size, dst: { base: 4, disp: 0 }, src: 15, lock: true });
      t.push({ op, size, dst: 3, src: 6 }, { op, size, dst: { base: 0, disp: 0 }, src: 0 });
    }
  }
  for (let cc = 0; cc < 16; cc++) {
    t.push({ op: 'setcc', cc, dst: cc }, { op: 'setcc', cc, dst: { base: cc === 4 ? 5 : cc, disp: cc } });
    t.push({ op: 'cmovcc', cc, size: 64, dst: cc, src: 15 - cc }, { op: 'cmovcc', cc, size: 32, dst: 1, src: { base: 13, disp: 0 } });
    t.push({ op: 'cmovcc', cc, size: 16, dst: 8, src: 2 });
    for (const rel of [0, 127, -128]) t.push({ op: 'jcc', cc, rel, width: 8 });
    for (const rel of [0, 127, -128, 128, -129, 100000, -100000]) t.push({ op: 'jcc', cc, rel, width: 32 });
  }
  for (const rel of [0, 1, 127, -128, -2]) t.push({ op: 'jmp', rel, width: 8 });
  for (const rel of [0, 5, 127, -128, 128, -129, 0x7fffffff - 100, -0x7fffff00]) t.push({ op: 'jmp', rel, width: 32 }, { op: 'call', rel });
  for (const target of [0, 4, 5, 8, 12, 13, 15, { base: 0, disp: 0 } as RM, { base: 4, disp: 8 } as RM, { base: 13, index: 1, scale: 8, disp: 0 } as RM]) {
    t.push({ op: 'jmp-indirect', target }, { op: 'call-indirect', target });
  }
  for (const reg of ALL_REGS) t.push({ op: 'push', reg }, { op: 'pop', reg });
  t.push({ op: 'cqo', size: 64 }, { op: 'cqo', size: 32 }, { op: 'ret' }, { op: 'nop' }, { op: 'ud2' }, { op: 'int3' }, { op: 'leave' }, { op: 'endbr64' });
  return t;
}

/** A random memory operand (any base, optional index, any disp width). */
export function randomMem(rng: Rng): Mem {
  const base = rng.int(20) === 0 ? 'rip' as const : rng.int(16);
  const disp = rng.pick([0, rng.int(256) - 128, (rng.next() | 0), rng.int(4096) - 2048]);
  if (base === 'rip' || rng.int(2) === 0) return { base, disp };
  let index = rng.int(16);
  if (index === 4) index = 12;
  return { base, index, scale: rng.pick([1, 2, 4, 8] as const), disp };
}

/** A random immediate that fits a `size`-bit instruction. */
function randomImm(rng: Rng, size: Size): number {
  const v = rng.pick([rng.int(256) - 128, rng.next() | 0, rng.int(65536) - 32768, rng.pick(IMMS)]);
  if (immFits(size, v)) return v;
  return size === 8 ? (v << 24) >> 24 : size === 16 ? (v << 16) >> 16 : v | 0;
}

/** A random valid instruction record of any form. */
export function randomInst(rng: Rng): Inst {
  const size = rng.pick(SIZES);
  const r = (): number => rng.int(16);
  const rm = (): RM => (rng.int(2) === 0 ? r() : randomMem(rng));
  switch (rng.int(22)) {
    case 0: {
      const k = rng.int(3);
      if (k === 0) return { op: 'mov', size, dst: rm(), src: r() };
      if (k === 1) return { op: 'mov', size, dst: r(), src: randomMem(rng) };
      return { op: 'mov', size, dst: rm(), src: { imm: randomImm(rng, size) } };
    }
    case 1: return { op: 'movabs', dst: r(), imm: rng.u64() };
    case 2: {
      const [s, from] = rng.pick([[16, 8], [32, 8], [64, 8], [32, 16], [64, 16]] as const);
      return { op: rng.pick(['movzx', 'movsx'] as const), size: s, from, dst: r(), src: rm() };
    }
    case 3: return { op: 'movsx', size: 64, from: 32, dst: r(), src: rm() };
    case 4: return { op: 'lea', size: rng.pick([32, 64] as const), dst: r(), src: randomMem(rng) };
    case 5: case 6: {
      const op = rng.pick(ALU_OPS);
      const k = rng.int(4);
      if (k === 0) return { op, size, dst: rm(), src: r() };
      if (k === 1) return { op, size, dst: r(), src: randomMem(rng) };
      if (k === 2) return { op, size, dst: rm(), src: { imm: randomImm(rng, size) } };
      return { op, size, dst: randomMem(rng), src: r(), lock: op !== 'cmp' };
    }
    case 7: return { op: 'test', size, dst: rm(), src: rng.int(2) === 0 ? r() : { imm: randomImm(rng, size) } };
    case 8: {
      const s = rng.pick([16, 32, 64] as const);
      return rng.int(2) === 0 ? { op: 'imul', size: s, dst: r(), src: rm() } : { op: 'imul', size: s, dst: r(), src: rm(), imm: randomImm(rng, s === 16 ? 16 : 32) << (s === 16 ? 16 : 0) >> (s === 16 ? 16 : 0) };
    }
    case 9: return { op: rng.pick(Object.keys(UNARY_OPS) as (keyof typeof UNARY_OPS)[]), size, dst: rm() };
    case 10: return { op: rng.pick(Object.keys(SHIFT_OPS) as (keyof typeof SHIFT_OPS)[]), size, dst: rm(), count: rng.int(4) === 0 ? 'cl' : rng.int(size) };
    case 11: return rng.int(2) === 0 ? { op: 'bswap', size: rng.pick([32, 64] as const), dst: r() }
      : { op: rng.pick(['shlx', 'shrx', 'sarx'] as const), size: rng.pick([32, 64] as const), dst: r(), src: rm(), count: r() };
    case 12: {
      const dst = rm();
      return typeof dst === 'number' ? { op: 'xchg', size, dst, src: r() } : { op: 'xchg', size, dst, src: r(), lock: rng.int(2) === 0 };
    }
    case 13: return { op: rng.pick(['xadd', 'cmpxchg'] as const), size, dst: rm(), src: r(), lock: rng.int(2) === 0 };
    case 14: return { op: 'setcc', cc: rng.int(16), dst: rm() };
    case 15: return { op: 'cmovcc', cc: rng.int(16), size: rng.pick([16, 32, 64] as const), dst: r(), src: rm() };
    case 16: {
      const width = rng.pick([8, 32] as const);
      return { op: 'jcc', cc: rng.int(16), rel: width === 8 ? rng.int(256) - 128 : rng.next() % 2000000 - 1000000, width };
    }
    case 17: {
      const width = rng.pick([8, 32] as const);
      return { op: 'jmp', rel: width === 8 ? rng.int(256) - 128 : rng.next() % 2000000 - 1000000, width };
    }
    case 18: return { op: 'call', rel: rng.next() % 2000000 - 1000000 };
    case 19: return { op: rng.pick(['jmp-indirect', 'call-indirect'] as const), target: rm() };
    case 20: return { op: rng.pick(['push', 'pop'] as const), reg: r() };
    default: return rng.pick<Inst>([{ op: 'cqo', size: 64 }, { op: 'cqo', size: 32 }, { op: 'ret' }, { op: 'nop' }, { op: 'ud2' }, { op: 'int3' }, { op: 'leave' }, { op: 'endbr64' }]);
  }
}
