/**
 * @file The meaning of every pure IR op on constants, shared by the
 * evaluator and constant folding so the two can never disagree. Values are
 * unsigned BigInts below 2^bits of their type; arithmetic goes through
 * `src/util/u64.ts`, which states eBPF's rules (RFC 9669 §4.1).
 */

import * as u from '../util/u64.js';
import { unreachable } from '../diag/errors.js';
import type { Opcode } from './ops.js';
import type { Cond, Type } from './types.js';

/** Wrap to the width of a type. */
export function wrap(type: Type, x: bigint): bigint {
  return type === 'i32' ? BigInt.asUintN(32, x) : BigInt.asUintN(64, x);
}

/** Evaluate a comparison on values of `type`. */
export function compare(type: Type, cond: Cond, a: bigint, b: bigint): boolean {
  const bits = type === 'i32' ? 32 : 64;
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, b);
  switch (cond) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'ugt': return a > b;
    case 'uge': return a >= b;
    case 'ult': return a < b;
    case 'ule': return a <= b;
    case 'sgt': return sa > sb;
    case 'sge': return sa >= sb;
    case 'slt': return sa < sb;
    case 'sle': return sa <= sb;
    case 'set': return (a & b) !== 0n;
    default: return unreachable(cond, 'condition');
  }
}

/** Ops `evalPure` knows: arithmetic, conversions and comparisons. */
export const PURE_OPS: ReadonlySet<Opcode> = new Set<Opcode>([
  'copy', 'add', 'sub', 'mul', 'udiv', 'sdiv', 'urem', 'srem', 'and', 'or', 'xor', 'shl', 'lshr', 'ashr',
  'neg', 'bswap16', 'bswap32', 'bswap64', 'sext8', 'sext16', 'sext32', 'zext', 'sext', 'trunc', 'icmp',
]);

/**
 * The result of a pure op (`PURE_OPS`) of controlling type `type` on constant
 * operands, or undefined for any other op.
 */
export function evalPure(op: Opcode, type: Type, args: readonly bigint[], cond?: Cond): bigint | undefined {
  const w32 = type === 'i32';
  const a = args[0] ?? 0n;
  const b = args[1] ?? 0n;
  switch (op) {
    case 'copy': return a;
    case 'add': return w32 ? u.add32(a, b) : u.add64(a, b);
    case 'sub': return w32 ? u.sub32(a, b) : u.sub64(a, b);
    case 'mul': return w32 ? u.mul32(a, b) : u.mul64(a, b);
    case 'udiv': return w32 ? u.divU32(a, b) : u.divU64(a, b);
    case 'sdiv': return w32 ? u.divS32(a, b) : u.divS64(a, b);
    case 'urem': return w32 ? u.modU32(a, b) : u.modU64(a, b);
    case 'srem': return w32 ? u.modS32(a, b) : u.modS64(a, b);
    case 'and': return a & b;
    case 'or': return a | b;
    case 'xor': return a ^ b;
    case 'shl': return w32 ? u.lsh32(a, b) : u.lsh64(a, b);
    case 'lshr': return w32 ? u.rsh32(a, b) : u.rsh64(a, b);
    case 'ashr': return w32 ? u.arsh32(a, b) : u.arsh64(a, b);
    case 'neg': return w32 ? u.neg32(a) : u.neg64(a);
    case 'bswap16': return u.bswap16(a & 0xffffn);
    case 'bswap32': return u.bswap32(a & 0xffffffffn);
    case 'bswap64': return u.bswap64(a);
    case 'sext8': return wrap(type, BigInt.asIntN(8, a));
    case 'sext16': return wrap(type, BigInt.asIntN(16, a));
    case 'sext32': return wrap(type, BigInt.asIntN(32, a));
    case 'zext': return a;
    case 'sext': return u.sext(a, 32);
    case 'trunc': return a & 0xffffffffn;
    case 'icmp': return compare(type, cond!, a, b) ? 1n : 0n;
    default: return undefined;
  }
}
