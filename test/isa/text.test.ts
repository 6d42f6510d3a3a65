/** @file Disassembler and assembler: round trips, the conformance corpus, and llvm-mc as an oracle. */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { assemble } from '../../src/isa/asm.js';
import { disassemble, formatInsn } from '../../src/isa/disasm.js';
import { encode, make, type Insn } from '../../src/isa/insn.js';
import { OPCODES } from '../../src/isa/opcodes.js';

let seed = 99;
const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
const IMMS = [0, 1, -1, 7, 0x7fffffff, -0x80000000, 255, -4096, 123456];
const OFFS = [0, 1, -1, 8, -8, 0x7fff, -0x8000, 512];

/** A random valid instance of every row (jump targets kept inside a 1-instruction program are not needed for text). */
function instances(perRow: number): Insn[] {
  const out: Insn[] = [];
  OPCODES.forEach((row, op) => {
    for (let i = 0; i < perRow; i++) {
      const reg = (rule: string): number => (rule === 'wreg' ? rnd(10) : rule === 'reg' ? rnd(11) : 0);
      const f = row.fields;
      const insn = make(op, {
        dst: reg(f.dst), src: f.src === 'match' ? 0 : reg(f.src),
        off: f.off === 'any' ? pick(OFFS) : 0,
        imm: f.imm === 'any' ? pick(IMMS) : 0,
        imm64: row.kind === 'lddw' ? BigInt.asUintN(64, BigInt(pick(IMMS)) * 0x100000001n) : undefined,
      });
      out.push(row.kind === 'lddw' && row.match!.value !== 0 ? { ...insn, imm2: row.match!.value === 2 || row.match!.value === 6 ? pick(OFFS) : 0 } : insn);
    }
  });
  return out;
}

t.test('conformance syntax: assemble(disassemble(x)) == x for every row', async (t) => {
  const insns = instances(8);
  let pc = 0;
  const placed = insns.map((i) => { const p = { ...i, pc }; pc += i.imm2 === undefined ? 1 : 2; return p; });
  const text = disassemble(placed, 'conformance');
  const back = assemble(text);
  t.same(back.diagnostics, []);
  t.equal(back.insns.length, placed.length);
  placed.forEach((insn, i) => {
    t.equal(Buffer.from(encode([back.insns[i]!])).toString('hex'), Buffer.from(encode([insn])).toString('hex'), formatInsn(insn));
  });
});

t.test('assembler: labels, predefined exit, errors with line numbers', async (t) => {
  const r = assemble('mov %r0, 1\njeq %r0, 1, done\nmov %r0, 2\ndone:\nja exit\nexit\n');
  t.same(r.diagnostics, []);
  t.equal(r.insns[1]!.off, 1);
  t.equal(r.insns[3]!.off, 0);
  const bad = assemble('mov %r0, 1\nfrob %r1\nldxw %r0, [%r1+99999]\nja nowhere\n');
  t.same(bad.diagnostics.map((d) => d.message), [
    'line 2: unknown mnemonic "frob"',
    'line 3: offset +99999 does not fit in 16 bits',
    'line 4: undefined label "nowhere"',
  ]);
});

const suite = new URL('../../../shared/bpf-conformance/tests/', import.meta.url);
t.test('every program of the conformance suite assembles', { skip: existsSync(suite) ? false : 'skipped: ../shared/bpf-conformance is absent' }, async (t) => {
  let n = 0;
  for (const name of readdirSync(suite).filter((f) => f.endsWith('.data'))) {
    const text = readFileSync(new URL(name, suite), 'utf8');
    const asm = /-- asm\n([\s\S]*?)(?=\n--|$)/.exec(text.replace(/#.*$/gm, ''));
    if (asm === null) continue;
    const r = assemble(asm[1]!);
    t.same(r.diagnostics, [], name);
    n++;
  }
  t.ok(n >= 313, `${n} programs assembled`);
});

/**
 * Rows llvm-mc 14 (Debian 12) cannot assemble: v4 additions, mod, jset,
 * store-immediate, atomics other than add, callx, pseudo lddw, ldind with an offset.
 */
function llvm14Supports(insn: Insn): boolean {
  const row = OPCODES[insn.op]!;
  if (row.version === 4 || row.alu === 'mod') return false;
  if (row.kind === 'ldind' && insn.imm !== 0) return false;
  if (row.cond === 'jset' || row.kind === 'st' || row.kind === 'callx') return false;
  if (row.kind === 'atomic') return row.atomic === 'add' && !row.fetch;
  if (row.kind === 'lddw' && row.match!.value !== 0) return false;
  if (row.kind === 'call' && row.name !== 'CALL_HELPER') return false;
  return true;
}

const llvmMc = ((): string | undefined => {
  for (const p of ['/usr/bin/llvm-mc', '/usr/lib/llvm-14/bin/llvm-mc']) if (existsSync(p)) return p;
  return undefined;
})();

t.test('llvm syntax: llvm-mc assembles our text to our bytes', { skip: llvmMc ? false : 'skipped: llvm-mc not installed (apt-get install llvm)' }, async (t) => {
  const insns = instances(6).filter(llvm14Supports);
  const text = insns.map((i) => formatInsn(i, 'llvm')).join('\n') + '\n';
  const out = execFileSync(llvmMc!, ['-triple', 'bpfel', '-show-encoding'], { input: text, encoding: 'utf8' });
  const encodings = [...out.matchAll(/encoding: \[([^\]]*)\]/g)].map((m) =>
    m[1]!.split(',').map((b) => Number(b)).map((b) => b.toString(16).padStart(2, '0')).join(''));
  t.equal(encodings.length, insns.length, 'one encoding per instruction');
  insns.forEach((insn, i) => {
    t.equal(encodings[i], Buffer.from(encode([insn])).toString('hex'), formatInsn(insn, 'llvm'));
  });
  t.ok(new Set(insns.map((i) => i.op)).size > 100, 'covers over 100 rows');
});
