/**
 * @file x86-64 encoder: machine-instruction records → bytes.
 *
 * Encoders are named after the "Op/En" column of the Intel SDM Vol. 2
 * instruction pages (MR, RM, MI, M, M1, MC, O, OI, I, D, ZO). Where two
 * encodings of the same instruction exist, this file picks the one `llvm-mc`
 * picks, so that the assembly text from `print.ts` assembles to the same bytes:
 * register-to-register ALU ops use the MR form, an immediate that fits in a
 * signed byte uses the imm8 form, an imm32 into rax/eax uses the short `I` form,
 * shifts by one use `D1 /digit`, `xchg` with rax uses `90+r`.
 *
 * Instruction layout (SDM Vol. 2 §2.1, Figure 2-1, with the REX prefix of §2.2.1):
 * ```
 *   [66] [F0] [REX 0100WRXB] opcode(1-3) [ModRM mod|reg|rm] [SIB ss|idx|base] [disp8/32] [imm]
 * ```
 * (llvm-mc puts the operand-size prefix 66 before LOCK F0; the CPU accepts any order.)
 */

import { assert, unreachable } from '../diag/errors.js';
import type { CodeBuffer, FixupKind, Label } from '../codegen/buffer.js';
import {
  ALU_OPS, SHIFT_OPS, UNARY_OPS, isImm, isMem, isReg,
  type Imm, type Inst, type RM, type Size,
} from './insts.js';
import { RAX, RSP, type Reg } from './regs.js';

/** Whether `v` fits a signed 8-bit field. */
export function fitsI8(v: number): boolean { return v >= -128 && v <= 127; }

/** Whether `v` fits a signed 32-bit field. */
export function fitsI32(v: number): boolean { return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff; }

/** Write `n` bytes of `v`, little-endian. */
function imm(out: number[], v: number, n: number): void {
  for (let i = 0; i < n; i++) out.push((n === 4 ? (v >>> (8 * i)) : (v >> (8 * i))) & 0xff);
}

/** Bytes of the immediate that follows a `size`-bit operation's `iz` field (imm16 or imm32). */
function izBytes(size: Size): number { return size === 8 ? 1 : size === 16 ? 2 : 4; }

/** Prefixes that depend on the operand size and lock: SDM §2.1.1 (66: operand-size override, F0: LOCK). */
function legacy(out: number[], size: Size, lock: boolean): void {
  if (size === 16) out.push(0x66);
  if (lock) out.push(0xf0);
}

/**
 * The REX prefix, SDM Vol. 2 §2.2.1.2: `0100WRXB`. `force` emits a bare 0x40
 * so that byte registers 4..7 mean spl/bpl/sil/dil rather than ah/ch/dh/bh
 * (§2.2.1.2, "Byte-register addressing").
 */
function rex(out: number[], w: boolean, r: number, x: number, b: number, force: boolean): void {
  const v = 0x40 | (w ? 8 : 0) | ((r >> 3) & 1) << 2 | ((x >> 3) & 1) << 1 | ((b >> 3) & 1);
  if (v !== 0x40 || force) out.push(v);
}

/** Whether a byte-sized register operand needs a REX prefix to be addressed. */
function byteNeedsRex(reg: Reg): boolean { return reg >= 4 && reg <= 7; }

/**
 * ModRM, SIB and displacement for `reg` (a register or /digit) and `rm`,
 * SDM Vol. 2 §2.1.5, Tables 2-2 and 2-3:
 * - mod=11 for a register; mod=00/01/10 for memory with no/disp8/disp32;
 * - rm=100 means a SIB byte follows (needed for base rsp/r12 and any index);
 * - mod=00 rm=101 means RIP-relative disp32, so base rbp/r13 with no
 *   displacement is encoded as mod=01 disp8=0;
 * - SIB.index=100 without REX.X means no index (rsp cannot be an index).
 */
function modrm(out: number[], reg: number, rm: RM): void {
  if (isReg(rm)) { out.push(0xc0 | (reg & 7) << 3 | (rm & 7)); return; }
  const m = rm;
  assert(fitsI32(m.disp), `displacement ${m.disp} does not fit in 32 bits`);
  if (m.base === 'rip') {
    assert(m.index === undefined, 'rip-relative addressing takes no index');
    out.push((reg & 7) << 3 | 5);
    imm(out, m.disp, 4);
    return;
  }
  const base = m.base;
  const needDisp = (base & 7) === 5;
  const mod = m.disp === 0 && !needDisp ? 0 : fitsI8(m.disp) ? 1 : 2;
  if (m.index === undefined && (base & 7) !== 4) {
    out.push(mod << 6 | (reg & 7) << 3 | (base & 7));
  } else {
    const index = m.index ?? RSP;
    assert(m.index !== RSP, 'rsp cannot be an index register');
    const ss = { 1: 0, 2: 1, 4: 2, 8: 3 }[m.scale ?? 1];
    out.push(mod << 6 | (reg & 7) << 3 | 4);
    out.push(ss << 6 | (index & 7) << 3 | (base & 7));
  }
  if (mod === 1) imm(out, m.disp, 1);
  else if (mod === 2) imm(out, m.disp, 4);
}

/** The REX.X and REX.B sources of an r/m operand. */
function rmBits(rm: RM): { x: number; b: number } {
  if (isReg(rm)) return { x: 0, b: rm };
  return { x: rm.index ?? 0, b: rm.base === 'rip' ? 0 : rm.base };
}

/** Options of the ModRM-based forms. */
interface Form {
  /** Operand size; 64 sets REX.W unless `noW`, 16 adds the 66 prefix. */
  readonly size: Size;
  readonly lock?: boolean;
  /** Default-64-bit instructions (push, pop, jmp/call indirect) take no REX.W. */
  readonly noW?: boolean;
  /** Registers used as byte operands (need REX when 4..7). */
  readonly byteRegs?: readonly Reg[];
}

/** Prefixes, REX, opcode and ModRM for any ModRM form: the shared core of MR, RM, MI, M. */
function withModrm(out: number[], f: Form, opcode: readonly number[], reg: number, rm: RM): void {
  legacy(out, f.size, f.lock === true);
  const { x, b } = rmBits(rm);
  const force = (f.byteRegs ?? []).some(byteNeedsRex);
  rex(out, f.size === 64 && f.noW !== true, reg, x, b, force);
  out.push(...opcode);
  modrm(out, reg, rm);
}

/** Op/En MR: `op r/m, reg` (ModRM.rm = destination, ModRM.reg = source). */
export function opMR(out: number[], f: Form, opcode: readonly number[], rm: RM, reg: Reg): void {
  withModrm(out, f, opcode, reg, rm);
}

/** Op/En RM: `op reg, r/m` (ModRM.reg = destination, ModRM.rm = source). */
export function opRM(out: number[], f: Form, opcode: readonly number[], reg: Reg, rm: RM): void {
  withModrm(out, f, opcode, reg, rm);
}

/** Op/En M: `op r/m` with an opcode extension `/digit` in ModRM.reg. */
export function opM(out: number[], f: Form, opcode: readonly number[], digit: number, rm: RM): void {
  withModrm(out, f, opcode, digit, rm);
}

/** Op/En MI: `op r/m, imm` with `/digit`, then an immediate of `n` bytes. */
export function opMI(out: number[], f: Form, opcode: readonly number[], digit: number, rm: RM, value: number, n: number): void {
  withModrm(out, f, opcode, digit, rm);
  imm(out, value, n);
}

/** Op/En O: `op+rd` (register in the opcode's low three bits, REX.B for r8..r15). */
export function opO(out: number[], f: Form, opcode: number, reg: Reg): void {
  legacy(out, f.size, false);
  rex(out, f.size === 64 && f.noW !== true, 0, 0, reg, (f.byteRegs ?? []).some(byteNeedsRex));
  out.push(opcode + (reg & 7));
}

/** Op/En OI: `op+rd imm` (mov r, imm; movabs). */
export function opOI(out: number[], f: Form, opcode: number, reg: Reg, value: bigint, n: number): void {
  opO(out, f, opcode, reg);
  const u = BigInt.asUintN(64, value);
  for (let i = 0; i < n; i++) out.push(Number((u >> BigInt(8 * i)) & 0xffn));
}

/** Op/En I: the accumulator short form `op al/ax/eax/rax, imm`. */
export function opI(out: number[], size: Size, opcode: number, value: number): void {
  legacy(out, size, false);
  rex(out, size === 64, 0, 0, 0, false);
  out.push(opcode);
  imm(out, value, izBytes(size));
}

/** VEX `pp` field of the BMI2 shifts: the legacy prefix it stands for (66, F3, F2). */
export const BMI2_PP = { shlx: 1, sarx: 2, shrx: 3 } as const;

/**
 * Op/En RMV with a three-byte VEX prefix (SDM Vol. 2 §2.3.5, Figure 2-9):
 * ```
 *   C4 | R̄ X̄ B̄ m-mmmm | W v̄v̄v̄v̄ L pp | opcode | ModRM ...
 * ```
 * `map` 2 is the 0F38 opcode map; `vvvv` names the extra register, inverted.
 */
export function opVexRMV(out: number[], w: boolean, pp: number, map: number, opcode: number, reg: Reg, rm: RM, vvvv: Reg): void {
  const { x, b } = rmBits(rm);
  out.push(0xc4);
  out.push((((reg >> 3) & 1) ^ 1) << 7 | (((x >> 3) & 1) ^ 1) << 6 | (((b >> 3) & 1) ^ 1) << 5 | map);
  out.push((w ? 0x80 : 0) | ((~vvvv & 15) << 3) | pp);
  out.push(opcode);
  modrm(out, reg, rm);
}

/** Op/En D: relative branch, opcode then rel8/rel32 counted from the end of the instruction. */
export function opD(out: number[], opcode: readonly number[], rel: number, width: 8 | 32): void {
  out.push(...opcode);
  if (width === 8) { assert(fitsI8(rel), `rel8 ${rel} out of range`); imm(out, rel, 1); }
  else { assert(fitsI32(rel), `rel32 ${rel} out of range`); imm(out, rel, 4); }
}

/** Opcode of a byte (`b`) or wider (`v`) operation. */
function bv(size: Size, b: number, v: number): number { return size === 8 ? b : v; }

/** Registers of an r/m operand that are byte registers when `size` is 8. */
function bytes(size: Size, ...ops: (RM | Imm)[]): Reg[] {
  return size === 8 ? ops.filter(isReg) : [];
}

/** Check an immediate fits its field for `size`. */
function checkImm(size: Size, v: number): void {
  const ok = size === 8 ? v >= -128 && v <= 255 : size === 16 ? v >= -32768 && v <= 65535 : fitsI32(v);
  assert(Number.isInteger(v) && ok, `immediate ${v} does not fit a ${size}-bit instruction`);
}

/**
 * An immediate as the signed value of its field: a 16-bit 0xffff is -1, and
 * so fits imm8 (llvm-mc takes the short form for it too).
 */
function signed(size: Size, v: number): number {
  return size === 8 ? (v << 24) >> 24 : size === 16 ? (v << 16) >> 16 : v;
}

/** ALU r/m, imm: SDM "ADD" etc.: 80 /n ib, 83 /n ib (imm8 sign-extended), 81 /n iz, or the I form `04+8n`/`05+8n`. */
function aluImm(out: number[], n: number, size: Size, dst: RM, v: number, lock: boolean): void {
  checkImm(size, v);
  v = signed(size, v);
  const f: Form = { size, lock, byteRegs: bytes(size, dst) };
  if (size === 8) {
    if (dst === RAX && !lock) { legacy(out, size, false); out.push(n * 8 + 4); imm(out, v, 1); }
    else opMI(out, f, [0x80], n, dst, v, 1);
  } else if (fitsI8(v)) opMI(out, f, [0x83], n, dst, v, 1);
  else if (dst === RAX && !lock) opI(out, size, n * 8 + 5, v);
  else opMI(out, f, [0x81], n, dst, v, izBytes(size));
}

/** Encode one instruction, appending its bytes to `out`. */
export function encodeInto(out: number[], inst: Inst): void {
  switch (inst.op) {
    case 'mov': {
      const { size, dst, src } = inst;
      if (isImm(src)) {
        checkImm(size, src.imm);
        // SDM "MOV": B0+rb ib / B8+rw iw / B8+rd id (OI) for 8/16/32-bit registers;
        // REX.W C7 /0 id (MI, imm32 sign-extended) for 64-bit; C6/C7 /0 to memory.
        if (isReg(dst) && size !== 64) {
          opOI(out, { size, byteRegs: bytes(size, dst) }, bv(size, 0xb0, 0xb8), dst, BigInt(src.imm), izBytes(size));
        } else {
          opMI(out, { size, byteRegs: bytes(size, dst) }, [bv(size, 0xc6, 0xc7)], 0, dst, src.imm, izBytes(size));
        }
      } else if (isReg(src)) {
        // SDM "MOV": 88 /r, 89 /r (MR), also for register to register.
        opMR(out, { size, byteRegs: bytes(size, dst, src) }, [bv(size, 0x88, 0x89)], dst, src);
      } else {
        assert(isReg(dst), 'mov cannot move memory to memory');
        // SDM "MOV": 8A /r, 8B /r (RM).
        opRM(out, { size, byteRegs: bytes(size, dst) }, [bv(size, 0x8a, 0x8b)], dst, src);
      }
      return;
    }
    case 'movabs':
      // SDM "MOV": REX.W B8+rd io (OI).
      opOI(out, { size: 64 }, 0xb8, inst.dst, inst.imm, 8);
      return;
    case 'movzx':
    case 'movsx': {
      const { size, from, dst, src } = inst;
      assert(from < size, `${inst.op} from ${from} to ${size} bits`);
      const byteRegs = from === 8 && isReg(src) ? [src] : [];
      if (from === 32) {
        // SDM "MOVSX/MOVSXD": REX.W 63 /r (RM).
        assert(inst.op === 'movsx' && size === 64, 'only movsx extends from 32 bits');
        opRM(out, { size }, [0x63], dst, src);
      } else {
        // SDM "MOVZX": 0F B6 /r, 0F B7 /r; "MOVSX": 0F BE /r, 0F BF /r (RM).
        const base = inst.op === 'movzx' ? 0xb6 : 0xbe;
        opRM(out, { size, byteRegs }, [0x0f, base + (from === 16 ? 1 : 0)], dst, src);
      }
      return;
    }
    case 'lea':
      // SDM "LEA": 8D /r (RM).
      opRM(out, { size: inst.size }, [0x8d], inst.dst, inst.src);
      return;
    case 'add': case 'or': case 'adc': case 'sbb': case 'and': case 'sub': case 'xor': case 'cmp': {
      const { size, dst, src } = inst;
      const n = ALU_OPS.indexOf(inst.op);
      const lock = inst.lock === true;
      assert(!lock || isMem(dst), 'lock needs a memory destination');
      if (isImm(src)) aluImm(out, n, size, dst, src.imm, lock);
      // SDM "ADD": 00 /r, 01 /r (MR) — llvm-mc's choice for register pairs too.
      else if (isReg(src)) opMR(out, { size, lock, byteRegs: bytes(size, dst, src) }, [n * 8 + bv(size, 0, 1)], dst, src);
      else {
        assert(isReg(dst), `${inst.op} cannot take two memory operands`);
        // SDM "ADD": 02 /r, 03 /r (RM).
        opRM(out, { size, byteRegs: bytes(size, dst) }, [n * 8 + bv(size, 2, 3)], dst, src);
      }
      return;
    }
    case 'test': {
      const { size, dst, src } = inst;
      if (isImm(src)) {
        checkImm(size, src.imm);
        // SDM "TEST": A8 ib / A9 iz (I) for the accumulator, F6 /0 ib / F7 /0 iz (MI).
        if (dst === RAX) opI(out, size, bv(size, 0xa8, 0xa9), src.imm);
        else opMI(out, { size, byteRegs: bytes(size, dst) }, [bv(size, 0xf6, 0xf7)], 0, dst, src.imm, izBytes(size));
      } else {
        // SDM "TEST": 84 /r, 85 /r (MR).
        opMR(out, { size, byteRegs: bytes(size, dst, src) }, [bv(size, 0x84, 0x85)], dst, src);
      }
      return;
    }
    case 'imul': {
      const { size, dst, src } = inst;
      if (inst.imm === undefined) {
        // SDM "IMUL": 0F AF /r (RM).
        opRM(out, { size }, [0x0f, 0xaf], dst, src);
      } else {
        checkImm(size, inst.imm);
        // SDM "IMUL": 6B /r ib (RMI, imm8 sign-extended), 69 /r iz.
        const short = fitsI8(signed(size, inst.imm));
        opRM(out, { size }, [short ? 0x6b : 0x69], dst, src);
        imm(out, inst.imm, short ? 1 : izBytes(size));
      }
      return;
    }
    case 'not': case 'neg': case 'mul': case 'div': case 'idiv':
      // SDM "NOT", "NEG", "MUL", "DIV", "IDIV": F6 /digit, F7 /digit (M).
      opM(out, { size: inst.size, byteRegs: bytes(inst.size, inst.dst) }, [bv(inst.size, 0xf6, 0xf7)], UNARY_OPS[inst.op], inst.dst);
      return;
    case 'rol': case 'ror': case 'shl': case 'shr': case 'sar': {
      const { size, dst, count } = inst;
      const f: Form = { size, byteRegs: bytes(size, dst) };
      const digit = SHIFT_OPS[inst.op];
      // SDM "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR": D0/D1 /digit (M1), D2/D3 /digit (MC), C0/C1 /digit ib (MI).
      if (count === 'cl') opM(out, f, [bv(size, 0xd2, 0xd3)], digit, dst);
      else if (count === 1) opM(out, f, [bv(size, 0xd0, 0xd1)], digit, dst);
      else {
        assert(Number.isInteger(count) && count >= 0 && count <= 255, `shift count ${count}`);
        opMI(out, f, [bv(size, 0xc0, 0xc1)], digit, dst, count, 1);
      }
      return;
    }
    case 'shlx': case 'shrx': case 'sarx':
      // SDM "SARX/SHLX/SHRX": VEX.LZ.{F3,66,F2}.0F38.W0/W1 F7 /r (RMV).
      opVexRMV(out, inst.size === 64, BMI2_PP[inst.op], 2, 0xf7, inst.dst, inst.src, inst.count);
      return;
    case 'bswap':
      // SDM "BSWAP": 0F C8+rd (O), REX.W for 64 bits.
      legacy(out, inst.size, false);
      rex(out, inst.size === 64, 0, 0, inst.dst, false);
      out.push(0x0f, 0xc8 + (inst.dst & 7));
      return;
    case 'xchg': {
      const { size, dst, src } = inst;
      // SDM "XCHG": 90+r (O) when one operand is the accumulator (not eax,eax:
      // 90 is NOP and would not zero-extend), else 86 /r, 87 /r (MR).
      if (size === 64 && dst === RAX && src === RAX) {
        out.push(0x90); // A no-op either way; llvm-mc emits the plain NOP byte.
      } else if (size !== 8 && isReg(dst) && (dst === RAX || src === RAX) && !(size === 32 && dst === RAX && src === RAX)) {
        opO(out, { size }, 0x90, dst === RAX ? src : dst);
      } else {
        assert(inst.lock !== true || isMem(dst), 'lock needs a memory destination');
        opMR(out, { size, lock: inst.lock === true, byteRegs: bytes(size, dst, src) }, [bv(size, 0x86, 0x87)], dst, src);
      }
      return;
    }
    case 'xadd':
    case 'cmpxchg': {
      const { size, dst, src } = inst;
      // SDM "XADD": 0F C0 /r, 0F C1 /r; "CMPXCHG": 0F B0 /r, 0F B1 /r (MR).
      const op = inst.op === 'xadd' ? 0xc0 : 0xb0;
      opMR(out, { size, lock: inst.lock === true, byteRegs: bytes(size, dst, src) }, [0x0f, op + bv(size, 0, 1)], dst, src);
      return;
    }
    case 'setcc':
      // SDM "SETcc": 0F 90+cc /0 (M), a byte destination.
      opM(out, { size: 8, byteRegs: bytes(8, inst.dst) }, [0x0f, 0x90 + inst.cc], 0, inst.dst);
      return;
    case 'cmovcc':
      // SDM "CMOVcc": 0F 40+cc /r (RM).
      opRM(out, { size: inst.size }, [0x0f, 0x40 + inst.cc], inst.dst, inst.src);
      return;
    case 'jcc':
      // SDM "Jcc": 70+cc cb, 0F 80+cc cd (D).
      opD(out, inst.width === 8 ? [0x70 + inst.cc] : [0x0f, 0x80 + inst.cc], inst.rel, inst.width);
      return;
    case 'jmp':
      // SDM "JMP": EB cb, E9 cd (D).
      opD(out, [inst.width === 8 ? 0xeb : 0xe9], inst.rel, inst.width);
      return;
    case 'call':
      // SDM "CALL": E8 cd (D).
      opD(out, [0xe8], inst.rel, 32);
      return;
    case 'jmp-indirect':
    case 'call-indirect':
      // SDM "JMP": FF /4; "CALL": FF /2 (M), 64-bit by default.
      opM(out, { size: 64, noW: true }, [0xff], inst.op === 'jmp-indirect' ? 4 : 2, inst.target);
      return;
    case 'push':
    case 'pop':
      // SDM "PUSH": 50+rd; "POP": 58+rd (O), 64-bit by default.
      opO(out, { size: 64, noW: true }, inst.op === 'push' ? 0x50 : 0x58, inst.reg);
      return;
    case 'cqo':
      // SDM "CWD/CDQ/CQO": 99, REX.W 99 (ZO).
      rex(out, inst.size === 64, 0, 0, 0, false);
      out.push(0x99);
      return;
    case 'ret': out.push(0xc3); return; // SDM "RET": C3 (ZO).
    case 'nop': out.push(0x90); return; // SDM "NOP": 90 (ZO).
    case 'ud2': out.push(0x0f, 0x0b); return; // SDM "UD": 0F 0B (ZO).
    case 'int3': out.push(0xcc); return; // SDM "INT n/INTO/INT3/INT1": CC (ZO).
    case 'leave': out.push(0xc9); return; // SDM "LEAVE": C9 (ZO).
    case 'endbr64': out.push(0xf3, 0x0f, 0x1e, 0xfa); return; // SDM "ENDBR64": F3 0F 1E FA (ZO).
    default: unreachable(inst, 'x86 instruction');
  }
}

/** Encode one instruction. */
export function encodeInst(inst: Inst): Uint8Array {
  const out: number[] = [];
  encodeInto(out, inst);
  return Uint8Array.from(out);
}

/** Encode a sequence of instructions back to back. */
export function encodeInsts(insts: readonly Inst[]): Uint8Array {
  const out: number[] = [];
  for (const inst of insts) encodeInto(out, inst);
  return Uint8Array.from(out);
}

/** Append one instruction to a code buffer. */
export function emitInst(buf: CodeBuffer, inst: Inst): void {
  const out: number[] = [];
  encodeInto(out, inst);
  buf.emitBytes(out);
}

/** rel8 fixup: `at` is the offset of the 1-byte field, counted from the byte after it. */
export const REL8: FixupKind = {
  name: 'rel8',
  patch(code, at, target) {
    const rel = target - (at + 1);
    if (!fitsI8(rel)) return false;
    code[at] = rel & 0xff;
    return true;
  },
};

/** rel32 fixup: `at` is the offset of the 4-byte field, counted from the byte after it. */
export const REL32: FixupKind = {
  name: 'rel32',
  patch(code, at, target) {
    const rel = target - (at + 4);
    if (!fitsI32(rel)) return false;
    for (let i = 0; i < 4; i++) code[at + i] = (rel >>> (8 * i)) & 0xff;
    return true;
  },
};

/**
 * Append a branch (`jcc`, `jmp` or `call`) to `label`; its `rel` is filled
 * in by `buf.finish()`. Backward branches to bound labels may use width 8
 * when they fit; forward ones must be sure of the distance or use 32.
 */
export function emitBranch(buf: CodeBuffer, inst: Inst & { op: 'jcc' | 'jmp' | 'call' }, label: Label): void {
  emitInst(buf, { ...inst, rel: 0 });
  const width = inst.op === 'call' ? 32 : inst.width;
  buf.fixup(width === 8 ? REL8 : REL32, buf.offset - width / 8, label);
}
