/**
 * @file Transfer functions: ALU instructions on scalars and pointers
 * (`check_alu_op`, `adjust_scalar_min_max_vals`, `adjust_ptr_min_max_vals`)
 * and conditional jumps (`check_cond_jmp_op`: `is_branch_taken`,
 * `reg_set_min_max`, null checks by `mark_ptr_or_null_regs`, packet ranges by
 * `find_good_pkt_pointers`), in `kernel/bpf/verifier.c`.
 */

import type { Insn } from '../isa/insn.js';
import type { OpcodeRow } from '../isa/opcodes.js';
import {
  constScalar, copyReg, isPointer, markConst, markUnknown, mayBeNull, nonNull, typeName, type Reg,
} from './domains/reg-state.js';
import {
  S64_MIN, alu32, alu64, assignBounds, branchTaken, byteSwap, copyBounds, isConst, negateCond, neg, refineCond,
  signExtend, syncBounds, truncate, type CondOp, type ScalarOp,
} from './domains/scalar.js';
import { Reject, cloneState, type Frame, type State, type VerifierHooks } from './analyze.js';

const BPF_MAX_VAR_OFF = 1n << 29n;
const MAX_PACKET_OFF = 0xffffn;

const OP_SYM: Record<string, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=', mod: '%=',
  smod: 's%=', xor: '^=', arsh: 's>>=',
};

/** Apply an ALU instruction (`alu`, `neg`, `end` kinds) to the frame's registers. */
export function aluInsn(f: Frame, insn: Insn, row: OpcodeRow, hooks: VerifierHooks): void {
  const pc = insn.pc;
  const regs = f.regs;
  const read = (r: number): Reg => {
    const reg = regs[r]!;
    if (reg.type === 'not_init') throw new Reject('VERIFY_UNINIT_REG', { reg: r }, `R${r} !read_ok`, r, reg);
    return reg;
  };
  if (row.kind === 'neg' || row.kind === 'end') {
    const d = read(insn.dst);
    if (isPointer(d)) {
      markUnknown(d, pc);
      if (row.kind === 'end' || row.width === 32) truncate(d, row.kind === 'end' ? row.size! : 4);
      return;
    }
    if (row.kind === 'neg') neg(d, row.width);
    else byteSwap(d, (row.size! * 8) as 16 | 32 | 64, row.end !== 'le');
    d.id = 0; d.pc = pc;
    return;
  }
  const op = row.alu!;
  if (op === 'mov' || op === 'movsx') {
    if (row.source === 'K') {
      const v = row.width === 32 ? BigInt(insn.imm >>> 0) : BigInt(insn.imm);
      regs[insn.dst] = constScalar(v, pc);
      return;
    }
    const s = read(insn.src);
    if (op === 'mov' && row.width === 64) {
      if (s.type === 'scalar' && s.id === 0 && !isConst(s)) s.id = hooks.allocId();
      regs[insn.dst] = copyReg(s);
      return;
    }
    const d = copyReg(s);
    d.id = 0; d.pc = pc;
    if (isPointer(d)) markUnknown(d, pc);
    if (op === 'movsx') signExtend(d, row.sxBits! / 8);
    if (row.width === 32) truncate(d, 4);
    regs[insn.dst] = d;
    return;
  }
  const d = read(insn.dst);
  const s = row.source === 'X' ? read(insn.src) : constScalar(row.width === 32 ? BigInt(insn.imm >>> 0) : BigInt(insn.imm), pc);
  if (!isPointer(d) && !isPointer(s)) {
    if (row.width === 64) alu64(d, op as ScalarOp, s); else alu32(d, op as ScalarOp, s);
    d.id = 0; d.pc = pc;
    return;
  }
  // pointer arithmetic
  if (row.width === 32) {
    if (op === 'sub') { markUnknown(d, pc); truncate(d, 4); return; }
    throw new Reject('VERIFY_PTR_ARITH', { detail: `32-bit arithmetic on a pointer in r${insn.dst}` }, `R${insn.dst} 32-bit pointer arithmetic prohibited`, insn.dst, d);
  }
  if (isPointer(d) && isPointer(s)) {
    if (op === 'sub') { markUnknown(d, pc); return; }
    throw new Reject('VERIFY_PTR_ARITH', { detail: `r${insn.dst} ${OP_SYM[op]} r${insn.src} combines two pointers` }, `R${insn.dst} pointer ${OP_SYM[op]} pointer prohibited`, insn.dst, d);
  }
  if (!isPointer(d)) {
    if (op !== 'add') {
      if (op === 'sub') throw new Reject('VERIFY_PTR_ARITH', { detail: `r${insn.dst} -= r${insn.src} subtracts a pointer from a number` }, `R${insn.dst} tried to subtract pointer from scalar`, insn.src, s);
      throw new Reject('VERIFY_PTR_ARITH', { detail: `${op} with the pointer in r${insn.src}` }, `R${insn.src} pointer arithmetic with ${OP_SYM[op]} operator prohibited`, insn.src, s);
    }
    regs[insn.dst] = adjustPtr(insn.dst, copyReg(s), d, 'add', pc, hooks);
    return;
  }
  regs[insn.dst] = adjustPtr(insn.dst, d, s, op, pc, hooks);
}

/** `check_reg_sane_offset`. */
function saneOffset(regno: number, off: Reg, ptr: Reg): void {
  const t = typeName(ptr);
  if (isConst(off)) {
    const v = BigInt.asIntN(64, off.varOff.value);
    if (v >= BPF_MAX_VAR_OFF || v <= -BPF_MAX_VAR_OFF) {
      throw new Reject('VERIFY_PTR_ARITH', { detail: `adding ${v} to a ${t} pointer moves it far out of bounds` }, `math between ${t} pointer and ${v} is not allowed`, regno, ptr);
    }
    return;
  }
  if (off.smin === S64_MIN) {
    throw new Reject('VERIFY_PTR_ARITH', { detail: `the offset added to the ${t} pointer in r${regno} has no lower bound; bound it first` }, `math between ${t} pointer and register with unbounded min value is not allowed`, regno, ptr);
  }
  if (off.smin >= BPF_MAX_VAR_OFF || off.smin <= -BPF_MAX_VAR_OFF) {
    throw new Reject('VERIFY_PTR_ARITH', { detail: `the offset ${off.smin} makes the ${t} pointer in r${regno} go out of bounds` }, `value ${off.smin} makes ${t} pointer be out of bounds`, regno, ptr);
  }
}

/** `adjust_ptr_min_max_vals`: pointer ± scalar. */
function adjustPtr(regno: number, ptr: Reg, off: Reg, op: string, pc: number, hooks: VerifierHooks): Reg {
  const t = typeName(ptr);
  if (mayBeNull(ptr.type)) {
    throw new Reject('VERIFY_PTR_ARITH', { detail: `r${regno} may be null (${t}); compare it with 0 before moving it` }, `R${regno} pointer arithmetic on ${t} prohibited, null-check it first`, regno, ptr);
  }
  if (ptr.type === 'map_ptr' || ptr.type === 'packet_end' || ptr.type === 'func' || ptr.type.startsWith('sock') || ptr.type.startsWith('btf_id')) {
    throw new Reject('VERIFY_PTR_ARITH', { detail: `r${regno} is a ${t}, which cannot be moved` }, `R${regno} pointer arithmetic on ${t} prohibited`, regno, ptr);
  }
  if (op !== 'add' && op !== 'sub') {
    if (op === 'and' || op === 'or' || op === 'xor') {
      throw new Reject('VERIFY_PTR_ARITH', { detail: `bitwise ${op} on the pointer in r${regno}` }, `R${regno} bitwise operator ${OP_SYM[op]} on pointer prohibited`, regno, ptr);
    }
    throw new Reject('VERIFY_PTR_ARITH', { detail: `${op} on the pointer in r${regno}` }, `R${regno} pointer arithmetic with ${OP_SYM[op]} operator prohibited`, regno, ptr);
  }
  saneOffset(regno, off, ptr);
  saneOffset(regno, ptr, ptr);
  const r = copyReg(ptr);
  r.pc = pc;
  if (isConst(off)) {
    const v = Number(BigInt.asIntN(64, off.varOff.value));
    r.off = op === 'add' ? ptr.off + v : ptr.off - v;
  } else {
    if (op === 'add') alu64(r, 'add', off); else alu64(r, 'sub', off);
    if (r.type === 'packet' || r.type === 'packet_meta') { r.id = hooks.allocId(); r.range = 0; }
  }
  if (r.off >= Number(BPF_MAX_VAR_OFF) || r.off <= -Number(BPF_MAX_VAR_OFF)) {
    throw new Reject('VERIFY_PTR_ARITH', { detail: `the ${t} pointer in r${regno} moves out of bounds` }, `value ${r.off} makes ${t} pointer be out of bounds`, regno, ptr);
  }
  return r;
}

/** One outgoing edge of a conditional jump. */
export interface Edge { readonly taken: boolean; readonly state: State }

function forEachReg(st: State, fn: (r: Reg) => void): void {
  for (const fr of st.frames) {
    for (const r of fr.regs) fn(r);
    for (const r of fr.stack.spills) if (r !== undefined) fn(r);
  }
}

/** `sync_linked_regs`: give every scalar with the same id the refined bounds. */
function syncLinked(st: State, reg: Reg): void {
  if (reg.id === 0 || reg.type !== 'scalar') return;
  forEachReg(st, (r) => { if (r !== reg && r.type === 'scalar' && r.id === reg.id) assignBounds(r, copyBounds(reg)); });
}

/** `mark_ptr_or_null_regs`: after `ptr == 0` / `ptr != 0`, every copy becomes 0 or non-null. */
function markNull(st: State, id: number, isNull: boolean, pc: number): void {
  let released = 0;
  forEachReg(st, (r) => {
    if (r.id !== id || !mayBeNull(r.type)) return;
    if (isNull) { if (r.ref !== 0) released = r.ref; markConst(r, 0n, pc); }
    else r.type = nonNull(r.type);
  });
  if (released !== 0) st.refs = st.refs.filter((x) => x.id !== released);
}

/** `find_good_pkt_pointers`: every copy of `pkt` learns that `off` bytes are in the packet. */
function goodPkt(st: State, pkt: Reg, rightOpen: boolean): void {
  if (pkt.off < 0 || (pkt.off === 0 && rightOpen)) return;
  if (pkt.umax > MAX_PACKET_OFF || pkt.umax + BigInt(pkt.off) > MAX_PACKET_OFF) return;
  const range = pkt.off + (rightOpen ? 1 : 0);
  forEachReg(st, (r) => { if (r.type === pkt.type && r.id === pkt.id && r.range < range) r.range = range; });
}

/** Registers that are never null when they are of this type (`reg_not_null`). */
function notNull(r: Reg): boolean {
  return r.type === 'map_value' || r.type === 'mem' || r.type === 'sock' || r.type === 'sock_common';
}

/** Process a conditional jump; returns the feasible edges with their states. */
export function condJump(f: Frame, insn: Insn, row: OpcodeRow, hooks: VerifierHooks, st: State): Edge[] {
  void hooks;
  const read = (r: number): Reg => {
    const reg = f.regs[r]!;
    if (reg.type === 'not_init') throw new Reject('VERIFY_UNINIT_REG', { reg: r }, `R${r} !read_ok`, r, reg);
    return reg;
  };
  const dst = read(insn.dst);
  const srcIsReg = row.source === 'X';
  const src = srcIsReg ? read(insn.src) : constScalar(BigInt(insn.imm), insn.pc);
  const cond = row.cond! as CondOp;
  const is32 = row.width === 32;
  const frameNo = st.frames.length - 1;
  const regIn = (s: State, isDst: boolean): Reg => (isDst || srcIsReg ? s.frames[frameNo]!.regs[isDst ? insn.dst : insn.src]! : copyReg(src));

  if (dst.type === 'scalar' && src.type === 'scalar') {
    const t = branchTaken(dst, src, cond, is32);
    if (t === 1) return [{ taken: true, state: st }];
    if (t === 0) return [{ taken: false, state: st }];
    const other = cloneState(st);
    const edges: Edge[] = [];
    for (const [state, c, taken] of [[other, cond, true], [st, negateCond(cond), false]] as const) {
      const a = regIn(state, true);
      const b = regIn(state, false);
      if (!refineCond(a, b, c, is32)) continue;
      syncLinked(state, a);
      if (srcIsReg) syncLinked(state, b);
      edges.push({ taken, state });
    }
    return edges;
  }

  // pointer compared with NULL
  const zero = (r: Reg): boolean => r.type === 'scalar' && isConst(r) && r.varOff.value === 0n;
  if ((cond === 'jeq' || cond === 'jne') && !is32 && (zero(src) !== zero(dst))) {
    const ptr = zero(src) ? dst : src;
    if (isPointer(ptr)) {
      if (mayBeNull(ptr.type)) {
        const other = cloneState(st);
        markNull(other, ptr.id, cond === 'jeq', insn.pc);
        markNull(st, ptr.id, cond === 'jne', insn.pc);
        return [{ taken: true, state: other }, { taken: false, state: st }];
      }
      if (notNull(ptr)) return [{ taken: cond === 'jne', state: st }];
    }
  }

  // packet pointer against its end (or meta against data)
  if (!is32 && isPointer(dst) && isPointer(src)) {
    const pktVsEnd = (a: Reg, b: Reg): boolean =>
      (a.type === 'packet' && b.type === 'packet_end') || (a.type === 'packet_meta' && b.type === 'packet');
    const other = cloneState(st);
    const dstT = other.frames[frameNo]!.regs[insn.dst]!;
    const srcT = other.frames[frameNo]!.regs[insn.src]!;
    const dstF = dst;
    const srcF = src;
    if (pktVsEnd(dst, src)) {
      switch (cond) {
        case 'jgt': goodPkt(st, dstF, false); break;    // pkt' > end: fall-through has pkt' <= end
        case 'jlt': goodPkt(other, dstT, true); break;  // pkt' < end: taken
        case 'jge': goodPkt(st, dstF, true); break;     // pkt' >= end: fall-through has pkt' < end
        case 'jle': goodPkt(other, dstT, false); break; // pkt' <= end: taken
        default: break;
      }
    } else if (pktVsEnd(src, dst)) {
      switch (cond) {
        case 'jgt': goodPkt(other, srcT, true); break;  // end > pkt'
        case 'jlt': goodPkt(st, srcF, false); break;    // end < pkt': fall-through has end >= pkt'
        case 'jge': goodPkt(other, srcT, false); break; // end >= pkt'
        case 'jle': goodPkt(st, srcF, true); break;     // end <= pkt': fall-through has end > pkt'
        default: break;
      }
    }
    return [{ taken: true, state: other }, { taken: false, state: st }];
  }
  return [{ taken: true, state: cloneState(st) }, { taken: false, state: st }];
}

export { syncBounds };
