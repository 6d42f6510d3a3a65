/**
 * @file Events per second through each kind of hook (`src/host/hooks/bench.ts`),
 * on the programs of `test/fixtures/hooks.c`, per backend, and the kernel's
 * figure for the same programs where it can run them (`BPF_PROG_TEST_RUN`:
 * the packet and filter hooks' programs; root and a working `bpf()`).
 *
 * ```
 * npm run build && node dist/scripts/bench-hooks.js [--backend interp,wasm] [--ms 500] [--json] [--no-kernel]
 * ```
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../src/elf/index.js';
import { backendByName } from '../src/host/backend.js';
import { benchHooks, kernelHookRows, type HookBenchRow } from '../src/host/hooks/bench.js';
import type { KernelBpf } from '../src/host/bench/kernel.js';
import { Instance } from '../src/host/instance.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

// dist/scripts/ and scripts/ both sit two levels below the fixtures' parent
const fixture = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../test/fixtures/hooks-el.o' : '../test/fixtures/hooks-el.o', import.meta.url));
const object = loadObject(new Uint8Array(readFileSync(fixture)), { file: 'hooks-el.o' });
const ms = Number(arg('ms') ?? '500');
const rows: HookBenchRow[] = [];
for (const name of (arg('backend') ?? 'interp,wasm').split(',')) {
  rows.push(...benchHooks(() => new Instance(object, { nCpus: 2 }), backendByName(name), () => performance.now(), { ms }));
}
let kernelNote = 'kernel: not measured (--no-kernel)';
if (!process.argv.includes('--no-kernel')) {
  let bpf: KernelBpf | undefined;
  let why: string | undefined;
  try { bpf = (await import('../runtimes/node/bpf-syscall.js')) as unknown as KernelBpf; } catch (err) { why = `no bpf() wrapper: ${(err as Error).message}`; }
  const k = kernelHookRows(() => new Instance(object, { nCpus: 2 }), bpf, why, { ms });
  if (Array.isArray(k)) {
    rows.push(...k);
    kernelNote = 'kernel: BPF_PROG_TEST_RUN timer; tracepoint and probe programs have no test run, so no kernel figure';
  } else kernelNote = `kernel: unavailable (${k.unavailable})`;
}
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify({ rows, kernel: kernelNote })}\n`);
} else {
  process.stdout.write(`${'hook'.padEnd(12)}${'backend'.padEnd(10)}${'events/s'.padStart(12)}\n`);
  for (const r of rows) process.stdout.write(`${r.hook.padEnd(12)}${r.backend.padEnd(10)}${Math.round(r.eventsPerSecond).toString().padStart(12)}\n`);
  process.stdout.write(`${kernelNote}\n`);
}
