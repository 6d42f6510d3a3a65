/**
 * @file Asks the running kernel which helpers each program type may call and
 * writes the answer as `src/abi/helper-availability.ts`, the table
 * `helperAllowed` consults before the prototype table's `progTypes` column.
 *
 * Usage (after `npx tsc -p .`, as root, where `bpf()` works):
 *   node dist/scripts/probe-helpers.js [--out FILE] [--print]
 *
 * Method: for every program type of `ProgType` and every helper id of
 * `HELPER_PROTOS`, `BPF_PROG_LOAD` of `r1..r5 = 0; call id; r0 = 0; exit`.
 * The verifier looks the helper up (`get_func_proto`) before it checks any
 * argument, so a last log line "program of this type cannot use helper" or
 * "unknown func" means the type may not call it; anything else (an argument
 * type error, or the program loading) means it may.
 *
 * Program types: a type is probed only if the helper-free `r0 = 0; exit`
 * loads. Some types need an expected attach type (`bpf_prog_load_check_attach`
 * refuses 0); every `AttachType` value is tried, and when the kernel accepts
 * only some of them (it checks them, so helper lookup may depend on them, as
 * `bpf_bind` does for cgroup_sock_addr) each accepted one is probed and the
 * type's answer is their union: the verifier knows the program type only, and
 * a helper one attach point allows must not be refused for the whole type.
 * Types accepting every attach type are probed with 0. Types that never load
 * that way (tracing, lsm, ext, struct_ops need attach BTF; syscall must be
 * sleepable, a flag `progLoad` does not set; types of kernel options that are
 * off) are listed in the output as unprobed, with the kernel's reason, and
 * keep the `progTypes` column.
 *
 * Exceptions (`SOURCE_EXCEPTIONS`): two helpers are present or absent by
 * kernel configuration rather than by program type, and the kernel's log for
 * that is the same "cannot use helper" as for a type that may never call it,
 * so the probe cannot tell the two apart. They are kept where the kernel's
 * source offers them, whatever this kernel answers:
 * - `bpf_probe_write_user` (36): `bpf_tracing_func_proto` returns it unless
 *   `security_locked_down(LOCKDOWN_BPF_WRITE_USER)`; kept for the types of the
 *   prototype table's column that are probed (kprobe, tracepoint,
 *   raw_tracepoint, raw_tracepoint_writable, perf_event).
 * - `bpf_override_return` (58): `kprobe_prog_func_proto` offers it only with
 *   `CONFIG_BPF_KPROBE_OVERRIDE`; kept for kprobe.
 * When the kernel refuses one of them the output says so.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { arch, constants as osConstants, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k from '../runtimes/node/bpf-syscall.js';
import { HELPER_PROTOS, helperName } from '../src/abi/helpers.js';
import { AttachType, ProgType, progTypeName } from '../src/abi/program-types.js';

/** A helper kept for some program types by the kernel's source, whatever this kernel answers. */
export interface SourceException {
  readonly id: number;
  readonly types: readonly string[];
  /** Why the kernel may refuse it on a given machine. */
  readonly why: string;
}

/** The documented configuration exceptions (see the file comment). */
export const SOURCE_EXCEPTIONS: readonly SourceException[] = [
  {
    id: 36,
    types: (HELPER_PROTOS.get(36)?.progTypes ?? []).filter((t) => !['tracing', 'lsm'].includes(t)),
    why: 'bpf_tracing_func_proto offers it unless the kernel is locked down (LOCKDOWN_BPF_WRITE_USER)',
  },
  {
    id: 58,
    types: ['kprobe'],
    why: 'kprobe_prog_func_proto offers it only with CONFIG_BPF_KPROBE_OVERRIDE',
  },
];

/** Whether (id, type) is one of the documented exceptions. */
export function isSourceException(id: number, type: string): boolean {
  return SOURCE_EXCEPTIONS.some((e) => e.id === id && e.types.includes(type));
}

const ATTACH_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(AttachType).map(([n, v]) => [v, n.toLowerCase()]));

/** The lower-case kernel name of an attach type (`cgroup_inet4_connect`). */
export function attachTypeName(a: number): string {
  return ATTACH_NAMES.get(a) ?? `attach(${a})`;
}

/**
 * How an accepted expected attach type is shown: 0 by number, since the
 * kernel replaces it with the type's default for some types (cgroup_sock,
 * sk_reuseport) and it means `cgroup_inet_ingress` only for cgroup_skb.
 */
function attachLabel(a: number): string {
  return a === 0 ? '0' : attachTypeName(a);
}

function insn(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = code; b[1] = (src << 4) | dst; v.setInt16(2, off, true); v.setInt32(4, imm, true);
  return b;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.length * 8);
  parts.forEach((p, i) => out.set(p, i * 8));
  return out;
}

const MOV0 = (r: number): Uint8Array => insn(0xb7, r, 0, 0, 0);
const EXIT = insn(0x95, 0, 0, 0, 0);


/** `r1..r5 = 0; call id; r0 = 0; exit`. */
export function helperProgram(id: number): Uint8Array {
  return concat([MOV0(1), MOV0(2), MOV0(3), MOV0(4), MOV0(5), insn(0x85, 0, 0, 0, id), MOV0(0), EXIT]);
}

/** The verifier log's last line that is not the "processed N insns" summary. */
function lastLine(log: string): string {
  return log.trim().split('\n').filter((l) => !/^processed \d+ insns/.test(l)).pop() ?? '';
}

/** Whether the kernel finds helper `id` for the program type (with the expected attach type). */
export function kernelAllows(type: number, attach: number, id: number): { allowed: boolean; line: string } {
  const r = k.progLoad({ type, insns: helperProgram(id), license: 'GPL', logLevel: 1, expectedAttachType: attach });
  if (r.fd >= 0) { k.close(r.fd); return { allowed: true, line: '' }; }
  const line = lastLine(r.log);
  return { allowed: !/unknown func|cannot use helper/.test(line), line };
}

const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(osConstants.errno).map(([n, v]) => [v, n]));

function errnoText(fd: number): string {
  return `errno ${-fd}${ERRNO_NAMES.has(-fd) ? ` (${ERRNO_NAMES.get(-fd)})` : ''}`;
}

/** Why some program types cannot be loaded by this probe, for the output. */
const UNLOADABLE_HINTS: Readonly<Record<string, string>> = {
  tracing: 'needs attach_btf_id (the attach target\'s BTF), which the probe does not send',
  lsm: 'needs attach_btf_id (the LSM hook\'s BTF), which the probe does not send',
  ext: 'needs attach_prog_fd and attach_btf_id (the function it replaces), which the probe does not send',
  struct_ops: 'needs attach_btf_id (a struct_ops member), which the probe does not send',
  syscall: 'must be loaded sleepable (BPF_F_SLEEPABLE), a flag progLoad does not set',
};

/**
 * Whether a helper-free program of the type loads with the expected attach
 * type: `r0 = 0; exit`, else `r0 = 1; exit` (some attach points, such as
 * cgroup_sock_addr's recvmsg and getpeername ones, require a return value of 1).
 */
function emptyLoads(type: number, attach: number): { ok: boolean; why: string } {
  let why = '';
  for (const r0 of [0, 1]) {
    const r = k.progLoad({ type, insns: concat([insn(0xb7, 0, 0, 0, r0), EXIT]), license: 'GPL', logLevel: 1, expectedAttachType: attach });
    if (r.fd >= 0) { k.close(r.fd); return { ok: true, why: '' }; }
    if (r0 === 0) why = `${errnoText(r.fd)}${lastLine(r.log) !== '' ? `: ${lastLine(r.log)}` : ', no verifier log'}`;
  }
  return { ok: false, why };
}

/**
 * The expected attach types a program type loads with: `[0]` when the kernel
 * accepts every one (it ignores them for the type), else the accepted ones;
 * or why none is.
 */
export function loadableAttachTypes(type: number): { attach: number[] } | { reason: string } {
  const all = [...ATTACH_NAMES.keys()].sort((a, b) => a - b);
  const ok: number[] = [];
  let reason = '';
  for (const a of all) {
    const r = emptyLoads(type, a);
    if (r.ok) ok.push(a);
    else if (a === 0) reason = r.why;
  }
  if (ok.length === 0) {
    const hint = UNLOADABLE_HINTS[progTypeName(type)];
    return { reason: `${hint !== undefined ? `${hint}; ` : ''}no helper-free program loads, whatever the expected attach type (with 0: ${reason})` };
  }
  return { attach: ok.length === all.length ? [0] : ok };
}

/** One probed program type. */
export interface TypeProbe {
  readonly name: string;
  readonly type: number;
  /** Expected attach types probed (`[0]`: the kernel ignores them for this type). */
  readonly attach: readonly number[];
  /** Helper ids the kernel allows (union over `attach`), before exceptions. */
  readonly allowed: readonly number[];
  /** Helpers allowed with some but not all of `attach`: id → the attach types that allow it. */
  readonly attachDependent: ReadonlyMap<number, readonly number[]>;
}

/** The kernel's answers for a set of program types and helpers. */
export interface ProbeResult {
  /** `uname -r` of the kernel probed. */
  readonly release: string;
  readonly probed: readonly TypeProbe[];
  /** Program types that could not be probed, with the reason. */
  readonly unprobed: ReadonlyMap<string, string>;
  /** Helper ids probed. */
  readonly helpers: readonly number[];
  /** `BPF_PROG_LOAD` calls made for (type, attach, helper) triples. */
  readonly loads: number;
}

/** Program type names of `ProgType`, `unspec` excluded, in numeric order. */
export function knownProgTypes(): string[] {
  return Object.entries(ProgType).filter(([, v]) => v !== 0).sort((a, b) => a[1] - b[1]).map(([n]) => n.toLowerCase());
}

/** Probes the running kernel (default: every known type, every helper of `HELPER_PROTOS`). */
export function probeKernel(opts: { types?: readonly string[]; helpers?: readonly number[] } = {}): ProbeResult {
  const types = opts.types ?? knownProgTypes();
  const helpers = [...(opts.helpers ?? [...HELPER_PROTOS.keys()])].sort((a, b) => a - b);
  const probed: TypeProbe[] = [];
  const unprobed = new Map<string, string>();
  let loads = 0;
  for (const name of types) {
    const type = (ProgType as Record<string, number>)[name.toUpperCase()];
    if (type === undefined) { unprobed.set(name, 'not a program type of src/abi/program-types.ts'); continue; }
    const la = loadableAttachTypes(type);
    if ('reason' in la) { unprobed.set(name, la.reason); continue; }
    const allowed: number[] = [];
    const attachDependent = new Map<number, number[]>();
    for (const id of helpers) {
      const by = la.attach.filter((a) => { loads++; return kernelAllows(type, a, id).allowed; });
      if (by.length > 0) allowed.push(id);
      if (by.length > 0 && by.length < la.attach.length) attachDependent.set(id, by);
    }
    probed.push({ name, type, attach: la.attach, allowed, attachDependent });
  }
  return { release: release(), probed, unprobed, helpers, loads };
}

/** The helper ids a probed type is given in the table: the kernel's answer plus the exceptions. */
export function tableIds(p: TypeProbe): number[] {
  const ids = new Set(p.allowed);
  for (const e of SOURCE_EXCEPTIONS) if (e.types.includes(p.name)) ids.add(e.id);
  return [...ids].sort((a, b) => a - b);
}

/** Sorted ids as consecutive ranges: `[1, 5], 7, [9, 12]`. */
export function formatRanges(ids: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    out.push(j === i ? String(ids[i]) : j === i + 1 ? `${ids[i]}, ${ids[j]}` : `[${ids[i]}, ${ids[j]}]`);
    i = j + 1;
  }
  return out.join(', ');
}

function wrap(prefix: string, body: string, width = 110): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const part of body.split(/(?<=,) /)) {
    if (line.length + part.length + 1 > width && line.trim() !== '') { lines.push(line.trimEnd()); line = '    '; }
    line += `${part} `;
  }
  lines.push(line.trimEnd());
  return lines;
}

/** The kernel's uname, for the header: `uname -r` (and machine). */
function kernelDescription(): string {
  try {
    return `Linux ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()} (${arch()})`;
  } catch {
    return `Linux ${release()} (${arch()})`;
  }
}

/** A single-quoted TypeScript string literal. */
function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** The generated module's text. */
export function renderModule(r: ProbeResult): string {
  const L: string[] = [];
  L.push('/**');
  L.push(' * @file Which helpers each program type may call, as the kernel answered');
  L.push(' * `BPF_PROG_LOAD` of `r1..r5 = 0; call id; r0 = 0; exit` for every helper of');
  L.push(' * `HELPER_PROTOS` (see `scripts/probe-helpers.ts` for the method).');
  L.push(' *');
  L.push(` * Generated by \`node dist/scripts/probe-helpers.js\` from ${kernelDescription()};`);
  L.push(' * do not edit by hand.');
  L.push(' *');
  L.push(' * Kept by the kernel\'s source although a kernel may refuse them for');
  L.push(' * configuration reasons (same log line as a type refusal):');
  for (const e of SOURCE_EXCEPTIONS) {
    const refusedBy = r.probed.filter((p) => e.types.includes(p.name) && r.helpers.includes(e.id) && !p.allowed.includes(e.id)).map((p) => p.name);
    L.push(` * - ${helperName(e.id)} (${e.id}) for ${e.types.join(', ')}: ${e.why}${refusedBy.length > 0 ? `; refused here for ${refusedBy.join(', ')}` : ''}.`);
  }
  L.push(' */');
  L.push('');
  L.push('/** Helper ids and inclusive id ranges. */');
  L.push('export type IdRanges = readonly (number | readonly [number, number])[];');
  L.push('');
  L.push('/** `uname -r` of the kernel the table was probed on. */');
  L.push(`export const PROBED_RELEASE = '${r.release}';`);
  L.push('');
  L.push('/** Helper ids probed (those of `HELPER_PROTOS` then); for others the prototype table decides. */');
  L.push(...wrap('export const PROBED_HELPERS: IdRanges = [', `${formatRanges(r.helpers)}];`));
  L.push('');
  L.push('/**');
  L.push(' * Probed helpers each program type may call. Types the kernel checks the');
  L.push(' * expected attach type of were probed with each one it accepts and have the');
  L.push(' * union; the helpers only some of them allow are noted.');
  L.push(' */');
  L.push('export const HELPER_AVAILABILITY: Readonly<Record<string, IdRanges>> = {');
  for (const p of r.probed) {
    if (p.attach.length > 1 || p.attach[0] !== 0) {
      L.push(`  // expected attach types: ${p.attach.map(attachLabel).join(', ')}`);
    }
    for (const [id, by] of p.attachDependent) {
      L.push(`  // ${id} (${helperName(id)}) only with ${by.map(attachLabel).join(', ')}`);
    }
    L.push(...wrap(`  ${p.name}: [`, `${formatRanges(tableIds(p))}],`));
  }
  L.push('};');
  L.push('');
  L.push('/** Program types not probed, with the reason; for them the prototype table decides. */');
  L.push('export const UNPROBED_TYPES: Readonly<Record<string, string>> = {');
  for (const [name, why] of r.unprobed) L.push(`  ${name}: ${quote(why)},`);
  L.push('};');
  L.push('');
  L.push('/** Helper ids kept for program types by the kernel\'s source (see above), whatever the probed kernel said. */');
  L.push('export const SOURCE_EXCEPTIONS: Readonly<Record<number, readonly string[]>> = {');
  for (const e of SOURCE_EXCEPTIONS) L.push(`  ${e.id}: [${e.types.map((t) => `'${t}'`).join(', ')}],`);
  L.push('};');
  return `${L.join('\n')}\n`;
}

/** The repository root (the directory holding package.json above this file). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src/abi'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error('repository root (package.json, src/abi) not found above this script');
}

function main(argv: readonly string[]): number {
  const outIdx = argv.indexOf('--out');
  const out = outIdx >= 0 ? argv[outIdx + 1] : join(repoRoot(), 'src/abi/helper-availability.ts');
  if (out === undefined) { process.stderr.write('usage: probe-helpers [--out FILE] [--print]\n'); return 2; }
  const bpf = k.available();
  if (!bpf.ok) { process.stderr.write(`bpf() is unavailable (${bpf.reason}): nothing probed\n`); return 1; }
  const t0 = performance.now();
  const r = probeKernel();
  const ms = performance.now() - t0;
  const text = renderModule(r);
  if (argv.includes('--print')) process.stdout.write(text);
  else writeFileSync(out, text);
  const pairs = r.probed.length * r.helpers.length;
  process.stdout.write(`${kernelDescription()}: ${r.probed.length} program types × ${r.helpers.length} helpers = ${pairs} pairs, ${r.loads} loads, ${(ms / 1000).toFixed(1)} s\n`);
  for (const p of r.probed) {
    const attach = p.attach.length === 1 && p.attach[0] === 0 ? '' : ` (attach: ${p.attach.map(attachLabel).join(', ')})`;
    process.stdout.write(`  ${p.name}: ${p.allowed.length} helpers${attach}\n`);
  }
  for (const [name, why] of r.unprobed) process.stdout.write(`  not probed: ${name}: ${why}\n`);
  for (const e of SOURCE_EXCEPTIONS) {
    for (const p of r.probed) {
      if (e.types.includes(p.name) && !p.allowed.includes(e.id)) {
        process.stdout.write(`  kept by exception: ${helperName(e.id)} (${e.id}) for ${p.name}, refused by this kernel (${e.why})\n`);
      }
    }
  }
  if (!argv.includes('--print')) process.stdout.write(`wrote ${out}\n`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
