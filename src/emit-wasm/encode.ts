/**
 * @file WebAssembly instruction opcodes and the function-body writer.
 *
 * Opcode bytes are those of the WebAssembly Core Specification §5.4
 * ("Instructions"), with the sign-extension operators (§5.4.5, 0xC0–0xC4)
 * that every engine this project targets supports. `Code` appends encoded
 * instructions to a byte array; it knows nothing about eBPF.
 */

import { writeSleb, writeUleb } from '../util/leb128.js';

/** Value types (§5.3.1). */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c } as const;
/** A value type byte. */
export type ValType = (typeof ValType)[keyof typeof ValType];

/** The empty block type (§5.3.6). */
export const BLOCK_VOID = 0x40;

/** Single-byte opcodes, named as in the text format with `.` replaced by `_`. */
export const W = {
  unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10, call_indirect: 0x11,
  drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29,
  i32_load8_s: 0x2c, i32_load8_u: 0x2d, i32_load16_s: 0x2e, i32_load16_u: 0x2f,
  i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33,
  i64_load32_s: 0x34, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b,
  i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  memory_size: 0x3f, memory_grow: 0x40,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a,
  i32_gt_u: 0x4b, i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55,
  i64_gt_u: 0x56, i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_clz: 0x67, i32_ctz: 0x68, i32_popcnt: 0x69, i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c,
  i32_div_s: 0x6d, i32_div_u: 0x6e, i32_rem_s: 0x6f, i32_rem_u: 0x70, i32_and: 0x71,
  i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76,
  i32_rotl: 0x77, i32_rotr: 0x78,
  i64_clz: 0x79, i64_ctz: 0x7a, i64_popcnt: 0x7b, i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e,
  i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82, i64_and: 0x83,
  i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88,
  i64_rotl: 0x89, i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  f64_convert_i64_s: 0xb9, f64_convert_i64_u: 0xba,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1,
  i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

/** A single-byte opcode. */
export type WOp = (typeof W)[keyof typeof W];

/** Natural alignment (log2 of the access width) of each load/store opcode. */
export const NATURAL_ALIGN: Readonly<Record<number, number>> = {
  [W.i32_load]: 2, [W.i64_load]: 3,
  [W.i32_load8_s]: 0, [W.i32_load8_u]: 0, [W.i32_load16_s]: 1, [W.i32_load16_u]: 1,
  [W.i64_load8_s]: 0, [W.i64_load8_u]: 0, [W.i64_load16_s]: 1, [W.i64_load16_u]: 1,
  [W.i64_load32_s]: 2, [W.i64_load32_u]: 2,
  [W.i32_store]: 2, [W.i64_store]: 3, [W.i32_store8]: 0, [W.i32_store16]: 1,
  [W.i64_store8]: 0, [W.i64_store16]: 1, [W.i64_store32]: 2,
};

/**
 * A function body being written: instructions are appended in order, with
 * their immediates LEB128-encoded. Structured-control depth is tracked so
 * that an unbalanced `end` is caught as an internal error.
 */
export class Code {
  /** The encoded instructions so far. */
  readonly bytes: number[] = [];
  /** Open `block`/`loop`/`if` constructs. */
  depth = 0;

  /** Append a single-byte instruction. */
  op(opcode: WOp): this { this.bytes.push(opcode); return this; }
  /** Append raw bytes (already encoded). */
  raw(bytes: readonly number[]): this { for (const b of bytes) this.bytes.push(b); return this; }
  /** `i32.const`. */
  i32Const(value: number): this { this.bytes.push(W.i32_const); writeSleb(this.bytes, value | 0); return this; }
  /** `i64.const` of a 64-bit pattern (taken modulo 2^64). */
  i64Const(value: bigint | number): this {
    this.bytes.push(W.i64_const);
    writeSleb(this.bytes, BigInt.asIntN(64, BigInt(value)));
    return this;
  }
  /** `local.get`. */
  localGet(index: number): this { return this.withIndex(W.local_get, index); }
  /** `local.set`. */
  localSet(index: number): this { return this.withIndex(W.local_set, index); }
  /** `local.tee`. */
  localTee(index: number): this { return this.withIndex(W.local_tee, index); }
  /** `global.get`. */
  globalGet(index: number): this { return this.withIndex(W.global_get, index); }
  /** `global.set`. */
  globalSet(index: number): this { return this.withIndex(W.global_set, index); }
  /** `call`. */
  call(func: number): this { return this.withIndex(W.call, func); }
  /** `call_indirect` through `table` with signature `type`. */
  callIndirect(type: number, table = 0): this {
    this.bytes.push(W.call_indirect);
    writeUleb(this.bytes, type);
    writeUleb(this.bytes, table);
    return this;
  }
  /** A load or store with its memarg (§5.4.6): natural alignment unless given. */
  mem(opcode: WOp, offset = 0, align?: number): this {
    const a = align ?? NATURAL_ALIGN[opcode];
    if (a === undefined) throw new RangeError(`opcode 0x${opcode.toString(16)} is not a memory access`);
    this.bytes.push(opcode);
    writeUleb(this.bytes, a);
    writeUleb(this.bytes, offset >>> 0);
    return this;
  }
  /** Open a `block` (empty type unless given). */
  block(type: number = BLOCK_VOID): this { this.depth++; this.bytes.push(W.block, type); return this; }
  /** Open a `loop`. */
  loop(type: number = BLOCK_VOID): this { this.depth++; this.bytes.push(W.loop, type); return this; }
  /** Open an `if`. */
  if(type: number = BLOCK_VOID): this { this.depth++; this.bytes.push(W.if, type); return this; }
  /** `else` of the innermost `if`. */
  else(): this { this.bytes.push(W.else); return this; }
  /** Close the innermost construct. */
  end(): this {
    if (this.depth <= 0) throw new RangeError('end without an open block');
    this.depth--;
    this.bytes.push(W.end);
    return this;
  }
  /** `br` to the label `depth` constructs out. */
  br(depth: number): this { return this.withIndex(W.br, depth); }
  /** `br_if`. */
  brIf(depth: number): this { return this.withIndex(W.br_if, depth); }
  /** `br_table` with explicit targets and a default. */
  brTable(targets: readonly number[], fallback: number): this {
    this.bytes.push(W.br_table);
    writeUleb(this.bytes, targets.length);
    for (const t of targets) writeUleb(this.bytes, t);
    writeUleb(this.bytes, fallback);
    return this;
  }

  private withIndex(opcode: WOp, index: number): this {
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`bad index ${index}`);
    this.bytes.push(opcode);
    writeUleb(this.bytes, index);
    return this;
  }
}
