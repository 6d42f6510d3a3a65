/**
 * @file 32-bit zero-extension elimination. The lifter turns every 32-bit eBPF
 * operation into `zext(op.i32(trunc a, trunc b))` (RFC 9669 §4.1: 32-bit
 * results are zero-extended), so chains of them are full of `trunc(zext x)`
 * pairs and of `zext(trunc y)` where `y` already has zero upper bits; clang
 * also masks values that are already narrow (`and y, 0xffff` after a 16-bit
 * load). This pass rewrites:
 * - `trunc(zext x)` to `x`;
 * - `zext(trunc y)` to `y` when `y` is known to fit in 32 bits;
 * - `and.T y, 2^n - 1` (either operand order) to `y` when `y` fits in n bits.
 *
 * "Fits in n bits" comes from a small known-width analysis: constants, `zext`
 * (32), unsigned loads and `ld_pkt` (their size), `bswap16/32`, `icmp` (1),
 * `and` (the narrower operand), `or`/`xor` (the wider), `lshr` by a constant,
 * `udiv`/`urem` (the dividend), and block parameters (the widest incoming
 * argument: an optimistic fixpoint, so loop counters qualify).
 */

import { reversePostorder } from '../ir/dominators.js';
import { incomingCalls, replaceUses, type Func, type InstData } from '../ir/func.js';
import { memSigned, memSize, type Value } from '../ir/types.js';

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** The number of low bits outside of which each value is known to be zero (64 or 32 when nothing is known). */
export function knownWidths(fn: Func): Map<Value, number> {
  const order = reversePostorder(fn);
  const incoming = incomingCalls(fn);
  const full = (v: Value): number => (fn.values[v]!.type === 'i32' ? 32 : 64);
  // Optimistic start: every parameter but the entry's is 0 bits wide, then widened until stable.
  const paramWidth = new Map<Value, number>();
  for (const b of order.slice(1)) for (const p of fn.blocks[b]!.params) paramWidth.set(p, 0);
  for (let round = 0; round < 70; round++) {
    const width = new Map<Value, number>(paramWidth);
    const w = (v: Value): number => width.get(v) ?? full(v);
    const constant = (v: Value): bigint | undefined => {
      const d = fn.values[v]!.def;
      if (d.kind !== 'inst') return undefined;
      const i = fn.insts[d.inst]!;
      return i.op === 'iconst' ? i.imm : undefined;
    };
    const of = (inst: InstData): number | undefined => {
      const [a, c] = inst.args;
      switch (inst.op) {
        case 'iconst': return bitLength(inst.imm!);
        case 'copy': return w(a!);
        case 'zext': return w(a!);
        case 'trunc': return Math.min(32, w(a!));
        case 'load': return memSigned(inst.mem!) ? undefined : memSize(inst.mem!) * 8;
        case 'ld_pkt': return memSize(inst.mem!) * 8;
        case 'bswap16': return 16;
        case 'bswap32': return 32;
        case 'icmp': return 1;
        case 'and': return Math.min(w(a!), w(c!));
        case 'or': case 'xor': return Math.max(w(a!), w(c!));
        case 'udiv': case 'urem': return w(a!);
        case 'lshr': {
          const k = constant(c!);
          const bits = inst.type === 'i32' ? 32 : 64;
          return k === undefined ? w(a!) : Math.max(0, w(a!) - Number(k & BigInt(bits - 1)));
        }
        default: return undefined;
      }
    };
    for (const b of order) {
      for (const i of fn.blocks[b]!.insts) {
        const inst = fn.insts[i]!;
        if (inst.result === undefined) continue;
        const x = of(inst);
        if (x !== undefined && x < full(inst.result)) width.set(inst.result, x);
      }
    }
    let changed = false;
    for (const b of order.slice(1)) {
      fn.blocks[b]!.params.forEach((p, idx) => {
        let m = paramWidth.get(p)!;
        for (const call of incoming.get(b) ?? []) m = Math.max(m, w(call.args[idx]!));
        if (m !== paramWidth.get(p)) { paramWidth.set(p, m); changed = true; }
      });
    }
    if (!changed) {
      for (const [v, x] of [...width]) if (x >= full(v)) width.delete(v);
      return width;
    }
  }
  return new Map(); // did not settle (cannot happen: widths only grow, up to 64)
}

/** Remove redundant zero extensions and masks (see the file comment). */
export function eliminateZext(fn: Func): void {
  const widths = knownWidths(fn);
  const width = (v: Value): number => widths.get(v) ?? (fn.values[v]!.type === 'i32' ? 32 : 64);
  const subst = new Map<Value, Value>();
  const defOf = (v: Value): InstData | undefined => {
    const d = fn.values[v]!.def;
    return d.kind === 'inst' ? fn.insts[d.inst] : undefined;
  };
  const mask = (v: Value): number | undefined => {
    const d = defOf(v);
    if (d?.op !== 'iconst') return undefined;
    const n = bitLength(d.imm!);
    return d.imm! === (1n << BigInt(n)) - 1n ? n : undefined;
  };
  for (const b of fn.layout) {
    for (const i of fn.blocks[b]!.insts) {
      const inst = fn.insts[i]!;
      if (inst.op === 'trunc') {
        const d = defOf(inst.args[0]!);
        if (d?.op === 'zext') subst.set(inst.result!, d.args[0]!);
      } else if (inst.op === 'zext') {
        const d = defOf(inst.args[0]!);
        if (d?.op === 'trunc' && width(d.args[0]!) <= 32) subst.set(inst.result!, d.args[0]!);
      } else if (inst.op === 'and') {
        const [a, c] = inst.args as [Value, Value];
        const mc = mask(c);
        const ma = mask(a);
        if (mc !== undefined && width(a) <= mc) subst.set(inst.result!, a);
        else if (ma !== undefined && width(c) <= ma) subst.set(inst.result!, c);
      }
    }
  }
  replaceUses(fn, subst);
}
