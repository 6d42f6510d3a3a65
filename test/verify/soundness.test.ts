/**
 * @file Soundness fuzz: random programs (arithmetic, stack pointers with
 * constant and variable offsets, loads and stores, forward branches) that the
 * verifier accepts must run on the checked interpreter without a memory fault.
 */

import t from 'tap';
import type { Test } from 'tap';
import { make, type Insn } from '../../src/isa/insn.js';
import { OP } from '../../src/isa/opcodes.js';
import { interpret } from '../../src/interp/index.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { verifyProgram } from '../../src/verify/index.js';

let seed = 12345;
const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
/** A second stream (xorshift32, every bit usable) for the branchy programs and the context words. */
let seed2 = 2463534242;
const rnd2 = (n: number): number => { seed2 ^= seed2 << 13; seed2 ^= seed2 >>> 17; seed2 ^= seed2 << 5; return (seed2 >>> 0) % n; };
const pick2 = <T>(xs: readonly T[]): T => xs[rnd2(xs.length)]!;

const SIZES = ['B', 'H', 'W', 'DW'] as const;
const ALU = ['ADD', 'SUB', 'AND', 'OR', 'XOR', 'LSH', 'RSH', 'MUL'] as const;
const JMP = ['JEQ', 'JNE', 'JGT', 'JGE', 'JLT', 'JLE', 'JSGT', 'JSLT', 'JSET'] as const;

/** A random program of `n` instructions ending in `r0 = 0; exit`. */
function randomProgram(n: number): Insn[] {
  const regs = [0, 2, 3, 4, 5];
  const out: Insn[] = regs.map((r, pc) => (r === 5 ? make(OP.MOV64_X!, { dst: 5, src: 10, pc }) : make(OP.MOV64_K!, { dst: r, imm: rnd(16), pc })));
  const start = out.length;
  n += start;
  for (let pc = start; pc < n; pc++) {
    const k = rnd(10);
    const dst = pick(regs);
    if (k === 0) out.push(make(OP.MOV64_K!, { dst, imm: rnd(40) - 8, pc }));
    else if (k === 1) out.push(make(OP.MOV64_X!, { dst, src: pick([10, ...regs]), pc }));
    else if (k === 2) out.push(make(OP[`${pick(ALU)}64_K`]!, { dst, imm: rnd(16) - 4, pc }));
    else if (k === 3) out.push(make(OP[`${pick(ALU)}64_X`]!, { dst, src: pick(regs), pc }));
    else if (k === 4) out.push(make(OP[`LDX${pick(SIZES)}`]!, { dst, src: pick([10, ...regs]), off: -rnd(40), pc }));
    else if (k === 5) out.push(make(OP[`STX${pick(SIZES)}`]!, { dst: pick([10, ...regs]), src: pick(regs), off: -rnd(40), pc }));
    else if (k === 6) out.push(make(OP[`ST${pick(SIZES)}`]!, { dst: pick([10, ...regs]), imm: rnd(100), off: -rnd(40), pc }));
    else if (k === 7 && pc + 2 < n) out.push(make(OP[`${pick(JMP)}64_K`]!, { dst, imm: rnd(20), off: rnd(Math.min(4, n - pc - 1)), pc }));
    else if (k === 8) out.push(make(OP.AND64_K!, { dst, imm: pick([7, 15, 31]), pc }));
    else out.push(make(OP.ADD64_K!, { dst, imm: -8 * (1 + rnd(4)), pc }));
  }
  out.push(make(OP.MOV64_K!, { dst: 0, imm: 0, pc: n }), make(OP.EXIT!, { pc: n + 1 }));
  return out;
}

/** Verify `count` random programs; run the accepted ones on the interpreter with random context words. */
function fuzz(t: Test, count: number, program: () => Insn[]): { accepted: number; pruned: number } {
  let accepted = 0; let faults = 0; let pruned = 0;
  for (let i = 0; i < count; i++) {
    const insns = program();
    const r = verifyProgram(insns, { progType: 'socket_filter', logLevel: 1 });
    if (r.verdict !== 'accepted') continue;
    accepted++;
    if (/^\d+: safe$/m.test(r.log)) pruned++;
    const memory = new LinearMemory();
    const ctx = memory.map('ctx', 'ctx', 192, true);
    const words = new DataView(memory.wasm.buffer, ctx.start, 20);
    for (let k = 0; k < 5; k++) words.setUint32(k * 4, rnd2(100), true);
    try {
      interpret(insns, { memory, args: [BigInt(ctx.start)] });
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      faults++;
      t.fail(`accepted program faulted: ${e.message}\n${insns.map((x) => `${x.pc}: ${OP_NAME[x.op]} ${x.dst} ${x.src} ${x.off} ${x.imm}`).join('\n')}`);
    }
  }
  t.equal(faults, 0);
  return { accepted, pruned };
}

/**
 * A random program of `n` instructions that often verifies: numbers in r0-r4
 * (read from the context, set, copied, combined, stored to and loaded from aligned
 * stack slots, compared in forward branches) and stack accesses at `r10 - 64 + rX`, safe only where the
 * branches taken so far bound rX to [0, 63].
 */
function branchyProgram(n: number): Insn[] {
  const regs = [0, 1, 2, 3, 4];
  // unknown numbers from the context's first five words (r1, the context pointer, last)
  const out: Insn[] = [0, 2, 3, 4, 1].map((r, pc) => make(OP.LDXW!, { dst: r, src: 1, off: 4 * pc, pc }));
  const add = (op: string, f: { dst?: number; src?: number; off?: number; imm?: number }): void => { out.push(make(OP[op]!, { ...f, pc: out.length })); };
  while (out.length < n) {
    const k = rnd2(9);
    const dst = pick2(regs);
    if (k === 0) add('MOV64_K', { dst, imm: rnd2(80) });
    else if (k === 1) add(`${pick2(['ADD', 'SUB', 'AND', 'OR', 'RSH'] as const)}64_K`, { dst, imm: 1 + rnd2(40) });
    else if (k === 2) add(`${pick2(['ADD', 'AND', 'OR', 'XOR'] as const)}64_X`, { dst, src: pick2(regs) });
    else if (k === 3) add('STXDW', { dst: 10, src: dst, off: -8 * (1 + rnd2(8)) });
    else if (k === 4) add('LDXDW', { dst, src: 10, off: -8 * (1 + rnd2(8)) });
    else if (k === 5) add(`${pick2(['JGT', 'JLT', 'JGE', 'JLE', 'JEQ', 'JNE'] as const)}64_K`, { dst, imm: rnd2(80), off: 1 + rnd2(6) });
    else if (k === 6) {
      add('MOV64_X', { dst: 7, src: 10 });
      add('ADD64_K', { dst: 7, imm: -64 });
      add('ADD64_X', { dst: 7, src: dst });
      add('STB', { dst: 7, off: 0, imm: 1 });
    } else if (k === 7) add('MOV64_X', { dst, src: pick2(regs) }); // copies: linked numbers that one branch bounds together
    else add('AND64_K', { dst, imm: pick2([15, 31, 63, 127]) });
  }
  // branches may point past the end: land them on the exit sequence
  const end = out.length;
  for (const i of out) if (i.op === OP.JGT64_K || i.op === OP.JLT64_K || i.op === OP.JGE64_K || i.op === OP.JLE64_K || i.op === OP.JEQ64_K || i.op === OP.JNE64_K) {
    if (i.pc + 1 + i.off > end) out[i.pc] = make(i.op, { dst: i.dst, imm: i.imm, off: end - i.pc - 1, pc: i.pc });
  }
  out.push(make(OP.MOV64_K!, { dst: 0, imm: 0, pc: end }), make(OP.EXIT!, { pc: end + 1 }));
  return out;
}

t.test('accepted random programs never fault on the interpreter', (t) => {
  const { accepted } = fuzz(t, 8000, () => randomProgram(4 + rnd(12)));
  t.comment(`${accepted} of 8000 random programs accepted and run`);
  t.ok(accepted > 100, 'enough programs accepted to mean something');
  t.end();
});

t.test('accepted longer random programs, where paths are pruned, never fault', (t) => {
  const { accepted, pruned } = fuzz(t, 3000, () => branchyProgram(20 + rnd2(30)));
  t.comment(`${accepted} of 3000 longer random programs accepted and run, ${pruned} of them with pruned paths`);
  t.ok(pruned > 20, 'enough accepted programs had paths pruned to mean something');
  t.end();
});

const OP_NAME: Record<number, string> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));
