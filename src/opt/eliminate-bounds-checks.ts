/**
 * @file Redundant bounds-check elimination. A checked access that did not
 * fault proves that `[base + lo, base + hi)` lies inside one region (and that
 * the region is writable, for stores and atomics). A later checked access
 * through the same SSA base value whose bytes fall inside an interval proven
 * on every path to it (an "available accesses" forward data-flow problem,
 * intersection at joins) needs no check, and is marked unchecked.
 *
 * Calls (helpers, bpf-to-bpf, indirect) end every proof: a helper may unmap
 * a region (a deleted map element, a released ring-buffer record).
 *
 * Independently of that, an access whose address is `frame_addr` plus
 * constants (through `add`, `sub` and `copy`) and lies inside the 512-byte
 * frame needs no check: the frame is always mapped and writable.
 */

import { reversePostorder } from '../ir/dominators.js';
import { predecessors, type Func, type InstData } from '../ir/func.js';
import { OPS } from '../ir/ops.js';
import { memSize, type Block, type Value } from '../ir/types.js';
import { STACK_SIZE } from '../isa/registers.js';

/** A proven interval: `[base + lo, base + hi)` is inside one region; `write`: a writable one. */
interface Proof {
  readonly base: Value;
  readonly lo: number;
  readonly hi: number;
  readonly write: boolean;
}

const key = (p: Proof): string => `${p.base}:${p.lo}:${p.hi}:${p.write ? 'w' : 'r'}`;

/** Most proofs kept per program point (more are dropped, which is always safe). */
const LIMIT = 64;

function accessOf(inst: InstData): Proof | undefined {
  const off = inst.offset ?? 0;
  switch (inst.op) {
    case 'load': return { base: inst.args[0]!, lo: off, hi: off + memSize(inst.mem!), write: false };
    case 'store': return { base: inst.args[1]!, lo: off, hi: off + memSize(inst.mem!), write: true };
    case 'atomic_rmw': case 'atomic_cmpxchg':
      return { base: inst.args[0]!, lo: off, hi: off + (inst.type === 'i32' ? 4 : 8), write: true };
    default: return undefined;
  }
}

function kills(inst: InstData): boolean {
  return inst.op === 'call' || inst.op === 'call_helper' || inst.op === 'call_indirect';
}

function covered(facts: ReadonlyMap<string, Proof>, a: Proof): boolean {
  for (const p of facts.values()) {
    if (p.base === a.base && p.lo <= a.lo && a.hi <= p.hi && (p.write || !a.write)) return true;
  }
  return false;
}

/** Apply one block's instructions to a fact set; with `rewrite`, clear the checks they make redundant. */
function transfer(fn: Func, b: Block, facts: Map<string, Proof>, rewrite: boolean): void {
  for (const i of fn.blocks[b]!.insts) {
    const inst = fn.insts[i]!;
    if (kills(inst)) { facts.clear(); continue; }
    if (!OPS[inst.op].readsMemory && !OPS[inst.op].writesMemory) continue;
    const a = accessOf(inst);
    if (a === undefined) continue;
    if (rewrite && inst.checked === true && covered(facts, a)) inst.checked = false;
    if (facts.size < LIMIT) facts.set(key(a), a);
  }
}

/** The constant offset of `v` from this function's `frame_addr`, if it is one. */
function frameOffset(fn: Func, v: Value): number | undefined {
  let offset = 0n;
  let cur = v;
  for (let depth = 0; depth < 32; depth++) {
    const d = fn.values[cur]!.def;
    if (d.kind !== 'inst') return undefined;
    const inst = fn.insts[d.inst]!;
    if (inst.op === 'frame_addr') return Number(BigInt.asIntN(64, offset));
    if (inst.op === 'copy') { cur = inst.args[0]!; continue; }
    if (inst.op !== 'add' && inst.op !== 'sub') return undefined;
    const k = fn.values[inst.args[1]!]!.def;
    const kInst = k.kind === 'inst' ? fn.insts[k.inst]! : undefined;
    if (kInst?.op !== 'iconst') return undefined;
    offset = BigInt.asIntN(64, inst.op === 'add' ? offset + kInst.imm! : offset - kInst.imm!);
    if (offset < -4096n || offset > 4096n) return undefined;
    cur = inst.args[0]!;
  }
  return undefined;
}

/** Mark accesses at constant offsets inside the frame unchecked. */
function inFrame(fn: Func): void {
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      const inst = fn.insts[i]!;
      if (inst.checked !== true) continue;
      const a = accessOf(inst);
      if (a === undefined) continue;
      const base = frameOffset(fn, a.base);
      if (base !== undefined && base + a.lo >= -STACK_SIZE && base + a.hi <= 0) inst.checked = false;
    }
  }
}

/** Mark checked accesses made redundant by dominating ones, or inside the frame, unchecked. */
export function eliminateBoundsChecks(fn: Func): void {
  inFrame(fn);
  const order = reversePostorder(fn);
  const preds = predecessors(fn);
  // OUT sets; undefined means "not computed yet" (top: every proof).
  const out = new Map<Block, Map<string, Proof>>();
  const inOf = (b: Block): Map<string, Proof> => {
    if (b === order[0]) return new Map();
    let acc: Map<string, Proof> | undefined;
    for (const p of preds.get(b) ?? []) {
      const o = out.get(p);
      if (o === undefined) continue; // top
      if (acc === undefined) acc = new Map(o);
      else for (const k of [...acc.keys()]) if (!o.has(k)) acc.delete(k);
    }
    return acc ?? new Map();
  };
  let changed = true;
  for (let round = 0; changed && round < 50; round++) {
    changed = false;
    for (const b of order) {
      const facts = inOf(b);
      transfer(fn, b, facts, false);
      const old = out.get(b);
      if (old === undefined || old.size !== facts.size || [...facts.keys()].some((k) => !old.has(k))) {
        out.set(b, facts);
        changed = true;
      }
    }
  }
  if (changed) return; // did not settle: change nothing
  for (const b of order) transfer(fn, b, inOf(b), true);
}
