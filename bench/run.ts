/**
 * @file The benchmark suite (`npm run bench`): every program of
 * `bench/progs/*.o` on the interpreters, the WebAssembly backend, the kernel
 * (where `bpf()` works) and the same logic in plain C (`bench/native/`,
 * built with `gcc -O2` here and timed by a small driver) as the physical
 * limit — ratios to native in the same run. Also the per-call overhead of a
 * trivial program and the whole pipeline's compile speed on the largest
 * fixture, and the code-quality table against the kernel's JIT
 * (`src/host/bench/code-quality.ts`, the kernel's images counted with LLVM's
 * `llvm-objdump`, `bench/llvm-disasm.ts`). Writes `docs/benchmarks.md` and
 * `docs/benchmarks.html`.
 *
 * Run: `npm run bench`, or `node dist/bench/run.js [--quick] [--out DIR]`.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MapType } from '../src/abi/map-types.js';
import { loadObject } from '../src/elf/index.js';
import type { BpfObject, ProgramSpec } from '../src/elf/types.js';
import { BACKENDS } from '../src/host/backend.js';
import {
  backendContender, benchProgram, codeQuality, codeQualityTable, disagreements, disagreementWarnings, figure, formatNs, formatRatio,
  geomean, htmlReport, kernelContender, kernelRatios, markdownReport, median, textReport, withRatios,
  type BenchInput, type BenchResult, type CodeQualityRow, type Contender, type MeasureOptions,
} from '../src/host/bench/index.js';
import { Instance } from '../src/host/instance.js';
import type { ProgramFacts } from '../src/abi/facts.js';
import { verifyObjectProgram } from '../src/host/verify.js';
import { compileObject } from '../src/host/compile.js';
import { Wasm } from '../src/util/wasm-api.js';
import { wasmBackend } from '../src/host/wasm-backend.js';
import { loadMapsFile } from '../src/host/map-io.js';
import { cpuClock, kernelBpf, machineInfo, progressPrinter } from '../src/cli/commands/bench.js';
import { llvmX86Disassembler } from './llvm-disasm.js';
import { firewallMaps, tcpPacket, udpPacket } from './packets.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, from `dist/bench` or `bench`. */
const ROOT = existsSync(join(here, '..', 'package.json')) ? join(here, '..') : join(here, '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outAt = args.indexOf('--out');
const OUT = outAt >= 0 ? args[outAt + 1]! : join(ROOT, 'docs');
/** CPU time: like the native driver's and the kernel's timers, it leaves out time spent descheduled. */
const clock = cpuClock;
const measureOpts = quick ? { batches: 3, batchNs: 2e6, warmupNs: 5e6 } : { batches: 9, batchNs: 20e6, warmupNs: 250e6 };

const work = mkdtempSync(join(tmpdir(), 'ebpf2wasm-bench-'));
const inputs: BenchInput[] = [{ name: 'tcp1500', data: tcpPacket(1500) }];
/** The file the native driver reads an input from. */
function inputFile(input: BenchInput): string {
  const p = join(work, `${input.name}.bin`);
  if (!existsSync(p)) writeFileSync(p, input.data);
  return p;
}
const mapsText: Record<string, string> = { firewall: firewallMaps() };
/**
 * Largest batch per program. `ringbuf` writes a 24-byte record (8-byte header,
 * 16 bytes of data) per run into a 1 MiB ring that every contender empties
 * before a batch: 43690 records fit, so no batch overfills it.
 */
const maxBatch: Record<string, number> = { ringbuf: Math.floor((1 << 20) / 24) };
const measureFor = (program: string): MeasureOptions =>
  (maxBatch[program] !== undefined ? { ...measureOpts, maxBatch: maxBatch[program] } : measureOpts);

/** The native driver of `bench/native/NAME.c`, built with gcc -O2, as a contender. */
function nativeContender(name: string): Contender {
  const src = join(ROOT, 'bench', 'native', `${name}.c`);
  if (!existsSync(src)) return { name: 'native', unavailable: `no bench/native/${name}.c`, prepare() { throw new Error('unavailable'); } };
  const exe = join(work, `native-${name}`);
  // gcc runs in a child process: its build time is wall time.
  const t0 = process.hrtime.bigint();
  try {
    execFileSync('gcc', ['-O2', '-o', exe, join(ROOT, 'bench', 'native', 'driver.c'), src], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const why = (err as { code?: string }).code === 'ENOENT' ? 'gcc not found' : `gcc failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim().split('\n')[0]}`;
    return { name: 'native', unavailable: why, prepare() { throw new Error(why); } };
  }
  const compileNs = Number(process.hrtime.bigint() - t0);
  return {
    name: 'native',
    prepare(input) {
      const file = inputFile(input);
      return {
        compileNs,
        batch(n) {
          const [ns, retval] = execFileSync(exe, [file, String(n)], { encoding: 'utf8' }).trim().split(' ');
          return { r0: BigInt(retval!), ns: Number(ns) };
        },
        dispose() { /* nothing held */ },
      };
    },
  };
}

const show = progressPrinter(process.stderr.isTTY === true, (s) => { process.stderr.write(s); });
const kernel = await kernelBpf();
let results: BenchResult[] = [];
const progDir = join(ROOT, 'bench', 'progs');
for (const f of readdirSync(progDir).filter((x) => x.endsWith('.o')).sort()) {
  const object = loadObject(new Uint8Array(readFileSync(join(progDir, f))), { file: `bench/progs/${f}` });
  // tail-call targets run as part of the program that calls them, not on their own
  const targets = new Set(object.maps.flatMap((m) => (m.type === MapType.PROG_ARRAY ? (m.initialSlots ?? []).map((s) => s.symbol) : [])));
  for (const prog of object.programs.filter((p) => !targets.has(p.name))) {
    const makeInstance = (): Instance => {
      const inst = new Instance(object);
      const text = mapsText[prog.name];
      if (text !== undefined) loadMapsFile(inst, text);
      return inst;
    };
    const contenders: Contender[] = [
      nativeContender(prog.name),
      ...[...BACKENDS.values()].map((b) => backendContender(b, prog, makeInstance)),
      kernelContender(kernel.bpf, kernel.reason, prog, makeInstance),
    ];
    results.push(...benchProgram({ program: prog.name, contenders, inputs, clock, measure: measureFor(prog.name), onProgress: show }));
  }
}
results = withRatios(results, 'native');
const warnings = disagreementWarnings(disagreements(results));
for (const w of warnings) process.stderr.write(`${w}\n`);

/** Per-call overhead: the trivial program on each backend, 64-byte packet. */
const trivialObj = loadObject(new Uint8Array(readFileSync(join(progDir, 'trivial.o'))), { file: 'bench/progs/trivial.o' });
const overhead = benchProgram({
  program: 'trivial', inputs: [{ name: 'udp64', data: udpPacket(64) }], clock, measure: measureOpts, onProgress: show,
  contenders: [nativeContender('trivial'), ...[...BACKENDS.values()].map((b) => backendContender(b, trivialObj.programs[0]!, () => new Instance(trivialObj))),
    kernelContender(kernel.bpf, kernel.reason, trivialObj.programs[0]!, () => new Instance(trivialObj))],
});
// the same on the wall clock for wasm: CPU time counts V8's background threads (GC, compilers) too,
// which work alongside the calls rather than in them
const overheadWall = benchProgram({
  program: 'trivial', inputs: [{ name: 'udp64', data: udpPacket(64) }], clock: process.hrtime.bigint, measure: measureOpts,
  contenders: [backendContender(BACKENDS.get('wasm')!, trivialObj.programs[0]!, () => new Instance(trivialObj))],
});

/** Compile speed: the whole pipeline (lift, optimise, emit, instantiate) on the largest program among fixtures and the suite. */
function largest(): { file: string; object: BpfObject; prog: ProgramSpec } {
  const files = [
    ...readdirSync(join(ROOT, 'test', 'fixtures')).filter((x) => x.endsWith('-el.o')).map((x) => join('test', 'fixtures', x)),
    ...readdirSync(progDir).filter((x) => x.endsWith('.o')).map((x) => join('bench', 'progs', x)),
  ];
  let best: { file: string; object: BpfObject; prog: ProgramSpec } | undefined;
  for (const file of files) {
    let object: BpfObject;
    try { object = loadObject(new Uint8Array(readFileSync(join(ROOT, file))), { file }); } catch { continue; }
    for (const prog of object.programs) if (best === undefined || prog.insns.length > best.prog.insns.length) best = { file, object, prog };
  }
  return best!;
}
const big = largest();
// the verifier's verdict once, then the compile pipeline alone with its facts (a wasm load verifies first)
const verifyTimes: number[] = [];
let bigFacts: Map<string, ProgramFacts> | undefined;
let processed = 0;
for (let i = 0; i < (quick ? 2 : 5); i++) {
  const t0 = clock();
  const v = verifyObjectProgram(big.object, big.prog);
  verifyTimes.push(Number(clock() - t0));
  if (v.verdict === 'accepted') bigFacts = new Map([[big.prog.name, v.facts]]);
  processed = v.processedInsns;
}
const wasm = wasmBackend(bigFacts !== undefined ? { facts: bigFacts } : {});
const compileTimes: number[] = [];
for (let i = 0; i < (quick ? 3 : 15); i++) {
  const inst = new Instance(big.object);
  const t0 = clock();
  try {
    const exe = wasm.load(big.prog, inst);
    compileTimes.push(Number(clock() - t0));
    exe.dispose?.();
  } catch (err) {
    process.stderr.write(`compile of ${big.prog.name} failed: ${(err as Error).message}\n`);
    break;
  }
}
const compileMs = median(compileTimes) / 1e6;
const verifyMs = median(verifyTimes) / 1e6;
const insnsPerSec = big.prog.insns.length / (compileMs / 1e3);

/**
 * The same on real programs, when the shared sample objects are there: the
 * largest program of `../shared/ebpf-samples`, lifted, optimised and emitted
 * with every access checked (`compile --no-verify`; the sample's maps need a
 * loader's help to verify), then compiled by V8.
 */
function largestSample(): { file: string; object: BpfObject; prog: ProgramSpec } | undefined {
  const dir = join(ROOT, '..', 'shared', 'ebpf-samples');
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.o')).sort();
  let best: { file: string; object: BpfObject; prog: ProgramSpec } | undefined;
  for (const f of files) {
    let object: BpfObject;
    try { object = loadObject(new Uint8Array(readFileSync(join(dir, f))), { file: f }); } catch { continue; }
    for (const prog of object.programs) if (best === undefined || prog.insns.length > best.prog.insns.length) best = { file: join('ebpf-samples', f), object, prog };
  }
  return best;
}
const sample = largestSample();
const sampleTimes: { pipeline: number; v8: number }[] = [];
let sampleBytes = 0;
if (sample !== undefined) {
  for (let i = 0; i < (quick ? 2 : 7); i++) {
    try {
      const t0 = clock();
      const compiled = compileObject(sample.object, [sample.prog]);
      const t1 = clock();
      void new Wasm.Module(compiled.bytes);
      sampleTimes.push({ pipeline: Number(t1 - t0), v8: Number(clock() - t1) });
      sampleBytes = compiled.bytes.length;
    } catch (err) {
      process.stderr.write(`compile of ${sample.prog.name} failed: ${(err as Error).message}\n`);
      break;
    }
  }
}
const sampleLine = ((): string => {
  if (sample === undefined) return 'The shared sample objects (`../shared/ebpf-samples`) are not present, so there is no figure on a real program.';
  if (sampleTimes.length === 0) return `Compiling \`${sample.prog.name}\` (\`${sample.file}\`) failed.`;
  const pipelineMs = median(sampleTimes.map((x) => x.pipeline)) / 1e6;
  const v8Ms = median(sampleTimes.map((x) => x.v8)) / 1e6;
  const rate = Math.round(sample.prog.insns.length / ((pipelineMs + v8Ms) / 1e3)).toLocaleString('en-US');
  return `On a real program, the largest of the shared sample objects, \`${sample.prog.name}\` in \`${sample.file}\` (${sample.prog.insns.length.toLocaleString('en-US')} eBPF instructions), compiled with every access checked (as \`compile --no-verify\`): lift, optimise and emit take ${pipelineMs.toFixed(1)} ms and V8's \`new WebAssembly.Module\` of the ${Math.round(sampleBytes / 1024)} KiB module ${v8Ms.toFixed(1)} ms (medians of ${sampleTimes.length}, the first compile included), **${rate} eBPF instructions per second**.`;
})();

/** Code quality against the kernel's JIT: every suite program, then every fixture the native backends compile. */
const disassembler = llvmX86Disassembler();
const qualityOf = (file: string, mapsByProgram: Record<string, string>): CodeQualityRow[] => {
  const object = loadObject(new Uint8Array(readFileSync(join(ROOT, file))), { file });
  return object.programs.map((prog) => codeQuality({
    program: prog, file, input: inputs[0]!.data, kernel, disassembler, clock,
    makeInstance: () => {
      const inst = new Instance(object);
      const text = mapsByProgram[prog.name];
      if (text !== undefined) loadMapsFile(inst, text);
      return inst;
    },
  }));
};
const suiteQuality = readdirSync(progDir).filter((x) => x.endsWith('.o')).sort().flatMap((f) => qualityOf(join('bench', 'progs', f), mapsText));
const fixtureQuality = [
  ...readdirSync(join(ROOT, 'test', 'fixtures')).filter((x) => x.endsWith('-el.o')).sort().map((x) => join('test', 'fixtures', x)),
  join('examples', 'firewall.o'),
].flatMap((f) => qualityOf(f, {}));
rmSync(work, { recursive: true, force: true });

// ---- the documents ----
const machine = machineInfo();
const backendsSeen = [...new Set(results.map((r) => r.backend))];
const byProg = [...new Set(results.map((r) => r.program))];
const cell = (p: string, b: string): BenchResult | undefined => results.find((r) => r.program === p && r.backend === b);
const ratio = (a: BenchResult | undefined, b: BenchResult | undefined): string =>
  a?.ns_per_run !== undefined && b?.ns_per_run !== undefined ? formatRatio(a.ns_per_run / b.ns_per_run) : '-';
const summary = [
  `| program | ${backendsSeen.join(' | ')} | wasm / native | wasm / kernel | kernel / native | eBPF insns per run | interp ns per insn | interp-fast ns per insn |`,
  `|---|${backendsSeen.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---:|`,
  ...byProg.map((p) => {
    const perInsn = (b: string): string => {
      const r = cell(p, b);
      return r?.ns_per_run !== undefined && r.insns_per_run ? (r.ns_per_run / r.insns_per_run).toFixed(1) : '-';
    };
    const shown = (b: string): string => {
      const r = cell(p, b);
      return r?.ns_per_run !== undefined ? formatNs(r.ns_per_run) : r?.unavailable !== undefined ? 'n/a' : 'failed';
    };
    return `| ${p} | ${backendsSeen.map(shown).join(' | ')} | ${ratio(cell(p, 'wasm'), cell(p, 'native'))} | ${ratio(cell(p, 'wasm'), cell(p, 'kernel'))} | ${ratio(cell(p, 'kernel'), cell(p, 'native'))} | ${cell(p, 'interp')?.insns_per_run ?? '-'} | ${perInsn('interp')} | ${perInsn('interp-fast')} |`;
  }),
];
/** The project's speed targets, checked on this run's figures. */
const COMPUTE = ['calls', 'checksum', 'fnv1a', 'jhash'];
const MAPS = ['firewall', 'counter'];
const ns = (p: string, b: string): number | undefined => cell(p, b)?.ns_per_run;
const verdict = (x: number | undefined, limit: number): string => (x === undefined ? 'not measured' : `${formatRatio(x)} ${x <= limit ? '**met**' : '**not met**'}`);
const quotient = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined ? a / b : undefined);
/** For a target missed by a median: whether the batches' ranges overlap, so the two are within this run's noise of each other. */
const overlap = (p: string, a: string, b: string): string => {
  const x = cell(p, a);
  const y = cell(p, b);
  if (x?.ns_per_run === undefined || y?.ns_per_run === undefined || x.ns_per_run <= y.ns_per_run) return '';
  return x.ns_min !== undefined && y.ns_max !== undefined && x.ns_min <= y.ns_max
    ? ` (within the spread: ${a}'s fastest batch, ${formatNs(x.ns_min)}, is no slower than ${b}'s slowest, ${formatNs(y.ns_max)})`
    : '';
};
const bestPerInsn = (p: string): number | undefined => {
  const xs = ['interp', 'interp-fast'].map((b) => cell(p, b)).filter((r) => r?.ns_per_run !== undefined && r.insns_per_run).map((r) => r!.ns_per_run! / r!.insns_per_run!);
  return xs.length > 0 ? Math.min(...xs) : undefined;
};
const wasmOverhead = overheadWall.find((r) => r.backend === 'wasm')?.ns_per_run;
const targets = [
  '| target | program | figure | verdict |', '|---|---|---:|---|',
  ...COMPUTE.map((p) => `| wasm within 1.3× of native gcc -O2 | ${p} | wasm / native | ${verdict(quotient(ns(p, 'wasm'), ns(p, 'native')), 1.3)} |`),
  ...COMPUTE.map((p) => `| wasm no slower than the kernel JIT | ${p} | wasm / kernel | ${verdict(quotient(ns(p, 'wasm'), ns(p, 'kernel')), 1)}${overlap(p, 'wasm', 'kernel')} |`),
  ...MAPS.map((p) => `| wasm within 2× of the kernel JIT (maps) | ${p} | wasm / kernel | ${verdict(quotient(ns(p, 'wasm'), ns(p, 'kernel')), 2)} |`),
  ...COMPUTE.map((p) => `| interpreter within 3× of ~3 ns per eBPF insn | ${p} | best interpreter ns/insn ÷ 3 | ${verdict(bestPerInsn(p) === undefined ? undefined : bestPerInsn(p)! / 3, 3)} |`),
  `| wasm per-call overhead under 50 ns | trivial | wall-clock ns per call ÷ 50 | ${verdict(wasmOverhead === undefined ? undefined : wasmOverhead / 50, 1)} (${formatNs(wasmOverhead)}) |`,
];
/** The paragraph under the code-quality tables, from this run's figures. */
function qualityParagraph(): string {
  const all = [...suiteQuality, ...fixtureQuality];
  const ratios = all.map(kernelRatios).filter((r) => r !== undefined);
  const kernelWhy = all.map((r) => r.kernel).find((k) => 'unavailable' in k);
  if (ratios.length === 0) {
    return `The kernel columns are empty on this run (${kernelWhy !== undefined && 'unavailable' in kernelWhy ? kernelWhy.unavailable : 'every load failed'}); our sizes and executed counts stand alone.`;
  }
  const gm = (xs: number[]): string => formatRatio(geomean(xs) ?? NaN);
  const smaller = ratios.filter((r) => r.bytes < 1).length;
  const larger = all.filter((r) => (kernelRatios(r)?.bytes ?? 0) > 1.3).map((r) => r.program);
  const per = (k: 'x86' | 'arm64'): number[] => all.filter((r) => r.executed.ebpf !== undefined && r.executed[k] !== undefined && r.executed.ebpf > 0)
    .map((r) => r.executed[k]! / r.executed.ebpf!);
  const unverified = all.filter((r) => !r.verified).map((r) => r.program);
  return [
    `Over the ${ratios.length} programs the kernel loaded, our x86-64 code is ${gm(ratios.map((r) => r.bytes))} the kernel JIT's size in bytes and ${gm(ratios.map((r) => r.insns))} in instructions (geometric means; ${smaller} of ${ratios.length} are smaller than the kernel's).`,
    'The kernel\'s image pays a fixed cost ours does not: nops at the entry that a trampoline can patch, a frame set up with `push %rbp; mov %rsp,%rbp`, and a return through `leave` and a jump to the return thunk, which is most of the difference on the smallest programs.',
    `Ours is larger where the program calls${larger.length > 0 ? ` (more than 1.3× the kernel's bytes here: ${[...new Set(larger)].join(', ')})` : ''}: every helper and bpf-to-bpf call sets all five argument registers, zeroing those the callee does not take, where the kernel leaves r1–r5 as the program left them, and every bpf-to-bpf call also checks the call depth against the stack region (\`docs/native.md\`).`,
    `Per run, the x86-64 emulator executes ${gm(per('x86'))} and the AArch64 emulator ${gm(per('arm64'))} as many machine instructions as the interpreter executes eBPF instructions (geometric means over the programs that ran).`,
    'The kernel\'s executed instructions cannot be counted: its image runs in the kernel, so only its static count is given.',
    unverified.length > 0 ? `Our verifier rejects ${unverified.join(', ')}: that code checks every access.` : '',
  ].filter((x) => x !== '').join(' ');
}
const unavailable = [...new Set(results.filter((r) => r.unavailable !== undefined).map((r) => `- ${r.backend} (${r.program}): ${r.unavailable}`))];
const md = `# Benchmarks

Generated by \`npm run bench\` (\`bench/run.ts\`) — do not edit by hand; the figures come from one run.

**Machine:** ${Object.entries(machine).map(([k, v]) => `${k} ${v}`).join('; ')} (load average at the end of the run; a loaded machine makes every figure noisier, ratios less so since all contenders share the load).

**Method.** Each program runs on one input (a 1500-byte Ethernet/IPv4/TCP frame, \`bench/packets.ts\`) on: \`native\` (the same logic in plain C, \`bench/native/\`, \`gcc -O2\`, timed by a driver with \`clock_gettime(CLOCK_PROCESS_CPUTIME_ID)\`, which like the kernel's test-run timer leaves out time spent descheduled; the host backends are timed with the process's CPU time, \`process.cpuUsage\`, for the same reason — it also counts V8's background threads, which can only make the host backends look slower), the reference interpreter \`interp\`, the fast interpreter \`interp-fast\`, the WebAssembly backend \`wasm\` (V8), and \`kernel\` (the object loaded with \`BPF_PROG_LOAD\`, timed by \`BPF_PROG_TEST_RUN\` with \`repeat\`; its \`duration\` is the kernel's own figure; a run interrupted by a signal, \`EINTR\`, is retried). After a warm-up of ${measureOpts.warmupNs / 1e6} ms that goes on until two batches in a row agree within 5% (V8 compiles the top tiers of an interpreter loop or a module on another thread, which can take longer than the warm-up on a busy machine), the batch size is chosen so one batch lasts at least ${measureOpts.batchNs / 1e6} ms; ${measureOpts.batches} batches are timed, the median is reported with min – max. Host backends build the context and packet once and call \`Executable.run\` in a loop (\`src/host/bench/\`). Every contender empties the program's ring buffers before each batch, as a consumer keeping up would (the kernel's through its mmap'ed consumer page), and \`ringbuf\`'s batches are capped at ${maxBatch.ringbuf} runs, the records its ring holds (\`ebpf2wasm bench\` finds such a cap by itself, from the bytes one run writes into each ring, and keeps every contender to it). "compile" is \`backend.load\` (for wasm: lift, optimise, emit, WebAssembly compile and instantiate; for the kernel: verify and JIT; for native: the gcc build). Ratios are to \`native\` in the same run. Every backend's return value is compared; disagreements are printed as warnings${warnings.length > 0 ? ' — **this run had disagreements**, see below' : ' (none in this run)'}.

**Reproduce:** \`npm run bench\` (needs gcc for the native rows, root and a working \`bpf()\` for the kernel rows; \`node dist/bench/run.js --quick\` for a short run). Any object: \`ebpf2wasm bench prog.o [--program NAME | --section S] [--data packet.bin ...] [--maps FILE] [--backend all|interp,interp-fast,wasm,kernel] [--baseline NAME] [--runs N] [--json] [--report out.html]\`.

## Summary (median ns per run)

${summary.join('\n')}

## Targets, on this run

${targets.join('\n')}

## Per-call overhead (trivial program, 64-byte packet)

${overhead.map((r) => `- ${r.backend}: ${r.ns_per_run !== undefined ? `${formatNs(r.ns_per_run)} per run` : r.unavailable ?? r.error}`).join('\n')}

(For host backends this includes the JavaScript loop and \`Executable.run\`'s own work: argument conversion, the BigInt result.) These figures are process CPU time, like every timing here, which also counts V8's background threads (garbage collection of the per-call result, compilers) working alongside the calls; on the wall clock, wasm takes ${formatNs(wasmOverhead)} per call, the figure the target above uses.

## Code quality against the kernel JIT

Static size of our machine code (\`compileProgramX86\` and \`compileArm64\` with the verifier's facts, as \`ebpf2wasm compile --target x86-64|arm64\` compiles it; the x86-64 and arm64 rows of the timing tables run the host backends, which compile without those facts, so their insns/run can be higher) next to the Linux kernel's x86-64 JIT image of the same program: loaded with \`BPF_PROG_LOAD\` (maps created and filled as for the kernel contender), image fetched with \`BPF_OBJ_GET_INFO_BY_FD\` (\`jited_prog_insns\`, every function of the program), instructions counted by ${typeof disassembler === 'string' ? `nothing here (${disassembler})` : `\`${disassembler.name}\``}, which must consume exactly \`jited_prog_len\` bytes (a prefix that \`llvm-objdump\` lists on its own line, such as \`lock\`, counts with its instruction). Ratio: ours over the kernel's. Executed per run: on the 1500-byte TCP frame, eBPF instructions by the interpreter, machine instructions by each emulator running our code. "-" where a run failed.

${qualityParagraph()}

### The suite

${codeQualityTable(suiteQuality)}

### The fixtures the native backends compile

${codeQualityTable(fixtureQuality, true)}

## Compile speed

Whole pipeline (\`wasm\` backend's \`load\` given the verifier's facts: lift, optimise, emit, compile and instantiate in V8) on the largest program among the fixtures and the suite, \`${big.prog.name}\` in \`${big.file}\` (${big.prog.insns.length} eBPF instructions): median ${compileMs.toFixed(2)} ms over ${compileTimes.length} compiles, **${Math.round(insnsPerSec).toLocaleString('en-US')} eBPF instructions per second**. Verifying it first (what \`load\` does without facts, as the kernel's loader does) takes ${verifyMs.toFixed(2)} ms more (median of ${verifyTimes.length}): the verifier walks ${processed.toLocaleString('en-US')} instructions, the loop's iterations included, about ${Math.round(processed / (verifyMs / 1e3)).toLocaleString('en-US')} per second (\`docs/verifier.md\`).

${sampleLine}
${warnings.length > 0 ? `\n## Disagreements\n\n${warnings.map((w) => `- ${w}`).join('\n')}\n` : ''}${unavailable.length > 0 ? `\n## Unavailable here\n\n${unavailable.join('\n')}\n` : ''}
## Details

${markdownReport(results)}
The charts: [benchmarks.html](benchmarks.html).
`;
writeFileSync(join(OUT, 'benchmarks.md'), md);
writeFileSync(join(OUT, 'benchmarks.html'), htmlReport('ebpf2wasm benchmarks', machine, [...results, ...withRatios(overhead.map((r) => ({ ...r, program: 'trivial (per-call overhead)' })), 'native')], warnings));
process.stdout.write(`${textReport(results)}\ntrivial (per-call overhead):\n${textReport(withRatios(overhead, 'native'))}\ncode quality: ${suiteQuality.length + fixtureQuality.length} programs, ${[...suiteQuality, ...fixtureQuality].filter((r) => figure(r.kernel) !== undefined).length} with the kernel JIT's image\ncompile speed: ${big.prog.name} (${big.prog.insns.length} insns) in ${compileMs.toFixed(2)} ms = ${Math.round(insnsPerSec)} insns/s\nwrote ${join(OUT, 'benchmarks.md')} and benchmarks.html\n`);
