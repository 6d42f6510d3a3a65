/**
 * @file A cursor for building IR: appends instructions to a current block and
 * returns their results, so the lifter and passes read like the text form.
 */

import { assert } from '../diag/errors.js';
import { appendBlock, appendInst, addParam, resultOf, type BlockCall, type Func, type InstData } from './func.js';
import type { Opcode } from './ops.js';
import type { Block, Cond, FuncRef, Inst, MemKind, RmwOp, Type, Value } from './types.js';

/** Instruction fields other than the op, type and operands. */
export type Extra = Omit<InstData, 'op' | 'type' | 'args' | 'result'>;

/** Appends instructions at the end of `block`. */
export class Builder {
  /** The function being built. */
  readonly fn: Func;
  /** The block instructions go to; set it with `at`. */
  block: Block | undefined;
  /** The pc attached to every instruction built until changed. */
  pc: number | undefined;

  constructor(fn: Func) {
    this.fn = fn;
    this.block = undefined;
    this.pc = undefined;
  }

  /** Create a block at the end of the layout. */
  newBlock(): Block { return appendBlock(this.fn); }

  /** Add a block parameter. */
  param(block: Block, type: Type): Value { return addParam(this.fn, block, type); }

  /** Move the cursor to the end of `block`. */
  at(block: Block): this { this.block = block; return this; }

  /** Append an instruction, returning it. */
  inst(op: Opcode, type: Type, args: readonly Value[], extra: Extra = {}): Inst {
    assert(this.block !== undefined, 'builder has no current block');
    const data: Omit<InstData, 'result'> = { op, type, args: [...args], ...extra };
    if (data.pc === undefined && this.pc !== undefined) data.pc = this.pc;
    return appendInst(this.fn, this.block, data);
  }

  /** Append an instruction and return its result. */
  value(op: Opcode, type: Type, args: readonly Value[], extra: Extra = {}): Value {
    return resultOf(this.fn, this.inst(op, type, args, extra));
  }

  /** `iconst.T imm` (wrapped to the type's width). */
  iconst(type: Type, imm: bigint): Value {
    return this.value('iconst', type, [], { imm: BigInt.asUintN(type === 'i32' ? 32 : 64, imm) });
  }

  /** A binary op. */
  binary(op: Opcode, type: Type, a: Value, b: Value): Value { return this.value(op, type, [a, b]); }

  /** A unary op. */
  unary(op: Opcode, type: Type, a: Value): Value { return this.value(op, type, [a]); }

  /** `icmp.T cond a, b`. */
  icmp(type: Type, cond: Cond, a: Value, b: Value): Value { return this.value('icmp', type, [a, b], { cond }); }

  /** `load.T kind [addr+offset]`. */
  load(type: Type, mem: MemKind, addr: Value, offset: number, checked = true): Value {
    return this.value('load', type, [addr], { mem, offset, checked });
  }

  /** `store.T kind value, [addr+offset]`. */
  store(type: Type, mem: MemKind, value: Value, addr: Value, offset: number, checked = true): Inst {
    return this.inst('store', type, [value, addr], { mem, offset, checked });
  }

  /** `atomic_rmw.T op [addr+offset], value`. */
  rmw(type: Type, rmw: RmwOp, addr: Value, offset: number, value: Value, checked = true): Value {
    return this.value('atomic_rmw', type, [addr, value], { rmw, offset, checked });
  }

  /** `atomic_cmpxchg.T [addr+offset], expected, replacement`. */
  cmpxchg(type: Type, addr: Value, offset: number, expected: Value, replacement: Value, checked = true): Value {
    return this.value('atomic_cmpxchg', type, [addr, expected, replacement], { offset, checked });
  }

  /** `call_helper id (args)`. */
  callHelper(helper: number, args: readonly Value[]): Value { return this.value('call_helper', 'i64', args, { helper }); }

  /** `call fN (args)`. */
  call(callee: FuncRef, args: readonly Value[]): Value { return this.value('call', 'i64', args, { callee }); }

  /** `jump target(args)`. */
  jump(target: BlockCall): Inst { return this.inst('jump', 'i64', [], { targets: [target] }); }

  /** `br_if cond, taken(args), notTaken(args)`. */
  brIf(cond: Value, taken: BlockCall, notTaken: BlockCall): Inst {
    return this.inst('br_if', 'i32', [cond], { targets: [taken, notTaken] });
  }

  /** `ret value`. */
  ret(value: Value): Inst { return this.inst('ret', 'i64', [value]); }

  /** `trap`. */
  trap(): Inst { return this.inst('trap', 'i64', []); }
}
