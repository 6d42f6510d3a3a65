/**
 * @file An AArch64 emulator for the instruction subset this backend emits.
 *
 * It runs machine code, not records: each 32-bit word is decoded by
 * `decode.ts` (once, then cached by address) and executed with the
 * semantics of the Arm ARM (DDI 0487) pseudocode. State: X0–X30, SP, PC,
 * NZCV, an exclusive monitor for LDXR/STXR, and a count of executed
 * instructions. Data memory is the project's `Memory` (`src/abi/memory.ts`):
 * a data address is an address in that 32-bit linear memory, checked
 * against its regions (option `checkRegions`, on by default). No Node API is
 * used, so it runs in every JavaScript runtime.
 *
 * Address space seen by the code:
 *
 * ```
 *   0x0_0000_0000 .. 0x0_ffff_ffff   data: the linear Memory
 *   0x1_0000_0000 ..                 CODE_BASE: the code bytes (read/execute only)
 *   0x2_0000_0000 ..                 HOST_CALL_BASE: host functions, 4 bytes each
 *   0x3_0000_0000                    RETURN_ADDRESS: `call` puts it in X30
 * ```
 *
 * Host calls (the helper trampoline): branching (BL is out of range, so
 * BLR/BR) to `HOST_CALL_BASE + 4 * k` calls `hostFunctions[k]` with X0–X5
 * as arguments, puts its result in X0 and returns to X30, like a real call
 * to an AAPCS64 function. The emulator leaves every other register as it
 * was (a real callee may clobber X1–X17; code must not rely on either).
 * A host call does not count as an executed instruction. Reaching
 * `RETURN_ADDRESS` ends `call`, which returns X0.
 * BRK #imm calls `onBreak` when given, and otherwise stops with
 * ARM64_BREAKPOINT (the backend uses BRK for run-time check failures).
 */

import type { Memory } from '../abi/memory.js';
import { fail } from '../diag/diagnostic.js';
import { condHolds } from './cond.js';
import { decode } from './decode.js';
import type { Inst, Reg, Shift } from './insts.js';
import { accessBytes } from './insts.js';

/** Where the code bytes are mapped. */
export const CODE_BASE = 0x1_0000_0000;
/** Base of the host-function entry points (4 bytes each). */
export const HOST_CALL_BASE = 0x2_0000_0000;
/** The return address `call` passes in X30; reaching it ends the call. */
export const RETURN_ADDRESS = 0x3_0000_0000;

/** A host function reachable from the code: X0–X5 in, X0 out. */
export type HostFunction = (args: readonly bigint[], emu: Arm64Emulator) => bigint;

/** Options of an emulator. */
export interface Arm64EmulatorOptions {
  /** The code, little-endian 32-bit words, mapped at `CODE_BASE`. */
  readonly code: Uint8Array;
  /** The data memory. */
  readonly memory: Memory;
  /** Host functions by index (see the file comment). */
  readonly hostFunctions?: readonly HostFunction[];
  /** Check every access against the memory's regions (default true); off, only the memory's bounds are checked. */
  readonly checkRegions?: boolean;
  /** Stop with ARM64_STEP_LIMIT after this many instructions in one `run` (default 100 000 000). */
  readonly stepLimit?: number;
  /** Called on BRK #imm; without it BRK stops with ARM64_BREAKPOINT. */
  readonly onBreak?: (imm: number, emu: Arm64Emulator) => void;
}

const M64 = 0xffffffffffffffffn;
const M32 = 0xffffffffn;
const mask = (sf: boolean): bigint => (sf ? M64 : M32);
const width = (sf: boolean): bigint => (sf ? 64n : 32n);
const hex = (n: number | bigint): string => n.toString(16);

/** The emulated CPU. */
export class Arm64Emulator {
  /** X0–X30 in slots 0–30, SP in slot 31. Writes wrap to 64 bits. */
  readonly x = new BigUint64Array(32);
  /** Program counter (an absolute address). */
  pc = CODE_BASE;
  /** NZCV: N in bit 3, Z bit 2, C bit 1, V bit 0. */
  nzcv = 0;
  /** Instructions executed since construction (or since the caller reset it). */
  steps = 0;
  /** Code offset of the last instruction executed (where a branch out of the code came from). */
  private last = 0;
  /** The exclusive monitor: address and size of the last LDXR, or -1 when open. */
  private monitor = -1;
  private monitorSize = 0;
  private readonly words: Uint32Array;
  private readonly cache: (Inst | undefined | null)[];
  private readonly memory: Memory;
  private readonly hostFunctions: readonly HostFunction[];
  private readonly checkRegions: boolean;
  private readonly stepLimit: number;
  private readonly onBreak: ((imm: number, emu: Arm64Emulator) => void) | undefined;

  constructor(options: Arm64EmulatorOptions) {
    const code = options.code;
    this.words = new Uint32Array(code.length >> 2);
    const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
    for (let k = 0; k < this.words.length; k++) this.words[k] = view.getUint32(k * 4, true);
    this.cache = new Array<Inst | undefined | null>(this.words.length).fill(null);
    this.memory = options.memory;
    this.hostFunctions = options.hostFunctions ?? [];
    this.checkRegions = options.checkRegions ?? true;
    this.stepLimit = options.stepLimit ?? 100_000_000;
    this.onBreak = options.onBreak;
  }

  /** The stack pointer. */
  get sp(): bigint { return this.x[31]!; }
  set sp(v: bigint) { this.x[31] = v; }

  /**
   * Call the code at byte offset `entry` with `args` in X0.., X30 =
   * `RETURN_ADDRESS`, SP = `stackTop` (when given), and run until it
   * returns; the result is X0.
   */
  call(entry: number, args: readonly bigint[] = [], stackTop?: bigint): bigint {
    args.forEach((a, k) => { this.x[k] = a; });
    this.x[30] = BigInt(RETURN_ADDRESS);
    if (stackTop !== undefined) this.sp = stackTop;
    this.pc = CODE_BASE + entry;
    this.run();
    return this.x[0]!;
  }

  /** Run from `pc` until the PC reaches `RETURN_ADDRESS`. */
  run(): void {
    const limit = this.steps + this.stepLimit;
    while (this.pc !== RETURN_ADDRESS) {
      if (this.steps >= limit) fail('ARM64_STEP_LIMIT', { steps: this.stepLimit });
      this.step();
    }
  }

  /** Fetch (or take the host-call escape) and execute one instruction. */
  step(): void {
    const off = this.pc - CODE_BASE;
    if (off < 0 || off >= this.words.length * 4 || (off & 3) !== 0) {
      this.escape();
      return;
    }
    const index = off >>> 2;
    let inst = this.cache[index];
    if (inst === null) inst = this.cache[index] = decode(this.words[index]!);
    if (inst === undefined) fail('ARM64_UNDEFINED', { word: hex(this.words[index]!).padStart(8, '0'), pc: hex(off) });
    this.steps++;
    this.last = off;
    this.execute(inst, off);
  }

  /** A PC outside the code: a host call, or a fault. */
  private escape(): void {
    const k = (this.pc - HOST_CALL_BASE) / 4;
    if (Number.isInteger(k) && k >= 0 && k < 0x1000_0000) {
      const fn = this.hostFunctions[k];
      if (fn === undefined) fail('ARM64_NO_HOST_FUNCTION', { index: k, pc: hex(this.last) });
      const args = [this.x[0]!, this.x[1]!, this.x[2]!, this.x[3]!, this.x[4]!, this.x[5]!];
      this.x[0] = fn(args, this);
      this.pc = Number(this.x[30]!);
      return;
    }
    fail('ARM64_BAD_TARGET', { target: hex(this.pc), pc: hex(this.last) });
  }

  // -- registers -----------------------------------------------------------

  /** Read a register where 31 is the zero register, at the width. */
  private r(n: Reg, sf: boolean): bigint {
    if (n === 31) return 0n;
    return sf ? this.x[n]! : this.x[n]! & M32;
  }
  /** Read a register where 31 is SP. */
  private rsp(n: Reg, sf: boolean): bigint {
    return sf ? this.x[n]! : this.x[n]! & M32;
  }
  /** Write a register where 31 is the zero register; 32-bit writes zero the top half. */
  private w(n: Reg, v: bigint, sf: boolean): void {
    if (n !== 31) this.x[n] = sf ? v : v & M32;
  }
  /** Write a register where 31 is SP. */
  private wsp(n: Reg, v: bigint, sf: boolean): void {
    this.x[n] = sf ? v : v & M32;
  }

  // -- memory --------------------------------------------------------------

  /** Check an access and return its address as a number. */
  private address(a: bigint, size: number, store: boolean, off: number, aligned = false): number {
    const access = store ? 'store' : 'load';
    if (a > 0xffffffffn) fail('RUN_MEMORY_FAULT', { access, size, address: hex(a) });
    const n = Number(a);
    if (n + size > this.memory.bytes.length) fail('RUN_MEMORY_FAULT', { access, size, address: hex(a) });
    if (aligned && n % size !== 0) fail('ARM64_UNALIGNED', { access, size, address: hex(n), pc: hex(off) });
    if (this.checkRegions) {
      const region = this.memory.find(n, size);
      if (region === undefined) fail('RUN_MEMORY_FAULT', { access, size, address: hex(n) });
      if (store && !region.writable) fail('ARM64_READ_ONLY', { size, address: hex(n), region: region.name, pc: hex(off) });
    }
    return n;
  }
  private load(a: number, size: number): bigint {
    const v = this.memory.view;
    switch (size) {
      case 1: return BigInt(v.getUint8(a));
      case 2: return BigInt(v.getUint16(a, true));
      case 4: return BigInt(v.getUint32(a, true));
      default: return v.getBigUint64(a, true);
    }
  }
  private store(a: number, size: number, value: bigint): void {
    const v = this.memory.view;
    switch (size) {
      case 1: v.setUint8(a, Number(value & 0xffn)); break;
      case 2: v.setUint16(a, Number(value & 0xffffn), true); break;
      case 4: v.setUint32(a, Number(value & M32), true); break;
      default: v.setBigUint64(a, value & M64, true); break;
    }
  }

  // -- arithmetic ----------------------------------------------------------

  /** Arm ARM `AddWithCarry()`: the sum and NZCV. */
  private addWithCarry(a: bigint, b: bigint, carry: bigint, sf: boolean, setFlags: boolean): bigint {
    const m = mask(sf), bitsN = sf ? 64 : 32;
    const sum = a + b + carry;
    const result = sum & m;
    if (setFlags) {
      const signed = BigInt.asIntN(bitsN, a) + BigInt.asIntN(bitsN, b) + carry;
      const n = (result >> BigInt(bitsN - 1)) & 1n;
      this.nzcv = (Number(n) << 3) | ((result === 0n ? 1 : 0) << 2) | ((sum > m ? 1 : 0) << 1)
        | (BigInt.asIntN(bitsN, result) !== signed ? 1 : 0);
    }
    return result;
  }
  private setNZ(result: bigint, sf: boolean): void {
    const n = Number((result >> (width(sf) - 1n)) & 1n);
    this.nzcv = (n << 3) | ((result === 0n ? 1 : 0) << 2);
  }
  private shift(v: bigint, shift: Shift, amount: number, sf: boolean): bigint {
    if (amount === 0) return v;
    const m = mask(sf), a = BigInt(amount);
    switch (shift) {
      case 'lsl': return (v << a) & m;
      case 'lsr': return v >> a;
      case 'asr': return BigInt.asIntN(sf ? 64 : 32, v) >> a & m;
      case 'ror': return ((v >> a) | (v << (width(sf) - a))) & m;
    }
  }

  /** Execute one decoded instruction found at code offset `off`. */
  private execute(i: Inst, off: number): void {
    let next = this.pc + 4;
    switch (i.kind) {
      case 'addSubImm': {
        const sub = i.op === 'sub' || i.op === 'subs', s = i.op === 'adds' || i.op === 'subs';
        const imm = BigInt(i.imm12) << (i.lsl12 ? 12n : 0n);
        const a = this.rsp(i.rn, i.sf);
        const res = !s ? (sub ? a - imm : a + imm) & mask(i.sf)
          : sub ? this.addWithCarry(a, ~imm & mask(i.sf), 1n, i.sf, true) : this.addWithCarry(a, imm, 0n, i.sf, true);
        if (s) this.w(i.rd, res, i.sf); else this.wsp(i.rd, res, i.sf);
        break;
      }
      case 'addSubReg': {
        const sub = i.op === 'sub' || i.op === 'subs', s = i.op === 'adds' || i.op === 'subs';
        const b = this.shift(this.r(i.rm, i.sf), i.shift, i.amount, i.sf);
        const a = this.r(i.rn, i.sf);
        const res = !s ? (sub ? a - b : a + b) & mask(i.sf)
          : sub ? this.addWithCarry(a, ~b & mask(i.sf), 1n, i.sf, true) : this.addWithCarry(a, b, 0n, i.sf, true);
        this.w(i.rd, res, i.sf);
        break;
      }
      case 'logicalImm': {
        const a = this.r(i.rn, i.sf), b = i.imm & mask(i.sf);
        let res: bigint;
        switch (i.op) {
          case 'and': case 'ands': res = a & b; break;
          case 'orr': res = a | b; break;
          case 'eor': res = a ^ b; break;
        }
        if (i.op === 'ands') { this.setNZ(res, i.sf); this.w(i.rd, res, i.sf); } else this.wsp(i.rd, res, i.sf);
        break;
      }
      case 'logicalReg': {
        const a = this.r(i.rn, i.sf);
        let b = this.shift(this.r(i.rm, i.sf), i.shift, i.amount, i.sf);
        let res: bigint;
        switch (i.op) {
          case 'bic': case 'bics': b = ~b & mask(i.sf); res = a & b; break;
          case 'and': case 'ands': res = a & b; break;
          case 'orn': b = ~b & mask(i.sf); res = a | b; break;
          case 'orr': res = a | b; break;
          case 'eon': b = ~b & mask(i.sf); res = a ^ b; break;
          case 'eor': res = a ^ b; break;
        }
        if (i.op === 'ands' || i.op === 'bics') this.setNZ(res, i.sf);
        this.w(i.rd, res, i.sf);
        break;
      }
      case 'moveWide': {
        const sh = BigInt(16 * i.hw), imm = BigInt(i.imm16) << sh;
        switch (i.op) {
          case 'movz': this.w(i.rd, imm, i.sf); break;
          case 'movn': this.w(i.rd, ~imm & mask(i.sf), i.sf); break;
          case 'movk': this.w(i.rd, (this.r(i.rd, i.sf) & ~(0xffffn << sh)) | imm, i.sf); break;
        }
        break;
      }
      case 'bitfield': {
        // Equivalent to the Arm ARM SBFM/UBFM pseudocode with wmask/tmask.
        const W = i.sf ? 64 : 32, src = this.r(i.rn, i.sf);
        let field: bigint, len: number, pos: number;
        if (i.imms >= i.immr) { len = i.imms - i.immr + 1; field = (src >> BigInt(i.immr)) & ((1n << BigInt(len)) - 1n); pos = 0; } else {
          len = i.imms + 1; field = src & ((1n << BigInt(len)) - 1n); pos = W - i.immr;
        }
        let res = field << BigInt(pos);
        if (i.op === 'sbfm') res = BigInt.asIntN(pos + len, res);
        this.w(i.rd, res & mask(i.sf), i.sf);
        break;
      }
      case 'dp2': {
        const a = this.r(i.rn, i.sf), b = this.r(i.rm, i.sf), bitsN = i.sf ? 64 : 32;
        let res: bigint;
        switch (i.op) {
          case 'udiv': res = b === 0n ? 0n : a / b; break;
          case 'sdiv': res = b === 0n ? 0n : BigInt.asIntN(bitsN, a) / BigInt.asIntN(bitsN, b); break;
          case 'lslv': res = this.shift(a, 'lsl', Number(b % width(i.sf)), i.sf); break;
          case 'lsrv': res = this.shift(a, 'lsr', Number(b % width(i.sf)), i.sf); break;
          case 'asrv': res = this.shift(a, 'asr', Number(b % width(i.sf)), i.sf); break;
          case 'rorv': res = this.shift(a, 'ror', Number(b % width(i.sf)), i.sf); break;
        }
        this.w(i.rd, res & mask(i.sf), i.sf);
        break;
      }
      case 'dp1': {
        const a = this.r(i.rn, i.sf), bitsN = i.sf ? 64 : 32;
        let res = 0n;
        switch (i.op) {
          case 'rbit': for (let k = 0; k < bitsN; k++) if ((a >> BigInt(k)) & 1n) res |= 1n << BigInt(bitsN - 1 - k); break;
          case 'rev16': case 'rev32': case 'rev': {
            const container = i.op === 'rev16' ? 2 : i.op === 'rev32' ? 4 : bitsN / 8;
            for (let byte = 0; byte < bitsN / 8; byte++) {
              const base = byte - (byte % container), to = base + container - 1 - (byte % container);
              res |= ((a >> BigInt(8 * byte)) & 0xffn) << BigInt(8 * to);
            }
            break;
          }
          case 'clz': { let n = 0; while (n < bitsN && ((a >> BigInt(bitsN - 1 - n)) & 1n) === 0n) n++; res = BigInt(n); break; }
        }
        this.w(i.rd, res, i.sf);
        break;
      }
      case 'dp3': {
        const a = this.r(i.rn, i.sf), b = this.r(i.rm, i.sf);
        switch (i.op) {
          case 'madd': this.w(i.rd, (this.r(i.ra, i.sf) + a * b) & mask(i.sf), i.sf); break;
          case 'msub': this.w(i.rd, (this.r(i.ra, i.sf) - a * b) & mask(i.sf), i.sf); break;
          case 'umulh': this.w(i.rd, (a * b) >> 64n, true); break;
          case 'smulh': this.w(i.rd, ((BigInt.asIntN(64, a) * BigInt.asIntN(64, b)) >> 64n) & M64, true); break;
        }
        break;
      }
      case 'condSelect': {
        let res: bigint;
        if (condHolds(i.cond, this.nzcv)) res = this.r(i.rn, i.sf); else {
          const b = this.r(i.rm, i.sf), m = mask(i.sf);
          switch (i.op) {
            case 'csel': res = b; break;
            case 'csinc': res = (b + 1n) & m; break;
            case 'csinv': res = ~b & m; break;
            case 'csneg': res = -b & m; break;
          }
        }
        this.w(i.rd, res, i.sf);
        break;
      }
      case 'branchImm':
        if (i.link) this.x[30] = BigInt(this.pc + 4);
        next = this.pc + i.offset;
        break;
      case 'branchCond':
        if (condHolds(i.cond, this.nzcv)) next = this.pc + i.offset;
        break;
      case 'compareBranch':
        if ((this.r(i.rt, i.sf) !== 0n) === i.nonzero) next = this.pc + i.offset;
        break;
      case 'testBranch':
        if ((((this.r(i.rt, true) >> BigInt(i.bit)) & 1n) === 1n) === i.nonzero) next = this.pc + i.offset;
        break;
      case 'branchReg': {
        const target = this.r(i.rn, true);
        if (i.op === 'blr') this.x[30] = BigInt(this.pc + 4);
        next = target > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(target);
        break;
      }
      case 'loadStore': {
        const size = accessBytes(i.op, i.sf);
        const base = this.rsp(i.rn, true);
        const a = i.mode === 'post' ? base : (base + BigInt(i.offset)) & M64;
        this.transfer(i.op, i.sf, i.rt, this.address(a, size, i.op.startsWith('st'), off), size);
        if (i.mode === 'pre' || i.mode === 'post') this.wsp(i.rn, (base + BigInt(i.offset)) & M64, true);
        break;
      }
      case 'loadStoreReg': {
        const size = accessBytes(i.op, i.sf);
        let index = this.r(i.rm, true);
        if (i.extend === 'uxtw') index &= M32;
        else if (i.extend === 'sxtw') index = BigInt.asIntN(32, index);
        if (i.scaled) index <<= BigInt(Math.log2(size));
        const a = (this.rsp(i.rn, true) + index) & M64;
        this.transfer(i.op, i.sf, i.rt, this.address(a, size, i.op.startsWith('st'), off), size);
        break;
      }
      case 'loadStorePair': {
        const size = i.sf ? 8 : 4;
        const base = this.rsp(i.rn, true);
        const a = i.mode === 'post' ? base : (base + BigInt(i.offset)) & M64;
        const n1 = this.address(a, size, !i.load, off), n2 = this.address(a + BigInt(size), size, !i.load, off);
        if (i.load) {
          const v1 = this.load(n1, size), v2 = this.load(n2, size);
          this.w(i.rt, v1, i.sf); this.w(i.rt2, v2, i.sf);
        } else {
          this.store(n1, size, this.r(i.rt, i.sf)); this.store(n2, size, this.r(i.rt2, i.sf));
        }
        if (i.mode !== 'offset') this.wsp(i.rn, (base + BigInt(i.offset)) & M64, true);
        break;
      }
      case 'exclusive': {
        const load = i.op === 'ldxr' || i.op === 'ldaxr';
        const a = this.address(this.rsp(i.rn, true), i.size, !load, off, true);
        if (load) {
          this.w(i.rt, this.load(a, i.size), true);
          this.monitor = a; this.monitorSize = i.size;
        } else {
          const ok = this.monitor === a && this.monitorSize === i.size;
          if (ok) this.store(a, i.size, this.r(i.rt, true));
          this.w(i.rs, ok ? 0n : 1n, false);
          this.monitor = -1;
        }
        break;
      }
      case 'atomic': {
        const sf = i.size === 8;
        const a = this.address(this.rsp(i.rn, true), i.size, true, off, true);
        const old = this.load(a, i.size), s = this.r(i.rs, sf);
        let v: bigint;
        switch (i.op) {
          case 'ldadd': v = old + s; break;
          case 'ldclr': v = old & ~s; break;
          case 'ldeor': v = old ^ s; break;
          case 'ldset': v = old | s; break;
          case 'swp': v = s; break;
        }
        this.store(a, i.size, v & mask(sf));
        this.w(i.rt, old, sf);
        break;
      }
      case 'cas': {
        const sf = i.size === 8;
        const a = this.address(this.rsp(i.rn, true), i.size, true, off, true);
        const old = this.load(a, i.size);
        if (old === this.r(i.rs, sf)) this.store(a, i.size, this.r(i.rt, sf));
        this.w(i.rs, old, sf);
        break;
      }
      case 'nop': break;
      case 'brk':
        if (this.onBreak === undefined) fail('ARM64_BREAKPOINT', { imm: hex(i.imm16), pc: hex(off) });
        this.onBreak(i.imm16, this);
        break;
    }
    this.pc = next;
  }

  /** The register side of a single load or store. */
  private transfer(op: string, sf: boolean, rt: Reg, a: number, size: number): void {
    switch (op) {
      case 'strb': case 'strh': case 'str': this.store(a, size, this.r(rt, true)); return;
      case 'ldrb': case 'ldrh': case 'ldr': this.w(rt, this.load(a, size), true); return;
      case 'ldrsb': this.w(rt, BigInt.asIntN(8, this.load(a, 1)) & mask(sf), sf); return;
      case 'ldrsh': this.w(rt, BigInt.asIntN(16, this.load(a, 2)) & mask(sf), sf); return;
      case 'ldrsw': this.w(rt, BigInt.asIntN(32, this.load(a, 4)) & M64, true); return;
    }
  }
}
