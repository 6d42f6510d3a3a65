/**
 * @file Property tests of the abstract domains on random values: every
 * transfer function keeps every concrete result (soundness), joins are upper
 * bounds, refinement keeps the values that satisfy the condition, and the
 * stack tracks spills, fills and initialisation per byte.
 */

import t from 'tap';
import {
  TNUM_UNKNOWN, tnumAdd, tnumAnd, tnumArshift, tnumConst, tnumContains, tnumIntersect, tnumLshift, tnumMul, tnumOr,
  tnumRange, tnumRshift, tnumSub, tnumUnion, tnumXor, type Tnum,
} from '../../src/verify/domains/tnum.js';
import {
  alu32, alu64, boundsContain, boundsWithin, branchTaken, constBounds, copyBounds, joinBounds, negateCond, refineCond,
  signExtend, syncBounds, truncate, unknownBounds, type Bounds, type CondOp, type ScalarOp,
} from '../../src/verify/domains/scalar.js';
import { IdMap, constScalar, joinReg, pointer, regSafe, unknownScalar } from '../../src/verify/domains/reg-state.js';
import { ByteKind, StackState, stackSafe } from '../../src/verify/domains/stack-state.js';

// a small deterministic PRNG (xorshift64*)
let seed = 0x9e3779b97f4a7c15n;
function rnd64(): bigint {
  seed ^= seed >> 12n; seed ^= (seed << 25n) & 0xffff_ffff_ffff_ffffn; seed ^= seed >> 27n;
  return (seed * 0x2545f4914f6cdd1dn) & 0xffff_ffff_ffff_ffffn;
}
const EDGES = [0n, 1n, 2n, 7n, 8n, 255n, 256n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x1_0000_0000n,
  0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_fff0n];
/** A random value, biased towards small numbers and edges. */
function val(): bigint {
  const k = Number(rnd64() % 6n);
  if (k === 0) return EDGES[Number(rnd64() % BigInt(EDGES.length))]!;
  if (k === 1) return rnd64() % 64n;
  if (k === 2) return (0xffff_ffff_ffff_ffffn - (rnd64() % 64n));
  if (k === 3) return rnd64() & 0xffffn;
  if (k === 4) return rnd64() & 0xffff_ffffn;
  return rnd64();
}
/** A random set of concrete values and the bounds built from them (the smallest sync'd bounds holding them). */
function sample(n = 4): { vals: bigint[]; b: Bounds } {
  const vals = Array.from({ length: 1 + Number(rnd64() % BigInt(n)) }, val);
  let b = constBounds(vals[0]!);
  for (const v of vals.slice(1)) b = joinBounds(b, constBounds(v));
  return { vals, b };
}
function tnumOf(vals: bigint[]): Tnum {
  let t0 = tnumConst(vals[0]!);
  for (const v of vals.slice(1)) t0 = tnumUnion(t0, tnumConst(v));
  return t0;
}

const M = 0xffff_ffff_ffff_ffffn;
const CONCRETE: Record<ScalarOp, (a: bigint, b: bigint) => bigint> = {
  add: (a, b) => (a + b) & M, sub: (a, b) => (a - b) & M, mul: (a, b) => (a * b) & M,
  div: (a, b) => (b === 0n ? 0n : a / b), sdiv: (a, b) => (b === 0n ? 0n : BigInt.asUintN(64, BigInt.asIntN(64, a) / BigInt.asIntN(64, b))),
  mod: (a, b) => (b === 0n ? a : a % b), smod: (a, b) => (b === 0n ? a : BigInt.asUintN(64, BigInt.asIntN(64, a) % BigInt.asIntN(64, b))),
  and: (a, b) => a & b, or: (a, b) => a | b, xor: (a, b) => a ^ b,
  lsh: (a, b) => (a << (b & 63n)) & M, rsh: (a, b) => a >> (b & 63n), arsh: (a, b) => BigInt.asUintN(64, BigInt.asIntN(64, a) >> (b & 63n)),
};
const lo32 = (x: bigint): bigint => x & 0xffff_ffffn;
const CONCRETE32: Record<ScalarOp, (a: bigint, b: bigint) => bigint> = {
  add: (a, b) => lo32(a + b), sub: (a, b) => lo32(a - b), mul: (a, b) => lo32(a * b),
  div: (a, b) => (lo32(b) === 0n ? 0n : lo32(a) / lo32(b)),
  sdiv: (a, b) => (lo32(b) === 0n ? 0n : lo32(BigInt.asIntN(32, a) / BigInt.asIntN(32, b))),
  mod: (a, b) => (lo32(b) === 0n ? lo32(a) : lo32(a) % lo32(b)),
  smod: (a, b) => (lo32(b) === 0n ? lo32(a) : lo32(BigInt.asIntN(32, a) % BigInt.asIntN(32, b))),
  and: (a, b) => lo32(a & b), or: (a, b) => lo32(a | b), xor: (a, b) => lo32(a ^ b),
  lsh: (a, b) => lo32(a << (b & 31n)), rsh: (a, b) => lo32(a) >> (b & 31n), arsh: (a, b) => lo32(BigInt.asIntN(32, a) >> (b & 31n)),
};

t.test('tnum operations contain every concrete result', (t) => {
  const ops: [string, (a: Tnum, b: Tnum) => Tnum, (a: bigint, b: bigint) => bigint][] = [
    ['add', tnumAdd, CONCRETE.add], ['sub', tnumSub, CONCRETE.sub], ['mul', tnumMul, CONCRETE.mul],
    ['and', tnumAnd, CONCRETE.and], ['or', tnumOr, CONCRETE.or], ['xor', tnumXor, CONCRETE.xor],
  ];
  let bad = 0;
  for (let i = 0; i < 400; i++) {
    const xs = Array.from({ length: 3 }, val);
    const ys = Array.from({ length: 3 }, val);
    const a = tnumOf(xs); const b = tnumOf(ys);
    for (const [name, f, c] of ops) for (const x of xs) for (const y of ys) {
      if (!tnumContains(f(a, b), c(x, y))) { bad++; t.fail(`${name} ${x} ${y}`); }
    }
    const s = Number(rnd64() % 64n);
    for (const x of xs) {
      if (!tnumContains(tnumLshift(a, s), (x << BigInt(s)) & M)) bad++;
      if (!tnumContains(tnumRshift(a, s), x >> BigInt(s))) bad++;
      if (!tnumContains(tnumArshift(a, s, 64), CONCRETE.arsh(x, BigInt(s)))) bad++;
    }
    const [lo, hi] = xs[0]! < xs[1]! ? [xs[0]!, xs[1]!] : [xs[1]!, xs[0]!];
    const r = tnumRange(lo, hi);
    if (!tnumContains(r, lo) || !tnumContains(r, hi)) bad++;
    if (!tnumContains(tnumIntersect(a, TNUM_UNKNOWN), xs[0]!)) bad++;
  }
  t.equal(bad, 0, 'no concrete result outside the abstract one');
  t.end();
});

t.test('syncBounds keeps every member', (t) => {
  let bad = 0;
  for (let i = 0; i < 500; i++) {
    const { vals, b } = sample(5);
    const c = copyBounds(b);
    syncBounds(c);
    for (const v of vals) if (!boundsContain(c, v)) bad++;
  }
  t.equal(bad, 0);
  t.end();
});

t.test('64- and 32-bit ALU transfer functions are sound', (t) => {
  const ops: ScalarOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'and', 'or', 'xor', 'lsh', 'rsh', 'arsh'];
  let bad = 0; let checks = 0;
  for (let i = 0; i < 300; i++) {
    for (const op of ops) {
      const a = sample(3);
      const b = (op === 'lsh' || op === 'rsh' || op === 'arsh') ? (() => { const v = rnd64() % 64n; return { vals: [v], b: constBounds(v) }; })() : sample(3);
      const d64 = copyBounds(a.b); alu64(d64, op, b.b);
      const d32 = copyBounds(a.b);
      const b32 = (op === 'lsh' || op === 'rsh' || op === 'arsh') ? constBounds(b.vals[0]! & 31n) : b.b;
      alu32(d32, op, b32);
      for (const x of a.vals) for (const y of b.vals) {
        checks++;
        if (!boundsContain(d64, CONCRETE[op](x, y))) { bad++; t.fail(`${op} ${x} ${y}`); }
        const y32 = (op === 'lsh' || op === 'rsh' || op === 'arsh') ? y & 31n : y;
        if (!boundsContain(d32, CONCRETE32[op](x, y32))) { bad++; t.fail(`${op}32 ${x} ${y32}`); }
      }
    }
  }
  t.equal(bad, 0, `${checks} checks`);
  t.end();
});

t.test('truncation and sign extension are sound', (t) => {
  let bad = 0;
  for (let i = 0; i < 300; i++) {
    const { vals, b } = sample(4);
    for (const size of [1, 2, 4]) {
      const m = (1n << BigInt(size * 8)) - 1n;
      const z = copyBounds(b); truncate(z, size);
      const s = copyBounds(b); signExtend(s, size);
      for (const v of vals) {
        if (!boundsContain(z, v & m)) bad++;
        if (!boundsContain(s, BigInt.asUintN(64, BigInt.asIntN(size * 8, v)))) bad++;
      }
    }
  }
  t.equal(bad, 0);
  t.end();
});

const CONDS: CondOp[] = ['jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle', 'jset', 'jnset'];
function holds(op: CondOp, x0: bigint, y0: bigint, is32: boolean): boolean {
  const x = is32 ? lo32(x0) : x0; const y = is32 ? lo32(y0) : y0;
  const bits = is32 ? 32 : 64;
  const sx = BigInt.asIntN(bits, x); const sy = BigInt.asIntN(bits, y);
  switch (op) {
    case 'jeq': return x === y; case 'jne': return x !== y;
    case 'jgt': return x > y; case 'jge': return x >= y; case 'jlt': return x < y; case 'jle': return x <= y;
    case 'jsgt': return sx > sy; case 'jsge': return sx >= sy; case 'jslt': return sx < sy; case 'jsle': return sx <= sy;
    case 'jset': return (x & y) !== 0n; case 'jnset': return (x & y) === 0n;
  }
}

t.test('branch prediction and refinement keep the satisfying values', (t) => {
  let bad = 0; let refined = 0;
  for (let i = 0; i < 300; i++) {
    for (const op of CONDS) for (const is32 of [false, true]) {
      const a = sample(3);
      const b = rnd64() % 2n === 0n ? sample(3) : (() => { const v = val(); return { vals: [v], b: constBounds(v) }; })();
      const taken = branchTaken(a.b, b.b, op, is32);
      for (const x of a.vals) for (const y of b.vals) {
        const h = holds(op, x, y, is32);
        if ((taken === 1 && !h) || (taken === 0 && h)) { bad++; t.fail(`predicted ${taken} for ${op}${is32 ? '32' : ''} ${x} ${y}`); }
      }
      for (const c of [op, negateCond(op)]) {
        const ra = copyBounds(a.b); const rb = copyBounds(b.b);
        const feasible = refineCond(ra, rb, c, is32);
        for (const x of a.vals) for (const y of b.vals) {
          if (!holds(c, x, y, is32)) continue;
          refined++;
          if (!feasible || !boundsContain(ra, x) || !boundsContain(rb, y)) { bad++; t.fail(`refine ${c}${is32 ? '32' : ''} lost ${x} ${y}`); }
        }
      }
    }
  }
  t.equal(bad, 0, `${refined} satisfying pairs kept`);
  t.end();
});

t.test('join is an upper bound and subsumption follows it', (t) => {
  let bad = 0;
  for (let i = 0; i < 300; i++) {
    const a = sample(3); const b = sample(3);
    const j = joinBounds(a.b, b.b);
    if (!boundsWithin(j, a.b) || !boundsWithin(j, b.b)) bad++;
    for (const v of [...a.vals, ...b.vals]) if (!boundsContain(j, v)) bad++;
    // a chain of joins reaches a fixed point: joining again changes nothing
    const jj = joinBounds(j, a.b);
    if (!boundsWithin(j, jj) || !boundsWithin(jj, j)) bad++;
    const ra = { ...unknownScalar(0), ...a.b };
    const rb = { ...unknownScalar(0), ...b.b };
    const rj = joinReg(ra, rb);
    if (!regSafe(rj, ra, new IdMap()) || !regSafe(rj, rb, new IdMap())) bad++;
  }
  t.equal(bad, 0);
  t.ok(!regSafe(constScalar(1n, 0), constScalar(2n, 0), new IdMap()), 'a different constant is not subsumed');
  t.ok(!regSafe(pointer('map_value', 0, 0, { map: 0 }), pointer('map_value', 4, 0, { map: 0 }), new IdMap()), 'pointers need the same offset');
  t.ok(regSafe(pointer('packet', 0, 0, { range: 8 }), pointer('packet', 0, 0, { range: 14 }), new IdMap()), 'a larger packet range is safe');
  t.ok(!regSafe(pointer('packet', 0, 0, { range: 14 }), pointer('packet', 0, 0, { range: 8 }), new IdMap()), 'a smaller packet range is not');
  t.ok(regSafe(unknownScalar(0), constScalar(5n, 0), new IdMap()), 'unknown subsumes a constant');
  t.end();
});

t.test('stack bytes: spills, fills, partial overwrites and initialisation', (t) => {
  const s = new StackState();
  t.equal(s.firstInvalid(-8, 8), -8, 'fresh stack is uninitialised');
  const p = pointer('map_value', 0, 3, { map: 1 });
  s.spill(-16, p);
  t.equal(s.spilledAt(-16, 8)?.type, 'map_value', 'fill gives the pointer back');
  s.writeMisc(-12, 4, false);
  t.equal(s.spilledAt(-16, 8), undefined, 'a partial overwrite breaks the spill');
  t.equal(s.kinds[512 - 16], ByteKind.MISC, 'the rest of the slot becomes misc');
  s.writeMisc(-24, 8, true);
  t.ok(s.allZero(-24, 8), 'zero stores are tracked');
  t.equal(s.firstInvalid(-24, 16), undefined, 'written bytes are initialised');
  t.equal(s.firstInvalid(-32, 16), -32, 'first uninitialised byte reported');
  const c = s.clone();
  t.ok(stackSafe(s, c, new IdMap()), 'a stack subsumes its copy');
  c.writeMisc(-40, 8, false);
  t.ok(stackSafe(s, c, new IdMap()), 'more initialised bytes are still safe');
  t.notOk(stackSafe(c, s, new IdMap()), 'fewer initialised bytes are not');
  t.end();
});
