/**
 * @file Verifies every program of every object in `../shared/ebpf-samples`
 * and compares it with the Linux 6.18 verifier (`kernel-verdicts.csv`):
 * per program the time, instructions processed, peak states and verdict
 * against the kernel's, then totals and the slowest programs.
 *
 * Usage (after `npx tsc -p .`):
 *   node dist/scripts/verify-corpus.js [--only SUBSTR[,SUBSTR...]] [--seconds S]
 *       [--max-insns N] [--top N] [--quiet] [--samples DIR]
 *
 * `--only` keeps rows whose `file` or `file:section` contains one of the
 * substrings; `--seconds` stops starting new programs after S seconds;
 * `--max-insns` is the processed-instruction limit (default the kernel's
 * 1,000,000); `--quiet` prints only the totals and the slowest programs.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCorpus, type CorpusRow } from '../test/verify/harness/corpus.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

function findSamples(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const cand = join(dir, '../shared/ebpf-samples');
    if (existsSync(join(cand, 'kernel-verdicts.csv'))) return cand;
    dir = resolve(dir, '..');
  }
  return undefined;
}

const samples = arg('samples') ?? findSamples();
if (samples === undefined || !existsSync(join(samples, 'kernel-verdicts.csv'))) {
  process.stderr.write('error: ../shared/ebpf-samples (kernel-verdicts.csv) not found; pass --samples DIR\n');
  process.exit(2);
}
const only = arg('only')?.split(',').filter((s) => s !== '');
const seconds = Number(arg('seconds') ?? 'Infinity');
const maxInsns = Number(arg('max-insns') ?? '1000000');
const top = Number(arg('top') ?? '10');
const quiet = process.argv.includes('--quiet');
if (!(seconds > 0) || !(maxInsns > 0) || !(top >= 0)) {
  process.stderr.write('error: --seconds, --max-insns and --top take positive numbers\n');
  process.exit(2);
}

const name = (r: CorpusRow): string => `${r.file}:${r.section}${r.func !== r.section ? `:${r.func}` : ''}`;
const line = (r: CorpusRow): string => [
  r.ms.toFixed(1).padStart(10), r.cpuMs.toFixed(1).padStart(10), String(r.processed).padStart(8), String(r.kernelInsns).padStart(8),
  String(r.peakStates).padStart(6), String(r.kernelPeakStates).padStart(6), String(r.kernelUsec).padStart(8),
  (r.ours === r.kernel ? 'agree' : `DIFF(${r.ours})`).padEnd(16), r.kernel.padEnd(9), name(r),
  r.ours !== r.kernel && r.ourMessage !== '' ? ` -- ${r.ourMessage}` : '',
].join(' ');
const header = `${'ms'.padStart(10)} ${'cpu_ms'.padStart(10)} ${'insns'.padStart(8)} ${'k_insns'.padStart(8)} ${'peak'.padStart(6)} ${'k_peak'.padStart(6)} ${'k_usec'.padStart(8)} ${'ours'.padEnd(16)} ${'kernel'.padEnd(9)} program`;

const t0 = performance.now();
if (!quiet) process.stdout.write(`${header}\n`);
const rows = runCorpus(samples, {
  maxInsns,
  filter: only === undefined ? undefined : (f, s) => only.some((o) => `${f}:${s}`.includes(o)),
  stop: () => (performance.now() - t0) / 1000 > seconds,
  onRow: (r) => { if (!quiet && r.ourMessage !== 'not loaded') process.stdout.write(`${line(r)}\n`); },
});
const run = rows.filter((r) => r.ourMessage !== 'not loaded');
const ms = run.reduce((a, r) => a + r.ms, 0);
const cpuMs = run.reduce((a, r) => a + r.cpuMs, 0);
const kernelUs = run.reduce((a, r) => a + r.kernelUsec, 0);
const processed = run.reduce((a, r) => a + r.processed, 0);
const agree = run.filter((r) => r.ours === r.kernel).length;
const limited = run.filter((r) => r.ourMessage.startsWith('BPF program is too large')).length;
process.stdout.write(`\nslowest ${top}:\n${header}\n`);
for (const r of [...run].sort((a, b) => b.ms - a.ms).slice(0, top)) process.stdout.write(`${line(r)}\n`);
process.stdout.write(`\n${run.length} programs (${rows.length - run.length} kernel rows with no matching program here)`);
process.stdout.write(`${performance.now() - t0 > seconds * 1000 ? `, stopped after ${seconds} s` : ''}\n`);
process.stdout.write(`agree with the kernel: ${agree}/${run.length}; ${limited} hit the ${maxInsns}-instruction limit\n`);
process.stdout.write(`time: ${(ms / 1000).toFixed(2)} s here (${(cpuMs / 1000).toFixed(2)} s of CPU), ${(kernelUs / 1e6).toFixed(2)} s in the kernel (${(ms * 1000 / Math.max(kernelUs, 1)).toFixed(1)}x)\n`);
process.stdout.write(`processed: ${processed} instructions, ${Math.round(processed / Math.max(ms / 1000, 1e-3))} per second\n`);
