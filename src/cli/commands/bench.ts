/**
 * @file `ebpf2wasm bench`: time programs on the backends side by side —
 * compile time, ns per run (median and spread of repeated batches after a
 * warm-up), runs per second, instructions per run where counted — with
 * ratios to a baseline measured in the same run, the kernel's JIT through
 * `BPF_PROG_TEST_RUN` where `bpf()` works, and a loud warning when the
 * backends' results differ.
 */

import { Option, type Command } from 'commander';
import { cpus, loadavg, release } from 'node:os';
import { loadObject } from '../../elf/index.js';
import type { BpfObject, ProgramSpec } from '../../elf/types.js';
import { BACKENDS, backendByName } from '../../host/backend.js';
import {
  backendContender, benchProgram, disagreements, disagreementWarnings, htmlReport, kernelContender, textReport, withRatios,
  formatNs, type BenchInput, type BenchProgress, type BenchResult, type Contender, type KernelBpf, type Machine,
} from '../../host/bench/index.js';
import { Instance } from '../../host/instance.js';
import { loadMapsFile } from '../../host/map-io.js';
import { selectProgram } from '../../host/select.js';
import { action, intOption, readInput, writeOutput } from '../io.js';

interface BenchOptions {
  program?: string;
  section?: string;
  data: string[];
  maps?: string;
  backend: string;
  baseline?: string;
  runs: number;
  batchMs: number;
  warmupMs: number;
  cpus: number;
  clock: string;
  json?: boolean;
  report?: string;
}

/** The machine the figures come from. */
export function machineInfo(): Machine {
  const cs = cpus();
  return {
    cpu: cs[0]?.model.trim() ?? 'unknown', cores: cs.length, node: process.version,
    kernel: `${process.platform} ${release()}`, load: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

/** The `bpf()` wrapper of the Node runtime, or why it cannot be had. */
export async function kernelBpf(): Promise<{ bpf?: KernelBpf; reason?: string }> {
  try {
    const mod = (await import('../../../runtimes/node/bpf-syscall.js')) as unknown as KernelBpf;
    const btf = await import('../../../runtimes/node/kernel-btf.js');
    return { bpf: { ...mod, progLoadWithFuncInfo: btf.progLoadWithFuncInfo } };
  } catch (err) {
    return { reason: `no bpf() wrapper: ${(err as Error).message}` };
  }
}

/**
 * The process's CPU time (user + system) in ns: unlike the wall clock it
 * leaves out time spent descheduled, as the kernel's test-run timer does.
 */
export function cpuClock(): bigint {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
}

/** A default packet: 64 bytes, Ethernet type IPv4, the rest zero. */
function defaultPacket(): BenchInput {
  const data = new Uint8Array(64);
  data[12] = 0x08;
  return { name: 'pkt64', data };
}

/** Progress on stderr: a bar on a terminal, plain lines otherwise. */
export function progressPrinter(tty: boolean, write: (s: string) => void): (p: BenchProgress) => void {
  return (p) => {
    const last = p.result;
    if (tty) {
      const w = 30;
      const fill = Math.round((p.done / Math.max(1, p.total)) * w);
      write(`\r[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${p.done}/${p.total} ${p.label.slice(0, 40).padEnd(40)}`);
      if (p.done === p.total) write('\n');
    } else if (last !== undefined) {
      const what = last.unavailable !== undefined ? `unavailable (${last.unavailable})`
        : last.error !== undefined ? `failed (${last.error})` : `${formatNs(last.ns_per_run)}/run`;
      write(`[${p.done}/${p.total}] ${p.label}: ${what}\n`);
    }
  };
}

/**
 * The contenders named by `--backend` for one program, the kernel last: a
 * host backend finds how many runs fit the program's ring buffers, and the
 * kernel's batches keep to that too.
 */
async function contendersFor(names: readonly string[], prog: ProgramSpec, makeInstance: () => Instance): Promise<Contender[]> {
  const out: Contender[] = [];
  for (const n of [...names.filter((x) => x !== 'kernel'), ...names.filter((x) => x === 'kernel')]) {
    if (n === 'kernel') {
      const k = await kernelBpf();
      out.push(kernelContender(k.bpf, k.reason, prog, makeInstance));
    } else {
      out.push(backendContender(backendByName(n), prog, makeInstance));
    }
  }
  return out;
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('bench')
    .description('time a program on each backend (and the kernel where bpf() works), with ratios to a baseline')
    .argument('<object>', 'ELF object built with clang -target bpf')
    .option('--program <name>', 'the program (function name); default: every program')
    .option('--section <name>', 'the program in this ELF section')
    .option('--data <file>', 'a packet (raw bytes); repeat for several inputs', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--maps <file>', 'preload maps from lines "MAP_NAME KEY_HEX VALUE_HEX"')
    .option('--backend <list>', `"all" or a comma list of ${[...BACKENDS.keys()].join(', ')}, kernel`, 'all')
    .option('--baseline <name>', 'backend the ratios refer to (default: the first listed)')
    .option('--runs <n>', 'timed batches per measurement', intOption(1, 1000), 7)
    .option('--batch-ms <n>', 'shortest batch, ms', intOption(0, 10000), 10)
    .option('--warmup-ms <n>', 'warm-up before timing, ms (then on until the time per run settles)', intOption(0, 100000), 250)
    .option('--cpus <n>', 'number of CPUs for per-CPU maps', intOption(1, 1024), 1)
    .addOption(new Option('--clock <kind>', '"wall" (process.hrtime) or "cpu" (process CPU time, steadier on a loaded machine)').choices(['wall', 'cpu']).default('wall'))
    .option('--json', 'print {"machine": {...}, "results": [...]} as JSON')
    .option('--report <file>', 'write a self-contained HTML page with charts')
    .action((file: string, opts: BenchOptions) => action(async () => {
      const object: BpfObject = loadObject(readInput(file), { file });
      const progs = opts.program === undefined && opts.section === undefined ? object.programs : [selectProgram(object, opts)];
      const names = opts.backend === 'all' ? [...BACKENDS.keys(), 'kernel'] : opts.backend.split(',').map((s) => s.trim()).filter((s) => s !== '');
      for (const n of names) if (n !== 'kernel') backendByName(n);
      const clock = opts.clock === 'cpu' ? cpuClock : process.hrtime.bigint;
      const baseline = opts.baseline ?? names[0]!;
      const mapsText = opts.maps !== undefined ? new TextDecoder().decode(readInput(opts.maps)) : undefined;
      const makeInstance = (): Instance => {
        const inst = new Instance(object, { nCpus: opts.cpus });
        if (mapsText !== undefined) loadMapsFile(inst, mapsText, opts.maps);
        return inst;
      };
      if (mapsText !== undefined) makeInstance(); // report a bad maps file before any timing
      const inputs: BenchInput[] = opts.data.length > 0
        ? opts.data.map((p) => ({ name: p.split('/').pop()!, data: readInput(p) }))
        : [defaultPacket()];
      const show = progressPrinter(process.stderr.isTTY === true, (s) => { process.stderr.write(s); });
      let results: BenchResult[] = [];
      const total = progs.length * inputs.length * names.length;
      for (const prog of progs) {
        const contenders = await contendersFor(names, prog, makeInstance);
        const before = results.length;
        results.push(...benchProgram({
          program: prog.name, contenders, inputs, clock,
          measure: { batches: opts.runs, batchNs: opts.batchMs * 1e6, warmupNs: opts.warmupMs * 1e6 },
          onProgress: (p) => show({ ...p, done: before + p.done, total }),
        }));
      }
      results = withRatios(results, baseline);
      const warnings = disagreementWarnings(disagreements(results));
      for (const w of warnings) process.stderr.write(`${w}\n`);
      const machine = machineInfo();
      if (opts.report !== undefined) writeOutput(opts.report, htmlReport(`ebpf2wasm bench: ${file}`, machine, results, warnings));
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ machine, results, warnings })}\n`);
        return;
      }
      process.stdout.write(`${Object.entries(machine).map(([k, v]) => `${k}: ${v}`).join(', ')}\n\n${textReport(results)}`);
    }));
}
