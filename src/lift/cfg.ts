/**
 * @file The control-flow graph of eBPF bytecode: which instructions start a
 * function (pc 0, every `call local` target, every `lddw` function-address
 * target), and, per function, its basic blocks. Leaders are the function's
 * entry, every jump target and every instruction after a jump or `exit`
 * (RFC 9669 §4.3). Only instructions reachable from the entry are included,
 * so unreachable code is dropped here. Calls do not end blocks: they return.
 */

import { diagnostic, type Diagnostic } from '../diag/index.js';
import { INVALID, type Insn } from '../isa/insn.js';
import { LddwSrc, OPCODES } from '../isa/opcodes.js';

/** A successor that runs past the end of the program (or to a slot that starts no instruction). */
export const OFF_END = -1;

/** A basic block of bytecode. */
export interface BcBlock {
  /** First instruction's slot index. */
  readonly start: number;
  /** The instructions, in order. */
  readonly insns: readonly Insn[];
  /**
   * How control leaves the block: `jump` (one target), `cond` (taken, then
   * fall-through), `exit`, or `fall` (falls into the block at `succs[0]`).
   */
  readonly end: 'jump' | 'cond' | 'exit' | 'fall';
  /** Successor block start pcs, in the order of `end`; `OFF_END` runs past the last instruction. */
  readonly succs: readonly number[];
}

/** The blocks of one function, keyed by their start pc; `entry` is the function's first pc. */
export interface BcCfg {
  readonly entry: number;
  readonly blocks: ReadonlyMap<number, BcBlock>;
}

/** Where a jump lands, or undefined for instructions that do not jump within the function. */
export function jumpTarget(insn: Insn): number | undefined {
  const row = OPCODES[insn.op]!;
  if (row.kind === 'jcond') return insn.pc + 1 + insn.off;
  if (row.kind === 'ja') return insn.pc + 1 + (row.width === 32 ? insn.imm : insn.off);
  return undefined;
}

/** The function a `call local` or `lddw` of a function address refers to, or undefined. */
export function calleeTarget(insn: Insn): number | undefined {
  if (insn.op === INVALID) return undefined;
  const row = OPCODES[insn.op]!;
  if (row.name === 'CALL_LOCAL') return insn.pc + 1 + insn.imm;
  if (row.kind === 'lddw' && insn.src === LddwSrc.FUNC) return insn.pc + 1 + insn.imm;
  return undefined;
}

/** Function entry pcs, sorted: pc 0, then every call and function-address target. */
export function functionEntries(insns: readonly Insn[]): number[] {
  const entries = new Set<number>([0]);
  for (const insn of insns) {
    const t = calleeTarget(insn);
    if (t !== undefined) entries.add(t);
  }
  return [...entries].sort((a, b) => a - b);
}

/**
 * Build the CFG of the function starting at `entry`. `byPc` maps slot
 * indices to instructions. Targets that are not instruction starts are
 * reported (the validator normally catches them first) and treated as
 * running off the end.
 */
export function buildCfg(byPc: ReadonlyMap<number, Insn>, entry: number, count: number): { cfg: BcCfg; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const valid = (pc: number, from: number): boolean => {
    if (byPc.has(pc)) return true;
    diagnostics.push(diagnostic('IR_LIFT_JUMP_RANGE', { target: pc, count }, { pc: from }));
    return false;
  };
  // Pass 1: reachable instructions and leaders.
  const leaders = new Set<number>([entry]);
  const reached = new Set<number>();
  const work = [entry];
  while (work.length > 0) {
    let pc = work.pop()!;
    while (!reached.has(pc)) {
      const insn = byPc.get(pc);
      if (insn === undefined) break;
      reached.add(pc);
      const row = OPCODES[insn.op]!;
      const next = pc + (insn.imm2 !== undefined ? 2 : 1);
      if (row.kind === 'exit') break;
      const t = jumpTarget(insn);
      if (t !== undefined) {
        if (valid(t, pc)) { leaders.add(t); work.push(t); }
        if (row.kind === 'ja') break;
        leaders.add(next);
      }
      pc = next;
    }
  }
  // Pass 2: cut the reachable instructions into blocks.
  const blocks = new Map<number, BcBlock>();
  for (const start of leaders) {
    if (!reached.has(start)) continue;
    const list: Insn[] = [];
    let pc = start;
    let end: BcBlock['end'] = 'fall';
    let succs: number[] = [OFF_END];
    const at = (t: number): number => (byPc.has(t) ? t : OFF_END);
    for (;;) {
      const insn = byPc.get(pc);
      if (insn === undefined) break;
      list.push(insn);
      const row = OPCODES[insn.op]!;
      const next = pc + (insn.imm2 !== undefined ? 2 : 1);
      const t = jumpTarget(insn);
      if (row.kind === 'exit') { end = 'exit'; succs = []; break; }
      if (row.kind === 'ja') { end = 'jump'; succs = [at(t!)]; break; }
      if (t !== undefined) { end = 'cond'; succs = [at(t), at(next)]; break; }
      if (leaders.has(next) || !byPc.has(next)) { succs = [at(next)]; break; }
      pc = next;
    }
    blocks.set(start, { start, insns: list, end, succs });
  }
  return { cfg: { entry, blocks }, diagnostics };
}
