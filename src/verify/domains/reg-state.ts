/**
 * @file The register-state lattice: what the verifier knows of one register
 * (`struct bpf_reg_state` in `include/linux/bpf_verifier.h`): its type, for
 * pointers a fixed offset plus a variable offset (tnum and bounds), the ids
 * that tie copies together (null checks, packet ranges, linked scalars), and
 * the subsumption test used to prune states (`regsafe`).
 */

import {
  S32_MAX, S32_MIN, S64_MAX, S64_MIN, assignBounds, boundsText, boundsWithin, constBounds, copyBounds, isConst, joinBounds,
  type Bounds,
} from './scalar.js';
import { TNUM_UNKNOWN, U32_MAX, U64_MAX } from './tnum.js';

/** Register types (`enum bpf_reg_type`, with `PTR_MAYBE_NULL` folded into `_or_null` kinds). */
export type RegType =
  | 'not_init' | 'scalar' | 'ctx' | 'stack' | 'packet' | 'packet_end' | 'packet_meta'
  | 'map_value' | 'map_value_or_null' | 'map_ptr' | 'map_ptr_or_null' | 'mem' | 'mem_or_null' | 'func'
  | 'sock' | 'sock_or_null' | 'sock_common' | 'sock_common_or_null' | 'btf_id' | 'btf_id_or_null';

/** One register's abstract value. Mutable: the analysis copies states before changing them. */
export interface Reg extends Bounds {
  type: RegType;
  /** Pointers: fixed offset from the start of the object. */
  off: number;
  /** Null-check group (`_or_null`), packet-range group, or linked-scalar group; 0 = none. */
  id: number;
  /** Packet pointers: bytes proven readable from offset 0 of this id. Memory: its size. */
  range: number;
  /** Map pointers and map values: map index. Function pointers: target pc. */
  map: number;
  /** Reference id for pointers that must be released (ringbuf reservations, sockets); 0 = none. */
  ref: number;
  /** Stack pointers: the frame number they point into. */
  frame: number;
  /** Memory from ringbuf reservations. */
  ringbuf: boolean;
  /** The pc of the instruction that produced this value (-1: program entry). */
  pc: number;
}

/** A register that was never written (`NOT_INIT`). */
export function notInit(): Reg {
  return {
    type: 'not_init', off: 0, id: 0, range: 0, map: -1, ref: 0, frame: 0, ringbuf: false, pc: -1,
    varOff: TNUM_UNKNOWN, smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX,
    s32min: S32_MIN, s32max: S32_MAX, u32min: 0n, u32max: U32_MAX,
  };
}

/** An unknown scalar. */
export function unknownScalar(pc: number): Reg {
  const r = notInit();
  r.type = 'scalar';
  r.pc = pc;
  return r;
}

/** A known scalar. */
export function constScalar(v: bigint, pc: number): Reg {
  const r = notInit();
  assignBounds(r, constBounds(v));
  r.type = 'scalar';
  r.pc = pc;
  return r;
}

/** The bounds of a pointer's variable part when it has none. */
const ZERO = constBounds(0n);

/** A pointer of `type` at fixed offset `off` with no variable part. */
export function pointer(type: RegType, off: number, pc: number, extra: Partial<Reg> = {}): Reg {
  const r = notInit();
  assignBounds(r, ZERO);
  r.type = type; r.off = off; r.pc = pc;
  return Object.assign(r, extra);
}

/** A copy of a register (every field listed, so that all registers share one object shape). */
export function copyReg(r: Reg): Reg {
  return {
    type: r.type, off: r.off, id: r.id, range: r.range, map: r.map, ref: r.ref, frame: r.frame, ringbuf: r.ringbuf, pc: r.pc,
    varOff: r.varOff, smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax,
    s32min: r.s32min, s32max: r.s32max, u32min: r.u32min, u32max: r.u32max,
  };
}

/** Whether the register holds a pointer. */
export function isPointer(r: Reg): boolean {
  return r.type !== 'scalar' && r.type !== 'not_init';
}

/** Whether the type may be null (`type_may_be_null`). */
export function mayBeNull(t: RegType): boolean {
  return t.endsWith('_or_null');
}

/** The type with the `_or_null` flag removed. */
export function nonNull(t: RegType): RegType {
  return (mayBeNull(t) ? t.slice(0, -'_or_null'.length) : t) as RegType;
}

/** Type names as the kernel's log prints them (`reg_type_str`). */
export function typeName(r: Reg): string {
  switch (r.type) {
    case 'not_init': return '?';
    case 'stack': return 'fp';
    case 'packet': return 'pkt';
    case 'packet_end': return 'pkt_end';
    case 'packet_meta': return 'pkt_meta';
    case 'mem': return r.ringbuf ? 'ringbuf_mem' : 'mem';
    case 'mem_or_null': return r.ringbuf ? 'ringbuf_mem_or_null' : 'mem_or_null';
    default: return r.type;
  }
}

/** The register as the kernel's log prints it: `scalar(umax=255,var_off=(0x0; 0xff))`, `map_value(map=0,off=4,vs=8)`. */
export function regText(r: Reg): string {
  if (r.type === 'not_init') return '?';
  if (r.type === 'scalar') {
    if (isConst(r)) return `${BigInt.asIntN(64, r.varOff.value)}`;
    const b = boundsText(r);
    return `scalar(${r.id !== 0 ? `id=${r.id}${b ? ',' : ''}` : ''}${b})`;
  }
  const parts: string[] = [];
  if (r.id !== 0) parts.push(`id=${r.id}`);
  if (r.ref !== 0) parts.push(`ref_obj_id=${r.ref}`);
  if (r.type.startsWith('map_')) parts.push(`map=${r.map}`);
  if (r.off !== 0 || r.type === 'stack') parts.push(`off=${r.off}`);
  if (r.type === 'packet' || r.type === 'packet_meta') parts.push(`r=${r.range}`);
  if (r.type === 'mem' || r.type === 'mem_or_null') parts.push(`sz=${r.range}`);
  if (!isConst(r)) parts.push(boundsText(r));
  return `${typeName(r)}(${parts.join(',')})`;
}

/** Make `r` an unknown scalar produced at `pc`, in place. */
export function markUnknown(r: Reg, pc: number): void {
  assignReg(r, unknownScalar(pc));
}

/** Make `r` a known scalar, in place. */
export function markConst(r: Reg, v: bigint, pc: number): void {
  assignReg(r, constScalar(v, pc));
}

function assignReg(to: Reg, from: Reg): void {
  to.type = from.type; to.off = from.off; to.id = from.id; to.range = from.range; to.map = from.map; to.ref = from.ref;
  to.frame = from.frame; to.ringbuf = from.ringbuf; to.pc = from.pc;
  assignBounds(to, from);
}

/**
 * Id correspondence between an old (explored) state and a new one, as the
 * kernel's `check_ids` keeps it: an old id must always map to the same new id.
 */
export class IdMap {
  /** Pairs recorded so far, `[old0, new0, old1, new1, ...]` up to `used`: a few per comparison, so a linear scan is cheapest. */
  private readonly pairs: number[] = [];
  private used = 0;
  private tmp = -1;
  /** Forget every pair (reuse for the next comparison). */
  reset(): this { this.used = 0; this.tmp = -1; return this; }
  /** A fresh id that matches nothing else (`tmp_id_gen`). */
  fresh(): number { return this.tmp--; }
  /** Record or check `oldId ↔ newId`; false when they contradict earlier pairs. */
  check(oldId: number, newId: number): boolean {
    if (oldId === 0 && newId === 0) return true;
    if (oldId === 0 || newId === 0) return false;
    const p = this.pairs;
    for (let k = 0; k < this.used; k += 2) {
      const o = p[k]!;
      const n = p[k + 1]!;
      if (o === oldId || n === newId) return o === oldId && n === newId;
    }
    p[this.used] = oldId;
    p[this.used + 1] = newId;
    this.used += 2;
    return true;
  }
}

/**
 * Whether every concrete value `cur` may hold is allowed by `old`, so that a
 * path reaching here with `cur` is safe whenever `old`'s path was
 * (`regsafe`). Scalars compare by range inclusion; pointers need the same
 * kind, object and fixed offset, an included variable offset, and (packets)
 * at least the range `old` had.
 */
export function regSafe(old: Reg, cur: Reg, ids: IdMap): boolean {
  if (old.type === 'not_init') return true;
  if (cur.type === 'not_init') return false;
  if (old.type === 'scalar') {
    if (cur.type !== 'scalar') return false;
    if (old.id !== 0 && !ids.check(old.id, cur.id === 0 ? ids.fresh() : cur.id)) return false;
    return boundsWithin(old, cur);
  }
  if (old.type !== cur.type || old.off !== cur.off || old.map !== cur.map || old.frame !== cur.frame) return false;
  if (old.ringbuf !== cur.ringbuf) return false;
  if (!boundsWithin(old, cur)) return false;
  switch (old.type) {
    case 'packet': case 'packet_meta':
      if (cur.range < old.range) return false;
      return ids.check(old.id, cur.id);
    case 'mem': case 'mem_or_null':
      if (cur.range !== old.range) return false;
      break;
    default: break;
  }
  if (mayBeNull(old.type) && !ids.check(old.id, cur.id)) return false;
  if ((old.ref !== 0 || cur.ref !== 0) && !ids.check(old.ref + 1_000_000_000, cur.ref + 1_000_000_000)) return false;
  return true;
}

/** The least register value both registers satisfy, for the per-instruction facts. */
export function joinReg(a: Reg, b: Reg): Reg {
  if (a.type !== b.type || a.off !== b.off || a.map !== b.map) {
    if (a.type === 'not_init' || b.type === 'not_init') return notInit();
    return unknownScalar(-1);
  }
  const r = copyReg(a);
  assignBounds(r, joinBounds(a, b));
  r.range = Math.min(a.range, b.range);
  if (a.id !== b.id) r.id = 0;
  return r;
}

/** A copy of the numeric part of a register. */
export function regBounds(r: Reg): Bounds { return copyBounds(r); }
