/**
 * @file Random x86-64 code sequences that are safe to run on the real CPU and
 * whose results are fully defined, for the emulator-vs-CPU differential test.
 *
 * Safety: one base register B points at the middle of a 512-byte data block
 * and one index register I holds 0..7; neither is ever written, nor is rsp
 * except by balanced push/pop. Every memory operand is B+disp, B+I*scale+disp,
 * rsp+disp (inside the stack part of the block) or a rip-relative load of
 * earlier code bytes. Divisions get a non-zero divisor and a dividend whose
 * quotient fits. Branches only go forward.
 *
 * Definedness: the generator tracks which of CF/PF/ZF/SF/OF the SDM defines at
 * each point (a shift by more than one leaves OF undefined, mul leaves SF/ZF/PF
 * undefined, div leaves all undefined...). Instructions that read flags only
 * use defined ones, and the test compares only flags defined at the end.
 */
import { CodeBuffer } from '../../src/codegen/buffer.js';
import { condFlags, FLAG } from '../../src/emit-native-x86/cond.js';
import { emitBranch, emitInst, encodeInst, REL32 } from '../../src/emit-native-x86/encode.js';
import { ALU_OPS, type Inst, type Mem, type RM, type Size } from '../../src/emit-native-x86/insts.js';
import { printInst } from '../../src/emit-native-x86/print.js';
import { RAX, RCX, RDX, RSP } from '../../src/emit-native-x86/regs.js';
import type { Rng } from './gen-insts.js';

/** Address of the data block, here and in the native harness. */
export const MEM_ADDR = 0x10000;
/** Size of the block: 512 bytes of data, then the stack. */
export const MEM_SIZE = 1024;
/** Initial rsp. */
export const STACK_START = MEM_ADDR + MEM_SIZE - 128;
const ALL_FLAGS = FLAG.CF | FLAG.PF | FLAG.ZF | FLAG.SF | FLAG.OF;

/** One test case: code, initial state, and which flags are defined at the end. */
export interface Case {
  readonly code: Uint8Array;
  readonly regs: bigint[];
  readonly flags: number;
  readonly mem: Uint8Array;
  readonly definedFlags: number;
  readonly listing: string[];
}

/** Builds one random case. */
class Gen {
  readonly buf = new CodeBuffer();
  readonly listing: string[] = [];
  defined = ALL_FLAGS;
  depth = 0;
  inBranch = false;
  /** Inside a called function: [rsp] holds the return address. */
  inCall = false;
  readonly B: number;
  readonly I: number;
  private readonly writable: number[];

  constructor(readonly rng: Rng, readonly bmi2: boolean) {
    const candidates = [3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    this.B = rng.pick(candidates);
    do this.I = rng.pick(candidates); while (this.I === this.B);
    this.writable = [...Array(16).keys()].filter((r) => r !== this.B && r !== this.I && r !== RSP);
  }

  emit(inst: Inst): void {
    this.listing.push(printInst(inst));
    emitInst(this.buf, inst);
  }

  /** Registers a loop counter holds: not writable inside the loop body. */
  reserved = -1;
  wreg(): number {
    let r = this.rng.pick(this.writable);
    while (r === this.reserved) r = this.rng.pick(this.writable);
    return r;
  }
  rreg(): number { return this.rng.int(16); }
  size(): Size { return this.rng.pick([8, 16, 32, 64] as const); }

  /** A memory operand safe to access `size` bits at. */
  mem(size: Size, forStore: boolean): Mem {
    const r = this.rng;
    switch (r.int(forStore || this.buf.offset < 16 ? 3 : 4)) {
      case 0: return { base: this.B, disp: r.int(512 - size / 8) - 256 };
      case 1: return { base: this.B, index: this.I, scale: r.pick([1, 2, 4, 8] as const), disp: r.int(190 + 256) - 256 };
      case 2: return { base: RSP, disp: this.inCall ? 8 + r.int(121) : r.int(121) }; // never the return address
      default: return { base: 'rip', disp: 0 }; // patched by ripLoad
    }
  }

  /** Emit `make(mem)`; a rip-relative operand is pointed at earlier code bytes. */
  withMem(size: Size, forStore: boolean, make: (m: Mem) => Inst): void {
    const m = this.mem(size, forStore);
    if (m.base !== 'rip') { this.emit(make(m)); return; }
    const start = this.buf.offset;
    const inst = make(m);
    const len = encodeInst(inst).length;
    const target = this.rng.int(start - 8);
    const fixed: Mem = { base: 'rip', disp: target - (start + len) };
    const o = inst as unknown as Record<string, unknown>;
    const key = ['dst', 'src', 'target'].find((k) => o[k] === m)!;
    this.emit({ ...o, [key]: fixed } as unknown as Inst);
  }

  rm(size: Size, write: boolean, make: (x: RM) => Inst): void {
    if (this.rng.int(2) === 0) this.emit(make(write ? this.wreg() : this.rreg()));
    else this.withMem(size, write, make);
  }

  imm(size: Size): number {
    const r = this.rng;
    const v = r.pick([r.int(256) - 128, r.next() | 0, r.int(65536) - 32768, 0, 1, -1, 0x7fffffff, -0x80000000]);
    return size === 8 ? (v << 24) >> 24 : size === 16 ? (v << 16) >> 16 : v;
  }

  /** One instruction (or a short fixed pattern) chosen at random. */
  step(): void {
    const r = this.rng;
    const size = this.size();
    const k = r.int(this.inBranch ? 19 : 25);
    switch (k) {
      case 0: case 1: { // mov
        const form = r.int(4);
        if (form === 0) this.emit({ op: 'mov', size, dst: this.wreg(), src: this.rreg() });
        else if (form === 1) this.emit({ op: 'mov', size, dst: this.wreg(), src: { imm: this.imm(size) } });
        else if (form === 2) this.withMem(size, false, (m) => ({ op: 'mov', size, dst: this.wreg(), src: m }));
        else this.withMem(size, true, (m) => ({ op: 'mov', size, dst: m, src: r.int(3) === 0 ? { imm: this.imm(size) } : this.rreg() }));
        return;
      }
      case 2: this.emit({ op: 'movabs', dst: this.wreg(), imm: r.u64() }); return;
      case 3: {
        const [s, from] = r.pick([[16, 8], [32, 8], [64, 8], [32, 16], [64, 16], [64, 32]] as const);
        const op = from === 32 ? 'movsx' : r.pick(['movzx', 'movsx'] as const);
        const dst = this.wreg();
        if (r.int(2) === 0) this.emit({ op, size: s, from, dst, src: this.rreg() });
        else this.withMem(from, false, (m) => ({ op, size: s, from, dst, src: m }));
        return;
      }
      case 4: { // lea computes any address without touching memory
        const m: Mem = r.int(3) === 0 ? { base: this.rreg(), disp: r.next() | 0 }
          : { base: this.rreg(), index: r.pick([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]), scale: r.pick([1, 2, 4, 8] as const), disp: r.int(512) - 256 };
        this.emit({ op: 'lea', size: r.pick([32, 64] as const), dst: this.wreg(), src: r.int(8) === 0 ? { base: 'rip', disp: r.int(1000) } : m });
        return;
      }
      case 5: case 6: case 7: { // ALU
        let op = r.pick(ALU_OPS);
        if ((op === 'adc' || op === 'sbb') && (this.defined & FLAG.CF) === 0) op = 'add';
        const write = op !== 'cmp';
        const form = r.int(5);
        if (form === 0) this.emit({ op, size, dst: write ? this.wreg() : this.rreg(), src: this.rreg() });
        else if (form === 1) this.emit({ op, size, dst: write ? this.wreg() : this.rreg(), src: { imm: this.imm(size) } });
        else if (form === 2) this.withMem(size, false, (m) => ({ op, size, dst: write ? this.wreg() : this.rreg(), src: m }));
        else if (form === 3) this.withMem(size, write, (m) => ({ op, size, dst: m, src: r.int(2) === 0 ? this.rreg() : { imm: this.imm(size) } }));
        else if (write && op !== 'adc' && op !== 'sbb') this.withMem(size, true, (m) => ({ op, size, dst: m, src: this.rreg(), lock: true }));
        else this.emit({ op, size, dst: this.wreg(), src: this.rreg() });
        this.defined = ALL_FLAGS;
        return;
      }
      case 8: // test
        this.rm(size, false, (x) => ({ op: 'test', size, dst: x, src: r.int(2) === 0 ? this.rreg() : { imm: this.imm(size) } }));
        this.defined = ALL_FLAGS;
        return;
      case 9: { // imul
        const s = r.pick([16, 32, 64] as const);
        const dst = this.wreg();
        const three = r.int(2) === 0;
        this.rm(s, false, (x) => (three ? { op: 'imul', size: s, dst, src: x, imm: this.imm(s === 16 ? 16 : 32) } : { op: 'imul', size: s, dst, src: x }));
        this.defined = FLAG.CF | FLAG.OF;
        return;
      }
      case 10: { // not, neg
        const op = r.pick(['not', 'neg'] as const);
        this.rm(size, true, (x) => ({ op, size, dst: x }));
        if (op === 'neg') this.defined = ALL_FLAGS;
        return;
      }
      case 11: // mul
        this.rm(size, false, (x) => ({ op: 'mul', size, dst: x }));
        this.defined = FLAG.CF | FLAG.OF;
        return;
      case 12: case 13: { // shifts, by an immediate or by cl set just before
        const op = r.pick(['shl', 'shr', 'sar', 'rol', 'ror'] as const);
        const count = r.pick([1, 1, r.int(size), r.int(256), 0, size, 32]);
        const byCl = r.int(3) === 0;
        if (byCl) this.emit({ op: 'mov', size: 8, dst: RCX, src: { imm: count > 127 ? count - 256 : count } });
        this.rm(size, true, (x) => ({ op, size, dst: x, count: byCl ? 'cl' : count & 0xff }));
        const m = count & (size === 64 ? 63 : 31);
        if (m !== 0) {
          if (op === 'rol' || op === 'ror') this.defined = (this.defined | FLAG.CF) & ~FLAG.OF;
          else this.defined = FLAG.PF | FLAG.ZF | FLAG.SF | (m < size ? FLAG.CF : 0);
          if (m === 1) this.defined |= FLAG.OF;
        }
        return;
      }
      case 14: {
        if (!this.bmi2 || r.int(2) === 0) { this.emit({ op: 'bswap', size: r.pick([32, 64] as const), dst: this.wreg() }); return; }
        const s = r.pick([32, 64] as const), dst = this.wreg(), count = this.rreg();
        const op = r.pick(['shlx', 'shrx', 'sarx'] as const);
        this.rm(s, false, (x) => ({ op, size: s, dst, src: x, count }));
        return;
      }
      case 15: { // xchg
        const src = this.wreg();
        this.rm(size, true, (x) => (typeof x === 'number' ? { op: 'xchg', size, dst: x, src } : { op: 'xchg', size, dst: x, src, lock: r.int(2) === 0 }));
        return;
      }
      case 16: { // xadd, cmpxchg
        const op = r.pick(['xadd', 'cmpxchg'] as const);
        const src = this.wreg();
        if (r.int(2) === 0) this.emit({ op, size, dst: this.wreg(), src });
        else this.withMem(size, true, (m) => ({ op, size, dst: m, src, lock: r.int(2) === 0 }));
        this.defined = ALL_FLAGS;
        return;
      }
      case 17: case 18: { // setcc, cmovcc on defined flags
        const ccs = [...Array(16).keys()].filter((cc) => (condFlags(cc) & ~this.defined) === 0);
        if (ccs.length === 0) return;
        const cc = r.pick(ccs);
        if (k === 17) this.rm(8, true, (x) => ({ op: 'setcc', cc, dst: x }));
        else {
          const s = r.pick([16, 32, 64] as const);
          const dst = this.wreg();
          this.rm(s, false, (x) => ({ op: 'cmovcc', cc, size: s, dst, src: x }));
        }
        return;
      }
      case 19: this.divide(); return;
      case 20: { // push/pop, balanced at the end
        if (this.depth < 8 && (this.depth === 0 || r.int(2) === 0)) { this.emit({ op: 'push', reg: this.rreg() }); this.depth++; }
        else { this.emit({ op: 'pop', reg: this.wreg() }); this.depth--; }
        return;
      }
      case 21: this.emit({ op: 'cqo', size: r.pick([32, 64] as const) }); return;
      case 22: this.callReturn(); return;
      case 23: this.loop(); return;
      default: this.branch(); return;
    }
  }

  /** div/idiv with a non-zero divisor and a dividend whose quotient fits. */
  divide(): void {
    const r = this.rng;
    const size = this.size();
    const signed = r.int(2) === 0;
    let d = this.imm(size);
    if (d === 0 || d === -1) d = 3;
    const dreg = r.pick(this.writable.filter((x) => x !== RAX && x !== RDX));
    this.emit({ op: 'mov', size: size === 64 ? 64 : 32, dst: dreg, src: { imm: d } });
    if (size === 8) this.emit({ op: signed ? 'movsx' : 'movzx', size: 16, from: 8, dst: RAX, src: RAX });
    else if (signed) {
      if (size === 16) this.emit({ op: 'movsx', size: 32, from: 16, dst: RAX, src: RAX });
      this.emit({ op: 'cqo', size: size === 64 ? 64 : 32 });
    } else this.emit({ op: 'xor', size: 32, dst: RDX, src: RDX });
    const op = signed ? 'idiv' : 'div';
    if (r.int(2) === 0) this.emit({ op, size, dst: dreg });
    else {
      const m: Mem = { base: this.B, disp: r.int(256) - 128 };
      this.emit({ op: 'mov', size, dst: m, src: dreg });
      this.emit({ op, size, dst: m });
    }
    this.defined = 0;
  }

  /**
   * A call to a local function and a jump over it: `call F; jmp over; F: ...; ret; over:`.
   * The call is direct (rel32) or through a register loaded by a rip-relative lea.
   */
  callReturn(): void {
    const r = this.rng;
    const f = this.buf.newLabel(), over = this.buf.newLabel();
    if (r.int(2) === 0) {
      this.listing.push('call F');
      emitBranch(this.buf, { op: 'call', rel: 0 }, f);
    } else {
      const reg = this.wreg();
      this.listing.push(`leaq F(%rip), ${reg}; callq *${reg}`);
      emitInst(this.buf, { op: 'lea', size: 64, dst: reg, src: { base: 'rip', disp: 0 } });
      this.buf.fixup(REL32, this.buf.offset - 4, f);
      emitInst(this.buf, { op: 'call-indirect', target: reg });
    }
    this.listing.push('jmp over');
    emitBranch(this.buf, { op: 'jmp', rel: 0, width: r.pick([8, 32] as const) }, over);
    this.buf.bind(f);
    this.listing.push('F:');
    this.depth++;
    this.inBranch = true;
    this.inCall = true;
    for (let n = 1 + r.int(4); n > 0; n--) this.step();
    this.inCall = false;
    this.inBranch = false;
    this.depth--;
    this.emit({ op: 'ret' });
    this.buf.bind(over);
    this.listing.push('over:');
  }

  /** A counted loop: `mov $n, C; L: body; sub $1, C; jne L` with C not written by the body. */
  loop(): void {
    const r = this.rng;
    // Not rax/rdx (mul, div, cmpxchg write them) nor rcx (shift counts).
    const c = r.pick(this.writable.filter((x) => x !== RAX && x !== RCX && x !== RDX));
    const size = r.pick([32, 64] as const);
    this.emit({ op: 'mov', size, dst: c, src: { imm: 1 + r.int(5) } });
    const head = this.buf.newLabel();
    this.buf.bind(head);
    this.listing.push('L:');
    this.reserved = c;
    this.inBranch = true;
    for (let n = 1 + r.int(4); n > 0; n--) this.step();
    this.inBranch = false;
    this.reserved = -1;
    this.emit({ op: 'sub', size, dst: c, src: { imm: 1 } });
    this.listing.push('jne L');
    emitBranch(this.buf, { op: 'jcc', cc: 5, rel: 0, width: r.pick([8, 32] as const) }, head);
    this.defined = ALL_FLAGS;
  }

  /** A forward jcc/jmp over a few instructions; flags defined after are those defined on both paths. */
  branch(): void {
    const r = this.rng;
    const ccs = [...Array(16).keys()].filter((cc) => (condFlags(cc) & ~this.defined) === 0);
    const label = this.buf.newLabel();
    const width = r.pick([8, 32] as const);
    if (ccs.length === 0 || r.int(5) === 0) {
      this.listing.push(`jmp L (rel${width})`);
      emitBranch(this.buf, { op: 'jmp', rel: 0, width }, label);
    } else {
      const cc = r.pick(ccs);
      this.listing.push(`jcc ${cc} L (rel${width})`);
      emitBranch(this.buf, { op: 'jcc', cc, rel: 0, width }, label);
    }
    const before = this.defined;
    this.inBranch = true;
    for (let n = 1 + r.int(4); n > 0; n--) this.step();
    this.inBranch = false;
    this.buf.bind(label);
    this.listing.push('L:');
    this.defined &= before;
  }
}

/** A random case of about `length` instructions; `bmi2` allows shlx/shrx/sarx. */
export function randomCase(rng: Rng, length: number, bmi2 = false): Case {
  const g = new Gen(rng, bmi2);
  g.emit({ op: 'nop' }); // rip-relative loads need some code before them
  for (let i = 0; i < 8; i++) g.emit({ op: 'nop' });
  for (let i = 0; i < length; i++) g.step();
  while (g.depth > 0) { g.emit({ op: 'pop', reg: g.wreg() }); g.depth--; }
  const regs = Array.from({ length: 16 }, () => rng.u64());
  regs[g.B] = BigInt(MEM_ADDR + 256);
  regs[g.I] = BigInt(rng.int(8));
  regs[RSP] = BigInt(STACK_START);
  const mem = new Uint8Array(MEM_SIZE);
  for (let i = 0; i < MEM_SIZE; i++) mem[i] = rng.int(256);
  const flags = 0x2 | (rng.next() & ALL_FLAGS);
  return { code: g.buf.finish(), regs, flags, mem, definedFlags: g.defined, listing: g.listing };
}
