/**
 * @file Test support: random IR modules that always terminate (forward
 * branches and counted loops), exercising every arithmetic op with edge-case
 * constants, stack and input memory (checked and proven), atomics, helper
 * and bpf-to-bpf calls.
 */
import { Builder } from '../../src/ir/builder.js';
import { createFunc, type Func, type Module } from '../../src/ir/func.js';
import type { Opcode } from '../../src/ir/ops.js';
import {
  asFuncRef, CONDS, RMW_OPS, type Block, type MemKind, type Type, type Value,
} from '../../src/ir/types.js';

/** xorshift32 in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

const SPECIAL = [0n, 1n, 2n, 7n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n,
  0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffen, 63n, 64n, 31n, 32n];

const BINARY: Opcode[] = ['add', 'sub', 'mul', 'udiv', 'sdiv', 'urem', 'srem', 'and', 'or', 'xor', 'shl', 'lshr', 'ashr'];
const UNARY32: Opcode[] = ['neg', 'bswap16', 'bswap32', 'sext8', 'sext16'];
const UNARY64: Opcode[] = ['neg', 'bswap16', 'bswap32', 'bswap64', 'sext8', 'sext16', 'sext32'];

/** Size of the input region the programs address through their context argument. */
export const INPUT_SIZE = 64;

/** A random module; `fault` allows out-of-bounds checked accesses. */
export function randomModule(r: () => number, fault: boolean): Module {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const funcs: Func[] = [];
  const helpers = new Set<number>();
  const hasCallee = r() < 0.3;
  const makeFunc = (name: string, nparams: number, canCall: boolean): Func => {
    const fn = createFunc(name);
    const b = new Builder(fn);
    const nblocks = 1 + Math.floor(r() * 5);
    const blocks: Block[] = [];
    for (let i = 0; i < nblocks; i++) blocks.push(b.newBlock());
    const params: Value[] = [];
    for (let i = 0; i < nparams; i++) params.push(b.param(blocks[0]!, 'i64'));
    for (let i = 1; i < nblocks; i++) { b.param(blocks[i]!, 'i64'); b.param(blocks[i]!, 'i32'); }
    const global: Record<Type, Value[]> = { i64: [], i32: [] };
    b.at(blocks[0]!);
    const ctx = params[0]!;
    const fp = b.value('frame_addr', 'i64', []);
    global.i64.push(...params);
    let pc = 0;
    for (let bi = 0; bi < nblocks; bi++) {
      b.at(blocks[bi]!);
      const pool: Record<Type, Value[]> = { i64: [...global.i64], i32: [...global.i32] };
      if (bi > 0) { pool.i64.push(fn.blocks[blocks[bi]!]!.params[0]!); pool.i32.push(fn.blocks[blocks[bi]!]!.params[1]!); }
      const val = (t: Type): Value => {
        if (pool[t].length === 0 || r() < 0.15) {
          const c = b.iconst(t, r() < 0.7 ? pick(SPECIAL) : BigInt(Math.floor(r() * 2 ** 32)) * BigInt(Math.floor(r() * 2 ** 32)));
          pool[t].push(c);
          return c;
        }
        return pick(pool[t]);
      };
      const add = (t: Type, v: Value): void => { pool[t].push(v); if (bi === 0) global[t].push(v); };
      const count = 3 + Math.floor(r() * 12);
      for (let k = 0; k < count; k++) {
        b.pc = pc++;
        const roll = r();
        const t: Type = r() < 0.5 ? 'i32' : 'i64';
        if (roll < 0.35) add(t, b.binary(pick(BINARY), t, val(t), val(t)));
        else if (roll < 0.45) add(t, b.unary(pick(t === 'i32' ? UNARY32 : UNARY64), t, val(t)));
        else if (roll < 0.5) add('i64', b.unary(r() < 0.5 ? 'zext' : 'sext', 'i64', val('i32')));
        else if (roll < 0.55) add('i32', b.unary('trunc', 'i32', val('i64')));
        else if (roll < 0.62) add('i32', b.icmp(t, pick(CONDS), val(t), val(t)));
        else if (roll < 0.8) {
          // memory: the stack frame or the input region, sometimes out of bounds
          const kinds: MemKind[] = t === 'i64' ? ['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32'] : ['u8', 'u16', 'u32', 's8', 's16'];
          const load = r() < 0.5;
          const kind = load ? pick(kinds) : pick(kinds.filter((k) => k[0] === 'u'));
          const size = kind === 'u64' ? 8 : kind.endsWith('32') ? 4 : kind.endsWith('16') ? 2 : 1;
          const onStack = nparams !== 1 || r() < 0.5;
          let off = onStack ? -8 * (1 + Math.floor(r() * 8)) : Math.floor(r() * (INPUT_SIZE - size + 1));
          const wild = fault && r() < 0.05;
          if (wild) off += onStack ? 600 : 64;
          const base = onStack ? fp : ctx;
          const checked = wild || r() < 0.6;
          if (load) add(t, b.load(t, kind, base, off, checked));
          else b.store(t, kind, val(t), base, off, checked);
        } else if (roll < 0.85) {
          const off = -8 * (1 + Math.floor(r() * 8));
          if (r() < 0.7) add(t, b.rmw(t, pick(RMW_OPS), fp, off, val(t), r() < 0.5));
          else add(t, b.cmpxchg(t, fp, off, val(t), val(t), r() < 0.5));
        } else if (roll < 0.9) {
          helpers.add(1);
          add('i64', b.callHelper(1, [val('i64'), val('i64'), val('i64'), val('i64'), val('i64')]));
        } else if (roll < 0.95 && canCall && hasCallee) {
          add('i64', b.call(asFuncRef(1), [val('i64'), val('i64'), val('i64'), val('i64'), val('i64')]));
        } else {
          add(t, b.unary('copy', t, val(t)));
        }
      }
      b.pc = pc++;
      const later = blocks.slice(bi + 1);
      if (later.length === 0 || r() < 0.15) {
        // combine a few values into r0
        let acc = val('i64');
        for (let k = 0; k < 3; k++) acc = b.binary('xor', 'i64', acc, r() < 0.5 ? val('i64') : b.unary('zext', 'i64', val('i32')));
        b.ret(acc);
      } else if (r() < 0.4) {
        b.jump({ block: pick(later), args: [val('i64'), val('i32')] });
      } else {
        b.brIf(val('i32'), { block: pick(later), args: [val('i64'), val('i32')] }, { block: pick(later), args: [val('i64'), val('i32')] });
      }
    }
    return fn;
  };
  funcs.push(makeFunc('prog', 1, true));
  if (hasCallee) funcs.push(makeFunc('sub', 5, false));
  return { funcs, entry: asFuncRef(0), helpers: [...helpers].sort((a, b) => a - b), maps: [] };
}
