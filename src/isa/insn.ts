/**
 * @file The decoded instruction record, `decode` and `encode`.
 *
 * Decoding normalises the wire format once: each instruction names its row of
 * the opcode table in `op`, and the 64-bit immediate load becomes a single
 * record carrying both halves. Decoding never throws: a slot that matches no
 * row decodes with `op === INVALID` and keeps its raw fields, so that
 * `encode(decode(bytes))` gives back exactly the same bytes, and `validate`
 * reports it with a location.
 */

import { OPCODES, ROWS_BY_CODE, type OpcodeRow } from './opcodes.js';

/** `op` of a slot that matches no row of the opcode table. */
export const INVALID = -1;

/** Per-instruction extras that come from the object file, not from the bytes. */
export interface InsnMeta {
  /** Symbol a relocation at this instruction refers to (map, global, function). */
  readonly symbol?: string;
}

/** A decoded instruction. Field values are exactly those of the wire format. */
export interface Insn {
  /** Row index in `OPCODES`, or `INVALID`. */
  readonly op: number;
  /** Raw opcode byte. */
  readonly code: number;
  /** Destination register field (0..15 on the wire). */
  readonly dst: number;
  /** Source register field (0..15 on the wire). */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate (for `lddw`: the low half as stored in slot 0). */
  readonly imm: number;
  /** `lddw` only: the second slot's immediate (high 32 bits), signed. */
  readonly imm2?: number;
  /** Index of the instruction's first 8-byte slot in its program. */
  readonly pc: number;
  readonly meta?: InsnMeta;
}

/** Number of 8-byte slots an instruction occupies (2 for `lddw`, else 1). */
export function slots(insn: Insn): 1 | 2 {
  return insn.imm2 !== undefined ? 2 : 1;
}

/** The opcode-table row of a valid instruction. */
export function rowOf(insn: Insn): OpcodeRow | undefined {
  return insn.op === INVALID ? undefined : OPCODES[insn.op];
}

/** The 64-bit immediate of an `lddw`, as an unsigned BigInt (the low half otherwise, sign-extended). */
export function imm64(insn: Insn): bigint {
  if (insn.imm2 === undefined) return BigInt.asUintN(64, BigInt(insn.imm));
  return (BigInt(insn.imm2 >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}

/** The row index that matches these fields, or INVALID. */
export function classify(code: number, src: number, off: number, imm: number): number {
  const candidates = ROWS_BY_CODE[code & 0xff]!;
  for (const op of candidates) {
    const m = OPCODES[op]!.match;
    if (m === undefined) return op;
    const value = m.field === 'off' ? off : m.field === 'imm' ? imm : src;
    if (value === m.value) return op;
  }
  return INVALID;
}

const LDDW_CODE = 0x18;

/**
 * Decode a program's bytes. A trailing partial slot is ignored here; check
 * `bytes.length % 8` with `validate` to report it.
 *
 * Big-endian objects (`-target bpfeb`) store `off` and `imm` big-endian and
 * swap the register nibbles (dst in the high nibble); `order` selects that.
 */
export function decode(bytes: Uint8Array, order: 'little' | 'big' = 'little'): Insn[] {
  if (order === 'big') return decode(toLittle(bytes));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.floor(bytes.length / 8);
  const insns: Insn[] = [];
  for (let pc = 0; pc < count; pc++) {
    const at = pc * 8;
    const code = view.getUint8(at);
    const regs = view.getUint8(at + 1);
    const dst = regs & 0x0f;
    const src = regs >> 4;
    const off = view.getInt16(at + 2, true);
    const imm = view.getInt32(at + 4, true);
    if (code === LDDW_CODE && pc + 1 < count && secondHalfOk(view, at + 8)) {
      const op = classify(code, src, off, imm);
      insns.push({ op, code, dst, src, off, imm, imm2: view.getInt32(at + 12, true), pc });
      pc++;
      continue;
    }
    const op = code === LDDW_CODE ? INVALID : classify(code, src, off, imm);
    insns.push({ op, code, dst, src, off, imm, pc });
  }
  return insns;
}

/** A copy of big-endian instruction bytes in little-endian layout. */
export function toLittle(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - (bytes.length % 8));
  for (let at = 0; at < out.length; at += 8) {
    out[at] = bytes[at]!;
    const regs = bytes[at + 1]!;
    out[at + 1] = ((regs & 0x0f) << 4) | (regs >> 4);
    out[at + 2] = bytes[at + 3]!; out[at + 3] = bytes[at + 2]!;
    out[at + 4] = bytes[at + 7]!; out[at + 5] = bytes[at + 6]!;
    out[at + 6] = bytes[at + 5]!; out[at + 7] = bytes[at + 4]!;
  }
  return out;
}

function secondHalfOk(view: DataView, at: number): boolean {
  return view.getUint8(at) === 0 && view.getUint8(at + 1) === 0 && view.getInt16(at + 2, true) === 0;
}

/** Encode instructions back to bytes (the inverse of `decode`). */
export function encode(insns: readonly Insn[]): Uint8Array {
  let total = 0;
  for (const insn of insns) total += slots(insn);
  const out = new Uint8Array(total * 8);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const insn of insns) {
    view.setUint8(at, insn.code);
    view.setUint8(at + 1, ((insn.src & 0x0f) << 4) | (insn.dst & 0x0f));
    view.setInt16(at + 2, insn.off, true);
    view.setInt32(at + 4, insn.imm, true);
    at += 8;
    if (insn.imm2 !== undefined) {
      view.setInt32(at + 4, insn.imm2, true);
      at += 8;
    }
  }
  return out;
}

/** Operand fields for `make`; absent ones are zero (or the row's `match` value). */
export interface Operands {
  readonly dst?: number;
  readonly src?: number;
  readonly off?: number;
  readonly imm?: number;
  /** `lddw` only: the full 64-bit immediate (its low half goes to `imm`). */
  readonly imm64?: bigint;
  readonly pc?: number;
}

/** Build an instruction from its row and operands: the single way to make an `Insn` in code. */
export function make(op: number, operands: Operands = {}): Insn {
  const row = OPCODES[op];
  if (row === undefined) throw new Error(`internal error: no opcode row ${op}`);
  let { dst = 0, src = 0, off = 0, imm = 0 } = operands;
  if (row.match !== undefined) {
    if (row.match.field === 'off') off = row.match.value;
    else if (row.match.field === 'imm') imm = row.match.value;
    else src = row.match.value;
  }
  const pc = operands.pc ?? 0;
  if (row.kind === 'lddw') {
    const v = BigInt.asUintN(64, operands.imm64 ?? BigInt(imm));
    return {
      op, code: row.code, dst, src, off,
      imm: Number(BigInt.asIntN(32, v & 0xffffffffn)),
      imm2: Number(BigInt.asIntN(32, v >> 32n)),
      pc,
    };
  }
  return { op, code: row.code, dst, src, off, imm, pc };
}

/** Copy of an instruction with some fields replaced (keeps `op` consistent by re-classifying). */
export function withFields(insn: Insn, fields: Partial<Pick<Insn, 'dst' | 'src' | 'off' | 'imm' | 'imm2' | 'pc' | 'meta'>>): Insn {
  const next = { ...insn, ...fields };
  const op = next.code === LDDW_CODE && next.imm2 === undefined ? INVALID : classify(next.code, next.src, next.off, next.imm);
  return { ...next, op };
}
