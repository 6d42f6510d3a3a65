/**
 * @file The x86-64 emulator's calling convention, host calls, faults,
 * instruction counter and speed. Instruction semantics are checked against
 * the real CPU in native.test.ts.
 */
import t from 'tap';
import { CodeBuffer } from '../../src/codegen/buffer.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError } from '../../src/diag/diagnostic.js';
import { CC } from '../../src/emit-native-x86/cond.js';
import { emitBranch, emitInst, encodeInsts } from '../../src/emit-native-x86/encode.js';
import { CODE_BASE, HOST_BASE, X86Emulator, type HostCall } from '../../src/emit-native-x86/emulator.js';
import { movImm64, type Inst } from '../../src/emit-native-x86/insts.js';
import { RAX, RCX, RDI, RDX, RSI, RSP, R8, R9, R11 } from '../../src/emit-native-x86/regs.js';

/** A memory with a 4 KiB stack and a 64-byte read-only block; rsp at the stack top. */
function setup(code: Uint8Array, hostCall?: HostCall, budget?: number) {
  const memory = new LinearMemory();
  const stack = memory.map('stack', 'stack', 4096, true);
  const rodata = memory.map('rodata', 'global', 64, false);
  memory.view.setBigUint64(rodata.start, 0x1122334455667788n, true);
  const emu = new X86Emulator({ code, memory, ...(hostCall ? { hostCall } : {}), ...(budget ? { budget } : {}) });
  emu.setReg(RSP, BigInt(stack.start + stack.size));
  return { emu, memory, stack, rodata };
}

/** The diagnostic code a function throws, or 'none'. */
function codeOf(f: () => unknown): string {
  try { f(); return 'none'; } catch (e) { if (e instanceof DiagnosticError) return e.code; throw e; }
}

t.test('call passes SysV arguments and returns rax', async (t) => {
  const code = encodeInsts([
    { op: 'lea', size: 64, dst: RAX, src: { base: RDI, index: RSI, scale: 1, disp: 0 } },
    { op: 'imul', size: 64, dst: RAX, src: RDX },
    { op: 'sub', size: 64, dst: RAX, src: RCX },
    { op: 'ret' },
  ]);
  const { emu, stack } = setup(code);
  t.equal(emu.call(0, [2n, 3n, 7n, 1n]), 34n);
  t.equal(emu.executed, 4);
  t.equal(emu.getReg(RSP), BigInt(stack.start + stack.size), 'ret pops the exit address');
  t.equal(emu.call(0, [-1n, 0n, 1n << 62n, 0n]), BigInt.asUintN(64, -(1n << 62n)), 'wraps at 64 bits');
});

t.test('movImm64 loads every constant with the shortest plain move', async (t) => {
  const values = [0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, -1n, -0x80000000n, -0x80000001n,
    0x7fffffffffffffffn, -0x8000000000000000n, 0x123456789abcdefn];
  for (const v of values) {
    const inst = movImm64(9, v);
    const code = encodeInsts([inst, { op: 'ret' }]);
    const { emu } = setup(code);
    emu.setReg(9, 0x5555555555555555n);
    emu.call(0);
    t.equal(emu.getReg(9), BigInt.asUintN(64, v), `${v} via ${inst.op}`);
    const len = code.length - 1;
    const want = BigInt.asUintN(64, v) <= 0xffffffffn ? 6 : BigInt.asIntN(64, v) >= -0x80000000n && BigInt.asIntN(64, v) < 0x80000000n ? 7 : 10;
    t.equal(len, want, `${v} takes ${want} bytes with r9`);
  }
});

t.test('a counted loop runs and counts its instructions', async (t) => {
  const buf = new CodeBuffer();
  emitInst(buf, { op: 'xor', size: 32, dst: RAX, src: RAX });
  emitInst(buf, { op: 'mov', size: 32, dst: RCX, src: RDI });
  const top = buf.newLabel();
  buf.bind(top);
  emitInst(buf, { op: 'add', size: 64, dst: RAX, src: RCX });
  emitInst(buf, { op: 'sub', size: 32, dst: RCX, src: { imm: 1 } });
  emitBranch(buf, { op: 'jcc', cc: CC.NE, rel: 0, width: 8 }, top);
  emitInst(buf, { op: 'ret' });
  const { emu } = setup(buf.finish());
  t.equal(emu.call(0, [100n]), 5050n);
  t.equal(emu.executed, 2 + 3 * 100 + 1);
});

t.test('bpf-style memory access: loads, stores, a local call and push/pop', async (t) => {
  const buf = new CodeBuffer();
  const f = buf.newLabel();
  emitInst(buf, { op: 'push', reg: 3 });
  emitInst(buf, { op: 'mov', size: 64, dst: 3, src: { base: RSI, disp: 0 } }); // rodata value
  emitBranch(buf, { op: 'call', rel: 0 }, f);
  emitInst(buf, { op: 'pop', reg: 3 });
  emitInst(buf, { op: 'ret' });
  buf.bind(f);
  emitInst(buf, { op: 'mov', size: 64, dst: { base: RSP, disp: -8 }, src: 3 });
  emitInst(buf, { op: 'movzx', size: 32, from: 16, dst: RAX, src: { base: RSP, disp: -8 } });
  emitInst(buf, { op: 'bswap', size: 32, dst: RAX });
  emitInst(buf, { op: 'ret' });
  const { emu, rodata } = setup(buf.finish());
  emu.setReg(3, 0xdeadn);
  t.equal(emu.call(0, [0n, BigInt(rodata.start)]), 0x88770000n);
  t.equal(emu.getReg(3), 0xdeadn, 'rbx restored by pop');
});

t.test('a frame-pointer prologue and leave/ret epilogue', async (t) => {
  const code = encodeInsts([
    { op: 'endbr64' },
    { op: 'push', reg: 5 },
    { op: 'mov', size: 64, dst: 5, src: RSP },
    { op: 'sub', size: 64, dst: RSP, src: { imm: 32 } },
    { op: 'mov', size: 64, dst: { base: 5, disp: -8 }, src: RDI },
    { op: 'add', size: 64, dst: { base: 5, disp: -8 }, src: { imm: 5 } },
    { op: 'mov', size: 64, dst: RAX, src: { base: 5, disp: -8 } },
    { op: 'leave' },
    { op: 'ret' },
  ]);
  const { emu, stack } = setup(code);
  emu.setReg(5, 0x1234n);
  t.equal(emu.call(0, [10n]), 15n);
  t.equal(emu.getReg(5), 0x1234n, 'rbp restored');
  t.equal(emu.getReg(RSP), BigInt(stack.start + stack.size));
});

t.test('host calls: direct, indirect and tail calls reach the handler with SysV arguments', async (t) => {
  const seen: [number, bigint[]][] = [];
  const host: HostCall = (id, args) => { seen.push([id, [...args]]); return BigInt(id) * 1000n + args[0]!; };
  const buf = new CodeBuffer();
  emitInst(buf, { op: 'mov', size: 32, dst: RSI, src: { imm: 2 } });
  // call rel32 to HOST_BASE + 5: rel counted from the end of the 5-byte call
  const at = buf.offset;
  emitInst(buf, { op: 'call', rel: HOST_BASE + 5 - (CODE_BASE + at + 5) });
  emitInst(buf, { op: 'mov', size: 64, dst: RDI, src: RAX });
  emitInst(buf, { op: 'movabs', dst: R11, imm: BigInt(HOST_BASE + 9) });
  emitInst(buf, { op: 'call-indirect', target: R11 });
  emitInst(buf, { op: 'mov', size: 64, dst: RDI, src: RAX });
  emitInst(buf, { op: 'mov', size: 32, dst: R8, src: { imm: 8 } });
  emitInst(buf, { op: 'mov', size: 32, dst: R9, src: { imm: 9 } });
  emitInst(buf, { op: 'movabs', dst: R11, imm: BigInt(HOST_BASE + 1) });
  emitInst(buf, { op: 'jmp-indirect', target: R11 });
  const { emu } = setup(buf.finish(), host);
  t.equal(emu.call(0, [1n]), 1000n + 9000n + 5000n + 1n);
  t.same(seen.map((s) => s[0]), [5, 9, 1]);
  t.same(seen[0]![1].slice(0, 2), [1n, 2n]);
  t.same(seen[2]![1].slice(4, 6), [8n, 9n]);
});

t.test('faults are diagnostics with stable codes', async (t) => {
  const run = (insts: Inst[], args: bigint[] = [], hostCall?: HostCall, budget?: number): string => {
    const { emu, rodata } = setup(encodeInsts(insts), hostCall, budget);
    return codeOf(() => emu.call(0, args.length ? args : [BigInt(rodata.start)]));
  };
  t.equal(run([{ op: 'mov', size: 64, dst: RAX, src: { base: RDI, disp: 64 } }, { op: 'ret' }]), 'RUN_MEMORY_FAULT', 'load past a region');
  t.equal(run([{ op: 'mov', size: 64, dst: RAX, src: { base: RDI, disp: 60 } }, { op: 'ret' }]), 'RUN_MEMORY_FAULT', 'load straddling the end');
  t.equal(run([{ op: 'mov', size: 8, dst: { base: RDI, disp: 0 }, src: RAX }, { op: 'ret' }]), 'RUN_READONLY', 'store into read-only');
  t.equal(run([{ op: 'mov', size: 8, dst: RAX, src: { base: RDI, disp: 0 } }, { op: 'ret' }], [0n]), 'RUN_MEMORY_FAULT', 'null');
  t.equal(run([{ op: 'mov', size: 8, dst: RAX, src: { base: RDI, disp: 0 } }, { op: 'ret' }], [1n << 40n]), 'RUN_MEMORY_FAULT', 'above 4 GiB');
  t.equal(run([{ op: 'mov', size: 64, dst: { base: 'rip', disp: -7 }, src: RAX }, { op: 'ret' }]), 'RUN_READONLY', 'store into the code');
  t.equal(run([{ op: 'mov', size: 64, dst: RAX, src: { base: 'rip', disp: -7 } }, { op: 'ret' }]), 'none', 'rip-relative load of the code');
  t.equal(run([{ op: 'mov', size: 64, dst: RAX, src: { base: 'rip', disp: 0 } }, { op: 'ret' }]), 'RUN_MEMORY_FAULT', 'load past the code');
  t.equal(run([{ op: 'xor', size: 32, dst: RSP, src: RSP }, { op: 'push', reg: RAX }]), 'RUN_MEMORY_FAULT', 'push below address 0');
  t.equal(run([{ op: 'ud2' }]), 'X86_TRAP');
  t.equal(run([{ op: 'int3' }]), 'X86_TRAP');
  t.equal(run([{ op: 'xor', size: 32, dst: RCX, src: RCX }, { op: 'div', size: 64, dst: RCX }, { op: 'ret' }]), 'X86_DIVIDE_ERROR');
  t.equal(run([{ op: 'mov', size: 32, dst: RDX, src: { imm: 5 } }, { op: 'mov', size: 32, dst: RCX, src: { imm: 5 } }, { op: 'div', size: 32, dst: RCX }, { op: 'ret' }]), 'X86_DIVIDE_ERROR', 'quotient overflow');
  t.equal(run([{ op: 'jmp', rel: 100, width: 8 }]), 'X86_BAD_TARGET');
  t.equal(run([{ op: 'jmp', rel: -2, width: 8 }], [], undefined, 1000), 'RUN_BUDGET', 'an endless loop stops at the budget');
  t.equal(run([{ op: 'call', rel: HOST_BASE - (CODE_BASE + 5) }]), 'X86_UNKNOWN_HOST_CALL');
  const { emu } = setup(Uint8Array.from([0x0f, 0x05, 0xc3])); // syscall: outside the subset
  t.equal(codeOf(() => emu.call(0)), 'X86_UNDECODABLE');
});

t.test('speed: instructions per second on a bpf-like loop', async (t) => {
  // for (i = n; i; i--) { x = load(p); h = (h ^ x) * 0x100000001b3; h += i << 3; store(p, h) }
  const buf = new CodeBuffer();
  emitInst(buf, { op: 'mov', size: 32, dst: RCX, src: RDI });
  emitInst(buf, { op: 'movabs', dst: R8, imm: 0x100000001b3n });
  emitInst(buf, { op: 'xor', size: 32, dst: RAX, src: RAX });
  const top = buf.newLabel();
  buf.bind(top);
  emitInst(buf, { op: 'movzx', size: 32, from: 8, dst: RDX, src: { base: RSI, index: RCX, scale: 1, disp: -1 } });
  emitInst(buf, { op: 'xor', size: 64, dst: RAX, src: RDX });
  emitInst(buf, { op: 'imul', size: 64, dst: RAX, src: R8 });
  emitInst(buf, { op: 'mov', size: 64, dst: R9, src: RCX });
  emitInst(buf, { op: 'shl', size: 64, dst: R9, count: 3 });
  emitInst(buf, { op: 'add', size: 64, dst: RAX, src: R9 });
  emitInst(buf, { op: 'mov', size: 32, dst: { base: RSP, disp: -16 }, src: RAX });
  emitInst(buf, { op: 'cmp', size: 32, dst: { base: RSP, disp: -16 }, src: { imm: 0 } });
  emitInst(buf, { op: 'sub', size: 32, dst: RCX, src: { imm: 1 } });
  emitBranch(buf, { op: 'jcc', cc: CC.NE, rel: 0, width: 8 }, top);
  emitInst(buf, { op: 'ret' });
  const { emu, memory } = setup(buf.finish());
  const data = memory.map('data', 'packet', 1500, true);
  memory.bytes.fill(7, data.start, data.start + 1500);
  const n = 200_000;
  const start = performance.now();
  emu.call(0, [BigInt(n % 1500 || 1500), BigInt(data.start)]);
  for (let i = 0; i < n / 1500; i++) emu.call(0, [1500n, BigInt(data.start)]);
  const ms = performance.now() - start;
  const ips = emu.executed / (ms / 1000);
  t.comment(`x86 emulator: ${emu.executed} instructions in ${ms.toFixed(0)} ms = ${(ips / 1e6).toFixed(1)} M instructions/s`);
  t.ok(ips > 100_000, 'runs at least 0.1 M instructions/s');
});
