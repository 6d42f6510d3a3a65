/**
 * @file A TypeScript re-implementation of the bpf_conformance suite's runner
 * (`bpf_conformance_runner`), as described in
 * ../shared/bpf-conformance/README.md, "How the runner drives a plugin":
 * it derives each test's CPU version and groups from its instructions (the
 * opcode table's `version` and `group` columns), runs the plugin once per
 * test with the exact stdin/argv protocol, and prints `PASS/FAIL/ERROR/SKIP`
 * lines and `Passed N out of M tests.`
 *
 * ```
 * node dist/scripts/conformance-runner.js --test_file_directory ../shared/bpf-conformance/tests \
 *   --plugin_path dist/src/cli/conformance-plugin.js --plugin_options "--backend interp" \
 *   --cpu_version v4 --include_groups callx [--jobs 2]
 * ```
 *
 * `--jobs N` (run N plugins at once; output order is unchanged) is the one
 * option upstream does not have. A plugin path ending in `.js` is run with
 * this Node.
 */

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from '../src/isa/insn.js';
import { OPCODES, type Group } from '../src/isa/opcodes.js';
import { formatHexBytes } from '../src/util/hex.js';
import { caseProgram, parseConformanceData, type ConformanceCase } from '../test/harness/conformance-data.js';

/** Runner options (upstream names, parsed from argv by `parseRunnerArgs`). */
export interface RunnerOptions {
  readonly testFileDirectory?: string;
  readonly testFilePath?: string;
  readonly pluginPath: string;
  readonly pluginOptions: string;
  readonly cpuVersion: 1 | 2 | 3 | 4;
  readonly includeGroups: readonly string[];
  readonly excludeGroups: readonly string[];
  readonly includeRegex?: RegExp;
  readonly excludeRegex?: RegExp;
  readonly elf: boolean;
  readonly jobs: number;
  /** Environment of the plugin processes (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Outcome of one test. */
export interface TestOutcome {
  readonly file: string;
  readonly status: 'PASS' | 'FAIL' | 'ERROR' | 'SKIP';
  readonly reason: string;
}

/** Outcome of a whole run. */
export interface RunnerResult {
  readonly outcomes: readonly TestOutcome[];
  readonly passed: number;
  /** Tests run (skipped ones are not counted). */
  readonly total: number;
}

const ALL_GROUPS: readonly Group[] = ['base32', 'base64', 'atomic32', 'atomic64', 'divmul32', 'divmul64', 'packet', 'callx'];
/** Groups a group name stands for (`atomic64` also means `atomic32`, and so on). */
const IMPLIES: Readonly<Record<string, readonly Group[]>> = {
  atomic32: ['atomic32'], atomic64: ['atomic64', 'atomic32'], base32: ['base32'], base64: ['base64', 'base32'],
  callx: ['callx'], divmul32: ['divmul32'], divmul64: ['divmul64', 'divmul32'], packet: ['packet'],
};

/** The enabled groups: everything but `packet` and `callx`, then includes, then excludes. */
export function enabledGroups(include: readonly string[], exclude: readonly string[]): Set<Group> {
  const set = new Set<Group>(ALL_GROUPS.filter((g) => g !== 'packet' && g !== 'callx'));
  for (const g of include) for (const x of IMPLIES[g] ?? []) set.add(x);
  for (const g of exclude) for (const x of IMPLIES[g] ?? []) set.delete(x);
  return set;
}

/** A program's minimum CPU version and the union of its instructions' groups. */
export function requirements(program: Uint8Array): { version: number; groups: Set<Group> } {
  let version = 1;
  const groups = new Set<Group>();
  for (const insn of decode(program)) {
    const row = OPCODES[insn.op];
    if (row === undefined) continue; // instructions missing from the table add nothing
    version = Math.max(version, row.version);
    groups.add(row.group);
  }
  return { version, groups };
}

/**
 * An ELF64 little-endian relocatable BPF object holding `code` in one section
 * (`.text`) with a global function symbol `main` over it, as the upstream
 * runner's `--elf true` writes (no maps, no relocations).
 *
 * ```
 *   [ELF header 64][code][.symtab 2×24][.shstrtab][section headers 4×64]
 * ```
 */
export function wrapElf(code: Uint8Array, sectionName = '.text'): Uint8Array {
  const names = ['', sectionName, '.symtab', '.shstrtab', 'main'];
  const strOff: number[] = [];
  let strtab = '';
  for (const n of names) { strOff.push(strtab.length); strtab += `${n}\0`; }
  const str = new TextEncoder().encode(strtab);
  const align8 = (n: number): number => (n + 7) & ~7;
  const codeOff = 64;
  const symOff = align8(codeOff + code.length);
  const strOffFile = symOff + 48;
  const shOff = align8(strOffFile + str.length);
  const out = new Uint8Array(shOff + 4 * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, 247, true); // EM_BPF
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shOff), true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, 4, true);
  v.setUint16(62, 3, true);
  out.set(code, codeOff);
  // symbol 1: main, STB_GLOBAL | STT_FUNC, section 1
  const s1 = symOff + 24;
  v.setUint32(s1, strOff[4]!, true);
  v.setUint8(s1 + 4, (1 << 4) | 2);
  v.setUint16(s1 + 6, 1, true);
  v.setBigUint64(s1 + 16, BigInt(code.length), true);
  out.set(str, strOffFile);
  const sh = (i: number, name: number, type: number, flags: number, off: number, size: number, link: number, info: number, align: number, entsize: number): void => {
    const at = shOff + i * 64;
    v.setUint32(at, name, true); v.setUint32(at + 4, type, true);
    v.setBigUint64(at + 8, BigInt(flags), true); v.setBigUint64(at + 24, BigInt(off), true);
    v.setBigUint64(at + 32, BigInt(size), true); v.setUint32(at + 40, link, true);
    v.setUint32(at + 44, info, true); v.setBigUint64(at + 48, BigInt(align), true);
    v.setBigUint64(at + 56, BigInt(entsize), true);
  };
  sh(1, strOff[1]!, 1, 6, codeOff, code.length, 0, 0, 8, 0); // PROGBITS, ALLOC|EXECINSTR
  sh(2, strOff[2]!, 2, 0, symOff, 48, 3, 1, 8, 24); // SYMTAB, names in .shstrtab
  sh(3, strOff[3]!, 3, 0, strOffFile, str.length, 0, 0, 1, 0); // STRTAB
  return out;
}

interface PluginRun { code: number; stdout: string; stderr: string }

function runPlugin(path: string, argv: readonly string[], stdin: string, env: NodeJS.ProcessEnv | undefined): Promise<PluginRun> {
  const [cmd, args] = /\.[cm]?js$/.test(path) ? [process.execPath, [path, ...argv]] : [path, [...argv]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env !== undefined ? { env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    child.on('error', (e) => resolve({ code: -1, stdout: '', stderr: String(e) }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.on('error', () => { /* the plugin may exit before reading */ });
    child.stdin.end(`${stdin}\n`);
  });
}

/** Judge one plugin run against the test's expectation (the upstream rules). */
export function judge(c: ConformanceCase, run: PluginRun): Pick<TestOutcome, 'status' | 'reason'> {
  if (run.code === 0) {
    const text = run.stdout.trim();
    const m = /^(0x)?([0-9a-fA-F]+)/.exec(text);
    if (m === null) return { status: 'ERROR', reason: `Plugin returned ${JSON.stringify(text)}, which could not be parsed` };
    const got = BigInt.asUintN(64, BigInt(`0x${m[2]}`));
    const want = c.result ?? 0n;
    return got === want
      ? { status: 'PASS', reason: '' }
      : { status: 'FAIL', reason: `Plugin returned 0x${got.toString(16)}, expected 0x${want.toString(16)}` };
  }
  const message = (run.stdout !== '' ? run.stdout : run.stderr).split('\r')[0]!.replace(/\s+$/, '');
  if (c.error === undefined) {
    return { status: 'ERROR', reason: `Plugin returned error code ${run.code} and output ${message}` };
  }
  return message === c.error
    ? { status: 'PASS', reason: '' }
    : { status: 'FAIL', reason: `Plugin returned error "${message}", expected "${c.error}"` };
}

/** The test files to consider, sorted, filtered by the regexes. */
function testFiles(o: RunnerOptions): string[] {
  let files: string[];
  if (o.testFilePath !== undefined) files = [o.testFilePath];
  else if (o.testFileDirectory !== undefined) {
    files = readdirSync(o.testFileDirectory).filter((f) => statSync(join(o.testFileDirectory!, f)).isFile())
      .sort().map((f) => join(o.testFileDirectory!, f));
  } else throw new Error('one of --test_file_directory and --test_file_path is required');
  return files.filter((f) => {
    const base = f.split(/[\\/]/).pop()!;
    if (o.includeRegex !== undefined && !o.includeRegex.test(base)) return false;
    if (o.excludeRegex !== undefined && o.excludeRegex.test(base)) return false;
    return true;
  });
}

async function runOne(file: string, o: RunnerOptions, groups: Set<Group>): Promise<TestOutcome> {
  const c = parseConformanceData(readFileSync(file, 'utf8'), file);
  if (c.skip !== undefined) return { file, status: 'SKIP', reason: c.skip };
  let program: Uint8Array;
  try {
    program = caseProgram(c);
  } catch (e) {
    return { file, status: 'SKIP', reason: `test file could not be assembled: ${(e as Error).message}` };
  }
  if (program.length === 0) return { file, status: 'SKIP', reason: 'test file has no instructions' };
  const need = requirements(program);
  if (need.version > o.cpuVersion) {
    return { file, status: 'SKIP', reason: `test file requires cpu version v${need.version}, running v${o.cpuVersion}` };
  }
  const missing = [...need.groups].filter((g) => !groups.has(g));
  if (missing.length > 0) return { file, status: 'SKIP', reason: `test file uses disabled groups: ${missing.join(' ')}` };
  const argv: string[] = [];
  if (c.hasMem) argv.push(formatHexBytes(c.mem));
  if (o.pluginOptions !== '') argv.push(...o.pluginOptions.split(' '));
  if (o.elf) argv.push('--elf');
  const input = o.elf ? wrapElf(program) : program;
  const result = await runPlugin(o.pluginPath, argv, formatHexBytes(input), o.env);
  return { file, ...judge(c, result) };
}

/** Run the suite: every test, at most `jobs` plugins at a time, outcomes in file order. */
export async function runConformance(o: RunnerOptions): Promise<RunnerResult> {
  const files = testFiles(o);
  const groups = enabledGroups(o.includeGroups, o.excludeGroups);
  const outcomes: TestOutcome[] = new Array<TestOutcome>(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      outcomes[i] = await runOne(files[i]!, o, groups);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, worker));
  const ran = outcomes.filter((x) => x.status !== 'SKIP');
  return { outcomes, passed: ran.filter((x) => x.status === 'PASS').length, total: ran.length };
}

/** Parse the upstream runner's command line. */
export function parseRunnerArgs(argv: readonly string[]): RunnerOptions {
  const map = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) { map.set(a.slice(2, eq), a.slice(eq + 1)); continue; }
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`option ${a} needs a value`);
    map.set(a.slice(2), v);
    i++;
  }
  const known = ['test_file_directory', 'test_file_path', 'plugin_path', 'plugin_options', 'cpu_version',
    'include_groups', 'exclude_groups', 'include_regex', 'exclude_regex', 'elf', 'jobs', 'debug', 'xdp_prolog'];
  for (const k of map.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k}`);
  if (map.get('xdp_prolog') === 'true') throw new Error('--xdp_prolog is not supported by this runner');
  const plugin = map.get('plugin_path');
  if (plugin === undefined) throw new Error('--plugin_path is required');
  const cpu = /^v([1-4])$/.exec(map.get('cpu_version') ?? 'v3');
  if (cpu === null) throw new Error('--cpu_version takes v1, v2, v3 or v4');
  const words = (k: string): string[] => (map.get(k) ?? '').split(/\s+/).filter((w) => w !== '');
  for (const g of [...words('include_groups'), ...words('exclude_groups')]) {
    if (!(g in IMPLIES)) throw new Error(`unknown group ${g}`);
  }
  const regex = (k: string): RegExp | undefined => (map.has(k) ? new RegExp(map.get(k)!) : undefined);
  const dir = map.get('test_file_directory');
  const path = map.get('test_file_path');
  const includeRegex = regex('include_regex');
  const excludeRegex = regex('exclude_regex');
  return {
    ...(dir !== undefined ? { testFileDirectory: dir } : {}),
    ...(path !== undefined ? { testFilePath: path } : {}),
    ...(includeRegex !== undefined ? { includeRegex } : {}),
    ...(excludeRegex !== undefined ? { excludeRegex } : {}),
    pluginPath: plugin,
    pluginOptions: map.get('plugin_options') ?? '',
    cpuVersion: Number(cpu[1]) as 1 | 2 | 3 | 4,
    includeGroups: words('include_groups'),
    excludeGroups: words('exclude_groups'),
    elf: map.get('elf') === 'true',
    jobs: Number(map.get('jobs') ?? '1') || 1,
  };
}

/** Print the outcome lines and the summary as upstream does. */
export function report(result: RunnerResult): string {
  const lines = result.outcomes.map((x) => `${x.status}: "${x.file}"${x.reason !== '' ? ` ${x.reason}` : ''}`);
  lines.push(`Passed ${result.passed} out of ${result.total} tests.`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  let options: RunnerOptions;
  try {
    options = parseRunnerArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`conformance-runner: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const result = await runConformance(options);
  process.stdout.write(`${report(result)}\n`);
  process.exitCode = result.passed === result.total ? 0 : 1;
}

function isEntry(): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try { return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url)); } catch { return false; }
}

if (isEntry()) void main();
