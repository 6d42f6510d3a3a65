/**
 * @file IR → x86-64 machine instructions, one function at a time, over the
 * shared register allocation (`src/codegen/regalloc.ts`). The output is a
 * list of items (instructions, labels, branches to labels, host calls) that
 * `compile.ts` lays out, relaxes and encodes.
 *
 * Conventions (`docs/native.md`): rbp is the eBPF frame pointer; spill slot n
 * is `[rsp + 8n]`; r11, rax, rcx are scratch (`target.ts`). Every i32 value
 * lives zero-extended in its 64-bit location: 32-bit operations write the
 * 32-bit register, which zeroes the upper half (SDM Vol. 1 §3.4.1.1).
 */

import { InternalError, assert } from '../diag/errors.js';
import { OPS } from '../ir/ops.js';
import { type Func, type InstData, type BlockCall } from '../ir/func.js';
import type { Block, Cond as IrCond, Value, Type } from '../ir/types.js';
import { memSize, SWAP } from '../ir/types.js';
import { allocate, sequentialise, type Allocation, type Loc, type Move } from '../codegen/regalloc.js';
import { CC, negate, type Cond } from './cond.js';
import { movImm64, type Imm, type Inst, type Mem, type RM, type Size } from './insts.js';
import { RAX, RCX, RDX, RSP, R11, R9 } from './regs.js';
import { ACCESS, CALL_DEPTH, CALLX, CHECK, FRAME_REG, LD_PKT, TRAP, hostId } from './abi.js';
import { X86_TARGET, fitsImm } from './target.js';

/** One element of a lowered function. */
export type Item =
  | { readonly kind: 'inst'; readonly inst: Inst }
  | { readonly kind: 'label'; readonly label: string; readonly comment?: string }
  | { readonly kind: 'branch'; readonly inst: Inst & { op: 'jcc' | 'jmp' | 'call' }; readonly label: string }
  | { readonly kind: 'host'; readonly id: number; readonly comment: string };

/** Addresses the lowering cannot know: map handles and values, resolved by the host. */
export interface LowerEnv {
  /** The handle of map `k` (lddw map fd/idx). */
  mapHandle(k: number): bigint;
  /** The address of byte `offset` of map `k`'s value (lddw map value / global data). */
  mapValue(k: number, offset: bigint): bigint;
  /** Check memory accesses marked `checked` (default true; false for running on a bare CPU). */
  readonly checks?: boolean;
  /**
   * Lowest frame pointer a callee may get (the stack region's start + 512): a
   * bpf-to-bpf call whose new rbp is below it faults with `RUN_CALL_DEPTH`.
   * Absent: no depth check.
   */
  readonly frameLimit?: number;
  /** Restrict the allocatable registers to these (tests force spills this way); default all of `X86_TARGET`. */
  readonly allocatable?: readonly number[];
}

/** The label of a function's entry. */
export function funcLabel(index: number): string { return `.Lf${index}`; }

const CC_OF: Record<Exclude<IrCond, 'set'>, Cond> = {
  eq: CC.E, ne: CC.NE, ugt: CC.A, uge: CC.AE, ult: CC.B, ule: CC.BE, sgt: CC.G, sge: CC.GE, slt: CC.L, sle: CC.LE,
};

const sizeOf = (t: Type): 32 | 64 => (t === 'i32' ? 32 : 64);

/** Lower one function (module index `index`) to items. */
export function lowerFunc(fn: Func, index: number, env: LowerEnv): Item[] {
  const alloc = allocate(fn, env.allocatable !== undefined ? { ...X86_TARGET, allocatable: env.allocatable } : X86_TARGET);
  return new Lowerer(fn, index, alloc, env).run();
}

/** Whether a memory operand is exactly `[r11]`: the address is already in R11 (an address in R11 with a displacement still needs its `lea`). */
function inR11(m: Mem): boolean {
  return m.base === R11 && m.disp === 0 && m.index === undefined;
}

class Lowerer {
  private readonly out: Item[] = [];
  private readonly consts = new Map<Value, bigint>();
  private readonly defs = new Map<Value, InstData>();
  private readonly uses = new Map<Value, number>();
  private internal = 0;
  private readonly saved: number[];
  private readonly frameBytes: number;

  constructor(private readonly fn: Func, private readonly index: number, private readonly alloc: Allocation, private readonly env: LowerEnv) {
    for (const b of fn.layout) {
      for (const i of fn.blocks[b]!.insts) {
        const d = fn.insts[i]!;
        if (d.result !== undefined) this.defs.set(d.result, d);
        if (d.op === 'iconst' && d.result !== undefined) this.consts.set(d.result, d.imm ?? 0n);
        for (const u of d.args) this.uses.set(u, (this.uses.get(u) ?? 0) + 1);
        for (const c of d.targets ?? []) for (const u of c.args) this.uses.set(u, (this.uses.get(u) ?? 0) + 1);
      }
    }
    this.saved = [...alloc.usedCalleeSaved];
    // Keep rsp 16-byte aligned at calls (SysV §3.2.2): return address + pushes + slots.
    const calls = fn.layout.some((b) => fn.blocks[b]!.insts.some((i) => ['call', 'call_helper', 'call_indirect'].includes(fn.insts[i]!.op)));
    let bytes = alloc.frameSlots * 8;
    if (calls && (8 + this.saved.length * 8 + bytes) % 16 !== 0) bytes += 8;
    this.frameBytes = bytes;
  }

  private emit(inst: Inst): void { this.out.push({ kind: 'inst', inst }); }
  private label(label: string, comment?: string): void { this.out.push(comment === undefined ? { kind: 'label', label } : { kind: 'label', label, comment }); }
  private jump(label: string): void { this.out.push({ kind: 'branch', inst: { op: 'jmp', rel: 0, width: 32 }, label }); }
  private jcc(cc: Cond, label: string): void { this.out.push({ kind: 'branch', inst: { op: 'jcc', cc, rel: 0, width: 32 }, label }); }
  private host(id: number, comment: string): void { this.out.push({ kind: 'host', id, comment }); }
  private fresh(): string { return `.Lf${this.index}_${this.internal++}`; }
  private blockLabel(b: Block): string { return `.Lf${this.index}_b${b}`; }

  private loc(v: Value): Loc { return this.alloc.loc(v); }
  private slotMem(slot: number): Mem { return { base: RSP, disp: slot * 8 }; }

  /** An operand for `v`: register, slot memory, or (when allowed and constant) an immediate. */
  private operand(v: Value, type: Type, allowImm: boolean, scratch: number): RM | Imm {
    const c = this.consts.get(v);
    if (c !== undefined && allowImm && fitsImm(c, type)) return { imm: Number(BigInt.asIntN(32, c)) };
    const l = this.loc(v);
    if (l.kind === 'reg') return l.reg;
    if (l.kind === 'slot') return this.slotMem(l.slot);
    assert(c !== undefined, `value v${v} has no location`);
    this.emit(movImm64(scratch, c));
    return scratch;
  }

  /** `v` in a register (its own, or `scratch` loaded from its slot or constant). */
  private reg(v: Value, scratch: number): number {
    const l = this.loc(v);
    if (l.kind === 'reg') return l.reg;
    if (l.kind === 'slot') { this.emit({ op: 'mov', size: 64, dst: scratch, src: this.slotMem(l.slot) }); return scratch; }
    const c = this.consts.get(v);
    assert(c !== undefined, `value v${v} has no location`);
    this.emit(movImm64(scratch, c));
    return scratch;
  }

  /** The register to compute `v` in: its own, or rax when it lives in a slot or nowhere. */
  private dst(v: Value | undefined): number {
    if (v === undefined) return RAX;
    const l = this.loc(v);
    return l.kind === 'reg' ? l.reg : RAX;
  }

  /** Write back a result computed in `r`. */
  private define(v: Value | undefined, r: number): void {
    if (v === undefined) return;
    const l = this.loc(v);
    if (l.kind === 'reg' && l.reg !== r) this.emit({ op: 'mov', size: 64, dst: l.reg, src: r });
    if (l.kind === 'slot') this.emit({ op: 'mov', size: 64, dst: this.slotMem(l.slot), src: r });
  }

  private moves(ms: readonly Move[]): void {
    for (const m of ms) {
      const to = m.to;
      if (to.kind === 'none') continue;
      const dstRM: RM = to.kind === 'reg' ? to.reg : this.slotMem(to.slot);
      if (m.from.kind === 'imm') {
        const s = BigInt.asIntN(64, m.from.value);
        if (to.kind === 'reg') this.emit(movImm64(to.reg, m.from.value));
        else if (s >= -0x80000000n && s <= 0x7fffffffn) this.emit({ op: 'mov', size: 64, dst: dstRM, src: { imm: Number(s) } });
        else { this.emit(movImm64(RAX, m.from.value)); this.emit({ op: 'mov', size: 64, dst: dstRM, src: RAX }); }
      } else if (m.from.kind === 'reg') {
        this.emit({ op: 'mov', size: 64, dst: dstRM, src: m.from.reg });
      } else if (m.from.kind === 'slot') {
        if (to.kind === 'reg') this.emit({ op: 'mov', size: 64, dst: to.reg, src: this.slotMem(m.from.slot) });
        else { this.emit({ op: 'mov', size: 64, dst: RAX, src: this.slotMem(m.from.slot) }); this.emit({ op: 'mov', size: 64, dst: dstRM, src: RAX }); }
      } else {
        throw new InternalError(`move from nowhere in ${this.fn.name}`);
      }
    }
  }

  run(): Item[] {
    const fn = this.fn;
    this.label(funcLabel(this.index), `function ${fn.name}${fn.pc !== undefined ? ` (pc ${fn.pc})` : ''}`);
    for (const r of this.saved) this.emit({ op: 'push', reg: r });
    if (this.frameBytes > 0) this.emit({ op: 'sub', size: 64, dst: RSP, src: { imm: this.frameBytes } });
    this.moves(this.alloc.entryMoves());
    fn.layout.forEach((b, k) => {
      const first = fn.blocks[b]!.insts.map((i) => fn.insts[i]!.pc).find((p) => p !== undefined);
      this.label(this.blockLabel(b), first !== undefined ? `pc ${first}` : undefined);
      const insts = fn.blocks[b]!.insts;
      const next = fn.layout[k + 1];
      for (let n = 0; n < insts.length; n++) {
        const d = fn.insts[insts[n]!]!;
        const after = n + 1 < insts.length ? fn.insts[insts[n + 1]!]! : undefined;
        // Compare-and-branch fusion: an icmp read only by the br_if right after it.
        if (d.op === 'icmp' && after?.op === 'br_if' && after.args[0] === d.result && this.uses.get(d.result!) === 1) {
          const cc = this.compare(d);
          this.branch(cc, after, next);
          n++;
          continue;
        }
        this.inst(d, next);
      }
    });
    return this.out;
  }

  private epilogue(): void {
    if (this.frameBytes > 0) this.emit({ op: 'add', size: 64, dst: RSP, src: { imm: this.frameBytes } });
    for (const r of [...this.saved].reverse()) this.emit({ op: 'pop', reg: r });
    this.emit({ op: 'ret' });
  }

  /** Emit the compare of an icmp; returns the condition that holds when it is true. */
  private compare(d: InstData): Cond {
    let [a, b] = d.args as [Value, Value];
    let cond = d.cond!;
    const size = sizeOf(d.type);
    if (cond === 'set') {
      const ra = this.reg(a, R11);
      const ob = this.operand(b, d.type, true, RCX);
      if (typeof ob === 'object' && 'base' in ob) this.emit({ op: 'test', size, dst: ob, src: ra });
      else this.emit({ op: 'test', size, dst: ra, src: ob });
      return CC.NE;
    }
    if (this.consts.has(a) && !this.consts.has(b)) { [a, b] = [b, a]; cond = SWAP[cond]; }
    const oa = this.operand(a, d.type, false, R11);
    const ob = this.operand(b, d.type, true, RCX);
    if ((cond === 'eq' || cond === 'ne') && typeof oa === 'number' && typeof ob === 'object' && 'imm' in ob && ob.imm === 0) {
      this.emit({ op: 'test', size, dst: oa, src: oa });
      return CC_OF[cond];
    }
    if (typeof oa !== 'number' && typeof ob === 'object' && !('imm' in ob)) {
      // memory, memory: one side to a register.
      this.emit({ op: 'mov', size: 64, dst: R11, src: oa as Mem });
      this.emit({ op: 'cmp', size, dst: R11, src: ob });
    } else {
      this.emit({ op: 'cmp', size, dst: oa as RM, src: ob });
    }
    return CC_OF[cond as Exclude<IrCond, 'set'>];
  }

  /** Branch on `cc` to the br_if's first target, else its second, with edge moves. */
  private branch(cc: Cond, d: InstData, next: Block | undefined): void {
    const [t, f] = d.targets as [BlockCall, BlockCall];
    const tm = this.alloc.edgeMoves(t);
    const fm = this.alloc.edgeMoves(f);
    if (tm.length === 0) {
      this.jcc(cc, this.blockLabel(t.block));
      this.edge(fm, f.block, next);
    } else if (fm.length === 0) {
      this.jcc(negate(cc), this.blockLabel(f.block));
      this.edge(tm, t.block, next);
    } else {
      const stub = this.fresh();
      this.jcc(negate(cc), stub);
      this.edge(tm, t.block, undefined);
      this.label(stub);
      this.edge(fm, f.block, next);
    }
  }

  private edge(ms: readonly Move[], target: Block, next: Block | undefined): void {
    this.moves(ms);
    if (target !== next) this.jump(this.blockLabel(target));
  }

  /** Address operand `[base + offset]` of a memory op, with the check when asked. */
  private address(d: InstData, addrArg: Value, kind: keyof typeof ACCESS, size: number): Mem {
    const off = d.offset ?? 0;
    const def = this.defs.get(addrArg);
    let base: number;
    if (def?.op === 'frame_addr') base = FRAME_REG;
    else base = this.reg(addrArg, R11);
    const m: Mem = { base, disp: off };
    if (d.checked === true && this.env.checks !== false) {
      this.emit({ op: 'lea', size: 64, dst: R11, src: m });
      this.host(hostId(d.pc ?? 0, CHECK + (ACCESS[kind] << 4 | size)), `check ${kind} ${size} @${d.pc ?? 0}`);
      return { base: R11, disp: 0 };
    }
    return m;
  }

  private inst(d: InstData, next: Block | undefined): void {
    const size = sizeOf(d.type);
    const r = d.result;
    const ty = d.type;
    switch (d.op) {
      case 'iconst': {
        if (r === undefined) return;
        const l = this.loc(r);
        const v = ty === 'i32' ? BigInt.asUintN(32, d.imm ?? 0n) : (d.imm ?? 0n);
        if (l.kind === 'reg') this.emit(movImm64(l.reg, v));
        else if (l.kind === 'slot') this.moves([{ from: { kind: 'imm', value: v }, to: l }]);
        return;
      }
      case 'copy': { const s = this.operand(d.args[0]!, ty, false, RAX); const D = this.dst(r); if (s !== D) this.emit({ op: 'mov', size: 64, dst: D, src: s as RM }); this.define(r, D); return; }
      case 'add': case 'sub': case 'and': case 'or': case 'xor': case 'mul':
        return this.binary(d);
      case 'shl': case 'lshr': case 'ashr':
        return this.shift(d);
      case 'udiv': case 'sdiv': case 'urem': case 'srem':
        return this.divide(d);
      case 'neg': {
        const D = this.dst(r);
        this.load(D, d.args[0]!, size);
        this.emit({ op: 'neg', size, dst: D });
        return this.define(r, D);
      }
      case 'bswap16': {
        const D = this.dst(r);
        this.load(D, d.args[0]!, 32);
        this.emit({ op: 'rol', size: 16, dst: D, count: 8 });
        this.emit({ op: 'movzx', size: 32, from: 16, dst: D, src: D });
        return this.define(r, D);
      }
      case 'bswap32': case 'bswap64': {
        const D = this.dst(r);
        const s: 32 | 64 = d.op === 'bswap32' ? 32 : 64;
        this.load(D, d.args[0]!, s);
        this.emit({ op: 'bswap', size: s, dst: D });
        return this.define(r, D);
      }
      case 'sext8': case 'sext16': case 'sext32': case 'sext': {
        const from = d.op === 'sext8' ? 8 : d.op === 'sext16' ? 16 : 32;
        const D = this.dst(r);
        const s = this.operand(d.args[0]!, ty, false, RAX) as RM;
        this.emit({ op: 'movsx', size: from === 32 ? 64 : size, from, dst: D, src: s });
        return this.define(r, D);
      }
      case 'zext': case 'trunc': {
        const D = this.dst(r);
        const s = this.operand(d.args[0]!, ty, false, RAX) as RM;
        // An i32 is already zero-extended in its location: zext into the same register is free.
        if (s === D && (d.op === 'zext' || this.upperZero(d.args[0]!))) return this.define(r, D);
        this.emit({ op: 'mov', size: 32, dst: D, src: s });
        return this.define(r, D);
      }
      case 'icmp': {
        const cc = this.compare(d);
        const D = this.dst(r);
        this.emit({ op: 'setcc', cc, dst: D });
        this.emit({ op: 'movzx', size: 32, from: 8, dst: D, src: D });
        return this.define(r, D);
      }
      case 'load': {
        const kind = d.mem!;
        const n = memSize(kind);
        const m = this.address(d, d.args[0]!, 'load', n);
        const D = this.dst(r);
        const signed = kind.startsWith('s');
        if (n === 8) this.emit({ op: 'mov', size: 64, dst: D, src: m });
        else if (signed) this.emit({ op: 'movsx', size: n === 4 ? 64 : size, from: (n * 8) as 8 | 16 | 32, dst: D, src: m });
        else if (n === 4) this.emit({ op: 'mov', size: 32, dst: D, src: m });
        else this.emit({ op: 'movzx', size: 32, from: (n * 8) as 8 | 16, dst: D, src: m });
        if (signed && size === 32 && n === 4) this.emit({ op: 'mov', size: 32, dst: D, src: D });
        return this.define(r, D);
      }
      case 'store': {
        const n = memSize(d.mem!);
        const m = this.address(d, d.args[1]!, 'store', n);
        const bits = (n * 8) as Size;
        const c = this.consts.get(d.args[0]!);
        if (c !== undefined && fitsImm(c, ty)) {
          const v = bits === 8 ? BigInt.asIntN(8, c) : bits === 16 ? BigInt.asIntN(16, c) : BigInt.asIntN(32, c);
          this.emit({ op: 'mov', size: bits, dst: m, src: { imm: Number(v) } });
        } else {
          this.emit({ op: 'mov', size: bits, dst: m, src: this.reg(d.args[0]!, RAX) });
        }
        return;
      }
      case 'atomic_rmw': return this.rmw(d);
      case 'atomic_cmpxchg': {
        const n = size / 8;
        const m = this.address(d, d.args[0]!, 'atomic', n);
        if (!inR11(m)) this.emit({ op: 'lea', size: 64, dst: R11, src: m });
        this.load(RAX, d.args[1]!, size);
        this.load(RCX, d.args[2]!, size);
        this.emit({ op: 'cmpxchg', size, dst: { base: R11, disp: 0 }, src: RCX, lock: true });
        if (size === 32) this.emit({ op: 'mov', size: 32, dst: RAX, src: RAX });
        return this.define(r, RAX);
      }
      case 'call_helper': {
        this.moves(this.alloc.callMoves(d.args));
        this.host(hostId(d.pc ?? 0, d.helper!), `helper ${d.helper} @${d.pc ?? 0}`);
        return this.define(r, RAX);
      }
      case 'call_indirect': {
        const ms: Move[] = d.args.slice(1).map((a, k) => ({ from: this.src(a), to: { kind: 'reg', reg: X86_TARGET.argRegs[k]! } }));
        ms.push({ from: this.src(d.args[0]!), to: { kind: 'reg', reg: R9 } });
        this.moves(sequentialise(ms, R11));
        this.host(hostId(d.pc ?? 0, CALLX), `callx @${d.pc ?? 0}`);
        return this.define(r, RAX);
      }
      case 'call': {
        this.moves(this.alloc.callMoves(d.args));
        this.emit({ op: 'sub', size: 64, dst: FRAME_REG, src: { imm: 512 } });
        const limit = this.env.frameLimit;
        if (limit !== undefined && limit <= 0x7fffffff) {
          // MAX_CALL_FRAMES: the callee's frame must lie inside the stack region.
          const ok = this.fresh();
          this.emit({ op: 'cmp', size: 64, dst: FRAME_REG, src: { imm: limit } });
          this.jcc(CC.AE, ok);
          this.host(hostId(d.pc ?? 0, CALL_DEPTH), `call depth @${d.pc ?? 0}`);
          this.label(ok);
        }
        this.out.push({ kind: 'branch', inst: { op: 'call', rel: 0 }, label: funcLabel(d.callee!) });
        this.emit({ op: 'add', size: 64, dst: FRAME_REG, src: { imm: 512 } });
        return this.define(r, RAX);
      }
      case 'map_addr': case 'map_value_addr': case 'func_addr': {
        if (r === undefined || this.loc(r).kind === 'none') return;
        const v = d.op === 'map_addr' ? this.env.mapHandle(d.map!) : d.op === 'map_value_addr' ? this.env.mapValue(d.map!, d.imm ?? 0n) : BigInt(d.callee!);
        const D = this.dst(r);
        this.emit(movImm64(D, BigInt.asUintN(64, v)));
        return this.define(r, D);
      }
      case 'frame_addr': {
        if (r === undefined) return;
        this.define(r, FRAME_REG);
        return;
      }
      case 'ld_pkt': {
        const n = memSize(d.mem!);
        this.load(R11, d.args[1]!, 64);
        this.host(hostId(d.pc ?? 0, LD_PKT + n), `ld_pkt ${n} @${d.pc ?? 0}`);
        return this.define(r, RAX);
      }
      case 'jump': {
        const t = d.targets![0]!;
        return this.edge(this.alloc.edgeMoves(t), t.block, next);
      }
      case 'br_if': {
        const c = d.args[0]!;
        const o = this.operand(c, 'i32', false, RAX);
        if (typeof o === 'number') this.emit({ op: 'test', size: 32, dst: o, src: o });
        else this.emit({ op: 'cmp', size: 32, dst: o as Mem, src: { imm: 0 } });
        return this.branch(CC.NE, d, next);
      }
      case 'ret': {
        this.load(RAX, d.args[0]!, 64);
        return this.epilogue();
      }
      case 'trap': {
        this.host(hostId(d.pc ?? 0, TRAP), `trap @${d.pc ?? 0}`);
        this.emit({ op: 'ud2' });
        return;
      }
      default:
        throw new InternalError(`x86-64 lowering has no case for ${d.op}`);
    }
  }

  /** Whether an i64 value is known to have its upper 32 bits zero (a zext, or an unsigned load of at most 4 bytes). */
  private upperZero(v: Value): boolean {
    const d = this.defs.get(v);
    if (d === undefined) return false;
    if (d.op === 'zext') return true;
    return d.op === 'load' && (d.mem === 'u8' || d.mem === 'u16' || d.mem === 'u32');
  }

  private src(v: Value): Move['from'] {
    const l = this.loc(v);
    const c = this.consts.get(v);
    if (l.kind === 'none' && c !== undefined) return { kind: 'imm', value: c };
    return l;
  }

  /** Put `v` into register `D` (a no-op when it is there). */
  private load(D: number, v: Value, size: 32 | 64): void {
    const o = this.operand(v, size === 32 ? 'i32' : 'i64', false, D);
    if (o !== D) this.emit({ op: 'mov', size: 64, dst: D, src: o as RM });
  }

  private binary(d: InstData): void {
    const size = sizeOf(d.type);
    const r = d.result;
    if (r === undefined || this.loc(r).kind === 'none') return;
    let [a, b] = d.args as [Value, Value];
    const comm = OPS[d.op].commutative;
    const la = this.loc(a), lb = this.loc(b);
    let D = this.dst(r);
    // Prefer the operand already in the destination; keep constants on the right.
    if (comm && ((lb.kind === 'reg' && lb.reg === D && !(la.kind === 'reg' && la.reg === D)) || (this.consts.has(a) && !this.consts.has(b)))) { [a, b] = [b, a]; }
    const lb2 = this.loc(b);
    if (lb2.kind === 'reg' && lb2.reg === D && a !== b) D = RAX;
    const op = d.op as 'add' | 'sub' | 'and' | 'or' | 'xor' | 'mul';
    const ob = this.operand(b, d.type, true, RCX);
    if (op === 'mul' && typeof ob === 'object' && 'imm' in ob) {
      this.emit({ op: 'imul', size, dst: D, src: this.operand(a, d.type, false, D) as RM, imm: ob.imm });
      return this.define(r, D);
    }
    // Three-operand add as lea (SDM "LEA"): D = a + b without a copy.
    const ra = this.loc(a);
    if (op === 'add' && ra.kind === 'reg' && ra.reg !== D && (typeof ob === 'number' || (typeof ob === 'object' && 'imm' in ob))) {
      const m: Mem = typeof ob === 'number' ? { base: ra.reg, index: ob, scale: 1, disp: 0 } : { base: ra.reg, disp: ob.imm };
      this.emit({ op: 'lea', size, dst: D, src: m });
      return this.define(r, D);
    }
    this.load(D, a, size);
    if (op === 'mul') this.emit({ op: 'imul', size, dst: D, src: ob as RM });
    else this.emit({ op, size, dst: D, src: ob });
    this.define(r, D);
  }

  private shift(d: InstData): void {
    const size = sizeOf(d.type);
    const r = d.result;
    if (r === undefined || this.loc(r).kind === 'none') return;
    const [a, b] = d.args as [Value, Value];
    const op = d.op === 'shl' ? 'shl' : d.op === 'lshr' ? 'shr' : 'sar';
    const c = this.consts.get(b);
    const D = this.dst(r);
    if (c !== undefined) {
      this.load(D, a, size);
      const n = Number(c & BigInt(size - 1));
      if (n !== 0) this.emit({ op, size, dst: D, count: n });
    } else {
      this.load(RCX, b, 64);
      this.load(D, a, size);
      this.emit({ op, size, dst: D, count: 'cl' });
    }
    this.define(r, D);
  }

  private divide(d: InstData): void {
    const size = sizeOf(d.type);
    const r = d.result;
    const [a, b] = d.args as [Value, Value];
    const signed = d.op === 'sdiv' || d.op === 'srem';
    const rem = d.op === 'urem' || d.op === 'srem';
    const c = this.consts.get(b);
    const cv = c === undefined ? undefined : size === 32 ? BigInt.asUintN(32, c) : BigInt.asUintN(64, c);
    const minus1 = size === 32 ? 0xffffffffn : 0xffffffffffffffffn;
    this.load(R11, b, 64);
    this.load(RAX, a, 64);
    const done = this.fresh();
    const zero = this.fresh();
    const neg1 = this.fresh();
    const needZero = cv === undefined || cv === 0n;
    const needNeg1 = signed && (cv === undefined || cv === minus1);
    if (cv === undefined) {
      this.emit({ op: 'test', size, dst: R11, src: R11 });
      this.jcc(CC.E, zero);
    }
    if (signed && cv === undefined) {
      this.emit({ op: 'cmp', size, dst: R11, src: { imm: -1 } });
      this.jcc(CC.E, neg1);
    }
    if (cv !== 0n && !(signed && cv === minus1)) {
      if (signed) { this.emit({ op: 'cqo', size }); this.emit({ op: 'idiv', size, dst: R11 }); }
      else { this.emit({ op: 'xor', size: 32, dst: RDX, src: RDX }); this.emit({ op: 'div', size, dst: R11 }); }
      if (needZero || needNeg1) this.jump(done);
    }
    if (needNeg1) {
      // x / -1 = -x (MIN / -1 = MIN), x % -1 = 0 (RFC 9669 §4.1).
      this.label(neg1);
      if (rem) this.emit({ op: 'xor', size: 32, dst: RDX, src: RDX });
      else this.emit({ op: 'neg', size, dst: RAX });
      if (needZero) this.jump(done);
    }
    if (needZero) {
      // x / 0 = 0, x % 0 = x.
      this.label(zero);
      if (rem) this.emit({ op: 'mov', size, dst: RDX, src: RAX });
      else this.emit({ op: 'xor', size: 32, dst: RAX, src: RAX });
    }
    this.label(done);
    const res = rem ? RDX : RAX;
    if (size === 32) this.emit({ op: 'mov', size: 32, dst: res, src: res });
    this.define(r, res);
  }

  private rmw(d: InstData): void {
    const size = sizeOf(d.type);
    const n = size / 8;
    const r = d.result;
    const op = d.rmw!;
    const m0 = this.address(d, d.args[0]!, 'atomic', n);
    if (!inR11(m0)) this.emit({ op: 'lea', size: 64, dst: R11, src: m0 });
    const m: Mem = { base: R11, disp: 0 };
    const unused = r === undefined || this.loc(r).kind === 'none';
    if (op === 'xchg') {
      this.load(RAX, d.args[1]!, 64);
      this.emit({ op: 'xchg', size, dst: m, src: RAX });
    } else if (unused) {
      const o = this.operand(d.args[1]!, d.type, true, RAX);
      const src = typeof o === 'object' && 'base' in o ? this.reg(d.args[1]!, RAX) : o;
      this.emit({ op, size, dst: m, src: src as number | Imm, lock: true });
      return;
    } else if (op === 'add') {
      this.load(RAX, d.args[1]!, 64);
      this.emit({ op: 'xadd', size, dst: m, src: RAX, lock: true });
    } else {
      // Fetch-and-op through a cmpxchg loop (SDM Vol. 3A §9.1.2.2).
      const o = this.operand(d.args[1]!, d.type, true, RCX);
      const b = typeof o === 'number' && (o === RAX || o === RCX) ? undefined : o;
      assert(b !== undefined, 'rmw operand in a scratch register');
      this.emit({ op: 'mov', size, dst: RAX, src: m });
      const loop = this.fresh();
      this.label(loop);
      this.emit({ op: 'mov', size: 64, dst: RCX, src: RAX });
      this.emit({ op, size, dst: RCX, src: b });
      this.emit({ op: 'cmpxchg', size, dst: m, src: RCX, lock: true });
      this.jcc(CC.NE, loop);
    }
    if (size === 32) this.emit({ op: 'mov', size: 32, dst: RAX, src: RAX });
    this.define(r, RAX);
  }
}
