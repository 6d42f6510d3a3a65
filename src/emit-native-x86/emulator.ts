/**
 * @file An x86-64 emulator for the instruction subset of `insts.ts`: it decodes
 * the bytes (`decode.ts`), keeps the sixteen registers, RIP and the arithmetic
 * flags, and reads and writes data through the `Memory` contract.
 *
 * Registers are held as 32-bit halves (`lo`, `hi`), so the common operations
 * (moves, add/sub/logic, compares, shifts, loads and stores) run on plain JS
 * numbers; multiply, divide and rotates go through BigInt. Decoded
 * instructions are cached by code offset.
 *
 * Address space, all 64-bit:
 * ```
 *   0x0000_0000 .. 0xffff_ffff   the linear memory (Memory regions; anything else faults)
 *   0x1_bfff_f000                EXIT_ADDRESS: returning here ends `call()`
 *   0x1_c000_0000 + id           host entry `id` (HOST_BASE), id < 0x1000_0000
 *   0x2_0000_0000 + offset       the code (CODE_BASE), readable (rip-relative
 *                                constants), not writable
 * ```
 *
 * Host calls: a `call` (rel32 or indirect) whose target is `HOST_BASE + id`
 * does not enter code. The emulator calls `hostCall(id, args)` with the six
 * SysV integer argument registers (rdi, rsi, rdx, rcx, r8, r9) as unsigned
 * 64-bit BigInts, puts the result in rax and continues after the call; no
 * return address is pushed and no other register changes (generated code must
 * still treat the SysV caller-saved registers as clobbered, as a native
 * trampoline would clobber them). A `jmp` to a host entry is a tail call:
 * the same, then a `ret`.
 *
 * Flags: CF, PF, ZF, SF and OF follow the SDM instruction pages wherever the
 * SDM defines them; where it leaves a flag undefined the emulator's value is
 * unspecified. AF is not kept.
 */

import { fail } from '../diag/diagnostic.js';
import { InternalError, unreachable } from '../diag/errors.js';
import type { Memory, Region } from '../abi/memory.js';
import { condHolds, FLAG } from './cond.js';
import { decodeInst } from './decode.js';
import { isImm, type Imm, type Inst, type Mem, type RM, type Size } from './insts.js';
import { printInst } from './print.js';
import { RAX, RBP, RCX, RDX, RSP, SYSV_ARGS } from './regs.js';

/** Where the code is mapped. */
export const CODE_BASE = 0x2_0000_0000;
/** Host entry `id` lives at `HOST_BASE + id`. */
export const HOST_BASE = 0x1_c000_0000;
/** Number of host entry addresses. */
export const HOST_SPAN = 0x1000_0000;
/** Returning to this address ends `call()`. */
export const EXIT_ADDRESS = 0x1_bfff_f000;

/** A host function reachable from code: id and SysV arguments in, rax out. */
export type HostCall = (id: number, args: readonly bigint[]) => bigint;

/** How to build an emulator. */
export interface EmulatorOptions {
  /** The machine code; offset 0 is at CODE_BASE. */
  readonly code: Uint8Array;
  /** Data memory. */
  readonly memory: Memory;
  /** Host calls (see the file comment); calling a host entry without one faults. */
  readonly hostCall?: HostCall;
  /** Stop with RUN_BUDGET after this many instructions (default 100 million). */
  readonly budget?: number;
}

const TWO32 = 0x1_0000_0000;

/** PF: set when the low byte has an even number of ones (SDM Vol. 1 §3.4.3.1). */
const PARITY = new Uint8Array(256).map((_v, i) => {
  let n = 0;
  for (let b = i; b !== 0; b >>= 1) n += b & 1;
  return (n & 1) === 0 ? FLAG.PF : 0;
});

const MASK: Record<Size, number> = { 8: 0xff, 16: 0xffff, 32: 0xffffffff, 64: 0xffffffff };
const ARITH = FLAG.CF | FLAG.PF | FLAG.ZF | FLAG.SF | FLAG.OF;

/** A decoded instruction turned into a closure over the emulator state. */
interface Compiled {
  readonly run: () => void;
  readonly length: number;
}

/** The emulated CPU. */
export class X86Emulator {
  /** Low 32 bits of each register. */
  readonly lo = new Uint32Array(16);
  /** High 32 bits of each register. */
  readonly hi = new Uint32Array(16);
  /** RFLAGS bits, valid unless `pending` is set. */
  private f = 0;
  /** Computes the flags of the last instruction on demand (a 64-bit imul's overflow is costly and rarely read). */
  private pending: (() => void) | undefined;

  /** RFLAGS: the FLAG bits. */
  get flags(): number {
    const p = this.pending;
    if (p !== undefined) { this.pending = undefined; p(); }
    return this.f;
  }
  set flags(v: number) { this.pending = undefined; this.f = v; }
  /** Instructions executed so far. */
  executed = 0;
  /** Offset of the next instruction in the code. */
  rip = 0;

  private readonly code: Uint8Array;
  private readonly memory: Memory;
  private readonly hostCall: HostCall | undefined;
  private readonly budget: number;
  private readonly cache: (Compiled | undefined)[];
  private view: DataView;
  private region: Region | undefined;
  /** Operand value scratch: low and high halves. */
  private vl = 0;
  private vh = 0;
  /** Offset after the current instruction (rip-relative base). */
  private next = 0;
  private stopped = false;

  constructor(opts: EmulatorOptions) {
    this.code = opts.code;
    this.memory = opts.memory;
    this.hostCall = opts.hostCall;
    this.budget = opts.budget ?? 100_000_000;
    this.cache = new Array<Compiled | undefined>(opts.code.length);
    this.view = opts.memory.view;
  }

  /** A register's value. */
  getReg(r: number): bigint { return BigInt(this.hi[r]!) << 32n | BigInt(this.lo[r]!); }

  /** Set a register. */
  setReg(r: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.lo[r] = Number(u & 0xffffffffn);
    this.hi[r] = Number(u >> 32n);
  }

  /**
   * Call the code at `entry` (a code offset) the SysV way: arguments in
   * rdi, rsi, ..., the return address EXIT_ADDRESS pushed at rsp (which the
   * caller must have pointed into a writable region). Returns rax.
   */
  call(entry: number, args: readonly bigint[] = []): bigint {
    // the memory may have grown since the last run (the push below writes through the view)
    this.view = this.memory.view;
    args.forEach((a, i) => this.setReg(SYSV_ARGS[i]!, a));
    this.push(EXIT_ADDRESS % TWO32, Math.floor(EXIT_ADDRESS / TWO32));
    this.run(entry, -1);
    return this.getReg(RAX);
  }

  /**
   * `call` from inside a host call (a callback a helper runs): the code at
   * `entry` runs on the current stack, and the interrupted run resumes where
   * it was when this returns.
   */
  callBack(entry: number, args: readonly bigint[]): bigint {
    const { rip, next, stopped } = this;
    try {
      return this.call(entry, args);
    } finally {
      this.rip = rip;
      this.next = next;
      this.stopped = stopped;
      this.view = this.memory.view;
      this.region = undefined;
    }
  }

  /**
   * Run from code offset `entry` until a `ret` to EXIT_ADDRESS or until rip
   * reaches code offset `stop` (default: the end of the code).
   */
  run(entry: number, stop = this.code.length): void {
    this.rip = entry;
    this.stopped = false;
    this.view = this.memory.view;
    const limit = this.budget;
    while (!this.stopped && this.rip !== stop) {
      if (this.executed >= limit) fail('RUN_BUDGET', { budget: limit });
      const at = this.rip;
      let c = at >= 0 && at < this.code.length ? this.cache[at] : undefined;
      if (c === undefined) {
        if (at < 0 || at >= this.code.length) this.badTarget(CODE_BASE + at);
        const d = decodeInst(this.code, at);
        if (d === undefined) {
          const bytes = Array.from(this.code.subarray(at, at + 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
          fail('X86_UNDECODABLE', { bytes, rip: (CODE_BASE + at).toString(16) });
        }
        c = { run: this.compile(d.inst), length: d.length };
        this.cache[at] = c;
      }
      this.next = at + c.length;
      this.rip = this.next;
      this.executed++;
      c.run();
    }
  }

  // ---- faults -------------------------------------------------------------

  private ripHex(): string { return (CODE_BASE + this.next).toString(16); }

  private badTarget(target: number): never {
    fail('X86_BAD_TARGET', { target: target.toString(16), rip: this.ripHex() });
  }

  // ---- memory ------------------------------------------------------------

  /** Effective address of `m` as a number; above 2^32 only for code addresses. */
  private ea(m: Mem): number {
    if (m.base === 'rip') return CODE_BASE + this.next + m.disp;
    let l = this.lo[m.base]! + m.disp;
    let h = this.hi[m.base]!;
    if (m.index !== undefined) {
      const s = m.scale ?? 1;
      const il = this.lo[m.index]! * s;
      l += il;
      h += this.hi[m.index]! * s;
    }
    h = (h + Math.floor(l / TWO32)) >>> 0;
    return h * TWO32 + (l >>> 0); // above 2^53 inexact, but then it faults anyway
  }

  /** Whether `[addr, addr+size)` lies in the code. */
  private inCode(addr: number, size: number): boolean {
    return addr >= CODE_BASE && addr + size <= CODE_BASE + this.code.length;
  }

  /** Check `[addr, addr+size)` is in a region (writable for stores); returns the DataView offset. */
  private check(addr: number, size: number, store: boolean): number {
    const r = this.region;
    if (r !== undefined && addr >= r.start && addr + size <= r.start + r.size && (!store || r.writable)) return addr;
    const found = addr >= 0 && addr < TWO32 ? this.memory.find(addr, size) : undefined;
    if (found === undefined) {
      fail('RUN_MEMORY_FAULT', { access: store ? 'store' : 'load', size, address: addr.toString(16) });
    }
    if (store && !found.writable) fail('RUN_READONLY', { size, address: addr.toString(16), region: found.name });
    this.region = found;
    return addr;
  }

  /** Load `size` bits at `addr` into vl/vh. */
  private load(addr: number, size: Size): void {
    if (this.inCode(addr, size / 8)) {
      const off = addr - CODE_BASE;
      const dv = new DataView(this.code.buffer, this.code.byteOffset + off, size / 8);
      this.vl = size === 8 ? dv.getUint8(0) : size === 16 ? dv.getUint16(0, true) : dv.getUint32(0, true);
      this.vh = size === 64 ? dv.getUint32(4, true) : 0;
      return;
    }
    const a = this.check(addr, size / 8, false);
    const v = this.view;
    switch (size) {
      case 8: this.vl = v.getUint8(a); this.vh = 0; break;
      case 16: this.vl = v.getUint16(a, true); this.vh = 0; break;
      case 32: this.vl = v.getUint32(a, true); this.vh = 0; break;
      case 64: this.vl = v.getUint32(a, true); this.vh = v.getUint32(a + 4, true); break;
    }
  }

  /** Store `size` bits of (l, h) at `addr`. */
  private store(addr: number, size: Size, l: number, h: number): void {
    if (this.inCode(addr, size / 8)) fail('RUN_READONLY', { size: size / 8, address: addr.toString(16), region: 'code' });
    const a = this.check(addr, size / 8, true);
    const v = this.view;
    switch (size) {
      case 8: v.setUint8(a, l); break;
      case 16: v.setUint16(a, l, true); break;
      case 32: v.setUint32(a, l >>> 0, true); break;
      case 64: v.setUint32(a, l >>> 0, true); v.setUint32(a + 4, h >>> 0, true); break;
    }
  }

  private push(l: number, h: number): void {
    const sp = this.rsp() - 8;
    this.store(sp, 64, l, h);
    this.setRsp(sp);
  }

  private pop(): void {
    const sp = this.rsp();
    this.load(sp, 64);
    this.setRsp(sp + 8);
  }

  /** rsp as a number (inexact above 2^53, where every access faults anyway). */
  private rsp(): number { return this.hi[RSP]! * TWO32 + this.lo[RSP]!; }
  /** Set rsp after a push or pop that succeeded, so the value is a mapped address. */
  private setRsp(v: number): void { this.lo[RSP] = v >>> 0; this.hi[RSP] = Math.floor(v / TWO32) >>> 0; }

  // ---- operands ----------------------------------------------------------

  /** Read an operand at `size` into vl/vh (vh is 0 below 64 bits). */
  private read(x: RM | Imm, size: Size): void {
    if (typeof x === 'number') {
      this.vl = size === 32 || size === 64 ? this.lo[x]! : this.lo[x]! & MASK[size];
      this.vh = size === 64 ? this.hi[x]! : 0;
    } else if (isImm(x)) {
      const i = x.imm;
      this.vl = size === 64 || size === 32 ? i >>> 0 : i & MASK[size];
      this.vh = size === 64 && i < 0 ? 0xffffffff : 0;
    } else {
      this.load(this.ea(x), size);
    }
  }

  /** Write (l, h) to an operand at `size`; 32-bit register writes zero the high half (SDM Vol. 1 §3.4.1.1). */
  private write(x: RM, size: Size, l: number, h: number): void {
    if (typeof x === 'number') {
      switch (size) {
        case 64: this.lo[x] = l; this.hi[x] = h; break;
        case 32: this.lo[x] = l; this.hi[x] = 0; break;
        case 16: this.lo[x] = (this.lo[x]! & 0xffff0000) | (l & 0xffff); break;
        case 8: this.lo[x] = (this.lo[x]! & 0xffffff00) | (l & 0xff); break;
      }
    } else {
      this.store(this.ea(x), size, l, h);
    }
  }

  private readBig(x: RM | Imm, size: Size): bigint {
    this.read(x, size);
    return BigInt(this.vh) << 32n | BigInt(this.vl >>> 0);
  }

  private writeBig(x: RM, size: Size, v: bigint): void {
    const u = BigInt.asUintN(size, v);
    this.write(x, size, Number(u & 0xffffffffn), Number(u >> 32n));
  }

  // ---- flags -------------------------------------------------------------

  /** ZF, SF, PF from a result; CF and OF as given. */
  private setFlags(size: Size, l: number, h: number, cf: number, of: number): void {
    const zero = size === 64 ? (l | h) === 0 : (l & MASK[size]) === 0;
    const sign = size === 64 ? h >>> 31 : (l >>> (size - 1)) & 1;
    this.pending = undefined;
    this.f = (this.f & ~ARITH) | (cf !== 0 ? FLAG.CF : 0) | (of !== 0 ? FLAG.OF : 0) |
      (zero ? FLAG.ZF : 0) | (sign !== 0 ? FLAG.SF : 0) | PARITY[l & 0xff]!;
  }

  private rl = 0;
  private rh = 0;

  /** a + b + cin → rl/rh with flags (SDM "ADD", "ADC"). */
  private add(size: Size, al: number, ah: number, bl: number, bh: number, cin: number): void {
    if (size === 64) {
      let l = al + bl + cin;
      const c = l > 0xffffffff ? 1 : 0;
      l >>>= 0;
      let h = ah + bh + c;
      const cf = h > 0xffffffff ? 1 : 0;
      h >>>= 0;
      this.rl = l; this.rh = h;
      this.setFlags(64, l, h, cf, ((ah ^ h) & (bh ^ h)) >>> 31);
    } else {
      const r = al + bl + cin;
      const m = MASK[size];
      const res = size === 32 ? r >>> 0 : r & m;
      this.rl = res; this.rh = 0;
      this.setFlags(size, res, 0, r > m ? 1 : 0, (((al ^ res) & (bl ^ res)) >>> (size - 1)) & 1);
    }
  }

  /** a - b - bin → rl/rh with flags (SDM "SUB", "SBB", "CMP", "NEG"). */
  private sub(size: Size, al: number, ah: number, bl: number, bh: number, bin: number): void {
    if (size === 64) {
      let l = al - bl - bin;
      const c = l < 0 ? 1 : 0;
      l >>>= 0;
      let h = ah - bh - c;
      const cf = h < 0 ? 1 : 0;
      h >>>= 0;
      this.rl = l; this.rh = h;
      this.setFlags(64, l, h, cf, ((ah ^ bh) & (ah ^ h)) >>> 31);
    } else {
      const r = al - bl - bin;
      const res = size === 32 ? r >>> 0 : r & MASK[size];
      this.rl = res; this.rh = 0;
      this.setFlags(size, res, 0, r < 0 ? 1 : 0, (((al ^ bl) & (al ^ res)) >>> (size - 1)) & 1);
    }
  }

  /** Logic result flags: CF = OF = 0 (SDM "AND", "OR", "XOR", "TEST"). */
  private logic(size: Size, l: number, h: number): void {
    this.rl = size === 32 || size === 64 ? l >>> 0 : l & MASK[size];
    this.rh = size === 64 ? h >>> 0 : 0;
    this.setFlags(size, this.rl, this.rh, 0, 0);
  }

  // ---- compiled fast paths -------------------------------------------------

  /** A closure that loads operand `x` at `size` into vl/vh. */
  private getter(x: RM | Imm, size: Size): () => void {
    const lo = this.lo, hi = this.hi;
    if (typeof x === 'number') {
      const r = x;
      switch (size) {
        case 64: return () => { this.vl = lo[r]!; this.vh = hi[r]!; };
        case 32: return () => { this.vl = lo[r]!; this.vh = 0; };
        case 16: return () => { this.vl = lo[r]! & 0xffff; this.vh = 0; };
        case 8: return () => { this.vl = lo[r]! & 0xff; this.vh = 0; };
      }
    }
    if (isImm(x)) {
      this.read(x, size);
      const l = this.vl, h = this.vh;
      return () => { this.vl = l; this.vh = h; };
    }
    const m = x;
    if (m.base !== 'rip' && m.index === undefined) {
      const b = m.base, disp = m.disp;
      return () => {
        const l = lo[b]! + disp;
        if (hi[b] === 0 && l >= 0 && l < TWO32) this.load(l, size);
        else this.load(this.ea(m), size);
      };
    }
    return () => this.load(this.ea(m), size);
  }

  /** A closure that stores (l, h) to operand `x` at `size`. */
  private setter(x: RM, size: Size): (l: number, h: number) => void {
    const lo = this.lo, hi = this.hi;
    if (typeof x === 'number') {
      const r = x;
      switch (size) {
        case 64: return (l, h) => { lo[r] = l; hi[r] = h; };
        case 32: return (l) => { lo[r] = l; hi[r] = 0; };
        case 16: return (l) => { lo[r] = (lo[r]! & 0xffff0000) | (l & 0xffff); };
        case 8: return (l) => { lo[r] = (lo[r]! & 0xffffff00) | (l & 0xff); };
      }
    }
    const m = x;
    return (l, h) => this.store(this.ea(m), size, l, h);
  }

  /** Turn a decoded instruction into a closure; the common operations get specialised ones. */
  private compile(inst: Inst): () => void {
    switch (inst.op) {
      case 'mov': {
        const get = this.getter(inst.src, inst.size), set = this.setter(inst.dst, inst.size);
        return () => { get(); set(this.vl, this.vh); };
      }
      case 'movzx': {
        const get = this.getter(inst.src, inst.from), set = this.setter(inst.dst, inst.size);
        return () => { get(); set(this.vl, 0); };
      }
      case 'add': case 'sub': case 'cmp': {
        const { size } = inst;
        const gs = this.getter(inst.src, size), gd = this.getter(inst.dst, size);
        const set = inst.op === 'cmp' ? undefined : this.setter(inst.dst, size);
        if (inst.op === 'add') return () => { gs(); const bl = this.vl, bh = this.vh; gd(); this.add(size, this.vl, this.vh, bl, bh, 0); set!(this.rl, this.rh); };
        if (set !== undefined) return () => { gs(); const bl = this.vl, bh = this.vh; gd(); this.sub(size, this.vl, this.vh, bl, bh, 0); set(this.rl, this.rh); };
        return () => { gs(); const bl = this.vl, bh = this.vh; gd(); this.sub(size, this.vl, this.vh, bl, bh, 0); };
      }
      case 'and': case 'or': case 'xor': case 'test': {
        const { size } = inst;
        const gs = this.getter(inst.src, size), gd = this.getter(inst.dst, size);
        const set = inst.op === 'test' ? undefined : this.setter(inst.dst, size);
        const f = inst.op === 'and' || inst.op === 'test' ? (a: number, b: number): number => a & b
          : inst.op === 'or' ? (a: number, b: number): number => a | b : (a: number, b: number): number => a ^ b;
        if (set === undefined) return () => { gs(); const bl = this.vl, bh = this.vh; gd(); this.logic(size, f(this.vl, bl), f(this.vh, bh)); };
        return () => { gs(); const bl = this.vl, bh = this.vh; gd(); this.logic(size, f(this.vl, bl), f(this.vh, bh)); set(this.rl, this.rh); };
      }
      case 'imul': return this.compileImul(inst);
      case 'jcc': {
        const { cc, rel } = inst;
        return () => { if (condHolds(cc, this.flags)) this.jumpTo(CODE_BASE + this.next + rel, false); };
      }
      case 'jmp': {
        const rel = inst.rel;
        return () => this.jumpTo(CODE_BASE + this.next + rel, false);
      }
      default:
        return () => this.exec(inst);
    }
  }

  /**
   * imul (SDM "IMUL"): the low half of the product, CF = OF = "the signed
   * product does not fit". 16/32-bit products are exact in doubles below 2^53;
   * a 64-bit product is built from 16-bit pieces and its flags computed with
   * BigInt only when something reads them.
   */
  private compileImul(inst: Inst & { op: 'imul' }): () => void {
    const { size } = inst;
    const gs = this.getter(inst.src, size);
    const gd = inst.imm === undefined ? this.getter(inst.dst, size) : this.getter({ imm: inst.imm }, size);
    const set = this.setter(inst.dst, size);
    if (size !== 64) {
      const sh = 32 - size;
      return () => {
        gs(); const a = (this.vl << sh) >> sh;
        gd(); const b = (this.vl << sh) >> sh;
        const p = a * b;
        const low = size === 32 ? Math.imul(a, b) : (Math.imul(a, b) << sh) >> sh;
        const over = Math.abs(p) >= 2 ** 53 || p !== low ? 1 : 0;
        set(low >>> 0, 0);
        this.setFlags(size, low >>> 0, 0, over, over);
      };
    }
    return () => {
      gs(); const al = this.vl, ah = this.vh;
      gd(); const bl = this.vl, bh = this.vh;
      // low 64 bits: al*bl (exact, from 16-bit pieces) + ((al*bh + ah*bl) << 32)
      const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
      const mid = a0 * b1 + a1 * b0;
      const lo = a0 * b0 + (mid % 65536) * 65536;
      const hi = (a1 * b1 + Math.floor(mid / 65536) + Math.floor(lo / TWO32) + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
      const l = lo >>> 0;
      set(l, hi);
      this.pending = () => {
        const full = BigInt.asIntN(64, BigInt(ah) << 32n | BigInt(al)) * BigInt.asIntN(64, BigInt(bh) << 32n | BigInt(bl));
        const over = BigInt.asIntN(64, full) !== full ? 1 : 0;
        this.setFlags(64, l, hi, over, over);
      };
    };
  }

  // ---- execution of the operations `compile` does not specialise ----------

  private exec(inst: Inst): void {
    switch (inst.op) {
      case 'movabs': this.setReg(inst.dst, inst.imm); return;
      case 'movsx': {
        this.read(inst.src, inst.from);
        const v = inst.from === 8 ? (this.vl << 24) >> 24 : inst.from === 16 ? (this.vl << 16) >> 16 : this.vl | 0;
        this.write(inst.dst, inst.size, v >>> 0, v < 0 ? 0xffffffff : 0);
        return;
      }
      case 'lea': {
        const m = inst.src;
        let a: number;
        if (m.base === 'rip') a = CODE_BASE + this.next + m.disp;
        else {
          // Full 64-bit address arithmetic, not limited to mapped memory.
          let l = this.lo[m.base]! + m.disp, h = this.hi[m.base]!;
          if (m.index !== undefined) { l += this.lo[m.index]! * (m.scale ?? 1); h += this.hi[m.index]! * (m.scale ?? 1); }
          h = (h + Math.floor(l / TWO32)) >>> 0;
          this.write(inst.dst, inst.size, l >>> 0, h);
          return;
        }
        this.write(inst.dst, inst.size, a % TWO32, Math.floor(a / TWO32));
        return;
      }
      case 'adc': case 'sbb': {
        const { size, dst } = inst;
        this.read(inst.src, size);
        const bl = this.vl, bh = this.vh;
        this.read(dst, size);
        const cin = this.flags & FLAG.CF;
        if (inst.op === 'adc') this.add(size, this.vl, this.vh, bl, bh, cin);
        else this.sub(size, this.vl, this.vh, bl, bh, cin);
        this.write(dst, size, this.rl, this.rh);
        return;
      }
      case 'not': {
        this.read(inst.dst, inst.size);
        this.write(inst.dst, inst.size, ~this.vl >>> 0, ~this.vh >>> 0);
        return;
      }
      case 'neg': {
        this.read(inst.dst, inst.size);
        this.sub(inst.size, 0, 0, this.vl, this.vh, 0);
        this.write(inst.dst, inst.size, this.rl, this.rh);
        return;
      }
      case 'mul': case 'div': case 'idiv':
        this.mulDiv(inst.op, inst.size, inst.dst);
        return;
      case 'shl': case 'shr': case 'sar':
        this.shift(inst.op, inst.size, inst.dst, inst.count === 'cl' ? this.lo[RCX]! & 0xff : inst.count);
        return;
      case 'rol': case 'ror':
        this.rotate(inst.op, inst.size, inst.dst, inst.count === 'cl' ? this.lo[RCX]! & 0xff : inst.count);
        return;
      case 'shlx': case 'shrx': case 'sarx': {
        // SDM "SARX/SHLX/SHRX": count masked to 5 (32-bit) or 6 (64-bit) bits; no flags change.
        const { size } = inst;
        const n = BigInt(this.lo[inst.count]! & (size === 64 ? 63 : 31));
        const v = this.readBig(inst.src, size);
        const r = inst.op === 'shlx' ? v << n : inst.op === 'shrx' ? v >> n : BigInt.asIntN(size, v) >> n;
        this.writeBig(inst.dst, size, r);
        return;
      }
      case 'bswap': {
        const r = inst.dst;
        const sw = (x: number): number => ((x & 0xff) << 24 | (x & 0xff00) << 8 | (x >>> 8) & 0xff00 | x >>> 24) >>> 0;
        if (inst.size === 32) this.write(r, 32, sw(this.lo[r]!), 0);
        else this.write(r, 64, sw(this.hi[r]!), sw(this.lo[r]!));
        return;
      }
      case 'xchg': {
        const { size, dst, src } = inst;
        this.read(dst, size);
        const dl = this.vl, dh = this.vh;
        this.read(src, size);
        this.write(dst, size, this.vl, this.vh);
        this.write(src, size, dl, dh);
        return;
      }
      case 'xadd': {
        // SDM "XADD": TEMP ← SRC + DEST; SRC ← DEST; DEST ← TEMP.
        const { size, dst, src } = inst;
        this.read(src, size);
        const sl = this.vl, sh = this.vh;
        this.read(dst, size);
        const dl = this.vl, dh = this.vh;
        this.add(size, dl, dh, sl, sh, 0);
        const tl = this.rl, th = this.rh;
        this.write(src, size, dl, dh);
        this.write(dst, size, tl, th);
        return;
      }
      case 'cmpxchg': {
        // SDM "CMPXCHG": compare accumulator with DEST; equal: DEST ← SRC, else accumulator ← DEST.
        const { size, dst, src } = inst;
        this.read(dst, size);
        const dl = this.vl, dh = this.vh;
        this.read(RAX, size);
        this.sub(size, this.vl, this.vh, dl, dh, 0);
        if ((this.flags & FLAG.ZF) !== 0) {
          this.read(src, size);
          this.write(dst, size, this.vl, this.vh);
        } else {
          // A memory destination is written back unchanged (SDM: the processor writes
          // back on failure); a register destination is left alone, so a 32-bit one
          // keeps its high half (as the CPU does; checked by native.test.ts).
          if (typeof dst !== 'number') this.write(dst, size, dl, dh);
          this.write(RAX, size, dl, dh);
        }
        return;
      }
      case 'setcc':
        this.write(inst.dst, 8, condHolds(inst.cc, this.flags) ? 1 : 0, 0);
        return;
      case 'cmovcc': {
        // The source is read and the destination written either way (so a 32-bit cmov zero-extends).
        this.read(inst.src, inst.size);
        if (!condHolds(inst.cc, this.flags)) this.read(inst.dst, inst.size);
        this.write(inst.dst, inst.size, this.vl, this.vh);
        return;
      }
      case 'call': this.callTo(CODE_BASE + this.next + inst.rel); return;
      case 'jmp-indirect': {
        this.read(inst.target, 64);
        this.jumpTo(this.vh * TWO32 + this.vl, false);
        return;
      }
      case 'call-indirect': {
        this.read(inst.target, 64);
        this.callTo(this.vh * TWO32 + this.vl);
        return;
      }
      case 'push': this.push(this.lo[inst.reg]!, this.hi[inst.reg]!); return;
      case 'pop': this.pop(); this.write(inst.reg, 64, this.vl, this.vh); return;
      case 'cqo':
        if (inst.size === 64) { const s = (this.hi[RAX]! >> 31) >>> 0; this.write(RDX, 64, s, s); }
        else this.write(RDX, 32, (this.lo[RAX]! >> 31) >>> 0, 0);
        return;
      case 'ret': this.pop(); this.jumpTo(this.vh * TWO32 + this.vl, true); return;
      case 'nop': case 'endbr64': return;
      case 'leave':
        // SDM "LEAVE": RSP ← RBP; RBP ← Pop().
        this.lo[RSP] = this.lo[RBP]!; this.hi[RSP] = this.hi[RBP]!;
        this.pop();
        this.write(RBP, 64, this.vl, this.vh);
        return;
      case 'ud2': case 'int3':
        fail('X86_TRAP', { insn: inst.op, rip: (CODE_BASE + this.next - (inst.op === 'ud2' ? 2 : 1)).toString(16) });
      case 'mov': case 'movzx': case 'add': case 'sub': case 'cmp': case 'and': case 'or': case 'xor': case 'test':
      case 'imul': case 'jcc': case 'jmp':
        throw new InternalError(`${inst.op} is compiled, never interpreted`);
      default: unreachable(inst, 'x86 instruction');
    }
  }

  /** Transfer control to an absolute address: code, a host entry (tail call), or EXIT_ADDRESS. */
  private jumpTo(target: number, isRet: boolean): void {
    // The end of the code is a valid target: `run` stops there.
    if (target >= CODE_BASE && target <= CODE_BASE + this.code.length) { this.rip = target - CODE_BASE; return; }
    if (isRet && target === EXIT_ADDRESS) { this.stopped = true; return; }
    if (!isRet && target >= HOST_BASE && target < HOST_BASE + HOST_SPAN) {
      this.host(target - HOST_BASE);
      this.pop();
      this.jumpTo(this.vh * TWO32 + this.vl, true);
      return;
    }
    this.badTarget(target);
  }

  /** A call: to a host entry, or push the return address and jump. */
  private callTo(target: number): void {
    if (target >= HOST_BASE && target < HOST_BASE + HOST_SPAN) { this.host(target - HOST_BASE); return; }
    const ret = CODE_BASE + this.next;
    this.push(ret % TWO32, Math.floor(ret / TWO32));
    this.jumpTo(target, false);
  }

  /** Run host entry `id` (see the file comment). */
  private host(id: number): void {
    if (this.hostCall === undefined) fail('X86_UNKNOWN_HOST_CALL', { id, rip: this.ripHex() });
    const args = SYSV_ARGS.map((r) => this.getReg(r));
    this.setReg(RAX, this.hostCall(id, args));
    this.view = this.memory.view; // the host may have grown the memory
    this.region = undefined;
  }

  /** mul/div/idiv on rdx:rax (SDM "MUL", "DIV", "IDIV"); AL/AH for bytes. */
  private mulDiv(op: 'mul' | 'div' | 'idiv', size: Size, src: RM): void {
    const s = BigInt(size);
    const v = this.readBig(src, size);
    const ax = this.readBig(RAX, size);
    const dx = size === 8 ? BigInt((this.lo[RAX]! >>> 8) & 0xff) : this.readBig(RDX, size);
    const setPair = (lo: bigint, hi: bigint): void => {
      if (size === 8) this.write(RAX, 16, Number(BigInt.asUintN(8, lo) | BigInt.asUintN(8, hi) << 8n), 0);
      else { this.writeBig(RAX, size, lo); this.writeBig(RDX, size, hi); }
    };
    if (op === 'mul') {
      const p = ax * v;
      const hi = p >> s;
      setPair(p, hi);
      const c = hi !== 0n ? 1 : 0;
      const r = BigInt.asUintN(size, p);
      this.setFlags(size, Number(r & 0xffffffffn), Number(r >> 32n), c, c);
      return;
    }
    const dividend = dx << s | ax;
    if (v === 0n) fail('X86_DIVIDE_ERROR', { detail: 'division by zero', rip: this.ripHex() });
    let q: bigint, r: bigint;
    if (op === 'div') { q = dividend / v; r = dividend % v; if (q >> s !== 0n) fail('X86_DIVIDE_ERROR', { detail: 'quotient too large', rip: this.ripHex() }); }
    else {
      const n = BigInt.asIntN(size * 2, dividend), d = BigInt.asIntN(size, v);
      q = n / d; r = n % d;
      if (BigInt.asIntN(size, q) !== q) fail('X86_DIVIDE_ERROR', { detail: 'quotient too large', rip: this.ripHex() });
    }
    setPair(q, r);
  }

  /** shl/shr/sar (SDM "SAL/SAR/SHL/SHR"): count masked to 5 bits (6 for 64); count 0 changes no flags. */
  private shift(op: 'shl' | 'shr' | 'sar', size: Size, dst: RM, raw: number): void {
    const n = raw & (size === 64 ? 63 : 31);
    this.read(dst, size);
    let l = this.vl, h = this.vh;
    if (n === 0) { this.write(dst, size, l, h); return; }
    let cf: number, of: number;
    if (size === 64) {
      if (op === 'shl') {
        cf = n <= 32 ? (h >>> (32 - n)) & 1 : (l >>> (64 - n)) & 1;
        if (n < 32) { h = (h << n | l >>> (32 - n)) >>> 0; l = (l << n) >>> 0; } else { h = (l << (n - 32)) >>> 0; l = 0; }
        of = (h >>> 31) ^ cf;
      } else {
        cf = n <= 32 ? (l >>> (n - 1)) & 1 : (h >>> (n - 33)) & 1;
        of = op === 'shr' ? h >>> 31 : 0;
        if (n < 32) {
          l = (l >>> n | h << (32 - n)) >>> 0;
          h = op === 'shr' ? h >>> n : (h >> n) >>> 0;
        } else {
          l = op === 'shr' ? h >>> (n - 32) : (h >> (n - 32)) >>> 0;
          h = op === 'shr' ? 0 : (h >> 31) >>> 0;
        }
      }
      this.write(dst, size, l, h);
      this.setFlags(size, l, h, cf, of);
      return;
    }
    // 8/16/32 bits: one word; counts up to 31 may exceed 8/16-bit widths.
    const v = BigInt(l);
    const s = BigInt(size);
    let r: bigint;
    if (op === 'shl') {
      r = BigInt.asUintN(size, v << BigInt(n));
      cf = Number((v << BigInt(n)) >> s & 1n);
      of = Number(r >> (s - 1n)) ^ cf;
    } else if (op === 'shr') {
      r = v >> BigInt(n);
      cf = Number((v >> BigInt(n - 1)) & 1n);
      of = Number(v >> (s - 1n)) & 1;
    } else {
      const sv = BigInt.asIntN(size, v);
      r = BigInt.asUintN(size, sv >> BigInt(n));
      cf = Number(BigInt.asUintN(size + 32, sv >> BigInt(n - 1)) & 1n);
      of = 0;
    }
    const res = Number(r);
    this.write(dst, size, res, 0);
    this.setFlags(size, res, 0, cf, of);
  }

  /** rol/ror (SDM "RCL/RCR/ROL/ROR"): only CF and OF change, and only for a non-zero masked count. */
  private rotate(op: 'rol' | 'ror', size: Size, dst: RM, raw: number): void {
    const masked = raw & (size === 64 ? 63 : 31);
    const v = this.readBig(dst, size);
    const s = BigInt(size);
    const n = BigInt(masked % size);
    const r = op === 'rol'
      ? BigInt.asUintN(size, v << n | v >> ((s - n) % s))
      : BigInt.asUintN(size, v >> n | v << ((s - n) % s));
    this.writeBig(dst, size, r);
    if (masked === 0) return;
    const msb = Number(r >> (s - 1n)) & 1;
    let cf: number, of: number;
    if (op === 'rol') { cf = Number(r & 1n); of = msb ^ cf; }
    else { cf = msb; of = msb ^ (Number(r >> (s - 2n)) & 1); }
    this.flags = (this.flags & ~(FLAG.CF | FLAG.OF)) | (cf ? FLAG.CF : 0) | (of ? FLAG.OF : 0);
  }

  /** The instruction at a code offset as text, for traces and messages. */
  describe(offset: number): string {
    const d = decodeInst(this.code, offset);
    return d === undefined ? '(undecodable)' : printInst(d.inst);
  }
}
