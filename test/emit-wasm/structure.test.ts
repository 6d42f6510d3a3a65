/**
 * @file Differential test of the structured control-flow translation: random
 * graphs (reducible and irreducible) become Wasm functions whose nodes record
 * a trace and pick successors from an input stream; V8 runs them and the trace
 * must equal a direct simulation of the graph.
 */
import t from 'tap';
import { Code, ValType, W } from '../../src/emit-wasm/encode.js';
import { ModuleBuilder } from '../../src/emit-wasm/module.js';
import { emitStructured, type Cfg } from '../../src/emit-wasm/structure.js';
import { validateWasm } from '../../src/emit-wasm/wat.js';
import { Wasm, instantiate } from './wasm-api.js';

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

/** A random graph: mostly forward edges, some backward ones, some exits, some multi-way nodes. */
function randomCfg(r: () => number, size: number): number[][] {
  const succ: number[][] = [];
  for (let n = 0; n < size; n++) {
    const roll = r();
    const k = roll < 0.12 ? 0 : roll < 0.5 ? 1 : roll < 0.92 ? 2 : 3 + Math.floor(r() * 3);
    const list: number[] = [];
    for (let j = 0; j < k; j++) {
      const back = r() < 0.3;
      list.push(back ? Math.floor(r() * (n + 1)) : Math.min(size - 1, n + 1 + Math.floor(r() * 4)));
    }
    succ.push(list);
  }
  return succ;
}

const STEPS = 300;

/** Edges whose code is empty in the test functions. */
const silent = (n: number, index: number): boolean => (n * 3 + index) % 4 === 0;

/** Trace by direct simulation: node ids, and edges as -(1 + 8*node + index). */
function simulate(succ: readonly number[][], entry: number, input: readonly number[]): number[] {
  const trace: number[] = [];
  let n = entry;
  let at = 0;
  for (;;) {
    if (trace.length >= STEPS) break;
    trace.push(n);
    const s = succ[n]!;
    if (s.length === 0) break;
    let index = 0;
    if (s.length >= 2) {
      const sel = input[at++ % input.length]!;
      index = s.length === 2 ? (sel !== 0 ? 0 : 1) : sel < s.length ? sel : s.length - 1;
    }
    if (!silent(n, index)) {
      if (trace.length >= STEPS) break;
      trace.push(-(1 + 8 * n + index));
    }
    n = s[index]!;
  }
  return trace;
}

class Stop extends Error {}

/** Build the function for `succ` and run it on `input`. */
function build(succ: readonly number[][], entry: number): { bytes: Uint8Array; irreducible: boolean } {
  const m = new ModuleBuilder();
  const trace = m.importFunc('t', 'trace', m.type([ValType.i32], []));
  const next = m.importFunc('t', 'next', m.type([], [ValType.i32]));
  const f = m.declareFunc(m.type([], []), 'f');
  const cfg: Cfg = { size: succ.length, entry, successors: (n) => succ[n]! };
  const locals: ValType[] = [];
  const code = new Code();
  const stats = emitStructured(cfg, {
    node(c, n) {
      c.i32Const(n).call(trace);
      if (succ[n]!.length >= 2) c.call(next);
      if (succ[n]!.length === 0) c.op(W.return);
    },
    // Some edges emit nothing, so that two-way branches also take the `br_if` forms.
    edge(c, n, index) { if (!silent(n, index)) c.i32Const(-(1 + 8 * n + index)).call(trace); },
    edgeIsEmpty: (n, index) => silent(n, index),
    i32Local() { locals.push(ValType.i32); return locals.length - 1; },
  }, code);
  m.defineFunc(f, locals, code);
  m.addExport('f', 'func', f);
  return { bytes: m.build(), irreducible: stats.irreducible };
}

function run(bytes: Uint8Array, input: readonly number[]): number[] {
  const trace: number[] = [];
  let at = 0;
  const inst = instantiate(bytes, {
    t: {
      trace: (x: number) => { if (trace.length >= STEPS) throw new Stop(); trace.push(x); },
      next: () => input[at++ % input.length]!,
    },
  });
  try { (inst.exports.f as () => void)(); } catch (e) { if (!(e instanceof Stop)) throw e; }
  return trace;
}

t.test('hand-written irreducible graph', async (t) => {
  // 0 -> 1 | 2, 1 -> 2, 2 -> 1 | 3: the loop {1, 2} has two entries.
  const succ = [[1, 2], [2], [1, 3], []];
  const { bytes, irreducible } = build(succ, 0);
  t.ok(irreducible);
  t.equal(await validateWasm(bytes), undefined);
  for (const input of [[1, 1, 1, 0], [0, 1, 0], [0, 0]]) t.same(run(bytes, input), simulate(succ, 0, input));
});

t.test('random graphs agree with simulation', async (t) => {
  const r = rng(0x5eed);
  const count = Number(process.env.STRUCTURE_CASES ?? 3000);
  let irreducibleCount = 0;
  let validated = 0;
  const mismatches: string[] = [];
  for (let i = 0; i < count && mismatches.length < 5; i++) {
    const size = 1 + Math.floor(r() * (i % 10 === 0 ? 60 : 14));
    const succ = randomCfg(r, size);
    const entry = Math.floor(r() * Math.min(size, 2));
    const { bytes, irreducible } = build(succ, entry);
    if (irreducible) irreducibleCount++;
    if (i % 20 === 0) {
      const err = await validateWasm(bytes);
      if (err !== undefined) { mismatches.push(`case ${i}: invalid: ${err}`); continue; }
      validated++;
    }
    for (let j = 0; j < 3; j++) {
      const input = Array.from({ length: 1 + Math.floor(r() * 20) }, () => Math.floor(r() * 6));
      let got: number[];
      try { got = run(bytes, input); } catch (e) { mismatches.push(`case ${i}: ${String(e)} ${JSON.stringify(succ)}`); break; }
      const want = simulate(succ, entry, input);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches.push(`case ${i}: graph ${JSON.stringify(succ)} entry ${entry} input ${JSON.stringify(input)}`);
        break;
      }
    }
  }
  t.same(mismatches, [], `${count} graphs, ${irreducibleCount} irreducible, ${validated} checked by wabt`);
  t.ok(irreducibleCount > count / 20, `irreducible graphs were generated (${irreducibleCount})`);
});

t.test('a long chain and deep nesting do not overflow the stack', async (t) => {
  const n = 20000;
  const succ: number[][] = [];
  for (let i = 0; i < n - 1; i++) succ.push(i % 2 === 0 ? [i + 1, n - 1] : [i + 1]);
  succ.push([]);
  const { bytes } = build(succ, 0);
  // wabt's reader recurses per nesting level and overflows here; V8 validates on compile.
  t.ok(Wasm.validate(bytes), 'V8 validates');
  const input = [1];
  t.same(run(bytes, input), simulate(succ, 0, input));
});
