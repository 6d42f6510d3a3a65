/**
 * @file Which stack slots of a function can live in SSA values instead of
 * memory. A forward data-flow analysis tracks, per register, whether it holds
 * the frame address plus a known constant (`r2 = r10; r2 += -16`, clang's way
 * of making a key pointer), and finds every way the frame can be reached other
 * than by a direct `[r10 + off]` access:
 *
 * - a derived pointer used as a memory base, `[r2 + off]`, touches bytes
 *   `k + off ..` of the frame;
 * - a derived pointer passed to a helper exposes `[k, 0)`: helpers read and
 *   write forward from a pointer argument (the kernel's `ARG_PTR_TO_MEM` and
 *   friends);
 * - anything else (a derived pointer stored to memory, passed to a bpf-to-bpf
 *   call or `callx`, returned, or made by other arithmetic and then used, or
 *   pointers that differ between paths) exposes the whole frame.
 *
 * A slot `[r10 + off]` of `size` bytes is promoted when none of its bytes is
 * exposed or touched through a derived pointer, every direct access to its
 * bytes uses the same offset and size, none is atomic, and it lies inside the
 * 512-byte frame. One more condition spans functions: an r10-based access
 * outside its own frame reaches a caller's frame at run time, so when any
 * function makes one, no function promotes anything (`outOfFrame`).
 */

import type { Insn } from '../isa/insn.js';
import { OPCODES } from '../isa/opcodes.js';
import { FP, STACK_SIZE } from '../isa/registers.js';
import { OFF_END, type BcCfg } from './cfg.js';

/** A promotable stack slot: `[r10 + offset]`, `size` bytes. */
export interface Slot {
  readonly offset: number;
  readonly size: 1 | 2 | 4 | 8;
}

/** The result of the frame analysis. */
export interface FrameInfo {
  /** Whether the whole frame is reachable other than by direct r10 accesses (then no slot is promoted). */
  readonly escapes: boolean;
  /**
   * Whether some r10-based access reaches outside the 512-byte frame (into a
   * caller's frame, at run time): then no function of the program may promote
   * slots, since that access could alias one of them.
   */
  readonly outOfFrame: boolean;
  /** Promotable slots, keyed by `slotKey`. */
  readonly slots: ReadonlyMap<string, number>;
  /** The slots, by the index `slots` gives. */
  readonly list: readonly Slot[];
}

/** The key of a slot in `FrameInfo.slots`. */
export function slotKey(offset: number, size: number): string {
  return `${offset}:${size}`;
}

/** The direct r10-based memory access an instruction makes, if any. */
export function frameAccess(insn: Insn): { offset: number; size: 1 | 2 | 4 | 8; atomic: boolean } | undefined {
  const row = OPCODES[insn.op]!;
  switch (row.kind) {
    case 'ldx': return insn.src === FP ? { offset: insn.off, size: row.size!, atomic: false } : undefined;
    case 'st': case 'stx': return insn.dst === FP ? { offset: insn.off, size: row.size!, atomic: false } : undefined;
    case 'atomic': return insn.dst === FP ? { offset: insn.off, size: row.size!, atomic: true } : undefined;
    default: return undefined;
  }
}

/**
 * What a register holds, for this analysis: `null` = not derived from the
 * frame address, a number = frame address + that constant, `'any'` = derived
 * in an unknown way (or different on different paths).
 */
type Ptr = null | number | 'any';
type State = Ptr[];

function join(a: Ptr, b: Ptr): Ptr {
  return a === b ? a : 'any';
}

/** Where the frame is reached other than directly, collected while walking. */
interface Exposure {
  whole: boolean;
  /** Lowest offset a helper may touch from (bytes from here to 0 are exposed). */
  from: number;
  /** Byte ranges touched through derived pointers. */
  touched: [number, number][];
}

/** Apply one instruction to the register state, recording exposures. */
function step(insn: Insn, s: State, ex: Exposure): void {
  const row = OPCODES[insn.op]!;
  const reg = (r: number): Ptr => (r === FP ? 0 : s[r]!);
  const use = (p: Ptr): void => { if (p !== null) ex.whole = true; };
  const base = (p: Ptr, off: number, size: number): void => {
    if (p === null) return;
    if (p === 'any') { ex.whole = true; return; }
    ex.touched.push([p + off, p + off + size]);
  };
  switch (row.kind) {
    case 'alu': {
      const src = row.source === 'X' ? reg(insn.src) : null;
      const dst = reg(insn.dst);
      if (row.alu === 'mov' && row.width === 64) { s[insn.dst] = src; return; }
      if (row.width === 64 && row.source === 'K' && (row.alu === 'add' || row.alu === 'sub') && typeof dst === 'number') {
        s[insn.dst] = row.alu === 'add' ? dst + insn.imm : dst - insn.imm;
        return;
      }
      // Any other arithmetic involving a frame pointer gives one of unknown offset.
      s[insn.dst] = dst !== null || src !== null ? 'any' : null;
      return;
    }
    case 'neg': case 'end':
      if (s[insn.dst] !== null) s[insn.dst] = 'any';
      return;
    case 'lddw': s[insn.dst] = null; return;
    case 'ldx':
      if (insn.src !== FP) base(reg(insn.src), insn.off, row.size!);
      s[insn.dst] = null;
      return;
    case 'st':
      if (insn.dst !== FP) base(reg(insn.dst), insn.off, row.size!);
      return;
    case 'stx': case 'atomic':
      if (insn.dst !== FP) base(reg(insn.dst), insn.off, row.size!);
      use(reg(insn.src)); // storing a frame pointer lets anything reach the frame
      if (row.kind === 'atomic' && row.fetch === true) s[row.atomic === 'cmpxchg' ? 0 : insn.src] = null;
      return;
    case 'ldabs': case 'ldind':
      if (row.kind === 'ldind') use(reg(insn.src));
      s[0] = null;
      return;
    case 'call': case 'callx': {
      const helper = row.name === 'CALL_HELPER';
      if (row.kind === 'callx') use(reg(insn.dst));
      for (let r = 1; r <= 5; r++) {
        const p = reg(r);
        if (p === null) continue;
        if (helper && typeof p === 'number') ex.from = Math.min(ex.from, p);
        else ex.whole = true;
      }
      for (let r = 0; r <= 5; r++) s[r] = null;
      return;
    }
    case 'exit': use(reg(0)); return;
    case 'jcond': case 'ja': return; // comparing pointers reaches nothing
  }
}

/** Analyse the frame of one function. */
export function analyzeFrame(cfg: BcCfg): FrameInfo {
  const ex: Exposure = { whole: false, from: 0, touched: [] };
  // Forward data flow over the blocks: states at block entry, joined over predecessors.
  const entryState = (): State => new Array<Ptr>(11).fill(null);
  const at = new Map<number, State>([[cfg.entry, entryState()]]);
  const work = [cfg.entry];
  const scratch: Exposure = { whole: false, from: 0, touched: [] };
  let budget = 50 * cfg.blocks.size + 100;
  while (work.length > 0 && budget-- > 0) {
    const start = work.pop()!;
    const block = cfg.blocks.get(start)!;
    const s = [...at.get(start)!];
    for (const insn of block.insns) step(insn, s, scratch);
    for (const succ of block.succs) {
      if (succ === OFF_END) continue;
      const old = at.get(succ);
      const next = old === undefined ? [...s] : old.map((p, i) => join(p, s[i]!));
      if (old === undefined || next.some((p, i) => p !== old[i])) {
        at.set(succ, next);
        work.push(succ);
      }
    }
  }
  if (work.length > 0) ex.whole = true; // did not settle: assume the worst
  // Final walk with the settled states, recording what reaches the frame.
  const accesses: { offset: number; size: 1 | 2 | 4 | 8; atomic: boolean }[] = [];
  let outOfFrame = false;
  for (const block of cfg.blocks.values()) {
    const s = [...(at.get(block.start) ?? entryState())];
    for (const insn of block.insns) {
      const a = frameAccess(insn);
      if (a !== undefined) {
        accesses.push(a);
        if (a.offset < -STACK_SIZE || a.offset + a.size > 0) outOfFrame = true;
      }
      step(insn, s, ex);
    }
  }
  for (const [lo, hi] of ex.touched) if (lo < -STACK_SIZE || hi > 0) outOfFrame = true;
  if (ex.whole) return { escapes: true, outOfFrame, slots: new Map(), list: [] };

  // Per byte of the frame, the single (offset, size) that touches it, or conflicts.
  const owner = new Map<number, string>();
  const bad = new Set<string>();
  const exposed = (lo: number, hi: number): boolean => {
    if (hi > ex.from) return true;
    return ex.touched.some(([a, b]) => a < hi && lo < b);
  };
  for (const a of accesses) {
    const key = slotKey(a.offset, a.size);
    if (a.atomic || a.offset < -STACK_SIZE || a.offset + a.size > 0 || exposed(a.offset, a.offset + a.size)) bad.add(key);
    for (let b = a.offset; b < a.offset + a.size; b++) {
      const o = owner.get(b);
      if (o === undefined) owner.set(b, key);
      else if (o !== key) { bad.add(o); bad.add(key); }
    }
  }
  const slots = new Map<string, number>();
  const list: Slot[] = [];
  for (const a of accesses) {
    const key = slotKey(a.offset, a.size);
    if (bad.has(key) || slots.has(key)) continue;
    slots.set(key, list.length);
    list.push({ offset: a.offset, size: a.size });
  }
  return { escapes: false, outOfFrame, slots, list };
}
