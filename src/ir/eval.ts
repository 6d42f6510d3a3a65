/**
 * @file The IR evaluator: runs a module over the linear `Memory` with the
 * same conventions and fault codes as the bytecode interpreter (`src/interp`),
 * so every lifted and optimised program can be compared with it:
 *
 * - the stack is one region of `MAX_CALL_FRAMES` frames; the entry's
 *   `frame_addr` is the region's end, each call's is 512 bytes lower;
 * - checked accesses outside every region stop with `RUN_MEMORY_FAULT`
 *   (`RUN_READONLY` for a store into a read-only region), at the access's pc;
 * - helpers are called through `src/abi/helper-env.ts`; a `ProgramStop`
 *   ends the run with its r0;
 * - `ld_pkt` out of bounds ends the run with r0 = 0;
 * - a budget bounds the number of instructions executed (`RUN_BUDGET`).
 *
 * Unchecked accesses are still bounds-checked here (an evaluator must not
 * corrupt its host), but a fault in one is an internal error: a pass claimed
 * an access safe that is not.
 */

import { ProgramStop, type HelperEnv, type Helpers } from '../abi/helper-env.js';
import type { Memory, Region } from '../abi/memory.js';
import { DiagnosticError, fail } from '../diag/diagnostic.js';
import { assert, InternalError } from '../diag/errors.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/registers.js';
import type { Func, InstData, Module } from './func.js';
import { evalPure, wrap } from './semantics.js';
import { memSigned, memSize, type Block, type FuncRef } from './types.js';

/** Where `ld_pkt` reads from (as the interpreter's `PacketRange`). */
export interface EvalPacket {
  readonly start: number;
  readonly size: number;
}

/** What an evaluation needs besides the module. */
export interface EvalOptions {
  readonly memory: Memory;
  /** Arguments of the entry function (missing ones are 0). */
  readonly args?: readonly bigint[];
  readonly helpers?: Helpers;
  /** The stack region; mapped (and unmapped afterwards) when absent. */
  readonly stack?: Region;
  readonly packet?: EvalPacket;
  /** Most instructions to execute (default 10 000 000). */
  readonly budget?: number;
  /**
   * The value of `map_addr`, `map_value_addr` and `func_addr` (what the host's
   * loader gives the matching `lddw`); without it they fail with `RUN_LDDW_UNRESOLVED`.
   */
  readonly resolve?: (inst: InstData) => bigint | undefined;
}

/** The outcome of an evaluation that returned. */
export interface EvalResult {
  readonly r0: bigint;
  /** IR instructions executed. */
  readonly steps: number;
}

class PacketExit {}

const DEFAULT_BUDGET = 10_000_000;

/** Evaluate the module's entry function. Faults throw `DiagnosticError`s. */
export function evalModule(mod: Module, options: EvalOptions): EvalResult {
  const mem = options.memory;
  const need = STACK_SIZE * MAX_CALL_FRAMES;
  let stack = options.stack;
  const own = stack === undefined;
  if (stack === undefined) stack = mem.map('stack', 'stack', need, true);
  try {
    const ev = new Evaluator(mod, options, stack.start + stack.size);
    const entry = mod.funcs[mod.entry]!;
    const nparams = entry.blocks[entry.layout[0]!]!.params.length;
    const args: bigint[] = [];
    for (let i = 0; i < nparams; i++) args.push(BigInt.asUintN(64, options.args?.[i] ?? 0n));
    try {
      const r0 = ev.call(mod.entry, args, 0);
      return { r0, steps: ev.steps };
    } catch (e) {
      if (e instanceof ProgramStop) return { r0: e.r0, steps: ev.steps };
      if (e instanceof PacketExit) return { r0: 0n, steps: ev.steps };
      throw e;
    }
  } finally {
    if (own) mem.unmap(stack);
  }
}

class Evaluator implements HelperEnv {
  steps = 0;
  pc = 0;
  readonly memory: Memory;
  readonly ctx: number;
  private readonly budget: number;
  private readonly helpers: Helpers;

  constructor(private readonly mod: Module, private readonly options: EvalOptions, private readonly stackTop: number) {
    this.memory = options.memory;
    this.budget = options.budget ?? DEFAULT_BUDGET;
    this.helpers = options.helpers ?? new Map();
    const a0 = options.args?.[0] ?? 0n;
    this.ctx = a0 < 2n ** 32n ? Number(a0) : 0;
  }

  /** Check an access and return its address. */
  private address(inst: InstData, base: bigint, size: number, access: 'load' | 'store' | 'atomic'): number {
    const a = Number(base) + (inst.offset ?? 0);
    const r = this.memory.find(a, size);
    if (r === undefined || (access !== 'load' && !r.writable)) {
      if (inst.checked === false) throw new InternalError(`unchecked ${access} at pc ${inst.pc} faulted at 0x${a.toString(16)}`);
      if (r === undefined) {
        fail('RUN_MEMORY_FAULT', { access, size, address: BigInt.asUintN(64, base + BigInt(inst.offset ?? 0)).toString(16) }, { pc: inst.pc ?? 0 });
      }
      fail('RUN_READONLY', { size, address: a.toString(16), region: r.name }, { pc: inst.pc ?? 0 });
    }
    return a;
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
      case 4: v.setUint32(a, Number(value & 0xffffffffn), true); break;
      default: v.setBigUint64(a, BigInt.asUintN(64, value), true); break;
    }
  }

  private callHelper(id: number, args: bigint[], pc: number): bigint {
    const fn = this.helpers.get(id);
    if (fn === undefined) fail('RUN_UNKNOWN_HELPER', { id }, { pc });
    this.pc = pc;
    try {
      return BigInt.asUintN(64, fn(this, args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n));
    } catch (e) {
      if (e instanceof DiagnosticError) throw e.within({ pc });
      throw e;
    }
  }

  call(ref: FuncRef, args: bigint[], depth: number): bigint {
    const fn: Func = this.mod.funcs[ref]!;
    assert(fn !== undefined, `no function f${ref}`);
    const vals: bigint[] = new Array<bigint>(fn.values.length).fill(0n);
    let block: Block = fn.layout[0]!;
    const entryParams = fn.blocks[block]!.params;
    entryParams.forEach((p, i) => { vals[p] = args[i] ?? 0n; });
    const frame = BigInt(this.stackTop - depth * STACK_SIZE);
    for (;;) {
      const insts = fn.blocks[block]!.insts;
      let next: Block | undefined;
      for (let k = 0; k < insts.length; k++) {
        const inst = fn.insts[insts[k]!]!;
        if (++this.steps > this.budget) fail('RUN_BUDGET', { budget: this.budget }, { pc: inst.pc ?? 0 });
        const arg = (n: number): bigint => vals[inst.args[n]!]!;
        let r: bigint | undefined;
        switch (inst.op) {
          case 'iconst': r = inst.imm!; break;
          case 'load': {
            const size = memSize(inst.mem!);
            let x = this.load(this.address(inst, arg(0), size, 'load'), size);
            if (memSigned(inst.mem!)) x = wrap(inst.type, BigInt.asIntN(size * 8, x));
            r = x;
            break;
          }
          case 'store': {
            const size = memSize(inst.mem!);
            this.store(this.address(inst, arg(1), size, 'store'), size, arg(0));
            break;
          }
          case 'atomic_rmw': {
            const size = inst.type === 'i32' ? 4 : 8;
            const a = this.address(inst, arg(0), size, 'atomic');
            const old = this.load(a, size);
            const b = arg(1);
            const nv = inst.rmw === 'add' ? old + b : inst.rmw === 'or' ? old | b : inst.rmw === 'and' ? old & b
              : inst.rmw === 'xor' ? old ^ b : b;
            this.store(a, size, wrap(inst.type, nv));
            r = old;
            break;
          }
          case 'atomic_cmpxchg': {
            const size = inst.type === 'i32' ? 4 : 8;
            const a = this.address(inst, arg(0), size, 'atomic');
            const old = this.load(a, size);
            if (old === arg(1)) this.store(a, size, arg(2));
            r = old;
            break;
          }
          case 'call_helper': r = this.callHelper(inst.helper!, inst.args.map((v) => vals[v]!), inst.pc ?? 0); break;
          case 'call_indirect': {
            const id = arg(0);
            if (id >= 2n ** 32n) fail('RUN_UNKNOWN_HELPER', { id: `0x${id.toString(16)}` }, { pc: inst.pc ?? 0 });
            r = this.callHelper(Number(id), inst.args.slice(1).map((v) => vals[v]!), inst.pc ?? 0);
            break;
          }
          case 'call': {
            if (depth + 1 >= MAX_CALL_FRAMES) fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc: inst.pc ?? 0 });
            r = this.call(inst.callee!, inst.args.map((v) => vals[v]!), depth + 1);
            break;
          }
          case 'map_addr':
          case 'map_value_addr':
          case 'func_addr': {
            r = this.options.resolve?.(inst);
            if (r === undefined) {
              fail('RUN_LDDW_UNRESOLVED', { kind: inst.op, imm: inst.map ?? inst.callee ?? 0 }, { pc: inst.pc ?? 0 });
            }
            break;
          }
          case 'frame_addr': r = frame; break;
          case 'ld_pkt': {
            const size = memSize(inst.mem!);
            const packet = this.options.packet ?? { start: 0, size: 0 };
            const off = BigInt.asIntN(64, arg(1));
            if (off < 0n || off + BigInt(size) > BigInt(packet.size)) throw new PacketExit();
            const a = packet.start + Number(off);
            const v = this.memory.view;
            r = BigInt(size === 1 ? v.getUint8(a) : size === 2 ? v.getUint16(a, false) : v.getUint32(a, false));
            break;
          }
          case 'jump':
          case 'br_if': {
            const t = inst.op === 'jump' || arg(0) !== 0n ? inst.targets![0]! : inst.targets![1]!;
            const values = t.args.map((v) => vals[v]!);
            fn.blocks[t.block]!.params.forEach((p, i) => { vals[p] = values[i]!; });
            next = t.block;
            break;
          }
          case 'ret': return arg(0);
          case 'trap': fail('RUN_FELL_OFF', { count: fn.pc ?? 0 }, { pc: inst.pc ?? 0 });
          // falls through (fail never returns)
          default: {
            r = evalPure(inst.op, inst.type, inst.args.map((v) => vals[v]!), inst.cond);
            assert(r !== undefined, `evaluator does not know ${inst.op}`);
          }
        }
        if (inst.result !== undefined) vals[inst.result] = r!;
      }
      assert(next !== undefined, `block b${block} of ${fn.name} fell through`);
      block = next;
    }
  }
}
