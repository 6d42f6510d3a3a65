/**
 * @file Random straight-line and forward-branching AArch64 programs that run
 * the same on any AArch64 CPU: no SP, X29 or X30; memory only through the
 * base register X27 into one block; LL/SC and atomics on aligned addresses.
 */
import * as A from '../../src/emit-arm64/insts.js';
import type { Inst, LdStOp, Reg } from '../../src/emit-arm64/insts.js';
import { Rng, randomAlu } from './random-inst.js';

/** The register holding the block address (never written except by balanced writebacks). */
export const BASE: Reg = 27;
/** The scratch register for computed addresses and indexes. */
export const SCRATCH: Reg = 26;
/** Size of the memory block; BASE points at its middle. */
export const BLOCK = 1024;
/** BASE's initial offset into the block. */
export const BASE_OFFSET = 512;

/** Registers that hold data. */
export const DATA: readonly Reg[] = [...Array.from({ length: 26 }, (_, k) => k), 28];

type Unit = { insts: Inst[] } | { branch: (offset: number) => Inst; target: number };

const LD_ST: readonly LdStOp[] = ['strb', 'strh', 'str', 'ldrb', 'ldrh', 'ldr', 'ldrsb', 'ldrsh', 'ldrsw'];

/** Add a signed constant to `rn` into `rd` with one ADD/SUB immediate. */
const addConst = (rd: Reg, rn: Reg, k: number): Inst => (k >= 0 ? A.addImm(true, rd, rn, k) : A.subImm(true, rd, rn, -k));

function dataReg(g: Rng): Reg { return g.pick(DATA); }

/** An access offset relative to BASE, aligned to `align`, with the access inside the block. */
function offsetFor(g: Rng, size: number, align: number, lo = -BASE_OFFSET, hi = BLOCK - BASE_OFFSET - size): number {
  const k = g.range(Math.ceil(lo / align), Math.floor(hi / align));
  return k * align;
}

function aluUnit(g: Rng): Inst[] {
  const o = { data: DATA, allow31: false };
  switch (g.int(10)) {
    case 0: return [A.cmpImm(g.bool(), dataReg(g), g.int(4096), g.bool())];
    case 1: return [A.cmnImm(g.bool(), dataReg(g), g.int(4096), false)];
    case 2: return [A.cmp(g.bool(), dataReg(g), dataReg(g))];
    case 3: return [g.bool() ? A.tst(g.bool(), dataReg(g), dataReg(g)) : A.neg(g.bool(), dataReg(g), dataReg(g))];
    case 4: return [g.int(4) === 0 ? A.nop() : A.tstImm(g.bool(), dataReg(g), 0xffn << BigInt(g.int(24)))];
    default: return [randomAlu(g, o)];
  }
}

function memoryUnit(g: Rng): Inst[] {
  const op = g.pick(LD_ST);
  const sf = op === 'ldrsw' ? true : op === 'str' || op === 'ldr' || op === 'ldrsb' || op === 'ldrsh' ? g.bool() : false;
  const size = A.accessBytes(op, sf);
  const rt = dataReg(g);
  switch (g.int(6)) {
    case 0: return [A.ldst(op, sf, rt, BASE, offsetFor(g, size, size, 0), 'uimm')];
    case 1: return [A.ldst(op, sf, rt, BASE, offsetFor(g, size, 1, -256, 255 - size + 1), 'unscaled')];
    case 2: case 3: {
      const mode = g.bool() ? 'pre' : 'post';
      const off = offsetFor(g, size, 1, -256, 255 - size + 1);
      return [A.ldst(op, sf, rt, BASE, off, mode), addConst(BASE, BASE, -off)];
    }
    default: {
      const extend = g.pick(['uxtw', 'lsl', 'sxtw', 'sxtx'] as const);
      const scaled = g.bool();
      const scale = scaled ? size : 1;
      const lo = extend === 'uxtw' ? 0 : -BASE_OFFSET;
      const byteOff = offsetFor(g, size, scale, lo);
      const index = byteOff / scale;
      const set = index >= 0 ? A.moveWide('movz', true, SCRATCH, index) : A.moveWide('movn', true, SCRATCH, -index - 1);
      const rt2 = rt === SCRATCH ? 0 : rt;
      return [set, A.ldstReg(op, sf, rt2, BASE, SCRATCH, extend, scaled)];
    }
  }
}

function pairUnit(g: Rng): Inst[] {
  const sf = g.bool(), size = sf ? 8 : 4, load = g.bool();
  const rt = dataReg(g);
  let rt2 = dataReg(g);
  while (load && rt2 === rt) rt2 = dataReg(g);
  const mode = g.pick(['offset', 'pre', 'post'] as const);
  const off = offsetFor(g, 2 * size, size, Math.max(-64 * size, -BASE_OFFSET), Math.min(63 * size, BLOCK - BASE_OFFSET - 2 * size));
  const inst = A.pair(load, sf, rt, rt2, BASE, off, mode);
  return mode === 'offset' ? [inst] : [inst, addConst(BASE, BASE, -off)];
}

function atomicUnit(g: Rng): Inst[] {
  const size = g.pick([4, 8] as const);
  const off = offsetFor(g, size, size, -256, 255 - size);
  const notScratch = (): Reg => { let r = dataReg(g); while (r === SCRATCH) r = dataReg(g); return r; };
  const enter = addConst(SCRATCH, BASE, off), leave = A.addSub('sub', true, SCRATCH, SCRATCH, BASE);
  switch (g.int(3)) {
    case 0: return [enter, A.atomic(g.pick(['ldadd', 'ldclr', 'ldeor', 'ldset', 'swp'] as const), size, notScratch(),
      notScratch(), SCRATCH, g.pick(['', 'a', 'l', 'al'] as const)), leave];
    case 1: return [enter, A.cas(size, notScratch(), notScratch(), SCRATCH, g.pick(['', 'a', 'l', 'al'] as const)), leave];
    default: {
      const xsize = g.pick([1, 2, 4, 8] as const);
      const xoff = offsetFor(g, xsize, xsize, -256, 255 - xsize);
      const rt = notScratch();
      const value = notScratch();
      let status = notScratch();
      while (status === value) status = notScratch();
      return [addConst(SCRATCH, BASE, xoff), A.exclusive(g.bool() ? 'ldxr' : 'ldaxr', xsize, 31, rt, SCRATCH),
        A.exclusive(g.bool() ? 'stxr' : 'stlxr', xsize, status, value, SCRATCH), leave];
    }
  }
}

/** A random program of about `n` units, ending in RET. */
export function randomProgram(g: Rng, n: number): Inst[] {
  const units: Unit[] = [];
  for (let k = 0; k < n; k++) {
    const pick = g.int(20);
    if (pick < 9) units.push({ insts: aluUnit(g) });
    else if (pick < 13) units.push({ insts: memoryUnit(g) });
    else if (pick < 15) units.push({ insts: pairUnit(g) });
    else if (pick < 17) units.push({ insts: atomicUnit(g) });
    else {
      const target = g.range(k + 1, n); // n = the final RET
      const rt = dataReg(g), sf = g.bool(), cond = g.int(16), bit = g.int(64);
      const branch = [
        (o: number): Inst => A.bcond(cond, o),
        (o: number): Inst => A.cbz(g.bool(), sf, rt, o),
        (o: number): Inst => A.tbz(g.bool(), rt, bit, o),
        (o: number): Inst => A.b(o),
      ][g.int(g.int(8) === 0 ? 4 : 3)]!;
      const nonzero = g.bool();
      units.push({ branch: (o) => { const i = branch(o); return 'nonzero' in i ? { ...i, nonzero } : i; }, target });
    }
  }
  // Lay out, then fill in branch offsets.
  const start: number[] = [];
  let pc = 0;
  for (const u of units) { start.push(pc); pc += 'insts' in u ? u.insts.length * 4 : 4; }
  start.push(pc);
  const out: Inst[] = [];
  units.forEach((u, k) => {
    if ('insts' in u) out.push(...u.insts); else out.push(u.branch(start[u.target]! - start[k]!));
  });
  out.push(A.ret());
  return out;
}
