/** @file Tests of LEB128 and the module builder: every module validates with wabt and runs in V8. */
import t from 'tap';
import { readSleb, readUleb, sleb, uleb } from '../../src/util/leb128.js';
import { Code, ValType, W } from '../../src/emit-wasm/encode.js';
import { ModuleBuilder } from '../../src/emit-wasm/module.js';
import { toWat, validateWasm } from '../../src/emit-wasm/wat.js';
import { Wasm, instantiate } from './wasm-api.js';

t.test('leb128 round-trips and matches the specification examples', async (t) => {
  // Examples from the DWARF/WebAssembly descriptions of LEB128.
  t.same(uleb(624485), [0xe5, 0x8e, 0x26]);
  t.same(sleb(-123456), [0xc0, 0xbb, 0x78]);
  t.same(sleb(-1), [0x7f]);
  t.same(sleb(63), [0x3f]);
  t.same(sleb(64), [0xc0, 0x00]);
  let seed = 12345;
  const rnd = (): bigint => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const bits = BigInt(seed % 64);
    return BigInt.asIntN(64, (BigInt(seed) * 0x9e3779b97f4a7c15n) >> (64n - bits));
  };
  const bad: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const v = rnd();
    const s = Uint8Array.from(sleb(v));
    if (readSleb(s, 0)?.value !== v) bad.push(`sleb ${v}`);
    const u = BigInt.asUintN(64, v);
    const e = Uint8Array.from(uleb(u));
    const back = readUleb(e, 0);
    if (back?.value !== u || back.next !== e.length) bad.push(`uleb ${u}`);
  }
  t.same(bad, [], 'random values round-trip');
  t.equal(readUleb(Uint8Array.of(0x80), 0), undefined, 'truncated');
});

t.test('a module using every section validates and runs', async (t) => {
  const m = new ModuleBuilder();
  m.moduleName = 'test';
  const tHelper = m.type([ValType.i64, ValType.i64], [ValType.i64]);
  const tUnary = m.type([ValType.i64], [ValType.i64]);
  t.equal(m.type([ValType.i64], [ValType.i64]), tUnary, 'types are deduplicated');
  const helper = m.importFunc('bpf_helpers', 'add', tHelper);
  m.importMemory('env', 'memory', { min: 1 });
  const g = m.addGlobal(ValType.i64, true, -5n);
  const double = m.declareFunc(tUnary, 'double');
  const main = m.declareFunc(tUnary, 'main');
  const init = m.declareFunc(m.type([], []), 'init');
  m.defineTable({ min: 2, max: 2 });
  m.addElements(0, [double, main]);
  m.addData(16, Uint8Array.of(1, 2, 3, 4));
  m.addCustom('ebpf2wasm.test', Uint8Array.of(9, 9));

  const c1 = new Code();
  c1.localGet(0).localGet(0).op(W.i64_add);
  m.defineFunc(double, [], c1);

  // main(x) = helper(double(x) via the table, global) + load64(16)
  const c2 = new Code();
  c2.localGet(0).i32Const(0).callIndirect(tUnary).localSet(1)
    .localGet(1).globalGet(g).call(helper)
    .i32Const(0).mem(W.i64_load32_u, 16).op(W.i64_add);
  m.defineFunc(main, [ValType.i64], c2, new Map([[0, 'x'], [1, 'doubled']]));

  const c3 = new Code();
  c3.i64Const(100n).globalSet(g);
  m.defineFunc(init, [], c3);
  m.setStart(init);
  m.addExport('main', 'func', main);
  m.addExport('g', 'global', g);

  const bytes = m.build();
  t.equal(await validateWasm(bytes), undefined, 'wabt validates');
  const wat = await toWat(bytes);
  t.match(wat, /\$doubled/, 'local names are in the name section');
  t.match(wat, /\$double/, 'function names are in the name section');

  const memory = new Wasm.Memory({ initial: 1 });
  const instance = instantiate(bytes, {
    bpf_helpers: { add: (a: bigint, b: bigint) => a + b },
    env: { memory },
  });
  const fn = instance.exports.main as (x: bigint) => bigint;
  t.equal(fn(21n), 42n + 100n + 0x04030201n);
  const mod = new Wasm.Module(bytes);
  const custom = Wasm.Module.customSections(mod, 'ebpf2wasm.test');
  t.same([...new Uint8Array(custom[0]!)], [9, 9], 'custom section readable by the engine');
});

t.test('invalid code is reported by validation', async (t) => {
  const m = new ModuleBuilder();
  const f = m.declareFunc(m.type([], [ValType.i64]), 'bad');
  m.defineFunc(f, [], new Code().i32Const(1));
  const err = await validateWasm(m.build());
  t.type(err, 'string');
});

t.test('unbalanced constructs are internal errors', async (t) => {
  const m = new ModuleBuilder();
  const f = m.declareFunc(m.type([], []));
  t.throws(() => m.defineFunc(f, [], new Code().block()));
  t.throws(() => new Code().end());
});
