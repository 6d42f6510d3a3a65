/**
 * @file The AArch64 emulator on hand-written programs: calls, host calls,
 * LL/SC, constants, faults with their diagnostics, and a speed figure.
 * (Instruction semantics at large are checked against qemu in qemu.test.ts.)
 */
import t from 'tap';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError } from '../../src/diag/diagnostic.js';
import { Arm64Emulator, HOST_CALL_BASE, type HostFunction } from '../../src/emit-arm64/emulator.js';
import { encodeAll } from '../../src/emit-arm64/encode.js';
import * as A from '../../src/emit-arm64/insts.js';
import { SP, type Inst } from '../../src/emit-arm64/insts.js';
import { materialise } from '../../src/emit-arm64/materialise.js';
import { COND } from '../../src/emit-arm64/cond.js';
import { Rng } from './random-inst.js';

function setup(insts: Inst[], hostFunctions: HostFunction[] = []) {
  const memory = new LinearMemory();
  const stack = memory.map('stack', 'stack', 512, true);
  const data = memory.map('data', 'input', 4096, true);
  const rodata = memory.map('rodata', 'global', 64, false);
  const emu = new Arm64Emulator({ code: encodeAll(insts), memory, hostFunctions, stepLimit: 10_000_000 });
  const top = BigInt(stack.start + stack.size);
  return { memory, stack, data, rodata, emu, top };
}

function faultCode(f: () => unknown): string | undefined {
  try { f(); } catch (e) { if (e instanceof DiagnosticError) return e.code; throw e; }
  return undefined;
}

t.test('materialise: every constant loads in at most four instructions', async (t) => {
  const g = new Rng(99);
  const values: bigint[] = [0n, 1n, 0xffffn, 0x10000n, 0xffffffffn, 0x100000000n, -1n, -2n, 0x8000000000000000n,
    0x5555555555555555n, 0x123456789abcdef0n, 0xffff1234ffffffffn, 0x0000ffff00001234n];
  for (let k = 0; k < 400; k++) values.push(g.u64());
  let bad = 0, total = 0;
  for (const sf of [true, false]) {
    for (const v of values) {
      const insts = materialise(sf, 5, v);
      total += insts.length;
      if (insts.length > (sf ? 4 : 2)) bad++;
      const { emu } = setup([...insts, A.ret()]);
      emu.x[5] = 0xdeadbeefdeadbeefn;
      emu.call(0);
      if (emu.x[5] !== BigInt.asUintN(sf ? 64 : 32, v)) { bad++; t.comment(`${v.toString(16)} -> ${emu.x[5]!.toString(16)}`); }
    }
  }
  t.equal(bad, 0, `${values.length * 2} constants, ${total} instructions`);
  t.equal(materialise(true, 0, -1n).length, 1, 'all ones is one MOVN');
  t.equal(materialise(true, 0, 0x5555555555555555n).length, 1, 'a bitmask is one ORR');
});

t.test('BL and RET, with a frame on the stack', async (t) => {
  // main: stp x29, x30, [sp, #-16]!; bl f; add x0, x0, #1; ldp x29, x30, [sp], #16; ret
  // f:    lsl x0, x0, #1; ret
  const { emu, top } = setup([
    A.pair(false, true, 29, 30, SP, -16, 'pre'), A.bl(16), A.addImm(true, 0, 0, 1),
    A.pair(true, true, 29, 30, SP, 16, 'post'), A.ret(),
    A.lslImm(true, 0, 0, 1), A.ret(),
  ]);
  t.equal(emu.call(0, [20n], top), 41n);
  t.equal(emu.sp, top, 'stack balanced');
  t.equal(emu.steps, 7, 'instruction count');
});

t.test('host calls: BLR to HOST_CALL_BASE + 4k calls function k with X0..X5', async (t) => {
  const seen: bigint[][] = [];
  const fns: HostFunction[] = [
    () => 0n,
    (args) => { seen.push([...args]); return args[0]! * 10n + args[5]!; },
  ];
  const { emu, top } = setup([
    A.pair(false, true, 29, 30, SP, -16, 'pre'),
    ...materialise(true, 16, BigInt(HOST_CALL_BASE + 4)),
    A.moveWide('movz', true, 5, 7), A.dp2('udiv', true, 1, 1, 1),
    A.branchReg('blr', 16),
    A.addImm(true, 0, 0, 2),
    A.pair(true, true, 29, 30, SP, 16, 'post'), A.ret(),
  ], fns);
  t.equal(emu.call(0, [4n, 9n], top), 49n);
  t.same(seen, [[4n, 1n, 0n, 0n, 0n, 7n]]);
  t.equal(faultCode(() => setup([...materialise(true, 16, BigInt(HOST_CALL_BASE + 8)), A.branchReg('blr', 16), A.ret()], fns).emu.call(0)),
    'ARM64_NO_HOST_FUNCTION');
});

t.test('LL/SC: an atomic add loop, and STXR without a reservation fails', async (t) => {
  const { emu, data, memory } = setup([
    // retry: ldaxr x2, [x0]; add x2, x2, x1; stlxr w3, x2, [x0]; cbnz w3, retry; ret
    A.exclusive('ldaxr', 8, 31, 2, 0), A.addSub('add', true, 2, 2, 1), A.exclusive('stlxr', 8, 3, 2, 0),
    A.cbz(true, false, 3, -12), A.ret(),
  ]);
  memory.view.setBigUint64(data.start, 40n, true);
  emu.call(0, [BigInt(data.start), 2n]);
  t.equal(memory.view.getBigUint64(data.start, true), 42n);
  const lone = setup([A.exclusive('stxr', 8, 3, 1, 0), A.ret()]);
  lone.emu.call(0, [BigInt(lone.data.start), 5n]);
  t.equal(lone.emu.x[3], 1n, 'status 1: no reservation');
  t.equal(lone.memory.view.getBigUint64(lone.data.start, true), 0n, 'memory untouched');
});

t.test('LSE atomics and CAS', async (t) => {
  const { emu, data, memory } = setup([
    A.atomic('ldadd', 8, 1, 2, 0), A.cas(8, 3, 4, 0), A.ret(),
  ]);
  memory.view.setBigUint64(data.start, 100n, true);
  emu.x[3] = 105n; emu.x[4] = 7n;
  emu.call(0, [BigInt(data.start), 5n]);
  t.equal(emu.x[2], 100n, 'ldadd returns the old value');
  t.equal(emu.x[3], 105n, 'cas returns the old value');
  t.equal(memory.view.getBigUint64(data.start, true), 7n, 'cas stored the new value');
});

t.test('faults are typed diagnostics', async (t) => {
  const ld = (addr: (s: ReturnType<typeof setup>) => number, inst: Inst = A.ldst('ldr', true, 0, 0)) => {
    const s = setup([inst, A.ret()]);
    return faultCode(() => s.emu.call(0, [BigInt(addr(s))]));
  };
  t.equal(ld(() => 0), 'RUN_MEMORY_FAULT', 'null');
  t.equal(ld((s) => s.data.start + s.data.size - 4), 'RUN_MEMORY_FAULT', 'straddles the end of a region');
  t.equal(ld(() => 0x7fff_0000), 'RUN_MEMORY_FAULT', 'beyond the memory');
  t.equal(ld((s) => s.rodata.start, A.ldst('str', true, 1, 0)), 'ARM64_READ_ONLY', 'store into a read-only region');
  t.equal(ld((s) => s.data.start + 4, A.exclusive('ldxr', 8, 31, 1, 0)), 'ARM64_UNALIGNED', 'unaligned exclusive');
  t.equal(ld((s) => s.data.start, A.brk(3)), 'ARM64_BREAKPOINT');
  t.equal(ld((s) => s.data.start, A.b(0)), 'ARM64_STEP_LIMIT', 'b . stops at the step limit');
  t.equal(ld(() => 0x1000, A.branchReg('br', 0)), 'ARM64_BAD_TARGET');
  const s = setup([A.nop(), A.branchReg('br', 0)]);
  try { s.emu.call(0, [0x1000n]); t.fail('no fault'); } catch (e) {
    t.equal((e as DiagnosticError).diagnostic.message,
      'branch to 0x1000, outside the code and the host-call range, at code offset 0x4', 'names the branch');
  }
  const undef = new Arm64Emulator({ code: new Uint8Array([0, 0, 0, 0]), memory: new LinearMemory() });
  t.equal(faultCode(() => undef.call(0)), 'ARM64_UNDEFINED');
  t.equal(ld((s) => s.rodata.start, A.ldst('ldr', true, 1, 0)), undefined, 'loads from read-only regions are fine');
});

t.test('speed: FNV-1a over 1500 bytes', async (t) => {
  const code = [
    ...materialise(true, 2, 0xcbf29ce484222325n),
    ...materialise(true, 3, 0x100000001b3n),
    A.cbz(false, true, 1, 24), // loop: cbz x1, done
    A.ldst('ldrb', false, 4, 0, 1, 'post'),
    A.logical('eor', true, 2, 2, 4),
    A.mul(true, 2, 2, 3),
    A.subImm(true, 1, 1, 1),
    A.b(-20),
    A.mov(true, 0, 2), A.ret(), // done
  ];
  const { emu, data, memory } = setup(code);
  const bytes = Array.from({ length: 1500 }, (_, k) => (k * 131 + 7) & 0xff);
  memory.bytes.set(bytes, data.start);
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  for (let r = 0; r < 10; r++) emu.call(0, [BigInt(data.start), 1500n]); // warm up the JIT
  emu.steps = 0;
  const runs = 40;
  const t0 = performance.now();
  let wrong = 0;
  for (let r = 0; r < runs; r++) if (emu.call(0, [BigInt(data.start), 1500n]) !== h) wrong++;
  const ms = performance.now() - t0;
  t.equal(wrong, 0, 'every run gives the hash');
  const rate = emu.steps / (ms / 1000);
  t.comment(`${emu.steps} instructions in ${ms.toFixed(1)} ms: ${(rate / 1e6).toFixed(2)} M instructions/s`);
  t.ok(rate > 1e5, 'runs at more than 100k instructions per second');
});

t.test('conditions: B.cond follows CMP for each eBPF jump mapping', async (t) => {
  const g = new Rng(5);
  const pairs: [bigint, bigint][] = [[0n, 0n], [1n, 2n], [2n, 1n], [-1n, 1n], [1n, -1n], [0x8000000000000000n, 1n]];
  for (let k = 0; k < 20; k++) pairs.push([g.u64(), g.u64()]);
  const expect: Record<number, (a: bigint, b: bigint) => boolean> = {
    [COND.eq]: (a, b) => a === b, [COND.ne]: (a, b) => a !== b,
    [COND.hi]: (a, b) => a > b, [COND.hs]: (a, b) => a >= b, [COND.lo]: (a, b) => a < b, [COND.ls]: (a, b) => a <= b,
    [COND.gt]: (a, b) => BigInt.asIntN(64, a) > BigInt.asIntN(64, b), [COND.ge]: (a, b) => BigInt.asIntN(64, a) >= BigInt.asIntN(64, b),
    [COND.lt]: (a, b) => BigInt.asIntN(64, a) < BigInt.asIntN(64, b), [COND.le]: (a, b) => BigInt.asIntN(64, a) <= BigInt.asIntN(64, b),
  };
  let bad = 0;
  for (const [cond, f] of Object.entries(expect)) {
    const { emu } = setup([A.cmp(true, 0, 1), A.cset(true, 0, Number(cond)), A.ret()]);
    for (const [a, b] of pairs) {
      const ua = BigInt.asUintN(64, a), ub = BigInt.asUintN(64, b);
      if ((emu.call(0, [ua, ub]) === 1n) !== f(ua, ub)) bad++;
    }
  }
  t.equal(bad, 0);
});
