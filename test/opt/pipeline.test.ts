/**
 * @file The pass table and pipeline: ordering constraints hold and are
 * enforced, levels select passes, dumps appear after the named passes, and an
 * unknown pass name is a typed diagnostic.
 */

import t from 'tap';
import { DiagnosticError } from '../../src/diag/index.js';
import type { Module } from '../../src/ir/func.js';
import { parseFunc } from '../../src/ir/parse.js';
import { checkOrder, ORDER, PASSES, passesFor, runPipeline } from '../../src/opt/pipeline.js';

const text = `func f0 "p" {
b0(v0: i64):
  v1 = iconst.i64 2
  v2 = iconst.i64 3
  v3 = add.i64 v1, v2
  v4 = copy.i64 v3
  v5 = icmp.i64 ult v4, v0
  br_if v5, b1, b2
b1:
  ret v4
b2:
  ret v0
}
`;

const moduleOf = (): Module => ({ funcs: [parseFunc(text)], entry: 0 as Module['entry'], helpers: [], maps: [] });

t.test('the table satisfies its ordering constraints, and a reordered one does not', async (t) => {
  t.same(checkOrder(PASSES), []);
  const reversed = [...PASSES].reverse();
  t.ok(checkOrder(reversed).length > 0);
  t.ok(ORDER.length > 0);
});

t.test('levels select passes', async (t) => {
  t.ok(passesFor(0).every((p) => p.required));
  t.ok(passesFor(1).length < passesFor(2).length);
  t.ok(passesFor(2).some((p) => p.name === 'eliminate-bounds-checks'));
  t.notOk(passesFor(1).some((p) => p.name === 'eliminate-bounds-checks'));
});

t.test('dumps come after the named passes', async (t) => {
  const titles: string[] = [];
  const texts: string[] = [];
  runPipeline(moduleOf(), { level: 2, checkIR: true, dumpAfter: ['lift', 'fold-constants'], dump: (title, body) => { titles.push(title); texts.push(body); } });
  t.same(titles, ['lift f0', 'after fold-constants f0', 'after fold-constants f0']);
  t.match(texts[1], /v3 = iconst.i64 5/);
  t.notMatch(texts[0], /iconst.i64 5/);
});

t.test('an unknown pass name is a diagnostic', async (t) => {
  try {
    runPipeline(moduleOf(), { dumpAfter: ['nope'] });
    t.fail('accepted an unknown pass');
  } catch (e) {
    t.ok(e instanceof DiagnosticError && e.code === 'IR_UNKNOWN_PASS', String(e));
  }
});

t.test('optimising at -O2 gives the expected result for the sample', async (t) => {
  const mod = moduleOf();
  runPipeline(mod, { level: 2, checkIR: true });
  const fn = mod.funcs[0]!;
  const live = fn.layout.flatMap((b) => fn.blocks[b]!.insts.map((i) => fn.insts[i]!.op));
  t.notOk(live.includes('copy'), 'copies are gone');
  t.notOk(live.includes('add'), 'the constant sum is folded');
});
