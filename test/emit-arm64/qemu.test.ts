/**
 * @file Differential test: random AArch64 programs on the TypeScript emulator
 * and on qemu-aarch64 (through test/native/arm64/harness.c), comparing
 * X0..X28, NZCV and the memory block after each run.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { Arm64Emulator } from '../../src/emit-arm64/emulator.js';
import { encodeAll } from '../../src/emit-arm64/encode.js';
import { printAll } from '../../src/emit-arm64/print.js';
import { Rng } from './random-inst.js';
import { BASE, BASE_OFFSET, BLOCK, randomProgram } from './random-program.js';

const here = dirname(fileURLToPath(import.meta.url));
const harnessSource = join(here, '..', 'native', 'arm64', 'harness.c');
const CASES = Number(process.env['ARM64_QEMU_CASES'] ?? 3000);
const SEED = Number(process.env['ARM64_QEMU_SEED'] ?? 20261122);

const has = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const missing = ['aarch64-linux-gnu-gcc', 'qemu-aarch64'].filter((c) => !has(c));

interface Case { code: Uint8Array; text: string; x: bigint[]; nzcv: number; mem: Uint8Array }
interface Outcome { x: bigint[]; nzcv: number; mem: string }

const hexBytes = (b: Uint8Array): string => Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');

function makeCases(seed: number, count: number): Case[] {
  const g = new Rng(seed);
  const cases: Case[] = [];
  for (let c = 0; c < count; c++) {
    const prog = randomProgram(g, g.range(4, 40));
    const x = Array.from({ length: 29 }, () => g.u64());
    x[BASE] = BigInt(BASE_OFFSET);
    const mem = new Uint8Array(BLOCK);
    for (let k = 0; k < BLOCK; k++) mem[k] = g.int(256);
    cases.push({ code: encodeAll(prog), text: printAll(prog), x, nzcv: g.int(16), mem });
  }
  return cases;
}

function runEmulator(cases: readonly Case[]): Outcome[] {
  const memory = new LinearMemory();
  const block = memory.map('block', 'input', BLOCK, true);
  return cases.map((c) => {
    memory.bytes.set(c.mem, block.start);
    const emu = new Arm64Emulator({ code: c.code, memory, stepLimit: 100_000 });
    c.x.forEach((v, k) => { emu.x[k] = v; });
    emu.x[BASE] = BigInt(block.start + BASE_OFFSET);
    emu.nzcv = c.nzcv;
    emu.call(0);
    const x = Array.from({ length: 29 }, (_, k) => emu.x[k]!);
    x[BASE] = x[BASE]! - BigInt(block.start);
    return { x, nzcv: emu.nzcv, mem: hexBytes(memory.bytes.subarray(block.start, block.start + BLOCK)) };
  });
}

function runQemu(dir: string, binary: string, cases: readonly Case[]): Outcome[] {
  const parts: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(16));
  header.setUint32(0, 0x48343641, true);
  header.setUint32(4, cases.length, true);
  header.setUint32(8, BLOCK, true);
  header.setUint32(12, BASE, true);
  parts.push(new Uint8Array(header.buffer));
  for (const c of cases) {
    const head = new DataView(new ArrayBuffer(4 + c.code.length + 30 * 8));
    head.setUint32(0, c.code.length / 4, true);
    new Uint8Array(head.buffer).set(c.code, 4);
    c.x.forEach((v, k) => head.setBigUint64(4 + c.code.length + 8 * k, v, true));
    head.setBigUint64(4 + c.code.length + 29 * 8, BigInt(c.nzcv), true);
    parts.push(new Uint8Array(head.buffer), c.mem);
  }
  const input = join(dir, 'input.bin');
  writeFileSync(input, Buffer.concat(parts));
  const r = spawnSync('qemu-aarch64', [binary, input], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`harness failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split('\n').map((line) => {
    const f = line.split(' ');
    return { x: f.slice(0, 29).map((h) => BigInt(`0x${h}`)), nzcv: parseInt(f[29]!, 16), mem: f[30]! };
  });
}

t.test('random programs agree between the emulator and qemu-aarch64', { skip: missing.length > 0 ? `missing ${missing.join(', ')}` : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'arm64-harness-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const binary = join(dir, 'harness');
  const cc = spawnSync('aarch64-linux-gnu-gcc', ['-static', '-O1', '-o', binary, harnessSource], { encoding: 'utf8' });
  t.equal(cc.status, 0, `harness builds: ${cc.stderr}`);
  if (!existsSync(binary)) return;
  const cases = makeCases(SEED, CASES);
  const emu = runEmulator(cases);
  const cpu = runQemu(dir, binary, cases);
  t.equal(cpu.length, cases.length, 'one result per case');
  let bad = 0;
  let insts = 0;
  cases.forEach((c, k) => {
    insts += c.code.length / 4;
    const a = emu[k]!, b = cpu[k]!;
    const diffs: string[] = [];
    for (let r = 0; r < 29; r++) if (a.x[r] !== b.x[r]) diffs.push(`x${r}: emulator ${a.x[r]!.toString(16)} qemu ${b.x[r]!.toString(16)}`);
    if (a.nzcv !== b.nzcv) diffs.push(`nzcv: emulator ${a.nzcv} qemu ${b.nzcv}`);
    if (a.mem !== b.mem) diffs.push('memory differs');
    if (diffs.length > 0 && bad++ < 5) t.fail(`case ${k}:\n${diffs.join('\n')}\n${c.text}`);
  });
  t.equal(bad, 0, `${cases.length} programs (${insts} instructions) agree`);
});
