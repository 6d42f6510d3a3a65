/**
 * @file The fast interpreter against the reference: the conformance suite, the
 * own run cases, and random programs compared register for register.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError, formatDiagnostic } from '../../src/diag/index.js';
import { runConformanceProgram } from '../../src/interp/conformance.js';
import { H, hasOwnLoop, prepare, run, runFast, type Program } from '../../src/interp/index.js';
import { make, type Insn } from '../../src/isa/insn.js';
import { OP, OPCODES } from '../../src/isa/opcodes.js';
import { caseProgram, parseConformanceData } from '../harness/conformance-data.js';

const here = dirname(fileURLToPath(import.meta.url));
const suite = resolve(here, '..', '..', '..', 'shared', 'bpf-conformance', 'tests');

function outcome(bytes: Uint8Array, mem: Uint8Array | undefined, engine: 'reference' | 'fast'): string {
  try {
    return `0x${runConformanceProgram(bytes, mem, { engine }).r0.toString(16)}`;
  } catch (e) {
    if (e instanceof DiagnosticError) return formatDiagnostic(e.diagnostic);
    throw e;
  }
}

t.test('handler numbers are the literals the dispatch switches use', async (t) => {
  t.same({ ...H }, {
    ALU64: 0, ALU32: 16, NEG64: 32, NEG32: 33, LE: 34, BE: 35, BSWAP: 36, JA: 40, JCOND64: 41, JCOND32: 53,
    CALL: 65, CALL_LOCAL: 66, CALL_KFUNC: 67, CALLX: 68, EXIT: 69, LDDW: 70, LDABS: 71, LDIND: 72, LDX: 73,
    LDXS: 74, ST: 75, STX: 76, ATOMIC32: 80, ATOMIC64: 88, FELL_OFF: 126, NONE: 127,
  });
});

t.test('own run cases and the conformance suite agree on both engines', async (t) => {
  const dirs = ['alu', 'jmp', 'mem', 'atomic', 'call', 'errors'].map((d) => join(here, '..', 'run', d));
  if (existsSync(suite)) dirs.push(suite);
  else t.comment(`conformance suite not found at ${suite}: own cases only`);
  let n = 0;
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.data')).sort()) {
      if (f === 'budget.data') continue; // 10 million steps on each engine: covered in interp.test.ts
      const c = parseConformanceData(readFileSync(join(dir, f), 'utf8'), f);
      const bytes = caseProgram(c);
      const mem = c.hasMem ? c.mem : undefined;
      const want = c.error ?? `0x${c.result!.toString(16)}`;
      t.equal(outcome(bytes, mem, 'fast'), want, f);
      n++;
    }
  }
  t.comment(`${n} cases on the fast interpreter`);
});

t.test('random programs: fast and reference agree on every register and the stack', async (t) => {
  let seed = 0x2545f491;
  const rnd = (n: number): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const EDGES = [0n, 1n, 2n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
    0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffen, 0xffffffff80000000n];
  const value = (): bigint => {
    if (rnd(2) === 0) return EDGES[rnd(EDGES.length)]!;
    return (BigInt(rnd(2 ** 30) * 4 + rnd(4)) << 34n) ^ BigInt(rnd(2 ** 30)) ^ (rnd(3) === 0 ? 0xffffffff00000000n : 0n);
  };
  const imm = (): number => {
    const pick = rnd(4);
    return pick === 0 ? rnd(64) : pick === 1 ? -rnd(64) : pick === 2 ? [0, -1, 0x7fffffff, -0x80000000, 1][rnd(5)]! : (rnd(2 ** 31) - 2 ** 30) | 0;
  };
  const body = OPCODES.map((row, op) => ({ row, op })).filter(({ row }) =>
    ['alu', 'neg', 'end', 'jcond', 'ldx', 'st', 'stx', 'atomic', 'ldabs', 'ldind'].includes(row.kind));
  const N = 24;
  const gen = (): Insn[] => {
    const insns: Insn[] = [];
    let pc = 0;
    for (let r = 0; r <= 9; r++) { insns.push(make(OP.LDDW!, { dst: r, imm64: value(), pc })); pc += 2; }
    for (let i = 0; i < N; i++) {
      const { row, op } = body[rnd(body.length)]!;
      const reg = (): number => rnd(10);
      const size = row.size ?? 8;
      const slot = -8 * (1 + rnd(8)) - (size < 8 ? size * rnd(8 / size) : 0) + (size < 8 ? 0 : 0);
      switch (row.kind) {
        case 'alu': case 'neg': case 'end': case 'jcond': {
          // operands as the row's field rules allow (a K row has src 0, an X row imm 0)
          const src = row.fields.src === 'reg' ? reg() : 0;
          const im = row.fields.imm === 'any' ? imm() : 0;
          insns.push(make(op, { dst: reg(), src, imm: im, off: row.kind === 'jcond' ? rnd(N - i) : 0, pc }));
          break;
        }
        case 'ldx': insns.push(make(op, { dst: reg(), src: 10, off: slot, pc })); break;
        case 'st': insns.push(make(op, { dst: 10, off: slot, imm: imm(), pc })); break;
        case 'stx': case 'atomic': insns.push(make(op, { dst: 10, src: reg(), off: slot, pc })); break;
        case 'ldabs': insns.push(make(op, { imm: rnd(20), pc })); break;
        case 'ldind': insns.push(make(op, { src: reg(), imm: rnd(20), pc })); break;
      }
      pc++;
    }
    for (let r = 0; r <= 9; r++) { insns.push(make(OP.STXDW!, { dst: 10, src: r, off: -512 + 8 * r, pc })); pc++; }
    insns.push(make(OP.EXIT!, { pc }));
    return insns;
  };
  const exec = (p: Program, fast: boolean): string => {
    const memory = new LinearMemory();
    const stack = memory.map('stack', 'stack', 4096, true);
    const pkt = memory.map('packet', 'packet', 16, false);
    for (let i = 0; i < 16; i++) memory.bytes[pkt.start + i] = (i * 37 + 11) & 0xff;
    const options = { memory, stack, packet: { start: pkt.start, size: 16 } };
    try {
      const r = (fast ? runFast : run)(p, options);
      const top = stack.start + stack.size;
      return `r0=${r.r0.toString(16)} n=${r.insnCount} stack=${Buffer.from(memory.bytes.subarray(top - 512, top)).toString('hex')}`;
    } catch (e) {
      if (e instanceof DiagnosticError) return formatDiagnostic(e.diagnostic);
      throw e;
    }
  };
  let mismatches = 0;
  const ROUNDS = 3000;
  for (let i = 0; i < ROUNDS; i++) {
    const p = prepare(gen());
    const a = exec(p, false);
    const b = exec(p, true);
    if (a !== b) {
      mismatches++;
      if (mismatches <= 3) t.fail(`program ${i}:\n${p.insns.map((x) => `${OPCODES[x.op]!.name} d${x.dst} s${x.src} o${x.off} i${x.imm}`).join('\n')}\nreference ${a.slice(0, 200)}\nfast      ${b.slice(0, 200)}`);
    }
  }
  t.equal(mismatches, 0, `${ROUNDS} random programs agree`);
});

t.test('running off the end is RUN_FELL_OFF at the slot past the last, on both engines', async (t) => {
  // the last instruction is not an exit: sequentially, and returning from a call that is the last slot
  const straight = [make(OP.MOV64_K!, { dst: 0, imm: 1, pc: 0 }), make(OP.ADD64_K!, { dst: 0, imm: 1, pc: 1 })];
  const viaCall = [
    make(OP.JA!, { off: 2, pc: 0 }),
    make(OP.MOV64_K!, { dst: 0, imm: 7, pc: 1 }), make(OP.EXIT!, { pc: 2 }),
    make(OP.CALL_LOCAL!, { imm: -3, pc: 3 }),
  ];
  for (const [name, insns, end] of [['straight', straight, 2], ['after a call', viaCall, 4]] as const) {
    for (const engine of [run, runFast]) {
      const memory = new LinearMemory();
      try {
        engine(prepare(insns), { memory });
        t.fail(`${name}: ran off the end without an error`);
      } catch (e) {
        t.ok(e instanceof DiagnosticError, `${name}: a diagnostic`);
        t.same([(e as DiagnosticError).code, (e as DiagnosticError).diagnostic.location.pc], ['RUN_FELL_OFF', end], `${name} (${engine.name})`);
      }
    }
  }
});

t.test('64-bit unsigned division and modulo by small divisors match the reference at every boundary', async (t) => {
  // the fast interpreter divides by divisors below 2^21 in two steps of doubles
  const dividends = [0n, 1n, 0xffffffffn, 0x100000000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 0x123456789abcdef0n];
  const divisors = [1n, 2n, 3n, 7n, 0xffffn, 2n ** 20n - 1n, 2n ** 20n, 2n ** 20n + 1n, 2n ** 21n - 1n, 2n ** 21n, 2n ** 21n + 1n];
  let seed = 12345;
  const next = (): bigint => { seed = (seed * 1103515245 + 12345) >>> 0; return BigInt(seed); };
  for (let i = 0; i < 200; i++) dividends.push(((next() << 32n) | next()) & (2n ** 64n - 1n));
  for (let i = 0; i < 40; i++) divisors.push(1n + (next() % (2n ** 21n - 1n)));
  // exact quotients just below and above a multiple: the rounding cases of a double division
  for (const b of [3n, 2n ** 21n - 1n, 1048573n]) for (const q of [2n ** 32n - 1n, 2n ** 31n + 5n]) dividends.push(q * b - 1n, q * b, q * b + b - 1n);
  let bad = 0;
  let n = 0;
  for (const a of dividends) {
    for (const b of divisors) {
      for (const op of [OP.DIV64_X!, OP.MOD64_X!]) {
        const insns: Insn[] = [
          make(OP.LDDW!, { dst: 0, imm64: a, pc: 0 }),
          make(OP.LDDW!, { dst: 1, imm64: b, pc: 2 }),
          make(op, { dst: 0, src: 1, pc: 4 }),
          make(OP.EXIT!, { pc: 5 }),
        ];
        const p = prepare(insns);
        const memory = new LinearMemory();
        const stack = memory.map('stack', 'stack', 4096, true);
        const want = op === OP.DIV64_X ? a / b : a % b;
        if (run(p, { memory, stack }).r0 !== want || runFast(p, { memory, stack }).r0 !== want) bad++;
        n++;
      }
    }
  }
  t.equal(bad, 0, `${n} divisions agree with BigInt arithmetic`);
});

t.test('a hot program moves to its own copy of the loop and keeps every result', async (t) => {
  // a counted loop through a bpf-to-bpf call: r6 = 0..4999, r7 = mix(r7, r6); about 10 instructions a turn
  const insns: Insn[] = [
    make(OP.MOV64_K!, { dst: 6, imm: 0, pc: 0 }),
    make(OP.MOV64_X!, { dst: 7, src: 1, pc: 1 }),
    make(OP.MOV64_X!, { dst: 1, src: 7, pc: 2 }),
    make(OP.MOV64_X!, { dst: 2, src: 6, pc: 3 }),
    make(OP.CALL_LOCAL!, { imm: 5, pc: 4 }),
    make(OP.MOV64_X!, { dst: 7, src: 0, pc: 5 }),
    make(OP.ADD64_K!, { dst: 6, imm: 1, pc: 6 }),
    make(OP.JLT64_K!, { dst: 6, imm: 5000, off: -6, pc: 7 }),
    make(OP.MOV64_X!, { dst: 0, src: 7, pc: 8 }),
    make(OP.EXIT!, { pc: 9 }),
    // mix(a, b) = (a ^ b) * 0x9e3779b1 + (a >> 7) % (b + 3)
    make(OP.MOV64_X!, { dst: 0, src: 1, pc: 10 }),
    make(OP.XOR64_X!, { dst: 0, src: 2, pc: 11 }),
    make(OP.MUL64_K!, { dst: 0, imm: 0x1e3779b1, pc: 12 }),
    make(OP.RSH64_K!, { dst: 1, imm: 7, pc: 13 }),
    make(OP.ADD64_K!, { dst: 2, imm: 3, pc: 14 }),
    make(OP.MOD64_X!, { dst: 1, src: 2, pc: 15 }),
    make(OP.ADD64_X!, { dst: 0, src: 1, pc: 16 }),
    make(OP.EXIT!, { pc: 17 }),
  ];
  const p = prepare(insns);
  const memory = new LinearMemory();
  const stack = memory.map('stack', 'stack', 4096, true);
  let bad = 0;
  let runs = 0;
  for (; runs < 200 && !hasOwnLoop(p); runs++) {
    const seed = BigInt(runs) * 0x123456789n;
    if (runFast(p, { memory, stack, args: [seed] }).r0 !== run(p, { memory, stack, args: [seed] }).r0) bad++;
  }
  t.ok(hasOwnLoop(p), `its own loop after ${runs} runs`);
  for (let i = 0; i < 20; i++) {
    const seed = BigInt(i) * 0xfedcba987n;
    const fast = runFast(p, { memory, stack, args: [seed] });
    const ref = run(p, { memory, stack, args: [seed] });
    if (fast.r0 !== ref.r0 || fast.insnCount !== ref.insnCount) bad++;
  }
  t.equal(bad, 0, 'r0 and instruction counts agree with the reference before and after');
  t.notOk(hasOwnLoop(prepare(insns)), 'a new program starts on the shared loop');
});
