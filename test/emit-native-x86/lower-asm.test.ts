/**
 * @file Emitted x86-64 code checked outside the emulator: the assembly text
 * assembles with llvm-mc to exactly the emitted bytes (every conformance
 * case and every fixture program), and programs without helper calls run on
 * the real CPU through test/native/x86/harness.c with the interpreter's r0.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conformanceHelpers } from '../../src/abi/helper-env.js';
import { loadObject } from '../../src/elf/index.js';
import { Instance } from '../../src/host/instance.js';
import { compileProgramX86 } from '../../src/host/native-backend.js';
import { caseProgram, parseConformanceData } from '../harness/conformance-data.js';
import { assembleText, findLlvmMc, hex } from './llvm-mc.js';
import { programObject } from './lower-harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suite = resolve(root, '..', 'shared', 'bpf-conformance', 'tests');
const HARNESS_SRC = join(root, 'test/native/x86/harness.c');
const MEM_ADDR = 0x10000, MEM_SIZE = 1024;

interface Compiled { name: string; code: Uint8Array; asm: string; entry: number; result?: bigint; mem?: Uint8Array; native: boolean }

function conformance(): Compiled[] {
  if (!existsSync(suite)) return [];
  const out: Compiled[] = [];
  for (const file of readdirSync(suite).filter((f) => f.endsWith('.data')).sort()) {
    const c = parseConformanceData(readFileSync(join(suite, file), 'utf8'), file);
    if (c.skip !== undefined) continue;
    const program = caseProgram(c);
    const { object, prog } = programObject(program);
    const inst = new Instance(object, { helpers: conformanceHelpers() });
    // No helpers, packet loads or local calls (their frames would leave the harness's memory).
    const bare = prog.insns.every((i) => ![0x85, 0x8d, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50].includes(i.code));
    const mem = c.hasMem ? c.mem : undefined;
    for (const level of [2, 0] as const) {
      const x = compileProgramX86(prog, inst, { level }, 2, false);
      out.push({
        name: `${file} -O${level}`, code: x.code, asm: x.asm, entry: x.entry,
        native: bare && c.result !== undefined && (mem?.length ?? 0) <= 256,
        ...(c.result !== undefined ? { result: c.result } : {}), ...(mem !== undefined ? { mem } : {}),
      });
    }
  }
  return out;
}

function fixtures(): Compiled[] {
  const out: Compiled[] = [];
  for (const f of readdirSync(join(root, 'test/fixtures')).filter((f) => f.endsWith('-el.o'))) {
    const file = join(root, 'test/fixtures', f);
    const object = loadObject(new Uint8Array(readFileSync(file)), { file });
    const inst = new Instance(object, { nCpus: 2 });
    for (const p of object.programs) {
      const x = compileProgramX86(p, inst);
      out.push({ name: `${f} ${p.name}`, code: x.code, asm: x.asm, entry: x.entry, native: false });
    }
  }
  return out;
}

const programs = [...conformance(), ...fixtures()];
const llvmMc = findLlvmMc();

t.test('the assembly text assembles with llvm-mc to the emitted bytes', { skip: llvmMc === undefined ? 'llvm-mc not installed' : false }, async (t) => {
  // One llvm-mc run over all programs, each in its own section-free block separated by labels.
  const bad: string[] = [];
  const chunk = 60;
  for (let s = 0; s < programs.length; s += chunk) {
    const group = programs.slice(s, s + chunk);
    const text = group.map((p, k) => p.asm.replace(/\.L/g, `.Lp${k}_`)).join('');
    const bytes = assembleText(llvmMc!, text);
    if (typeof bytes === 'string') { bad.push(`llvm-mc failed: ${bytes.slice(0, 400)}`); continue; }
    const want = group.map((p) => hex(p.code)).join('');
    if (hex(bytes) !== want) {
      // Find the program that differs.
      let at = 0;
      for (const p of group) {
        const got = hex(bytes.subarray(at, at + p.code.length));
        if (got !== hex(p.code)) { bad.push(`${p.name}: llvm-mc ${got.slice(0, 80)} emitted ${hex(p.code).slice(0, 80)}`); break; }
        at += p.code.length;
      }
    }
  }
  t.same(bad, [], `${programs.length} programs`);
});

t.test('emitted code runs on the real CPU with the interpreter\'s r0', { skip: arch() !== 'x64' ? `the CPU is ${arch()}` : spawnSync('gcc', ['--version']).status !== 0 ? 'gcc not installed' : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'x86-lower-'));
  const harness = join(dir, 'harness');
  const cc = spawnSync('gcc', ['-O1', '-o', harness, HARNESS_SRC], { encoding: 'utf8' });
  t.equal(cc.status, 0, `gcc builds the harness ${cc.stderr}`);
  if (cc.status !== 0) return;
  const cases = programs.filter((p) => p.native);
  // Memory: input at MEM_ADDR (≤ 256 bytes), the eBPF frame below MEM_ADDR+0x300, the machine stack above.
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4); head.writeUInt32LE(cases.length); parts.push(head);
  for (const p of cases) {
    // Driver: call the entry, then jump past the program to the harness's landing.
    const drv = Buffer.alloc(10);
    drv[0] = 0xe8; drv.writeInt32LE(5 + p.entry, 1);
    drv[5] = 0xe9; drv.writeInt32LE(p.code.length, 6);
    const code = Buffer.concat([drv, Buffer.from(p.code)]);
    const regs = new Array<bigint>(16).fill(0n);
    regs[4] = BigInt(MEM_ADDR + MEM_SIZE); // rsp
    regs[5] = BigInt(MEM_ADDR + 0x300); // rbp: the eBPF frame pointer
    regs[7] = p.mem !== undefined ? BigInt(MEM_ADDR) : 0n; // rdi: r1
    regs[6] = BigInt(p.mem?.length ?? 0); // rsi: r2
    const b = Buffer.alloc(4 + code.length + 17 * 8 + MEM_SIZE);
    let o = b.writeUInt32LE(code.length, 0);
    b.set(code, o); o += code.length;
    for (const r of regs) o = b.writeBigUInt64LE(r, o);
    o = b.writeBigUInt64LE(0x202n, o);
    if (p.mem !== undefined) b.set(p.mem, o);
    parts.push(b);
  }
  const r = spawnSync(harness, { input: Buffer.concat(parts), maxBuffer: 1 << 30, timeout: 60_000 });
  t.equal(r.status, 0, `harness ran ${r.stderr?.toString()} ${r.signal ?? ""} (stopped in ${cases[Math.floor((r.stdout?.length ?? 0) / (17 * 8 + MEM_SIZE))]?.name})`);
  if (r.status !== 0) return;
  const per = 17 * 8 + MEM_SIZE;
  const bad: string[] = [];
  cases.forEach((p, i) => {
    const rax = r.stdout.readBigUInt64LE(i * per);
    if (rax !== p.result) bad.push(`${p.name}: cpu r0 0x${rax.toString(16)}, expected 0x${p.result!.toString(16)}`);
  });
  t.same(bad, [], `${cases.length} programs ran natively`);
  t.ok(cases.length > 300, 'most conformance programs ran natively');
});
