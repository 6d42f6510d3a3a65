/**
 * @file Instruction selection: one IR function (after register allocation,
 * `src/codegen/regalloc.ts`) to AArch64 instruction records in an `Asm`
 * (instructions with symbolic branch targets, resolved by `compile.ts`).
 *
 * - Every value has one location from the allocator; a spilled operand is
 *   read into a scratch register (x16 first operand, x17 second), a spilled
 *   result is computed in x15 and stored (`abi.ts`).
 * - `i32` values are kept zero-extended in their 64-bit registers (every W
 *   write clears the upper half, Arm ARM B1.2.1), so `zext` of a value already
 *   in its result register is free and `trunc` is one `mov wd, wn`.
 * - Immediates fold into add/sub (12 bits, optionally `lsl #12`, the sign
 *   flipped through sub/cmn), logical bitmask immediates, constant shifts,
 *   and stores of zero from XZR (`target.ts` tells the allocator the same).
 * - A `br_if` on an `icmp` right before it becomes CMP + B.cond, CBZ/CBNZ
 *   (compare with 0), TST + B.cond or TBZ/TBNZ (`set` with one bit).
 * - Division: AArch64 UDIV/SDIV already give 0 for a zero divisor and
 *   MIN / -1 = MIN (Arm ARM C6.2, SDIV/UDIV: "no exception"), which is the eBPF
 *   rule (RFC 9669 §4.1); remainders are `a - (a / b) * b` (MSUB), which gives
 *   the dividend for b = 0 and 0 for MIN % -1.
 * - Memory: addressing `[base, #imm]` (scaled unsigned), `[base, #simm9]`
 *   (LDUR/STUR) or `[base, xoff]`. Checked accesses are checked by the
 *   memory system the code runs on (the emulator's region table, see
 *   `docs/native-arm64.md`); every instruction carries its eBPF pc so a fault
 *   names it.
 * - Atomics: LSE with acquire-release ordering (LDADDAL, LDSETAL, LDEORAL,
 *   LDCLRAL on the complement for `and`, SWPAL, CASAL), or LDAXR/STLXR loops.
 */

import type { Label } from '../codegen/buffer.js';
import type { Allocation, Loc, Move } from '../codegen/regalloc.js';
import { assert, unreachable } from '../diag/errors.js';
import type { BlockCall, Func, InstData } from '../ir/func.js';
import { terminatorOf } from '../ir/func.js';
import type { Block, Cond as IrCond, FuncRef, Value } from '../ir/types.js';
import { isBitmask } from './bitmask.js';
import { COND, negate, type Cond } from './cond.js';
import {
  FRAME_BYTES, FRAME_REG, LIMIT_REG, type FaultSite, type HostCall,
} from './abi.js';
import {
  addImm, addSub, asrImm, atomic, bcond, bl, b as branch, brk, cas, cbz, cmnImm, cmp, cmpImm, cset,
  dp1, dp2, exclusive, FP, ldst, ldstReg, LR, logical, logicalImm, lslImm, lsrImm, madd, mov, movSp, msub, neg,
  pair, ret, SP, subImm, sxt, tbz, tst, tstImm, uxt, ZR,
  type Inst, type LdStOp, type Reg,
} from './insts.js';
import { materialise } from './materialise.js';
import { ARG_REGS } from './regs.js';
import { foldsConst, signedImm } from './target.js';
import { HOST_CALL_BASE } from './emulator.js';

const X15: Reg = 15, X16: Reg = 16, X17: Reg = 17, X29: Reg = FP, X30: Reg = LR;

/** A branch record whose offset is filled in when its label is placed. */
type BranchRec = Extract<Inst, { kind: 'branchImm' | 'branchCond' | 'compareBranch' | 'testBranch' }>;

/**
 * Instruction records with symbolic branch targets: every instruction is 4
 * bytes, so a label is an instruction index and `resolve` fills in offsets.
 */
export class Asm {
  /** The instructions, in order. */
  readonly insts: Inst[] = [];
  /** The label each branch instruction targets (by instruction index). */
  readonly targets = new Map<number, Label>();
  /** eBPF pc of each instruction (-1: none). */
  readonly pcs: number[] = [];
  /** Comment lines printed before instruction k. */
  readonly notes = new Map<number, string[]>();
  private readonly labels: number[] = [];
  /** The eBPF pc given to the next instructions. */
  pc = -1;

  /** A new, unplaced label. */
  newLabel(): Label {
    this.labels.push(-1);
    return (this.labels.length - 1) as Label;
  }

  /** Place a label at the next instruction. */
  bind(l: Label): void {
    assert(this.labels[l] === -1, `label ${l} placed twice`);
    this.labels[l] = this.insts.length;
  }

  /** Instruction index of a placed label. */
  labelIndex(l: Label): number {
    const k = this.labels[l];
    assert(k !== undefined && k >= 0, `label ${l} never placed`);
    return k;
  }

  /** Append instructions. */
  emit(...insts: Inst[]): void {
    for (const i of insts) {
      this.insts.push(i);
      this.pcs.push(this.pc);
    }
  }

  /** Append a branch to `label`. */
  branch(inst: BranchRec, label: Label): void {
    this.targets.set(this.insts.length, label);
    this.emit(inst);
  }

  /** A comment before the next instruction. */
  note(text: string): void {
    const k = this.insts.length;
    const list = this.notes.get(k);
    if (list === undefined) this.notes.set(k, [text]); else list.push(text);
  }

  /** The instructions with every branch offset filled in. */
  resolve(): Inst[] {
    return this.insts.map((inst, k) => {
      const l = this.targets.get(k);
      return l === undefined ? inst : { ...inst, offset: (this.labelIndex(l) - k) * 4 } as Inst;
    });
  }
}

/** What the lowering needs from the module around the function. */
export interface LowerEnv {
  /** The entry label of a function. */
  funcLabel(ref: FuncRef): Label;
  /** The host-function index of a host call (allocated on first use). */
  hostIndex(call: HostCall): number;
  /** Record a BRK site, returning its `imm16`. */
  fault(site: FaultSite): number;
  /** Map `k`'s handle, as `map_addr` gives it. */
  mapHandle(k: number): bigint;
  /** Address of byte 0 of map `k`'s value (global data). */
  mapValue(k: number): bigint;
  /** What `func_addr` gives for a function. */
  funcAddr(ref: FuncRef): bigint;
  /** Which entry parameters of a function have uses (moves to unused ones are left out). */
  paramsUsed?(ref: FuncRef): readonly boolean[];
  /** Use LDAXR/STLXR loops instead of LSE atomics. */
  readonly llsc?: boolean;
}

/** AArch64 condition of an IR comparison after `cmp a, b` (RFC 9669 §4.3 jumps; `set` after `tst`). */
const COND_OF: Readonly<Record<IrCond, Cond>> = {
  eq: COND.eq, ne: COND.ne, ugt: COND.hi, uge: COND.hs, ult: COND.lo, ule: COND.ls,
  sgt: COND.gt, sge: COND.ge, slt: COND.lt, sle: COND.le, set: COND.ne,
};

/** How a fused compare branches. */
type BranchOn =
  | { readonly kind: 'cond'; readonly cond: Cond }
  | { readonly kind: 'cbz'; readonly nonzero: boolean; readonly sf: boolean; readonly reg: Reg }
  | { readonly kind: 'tbz'; readonly nonzero: boolean; readonly reg: Reg; readonly bit: number };

const invert = (on: BranchOn): BranchOn =>
  on.kind === 'cond' ? { kind: 'cond', cond: negate(on.cond) } : { ...on, nonzero: !on.nonzero };

const align16 = (n: number): number => (n + 15) & ~15;

/** Lower function `fn` (allocated as `alloc`) into `asm`, starting at `label`. */
export function lowerFunc(fn: Func, alloc: Allocation, asm: Asm, env: LowerEnv, label: Label): void {
  const blockLabel = new Map<Block, Label>();
  for (const b of fn.layout) blockLabel.set(b, asm.newLabel());
  const uses = new Map<Value, number>();
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      const d = fn.insts[i]!;
      for (const v of d.args) uses.set(v, (uses.get(v) ?? 0) + 1);
      for (const c of d.targets ?? []) for (const v of c.args) uses.set(v, (uses.get(v) ?? 0) + 1);
    }
  }

  // Values made where they are used: `frame_addr` is x27 itself, and a
  // constant read once is materialised at its use (into x0 for `ret`), when
  // every use reads it through `read` (not a branch or call argument, whose
  // moves take the allocator's location).
  const CALLS = new Set(['call', 'call_helper', 'call_indirect', 'ld_pkt']);
  const moved = new Set<Value>();
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      const d = fn.insts[i]!;
      if (CALLS.has(d.op)) for (const v of d.args) moved.add(v);
      for (const c of d.targets ?? []) for (const v of c.args) moved.add(v);
    }
  }
  const remat = new Set<Value>();
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      const d = fn.insts[i]!;
      if (d.result === undefined || moved.has(d.result)) continue;
      if (d.op === 'frame_addr' || (d.op === 'iconst' && uses.get(d.result) === 1)) remat.add(d.result);
    }
  }

  // Frame: [sp, sp + 8 * slots) spill slots, then the saved callee-saved registers.
  const saved = alloc.usedCalleeSaved;
  const slotBytes = 8 * alloc.frameSlots;
  const frame = align16(slotBytes + 8 * saved.length);
  const slotOffset = (slot: number): number => 8 * slot;

  const adjustSp = (sub: boolean, bytes: number): void => {
    const make = sub ? subImm : addImm;
    if (bytes >= 4096) asm.emit(make(true, SP, SP, bytes >>> 12, true));
    if ((bytes & 0xfff) !== 0) asm.emit(make(true, SP, SP, bytes & 0xfff));
  };
  const saveRestore = (load: boolean): void => {
    for (let k = 0; k < saved.length; k += 2) {
      const off = slotBytes + 8 * k;
      if (k + 1 < saved.length && off <= 504) asm.emit(pair(load, true, saved[k]!, saved[k + 1]!, SP, off));
      else {
        asm.emit(ldst(load ? 'ldr' : 'str', true, saved[k]!, SP, off));
        if (k + 1 < saved.length) asm.emit(ldst(load ? 'ldr' : 'str', true, saved[k + 1]!, SP, off + 8));
      }
    }
  };

  // ---- locations ----------------------------------------------------------

  const constOf = (v: Value): bigint | undefined => {
    const def = fn.values[v]!.def;
    if (def.kind !== 'inst') return undefined;
    const d = fn.insts[def.inst]!;
    return d.op === 'iconst' ? d.imm ?? 0n : undefined;
  };

  /** The register holding `v`, loading or materialising it into `scratch` when needed. */
  const read = (v: Value, scratch: Reg): Reg => {
    if (remat.has(v)) {
      const c = constOf(v);
      if (c === undefined) return FRAME_REG;
      asm.emit(...materialise(true, scratch, c));
      return scratch;
    }
    const l = alloc.loc(v);
    if (l.kind === 'reg') return l.reg;
    if (l.kind === 'slot') {
      asm.emit(ldst('ldr', true, scratch, SP, slotOffset(l.slot)));
      return scratch;
    }
    const c = constOf(v);
    assert(c !== undefined, `v${v} has no location and is not a constant`);
    asm.emit(...materialise(true, scratch, c));
    return scratch;
  };

  /** The register to compute `v` in, and what stores it afterwards. */
  const dest = (v: Value | undefined): { reg: Reg; done(): void } => {
    const l: Loc = v === undefined ? { kind: 'none' } : alloc.loc(v);
    if (l.kind === 'reg') return { reg: l.reg, done: () => undefined };
    if (l.kind === 'slot') return { reg: X15, done: () => asm.emit(ldst('str', true, X15, SP, slotOffset(l.slot))) };
    return { reg: X15, done: () => undefined };
  };

  /** Copy register `r` into the location of `v`. */
  const writeBack = (v: Value | undefined, r: Reg): void => {
    if (v === undefined) return;
    const l = alloc.loc(v);
    if (l.kind === 'reg' && l.reg !== r) asm.emit(mov(true, l.reg, r));
    else if (l.kind === 'slot') asm.emit(ldst('str', true, r, SP, slotOffset(l.slot)));
  };

  const emitMoves = (moves: readonly Move[]): void => {
    for (const m of moves) {
      const to = m.to, from = m.from;
      if (to.kind === 'none') continue;
      if (from.kind === 'imm') {
        if (to.kind === 'reg') asm.emit(...materialise(true, to.reg, from.value));
        else {
          asm.emit(...materialise(true, X15, from.value));
          asm.emit(ldst('str', true, X15, SP, slotOffset(to.slot)));
        }
      } else if (from.kind === 'reg') {
        if (to.kind === 'reg') { if (to.reg !== from.reg) asm.emit(mov(true, to.reg, from.reg)); }
        else asm.emit(ldst('str', true, from.reg, SP, slotOffset(to.slot)));
      } else if (from.kind === 'slot') {
        if (to.kind === 'reg') asm.emit(ldst('ldr', true, to.reg, SP, slotOffset(from.slot)));
        else if (to.slot !== from.slot) {
          asm.emit(ldst('ldr', true, X15, SP, slotOffset(from.slot)));
          asm.emit(ldst('str', true, X15, SP, slotOffset(to.slot)));
        }
      } else {
        assert(false, 'move from a value without a location');
      }
    }
  };

  /**
   * Whether an `i32` value's register has its upper half zero: results of W
   * instructions do; a `trunc` left in its source register, a copy and a block
   * parameter may not.
   */
  const zeroExtended = (v: Value): boolean => {
    const def = fn.values[v]!.def;
    if (def.kind !== 'inst') return false;
    const op = fn.insts[def.inst]!.op;
    return op !== 'trunc' && op !== 'copy';
  };

  const withoutTrailingZeros = (args: readonly Value[]): Value[] => {
    let n = args.length;
    while (n > 0 && constOf(args[n - 1]!) === 0n) n--;
    return args.slice(0, n);
  };

  /** The constant operand `i` of `inst` when the target folds it. */
  const folded = (inst: InstData, i: number): bigint | undefined => {
    const c = constOf(inst.args[i]!);
    return c !== undefined && foldsConst(fn, inst, i, c) ? c : undefined;
  };

  // ---- pieces -------------------------------------------------------------

  /** `rd = rn + value` (64-bit), any value. */
  const addConst = (rd: Reg, rn: Reg, value: bigint, tmp: Reg): void => {
    const s = BigInt.asIntN(64, value);
    const mag = s < 0n ? -s : s;
    if (mag < 4096n) asm.emit((s < 0n ? subImm : addImm)(true, rd, rn, Number(mag)));
    else if ((mag & 0xfffn) === 0n && mag < (4096n << 12n)) asm.emit((s < 0n ? subImm : addImm)(true, rd, rn, Number(mag >> 12n), true));
    else {
      asm.emit(...materialise(true, tmp, value));
      asm.emit(addSub('add', true, rd, rn, tmp));
    }
  };

  /** add/sub/cmp with a folded immediate `value` at `bits`; `op` picks add (false) or sub (true). */
  const arithImm = (isSub: boolean, sf: boolean, rd: Reg, rn: Reg, value: bigint, setFlags: boolean): void => {
    let s = signedImm(value, sf ? 64 : 32);
    if (isSub) s = -s;
    const neg = s < 0n;
    const mag = neg ? -s : s;
    const [imm12, lsl12] = mag < 4096n ? [Number(mag), false] : [Number(mag >> 12n), true];
    if (setFlags) asm.emit(neg ? cmnImm(sf, rn, imm12, lsl12) : { kind: 'addSubImm', op: 'adds', sf, rd, rn, imm12, lsl12 });
    else asm.emit((neg ? subImm : addImm)(sf, rd, rn, imm12, lsl12));
  };

  /** Emit the flag-setting compare of an icmp; returns the condition that holds when true. */
  const compare = (inst: InstData): BranchOn => {
    const sf = inst.type === 'i64';
    const a = read(inst.args[0]!, X16);
    const c = folded(inst, 1);
    if (inst.cond === 'set') {
      if (c !== undefined) {
        const u = BigInt.asUintN(sf ? 64 : 32, c);
        if ((u & (u - 1n)) === 0n) return { kind: 'tbz', nonzero: true, reg: a, bit: u.toString(2).length - 1 };
        asm.emit(tstImm(sf, a, u));
      } else asm.emit(tst(sf, a, read(inst.args[1]!, X17)));
      return { kind: 'cond', cond: COND.ne };
    }
    if (c !== undefined) {
      if (c === 0n && (inst.cond === 'eq' || inst.cond === 'ne')) return { kind: 'cbz', nonzero: inst.cond === 'ne', sf, reg: a };
      // cmp a, #c is subs zr, a, #c; a negative c is cmn a, #-c.
      const s = signedImm(c, sf ? 64 : 32);
      const mag = s < 0n ? -s : s;
      const [imm12, lsl12] = mag < 4096n ? [Number(mag), false] : [Number(mag >> 12n), true];
      asm.emit(s < 0n ? cmnImm(sf, a, imm12, lsl12) : cmpImm(sf, a, imm12, lsl12));
    } else asm.emit(cmp(sf, a, read(inst.args[1]!, X17)));
    return { kind: 'cond', cond: COND_OF[inst.cond!] };
  };

  const branchOn = (on: BranchOn, l: Label): void => {
    switch (on.kind) {
      case 'cond': asm.branch(bcond(on.cond, 0), l); break;
      case 'cbz': asm.branch(cbz(on.nonzero, on.sf, on.reg, 0), l); break;
      case 'tbz': asm.branch(tbz(on.nonzero, on.reg, on.bit, 0), l); break;
    }
  };

  /** `[base + offset]` as a load/store of `op`. */
  const access = (op: LdStOp, sf: boolean, rt: Reg, base: Reg, offset: number, tmp: Reg): void => {
    const size = op === 'strb' || op === 'ldrb' || op === 'ldrsb' ? 1
      : op === 'strh' || op === 'ldrh' || op === 'ldrsh' ? 2 : op === 'ldrsw' ? 4 : sf ? 8 : 4;
    if (offset >= 0 && offset % size === 0 && offset / size < 4096) asm.emit(ldst(op, sf, rt, base, offset));
    else if (offset >= -256 && offset < 256) asm.emit(ldst(op, sf, rt, base, offset, 'unscaled'));
    else {
      asm.emit(...materialise(true, tmp, BigInt(offset)));
      asm.emit(ldstReg(op, sf, rt, base, tmp));
    }
  };

  /** The address register of an atomic: x16 = base + offset (or the base itself). */
  const atomicAddress = (inst: InstData): Reg => {
    const base = read(inst.args[0]!, X16);
    const off = inst.offset ?? 0;
    if (off === 0) return base;
    addConst(X16, base, BigInt(off), X17);
    return X16;
  };

  const hostCall = (call: HostCall): void => {
    asm.emit(...materialise(true, X16, BigInt(HOST_CALL_BASE + 4 * env.hostIndex(call))));
    asm.emit({ kind: 'branchReg', op: 'blr', rn: X16 });
  };

  const trapLabels: { label: Label; imm: number; pc: number }[] = [];
  const faultLabel = (site: FaultSite): Label => {
    const l = asm.newLabel();
    trapLabels.push({ label: l, imm: env.fault(site), pc: site.pc });
    return l;
  };

  // ---- instructions -------------------------------------------------------

  const lowerInst = (inst: InstData, fused: boolean): BranchOn | undefined => {
    const sf = inst.type === 'i64';
    const bits = sf ? 64 : 32;
    const arg = (i: number, scratch: Reg): Reg => read(inst.args[i]!, scratch);
    const simple = (f: (rd: Reg) => Inst | Inst[]): void => {
      const d = dest(inst.result);
      const r = f(d.reg);
      asm.emit(...(Array.isArray(r) ? r : [r]));
      d.done();
    };
    switch (inst.op) {
      case 'iconst': {
        if (inst.result === undefined || alloc.loc(inst.result).kind === 'none') return undefined;
        simple((rd) => materialise(sf, rd, inst.imm ?? 0n));
        return undefined;
      }
      case 'copy': {
        const a = arg(0, X16);
        simple((rd) => (rd === a ? [] : mov(true, rd, a)));
        return undefined;
      }
      case 'add': case 'sub': {
        const a = arg(0, X16);
        const c = folded(inst, 1);
        if (c !== undefined) {
          const d = dest(inst.result);
          arithImm(inst.op === 'sub', sf, d.reg, a, c, false);
          d.done();
        } else {
          const b = arg(1, X17);
          simple((rd) => addSub(inst.op as 'add' | 'sub', sf, rd, a, b));
        }
        return undefined;
      }
      case 'mul': { const a = arg(0, X16), b = arg(1, X17); simple((rd) => madd(sf, rd, a, b, ZR)); return undefined; }
      case 'udiv': case 'sdiv': {
        const a = arg(0, X16), b = arg(1, X17);
        simple((rd) => dp2(inst.op as 'udiv' | 'sdiv', sf, rd, a, b));
        return undefined;
      }
      case 'urem': case 'srem': {
        const a = arg(0, X16), b = arg(1, X17);
        asm.emit(dp2(inst.op === 'urem' ? 'udiv' : 'sdiv', sf, X15, a, b));
        simple((rd) => msub(sf, rd, X15, b, a));
        return undefined;
      }
      case 'and': case 'or': case 'xor': {
        const op = inst.op === 'or' ? 'orr' : inst.op === 'xor' ? 'eor' : 'and';
        const a = arg(0, X16);
        const c = folded(inst, 1);
        if (c !== undefined) simple((rd) => logicalImm(op, sf, rd, a, BigInt.asUintN(bits, c)));
        else { const b = arg(1, X17); simple((rd) => logical(op, sf, rd, a, b)); }
        return undefined;
      }
      case 'shl': case 'lshr': case 'ashr': {
        const a = arg(0, X16);
        const c = folded(inst, 1);
        if (c !== undefined) {
          const n = Number(c & BigInt(bits - 1));
          if (n === 0) simple((rd) => (rd === a && sf ? [] : mov(sf, rd, a)));
          else simple((rd) => (inst.op === 'shl' ? lslImm : inst.op === 'lshr' ? lsrImm : asrImm)(sf, rd, a, n));
        } else {
          const b = arg(1, X17);
          simple((rd) => dp2(inst.op === 'shl' ? 'lslv' : inst.op === 'lshr' ? 'lsrv' : 'asrv', sf, rd, a, b));
        }
        return undefined;
      }
      case 'neg': { const a = arg(0, X16); simple((rd) => neg(sf, rd, a)); return undefined; }
      case 'bswap16': { const a = arg(0, X16); simple((rd) => [dp1('rev16', false, rd, a), uxt(rd, rd, 16)]); return undefined; }
      case 'bswap32': { const a = arg(0, X16); simple((rd) => dp1('rev', false, rd, a)); return undefined; }
      case 'bswap64': { const a = arg(0, X16); simple((rd) => dp1('rev', true, rd, a)); return undefined; }
      case 'sext8': { const a = arg(0, X16); simple((rd) => sxt(sf, rd, a, 8)); return undefined; }
      case 'sext16': { const a = arg(0, X16); simple((rd) => sxt(sf, rd, a, 16)); return undefined; }
      case 'sext32': case 'sext': { const a = arg(0, X16); simple((rd) => sxt(true, rd, a, 32)); return undefined; }
      case 'zext': {
        const a = arg(0, X16);
        simple((rd) => (rd === a && zeroExtended(inst.args[0]!) ? [] : mov(false, rd, a)));
        return undefined;
      }
      case 'trunc': { const a = arg(0, X16); simple((rd) => (rd === a ? [] : mov(false, rd, a))); return undefined; }
      case 'icmp': {
        const on = compare(inst);
        if (fused) return on;
        const d = dest(inst.result);
        switch (on.kind) {
          case 'cond': asm.emit(cset(false, d.reg, on.cond)); break;
          case 'cbz': asm.emit(cmpImm(on.sf, on.reg, 0), cset(false, d.reg, on.nonzero ? COND.ne : COND.eq)); break;
          case 'tbz': asm.emit(lsrImm(true, d.reg, on.reg, on.bit), logicalImm('and', false, d.reg, d.reg, 1n)); break;
        }
        d.done();
        return undefined;
      }
      case 'load': {
        const base = arg(0, X16);
        const kind = inst.mem!;
        const op: LdStOp = kind === 'u8' ? 'ldrb' : kind === 'u16' ? 'ldrh' : kind === 's8' ? 'ldrsb'
          : kind === 's16' ? 'ldrsh' : kind === 's32' && sf ? 'ldrsw' : 'ldr';
        const wide = kind === 'u64' || ((kind === 's8' || kind === 's16' || kind === 's32') && sf);
        const d = dest(inst.result);
        access(op, wide, d.reg, base, inst.offset ?? 0, X17);
        d.done();
        return undefined;
      }
      case 'store': {
        const kind = inst.mem!;
        const value = folded(inst, 0) !== undefined ? ZR : arg(0, X17);
        const base = arg(1, X16);
        const op: LdStOp = kind === 'u8' ? 'strb' : kind === 'u16' ? 'strh' : 'str';
        access(op, kind === 'u64', value, base, inst.offset ?? 0, X15);
        return undefined;
      }
      case 'atomic_rmw': {
        const addr = atomicAddress(inst);
        let v = arg(1, X17);
        const size = sf ? 8 : 4;
        const d = dest(inst.result);
        if (env.llsc === true) {
          // retry: ldaxr old, [addr]; new = old op v; stlxr w29, new, [addr]; cbnz w29, retry
          // (x29/x30 are free temporaries here: the prologue saved them, see `leaf`).
          const retry = asm.newLabel();
          asm.bind(retry);
          asm.emit(exclusive('ldaxr', size, ZR, X15, addr));
          let nv: Reg = X30;
          switch (inst.rmw) {
            case 'add': asm.emit(addSub('add', sf, X30, X15, v)); break;
            case 'or': asm.emit(logical('orr', sf, X30, X15, v)); break;
            case 'xor': asm.emit(logical('eor', sf, X30, X15, v)); break;
            case 'and': asm.emit(logical('and', sf, X30, X15, v)); break;
            case 'xchg': nv = v; break;
            default: assert(false, `atomic ${inst.rmw}`);
          }
          asm.emit(exclusive('stlxr', size, X29, nv, addr));
          asm.branch(cbz(true, false, X29, 0), retry);
          asm.emit(mov(true, d.reg, X15));
          d.done();
          return undefined;
        }
        if (inst.rmw === 'and') { asm.emit(logical('orn', sf, X17, ZR, v)); v = X17; }
        const op = inst.rmw === 'add' ? 'ldadd' : inst.rmw === 'or' ? 'ldset' : inst.rmw === 'xor' ? 'ldeor'
          : inst.rmw === 'and' ? 'ldclr' : 'swp';
        asm.emit(atomic(op, size, v, d.reg, addr));
        d.done();
        return undefined;
      }
      case 'atomic_cmpxchg': {
        const addr = atomicAddress(inst);
        const e = read(inst.args[1]!, X17);
        if (e !== X17) asm.emit(mov(true, X17, e));
        const n = arg(2, X15);
        if (env.llsc === true) {
          // retry: ldaxr x30, [addr]; cmp x30, x17; b.ne done; stlxr w29, new, [addr]; cbnz w29, retry
          const retry = asm.newLabel(), done = asm.newLabel();
          asm.bind(retry);
          asm.emit(exclusive('ldaxr', sf ? 8 : 4, ZR, X30, addr), cmp(sf, X30, X17));
          asm.branch(bcond(COND.ne, 0), done);
          asm.emit(exclusive('stlxr', sf ? 8 : 4, X29, n, addr));
          asm.branch(cbz(true, false, X29, 0), retry);
          asm.bind(done);
          writeBack(inst.result, X30);
          return undefined;
        }
        asm.emit(cas(sf ? 8 : 4, X17, n, addr));
        if (!sf) asm.emit(mov(false, X17, X17));
        writeBack(inst.result, X17);
        return undefined;
      }
      case 'call_helper': {
        // Trailing zero arguments are left out: the host passes 0 for missing ones.
        const args = withoutTrailingZeros(inst.args);
        emitMoves(alloc.callMoves(args));
        hostCall({ kind: 'helper', id: inst.helper!, argc: args.length });
        writeBack(inst.result, 0);
        return undefined;
      }
      case 'call_indirect': {
        const t = read(inst.args[0]!, X17);
        if (t !== X17) asm.emit(mov(true, X17, t));
        const args = withoutTrailingZeros(inst.args.slice(1));
        emitMoves(alloc.callMoves(args));
        asm.emit(mov(true, 5, X17));
        hostCall({ kind: 'callx', argc: args.length });
        writeBack(inst.result, 0);
        return undefined;
      }
      case 'call': {
        const used = env.paramsUsed?.(inst.callee!);
        emitMoves(alloc.callMoves(inst.args).filter((m) => {
          const k = m.to.kind === 'reg' ? ARG_REGS.indexOf(m.to.reg) : -1;
          return used === undefined || k < 0 || k >= inst.args.length || used[k] !== false;
        }));
        asm.emit(subImm(true, FRAME_REG, FRAME_REG, FRAME_BYTES));
        asm.emit(cmp(true, FRAME_REG, LIMIT_REG));
        asm.branch(bcond(COND.lo, 0), faultLabel({ kind: 'callDepth', pc: inst.pc ?? 0 }));
        asm.branch(bl(0), env.funcLabel(inst.callee!));
        asm.emit(addImm(true, FRAME_REG, FRAME_REG, FRAME_BYTES));
        writeBack(inst.result, 0);
        return undefined;
      }
      case 'ld_pkt': {
        emitMoves(alloc.callMoves(inst.args));
        const size = inst.mem === 'u8' ? 1 : inst.mem === 'u16' ? 2 : 4;
        hostCall({ kind: 'ldPkt', size });
        writeBack(inst.result, 0);
        return undefined;
      }
      case 'map_addr': simple((rd) => materialise(true, rd, env.mapHandle(inst.map!))); return undefined;
      case 'map_value_addr': simple((rd) => materialise(true, rd, env.mapValue(inst.map!) + (inst.imm ?? 0n))); return undefined;
      case 'func_addr': simple((rd) => materialise(true, rd, env.funcAddr(inst.callee!))); return undefined;
      case 'frame_addr': simple((rd) => mov(true, rd, FRAME_REG)); return undefined;
      case 'jump': case 'br_if': case 'ret': case 'trap':
        assert(false, 'terminator lowered as an instruction');
        return undefined;
      default:
        return unreachable(inst.op as never, 'IR op');
    }
  };

  // A leaf (no call of any kind) keeps x30 and needs no frame record.
  const leaf = fn.layout.every((b) => fn.blocks[b]!.insts.every((i) => {
    const op = fn.insts[i]!.op;
    return !CALLS.has(op) && !(env.llsc === true && (op === 'atomic_rmw' || op === 'atomic_cmpxchg'));
  }));

  const epilogue = (): void => {
    saveRestore(true);
    if (frame > 0) adjustSp(false, frame);
    if (!leaf) asm.emit(pair(true, true, FP, LR, SP, 16, 'post'));
    asm.emit(ret());
  };

  const epilogueLength = Math.ceil(saved.length / 2) + (frame > 0 ? 1 : 0) + (leaf ? 0 : 1) + 1;

  /** `ret v`: r0 into x0, then the epilogue. */
  const returnValue = (v: Value): void => {
    const c = remat.has(v) || alloc.loc(v).kind === 'none' ? constOf(v) : undefined;
    if (c !== undefined) asm.emit(...materialise(true, 0, c));
    else {
      const r = read(v, X16);
      if (r !== 0) asm.emit(mov(true, 0, r));
    }
    epilogue();
  };

  // ---- the function -------------------------------------------------------

  asm.bind(label);
  asm.pc = fn.pc ?? -1;
  asm.note(`func "${fn.name}"${fn.pc !== undefined ? ` (pc ${fn.pc})` : ''}`);
  if (!leaf) asm.emit(pair(false, true, FP, LR, SP, -16, 'pre'), movSp(true, FP, SP));
  if (frame > 0) adjustSp(true, frame);
  saveRestore(false);
  emitMoves(alloc.entryMoves());

  fn.layout.forEach((b, index) => {
    const next = fn.layout[index + 1];
    const data = fn.blocks[b]!;
    const firstPc = data.insts.map((i) => fn.insts[i]!.pc).find((p) => p !== undefined);
    if (firstPc !== undefined) asm.pc = firstPc;
    asm.bind(blockLabel.get(b)!);
    asm.note(`b${b}${firstPc !== undefined ? ` (pc ${firstPc})` : ''}`);
    const term = terminatorOf(fn, b);
    assert(term !== undefined, `block b${b} has no terminator`);
    const t = fn.insts[term]!;
    const body = data.insts.filter((i) => i !== term);
    // A br_if on the icmp just before it fuses with it.
    const last = body[body.length - 1];
    const lastData = last !== undefined ? fn.insts[last]! : undefined;
    const fuse = t.op === 'br_if' && lastData?.op === 'icmp' && lastData.result === t.args[0] && uses.get(lastData.result) === 1;
    let on: BranchOn | undefined;
    for (const i of body) {
      const d = fn.insts[i]!;
      if (d.pc !== undefined) asm.pc = d.pc;
      if (d.result !== undefined && remat.has(d.result)) continue;
      const r = lowerInst(d, fuse && i === last);
      if (r !== undefined) on = r;
    }
    if (t.pc !== undefined) asm.pc = t.pc;
    const goTo = (c: BlockCall): void => {
      // A jump to a block that only returns returns here (when the epilogue is short).
      const tdata = fn.blocks[c.block]!;
      const tterm = tdata.insts.length === 1 ? fn.insts[tdata.insts[0]!]! : undefined;
      if (tterm?.op === 'ret' && c.block !== next && epilogueLength <= 3) {
        const k = tdata.params.indexOf(tterm.args[0]!);
        returnValue(k >= 0 ? c.args[k]! : tterm.args[0]!);
        return;
      }
      emitMoves(alloc.edgeMoves(c));
      if (c.block !== next) asm.branch(branch(0), blockLabel.get(c.block)!);
    };
    switch (t.op) {
      case 'jump': goTo(t.targets![0]!); break;
      case 'ret': returnValue(t.args[0]!); break;
      case 'trap': asm.emit(brk(env.fault({ kind: 'trap', pc: t.pc ?? 0 }))); break;
      case 'br_if': {
        if (on === undefined) on = { kind: 'cbz', nonzero: true, sf: false, reg: read(t.args[0]!, X16) };
        const [tc, fc] = [t.targets![0]!, t.targets![1]!];
        const tm = alloc.edgeMoves(tc), fm = alloc.edgeMoves(fc);
        const tl = blockLabel.get(tc.block)!, fl = blockLabel.get(fc.block)!;
        if (tm.length === 0 && fm.length === 0 && tc.block === next) branchOn(invert(on), fl);
        else if (tm.length === 0) {
          branchOn(on, tl);
          goTo(fc);
        } else if (fm.length === 0) {
          branchOn(invert(on), fl);
          goTo(tc);
        } else {
          const l = asm.newLabel();
          branchOn(invert(on), l);
          emitMoves(tm);
          asm.branch(branch(0), tl);
          asm.bind(l);
          goTo(fc);
        }
        break;
      }
      default: assert(false, `unknown terminator ${t.op}`);
    }
  });
  // Out-of-line fault sites (call-depth overflow).
  for (const s of trapLabels) {
    asm.pc = s.pc;
    asm.bind(s.label);
    asm.emit(brk(s.imm));
  }
}

