/** @file The interpreter's interfaces: linear memory, helpers, lddw resolution, packets, budgets, faults. */
import t from 'tap';
import { LinearMemory, NULL_PAGE, GUARD_GAP } from '../../src/abi/linear-memory.js';
import { stopProgram, type HelperFn } from '../../src/abi/helper-env.js';
import { DiagnosticError, fail } from '../../src/diag/index.js';
import { interpret, prepare, run } from '../../src/interp/index.js';
import { assemble } from '../../src/isa/asm.js';
import type { Insn } from '../../src/isa/insn.js';
import { LddwSrc } from '../../src/isa/opcodes.js';

const asm = (text: string): Insn[] => {
  const r = assemble(text);
  if (r.diagnostics.length > 0) throw new Error(r.diagnostics[0]!.message);
  return r.insns;
};

const codeOf = (f: () => unknown): string | undefined => {
  try { f(); } catch (e) { if (e instanceof DiagnosticError) return `${e.code} pc ${e.diagnostic.location.pc}`; throw e; }
  return undefined;
};

t.test('linear memory: null page, guard gaps, growth, reuse', async (t) => {
  const m = new LinearMemory();
  t.equal(m.find(0, 1), undefined, 'address 0 is never mapped');
  const a = m.map('a', 'heap', 100, true);
  t.equal(a.start, NULL_PAGE);
  const b = m.map('b', 'heap', 10, false);
  t.ok(b.start >= a.start + a.size + GUARD_GAP, 'a guard gap separates regions');
  t.equal(b.start % 16, 0);
  t.equal(m.find(a.start, 100), a);
  t.equal(m.find(a.start + 99, 1), a);
  t.equal(m.find(a.start + 99, 2), undefined, 'an access that crosses the end is outside');
  t.equal(m.find(a.start + a.size, 1), undefined, 'the gap is unmapped');
  t.equal(m.find(b.start + 4, 4), b);
  t.equal(m.find(a.start - 1, 1), undefined);
  const before = m.bytes.length;
  const big = m.map('big', 'heap', 300_000, true);
  t.ok(m.bytes.length > before, 'the memory grew');
  t.ok(m.bytes.length >= big.start + big.size);
  m.bytes[big.start + 299_999] = 7;
  t.equal(m.view.getUint8(big.start + 299_999), 7, 'bytes and view see the same grown buffer');
  m.bytes.fill(9, a.start, a.start + a.size);
  m.unmap(a);
  t.equal(m.find(a.start, 1), undefined, 'an unmapped region is gone (also from the last-hit cache)');
  t.equal(m.bytes[a.start], 0, 'its bytes are zeroed');
  const c = m.map('c', 'heap', 50, true);
  t.equal(c.start, a.start, 'its addresses are reused first-fit');
  t.same(m.regions.map((r) => r.name), ['c', 'b', 'big'], 'regions in address order');
});

t.test('arguments, stack, and the stack is unmapped afterwards', async (t) => {
  const memory = new LinearMemory();
  const r = interpret(asm('mov %r0, %r1\nadd %r0, %r5\nstxdw [%r10-8], %r0\nldxdw %r0, [%r10-8]\nexit'), {
    memory, args: [40n, 0n, 0n, 0n, 2n],
  });
  t.equal(r.r0, 42n);
  t.equal(r.insnCount, 5);
  t.equal(memory.regions.length, 0);
  const small = memory.map('s', 'stack', 512, true);
  t.equal(codeOf(() => interpret(asm('exit'), { memory, stack: small })), 'RUN_STACK_TOO_SMALL pc undefined');
});

t.test('read-only regions: loads work, stores fault', async (t) => {
  const memory = new LinearMemory();
  const ro = memory.map('rodata', 'global', 8, false);
  memory.view.setUint32(ro.start, 0xabcd, true);
  const args = [BigInt(ro.start)];
  t.equal(interpret(asm('ldxw %r0, [%r1]\nexit'), { memory, args }).r0, 0xabcdn);
  let err: DiagnosticError | undefined;
  try { interpret(asm('mov %r0, 0\nstw [%r1+4], 1\nexit'), { memory, args }); } catch (e) { err = e as DiagnosticError; }
  t.equal(err?.code, 'RUN_READONLY');
  t.equal(err?.diagnostic.location.pc, 1);
  t.match(err?.message, /"rodata"/);
  t.equal(codeOf(() => interpret(asm('lock add [%r1], %r1\nexit'), { memory, args })), 'RUN_READONLY pc 0');
});

t.test('helpers: arguments, environment, faults located at the call, stop', async (t) => {
  const memory = new LinearMemory();
  const seen: bigint[] = [];
  const sum: HelperFn = (env, r1, r2, r3, r4, r5) => {
    seen.push(BigInt(env.pc));
    t.equal(env.memory, memory);
    return r1 + r2 + r3 + r4 + r5 - 1n; // wraps: the interpreter keeps r0 64-bit
  };
  const bad: HelperFn = () => fail('RUN_BAD_OPTION', { detail: 'helper refused' });
  const stop: HelperFn = (_env, r1) => stopProgram(r1 * 2n);
  const helpers = new Map([[1, sum], [2, bad], [3, stop]]);
  const r = interpret(asm('mov %r1, 0\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 1\nexit'), { memory, helpers });
  t.equal(r.r0, 0xffffffffffffffffn, 'result wrapped to 64 bits');
  t.same(seen, [5n], 'env.pc is the call');
  t.equal(codeOf(() => interpret(asm('mov %r0, 0\ncall 2\nexit'), { memory, helpers })), 'RUN_BAD_OPTION pc 1');
  const s = interpret(asm('mov %r1, 21\ncall 3\nmov %r0, 1\nexit'), { memory, helpers });
  t.same(s, { r0: 42n, insnCount: 2 }, 'a stop ends the run with the helper\'s r0');
  t.equal(codeOf(() => interpret(asm('call 4\nexit'), { memory, helpers })), 'RUN_UNKNOWN_HELPER pc 0');
});

t.test('lddw pseudo sources go through the resolver', async (t) => {
  const memory = new LinearMemory();
  const insns = asm('lddw %r0, map_by_idx(3)\nlddw %r1, map_value_by_idx(2)+16\nadd %r0, %r1\nexit');
  const resolver = {
    resolve(kind: number, insn: Insn): bigint | undefined {
      if (kind === LddwSrc.MAP_IDX) return 0x1000n * BigInt(insn.imm);
      if (kind === LddwSrc.MAP_IDX_VALUE) return 0x100000n * BigInt(insn.imm) + BigInt(insn.imm2 ?? 0);
      return undefined;
    },
  };
  t.equal(interpret(insns, { memory, lddw: resolver }).r0, 0x3000n + 0x200010n);
  t.equal(codeOf(() => prepare(asm('lddw %r0, btf_id(1)\nexit'), { lddw: resolver })), 'RUN_LDDW_UNRESOLVED pc 0');
});

t.test('legacy packet loads read the given packet, big-endian', async (t) => {
  const memory = new LinearMemory();
  const pkt = memory.map('packet', 'packet', 4, false);
  memory.bytes.set([0xde, 0xad, 0xbe, 0xef], pkt.start);
  const packet = { start: pkt.start, size: 4 };
  t.equal(interpret(asm('ldabsw 0\nexit'), { memory, packet }).r0, 0xdeadbeefn);
  t.equal(interpret(asm('mov %r2, 2\nldindh %r2, 0\nexit'), { memory, packet }).r0, 0xbeefn);
  t.same(interpret(asm('mov %r0, 5\nldabsb 4\nexit'), { memory, packet }), { r0: 0n, insnCount: 2 }, 'out of bounds ends with 0');
  t.equal(interpret(asm('mov %r0, 5\nldabsb 0\nexit'), { memory }).r0, 0n, 'no packet: every load is out of bounds');
});

t.test('budget is configurable and counts instructions', async (t) => {
  const memory = new LinearMemory();
  const loop = prepare(asm('mov %r0, 0\nl:\nadd %r0, 1\njne %r0, 10, l\nexit'));
  t.same(run(loop, { memory }), { r0: 10n, insnCount: 22 });
  t.same(run(loop, { memory, budget: 22 }), { r0: 10n, insnCount: 22 }, 'exactly enough');
  t.equal(codeOf(() => run(loop, { memory, budget: 21 })), 'RUN_BUDGET pc 3');
});

t.test('invalid programs are rejected before running', async (t) => {
  t.equal(codeOf(() => prepare(asm('ja +3\nexit'))), 'ISA_JUMP_RANGE pc 0');
  t.equal(codeOf(() => prepare(asm('call local +7\nexit'))), 'ISA_JUMP_RANGE pc 0');
});
