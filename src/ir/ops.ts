/**
 * @file THE IR op table: one row per operation, with the property columns
 * passes and backends read (QBE `ops.h`, Cranelift `InstructionData` formats).
 *
 * Columns:
 * - `format`: the shape of the instruction's fields and text form (see
 *   `docs/ir.md`); the printer, parser and checker dispatch on it.
 * - `args`: operand types, in order. `T` is the instruction's controlling type
 *   (`InstData.type`), `i32`/`i64` are fixed. `variadic` formats take any
 *   number of trailing `i64` arguments after the listed ones.
 * - `result`: `T`, a fixed type, or `none`.
 * - `types`: the controlling types the op accepts.
 * - `sideEffect`: must not be removed or reordered even when its result is
 *   unused (memory writes, calls, program exit).
 * - `trap`: may stop the program (a faulting checked access, a packet load out
 *   of bounds, an explicit trap). Arithmetic never traps: eBPF defines
 *   division by zero and `INT_MIN / -1` (RFC 9669 §4.1).
 * - `commutative`: `op a, b` equals `op b, a`.
 * - `terminator`: ends a block; exactly the last instruction of every block.
 * - `readsMemory` / `writesMemory`: touches the linear memory.
 *
 * Arithmetic semantics are eBPF's, stated per row, so every backend lowers
 * each op to exactly this meaning.
 */

import type { Type } from './types.js';

/** Instruction formats: how fields are laid out and printed. */
export type Format =
  | 'const'         // v = iconst.T 42
  | 'unary'         // v = neg.T a
  | 'binary'        // v = add.T a, b
  | 'icmp'          // v = icmp.T ult a, b
  | 'load'          // v = load.T u8 [a+8] @pc
  | 'store'         // store.T u8 a, [b+8] @pc
  | 'rmw'           // v = atomic_rmw.T add [a+8], b @pc
  | 'cmpxchg'       // v = atomic_cmpxchg.T [a+8], expected, new @pc
  | 'call_helper'   // v = call_helper 1 (a, b, c)
  | 'call'          // v = call f1 (a, b)
  | 'call_indirect' // v = call_indirect t (a, b)
  | 'map'           // v = map_addr 0 | v = map_value_addr 0, 16
  | 'func_addr'     // v = func_addr f2
  | 'nullary'       // v = frame_addr
  | 'ld_pkt'        // v = ld_pkt u16 ctx, off @pc
  | 'jump'          // jump b1(v1, v2)
  | 'br_if'         // br_if c, b1(v1), b2
  | 'ret'           // ret v
  | 'trap';         // trap @pc

/** An operand or result type rule: the controlling type or a fixed type. */
export type TypeRule = 'T' | Type;

/** One row of the op table. */
export interface OpInfo {
  readonly format: Format;
  readonly args: readonly TypeRule[];
  readonly variadic?: true;
  readonly result: TypeRule | 'none';
  readonly types: readonly Type[];
  readonly sideEffect: boolean;
  readonly trap: boolean;
  readonly commutative: boolean;
  readonly terminator: boolean;
  readonly readsMemory: boolean;
  readonly writesMemory: boolean;
  /** One line of semantics, for `docs/ir.md` and hover text. */
  readonly doc: string;
}

const BOTH: readonly Type[] = ['i32', 'i64'];
const I64: readonly Type[] = ['i64'];
const I32: readonly Type[] = ['i32'];

const base = {
  variadic: undefined, sideEffect: false, trap: false, commutative: false,
  terminator: false, readsMemory: false, writesMemory: false,
} as const;

function pure(format: Format, args: readonly TypeRule[], result: TypeRule, types: readonly Type[], doc: string, commutative = false): OpInfo {
  return { ...base, format, args, result, types, commutative, doc };
}

function bin(doc: string, commutative = false): OpInfo {
  return pure('binary', ['T', 'T'], 'T', BOTH, doc, commutative);
}

function un(doc: string, types: readonly Type[] = BOTH): OpInfo {
  return pure('unary', ['T'], 'T', types, doc);
}

/** The op table. Adding an op means adding one row (and its cases in print/parse/eval). */
export const OPS = {
  iconst: pure('const', [], 'T', BOTH, 'the constant `imm` (two\'s complement, truncated to T)'),
  copy: un('the operand unchanged (the lifter emits it for `mov`; copy propagation removes it)'),

  add: bin('wrapping addition', true),
  sub: bin('wrapping subtraction'),
  mul: bin('wrapping multiplication (low bits)', true),
  udiv: bin('unsigned division; x / 0 = 0 (RFC 9669 §4.1)'),
  sdiv: bin('signed division truncating toward zero; x / 0 = 0, MIN / -1 = MIN (RFC 9669 §4.1)'),
  urem: bin('unsigned remainder; x % 0 = x (RFC 9669 §4.1)'),
  srem: bin('signed remainder with the sign of the dividend; x % 0 = x, MIN % -1 = 0 (RFC 9669 §4.1)'),
  and: bin('bitwise and', true),
  or: bin('bitwise or', true),
  xor: bin('bitwise exclusive or', true),
  shl: bin('shift left by `b & (bits - 1)` (eBPF masks the amount)'),
  lshr: bin('logical shift right by `b & (bits - 1)`'),
  ashr: bin('arithmetic shift right by `b & (bits - 1)`'),

  neg: un('wrapping negation (0 - a)'),
  bswap16: un('reverse the low 2 bytes, zero the rest (`be16` on a little-endian target)'),
  bswap32: un('reverse the low 4 bytes, zero the rest'),
  bswap64: un('reverse all 8 bytes', I64),
  sext8: un('sign-extend the low 8 bits to T'),
  sext16: un('sign-extend the low 16 bits to T'),
  sext32: un('sign-extend the low 32 bits to i64', I64),

  zext: pure('unary', ['i32'], 'T', I64, 'zero-extend an i32 to i64'),
  sext: pure('unary', ['i32'], 'T', I64, 'sign-extend an i32 to i64'),
  trunc: pure('unary', ['i64'], 'T', I32, 'the low 32 bits of an i64'),

  icmp: pure('icmp', ['T', 'T'], 'i32', BOTH, 'compare: 1 if `a cond b` else 0 (`set`: `(a & b) != 0`)'),

  load: {
    ...base, format: 'load', args: ['i64'], result: 'T', types: BOTH, trap: true, readsMemory: true,
    doc: 'load `kind` from address `a + offset`, zero- or sign-extended to T; a checked access faults outside the regions',
  },
  store: {
    ...base, format: 'store', args: ['T', 'i64'], result: 'none', types: BOTH, sideEffect: true, trap: true, writesMemory: true,
    doc: 'store the low `size(kind)` bytes of `a` at address `b + offset`; a checked access faults outside writable regions',
  },
  atomic_rmw: {
    ...base, format: 'rmw', args: ['i64', 'T'], result: 'T', types: BOTH, sideEffect: true, trap: true, readsMemory: true, writesMemory: true,
    doc: 'atomically `mem[a + offset] = mem op b` on sizeof(T) bytes; the result is the old value',
  },
  atomic_cmpxchg: {
    ...base, format: 'cmpxchg', args: ['i64', 'T', 'T'], result: 'T', types: BOTH, sideEffect: true, trap: true, readsMemory: true, writesMemory: true,
    doc: 'atomically: old = mem[a + offset]; if old == b then mem = c; result old',
  },

  call_helper: {
    ...base, format: 'call_helper', args: [], variadic: true, result: 'i64', types: I64, sideEffect: true, trap: true, readsMemory: true, writesMemory: true,
    doc: 'call the kernel helper with id `helper` (include/uapi/linux/bpf.h numbering) with the arguments r1.. in order',
  },
  call: {
    ...base, format: 'call', args: [], variadic: true, result: 'i64', types: I64, sideEffect: true, trap: true, readsMemory: true, writesMemory: true,
    doc: 'bpf-to-bpf call of `callee` with a fresh 512-byte stack frame; r6-r9 of the caller are preserved',
  },
  call_indirect: {
    ...base, format: 'call_indirect', args: ['i64'], variadic: true, result: 'i64', types: I64, sideEffect: true, trap: true, readsMemory: true, writesMemory: true,
    doc: '`callx`: call the target `a` (a helper id, as the conformance suite and uBPF define it)',
  },

  map_addr: pure('map', [], 'T', I64, 'the handle (address) of map number `map` (lddw pseudo map fd / map idx)'),
  map_value_addr: pure('map', [], 'T', I64, 'the address of byte `imm` of the value of map `map` (lddw pseudo map value / global data)'),
  func_addr: pure('func_addr', [], 'T', I64, 'the address of function `callee` (lddw pseudo func)'),
  frame_addr: pure('nullary', [], 'T', I64, 'the current frame pointer (r10): one past the top of this call\'s 512-byte stack frame'),

  ld_pkt: {
    ...base, format: 'ld_pkt', args: ['i64', 'i64'], result: 'T', types: I64, sideEffect: true, trap: true, readsMemory: true,
    doc: 'legacy packet load (LD_ABS/LD_IND) of `kind` at signed packet offset `b` of the skb context `a`, big-endian, zero-extended; out of bounds ends the whole program with r0 = 0',
  },

  jump: { ...base, format: 'jump', args: [], result: 'none', types: I64, terminator: true, doc: 'go to the target block, passing its arguments' },
  br_if: { ...base, format: 'br_if', args: ['i32'], result: 'none', types: I32, terminator: true, doc: 'go to the first target if `a != 0`, else to the second' },
  ret: { ...base, format: 'ret', args: ['i64'], result: 'none', types: I64, terminator: true, sideEffect: true, doc: 'return `a` (r0) from the function' },
  trap: { ...base, format: 'trap', args: [], result: 'none', types: I64, terminator: true, sideEffect: true, trap: true, doc: 'stop the program with a fault at `pc` (code the lifter proved is reached only by a bad program)' },
} as const satisfies Record<string, OpInfo>;

/** An IR opcode name. */
export type Opcode = keyof typeof OPS;

/** All opcode names in table order. */
export const OPCODE_NAMES: readonly Opcode[] = Object.keys(OPS) as Opcode[];

/** The row of an opcode. */
export function opInfo(op: Opcode): OpInfo {
  return OPS[op];
}

/** Whether a string names an opcode. */
export function isOpcode(name: string): name is Opcode {
  return Object.prototype.hasOwnProperty.call(OPS, name);
}
