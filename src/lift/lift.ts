/**
 * @file eBPF bytecode to SSA IR. One IR function per bpf-to-bpf subprogram
 * (entry = pc 0 plus every `call local` and function-address target). SSA
 * construction for r0–r9 and promotable stack slots (`frame.ts`) follows
 * Aycock and Horspool ("Simple Generation of Static Single-Assignment Form",
 * CC 2000): every join block first receives one parameter per variable, and
 * parameters that only ever receive one value besides themselves are then
 * removed until none is left (`src/ir/trivial-params.ts`). Blocks with a single forward
 * predecessor inherit its variables directly.
 *
 * Conventions (the kernel's calling convention, RFC 9669 §4.3.1): helper and
 * local calls take r1–r5 and return r0, and clobber r1–r5 (they read as 0
 * afterwards); r6–r9 are preserved; r10 is `frame_addr`. Registers and slots
 * with no definition read as 0.
 */

import type { ProgramFacts } from '../abi/facts.js';
import { diagnostic, type Diagnostic } from '../diag/index.js';
import { assert } from '../diag/errors.js';
import { Builder } from '../ir/builder.js';
import { createFunc, type BlockCall, type Func, type Module } from '../ir/func.js';
import type { Opcode } from '../ir/ops.js';
import { asFuncRef, memKindOf, type Block, type Cond, type FuncRef, type Type, type Value } from '../ir/types.js';
import { INVALID, type Insn } from '../isa/insn.js';
import { LddwSrc, OPCODES, type AluOp, type JmpCond } from '../isa/opcodes.js';
import { FP } from '../isa/registers.js';
import { formatInsn } from '../isa/disasm.js';
import { buildCfg, calleeTarget, functionEntries, OFF_END, type BcBlock, type BcCfg } from './cfg.js';
import { analyzeFrame, frameAccess, slotKey, type FrameInfo } from './frame.js';
import { removeTrivialParams } from '../ir/trivial-params.js';

/** Options of `lift`. */
export interface LiftOptions {
  /** Verifier facts: accesses proven in bounds are lifted unchecked. */
  readonly facts?: ProgramFacts;
  /** Parameters of the entry function (r1, r2, ...); default 1 (the context). */
  readonly entryArgs?: number;
  /** Function names by entry pc (default: `prog` for pc 0, `sub_<pc>` otherwise). */
  readonly names?: ReadonlyMap<number, string>;
  /** Keep every stack slot in memory (no promotion). */
  readonly noPromote?: boolean;
}

/** The result of lifting: a module when the program could be lifted, and every problem found. */
export interface LiftResult {
  readonly module?: Module;
  readonly diagnostics: Diagnostic[];
}

const COND: Record<JmpCond, Cond> = {
  jeq: 'eq', jne: 'ne', jgt: 'ugt', jge: 'uge', jlt: 'ult', jle: 'ule',
  jsgt: 'sgt', jsge: 'sge', jslt: 'slt', jsle: 'sle', jset: 'set',
};

const ALU: Partial<Record<AluOp, Opcode>> = {
  add: 'add', sub: 'sub', mul: 'mul', div: 'udiv', sdiv: 'sdiv', mod: 'urem', smod: 'srem',
  or: 'or', and: 'and', xor: 'xor', lsh: 'shl', rsh: 'lshr', arsh: 'ashr',
};

/** Lift a program (its decoded, validated instructions) to an IR module. */
export function lift(insns: readonly Insn[], options: LiftOptions = {}): LiftResult {
  const diagnostics: Diagnostic[] = [];
  const byPc = new Map<number, Insn>();
  let count = 0;
  for (const insn of insns) {
    if (insn.op === INVALID) {
      diagnostics.push(diagnostic('IR_LIFT_INVALID', { insn: `opcode 0x${insn.code.toString(16)}` }, { pc: insn.pc }));
      continue;
    }
    byPc.set(insn.pc, insn);
    count = insn.pc + (insn.imm2 !== undefined ? 2 : 1);
  }
  if (diagnostics.length > 0) return { diagnostics };
  if (!byPc.has(0)) return { diagnostics: [diagnostic('IR_LIFT_FALL_OFF', {}, { pc: 0 })] };

  const entries = functionEntries(insns).filter((pc) => {
    if (byPc.has(pc)) return true;
    const from = insns.find((i) => calleeTarget(i) === pc);
    diagnostics.push(diagnostic('IR_LIFT_CALL_RANGE', { target: pc, count }, { pc: from?.pc ?? 0 }));
    return false;
  });
  if (diagnostics.length > 0) return { diagnostics };
  const funcOf = new Map<number, FuncRef>();
  entries.forEach((pc, i) => funcOf.set(pc, asFuncRef(i)));

  const helpers = new Set<number>();
  const maps = new Set<number>();
  const funcs: Func[] = [];
  const cfgs = entries.map((entry) => {
    const { cfg, diagnostics: d } = buildCfg(byPc, entry, count);
    diagnostics.push(...d);
    return { cfg, frame: analyzeFrame(cfg) };
  });
  // An access outside its own frame may alias a caller's slot: then keep every slot in memory.
  const noPromote = options.noPromote === true || cfgs.some((c) => c.frame.outOfFrame);
  const inMemory: FrameInfo = { escapes: true, outOfFrame: false, slots: new Map(), list: [] };
  for (const [n, entry] of entries.entries()) {
    const cfg = cfgs[n]!.cfg;
    const frame = noPromote ? inMemory : cfgs[n]!.frame;
    const name = options.names?.get(entry) ?? (entry === 0 ? 'prog' : `sub_${entry}`);
    const nparams = entry === 0 ? (options.entryArgs ?? 1) : 5;
    const lifter = new FuncLifter(cfg, frame, name, nparams, funcOf, options.facts, helpers, maps);
    const fn = lifter.run();
    diagnostics.push(...lifter.diagnostics);
    funcs.push(fn);
  }
  if (diagnostics.some((x) => x.severity === 'error')) return { diagnostics };
  const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
  return { module: { funcs, entry: asFuncRef(0), helpers: sorted(helpers), maps: sorted(maps) }, diagnostics };
}

/** Variables: r0..r9 at 0..9, promoted slots from 10. */
type Vars = Value[];

class FuncLifter {
  readonly diagnostics: Diagnostic[] = [];
  private readonly fn: Func;
  private readonly b: Builder;
  private readonly nvars: number;
  private readonly irBlock = new Map<number, Block>();
  private readonly join = new Set<number>();
  private readonly inherited = new Map<number, Vars>();
  private zero!: Value;
  private frameValue!: Value;

  constructor(
    private readonly cfg: BcCfg,
    private readonly frame: FrameInfo,
    name: string,
    private readonly nparams: number,
    private readonly funcOf: ReadonlyMap<number, FuncRef>,
    private readonly facts: ProgramFacts | undefined,
    private readonly helpers: Set<number>,
    private readonly maps: Set<number>,
  ) {
    this.fn = createFunc(name, cfg.entry);
    this.b = new Builder(this.fn);
    this.nvars = 10 + frame.list.length;
  }

  /** Bytecode blocks in reverse postorder from the entry. */
  private rpo(): BcBlock[] {
    const seen = new Set<number>();
    const post: BcBlock[] = [];
    const visit = (start: number): void => {
      const stack: [number, number][] = [[start, 0]];
      seen.add(start);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const blk = this.cfg.blocks.get(top[0])!;
        if (top[1] < blk.succs.length) {
          const s = blk.succs[top[1]++]!;
          if (s !== OFF_END && !seen.has(s)) { seen.add(s); stack.push([s, 0]); }
        } else {
          post.push(blk);
          stack.pop();
        }
      }
    };
    visit(this.cfg.entry);
    return post.reverse();
  }

  run(): Func {
    const order = this.rpo();
    const position = new Map<number, number>();
    order.forEach((blk, i) => position.set(blk.start, i));
    // Predecessor edges; the function entry has one from the IR entry block (position -1).
    const preds = new Map<number, number[]>();
    for (const blk of order) preds.set(blk.start, []);
    preds.get(this.cfg.entry)!.push(-1);
    for (const blk of order) {
      for (const s of blk.succs) if (s !== OFF_END) preds.get(s)!.push(position.get(blk.start)!);
    }
    for (const blk of order) {
      const ps = preds.get(blk.start)!;
      const me = position.get(blk.start)!;
      if (ps.length !== 1 || ps[0]! >= me) this.join.add(blk.start);
    }

    // The IR entry block: parameters, the frame address, the initial variables.
    const b = this.b;
    const e0 = b.newBlock();
    b.at(e0);
    const params: Value[] = [];
    for (let i = 0; i < this.nparams; i++) params.push(b.param(e0, 'i64'));
    this.zero = b.iconst('i64', 0n);
    this.frameValue = b.value('frame_addr', 'i64', []);
    const vars: Vars = new Array<Value>(this.nvars).fill(this.zero);
    params.forEach((p, i) => { if (i + 1 <= 9) vars[i + 1] = p; });

    for (const blk of order) {
      const block = b.newBlock();
      this.irBlock.set(blk.start, block);
      if (this.join.has(blk.start)) for (let v = 0; v < this.nvars; v++) b.param(block, 'i64');
    }
    b.at(e0);
    b.jump(this.edge(this.cfg.entry, vars));

    for (const blk of order) {
      const block = this.irBlock.get(blk.start)!;
      b.at(block);
      const state: Vars = this.join.has(blk.start) ? [...this.fn.blocks[block]!.params] : this.inherited.get(blk.start)!;
      assert(state !== undefined, `block at pc ${blk.start} has no incoming state`);
      this.liftBlock(blk, state);
    }
    removeTrivialParams(this.fn);
    return this.fn;
  }

  /** The block call for an edge to bytecode block `target` with the current variables. */
  private edge(target: number, vars: Vars): BlockCall {
    if (target === OFF_END) {
      const pc = this.b.pc;
      const saved = this.b.block!;
      const t = this.b.newBlock();
      this.b.at(t);
      this.b.inst('trap', 'i64', [], pc !== undefined ? { pc } : {});
      this.b.at(saved);
      return { block: t, args: [] };
    }
    const block = this.irBlock.get(target)!;
    if (this.join.has(target)) return { block, args: [...vars] };
    this.inherited.set(target, [...vars]);
    return { block, args: [] };
  }

  private checked(insn: Insn): boolean {
    return this.facts?.insns[insn.pc]?.access?.inBounds !== true;
  }

  private liftBlock(blk: BcBlock, vars: Vars): void {
    const b = this.b;
    const reg = (r: number): Value => (r === FP ? this.frameValue : vars[r]!);
    const set = (r: number, v: Value): void => { vars[r] = v; };
    const k64 = (imm: number): Value => b.iconst('i64', BigInt(imm));
    const k32 = (imm: number): Value => b.iconst('i32', BigInt(imm));
    const lo = (v: Value): Value => b.unary('trunc', 'i32', v);
    const zx = (v: Value): Value => b.unary('zext', 'i64', v);

    for (const insn of blk.insns) {
      b.pc = insn.pc;
      const row = OPCODES[insn.op]!;
      const w = row.width;
      const src2 = (): Value => (row.source === 'X' ? reg(insn.src) : w === 64 ? k64(insn.imm) : k32(insn.imm));
      const src2_32 = (): Value => (row.source === 'X' ? lo(reg(insn.src)) : k32(insn.imm));
      switch (row.kind) {
        case 'alu': {
          const op = row.alu!;
          if (op === 'mov') {
            if (w === 64) set(insn.dst, row.source === 'X' ? b.unary('copy', 'i64', reg(insn.src)) : k64(insn.imm));
            else set(insn.dst, row.source === 'X' ? zx(lo(reg(insn.src))) : b.iconst('i64', BigInt(insn.imm >>> 0)));
          } else if (op === 'movsx') {
            const sx = `sext${row.sxBits!}` as Opcode;
            if (w === 64) set(insn.dst, b.unary(sx, 'i64', reg(insn.src)));
            else set(insn.dst, zx(b.unary(sx, 'i32', lo(reg(insn.src)))));
          } else {
            const irop = ALU[op]!;
            if (w === 64) set(insn.dst, b.binary(irop, 'i64', reg(insn.dst), src2()));
            else set(insn.dst, zx(b.binary(irop, 'i32', lo(reg(insn.dst)), src2_32())));
          }
          break;
        }
        case 'neg':
          set(insn.dst, w === 64 ? b.unary('neg', 'i64', reg(insn.dst)) : zx(b.unary('neg', 'i32', lo(reg(insn.dst)))));
          break;
        case 'end': {
          const bits = row.size! * 8;
          const v = reg(insn.dst);
          if (row.end === 'le') {
            // RFC 9669 §4.2: on a little-endian machine, `le` only truncates to the width.
            set(insn.dst, bits === 64 ? v : bits === 32 ? zx(lo(v)) : b.binary('and', 'i64', v, k64(0xffff)));
          } else {
            set(insn.dst, b.unary(`bswap${bits}` as Opcode, 'i64', v));
          }
          break;
        }
        case 'lddw': this.lddw(insn, set); break;
        case 'ldx': {
          const kind = memKindOf(row.size!, row.signed === true);
          set(insn.dst, this.load(insn, kind, reg(insn.src), vars));
          break;
        }
        case 'st': case 'stx': {
          const value = row.kind === 'st' ? k64(insn.imm) : reg(insn.src);
          this.store(insn, row.size!, value, reg(insn.dst), vars);
          break;
        }
        case 'atomic': {
          const t: Type = w === 64 ? 'i64' : 'i32';
          const addr = reg(insn.dst);
          const checked = insn.dst === FP ? !this.inFrame(insn.off, row.size!) && this.checked(insn) : this.checked(insn);
          const conv = (v: Value): Value => (t === 'i32' ? lo(v) : v);
          const back = (v: Value): Value => (t === 'i32' ? zx(v) : v);
          if (row.atomic === 'cmpxchg') {
            set(0, back(b.cmpxchg(t, addr, insn.off, conv(reg(0)), conv(reg(insn.src)), checked)));
          } else {
            const old = b.rmw(t, row.atomic!, addr, insn.off, conv(reg(insn.src)), checked);
            if (row.fetch === true) set(insn.src, back(old));
          }
          break;
        }
        case 'ldabs': case 'ldind': {
          let off = k64(insn.imm);
          if (row.kind === 'ldind') off = b.binary('add', 'i64', b.unary('sext', 'i64', lo(reg(insn.src))), off);
          set(0, b.value('ld_pkt', 'i64', [reg(6), off], { mem: memKindOf(row.size!) }));
          break;
        }
        case 'call': {
          const args = [1, 2, 3, 4, 5].map((r) => reg(r));
          if (row.name === 'CALL_HELPER') {
            this.helpers.add(insn.imm);
            set(0, b.callHelper(insn.imm, args));
          } else if (row.name === 'CALL_LOCAL') {
            set(0, b.call(this.funcOf.get(insn.pc + 1 + insn.imm)!, args));
          } else {
            this.diagnostics.push(diagnostic('IR_LIFT_UNSUPPORTED', { insn: formatInsn(insn), detail: 'kernel functions are not available' }, { pc: insn.pc }));
            set(0, this.zero);
          }
          for (let r = 1; r <= 5; r++) set(r, this.zero);
          break;
        }
        case 'callx': {
          const args = [1, 2, 3, 4, 5].map((r) => reg(r));
          set(0, b.value('call_indirect', 'i64', [reg(insn.dst), ...args]));
          for (let r = 1; r <= 5; r++) set(r, this.zero);
          break;
        }
        case 'exit': b.ret(reg(0)); return;
        case 'ja': b.jump(this.edge(blk.succs[0]!, vars)); return;
        case 'jcond': {
          const cond = COND[row.cond!];
          const c = w === 64 ? b.icmp('i64', cond, reg(insn.dst), src2()) : b.icmp('i32', cond, lo(reg(insn.dst)), src2_32());
          const taken = this.edge(blk.succs[0]!, vars);
          const fall = this.edge(blk.succs[1]!, vars);
          b.brIf(c, taken, fall);
          return;
        }
      }
    }
    // Fell into the next block (or off the end).
    b.pc = blk.insns[blk.insns.length - 1]!.pc;
    b.jump(this.edge(blk.succs[0]!, vars));
  }

  private inFrame(offset: number, size: number): boolean {
    return offset >= -512 && offset + size <= 0;
  }

  private slotOf(insn: Insn, size: number): number | undefined {
    if (this.frame.escapes || frameAccess(insn) === undefined) return undefined;
    const s = this.frame.slots.get(slotKey(insn.off, size));
    return s === undefined ? undefined : 10 + s;
  }

  private load(insn: Insn, kind: ReturnType<typeof memKindOf>, base: Value, vars: Vars): Value {
    const b = this.b;
    const size = OPCODES[insn.op]!.size!;
    const slot = this.slotOf(insn, size);
    if (slot !== undefined) {
      const v = vars[slot]!;
      if (kind[0] === 's') return b.unary(`sext${size * 8}` as Opcode, 'i64', v);
      return v;
    }
    const frameSafe = frameAccess(insn) !== undefined && this.inFrame(insn.off, size);
    return b.load('i64', kind, base, insn.off, !frameSafe && this.checked(insn));
  }

  private store(insn: Insn, size: 1 | 2 | 4 | 8, value: Value, base: Value, vars: Vars): void {
    const b = this.b;
    const slot = this.slotOf(insn, size);
    if (slot !== undefined) {
      let v = value;
      if (size === 4) v = b.unary('zext', 'i64', b.unary('trunc', 'i32', value));
      else if (size < 4) v = b.binary('and', 'i64', value, b.iconst('i64', (1n << BigInt(size * 8)) - 1n));
      vars[slot] = v;
      return;
    }
    const frameSafe = frameAccess(insn) !== undefined && this.inFrame(insn.off, size);
    b.store('i64', memKindOf(size), value, base, insn.off, !frameSafe && this.checked(insn));
  }

  private lddw(insn: Insn, set: (r: number, v: Value) => void): void {
    const b = this.b;
    switch (insn.src) {
      case LddwSrc.IMM64:
        set(insn.dst, b.iconst('i64', (BigInt(insn.imm2! >>> 0) << 32n) | BigInt(insn.imm >>> 0)));
        return;
      case LddwSrc.MAP_FD: case LddwSrc.MAP_IDX:
        this.maps.add(insn.imm);
        set(insn.dst, b.value('map_addr', 'i64', [], { map: insn.imm }));
        return;
      case LddwSrc.MAP_VALUE: case LddwSrc.MAP_IDX_VALUE:
        this.maps.add(insn.imm);
        set(insn.dst, b.value('map_value_addr', 'i64', [], { map: insn.imm, imm: BigInt(insn.imm2! >>> 0) }));
        return;
      case LddwSrc.FUNC:
        set(insn.dst, b.value('func_addr', 'i64', [], { callee: this.funcOf.get(insn.pc + 1 + insn.imm)! }));
        return;
      default:
        this.diagnostics.push(diagnostic('IR_LIFT_UNSUPPORTED', { insn: formatInsn(insn), detail: 'BTF ids are not available' }, { pc: insn.pc }));
        set(insn.dst, this.zero);
    }
  }
}
