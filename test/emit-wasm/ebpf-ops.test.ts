/**
 * @file The eBPF-semantics sequences (division and remainder without traps,
 * byte swaps, shifts, sign extension) against the IR's reference semantics
 * (`src/ir/semantics.ts`), on every pair of edge-case operands, run in V8.
 */
import t from 'tap';
import { Code, ValType, W } from '../../src/emit-wasm/encode.js';
import {
  emitBswap16, emitBswap32, emitBswap64, emitSdiv, emitSrem, emitUdiv, emitUrem, type IrType,
} from '../../src/emit-wasm/ebpf-ops.js';
import { ModuleBuilder } from '../../src/emit-wasm/module.js';
import { validateWasm } from '../../src/emit-wasm/wat.js';
import { evalPure } from '../../src/ir/semantics.js';
import type { Opcode } from '../../src/ir/ops.js';
import { instantiate } from './wasm-api.js';

const EDGES64 = [0n, 1n, 2n, 3n, 7n, 0x7fn, 0x80n, 0xffn, 0x1234n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  0x0123456789abcdefn, 0x7fffffffffffffffn, 0x8000000000000000n, 0x8000000000000001n, 0xfffffffffffffffen, 0xffffffffffffffffn, 63n, 64n, 65n];
const EDGES32 = [...new Set(EDGES64.map((v) => v & 0xffffffffn))];

type Emit = (c: Code, t: IrType, a: number, b: number, s: { i32: number; i64: number }) => void;
const OPS: [Opcode, Emit][] = [
  ['udiv', (c, t, a, b) => emitUdiv(c, t, a, b)],
  ['urem', (c, t, a, b) => emitUrem(c, t, a, b)],
  ['sdiv', (c, t, a, b) => emitSdiv(c, t, a, b)],
  ['srem', (c, t, a, b) => emitSrem(c, t, a, b)],
  ['bswap16', (c, t, a) => emitBswap16(c, t, a)],
  ['bswap32', (c, t, a, _b, s) => emitBswap32(c, t, a, s)],
  ['bswap64', (c, t, a, _b, s) => { if (t === 'i64') emitBswap64(c, a, s); else c.localGet(a); }],
  ['shl', (c, t, a, b) => { c.localGet(a).localGet(b).op(t === 'i64' ? W.i64_shl : W.i32_shl); }],
  ['lshr', (c, t, a, b) => { c.localGet(a).localGet(b).op(t === 'i64' ? W.i64_shr_u : W.i32_shr_u); }],
  ['ashr', (c, t, a, b) => { c.localGet(a).localGet(b).op(t === 'i64' ? W.i64_shr_s : W.i32_shr_s); }],
];

t.test('every sequence matches the reference semantics on edge cases', async (t) => {
  const m = new ModuleBuilder();
  for (const type of ['i32', 'i64'] as const) {
    const vt = type === 'i64' ? ValType.i64 : ValType.i32;
    for (const [name, emit] of OPS) {
      if (name === 'bswap64' && type === 'i32') continue;
      const f = m.declareFunc(m.type([vt, vt], [vt]), `${name}.${type}`);
      const c = new Code();
      emit(c, type, 0, 1, { i32: 2, i64: 3 });
      m.defineFunc(f, [ValType.i32, ValType.i64], c);
      m.addExport(`${name}.${type}`, 'func', f);
    }
  }
  const bytes = m.build();
  t.equal(await validateWasm(bytes), undefined);
  const exports = instantiate(bytes, {}).exports;
  const bad: string[] = [];
  let checked = 0;
  for (const type of ['i32', 'i64'] as const) {
    const edges = type === 'i64' ? EDGES64 : EDGES32;
    for (const [name] of OPS) {
      if (name === 'bswap64' && type === 'i32') continue;
      const f = exports[`${name}.${type}`] as (a: number | bigint, b: number | bigint) => number | bigint;
      for (const a of edges) {
        for (const b of edges) {
          const want = evalPure(name, type, [a, b]);
          const raw = type === 'i64' ? f(BigInt.asIntN(64, a), BigInt.asIntN(64, b)) : f(Number(BigInt.asIntN(32, a)), Number(BigInt.asIntN(32, b)));
          const got = BigInt.asUintN(type === 'i64' ? 64 : 32, BigInt(raw));
          checked++;
          if (got !== want) bad.push(`${name}.${type} 0x${a.toString(16)}, 0x${b.toString(16)}: want 0x${want?.toString(16)}, got 0x${got.toString(16)}`);
        }
      }
    }
  }
  t.same(bad.slice(0, 10), [], `${checked} operand pairs, no trap and no difference`);
});
