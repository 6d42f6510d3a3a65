#!/usr/bin/env node
/**
 * @file `ebpf2wasm-conformance-plugin`: the plugin the bpf_conformance runner
 * drives, one process per test (protocol: ../shared/bpf-conformance/README.md,
 * "How the runner drives a plugin").
 *
 * ```
 * echo "b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00" | ebpf2wasm-conformance-plugin [MEM-HEX] [options]
 *   MEM-HEX            the test memory, hex bytes (only when the test has memory)
 *   --backend NAME     interp (default, the BigInt reference) or interp-fast (32-bit
 *                      halves); wasm, x86-64, arm64 slot in here later
 *   --cpu-version vN   reject instructions newer than vN (default v4)
 *   --budget N         instruction budget
 *   --elf              stdin is an ELF object; run its function "main"
 * ```
 *
 * Prints r0 as `0x…` hex and exits 0, or prints one diagnostic line on stdout
 * and exits 1 (2 for bad usage).
 */

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DiagnosticError, diagnostic, formatDiagnostic, type Diagnostic } from '../diag/index.js';
import { runConformanceProgram } from '../interp/conformance.js';
import { decode, encode } from '../isa/insn.js';
import { OPCODES } from '../isa/opcodes.js';
import { parseHexBytes } from '../util/hex.js';
import { toHex } from '../util/u64.js';
import { conformanceHelpers } from '../abi/helper-env.js';
import type { BpfObject, ProgramSpec } from '../elf/types.js';
import { BACKENDS as HOST_BACKENDS, backendByName } from '../host/backend.js';
import { Instance } from '../host/instance.js';
import { decodeChecked } from '../isa/validate.js';

/** Runs program bytes with the conformance conventions on one backend. */
type Backend = (program: Uint8Array, mem: Uint8Array | undefined, options: { budget?: number }) => bigint;

/**
 * A host backend (`src/host/backend.ts`) with the suite's conventions: the
 * program is the only one of a map-less object, helper 5 is "unwind", r1
 * points to the memory and r2 holds its length, and the legacy packet loads
 * read the memory.
 */
function hostBackend(name: string): Backend {
  return (program, mem) => {
    const { insns, diagnostics } = decodeChecked(program);
    if (diagnostics.length > 0) throw new DiagnosticError(diagnostics[0]!);
    const prog: ProgramSpec = {
      name: 'main', section: '.text', type: 0, insns, origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true,
    };
    const object: BpfObject = { license: '', endian: 'little', programs: [prog], maps: [], diagnostics: [] };
    const instance = new Instance(object, { helpers: conformanceHelpers() });
    try {
      const exe = backendByName(name).load(prog, instance, { entryArgs: 2 });
      if (mem === undefined || mem.length === 0) return exe.run(0, { start: 0, size: 0 }, [0n]).r0;
      const region = instance.memory.map('input', 'input', mem.length, true);
      instance.memory.bytes.set(mem, region.start);
      return exe.run(region.start, { start: region.start, size: mem.length }, [BigInt(mem.length)]).r0;
    } catch (err) {
      // the suite's programs have no sections or names: report the pc alone, as the interpreters do
      if (!(err instanceof DiagnosticError)) throw err;
      const pc = err.diagnostic.location.pc;
      throw new DiagnosticError({ ...err.diagnostic, location: pc === undefined ? {} : { pc } });
    }
  };
}

/** Every backend name the plugin knows; `undefined` ones are not built yet. */
const BACKENDS: Record<string, Backend | undefined> = {
  interp: (program, mem, options) => runConformanceProgram(program, mem, options).r0,
  'interp-fast': (program, mem, options) => runConformanceProgram(program, mem, { ...options, engine: 'fast' }).r0,
  wasm: hostBackend('wasm'),
  'x86-64': HOST_BACKENDS.has('x86-64') ? hostBackend('x86-64') : undefined,
  arm64: HOST_BACKENDS.has('arm64') ? hostBackend('arm64') : undefined,
};

interface Args {
  mem?: Uint8Array;
  backend: string;
  cpu: number;
  budget?: number;
  elf: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { backend: 'interp', cpu: 4, elf: false };
  let i = 0;
  if (argv.length > 0 && !argv[0]!.startsWith('--')) {
    const mem = parseHexBytes(argv[0]!);
    if (mem === undefined) throw new DiagnosticError(diagnostic('RUN_BAD_INPUT', { what: 'memory argument', detail: argv[0]!.slice(0, 40) }));
    args.mem = mem;
    i = 1;
  }
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`option ${name} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '') continue; // `--plugin_options ""` splits into an empty word
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const val = (): string => inline ?? value(name);
    switch (name) {
      case '--backend': args.backend = val(); break;
      case '--cpu-version': case '--cpu_version': {
        const v = /^v?([1-4])$/.exec(val());
        if (v === null) throw new UsageError('--cpu-version takes v1, v2, v3 or v4');
        args.cpu = Number(v[1]);
        break;
      }
      case '--budget': {
        const n = Number(val());
        if (!Number.isInteger(n) || n <= 0) throw new UsageError('--budget takes a positive integer');
        args.budget = n;
        break;
      }
      case '--elf': args.elf = inline === undefined || inline === 'true'; break;
      case '--help': case '-h': throw new UsageError('usage: ebpf2wasm-conformance-plugin [MEM-HEX] [--backend interp] [--cpu-version vN] [--budget N] [--elf] < program-hex');
      default: throw new UsageError(`unknown option ${a}`);
    }
  }
  return args;
}

/**
 * The linked code of program `main` (or the object's only program) of an ELF
 * object, through the same loader `ebpf2wasm run` uses.
 */
async function elfCode(bytes: Uint8Array): Promise<Uint8Array> {
  // loaded only for --elf: most runs need no ELF reader, and every run is a fresh process
  const { loadObject } = await import('../elf/index.js');
  const object = loadObject(bytes, { file: '<stdin>' });
  const prog = object.programs.find((p) => p.name === 'main') ?? (object.programs.length === 1 ? object.programs[0] : undefined);
  if (prog === undefined) throw new DiagnosticError(diagnostic('RUN_NO_CODE'));
  return encode(prog.insns);
}

/** Reject instructions newer than the cpu version (the `version` column of the opcode table). */
function checkCpu(program: Uint8Array, cpu: number): void {
  for (const insn of decode(program)) {
    const row = OPCODES[insn.op];
    if (row !== undefined && row.version > cpu) {
      throw new DiagnosticError(diagnostic('RUN_CPU_VERSION', { insn: row.mnemonic, need: row.version, cpu }, { pc: insn.pc }));
    }
  }
}

/** Run the plugin on stdin text and argv; returns what to print and the exit code. */
export async function plugin(stdin: string, argv: readonly string[]): Promise<{ out: string; code: number }> {
  try {
    const args = parseArgs(argv);
    if (!(args.backend in BACKENDS)) {
      throw new UsageError(`unknown backend "${args.backend}" (known: ${Object.keys(BACKENDS).join(', ')})`);
    }
    const backend = BACKENDS[args.backend];
    if (backend === undefined) {
      throw new DiagnosticError(diagnostic('RUN_BACKEND_UNAVAILABLE', { backend: args.backend, detail: ` yet (built: ${Object.keys(BACKENDS).filter((b) => BACKENDS[b] !== undefined).join(', ')})` }));
    }
    const input = parseHexBytes(stdin);
    if (input === undefined) throw new DiagnosticError(diagnostic('RUN_BAD_INPUT', { what: 'stdin', detail: stdin.trim().slice(0, 40) }));
    const program = args.elf ? await elfCode(input) : input;
    checkCpu(program, args.cpu);
    const r0 = backend(program, args.mem, args.budget !== undefined ? { budget: args.budget } : {});
    return { out: toHex(r0), code: 0 };
  } catch (e) {
    if (e instanceof DiagnosticError) return { out: formatDiagnostic(e.diagnostic), code: 1 };
    if (e instanceof UsageError) {
      const d: Diagnostic = diagnostic('RUN_BAD_OPTION', { detail: e.message });
      return { out: formatDiagnostic(d), code: 2 };
    }
    throw e;
  }
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const { out, code } = await plugin(Buffer.concat(chunks).toString('latin1'), process.argv.slice(2));
  process.stdout.write(`${out}\n`);
  process.exitCode = code;
}

/** Whether this module is the process's entry point (also through an npm bin symlink). */
function isEntry(): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) void main();
