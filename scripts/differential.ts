/**
 * @file Long differential runs: random valid eBPF programs (the generator of
 * `test/emit-wasm/random-prog.ts`: ALU32/64, jumps, bounded loops, stack and
 * input memory, atomics, helper calls, bpf-to-bpf calls) on every host
 * backend — the reference interpreter, the fast interpreter, WebAssembly and
 * both emulated CPUs — each result (r0, or the fault's code and pc) and the
 * input memory afterwards compared with the reference interpreter's.
 *
 *   node dist/scripts/differential.js [--seconds N | --count N] [--seed S] [--backends a,b]
 *
 * Prints progress every 10 s, then one line per mismatch (at most 20, with
 * the program's disassembly) and a summary; exits 1 on any mismatch. The
 * test suite runs the same generator for a bounded number of programs.
 */

import { conformanceHelpers } from '../src/abi/helper-env.js';
import { DiagnosticError } from '../src/diag/index.js';
import type { BpfObject, ProgramSpec } from '../src/elf/types.js';
import { BACKENDS } from '../src/host/backend.js';
import { Instance } from '../src/host/instance.js';
import { disassemble } from '../src/isa/disasm.js';
import type { Insn } from '../src/isa/insn.js';
import { PROG_INPUT_SIZE, randomProgram } from '../test/emit-wasm/random-prog.js';
import { rng } from '../test/emit-wasm/random-ir.js';

interface Options { seconds: number; count: number; seed: number; backends: string[] }

function parse(argv: readonly string[]): Options {
  const o: Options = { seconds: 60, count: Infinity, seed: 1, backends: [...BACKENDS.keys()].filter((b) => b !== 'interp') };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--seconds': o.seconds = Number(v); i++; break;
      case '--count': o.count = Number(v); o.seconds = Infinity; i++; break;
      case '--seed': o.seed = Number(v); i++; break;
      case '--backends': o.backends = (v ?? '').split(',').filter((s) => s !== ''); i++; break;
      default:
        process.stderr.write(`usage: differential [--seconds N | --count N] [--seed S] [--backends ${[...BACKENDS.keys()].join(',')}]\n`);
        process.exit(2);
    }
  }
  for (const b of o.backends) {
    if (!BACKENDS.has(b)) { process.stderr.write(`unknown backend "${b}"; known: ${[...BACKENDS.keys()].join(', ')}\n`); process.exit(2); }
  }
  if (!(o.seconds > 0) || !(o.count > 0) || !Number.isFinite(o.seed)) { process.stderr.write('--seconds, --count and --seed take positive numbers\n'); process.exit(2); }
  return o;
}

/** Helper 1 of the random programs: a mix of its arguments (as in the tests); 5 is the suite's "unwind". */
function helpers(): ReturnType<typeof conformanceHelpers> {
  const h = conformanceHelpers();
  h.set(1, (_env, a, b, c, d, e) => BigInt.asUintN(64, a * 3n + b - c + (d ^ e)));
  return h;
}

/** r0 or the fault, and the input bytes afterwards, on one backend. */
function outcome(backend: string, insns: readonly Insn[], input: Uint8Array): string {
  const prog: ProgramSpec = {
    name: 'main', section: '.text', type: 0, insns, origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true,
  };
  const object: BpfObject = { license: '', endian: 'little', programs: [prog], maps: [], diagnostics: [] };
  const instance = new Instance(object, { helpers: helpers() });
  const region = instance.memory.map('input', 'input', input.length, true);
  instance.memory.bytes.set(input, region.start);
  let result: string;
  try {
    const exe = BACKENDS.get(backend)!.load(prog, instance);
    result = `r0 ${exe.run(region.start).r0}`;
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    // loop budgets count differently (instructions, iterations): the code alone
    result = e.code === 'RUN_BUDGET' ? e.code : `${e.code} pc ${e.diagnostic.location.pc ?? '?'}`;
  }
  const after = Buffer.from(instance.memory.bytes.slice(region.start, region.start + region.size)).toString('hex');
  return `${result} input ${after}`;
}

function main(): void {
  const o = parse(process.argv.slice(2));
  const r = rng(o.seed);
  const start = Date.now();
  let lastReport = start;
  let programs = 0;
  let insnTotal = 0;
  const mismatches: string[] = [];
  const perBackend = new Map(o.backends.map((b) => [b, 0]));
  while (programs < o.count && Date.now() - start < o.seconds * 1000) {
    const insns = randomProgram(r, Math.floor(r() * 3));
    const input = Uint8Array.from({ length: PROG_INPUT_SIZE }, () => Math.floor(r() * 256));
    const want = outcome('interp', insns, input);
    for (const b of o.backends) {
      const got = outcome(b, insns, input);
      if (got === want) continue;
      perBackend.set(b, perBackend.get(b)! + 1);
      if (mismatches.length < 20) mismatches.push(`program ${programs} on ${b}:\n  interp ${want.slice(0, 120)}\n  ${b} ${got.slice(0, 120)}\n${disassemble(insns)}`);
    }
    programs++;
    insnTotal += insns.length;
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      process.stderr.write(`${programs} programs, ${[...perBackend.values()].reduce((a, b) => a + b, 0)} mismatches, ${Math.round((lastReport - start) / 1000)} s\n`);
    }
  }
  for (const m of mismatches) process.stdout.write(`${m}\n`);
  const secs = ((Date.now() - start) / 1000).toFixed(1);
  const detail = [...perBackend].map(([b, n]) => `${b} ${n}`).join(', ');
  process.stdout.write(`${programs} random programs (${insnTotal} instructions, seed ${o.seed}) in ${secs} s against interp: mismatches ${detail}\n`);
  process.exitCode = [...perBackend.values()].some((n) => n > 0) ? 1 : 0;
}

main();
