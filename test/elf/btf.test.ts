/**
 * @file BTF decoding and queries on hand-built type sections: every kind,
 * the C-like printer, sizes and offsets, and malformed input (bad ids,
 * cycles, truncation) as typed diagnostics.
 */
import t, { type Test } from 'tap';
import { parseBtf, Btf } from '../../src/elf/index.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { fixture } from './helpers.js';

/** Assemble a BTF blob: `types` are u32 words, `strings` joined with NULs after a leading one. */
function blob(types: number[], strings: string[], little = true): { bytes: Uint8Array; str: (s: string) => number } {
  const offs = new Map<string, number>();
  let text = '\0';
  for (const s of strings) { offs.set(s, text.length); text += `${s}\0`; }
  const strBytes = new TextEncoder().encode(text);
  const out = new Uint8Array(24 + types.length * 4 + strBytes.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, little); v.setUint8(2, 1); v.setUint32(4, 24, little);
  v.setUint32(8, 0, little); v.setUint32(12, types.length * 4, little);
  v.setUint32(16, types.length * 4, little); v.setUint32(20, strBytes.length, little);
  types.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, little));
  out.set(strBytes, 24 + types.length * 4);
  return { bytes: out, str: (s) => offs.get(s)! };
}

const info = (kind: number, vlen = 0, kflag = false): number => ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen;
const NAMES = ['int', 'char', 'pt', 'x', 'y', 'flags', 'e', 'A', 'B', 'fn', 'a', 'b', 'u', 'fw', 'td', 'v', '.data', 'double', 'tag', 'E64', 'BIG', 'tt'];

function allKinds(little: boolean): Btf {
  const { bytes } = blob([], NAMES, little);
  const s = (n: string): number => blob([], NAMES).str(n);
  const w: number[] = [
    /* 1 int */ s('int'), info(1), 4, (1 << 24) | 32,
    /* 2 char */ s('char'), info(1), 1, (2 << 24) | 8,
    /* 3 ptr -> 2 */ 0, info(2), 2,
    /* 4 array of 1 [4], index 1 */ 0, info(3), 0, 1, 1, 4,
    /* 5 struct pt { int x; char *y; int flags:3 } */ s('pt'), info(4, 3, true), 16, s('x'), 1, 0, s('y'), 3, 64, s('flags'), 1, (3 << 24) | 96,
    /* 6 enum e { A = -1, B = 2 } signed */ s('e'), info(6, 2, true), 4, s('A'), -1, s('B'), 2,
    /* 7 func_proto int (int a, struct pt *b) */ 0, info(13, 2), 1, s('a'), 1, s('b'), 9,
    /* 8 func fn */ s('fn'), info(12, 1), 7,
    /* 9 ptr -> 5 */ 0, info(2), 5,
    /* 10 union u { int a; char b; } */ s('u'), info(5, 2), 4, s('a'), 1, 0, s('b'), 2, 0,
    /* 11 fwd union fw */ s('fw'), info(7, 0, true), 0,
    /* 12 typedef td -> const volatile int */ s('td'), info(8), 13,
    /* 13 const -> 14 */ 0, info(10), 14,
    /* 14 volatile -> 1 */ 0, info(9), 1,
    /* 15 restrict -> 3 */ 0, info(11), 3,
    /* 16 var v : td */ s('v'), info(14), 12, 1,
    /* 17 datasec .data */ s('.data'), info(15, 1), 4, 16, 0, 4,
    /* 18 float double */ s('double'), info(16), 8,
    /* 19 decl_tag on fn */ s('tag'), info(17), 8, -1,
    /* 20 type_tag -> 1 */ s('tt'), info(18), 1,
    /* 21 enum64 E64 { BIG = 1 << 40 } */ s('E64'), info(19, 1), 8, s('BIG'), 0, 256,
    /* 22 array of array: int[2][3] */ 0, info(3), 0, 4, 1, 2,
  ];
  const built = blob(w, NAMES, little).bytes;
  void bytes;
  return parseBtf(built, little);
}

for (const little of [true, false]) {
  t.test(`every BTF kind decodes (${little ? 'little' : 'big'}-endian)`, async (t) => {
    const btf = allKinds(little);
    t.equal(btf.types.length, 23);
    t.same(btf.types.map((x) => x.kind), ['void', 'int', 'int', 'ptr', 'array', 'struct', 'enum', 'func_proto', 'func', 'ptr', 'union', 'fwd',
      'typedef', 'const', 'volatile', 'restrict', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64', 'array']);
    t.match(btf.types[1], { name: 'int', size: 4, encoding: 1, bits: 32 });
    t.match(btf.types[5], { members: [{ name: 'x', bitOffset: 0, bitSize: 0 }, { name: 'y', bitOffset: 64 }, { name: 'flags', bitOffset: 96, bitSize: 3 }] });
    t.same((btf.types[6] as { values: unknown }).values, [{ name: 'A', value: -1n }, { name: 'B', value: 2n }]);
    t.same((btf.types[21] as { values: unknown }).values, [{ name: 'BIG', value: 1n << 40n }]);
    t.equal(btf.sizeof(4), 16);
    t.equal(btf.sizeof(22), 32, 'array of 2 int[4]: 2 * sizeof(int[4])');
    t.equal(btf.sizeof(12), 4, 'typedef of qualified int');
    t.equal(btf.sizeof(3), 8);
    t.equal(btf.resolve(12), 1);
    t.equal(btf.memberOffset(5, 'y'), 8);
    t.equal(btf.memberOffset(5, 'flags'), 12);
    t.equal(btf.member(5, 'nope'), undefined);
    t.same(btf.find('pt'), [5]);
    t.equal(btf.format(3), 'char *');
    t.equal(btf.format(9, 'p'), 'struct pt *p');
    t.equal(btf.format(4, 'arr'), 'int arr[4]');
    t.equal(btf.format(22, 'm'), 'int m[2][4]');
    t.equal(btf.format(8), 'int fn(int a, struct pt *b)');
    t.equal(btf.format(15, 'q'), 'char *restrict q');
    t.equal(btf.format(12, 'z'), 'td z');
    t.equal(btf.define(12), 'typedef const volatile int td');
    t.equal(btf.format(11), 'union fw');
    t.equal(btf.format(16), 'td v');
    t.equal(btf.define(5), 'struct pt {\n\tint x;\n\tchar *y;\n\tint flags: 3;\n}');
    t.equal(btf.define(6), 'enum e {\n\tA = -1,\n\tB = 2,\n}');
    t.equal(btf.format(18, 'd'), 'double d');
  });
}

const expectCode = (t: Test, fn: () => unknown, code: string, msg: string): void => {
  try {
    fn();
    t.fail(`${msg}: no error`);
  } catch (e) {
    t.ok(e instanceof DiagnosticError, `${msg}: DiagnosticError`);
    if (e instanceof DiagnosticError) t.equal(e.code, code, `${msg}: ${e.message}`);
  }
};

t.test('malformed BTF gives typed diagnostics', async (t) => {
  const s = (n: string): number => blob([], NAMES).str(n);
  expectCode(t, () => parseBtf(blob([0, info(2), 7], NAMES).bytes, true), 'BTF_BAD_TYPE_ID', 'pointer to a missing type');
  expectCode(t, () => parseBtf(blob([0, info(25), 0], NAMES).bytes, true), 'BTF_BAD_KIND', 'unknown kind');
  expectCode(t, () => parseBtf(blob([0x7fff, info(1), 4, 32], NAMES).bytes, true), 'BTF_BAD_STRING', 'name outside strings');
  expectCode(t, () => parseBtf(blob([s('pt'), info(4, 100), 4], NAMES).bytes, true), 'BTF_TRUNCATED', 'more members than bytes');
  expectCode(t, () => parseBtf(new Uint8Array(10), true), 'BTF_BAD_HEADER', 'short header');
  const bad = blob([0, info(2), 1], NAMES).bytes;
  bad[0] = 0; bad[1] = 0;
  expectCode(t, () => parseBtf(bad, true), 'BTF_BAD_HEADER', 'bad magic');
  // Cycles: typedef a -> typedef b -> typedef a; const -> self.
  const cyc = parseBtf(blob([s('x'), info(8), 2, s('y'), info(8), 1, 0, info(10), 3, 0, info(3), 0, 5, 1, 2, 0, info(3), 0, 4, 1, 2], NAMES).bytes, true);
  expectCode(t, () => cyc.resolve(1), 'BTF_CYCLE', 'typedef cycle');
  expectCode(t, () => cyc.resolve(3), 'BTF_CYCLE', 'self-qualifying const');
  expectCode(t, () => cyc.sizeof(4), 'BTF_CYCLE', 'array of itself');
  expectCode(t, () => cyc.format(3), 'BTF_CYCLE', 'printing a cycle');
  // A pointer cycle is fine: struct list { struct list *next; }.
  const list = parseBtf(blob([s('pt'), info(4, 1), 8, s('y'), 2, 0, 0, info(2), 1], NAMES).bytes, true);
  t.equal(list.define(1), 'struct pt {\n\tstruct pt *y;\n}');
  t.equal(list.sizeof(1), 8);
});

t.test('BTF from clang: func info names and the firewall map types', async (t) => {
  const o = fixture('calls-el.o');
  const btf = o.btf!;
  const fn = btf.find('sum_squares', 'func')[0]!;
  t.equal(btf.format(fn), '__u64 sum_squares(__u64 a, __u64 b)');
  const ds = btf.find('.maps', 'datasec');
  t.same(ds, [], 'no maps in calls.c');
  const x = fixture('xdp_parser-el.o').btf!;
  const key = x.find('flow_key', 'struct')[0]!;
  t.equal(x.define(key), 'struct flow_key {\n\t__u8 family;\n\t__u8 proto;\n\t__u16 dport;\n}');
  t.equal(x.memberOffset(key, 'dport'), 2);
});
