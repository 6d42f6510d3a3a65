/**
 * @file Instruction sequences for eBPF semantics where WebAssembly differs.
 *
 * Each function appends code that computes one IR operation from operands
 * held in locals (so an operand may be read twice) and leaves the result on
 * the stack. Semantics are RFC 9669 §4.1 ("Arithmetic instructions") and
 * §4.2 ("Byte swap instructions"); the WebAssembly behaviours they work
 * around are from the Core Specification §4.3.2 ("Integer Operations"):
 *
 * - `div_u`/`div_s`/`rem_u`/`rem_s` trap on a zero divisor and `div_s`
 *   traps on `MIN / -1`; eBPF gives `x / 0 = 0`, `x % 0 = x`,
 *   `MIN / -1 = MIN` (the wrapped quotient), `MIN % -1 = 0`. A branch on
 *   the divisor picks the eBPF result for 0 (and -1 for `sdiv`, computed as a
 *   negation), as the kernel's verifier patches a jump in front of every
 *   division: the branch is predicted, so the division's operands do not wait
 *   for a select (which put two more cycles on every dependent division);
 *   `rem_s` of `MIN, -1` is 0 in WebAssembly already.
 * - Shift counts: WebAssembly takes the count modulo the width, exactly
 *   eBPF's masking, so shifts map one to one.
 * - Byte swaps have no WebAssembly instruction: rotations and masks.
 */

import { assert } from '../diag/errors.js';
import { BLOCK_VOID, Code, ValType, W, type WOp } from './encode.js';

/** IR value types, as the lowering names them. */
export type IrType = 'i32' | 'i64';

/** Per-type opcode spellings used by the sequences below. */
const OPS = {
  i32: {
    const: (c: Code, v: bigint | number): Code => c.i32Const(Number(BigInt.asIntN(32, BigInt(v)))),
    eqz: W.i32_eqz, eq: W.i32_eq, or: W.i32_or, and: W.i32_and, sub: W.i32_sub,
    divU: W.i32_div_u, divS: W.i32_div_s, remU: W.i32_rem_u, remS: W.i32_rem_s,
    shl: W.i32_shl, shrU: W.i32_shr_u, rotl: W.i32_rotl, rotr: W.i32_rotr,
    valType: ValType.i32,
  },
  i64: {
    const: (c: Code, v: bigint | number): Code => c.i64Const(BigInt(v)),
    eqz: W.i64_eqz, eq: W.i64_eq, or: W.i64_or, and: W.i64_and, sub: W.i64_sub,
    divU: W.i64_div_u, divS: W.i64_div_s, remU: W.i64_rem_u, remS: W.i64_rem_s,
    shl: W.i64_shl, shrU: W.i64_shr_u, rotl: W.i64_rotl, rotr: W.i64_rotr,
    valType: ValType.i64,
  },
} as const;

/** Unsigned division: `b == 0 ? 0 : a / b`. */
export function emitUdiv(c: Code, t: IrType, a: number, b: number): void {
  const o = OPS[t];
  c.localGet(b).op(o.eqz).if(o.valType);
  o.const(c, 0);
  c.else().localGet(a).localGet(b).op(o.divU).end();
}

/** Unsigned remainder: `b == 0 ? a : a % b`. */
export function emitUrem(c: Code, t: IrType, a: number, b: number): void {
  const o = OPS[t];
  c.localGet(b).op(o.eqz).if(o.valType).localGet(a);
  c.else().localGet(a).localGet(b).op(o.remU).end();
}

/**
 * Signed division truncating toward zero: `b == 0 ? 0 : b == -1 ? -a : a / b`
 * (`-MIN` wraps to `MIN`, the eBPF result of `MIN / -1`).
 */
export function emitSdiv(c: Code, t: IrType, a: number, b: number): void {
  const o = OPS[t];
  c.localGet(b).op(o.eqz).if(o.valType);
  o.const(c, 0);
  c.else().localGet(b); o.const(c, -1); c.op(o.eq).if(o.valType);
  o.const(c, 0); c.localGet(a).op(o.sub);
  c.else().localGet(a).localGet(b).op(o.divS).end();
  c.end();
}

/**
 * Signed remainder with the dividend's sign: `b == 0 ? a : a % b`
 * (WebAssembly's `rem_s` already gives 0 for `MIN % -1`).
 */
export function emitSrem(c: Code, t: IrType, a: number, b: number): void {
  const o = OPS[t];
  c.localGet(b).op(o.eqz).if(o.valType).localGet(a);
  c.else().localGet(a).localGet(b).op(o.remS).end();
}

/** Push the 32-bit byte swap of the i32 in local `x`: `(rotl(x, 8) & 0x00ff00ff) | (rotr(x, 8) & 0xff00ff00)`. */
function bswap32OfLocal(c: Code, x: number): void {
  c.localGet(x).i32Const(8).op(W.i32_rotl).i32Const(0x00ff00ff).op(W.i32_and);
  c.localGet(x).i32Const(8).op(W.i32_rotr).i32Const(0xff00ff00 | 0).op(W.i32_and);
  c.op(W.i32_or);
}

/** Scratch locals a byte swap may use. */
export interface Scratch {
  readonly i32: number;
  readonly i64: number;
}

/** `bswap16`: the low two bytes swapped, upper bits zero. */
export function emitBswap16(c: Code, t: IrType, a: number): void {
  const o = OPS[t];
  c.localGet(a); o.const(c, 8); c.op(o.shl); o.const(c, 0xff00); c.op(o.and);
  c.localGet(a); o.const(c, 8); c.op(o.shrU); o.const(c, 0xff); c.op(o.and);
  c.op(o.or);
}

/** `bswap32`: the low four bytes reversed, upper bits zero. */
export function emitBswap32(c: Code, t: IrType, a: number, s: Scratch): void {
  if (t === 'i32') { bswap32OfLocal(c, a); return; }
  c.localGet(a).op(W.i32_wrap_i64).localSet(s.i32);
  bswap32OfLocal(c, s.i32);
  c.op(W.i64_extend_i32_u);
}

/** `bswap64`: all eight bytes reversed. */
export function emitBswap64(c: Code, a: number, s: Scratch): void {
  // low half reversed becomes the high half, and the other way round
  c.localGet(a).op(W.i32_wrap_i64).localSet(s.i32);
  bswap32OfLocal(c, s.i32);
  c.op(W.i64_extend_i32_u).i64Const(32).op(W.i64_shl);
  c.localGet(a).i64Const(32).op(W.i64_shr_u).op(W.i32_wrap_i64).localSet(s.i32);
  bswap32OfLocal(c, s.i32);
  c.op(W.i64_extend_i32_u).op(W.i64_or);
}

/** Atomic read-modify-write operations (RFC 9669 §5.3). */
export type RmwKind = 'add' | 'or' | 'and' | 'xor' | 'xchg';

/**
 * An atomic read-modify-write on the (already checked) wasm address in local
 * `addr` (i32), with operand local `b`, leaving the old value.
 *
 * The linear memory is not shared (the ABI imports a plain memory, see
 * `docs/abi.md`), and a program runs on one thread at a time, so a plain
 * load, operation and store is atomic with respect to everything else that
 * can touch the memory. WebAssembly's `i64.atomic.rmw.*` would need a shared
 * memory, which several hosts (edge workers) do not provide.
 */
export function emitRmw(c: Code, t: IrType, op: RmwKind, addr: number, b: number, old: number): void {
  const load = t === 'i64' ? W.i64_load : W.i32_load;
  const store = t === 'i64' ? W.i64_store : W.i32_store;
  c.localGet(addr).mem(load, 0, 0).localSet(old);
  c.localGet(addr);
  if (op === 'xchg') c.localGet(b);
  else {
    c.localGet(old).localGet(b);
    const table = t === 'i64'
      ? { add: W.i64_add, or: W.i64_or, and: W.i64_and, xor: W.i64_xor }
      : { add: W.i32_add, or: W.i32_or, and: W.i32_and, xor: W.i32_xor };
    c.op(table[op]);
  }
  c.mem(store, 0, 0);
  c.localGet(old);
}

/** Compare-and-exchange: `old = mem[addr]; if (old == expected) mem[addr] = next`; leaves `old`. */
export function emitCmpxchg(c: Code, t: IrType, addr: number, expected: number, next: number, old: number): void {
  const load = t === 'i64' ? W.i64_load : W.i32_load;
  const store = t === 'i64' ? W.i64_store : W.i32_store;
  c.localGet(addr).mem(load, 0, 0).localTee(old);
  c.localGet(expected).op(t === 'i64' ? W.i64_eq : W.i32_eq);
  c.if(BLOCK_VOID);
  c.localGet(addr).localGet(next).mem(store, 0, 0);
  c.end();
  c.localGet(old);
}

/** The Wasm load opcode for an IR load of `kind` producing type `t`. */
export function loadOp(t: IrType, kind: string): WOp {
  const table: Record<string, WOp> = t === 'i64'
    ? { u8: W.i64_load8_u, u16: W.i64_load16_u, u32: W.i64_load32_u, u64: W.i64_load,
      s8: W.i64_load8_s, s16: W.i64_load16_s, s32: W.i64_load32_s }
    : { u8: W.i32_load8_u, u16: W.i32_load16_u, u32: W.i32_load, s8: W.i32_load8_s, s16: W.i32_load16_s, s32: W.i32_load };
  const op = table[kind];
  assert(op !== undefined, `no ${t} load of ${kind}`);
  return op;
}

/** The Wasm store opcode for an IR store of `kind` from type `t`. */
export function storeOp(t: IrType, kind: string): WOp {
  const table: Record<string, WOp> = t === 'i64'
    ? { u8: W.i64_store8, s8: W.i64_store8, u16: W.i64_store16, s16: W.i64_store16,
      u32: W.i64_store32, s32: W.i64_store32, u64: W.i64_store }
    : { u8: W.i32_store8, s8: W.i32_store8, u16: W.i32_store16, s16: W.i32_store16, u32: W.i32_store, s32: W.i32_store };
  const op = table[kind];
  assert(op !== undefined, `no ${t} store of ${kind}`);
  return op;
}
