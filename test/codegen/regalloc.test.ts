/**
 * @file The shared register allocator on IR text: every function is run twice,
 * once on plain SSA values and once on the allocated locations (registers and
 * frame slots, with the allocator's edge, entry and call moves, calls and
 * clobbering instructions trashing the registers they may destroy). Both runs
 * must give the same result; a wrong allocation (two live values sharing a
 * register, a value in a caller-saved register across a call, a mis-ordered
 * parallel copy) shows as a different result. Plus the invariants directly.
 */
import t from 'tap';
import { parseFunc } from '../../src/ir/parse.js';
import { evalPure } from '../../src/ir/semantics.js';
import type { Func } from '../../src/ir/func.js';
import type { Value } from '../../src/ir/types.js';
import { allocate, sequentialise, type Allocation, type Loc, type Move } from '../../src/codegen/regalloc.js';
import { liveness } from '../../src/codegen/liveness.js';
import type { RegTarget } from '../../src/codegen/target.js';

/** A small machine: r0..r7; r0, r1 scratch; r2..r4 caller-saved; r5..r7 callee-saved; args r2, r3, r4; result r2. */
function tinyTarget(allocatable: number[]): RegTarget {
  return {
    name: 'tiny',
    allocatable,
    callerSaved: [0, 1, 2, 3, 4],
    calleeSaved: [5, 6, 7],
    argRegs: [2, 3, 4],
    retReg: 2,
    scratch: [0, 1],
    clobbers: (_fn, inst) => (inst.op === 'udiv' ? [3] : []),
    foldsConst: (_fn, inst, k) => inst.op === 'add' && k === 1,
    regName: (r) => `r${r}`,
  };
}

const helper = (args: readonly bigint[]): bigint => BigInt.asUintN(64, (args[0] ?? 0n) * 3n + (args[1] ?? 0n) + 7n);
const GARBAGE = 0xdeadbeefcafef00dn;

/** Run `fn` on plain values (alloc undefined) or on the allocation's locations. */
function simulate(fn: Func, args: readonly bigint[], alloc?: Allocation, target?: RegTarget): bigint {
  const vals = new Map<Value, bigint>();
  const regs = new Map<number, bigint>();
  const slots = new Map<number, bigint>();
  const consts = new Map<Value, bigint>();
  const readLoc = (l: Loc | Move['from']): bigint => {
    if (l.kind === 'imm') return l.value;
    if (l.kind === 'reg') return regs.get(l.reg) ?? GARBAGE;
    if (l.kind === 'slot') return slots.get(l.slot) ?? GARBAGE;
    throw new Error('read of nowhere');
  };
  const writeLoc = (l: Loc, x: bigint): void => {
    if (l.kind === 'reg') regs.set(l.reg, x);
    else if (l.kind === 'slot') slots.set(l.slot, x);
  };
  const read = (v: Value): bigint => {
    if (alloc === undefined) return vals.get(v)!;
    const l = alloc.loc(v);
    if (l.kind === 'none') { const c = consts.get(v); if (c === undefined) throw new Error(`v${v} has no location`); return c; }
    return readLoc(l);
  };
  const write = (v: Value | undefined, x: bigint): void => {
    if (v === undefined) return;
    if (alloc === undefined) vals.set(v, x); else writeLoc(alloc.loc(v), x);
  };
  const run = (ms: readonly Move[]): void => { for (const m of ms) writeLoc(m.to, readLoc(m.from)); };
  const entry = fn.layout[0]!;
  if (alloc === undefined) fn.blocks[entry]!.params.forEach((p, k) => vals.set(p, args[k]!));
  else { target!.argRegs.forEach((r, k) => regs.set(r, args[k] ?? 0n)); run(alloc.entryMoves()); }
  let block = entry;
  for (let steps = 0; steps < 100000; steps++) {
    for (const i of fn.blocks[block]!.insts) {
      const d = fn.insts[i]!;
      if (d.op === 'iconst') { consts.set(d.result!, d.imm!); write(d.result, d.imm!); continue; }
      if (d.op === 'call_helper') {
        let a: bigint[];
        if (alloc === undefined) a = d.args.map(read);
        else { run(alloc.callMoves(d.args)); a = d.args.map((_v, k) => regs.get(target!.argRegs[k]!)!); for (const r of target!.callerSaved) regs.set(r, GARBAGE + BigInt(r)); }
        write(d.result, helper(a));
        continue;
      }
      if (d.op === 'jump' || d.op === 'br_if') {
        const taken = d.op === 'jump' || read(d.args[0]!) !== 0n ? 0 : 1;
        const c = d.targets![taken]!;
        if (alloc === undefined) {
          const a = c.args.map(read);
          fn.blocks[c.block]!.params.forEach((p, k) => vals.set(p, a[k]!));
        } else run(alloc.edgeMoves(c));
        block = c.block;
        break;
      }
      if (d.op === 'ret') return read(d.args[0]!);
      const r = evalPure(d.op, d.type, d.args.map(read), d.cond);
      if (r === undefined) throw new Error(`cannot simulate ${d.op}`);
      if (alloc !== undefined) for (const c of target!.clobbers?.(fn, d) ?? []) regs.set(c, GARBAGE);
      write(d.result, r);
    }
  }
  throw new Error('no return');
}

const PROGRAMS: Record<string, string> = {
  // A loop whose parameters rotate: the edge copy is a cycle.
  rotate: `func f0 "rotate" {
b0(v0: i64, v1: i64, v2: i64):
  v3 = iconst.i64 0
  jump b1(v0, v1, v2, v3)
b1(v4: i64, v5: i64, v6: i64, v7: i64):
  v8 = iconst.i64 1
  v9 = add.i64 v7, v8
  v10 = iconst.i64 7
  v11 = icmp.i64 ult v9, v10
  br_if v11, b1(v5, v6, v4, v9), b2
b2:
  v12 = iconst.i64 100
  v13 = mul.i64 v4, v12
  v14 = mul.i64 v5, v10
  v15 = add.i64 v13, v14
  v16 = add.i64 v15, v6
  ret v16
}`,
  // More live values than registers: spills.
  pressure: `func f0 "pressure" {
b0(v0: i64, v1: i64, v2: i64):
  v3 = add.i64 v0, v1
  v4 = sub.i64 v0, v2
  v5 = mul.i64 v1, v2
  v6 = xor.i64 v3, v4
  v7 = or.i64 v5, v0
  v8 = and.i64 v6, v7
  v9 = add.i64 v3, v4
  v10 = add.i64 v9, v5
  v11 = add.i64 v10, v6
  v12 = add.i64 v11, v7
  v13 = add.i64 v12, v8
  v14 = add.i64 v13, v0
  v15 = add.i64 v14, v1
  v16 = add.i64 v15, v2
  ret v16
}`,
  // Values live across helper calls; a clobbering udiv.
  calls: `func f0 "calls" {
b0(v0: i64, v1: i64, v2: i64):
  v3 = call_helper 1 (v0, v1)
  v4 = call_helper 2 (v3, v2)
  v5 = udiv.i64 v4, v1
  v6 = add.i64 v5, v0
  v7 = add.i64 v6, v1
  v8 = add.i64 v7, v2
  v9 = add.i64 v8, v3
  ret v9
}`,
  // Diamond with swapped arguments on one edge and constants on the other.
  diamond: `func f0 "diamond" {
b0(v0: i64, v1: i64, v2: i64):
  v3 = icmp.i64 ugt v0, v1
  br_if v3, b1(v0, v1), b2
b1(v4: i64, v5: i64):
  jump b3(v5, v4)
b2:
  v6 = iconst.i64 5
  v7 = iconst.i64 9
  jump b3(v6, v7)
b3(v8: i64, v9: i64):
  v10 = sub.i64 v8, v9
  v11 = add.i64 v10, v2
  ret v11
}`,
};

const INPUTS: bigint[][] = [[1n, 2n, 3n], [10n, 3n, 4n], [0xffffffffffffffffn, 5n, 0n], [100n, 200n, 300n]];

for (const [name, text] of Object.entries(PROGRAMS)) {
  t.test(name, async (t) => {
    for (const allocatable of [[2, 3, 4, 5, 6, 7], [2, 3, 5], [5, 6]]) {
      const fn = parseFunc(text);
      const target = tinyTarget(allocatable);
      const alloc = allocate(fn, target);
      for (const args of INPUTS) {
        t.equal(simulate(fn, args, alloc, target), simulate(fn, args), `${allocatable.length} registers, args ${args.join(',')}`);
      }
      // Invariants: used callee-saved reported; locations only in allocatable registers.
      const live = liveness(fn);
      for (const b of fn.layout) {
        for (const i of fn.blocks[b]!.insts) {
          const r = fn.insts[i]!.result;
          if (r === undefined) continue;
          const l = alloc.loc(r);
          if (l.kind === 'reg') {
            t.ok(allocatable.includes(l.reg), `v${r} in an allocatable register`);
            if (target.calleeSaved.includes(l.reg)) t.ok(alloc.usedCalleeSaved.includes(l.reg), `r${l.reg} reported as used`);
          }
        }
      }
      t.ok(live.blockStart.size === fn.layout.length);
    }
  });
}

t.test('tight registers force spills, calls force callee-saved or slots', async (t) => {
  const fn = parseFunc(PROGRAMS.pressure!);
  t.ok(allocate(fn, tinyTarget([2, 3])).frameSlots > 0, 'spills with two registers');
  const calls = parseFunc(PROGRAMS.calls!);
  const alloc = allocate(calls, tinyTarget([2, 3, 4, 5, 6, 7]));
  const v0 = alloc.loc(calls.blocks[0]!.params[0]!);
  t.ok(v0.kind === 'slot' || (v0.kind === 'reg' && [5, 6, 7].includes(v0.reg)), 'a value live across a call avoids caller-saved registers');
});

t.test('parallel copies: cycles through the scratch register, every permutation', async (t) => {
  const perms = (n: number): number[][] => (n === 0 ? [[]] : perms(n - 1).flatMap((p) => Array.from({ length: n }, (_v, k) => [...p.slice(0, k), n - 1, ...p.slice(k)])));
  let checked = 0;
  for (const p of perms(4)) {
    const moves: Move[] = p.map((src, dst) => ({ from: { kind: 'reg', reg: 10 + src }, to: { kind: 'reg', reg: 10 + dst } }));
    const regs = new Map<number, bigint>([[10, 0n], [11, 1n], [12, 2n], [13, 3n]]);
    for (const m of sequentialise(moves, 99)) {
      const f = m.from;
      regs.set((m.to as { reg: number }).reg, f.kind === 'reg' ? regs.get(f.reg)! : f.kind === 'imm' ? f.value : -1n);
    }
    t.same([10, 11, 12, 13].map((r) => regs.get(r)), p.map((s) => BigInt(s)), `permutation ${p.join('')}`);
    checked++;
  }
  t.equal(checked, 24);
  t.same(sequentialise([{ from: { kind: 'reg', reg: 1 }, to: { kind: 'reg', reg: 1 } }], 9), [], 'self-moves vanish');
});

t.test('the simulator catches a bad allocation (every value in one register)', async (t) => {
  const fn = parseFunc(PROGRAMS.pressure!);
  const target = tinyTarget([2, 3, 4, 5, 6, 7]);
  const good = allocate(fn, target);
  const bad: Allocation = { ...good, loc: () => ({ kind: 'reg', reg: 5 }), edgeMoves: () => [], entryMoves: () => [{ from: { kind: 'reg', reg: 2 }, to: { kind: 'reg', reg: 5 } }] };
  t.not(simulate(fn, [10n, 3n, 4n], bad, target), simulate(fn, [10n, 3n, 4n]));
});
