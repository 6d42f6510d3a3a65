/**
 * @file Compiled conformance programs that call no helper and do not fault,
 * run on qemu-aarch64 through test/native/arm64/harness.c, give the same r0,
 * input memory and eBPF stack as on the emulator (and the interpreter, which
 * the conformance test already compares with the emulator).
 *
 * The harness relocates one register (x8 here) to its memory block; a
 * two-to-three instruction prelude puts the input address in x0 (the block
 * starts with the input) and the eBPF stack top (the block's end) in x7, then
 * falls into the program stub. The code's own calls use the real SP.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conformanceHelpers } from '../../src/abi/helper-env.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { compileArm64 } from '../../src/emit-arm64/compile.js';
import { encodeAll } from '../../src/emit-arm64/encode.js';
import { addSub, movSp } from '../../src/emit-arm64/insts.js';
import { materialise } from '../../src/emit-arm64/materialise.js';
import { MACHINE_STACK_SIZE, runArm64 } from '../../src/host/native-backend-arm64.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../../src/isa/registers.js';
import { decodeChecked } from '../../src/isa/validate.js';
import { lift } from '../../src/lift/lift.js';
import { runPipeline } from '../../src/opt/pipeline.js';
import { caseProgram, parseConformanceData } from '../harness/conformance-data.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const suite = resolve(root, '..', 'shared', 'bpf-conformance', 'tests');
const harnessSource = join(here, '..', 'native', 'arm64', 'harness.c');
const has = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const missing = ['aarch64-linux-gnu-gcc', 'qemu-aarch64'].filter((c) => !has(c));
const STACK = STACK_SIZE * MAX_CALL_FRAMES;
const BASE = 8;

interface Case { name: string; code: Uint8Array; input: Uint8Array; r0: bigint; inputOut: string; stackOut: string }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function collect(level: 0 | 2): { cases: Case[]; block: number } {
  const cases: Case[] = [];
  const raw: { name: string; code: Uint8Array; input: Uint8Array; r0: bigint; inputOut: string; stackOut: string }[] = [];
  for (const file of readdirSync(suite).filter((f) => f.endsWith('.data')).sort()) {
    const c = parseConformanceData(readFileSync(join(suite, file), 'utf8'), file);
    if (c.skip !== undefined) continue;
    const { insns, diagnostics } = decodeChecked(caseProgram(c));
    if (diagnostics.length > 0) continue;
    const m = lift(insns, { entryArgs: 2 }).module;
    if (m === undefined) continue;
    runPipeline(m, { level });
    const prog = compileArm64(m);
    if (prog.hostCalls.length > 0) continue;
    const input = c.hasMem ? c.mem : new Uint8Array(0);
    const memory = new LinearMemory();
    const region = input.length > 0 ? memory.map('input', 'input', input.length, true) : undefined;
    if (region !== undefined) memory.bytes.set(input, region.start);
    const stack = memory.map('stack', 'stack', STACK, true);
    const mstack = memory.map('machine-stack', 'stack', MACHINE_STACK_SIZE, true);
    let r0: bigint;
    try {
      r0 = runArm64(prog, {
        memory, args: region !== undefined ? [BigInt(region.start), BigInt(input.length)] : [0n, 0n],
        helpers: conformanceHelpers(), stackTop: stack.start + STACK, machineStackTop: mstack.start + mstack.size,
      }).r0;
    } catch { continue; } // faults are not run natively
    raw.push({
      name: file, code: prog.code, input, r0,
      inputOut: region !== undefined ? hex(memory.bytes.subarray(region.start, region.start + input.length)) : '',
      stackOut: hex(memory.bytes.subarray(stack.start, stack.start + STACK)),
    });
  }
  const maxInput = Math.max(0, ...raw.map((r) => r.input.length));
  const block = ((maxInput + 15) & ~15) + STACK;
  for (const r of raw) {
    const prelude = [
      ...(r.input.length > 0 ? [movSp(true, 0, BASE)] : []),
      ...materialise(true, 7, BigInt(block)),
      addSub('add', true, 7, BASE, 7),
    ];
    const pre = encodeAll(prelude);
    const code = new Uint8Array(pre.length + r.code.length);
    code.set(pre); code.set(r.code, pre.length);
    cases.push({ ...r, code });
  }
  return { cases, block };
}

function runQemu(dir: string, binary: string, cases: readonly Case[], block: number): { x0: bigint; mem: string }[] {
  const parts: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(16));
  header.setUint32(0, 0x48343641, true);
  header.setUint32(4, cases.length, true);
  header.setUint32(8, block, true);
  header.setUint32(12, BASE, true);
  parts.push(new Uint8Array(header.buffer));
  for (const c of cases) {
    const head = new DataView(new ArrayBuffer(4 + c.code.length + 30 * 8));
    head.setUint32(0, c.code.length / 4, true);
    new Uint8Array(head.buffer).set(c.code, 4);
    head.setBigUint64(4 + c.code.length + 1 * 8, BigInt(c.input.length), true);
    parts.push(new Uint8Array(head.buffer));
    const mem = new Uint8Array(block);
    mem.set(c.input);
    parts.push(mem);
  }
  const input = join(dir, 'input.bin');
  writeFileSync(input, Buffer.concat(parts));
  const r = spawnSync('qemu-aarch64', [binary, input], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`harness failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim().split('\n').map((line) => {
    const f = line.split(' ');
    return { x0: BigInt(`0x${f[0]}`), mem: f[30]! };
  });
}

const skip = missing.length > 0 ? `missing ${missing.join(', ')}` : !existsSync(suite) ? `no ${suite} (../shared absent)` : false;

t.test('helper-free conformance programs agree between the emulator and qemu-aarch64', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'arm64-lower-qemu-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const binary = join(dir, 'harness');
  const cc = spawnSync('aarch64-linux-gnu-gcc', ['-static', '-O1', '-o', binary, harnessSource], { encoding: 'utf8' });
  t.equal(cc.status, 0, `harness builds: ${cc.stderr}`);
  if (!existsSync(binary)) return;
  for (const level of [0, 2] as const) {
    const { cases, block } = collect(level);
    t.ok(cases.length > 200, `-O${level}: ${cases.length} programs without helpers or faults`);
    const cpu = runQemu(dir, binary, cases, block);
    t.equal(cpu.length, cases.length, 'one result per case');
    const bad: string[] = [];
    cases.forEach((c, k) => {
      const q = cpu[k]!;
      const qInput = q.mem.slice(0, 2 * c.input.length), qStack = q.mem.slice(2 * (block - STACK));
      if (q.x0 !== c.r0) bad.push(`${c.name}: r0 emulator ${c.r0} qemu ${q.x0}`);
      else if (qInput !== c.inputOut) bad.push(`${c.name}: input memory differs`);
      else if (qStack !== c.stackOut) bad.push(`${c.name}: eBPF stack differs`);
    });
    t.same(bad, [], `-O${level}: r0 and memory agree`);
  }
});
