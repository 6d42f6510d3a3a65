/**
 * @file Register allocation on SSA with block parameters: linear scan over
 * live intervals (Poletto & Sarkar, "Linear Scan Register Allocation", TOPLAS
 * 1999; on SSA as in Wimmer & Franz, CGO 2010), shared by both native backends.
 *
 * Contract (stable; the backends program against it):
 *
 * - Every SSA value gets ONE location for its whole life (`loc`): a register
 *   from `RegTarget.allocatable`, a frame slot (8 bytes, numbered from 0; the
 *   backend decides where slot n lives, typically `[sp + 8n]`), or `none` when
 *   the value is never needed in a location (unused, or a constant whose every
 *   use the target folds, see `RegTarget.foldsConst`).
 * - A value live across a call (`call_helper`, `call`, `call_indirect`) is
 *   never in a `callerSaved` register; a value live across an instruction is
 *   never in a register that instruction's `clobbers` lists. A call's
 *   arguments and result may be in any register: the backend moves them to
 *   and from `argRegs`/`retReg` with `callMoves`/`emitMoves`.
 * - Block parameters: a branch to a block moves each argument to its
 *   parameter's location: `edgeMoves(call)` gives that parallel copy, already
 *   sequentialised (cycles broken through `scratch[0]`). The allocator hints a
 *   parameter and its arguments to the same register, so most edges need no
 *   move at all.
 * - Entry parameters arrive in `argRegs`: `entryMoves()` moves them to their
 *   locations (sequentialised).
 * - `usedCalleeSaved`: callee-saved registers the allocation uses, which the
 *   prologue must save and the epilogue restore.
 *
 * The lowering reads a spilled operand into a scratch register and writes a
 * spilled result from one; the allocator never splits a value's life.
 */

import { assert } from '../diag/errors.js';
import { OPS } from '../ir/ops.js';
import type { Func, BlockCall } from '../ir/func.js';
import type { Value } from '../ir/types.js';
import { isCall, liveness } from './liveness.js';
import type { MReg, RegTarget } from './target.js';

/** Where a value lives. */
export type Loc =
  | { readonly kind: 'reg'; readonly reg: MReg }
  | { readonly kind: 'slot'; readonly slot: number }
  | { readonly kind: 'none' };

/** One move of a sequentialised parallel copy: `to = from`. */
export interface Move {
  readonly from: Loc | { readonly kind: 'imm'; readonly value: bigint };
  readonly to: Loc;
}

/** The result of allocating one function. */
export interface Allocation {
  /** The location of a value (the same for its whole life). */
  loc(v: Value): Loc;
  /** Number of 8-byte frame slots the spills need. */
  readonly frameSlots: number;
  /** Callee-saved registers used (to save in the prologue), ascending. */
  readonly usedCalleeSaved: readonly MReg[];
  /** The moves for a branch edge: arguments of `call` to its target's parameters, in order. */
  edgeMoves(call: BlockCall): readonly Move[];
  /** The moves that put the entry block's parameters from `argRegs` into their locations. */
  entryMoves(): readonly Move[];
  /**
   * The moves that put call arguments `args` (in order) into `argRegs`, in
   * order. Sequentialised; may use `scratch[0]`.
   */
  callMoves(args: readonly Value[]): readonly Move[];
}

/** A source of a move. */
type Src = Move['from'];

function sameLoc(a: Src, b: Src): boolean {
  if (a.kind === 'reg' && b.kind === 'reg') return a.reg === b.reg;
  if (a.kind === 'slot' && b.kind === 'slot') return a.slot === b.slot;
  return false;
}

/**
 * Order a parallel copy (all `from`s read before any `to` is written) as a
 * sequence of moves, breaking cycles through the register `scratch`
 * (Boissinot et al., "Revisiting Out-of-SSA Translation", CGO 2009, alg. 1).
 * Moves to `none` and moves of a location to itself are dropped. Destinations
 * must be distinct.
 */
export function sequentialise(moves: readonly Move[], scratch: MReg): Move[] {
  const pending = moves.filter((m) => m.to.kind !== 'none' && !sameLoc(m.from, m.to)).map((m) => ({ from: m.from, to: m.to }));
  const imms = pending.filter((m) => m.from.kind === 'imm' || m.from.kind === 'none');
  let rest = pending.filter((m) => !(m.from.kind === 'imm' || m.from.kind === 'none'));
  const out: Move[] = [];
  while (rest.length > 0) {
    const ready = rest.findIndex((m) => !rest.some((o) => o !== m && sameLoc(o.from, m.to)));
    if (ready >= 0) {
      out.push(rest[ready]!);
      rest.splice(ready, 1);
      continue;
    }
    // Every destination is still read: a cycle. Save one destination in scratch.
    const m = rest[0]!;
    const tmp: Loc = { kind: 'reg', reg: scratch };
    out.push({ from: m.to, to: tmp });
    rest = rest.map((o) => (sameLoc(o.from, m.to) ? { from: tmp, to: o.to } : o));
  }
  return [...out, ...imms.filter((m) => m.from.kind === 'imm')];
}

/** A live interval: one per value that needs a location. */
interface Interval {
  readonly value: Value;
  start: number;
  end: number;
  crossesCall: boolean;
  /** Registers forbidden by clobbering instructions inside the interval. */
  readonly forbidden: Set<MReg>;
  /** Preferred registers, best first. */
  readonly hints: MReg[];
  loc: Loc;
}

/**
 * Allocate locations for every value of `fn` (see the file comment for the
 * contract).
 */
export function allocate(fn: Func, target: RegTarget): Allocation {
  const live = liveness(fn);
  const NONE: Loc = { kind: 'none' };
  const constOf = new Map<Value, bigint>();
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      const d = fn.insts[i]!;
      if (d.op === 'iconst' && d.result !== undefined) constOf.set(d.result, d.imm ?? 0n);
    }
  }
  const intervals = new Map<Value, Interval>();
  const touch = (v: Value, p: number): Interval => {
    let it = intervals.get(v);
    if (it === undefined) {
      it = { value: v, start: p, end: p, crossesCall: false, forbidden: new Set(), hints: [], loc: NONE };
      intervals.set(v, it);
    }
    if (p < it.start) it.start = p;
    if (p > it.end) it.end = p;
    return it;
  };
  // Needed: values read somewhere in a location (not folded, not a constant on an edge or call).
  const needed = new Set<Value>();
  const calls: number[] = [];
  const clobbers: { pos: number; regs: readonly MReg[] }[] = [];
  const hint = (v: Value, r: MReg): void => { const it = intervals.get(v); if (it !== undefined && !it.hints.includes(r)) it.hints.push(r); };
  for (const b of fn.layout) {
    const start = live.blockStart.get(b)!;
    const end = live.blockEnd.get(b)!;
    for (const p of fn.blocks[b]!.params) touch(p, start);
    for (const v of live.liveIn.get(b)!) touch(v, start);
    for (const v of live.liveOut.get(b)!) touch(v, end);
    for (const i of fn.blocks[b]!.insts) {
      const d = fn.insts[i]!;
      const pos = live.instPos.get(i)!;
      if (d.result !== undefined) touch(d.result, pos);
      const call = isCall(fn, i);
      if (call) calls.push(pos);
      const extra = target.clobbers?.(fn, d) ?? [];
      if (extra.length > 0) clobbers.push({ pos, regs: extra });
      d.args.forEach((a, k) => {
        touch(a, pos);
        const c = constOf.get(a);
        const folded = c !== undefined && (call || (target.foldsConst?.(fn, d, k, c) ?? false));
        if (!folded) needed.add(a);
      });
      for (const c of d.targets ?? []) {
        for (const a of c.args) { touch(a, pos); if (!constOf.has(a)) needed.add(a); }
      }
    }
  }
  // Block parameters are needed when something reads them; results of non-constant ops when read.
  for (const [v, it] of intervals) {
    if (!needed.has(v)) { intervals.delete(v); continue; }
    for (const q of calls) if (q > it.start && q < it.end) it.crossesCall = true;
    for (const c of clobbers) if (c.pos > it.start && c.pos < it.end) for (const r of c.regs) it.forbidden.add(r);
  }
  // Hints: entry parameters in argRegs, call results in retReg, call arguments in argRegs, ret in retReg.
  const entry = fn.layout[0];
  if (entry !== undefined) fn.blocks[entry]!.params.forEach((p, k) => { const r = target.argRegs[k]; if (r !== undefined) hint(p, r); });
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      const d = fn.insts[i]!;
      const f = OPS[d.op].format;
      if (isCall(fn, i)) {
        if (d.result !== undefined) hint(d.result, target.retReg);
        const args = f === 'call_indirect' ? d.args.slice(1) : d.args;
        args.forEach((a, k) => { const r = target.argRegs[k]; if (r !== undefined) hint(a, r); });
      }
      if (d.op === 'ret' && d.args[0] !== undefined) hint(d.args[0], target.retReg);
    }
  }
  const sorted = [...intervals.values()].sort((a, b) => a.start - b.start || a.value - b.value);
  // Block-call partners for coalescing: param <-> args.
  const partners = new Map<Value, Value[]>();
  const link = (a: Value, b: Value): void => {
    if (!partners.has(a)) partners.set(a, []);
    partners.get(a)!.push(b);
  };
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      for (const c of fn.insts[i]!.targets ?? []) {
        c.args.forEach((a, k) => { const p = fn.blocks[c.block]!.params[k]; if (p !== undefined) { link(p, a); link(a, p); } });
      }
    }
  }
  const callerSaved = new Set(target.callerSaved);
  const calleeSaved = new Set(target.calleeSaved);
  const active: Interval[] = [];
  const regOwner = new Map<MReg, Interval>();
  let slots = 0;
  const usedCallee = new Set<MReg>();
  const allowed = (it: Interval, r: MReg): boolean => !it.forbidden.has(r) && !(it.crossesCall && callerSaved.has(r));
  for (const it of sorted) {
    // Expire intervals that ended at or before this start.
    for (let k = active.length - 1; k >= 0; k--) {
      const a = active[k]!;
      if (a.end <= it.start) { active.splice(k, 1); if (a.loc.kind === 'reg') regOwner.delete(a.loc.reg); }
    }
    const prefs: MReg[] = [];
    for (const p of partners.get(it.value) ?? []) { const l = intervals.get(p)?.loc; if (l?.kind === 'reg') prefs.push(l.reg); }
    prefs.push(...it.hints);
    let reg = prefs.find((r) => target.allocatable.includes(r) && !regOwner.has(r) && allowed(it, r));
    if (reg === undefined) {
      // Prefer caller-saved for short lives, callee-saved for lives across calls.
      const order = it.crossesCall ? [...target.allocatable].sort((a, b) => Number(callerSaved.has(a)) - Number(callerSaved.has(b))) : target.allocatable;
      reg = order.find((r) => !regOwner.has(r) && allowed(it, r));
    }
    if (reg === undefined) {
      // Spill whichever of the current interval and the compatible active ones ends last.
      let victim: Interval | undefined;
      for (const a of active) {
        if (a.loc.kind === 'reg' && allowed(it, a.loc.reg) && a.end > it.end && (victim === undefined || a.end > victim.end)) victim = a;
      }
      if (victim !== undefined && victim.loc.kind === 'reg') {
        reg = victim.loc.reg;
        victim.loc = { kind: 'slot', slot: slots++ };
        active.splice(active.indexOf(victim), 1);
        regOwner.delete(reg);
      } else {
        it.loc = { kind: 'slot', slot: slots++ };
        continue;
      }
    }
    it.loc = { kind: 'reg', reg };
    regOwner.set(reg, it);
    active.push(it);
  }
  for (const it of intervals.values()) if (it.loc.kind === 'reg' && calleeSaved.has(it.loc.reg)) usedCallee.add(it.loc.reg);
  const loc = (v: Value): Loc => intervals.get(v)?.loc ?? NONE;
  const src = (v: Value): Src => {
    const c = constOf.get(v);
    const l = loc(v);
    if (c !== undefined && l.kind === 'none') return { kind: 'imm', value: c };
    return l;
  };
  const scratch = target.scratch[0];
  assert(scratch !== undefined, `target ${target.name} has no scratch register`);
  return {
    loc,
    frameSlots: slots,
    usedCalleeSaved: [...usedCallee].sort((a, b) => a - b),
    edgeMoves(call: BlockCall): readonly Move[] {
      const params = fn.blocks[call.block]!.params;
      return sequentialise(call.args.map((a, k) => ({ from: src(a), to: loc(params[k]!) })), scratch);
    },
    entryMoves(): readonly Move[] {
      if (entry === undefined) return [];
      return sequentialise(fn.blocks[entry]!.params.map((p, k) => ({ from: { kind: 'reg', reg: target.argRegs[k]! }, to: loc(p) })), scratch);
    },
    callMoves(args: readonly Value[]): readonly Move[] {
      return sequentialise(args.map((a, k) => ({ from: src(a), to: { kind: 'reg', reg: target.argRegs[k]! } })), scratch);
    },
  };
}
