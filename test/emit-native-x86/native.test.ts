/**
 * @file Differential test: random x86-64 sequences on the emulator and on the
 * real CPU (through test/native/x86/harness.c, built here with gcc) must end
 * with the same registers, the same memory and the same defined flags.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, arch } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X86Emulator } from '../../src/emit-native-x86/emulator.js';
import { Rng } from './gen-insts.js';
import { MEM_ADDR, MEM_SIZE, randomCase, type Case } from './gen-programs.js';
import { FixedMemory } from './memory-double.js';

const HARNESS_SRC = fileURLToPath(new URL('../native/x86/harness.c', import.meta.url));
const CASES = Number(process.env['X86_NATIVE_CASES'] ?? 4000);
const REG_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

function skipReason(): string | false {
  if (arch() !== 'x64') return `the CPU is ${arch()}, not x86-64`;
  if (spawnSync('gcc', ['--version']).status !== 0) return 'gcc not installed';
  return false;
}

/** Final state of one run. */
interface State { regs: bigint[]; flags: number; mem: Uint8Array }

function runNative(harness: string, cases: readonly Case[]): State[] {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4); head.writeUInt32LE(cases.length); parts.push(head);
  for (const c of cases) {
    const b = Buffer.alloc(4 + c.code.length + 17 * 8 + MEM_SIZE);
    let o = b.writeUInt32LE(c.code.length, 0);
    b.set(c.code, o); o += c.code.length;
    for (const r of c.regs) o = b.writeBigUInt64LE(r, o);
    o = b.writeBigUInt64LE(BigInt(c.flags), o);
    b.set(c.mem, o);
    parts.push(b);
  }
  const r = spawnSync(harness, { input: Buffer.concat(parts), maxBuffer: 1 << 30, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`harness exited ${r.status ?? r.signal}: ${r.stderr.toString()} ${r.error?.message ?? ''}`);
  const out = r.stdout;
  const per = 17 * 8 + MEM_SIZE;
  return cases.map((_c, i) => {
    const base = i * per;
    const regs = Array.from({ length: 16 }, (_v, k) => out.readBigUInt64LE(base + 8 * k));
    return { regs, flags: Number(out.readBigUInt64LE(base + 128)), mem: out.subarray(base + 136, base + per) };
  });
}

function runEmulated(c: Case, memory: FixedMemory): State {
  memory.bytes.set(c.mem, MEM_ADDR);
  const emu = new X86Emulator({ code: c.code, memory });
  c.regs.forEach((v, r) => emu.setReg(r, v));
  emu.flags = c.flags;
  emu.run(0);
  return { regs: c.regs.map((_v, r) => emu.getReg(r)), flags: emu.flags, mem: memory.bytes.slice(MEM_ADDR, MEM_ADDR + MEM_SIZE) };
}

function diff(c: Case, want: State, got: State): string[] {
  const d: string[] = [];
  want.regs.forEach((v, r) => { if (got.regs[r] !== v) d.push(`${REG_NAMES[r]}: cpu 0x${v.toString(16)} emulator 0x${got.regs[r]!.toString(16)}`); });
  if (((want.flags ^ got.flags) & c.definedFlags) !== 0) {
    d.push(`flags (defined 0x${c.definedFlags.toString(16)}): cpu 0x${want.flags.toString(16)} emulator 0x${got.flags.toString(16)}`);
  }
  for (let i = 0; i < MEM_SIZE; i++) {
    if (want.mem[i] !== got.mem[i]) { d.push(`mem[0x${(MEM_ADDR + i).toString(16)}]: cpu ${want.mem[i]} emulator ${got.mem[i]}`); break; }
  }
  return d;
}

t.test('random sequences: emulator and CPU agree', { skip: skipReason() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'x86-harness-'));
  const harness = join(dir, 'harness');
  const cc = spawnSync('gcc', ['-O1', '-Wall', '-o', harness, HARNESS_SRC], { encoding: 'utf8' });
  t.equal(cc.status, 0, `gcc builds the harness ${cc.stderr}`);
  if (cc.status !== 0) return;

  const rng = new Rng(20261122);
  const bmi2 = existsSync('/proc/cpuinfo') && /\bbmi2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  if (!bmi2) t.comment('the CPU has no BMI2: shlx/shrx/sarx not exercised');
  const cases = Array.from({ length: CASES }, () => randomCase(rng, 8 + rng.int(32), bmi2));
  const native = runNative(harness, cases);
  const memory = new FixedMemory(MEM_ADDR, MEM_SIZE);
  let failures = 0, insts = 0;
  cases.forEach((c, i) => {
    const got = runEmulated(c, memory);
    insts += c.listing.length;
    const d = diff(c, native[i]!, got);
    if (d.length > 0 && failures++ < 5) t.fail(`case ${i} differs:\n  ${d.join('\n  ')}\n${c.listing.map((l) => `    ${l}`).join('\n')}`);
  });
  t.equal(failures, 0, `${cases.length} cases (${insts} instructions) agree`);
});
