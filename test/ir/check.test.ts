/**
 * @file The structural checker accepts well-formed IR and rejects each kind of
 * broken IR with a message naming the problem.
 */

import t from 'tap';
import { checkFunc, checkModule } from '../../src/ir/check.js';
import { parseFunc, parseModule } from '../../src/ir/parse.js';
import type { Inst } from '../../src/ir/types.js';

const good = `func f0 "ok" {
b0(v0: i64):
  v1 = iconst.i64 1
  v2 = icmp.i64 ult v0, v1
  br_if v2, b1(v0), b2
b1(v3: i64):
  v4 = add.i64 v3, v1
  jump b2
b2:
  ret v1
}
`;

t.test('well-formed IR passes', async (t) => {
  t.same(checkFunc(parseFunc(good)), []);
});

const broken: [string, string, string][] = [
  ['operand type', 'is i32, expected i64', `func f0 "x" {
b0(v0: i64):
  v1 = trunc v0
  v2 = add.i64 v0, v1
  ret v2
}`],
  ['missing terminator', 'does not end with a terminator', `func f0 "x" {
b0(v0: i64):
  v1 = add.i64 v0, v0
}`],
  ['terminator in the middle', 'terminator in the middle', `func f0 "x" {
b0(v0: i64):
  ret v0
  v1 = add.i64 v0, v0
  ret v1
}`],
  ['use before definition in a block', 'not dominated', `func f0 "x" {
b0(v0: i64):
  v2 = add.i64 v0, v1
  v1 = iconst.i64 1
  ret v2
}`],
  ['use not dominated across blocks', 'not dominated', `func f0 "x" {
b0(v0: i64):
  v1 = trunc v0
  br_if v1, b1, b2
b1:
  v2 = iconst.i64 1
  jump b2
b2:
  ret v2
}`],
  ['branch argument count', 'takes 1 arguments, given 0', `func f0 "x" {
b0(v0: i64):
  jump b1
b1(v1: i64):
  ret v1
}`],
  ['branch argument type', 'b1 expects i64', `func f0 "x" {
b0(v0: i64):
  v1 = trunc v0
  jump b1(v1)
b1(v2: i64):
  ret v2
}`],
  ['entry as a branch target', 'entry block b0 cannot be a branch target', `func f0 "x" {
b0(v0: i64):
  jump b0(v0)
}`],
  ['br_if on an i64', 'is i64, expected i32', `func f0 "x" {
b0(v0: i64):
  br_if v0, b1, b1
b1:
  ret v0
}`],
  ['signed store', 'a store has no signedness', `func f0 "x" {
b0(v0: i64):
  store.i64 s8 v0, [v0]
  ret v0
}`],
  ['load wider than its type', 'u64 does not fit i32', `func f0 "x" {
b0(v0: i64):
  v1 = load.i32 u64 [v0]
  v2 = zext v1
  ret v2
}`],
  ['empty block', 'is empty', `func f0 "x" {
b0(v0: i64):
  jump b1
b1:
}`],
];

for (const [name, message, text] of broken) {
  t.test(`rejects: ${name}`, async (t) => {
    const errors = checkFunc(parseFunc(text));
    t.ok(errors.some((e) => e.includes(message)), `expected "${message}" in:\n${errors.join('\n')}`);
  });
}

t.test('rejects calls that do not match their callee', async (t) => {
  const mod = parseModule(`module entry f0 helpers [] maps []
func f0 "main" {
b0(v0: i64):
  v1 = call f1 (v0)
  v2 = call f2 (v0)
  ret v1
}
func f1 "sub" {
b0(v0: i64, v1: i64):
  ret v0
}
`);
  const errors = checkModule(mod);
  t.ok(errors.some((e) => e.includes('f1 takes 2 arguments, given 1')), errors.join('\n'));
  t.ok(errors.some((e) => e.includes('callee f2 does not exist')), errors.join('\n'));
});

t.test('rejects an instruction placed in two blocks and a result defined elsewhere', async (t) => {
  const fn = parseFunc(good);
  const first = fn.blocks[1]!.insts[0]! as Inst;
  fn.blocks[2]!.insts.unshift(first);
  t.ok(checkFunc(fn).some((e) => e.includes('is in b1 and b2')));
  const fn2 = parseFunc(good);
  fn2.insts[0]!.result = fn2.insts[1]!.result!;
  t.ok(checkFunc(fn2).some((e) => e.includes('not defined by this instruction')));
});
