/**
 * @file The IR text form: printing what was parsed gives the same text, for a
 * module using every op format; malformed text gives an `IR_PARSE` diagnostic
 * with the line number, never an exception of another kind.
 */

import t from 'tap';
import { DiagnosticError } from '../../src/diag/index.js';
import { checkModule } from '../../src/ir/check.js';
import { OPCODE_NAMES } from '../../src/ir/ops.js';
import { parseFunc, parseModule } from '../../src/ir/parse.js';
import { printFunc, printModule } from '../../src/ir/print.js';

const everyFormat = `module entry f0 helpers [1, 5] maps [0, 3]

func f0 "xdp_prog" pc 0 {
b0(v0: i64, v1: i64):
  v2 = frame_addr
  v3 = iconst.i64 -7
  v4 = iconst.i32 255
  v5 = add.i64 v0, v3
  v6 = trunc v5
  v7 = mul.i32 v6, v4
  v8 = zext v7
  v9 = sext v7
  v10 = neg.i64 v9
  v11 = bswap16.i64 v10
  v12 = bswap64 v11
  v13 = sext32 v12
  v14 = sext8.i32 v6
  v15 = icmp.i64 sle v13, v8
  v16 = icmp.i32 set v14, v4 @3
  store.i64 u64 v3, [v2-8] unchecked @4
  store.i32 u16 v6, [v0+2] @5
  v17 = load.i64 s16 [v0-4] @6
  v18 = load.i32 u8 [v0] unchecked
  v19 = atomic_rmw.i64 xchg [v0+8], v17 @7
  v20 = atomic_rmw.i32 add [v0+4], v18 unchecked @8
  v21 = atomic_cmpxchg.i64 [v0+16], v3, v19 @9
  v22 = map_addr 0
  v23 = map_value_addr 3, 16
  v24 = func_addr f1
  v25 = call_helper 1 (v22, v2)
  v26 = call f1 (v1, v3, v3, v3, v3) @12
  v27 = call_indirect v25 (v1)
  v28 = ld_pkt u32 v0, v3 @14
  br_if v15, b1(v28), b2
b1(v29: i64):
  br_if v16, b2, b3(v29, v26)
b2:
  trap @20
b3(v30: i64, v31: i32):
  ret v30
}

func f1 "sub_30" pc 30 {
b0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64):
  v5 = udiv.i64 v0, v1
  v6 = sdiv.i64 v5, v2
  v7 = urem.i64 v6, v3
  v8 = srem.i64 v7, v4
  v9 = and.i64 v8, v0
  v10 = or.i64 v9, v0
  v11 = xor.i64 v10, v0
  v12 = shl.i64 v11, v1
  v13 = lshr.i64 v12, v1
  v14 = ashr.i64 v13, v1
  v15 = copy.i64 v14
  v16 = bswap32.i64 v15
  v17 = sext16.i64 v16
  v18 = sub.i64 v17, v0
  jump b1
b1:
  ret v18
}
`;

t.test('a module using every op reads back to the same text', async (t) => {
  const mod = parseModule(everyFormat);
  t.equal(printModule(mod), everyFormat);
  const used = new Set(mod.funcs.flatMap((f) => f.insts.map((i) => i.op)));
  t.same(OPCODE_NAMES.filter((op) => !used.has(op)), [], 'the sample covers every op');
});

t.test('the sample is well-formed except for one deliberate type error', async (t) => {
  const errors = checkModule(parseModule(everyFormat));
  t.same(errors.length, 1, errors.join('\n'));
  t.match(errors[0], /argument v26 is i64, b3 expects i32/);
});

t.test('comments and blank lines are ignored; numbers keep their table index', async (t) => {
  const fn = parseFunc(`; a comment
func f0 "x" {   ; trailing

b5(v9: i64):   ; the entry need not be b0
  v12 = iconst.i64 0x10
  ret v12
}`);
  t.equal(printFunc(fn), 'func f0 "x" {\nb5(v9: i64):\n  v12 = iconst.i64 16\n  ret v12\n}\n');
  t.equal(fn.values.length, 13);
});

const bad: [string, RegExp][] = [
  ['func f0 "x" {\nb0:\n  v1 = frobnicate.i64 v0\n}', /line 3: unknown op "frobnicate.i64"/],
  ['func f0 "x" {\nb0(v0: i64):\n  v1 = add v0, v0\n  ret v1\n}', /line 3: add needs a type suffix/],
  ['func f0 "x" {\nb0(v0: i64):\n  ret v7\n}', /line 3: value v7 is never defined/],
  ['func f0 "x" {\nb0(v0: i64):\n  v0 = iconst.i64 1\n  ret v0\n}', /line 3: value v0 is defined twice/],
  ['func f0 "x" {\nb0(v0: i64):\n  jump b4\n}', /block b4 is used but never defined/],
  ['func f0 "x" {\nb0(v0: i64):\n  ret v0\n', /has no closing/],
  ['func f0 "x" {\nb0(v0: i64):\n  v1 = load.i64 u8 [v0*2]\n  ret v1\n}', /line 3: unexpected character "\*"/],
  ['func f0 "x" {\nb0(v0: i64):\n  store.i64 u8 v0, [v0]\n  v2 = ret v0\n}', /line 4: ret has no result/],
  ['func f0 "x" {\nb0(v0: i64):\n  v1 = add.i64 v0, v0 unchecked\n  ret v1\n}', /line 3: add has no run-time check to drop/],
];

for (const [text, message] of bad) {
  t.test(`rejects ${JSON.stringify(text.split('\n')[2] ?? text)}`, async (t) => {
    try {
      parseFunc(text);
      t.fail('parsed');
    } catch (e) {
      t.ok(e instanceof DiagnosticError, String(e));
      t.equal((e as DiagnosticError).code, 'IR_PARSE');
      t.match((e as DiagnosticError).message, message);
    }
  });
}
