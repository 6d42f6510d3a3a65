/**
 * @file The IR's entity references and value types.
 *
 * Every reference into a function is a branded integer index into one of the
 * function's tables (`Func.values`, `Func.blocks`, `Func.insts`), never an
 * object pointer, so the IR copies, compares and serialises as plain numbers.
 * `FuncRef` indexes `Module.funcs`. The brands keep the kinds apart at compile
 * time and cost nothing at run time (Cranelift `ir/entities.rs`).
 */

/** An SSA value: the result of an instruction or a block parameter. Printed `v12`. */
export type Value = number & { readonly __brand: 'Value' };
/** A basic block. Printed `b3`. */
export type Block = number & { readonly __brand: 'Block' };
/** An instruction. Not printed: instructions are named by their result or position. */
export type Inst = number & { readonly __brand: 'Inst' };
/** A function of a module. Printed `f1` (its index in `Module.funcs`). */
export type FuncRef = number & { readonly __brand: 'FuncRef' };

/** Brand a number as a `Value`. */
export const asValue = (n: number): Value => n as Value;
/** Brand a number as a `Block`. */
export const asBlock = (n: number): Block => n as Block;
/** Brand a number as an `Inst`. */
export const asInst = (n: number): Inst => n as Inst;
/** Brand a number as a `FuncRef`. */
export const asFuncRef = (n: number): FuncRef => n as FuncRef;

/**
 * Value types. `i64` is an eBPF register; `i32` is the low half a 32-bit
 * operation works on. There is no boolean type: comparisons give an `i32`
 * that is 0 or 1, and `br_if` branches on any non-zero `i32`.
 */
export type Type = 'i32' | 'i64';

/** All value types, for parsers and tests. */
export const TYPES: readonly Type[] = ['i32', 'i64'];

/** Bit width of a type. */
export function bitsOf(type: Type): 32 | 64 {
  return type === 'i32' ? 32 : 64;
}

/**
 * Integer comparison conditions, as eBPF's conditional jumps define them
 * (RFC 9669 §4.3): `set` is `jset`, true when `(a & b) != 0`.
 */
export type Cond = 'eq' | 'ne' | 'ugt' | 'uge' | 'ult' | 'ule' | 'sgt' | 'sge' | 'slt' | 'sle' | 'set';

/** All conditions, in a fixed order. */
export const CONDS: readonly Cond[] = ['eq', 'ne', 'ugt', 'uge', 'ult', 'ule', 'sgt', 'sge', 'slt', 'sle', 'set'];

/**
 * The negation of each condition (`!(a cond b)` is `a negate[cond] b`);
 * `set` has none among the conditions (its negation is "no common bit").
 */
export const NEGATE: Readonly<Record<Cond, Cond | undefined>> = {
  eq: 'ne', ne: 'eq', ugt: 'ule', uge: 'ult', ult: 'uge', ule: 'ugt',
  sgt: 'sle', sge: 'slt', slt: 'sge', sle: 'sgt', set: undefined,
};

/** Each condition with its operands swapped (`a cond b` is `b swap[cond] a`). */
export const SWAP: Readonly<Record<Cond, Cond>> = {
  eq: 'eq', ne: 'ne', ugt: 'ult', uge: 'ule', ult: 'ugt', ule: 'uge',
  sgt: 'slt', sge: 'sle', slt: 'sgt', sle: 'sge', set: 'set',
};

/**
 * How a memory access reads or writes: its size in bytes and, for loads,
 * whether the loaded bytes are sign- or zero-extended to the result type.
 * Printed `u8 u16 u32 u64 s8 s16 s32`.
 */
export type MemKind = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32';

/** All memory kinds. */
export const MEM_KINDS: readonly MemKind[] = ['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32'];

/** Size in bytes of a memory kind. */
export function memSize(kind: MemKind): 1 | 2 | 4 | 8 {
  switch (kind) {
    case 'u8': case 's8': return 1;
    case 'u16': case 's16': return 2;
    case 'u32': case 's32': return 4;
    case 'u64': return 8;
  }
}

/** Whether a memory kind sign-extends. */
export function memSigned(kind: MemKind): boolean {
  return kind[0] === 's';
}

/** The memory kind of a size and signedness. */
export function memKindOf(size: 1 | 2 | 4 | 8, signed = false): MemKind {
  if (signed && size !== 8) return `s${size * 8}` as MemKind;
  return `u${size * 8}` as MemKind;
}

/** Atomic read-modify-write operations (RFC 9669 §5.3); `cmpxchg` is its own op. */
export type RmwOp = 'add' | 'or' | 'and' | 'xor' | 'xchg';

/** All read-modify-write operations. */
export const RMW_OPS: readonly RmwOp[] = ['add', 'or', 'and', 'xor', 'xchg'];
