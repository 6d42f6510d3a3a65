/**
 * @file Soundness fuzz: random programs (arithmetic, stack pointers with
 * constant and variable offsets, loads and stores, forward branches) that the
 * verifier accepts must run on the checked interpreter without a memory fault.
 */

import t from 'tap';
import { make, type Insn } from '../../src/isa/insn.js';
import { OP } from '../../src/isa/opcodes.js';
import { interpret } from '../../src/interp/index.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { verifyProgram } from '../../src/verify/index.js';

let seed = 12345;
const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;

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

t.test('accepted random programs never fault on the interpreter', (t) => {
  let accepted = 0; let faults = 0;
  for (let i = 0; i < 8000; i++) {
    const insns = randomProgram(4 + rnd(12));
    const r = verifyProgram(insns, { progType: 'socket_filter' });
    if (r.verdict !== 'accepted') continue;
    accepted++;
    const memory = new LinearMemory();
    const ctx = memory.map('ctx', 'ctx', 192, true);
    try {
      interpret(insns, { memory, args: [BigInt(ctx.start)] });
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      faults++;
      t.fail(`accepted program faulted: ${e.message}\n${insns.map((x) => `${x.pc}: ${OP_NAME[x.op]} ${x.dst} ${x.src} ${x.off} ${x.imm}`).join('\n')}`);
    }
  }
  t.comment(`${accepted} of 8000 random programs accepted and run`);
  t.ok(accepted > 100, 'enough programs accepted to mean something');
  t.equal(faults, 0);
  t.end();
});

const OP_NAME: Record<number, string> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));
