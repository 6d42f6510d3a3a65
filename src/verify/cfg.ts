/**
 * @file Static checks before the path walk, as the kernel's `check_subprogs`
 * and `check_cfg` do them: subprogram boundaries, jumps that leave their
 * function, functions that fall off their end, unreachable instructions;
 * plus register liveness per instruction, used to prune states.
 */

import { rowOf, slots, type Insn } from '../isa/insn.js';
import { LddwSrc } from '../isa/opcodes.js';
import { helperProto } from '../abi/helpers.js';

/** A static problem found before the walk. */
export interface CfgProblem {
  readonly kind: 'jump_range' | 'fallthrough' | 'unreachable' | 'invalid';
  readonly pc: number;
  readonly target?: number;
}

/** The program's static shape. */
export interface Cfg {
  /** Instruction by slot index (undefined on the second slot of `lddw`). */
  readonly byPc: readonly (Insn | undefined)[];
  /** Slot count. */
  readonly length: number;
  /** Sorted subprogram start pcs (0 first). */
  readonly subprogs: readonly number[];
  /** Subprogram start for each pc. */
  readonly subOf: Int32Array;
  /** Prune points, as the kernel marks them: conditional jumps, targets of `ja`, returns from calls. */
  readonly prune: Uint8Array;
  /** Live-in registers per pc (bit n = rn). */
  readonly liveIn: Uint16Array;
  /**
   * Registers per pc whose scalar value may reach a use where the value
   * matters for safety: a pointer offset, a helper argument that is not
   * `anything`, a branch that may be decided by it, a checked return value. Other scalars are ignored
   * when states are compared: a static over-approximation of the kernel's
   * precision marks (`mark_chain_precision`).
   */
  readonly precise: Uint16Array;
  /** Successors within the function, two per pc (-1: none). */
  readonly succ: Int32Array;
  /** Predecessors within the function, per pc. */
  readonly preds: readonly (readonly number[])[];
}

/** Jump target of a jump instruction, or undefined. */
export function jumpTarget(insn: Insn): number | undefined {
  const row = rowOf(insn);
  if (row === undefined) return undefined;
  if (row.kind === 'jcond') return insn.pc + 1 + insn.off;
  if (row.kind === 'ja') return insn.pc + 1 + (row.width === 32 ? insn.imm : insn.off);
  return undefined;
}

/** Build the CFG facts; returns the first problem in the kernel's order, if any. */
export function buildCfg(insns: readonly Insn[], exitValueChecked = true): { cfg: Cfg; problem?: CfgProblem } {
  let length = 0;
  for (const i of insns) length = Math.max(length, i.pc + slots(i));
  const byPc: (Insn | undefined)[] = new Array<Insn | undefined>(length).fill(undefined);
  for (const i of insns) byPc[i.pc] = i;
  const starts = new Set<number>([0]);
  for (const i of insns) {
    const row = rowOf(i);
    if (row === undefined) continue;
    if (row.name === 'CALL_LOCAL') starts.add(i.pc + 1 + i.imm);
    if (row.kind === 'lddw' && i.src === LddwSrc.FUNC) starts.add(i.pc + 1 + i.imm);
  }
  const subprogs = [...starts].filter((s) => s >= 0 && s < length).sort((a, b) => a - b);
  const subOf = new Int32Array(length);
  for (let k = 0; k < subprogs.length; k++) {
    const end = k + 1 < subprogs.length ? subprogs[k + 1]! : length;
    for (let pc = subprogs[k]!; pc < end; pc++) subOf[pc] = subprogs[k]!;
  }
  const prune = new Uint8Array(length);
  const liveIn = new Uint16Array(length);
  const precise = new Uint16Array(length);
  const succ = new Int32Array(length * 2).fill(-1);
  const preds: number[][] = Array.from({ length }, () => []);
  const cfg: Cfg = { byPc, length, subprogs, subOf, prune, liveIn, precise, succ, preds };
  // check_subprogs: calls and jumps stay in range; each function ends in exit or ja
  for (const i of insns) {
    const row = rowOf(i);
    if (row === undefined) return { cfg, problem: { kind: 'invalid', pc: i.pc } };
    if (row.name === 'CALL_LOCAL' || (row.kind === 'lddw' && i.src === LddwSrc.FUNC)) {
      const t = i.pc + 1 + i.imm;
      if (t < 0 || t >= length || byPc[t] === undefined) return { cfg, problem: { kind: 'jump_range', pc: i.pc, target: t } };
    }
    const t = jumpTarget(i);
    if (t !== undefined) {
      if (t < 0 || t >= length || byPc[t] === undefined || subOf[t] !== subOf[i.pc]) {
        return { cfg, problem: { kind: 'jump_range', pc: i.pc, target: t } };
      }
      // the kernel's prune points (`visit_insn`): a conditional jump itself, the target of `ja`
      if (row.kind === 'jcond') prune[i.pc] = 1; else prune[t] = 1;
    }
    if (row.kind === 'call' && i.pc + 1 < length) prune[i.pc + 1] = 1;
  }
  for (let k = 0; k < subprogs.length; k++) {
    const end = k + 1 < subprogs.length ? subprogs[k + 1]! : length;
    let last = end - 1;
    while (last > subprogs[k]! && byPc[last] === undefined) last--;
    const kind = rowOf(byPc[last]!)?.kind;
    if (kind !== 'exit' && kind !== 'ja') return { cfg, problem: { kind: 'fallthrough', pc: last } };
  }
  // check_cfg: every instruction reachable from the entry (through calls and callbacks too)
  const seen = new Uint8Array(length);
  const work = [0];
  seen[0] = 1;
  while (work.length > 0) {
    const pc = work.pop()!;
    for (const n of successors(byPc[pc]!, true)) {
      if (n >= 0 && n < length && !seen[n]) { seen[n] = 1; work.push(n); }
    }
  }
  for (const i of insns) if (!seen[i.pc]) return { cfg, problem: { kind: 'unreachable', pc: i.pc } };
  for (const i of insns) {
    let k = 0;
    for (const n of successors(i, false)) {
      if (n < 0 || n >= length || k >= 2) continue;
      succ[i.pc * 2 + k++] = n;
      preds[n]!.push(i.pc);
    }
  }
  computeLiveness(cfg);
  updatePrecision(cfg, exitValueChecked, { predicted: new Set(), ptrArith: new Set() });
  return { cfg };
}

/** Successor pcs; `intoCalls` also follows local calls and callback references. */
function successors(insn: Insn, intoCalls: boolean): number[] {
  const row = rowOf(insn)!;
  const next = insn.pc + slots(insn);
  switch (row.kind) {
    case 'exit': return [];
    case 'ja': return [jumpTarget(insn)!];
    case 'jcond': return [next, jumpTarget(insn)!];
    case 'call':
      if (intoCalls && row.name === 'CALL_LOCAL') return [next, insn.pc + 1 + insn.imm];
      return [next];
    case 'lddw':
      if (intoCalls && insn.src === LddwSrc.FUNC) return [next, insn.pc + 1 + insn.imm];
      return [next];
    default: return [next];
  }
}

const ARGS_MASK = 0b111110;
const CALLER_SAVED = 0b111111;

function useDef(insn: Insn): [number, number] {
  const row = rowOf(insn)!;
  const d = 1 << insn.dst;
  const s = 1 << insn.src;
  switch (row.kind) {
    case 'alu':
      if (row.alu === 'mov' || row.alu === 'movsx') return [row.source === 'X' ? s : 0, d];
      return [d | (row.source === 'X' ? s : 0), d];
    case 'neg': case 'end': return [d, d];
    case 'lddw': return [0, d];
    case 'ldx': return [s, d];
    case 'st': return [d, 0];
    case 'stx': return [d | s, 0];
    case 'atomic':
      if (row.atomic === 'cmpxchg') return [d | s | 1, 1];
      return [d | s, row.fetch ? s : 0];
    case 'ldabs': return [1 << 6, CALLER_SAVED];
    case 'ldind': return [(1 << 6) | s, CALLER_SAVED];
    case 'jcond': return [d | (row.source === 'X' ? s : 0), 0];
    case 'call': {
      if (row.name === 'CALL_HELPER') {
        const p = helperProto(insn.imm);
        const use = p === undefined ? ARGS_MASK : p.args.reduce((m, _a, k) => m | (1 << (k + 1)), 0);
        return [use, CALLER_SAVED];
      }
      return [ARGS_MASK, CALLER_SAVED];
    }
    case 'callx': return [d | ARGS_MASK, CALLER_SAVED];
    case 'exit': return [1, 0];
    case 'ja': return [0, 0];
  }
}

function computeLiveness(cfg: Cfg): void {
  const { byPc, length, liveIn } = cfg;
  const ud: [number, number][] = [];
  for (let pc = 0; pc < length; pc++) ud[pc] = byPc[pc] ? useDef(byPc[pc]!) : [0, 0];
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = length - 1; pc >= 0; pc--) {
      const insn = byPc[pc];
      if (insn === undefined) continue;
      let out = 0;
      for (const n of successors(insn, false)) if (n >= 0 && n < length) out |= liveIn[n]!;
      const [use, def] = ud[pc]!;
      const inn = (use | (out & ~def)) & 0x7ff;
      if (inn !== liveIn[pc]) { liveIn[pc] = inn; changed = true; }
    }
  }
}

/**
 * Backward flow of "the value matters": (needed-in) = uses that matter here,
 * plus the sources of defined registers that matter later, plus what matters
 * later and is not redefined here.
 */
/** Helper arguments whose scalar value the verifier looks at (sizes, null for `_or_null` pointers): every kind but `anything`. */
function helperPreciseArgs(id: number): number {
  const p = helperProto(id);
  if (p === undefined) return ARGS_MASK;
  return p.args.reduce((m, a, k) => (a === 'anything' ? m : m | (1 << (k + 1))), 0);
}

/** What the run has seen so far that makes scalar values matter. */
export interface PrecisionSeeds {
  /** Conditional jumps whose outcome was predicted (one edge skipped). */
  readonly predicted: ReadonlySet<number>;
  /** Register-register `add`/`sub` instructions that had a pointer operand. */
  readonly ptrArith: ReadonlySet<number>;
}

function preciseUseDef(insn: Insn, outMask: number, mainExitChecked: boolean, inMain: boolean, seeds: PrecisionSeeds): number {
  const row = rowOf(insn)!;
  const d = 1 << insn.dst;
  const s = 1 << insn.src;
  const x = row.source === 'X';
  switch (row.kind) {
    case 'alu': {
      const dstMatters = (outMask & d) !== 0;
      if (row.alu === 'mov' || row.alu === 'movsx') return (outMask & ~d) | (dstMatters && x ? s : 0);
      // add/sub of two registers that was pointer arithmetic somewhere in the run: both operands matter
      const ptrArith = x && (row.alu === 'add' || row.alu === 'sub') && seeds.ptrArith.has(insn.pc);
      return outMask | (ptrArith ? d | s : 0) | (dstMatters && x ? s : 0);
    }
    case 'neg': case 'end': return outMask;
    case 'lddw': return outMask & ~d;
    case 'ldx': return (outMask & ~d) | s;
    case 'st': return outMask | d;
    case 'stx': return outMask | d;
    case 'atomic': return outMask | d | s | (row.atomic === 'cmpxchg' ? 1 : 0);
    case 'ldabs': return (outMask & ~CALLER_SAVED) | (1 << 6);
    case 'ldind': return (outMask & ~CALLER_SAVED) | (1 << 6) | s;
    case 'jcond': return seeds.predicted.has(insn.pc) ? outMask | d | (x ? s : 0) : outMask;
    case 'call':
      return (outMask & ~CALLER_SAVED) | (row.name === 'CALL_HELPER' ? helperPreciseArgs(insn.imm) : ARGS_MASK);
    case 'callx': return (outMask & ~CALLER_SAVED) | ARGS_MASK | d;
    case 'exit': return !inMain || mainExitChecked ? 1 : 0;
    case 'ja': return outMask;
  }
}

/**
 * Recompute `cfg.precise` given the conditional jumps whose outcome has been
 * predicted so far (one edge skipped) and the register additions that were
 * pointer arithmetic. A state whose exploration is complete only relied on
 * what is already in the sets, so comparing it with the masks computed now
 * is sound. The masks only grow: with `changed`, only the flow from those
 * pcs (whose seeds were added since the last call) is recomputed.
 */
export function updatePrecision(cfg: Cfg, mainExitChecked: boolean, seeds: PrecisionSeeds, changed?: readonly number[]): void {
  const { byPc, precise, subOf, succ } = cfg;
  backwardFlow(cfg, changed, (pc) => {
    const insn = byPc[pc]!;
    const a = succ[pc * 2]!;
    const b = succ[pc * 2 + 1]!;
    const out = (a >= 0 ? precise[a]! : 0) | (b >= 0 ? precise[b]! : 0);
    const inn = preciseUseDef(insn, out, mainExitChecked, subOf[pc] === 0, seeds) & 0x7ff;
    if (inn === precise[pc]) return false;
    precise[pc] = inn;
    return true;
  });
}

/**
 * Solve a backward data-flow problem with a worklist: `update(pc)` recomputes
 * the pc's facts from its successors' and says whether they changed; then its
 * predecessors are revisited. `start` lists the pcs to begin with (default:
 * every instruction).
 */
export function backwardFlow(cfg: Cfg, start: readonly number[] | undefined, update: (pc: number) => boolean): void {
  const { byPc, length, preds } = cfg;
  const queued = new Uint8Array(length);
  const work: number[] = [];
  if (start === undefined) {
    for (let pc = 0; pc < length; pc++) if (byPc[pc] !== undefined) { work.push(pc); queued[pc] = 1; }
  } else {
    for (const pc of start) if (!queued[pc] && byPc[pc] !== undefined) { work.push(pc); queued[pc] = 1; }
  }
  while (work.length > 0) {
    const pc = work.pop()!;
    queued[pc] = 0;
    if (!update(pc)) continue;
    for (const p of preds[pc]!) if (!queued[p]) { queued[p] = 1; work.push(p); }
  }
}
