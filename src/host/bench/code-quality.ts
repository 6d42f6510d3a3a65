/**
 * @file Code quality against the Linux kernel's JIT: for one program, the
 * size of our x86-64 and AArch64 code (bytes and instructions, as the
 * compilers return them), the machine instructions each emulator executes
 * per run on an input, and the kernel's x86-64 JIT image of the same program
 * (loaded with `BPF_PROG_LOAD`, fetched with `BPF_OBJ_GET_INFO_BY_FD`'s
 * `jited_prog_insns`) with its instructions counted by an injected
 * disassembler, which must consume exactly `jited_prog_len` bytes. The
 * kernel's executed instructions cannot be counted (its image calls kernel
 * addresses and runs in the kernel): only its static count is given.
 */

import type { ProgramSpec } from '../../elf/types.js';
import { compileArm64 } from '../../emit-arm64/compile.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../../isa/registers.js';
import { interpBackend, type Backend } from '../backend.js';
import { programIR, type CompileSettings } from '../compile.js';
import type { Instance } from '../instance.js';
import { compileProgramX86, x86Backend } from '../native-backend.js';
import { arm64Backend } from '../native-backend-arm64.js';
import { verifiedFacts } from '../verify.js';
import { formatRatio } from './report.js';
import { setupRun } from './context.js';
import { kernelUnavailable, loadIntoKernel, type KernelBpf } from './kernel.js';
import type { Clock } from './measure.js';

/** Static size of some machine code. */
export interface CodeSize {
  readonly bytes: number;
  readonly insns: number;
}

/** The kernel JIT's image of the program. */
export interface KernelImage extends CodeSize {
  /** `jited_prog_len`. */
  readonly jitedProgLen: number;
  /** Bytes the disassembler consumed (equal to `jitedProgLen` when the count covers the image). */
  readonly decodedBytes: number;
  /** Number of functions (the entry and its subprograms). */
  readonly funcs: number;
}

/** A figure, or why there is none. */
export type Figure<T> = T | { readonly unavailable: string } | { readonly error: string };

/** The figures for one program. */
export interface CodeQualityRow {
  readonly program: string;
  /** Where the program comes from (an object file). */
  readonly file: string;
  /** eBPF instructions of the linked program (slots, as the kernel counts them). */
  readonly ebpfInsns: number;
  /** Whether our verifier accepted it (else our code checks every access). */
  readonly verified: boolean;
  readonly x86: Figure<CodeSize>;
  readonly arm64: Figure<CodeSize>;
  readonly kernel: Figure<KernelImage>;
  /** Instructions executed in one run on the input (the interpreter's count is eBPF instructions). */
  readonly executed: { readonly ebpf?: number; readonly x86?: number; readonly arm64?: number };
}

/** Counts the instructions of x86-64 machine code. */
export interface Disassembler {
  /** What it is, for the report. */
  readonly name: string;
  /** Instructions decoded from offset 0, and the bytes they cover. */
  disassemble(code: Uint8Array): { insns: number; decodedBytes: number };
}

/** What `codeQuality` needs. */
export interface CodeQualityPlan {
  readonly program: ProgramSpec;
  readonly file: string;
  /** A fresh instance of the program's object (maps preloaded as for a run). */
  readonly makeInstance: () => Instance;
  /** The input of the counted run. */
  readonly input: Uint8Array;
  /** The kernel: the `bpf()` wrapper, or why there is none. */
  readonly kernel: { readonly bpf?: KernelBpf; readonly reason?: string };
  /** The x86-64 disassembler for the kernel's image, or why there is none. */
  readonly disassembler: Disassembler | string;
  readonly clock: Clock;
}

const message = (err: unknown): string => {
  const e = err as { diagnostic?: { message?: string }; message?: string };
  return e.diagnostic?.message ?? e.message ?? String(err);
};

/** Run `f`, turning a throw into `{error}`. */
function attempt<T>(f: () => Figure<T>): Figure<T> {
  try { return f(); } catch (err) { return { error: message(err) }; }
}

/** Our x86-64 code for the program, compiled as the `x86-64` backend compiles it with `settings` (same stack limit check). */
export function ourX86(prog: ProgramSpec, instance: Instance, settings: CompileSettings = {}): CodeSize {
  const stack = instance.memory.map(`stack:${prog.name}`, 'stack', STACK_SIZE * MAX_CALL_FRAMES, true);
  try {
    const code = compileProgramX86(prog, instance, settings, 1, true, stack.start + STACK_SIZE);
    return { bytes: code.code.length, insns: code.instCount };
  } finally {
    instance.memory.unmap(stack);
  }
}

/** Our AArch64 code for the program, compiled as the `arm64` backend compiles it with `settings`. */
export function ourArm64(prog: ProgramSpec, instance: Instance, settings: CompileSettings = {}): CodeSize {
  const { handles: mapHandles, values: mapValues } = instance.mapAddresses();
  const code = compileArm64(programIR(prog, { maps: instance.object.maps, ...settings }), { mapHandles, mapValues });
  return { bytes: code.code.length, insns: code.insts.length };
}

/** Instructions `backend` executes in one run of `prog` on `input`, or undefined when the run fails. */
export function executedPerRun(backend: Backend, prog: ProgramSpec, instance: Instance, input: Uint8Array): number | undefined {
  try {
    const exe = backend.load(prog, instance);
    const setup = setupRun(instance, prog, input);
    try {
      return exe.run(setup.ctx, setup.packet).insnCount;
    } finally {
      setup.release();
      exe.dispose?.();
    }
  } catch {
    return undefined;
  }
}

/** The kernel JIT's image of `prog`, counted by `disassembler`. */
export function kernelImage(bpf: KernelBpf, prog: ProgramSpec, instance: Instance, disassembler: Disassembler, clock: Clock): Figure<KernelImage> {
  if (bpf.progInfo === undefined) return { unavailable: 'the bpf() wrapper cannot read program info' };
  const loaded = loadIntoKernel(bpf, prog, instance, clock);
  try {
    const info = bpf.progInfo(loaded.progFd, true);
    if (typeof info === 'number') return { error: `BPF_OBJ_GET_INFO_BY_FD failed with errno ${-info}` };
    if (info.jitedProgLen === 0) return { unavailable: 'the kernel JIT is off (net.core.bpf_jit_enable=0)' };
    const image = info.jitedImage;
    if (image === undefined) return { unavailable: 'the kernel hides JIT images (kernel.kptr_restrict or no CAP_SYS_ADMIN)' };
    if (image.length !== info.jitedProgLen) return { error: `got ${image.length} of ${info.jitedProgLen} image bytes` };
    const d = disassembler.disassemble(image);
    if (d.decodedBytes !== info.jitedProgLen) {
      return { error: `the disassembler consumed ${d.decodedBytes} of ${info.jitedProgLen} bytes` };
    }
    return { bytes: image.length, insns: d.insns, jitedProgLen: info.jitedProgLen, decodedBytes: d.decodedBytes, funcs: info.jitedFuncLens?.length ?? 1 };
  } finally {
    loaded.close();
  }
}

/** The settings our verifier's verdict allows: its facts when it accepts the program. */
export function verifiedSettings(prog: ProgramSpec, instance: Instance): CompileSettings {
  const facts = verifiedFacts(instance.object, [prog]).facts;
  return facts.has(prog.name) ? { facts } : {};
}

/** Every code-quality figure for one program. */
export function codeQuality(plan: CodeQualityPlan): CodeQualityRow {
  const { program: prog, makeInstance, input } = plan;
  const settings = verifiedSettings(prog, makeInstance());
  const backends: Record<'ebpf' | 'x86' | 'arm64', Backend> = { ebpf: interpBackend, x86: x86Backend(settings), arm64: arm64Backend(settings) };
  const why = kernelUnavailable(plan.kernel.bpf, plan.kernel.reason);
  const dis = plan.disassembler;
  const kernel: Figure<KernelImage> = why !== undefined || plan.kernel.bpf === undefined ? { unavailable: why ?? 'no bpf() wrapper' }
    : typeof dis === 'string' ? { unavailable: dis }
      : attempt(() => kernelImage(plan.kernel.bpf!, prog, makeInstance(), dis, plan.clock));
  const executed: { ebpf?: number; x86?: number; arm64?: number } = {};
  for (const role of ['ebpf', 'x86', 'arm64'] as const) {
    const n = executedPerRun(backends[role], prog, makeInstance(), input);
    if (n !== undefined) executed[role] = n;
  }
  return {
    program: prog.name, file: plan.file, ebpfInsns: prog.insns.reduce((n, i) => n + (i.imm2 !== undefined ? 2 : 1), 0),
    verified: settings.facts !== undefined,
    x86: attempt(() => ourX86(prog, makeInstance(), settings)),
    arm64: attempt(() => ourArm64(prog, makeInstance(), settings)),
    kernel, executed,
  };
}

/** The figure, when there is one. */
export function figure<T extends object>(f: Figure<T>): T | undefined {
  return 'unavailable' in f || 'error' in f ? undefined : f;
}

/** A cell: `bytes / insns`, or why not. */
function sizeCell(f: Figure<CodeSize>): string {
  const escape = (t: string): string => (t.length > 80 ? `${t.slice(0, 79)}…` : t).replace(/\|/g, '\\|');
  if ('unavailable' in f) return `unavailable: ${escape(f.unavailable)}`;
  if ('error' in f) return `failed: ${escape(f.error)}`;
  return `${f.bytes} / ${f.insns}`;
}

/** Our x86-64 figure over the kernel's, for bytes and instructions. */
export function kernelRatios(row: CodeQualityRow): { bytes: number; insns: number } | undefined {
  const ours = figure(row.x86);
  const theirs = figure(row.kernel);
  if (ours === undefined || theirs === undefined || theirs.bytes === 0 || theirs.insns === 0) return undefined;
  return { bytes: ours.bytes / theirs.bytes, insns: ours.insns / theirs.insns };
}

/** The geometric mean of positive numbers (undefined for none). */
export function geomean(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

/**
 * The Markdown table of `rows`; with `files`, a first column names the
 * object. A program our verifier rejects is marked "(unverified)": its code
 * checks every access.
 */
export function codeQualityTable(rows: readonly CodeQualityRow[], files = false): string {
  const n = (x: number | undefined): string => (x === undefined ? '-' : String(x));
  return [
    `|${files ? ' object |' : ''} program | eBPF insns | our x86-64 bytes / insns | kernel JIT bytes / insns | ratio (bytes, insns) | our arm64 bytes / insns | executed per run: eBPF / x86-64 / arm64 |`,
    `|${files ? '---|' : ''}---|---:|---:|---:|---:|---:|---:|`,
    ...rows.map((r) => {
      const q = kernelRatios(r);
      const ratio = q === undefined ? '-' : `${formatRatio(q.bytes)}, ${formatRatio(q.insns)}`;
      return `|${files ? ` ${r.file} |` : ''} ${r.program}${r.verified ? '' : ' (unverified)'} | ${r.ebpfInsns} | ${sizeCell(r.x86)} | ${sizeCell(r.kernel)} | ${ratio} | ${sizeCell(r.arm64)} | ${n(r.executed.ebpf)} / ${n(r.executed.x86)} / ${n(r.executed.arm64)} |`;
    }),
  ].join('\n');
}
