/** @file The condition-code table: negation pairs, flag sets and evaluation agree with each other and with the SDM definitions. */
import t from 'tap';
import { CC, CONDS, condFlags, condHolds, FLAG, negate } from '../../src/emit-native-x86/cond.js';

t.test('sixteen conditions, indexed by cc, with distinct suffixes', async (t) => {
  t.equal(CONDS.length, 16);
  CONDS.forEach((c, i) => t.equal(c.cc, i));
  t.equal(new Set(CONDS.map((c) => c.suffix)).size, 16);
});

t.test('negate flips every outcome and only reads the same flags', async (t) => {
  for (let cc = 0; cc < 16; cc++) {
    t.equal(negate(negate(cc)), cc);
    t.equal(condFlags(negate(cc)), condFlags(cc));
    for (let f = 0; f < 32; f++) {
      const flags = (f & 1 ? FLAG.CF : 0) | (f & 2 ? FLAG.PF : 0) | (f & 4 ? FLAG.ZF : 0) | (f & 8 ? FLAG.SF : 0) | (f & 16 ? FLAG.OF : 0);
      t.not(condHolds(cc, flags), condHolds(negate(cc), flags));
    }
  }
});

t.test('a condition depends only on the flags it names', async (t) => {
  const all = [FLAG.CF, FLAG.PF, FLAG.ZF, FLAG.SF, FLAG.OF];
  for (let cc = 0; cc < 16; cc++) {
    for (const other of all.filter((f) => (condFlags(cc) & f) === 0)) {
      let differs = 0;
      for (let f = 0; f < 0x1000; f += 0x41) if (condHolds(cc, f | other) !== condHolds(cc, f & ~other)) differs++;
      t.equal(differs, 0, `${CONDS[cc]!.suffix} ignores 0x${other.toString(16)}`);
    }
  }
});

t.test('after cmp a, b the conditions mean the SDM comparisons', async (t) => {
  // flags of a 8-bit cmp, computed from the definition (SDM "CMP"/"SUB")
  for (let a = 0; a < 256; a += 7) for (let b = 0; b < 256; b += 5) {
    const r = (a - b) & 0xff;
    const sa = (a << 24) >> 24, sb = (b << 24) >> 24;
    const flags = (a < b ? FLAG.CF : 0) | (r === 0 ? FLAG.ZF : 0) | (r & 0x80 ? FLAG.SF : 0) |
      (sa - sb !== ((r << 24) >> 24) ? FLAG.OF : 0);
    const want: [number, boolean][] = [[CC.B, a < b], [CC.AE, a >= b], [CC.BE, a <= b], [CC.A, a > b], [CC.E, a === b],
      [CC.NE, a !== b], [CC.L, sa < sb], [CC.GE, sa >= sb], [CC.LE, sa <= sb], [CC.G, sa > sb]];
    for (const [cc, v] of want) if (condHolds(cc, flags) !== v) t.fail(`cmp ${a}, ${b}: ${CONDS[cc]!.suffix}`);
  }
  t.pass('all comparisons agree');
});
