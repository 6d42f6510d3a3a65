/**
 * @file Differential test on random programs: valid eBPF programs with 32- and
 * 64-bit arithmetic (division, shifts, byte swaps, sign extension), forward
 * branches, bounded loops, stack slots (some promotable, some not), loads,
 * stores and atomics on the input memory, helper calls and bpf-to-bpf calls
 * are run by the interpreter and, after
 * lifting and optimising at -O0, -O1 and -O2 (checker on; -O2 unrolls loops), by the IR
 * evaluator. They must agree on r0, on the fault code and on memory.
 * `RANDOM_PROGRAMS=N` runs N programs (default 300); `RANDOM_SEED=S` picks the seed;
 * `RANDOM_DUMP=file` writes the first failing program there.
 */

import t from 'tap';
import { writeFileSync } from 'node:fs';
import { conformanceHelpers } from '../../src/abi/helper-env.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError, formatDiagnostic } from '../../src/diag/index.js';
import { evalModule } from '../../src/ir/eval.js';
import { run } from '../../src/interp/interp.js';
import { prepare } from '../../src/interp/program.js';
import { assemble } from '../../src/isa/asm.js';
import type { Insn } from '../../src/isa/insn.js';
import { lift } from '../../src/lift/lift.js';
import { runPipeline } from '../../src/opt/pipeline.js';

/** mulberry32: a small deterministic generator. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const MEM = 64;

class Gen {
  private label = 0;
  /** The register holding the input memory's address (r6 in the main program, r1 in the subprogram). */
  private base = 6;
  /** Whether calls may be generated (main program only). */
  private calls = true;
  constructor(private readonly r: () => number) {}
  int(n: number): number { return Math.floor(this.r() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  imm(): number {
    return this.pick([0, 1, -1, 2, 7, 31, 32, 63, 64, 255, -128, 0x7fffffff, -0x80000000, this.int(1 << 16), -this.int(1000)]);
  }
  reg(avoid: readonly number[] = []): string {
    const regs = [0, 2, 3, 4, 5, 6, 7, 8, 9].filter((x) => !avoid.includes(x) && x !== this.base);
    return `%r${this.pick(regs)}`;
  }

  alu(avoid: readonly number[]): string {
    const d = this.reg(avoid);
    const w = this.pick(['', '32']);
    const op = this.pick(['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor', 'mov']);
    const src = this.r() < 0.5 ? this.reg() : String(this.imm());
    return `${op}${w} ${d}, ${src}`;
  }

  stmt(avoid: readonly number[]): string[] {
    const k = this.int(100);
    const d = this.reg(avoid);
    if (k < 40) return [this.alu(avoid)];
    if (k < 44) return [`${this.pick(['neg', 'neg32'])} ${d}`];
    if (k < 48) return [`${this.pick(['be16', 'be32', 'be64', 'le16', 'le32', 'le64', 'bswap16', 'bswap32', 'bswap64'])} ${d}`];
    if (k < 52) return [`${this.pick(['movsx864', 'movsx1664', 'movsx3264', 'movsx832', 'movsx1632'])} ${d}, ${this.reg()}`];
    if (k < 66) {
      // Stack: 8-byte slots at fixed offsets (promotable), and a shared area with mixed sizes (not).
      const [sz, suffix] = this.pick([[8, 'dw'], [4, 'w'], [2, 'h'], [1, 'b']] as const);
      const off = this.r() < 0.6 && sz === 8 ? -8 * (1 + this.int(4)) : -64 + sz * this.int(16 / sz);
      if (this.r() < 0.15) {
        // A pointer derived from r10 (clang's key pointers), used as a base or handed to a helper.
        const p = this.reg(avoid);
        const k = -8 * (1 + this.int(8));
        const use = this.r() < 0.5
          ? [`stx${suffix} [${p}+${this.int(2) * sz}], ${this.reg()}`]
          : this.calls ? [`mov %r1, ${p}`, 'call 5', ...[1, 2, 3, 4, 5].map((x) => `mov %r${x}, ${this.imm()}`)] : [`ldx${suffix} ${this.reg(avoid)}, [${p}+0]`];
        return [`mov ${p}, %r10`, `add ${p}, ${k}`, ...use];
      }
      if (this.r() < 0.5) return [`stx${suffix} [%r10${off}], ${this.reg()}`];
      if (this.r() < 0.3) return [`st${suffix} [%r10${off}], ${this.imm()}`];
      return [`ldx${this.r() < 0.2 && sz !== 8 ? 's' : ''}${suffix} ${d}, [%r10${off}]`];
    }
    if (k < 80) {
      const [sz, suffix] = this.pick([[8, 'dw'], [4, 'w'], [2, 'h'], [1, 'b']] as const);
      // Now and then just past the end of the memory: a fault every level must report alike.
      const off = this.r() < 0.03 ? MEM - sz + 1 + this.int(8) : sz * this.int(MEM / sz);
      if (this.r() < 0.4) return [`stx${suffix} [%r${this.base}+${off}], ${this.reg()}`];
      return [`ldx${suffix} ${d}, [%r${this.base}+${off}]`];
    }
    if (k < 85) {
      const wide = this.r() < 0.5;
      const off = (wide ? 8 : 4) * this.int(MEM / (wide ? 8 : 4));
      const op = this.pick(['add', 'or', 'and', 'xor', 'fetch add', 'fetch or', 'xchg', 'cmpxchg']);
      return [`lock ${op}${wide ? '' : '32'} [%r${this.base}+${off}], ${this.reg()}`];
    }
    if (k < 90 && this.calls) {
      // Calls clobber r1-r5 (the IR reads them as 0 afterwards, the interpreter keeps the callee's): set them again.
      const reinit = [1, 2, 3, 4, 5].map((x) => `mov %r${x}, ${this.imm()}`);
      if (this.r() < 0.3) return [`mov %r1, ${this.pick([1, 2, 0x1234, -1])}`, 'call 5', ...reinit];
      const args = [2, 3, 4, 5].map((x) => `mov %r${x}, ${this.reg()}`);
      return [...args, `mov %r1, %r${this.base}`, 'call local sub', ...reinit];
    }
    return [this.alu(avoid)];
  }

  block(n: number, depth: number, avoid: readonly number[]): string[] {
    const items: string[][] = [];
    const labels = new Map<number, string>();
    for (let i = 0; i < n; i++) {
      const k = this.int(100);
      if (k < 15 && i < n - 1) {
        const target = i + 1 + this.int(n - i);
        let name = labels.get(target);
        if (name === undefined) { name = `l${this.label++}`; labels.set(target, name); }
        const cond = this.pick(['jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jset', 'jsgt', 'jsge', 'jslt', 'jsle']);
        const w = this.pick(['', '32']);
        const src = this.r() < 0.5 ? this.reg() : String(this.imm());
        items.push([`${cond}${w} ${this.reg()}, ${src}, ${name}`]);
      } else if (k < 22 && depth < 2) {
        const counter = depth === 0 ? 9 : 8;
        const name = `loop${this.label++}`;
        const body = this.block(2 + this.int(5), depth + 1, [...avoid, counter]);
        items.push([`mov %r${counter}, ${1 + this.int(4)}`, `${name}:`, ...body, `sub %r${counter}, 1`, `jne %r${counter}, 0, ${name}`]);
      } else {
        items.push(this.stmt(avoid));
      }
    }
    const out: string[] = [];
    items.forEach((lines, i) => {
      const l = labels.get(i);
      if (l !== undefined) out.push(`${l}:`);
      out.push(...lines);
    });
    const end = labels.get(n);
    if (end !== undefined) out.push(`${end}:`);
    return out;
  }

  program(): string {
    this.base = 6;
    this.calls = true;
    const init = [0, 2, 3, 4, 5, 7, 8, 9].map((r) => `mov %r${r}, ${this.imm()}`);
    const main = [...init, 'mov %r6, %r1', ...this.block(8 + this.int(20), 0, [9, 8]), 'exit'];
    // The subprogram: r1 is the memory, r2-r5 arguments; r0 and r6-r9 are set before use
    // (the interpreter would show the caller's values there, the IR zeros; see docs/ir.md).
    this.base = 1;
    this.calls = false;
    // Its frame is cleared first: an earlier call leaves bytes there that the interpreter would show.
    const clear = Array.from({ length: 8 }, (_, k) => `stdw [%r10-${8 * (k + 1)}], 0`);
    const sub = ['sub:', ...clear, ...[0, 6, 7, 8, 9].map((r) => `mov %r${r}, ${this.imm()}`), ...this.block(3 + this.int(8), 0, [9, 8]), 'exit'];
    return [...main, ...sub].join('\n');
  }
}

interface Outcome { readonly r0?: bigint; readonly error?: string; readonly mem: string }

function execute(insns: readonly Insn[], mem: Uint8Array, how: 'interp' | 0 | 1 | 2): Outcome {
  const memory = new LinearMemory();
  const region = memory.map('input', 'input', mem.length, true);
  memory.bytes.set(mem, region.start);
  const args = [BigInt(region.start), BigInt(mem.length)];
  const snapshot = (): string => Buffer.from(memory.bytes.slice(region.start, region.start + region.size)).toString('hex');
  try {
    if (how === 'interp') {
      const r = run(prepare(insns), { memory, args, helpers: conformanceHelpers(), budget: 100_000 });
      return { r0: r.r0, mem: snapshot() };
    }
    const lifted = lift(insns, { entryArgs: 2 });
    if (lifted.module === undefined) return { error: lifted.diagnostics.map(formatDiagnostic).join('; '), mem: snapshot() };
    // -O2 unrolls by 3, so exits land in every position of the copies.
    runPipeline(lifted.module, { level: how, checkIR: true, context: { unroll: 3 } });
    const r = evalModule(lifted.module, { memory, args, helpers: conformanceHelpers(), budget: 400_000 });
    return { r0: r.r0, mem: snapshot() };
  } catch (e) {
    if (e instanceof DiagnosticError) return { error: e.code, mem: snapshot() };
    throw e;
  }
}

const count = Number(process.env['RANDOM_PROGRAMS'] ?? 300);
const seed = Number(process.env['RANDOM_SEED'] ?? 20261122);

t.test(`${count} random programs agree with the interpreter at every level`, async (t) => {
  const r = rng(seed);
  const gen = new Gen(r);
  let mismatches = 0;
  let compared = 0;
  let faults = 0;
  for (let n = 0; n < count; n++) {
    const text = gen.program();
    const asm = assemble(text);
    if (asm.diagnostics.length > 0) {
      t.fail(`generator produced bad assembly: ${asm.diagnostics.map(formatDiagnostic).join('; ')}\n${text}`);
      return;
    }
    const mem = new Uint8Array(MEM).map(() => gen.int(256));
    const want = execute(asm.insns, mem, 'interp');
    if (want.error === 'RUN_BUDGET') continue;
    if (want.error !== undefined) faults++;
    for (const level of [0, 1, 2] as const) {
      let got: Outcome;
      try {
        got = execute(asm.insns, mem, level);
      } catch (e) {
        t.fail(`program ${n} at -O${level}: ${String(e)}\n${text}`);
        const dump = process.env['RANDOM_DUMP'];
        if (dump !== undefined) writeFileSync(dump, text);
        return;
      }
      compared++;
      if (got.r0 !== want.r0 || got.error !== want.error || got.mem !== want.mem) {
        mismatches++;
        if (mismatches <= 3) t.same(got, want, `program ${n} at -O${level}:\n${text}`);
        const dump = process.env['RANDOM_DUMP'];
        if (dump !== undefined && mismatches === 1) writeFileSync(dump, text);
      }
    }
  }
  t.equal(mismatches, 0, `${compared} runs compared, ${faults} programs fault (seed ${seed})`);
});
