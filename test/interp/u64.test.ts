/** @file 64/32-bit eBPF arithmetic: edge cases from RFC 9669, and 32-bit ops against JavaScript's own int32 arithmetic. */
import t from 'tap';
import * as u from '../../src/util/u64.js';

const MAX = 0xffffffffffffffffn;
const INT_MIN = 0x8000000000000000n;
const INT32_MIN = 0x80000000n;
const neg = (x: bigint): bigint => BigInt.asUintN(64, -x);

t.test('64-bit wrap-around', async (t) => {
  t.equal(u.add64(MAX, 1n), 0n);
  t.equal(u.sub64(0n, 1n), MAX);
  t.equal(u.mul64(INT_MIN, 2n), 0n);
  t.equal(u.mul64(MAX, MAX), 1n);
  t.equal(u.neg64(INT_MIN), INT_MIN);
  t.equal(u.neg64(1n), MAX);
});

t.test('division and modulo never trap (RFC 9669 §4.1)', async (t) => {
  t.equal(u.divU64(7n, 0n), 0n);
  t.equal(u.modU64(7n, 0n), 7n);
  t.equal(u.divU64(MAX, 2n), 0x7fffffffffffffffn);
  t.equal(u.divS64(INT_MIN, MAX), INT_MIN, 'INT_MIN / -1 = INT_MIN');
  t.equal(u.modS64(INT_MIN, MAX), 0n, 'INT_MIN % -1 = 0');
  t.equal(u.divS64(neg(7n), 2n), neg(3n), 'truncates towards zero');
  t.equal(u.modS64(neg(7n), 2n), neg(1n), 'remainder has the sign of the dividend');
  t.equal(u.modS64(7n, neg(2n)), 1n);
  t.equal(u.divS64(neg(7n), 0n), 0n);
  t.equal(u.modS64(neg(7n), 0n), neg(7n));
  t.equal(u.divS32(INT32_MIN, 0xffffffffn), INT32_MIN, '32-bit INT_MIN / -1');
  t.equal(u.modS32(INT32_MIN, 0xffffffffn), 0n);
  t.equal(u.modS32(neg(10n), 0n), 0xfffffff6n, '32-bit modulo by zero keeps the dividend, zero-extended');
  t.equal(u.modU32(0x1_0000_0007n, 0n), 7n, 'the dividend is truncated to 32 bits');
  t.equal(u.divU32(0x1_0000_0007n, 0x1_0000_0000n), 0n, 'a divisor whose low half is 0 is zero');
});

t.test('shift amounts are masked', async (t) => {
  t.equal(u.lsh64(1n, 64n), 1n);
  t.equal(u.lsh64(1n, 65n), 2n);
  t.equal(u.rsh64(INT_MIN, 127n), 1n);
  t.equal(u.arsh64(INT_MIN, 63n), MAX);
  t.equal(u.lsh32(1n, 60n), 0x10000000n, 'lsh32 by 60 shifts by 28');
  t.equal(u.rsh32(0xffffffff_80000000n, 31n), 1n);
  t.equal(u.arsh32(0x80000000n, 31n), 0xffffffffn, 'arsh32 result is zero-extended');
  t.equal(u.arsh32(0x80000000n, neg(1n)), 0xffffffffn, 'a negative amount is masked to 31');
});

t.test('sign extension and byte order', async (t) => {
  t.equal(u.sext(0x80n, 8), 0xffffffffffffff80n);
  t.equal(u.sext(0x7fn, 8), 0x7fn);
  t.equal(u.sext(0xffff_8000n, 16), 0xffffffffffff8000n);
  t.equal(u.sext(0x1_8000_0000n, 32), 0xffffffff80000000n);
  t.equal(u.sext32(0x80n, 8), 0xffffff80n);
  t.equal(u.fromImm(-1), MAX);
  t.equal(u.fromImm(0x80000000 | 0), 0xffffffff80000000n);
  t.equal(u.fromImm32(-1), 0xffffffffn);
  t.equal(u.bswap16(0x11223344n), 0x4433n);
  t.equal(u.bswap32(0x1122334455667788n), 0x88776655n);
  t.equal(u.bswap64(0x1122334455667788n), 0x8877665544332211n);
  t.equal(u.toLe(0x1122334455667788n, 16), 0x7788n);
  t.equal(u.toLe(0x1122334455667788n, 32), 0x55667788n);
  t.equal(u.toLe(0x1122334455667788n, 64), 0x1122334455667788n);
  t.equal(u.toBe(0x1122334455667788n, 32), 0x88776655n);
});

t.test('comparisons and text', async (t) => {
  t.ok(u.ltS64(MAX, 0n));
  t.notOk(u.ltU64(MAX, 0n));
  t.ok(u.ltS32(0x1_ffffffffn, 0n), 'only the low half counts');
  t.ok(u.ltU32(0x1_00000000n, 1n));
  t.equal(u.toHex(255n), '0xff');
  t.equal(u.parseU64('-1'), MAX);
  t.equal(u.parseU64('0xFFFFFFF6'), 0xfffffff6n);
  t.equal(u.parseU64('-0x1'), MAX);
  t.equal(u.parseU64('nope'), undefined);
});

t.test('32-bit operations agree with JavaScript int32 arithmetic', async (t) => {
  let seed = 99;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const r = seed >>> 8;
    // bias towards edge values
    const edges = [0, 1, -1, 0x7fffffff, -0x80000000, 31, 32, 33];
    return r % 5 === 0 ? edges[r % edges.length]! : ((r << 8) ^ (r * 2654435761)) | 0;
  };
  let mismatches = 0;
  for (let i = 0; i < 5000; i++) {
    const a = next();
    const b = next();
    // the high halves must not matter: put garbage there
    const A = (BigInt(i) << 32n) | BigInt(a >>> 0);
    const B = (BigInt(i * 7 + 3) << 32n) | BigInt(b >>> 0);
    const z = (x: number): bigint => BigInt(x >>> 0);
    const checks: Array<[string, bigint, bigint]> = [
      ['add', u.add32(A, B), z(a + b)],
      ['sub', u.sub32(A, B), z(a - b)],
      ['mul', u.mul32(A, B), z(Math.imul(a, b))],
      ['divU', u.divU32(A, B), z(b === 0 ? 0 : Math.floor((a >>> 0) / (b >>> 0)))],
      ['modU', u.modU32(A, B), z(b === 0 ? a : (a >>> 0) % (b >>> 0))],
      ['divS', u.divS32(A, B), z(b === 0 ? 0 : (a === -0x80000000 && b === -1) ? a : Math.trunc(a / b))],
      ['modS', u.modS32(A, B), z(b === 0 ? a : (b === -1 ? 0 : a % b))],
      ['lsh', u.lsh32(A, B), z(a << (b & 31))],
      ['rsh', u.rsh32(A, B), z(a >>> (b & 31))],
      ['arsh', u.arsh32(A, B), z(a >> (b & 31))],
      ['xor', u.xor32(A, B), z(a ^ b)],
      ['neg', u.neg32(A), z(-a)],
    ];
    for (const [name, got, want] of checks) {
      if (got !== want) { mismatches++; if (mismatches < 5) t.fail(`${name}(${a}, ${b}) = ${got}, expected ${want}`); }
    }
  }
  t.equal(mismatches, 0);
});
