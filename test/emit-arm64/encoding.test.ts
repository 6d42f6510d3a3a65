/**
 * @file AArch64 encoder, printer and decoder against the encoding table and
 * against llvm-mc: table rows, every bitmask immediate, and a random fuzz.
 */
import t from 'tap';
import { encode, encodeAll } from '../../src/emit-arm64/encode.js';
import { printInst, printProgram } from '../../src/emit-arm64/print.js';
import { randomProgram } from './random-program.js';
import { decode } from '../../src/emit-arm64/decode.js';
import { decodeBitmask, encodeBitmask } from '../../src/emit-arm64/bitmask.js';
import * as A from '../../src/emit-arm64/insts.js';
import { ENCODING_TABLE } from './encoding-table.js';
import { LLVM_MC, LLVM_OBJCOPY, assemble, assembleToBytes, disassemble } from './llvm-mc.js';
import { Rng, randomAny } from './random-inst.js';

const hex8 = (w: number): string => w.toString(16).padStart(8, '0');
const noLlvm = LLVM_MC === undefined ? 'llvm-mc is not installed' : false;
const FUZZ = Number(process.env['ARM64_FUZZ_COUNT'] ?? 20000);
const SEED = Number(process.env['ARM64_FUZZ_SEED'] ?? 7);

t.test('encoding table: encode, print and decode match every row', async (t) => {
  t.ok(ENCODING_TABLE.length >= 500, `${ENCODING_TABLE.length} rows`);
  const bad: string[] = [];
  for (const [inst, hex, text] of ENCODING_TABLE) {
    const word = encode(inst);
    if (hex8(word) !== hex) bad.push(`encode ${text}: ${hex8(word)} != ${hex}`);
    if (printInst(inst) !== text) bad.push(`print ${hex}: "${printInst(inst)}" != "${text}"`);
    const back = decode(parseInt(hex, 16));
    if (back === undefined || hex8(encode(back)) !== hex || printInst(back) !== text) bad.push(`decode ${hex} (${text})`);
  }
  t.same(bad, [], 'no mismatches');
});

t.test('encoding table: llvm-mc assembles every text to the row\'s word', { skip: noLlvm }, async (t) => {
  const out = assemble(ENCODING_TABLE.map((r) => r[2]));
  t.equal(out.length, ENCODING_TABLE.length);
  const bad = ENCODING_TABLE.filter((r, k) => out[k]?.hex !== r[1] || out[k]?.text !== r[2]).map((r) => r[2]);
  t.same(bad, []);
});

t.test('bitmask immediates: all encodings round trip, counts match the architecture', async (t) => {
  for (const sf of [true, false]) {
    const seen = new Set<bigint>();
    let bad = 0;
    for (let n = 0; n < (sf ? 2 : 1); n++) for (let immr = 0; immr < 64; immr++) for (let imms = 0; imms < 64; imms++) {
      const v = decodeBitmask(n, immr, imms, sf);
      if (v === undefined) continue;
      const width = sf ? 64 : 32;
      if (immr >= width) continue; // 32-bit encodings only use immr < 32
      seen.add(v);
      const f = encodeBitmask(v, sf);
      const esize = f === undefined ? 0 : 1 << (31 - Math.clz32((f.n << 6) | (~f.imms & 0x3f)));
      // encodeBitmask gives the canonical fields: rotation inside the element
      if (f === undefined || decodeBitmask(f.n, f.immr, f.imms, sf) !== v || f.immr >= esize) bad++;
    }
    t.equal(bad, 0, `${sf ? 64 : 32}-bit fields round trip`);
    t.equal(seen.size, sf ? 5334 : 1302, `${sf ? 64 : 32}-bit distinct values`);
    t.equal(encodeBitmask(0n, sf), undefined, 'zero is not encodable');
    t.equal(encodeBitmask(-1n, sf), undefined, 'all ones is not encodable');
  }
  t.equal(encodeBitmask(0x1234n, true), undefined, 'two runs are not encodable');
});

t.test('bitmask immediates: llvm-mc agrees on every value', { skip: noLlvm }, async (t) => {
  const insts: A.Inst[] = [];
  for (const sf of [true, false]) {
    const seen = new Set<bigint>();
    for (let n = 0; n < 2; n++) for (let immr = 0; immr < 64; immr++) for (let imms = 0; imms < 64; imms++) {
      const v = decodeBitmask(n, immr, imms, sf);
      if (v !== undefined && !seen.has(v)) { seen.add(v); insts.push(A.logicalImm('and', sf, 1, 2, v)); insts.push(A.logicalImm('orr', sf, 3, 31, v)); }
    }
  }
  const out = assemble(insts.map((i) => printInst(i)));
  const bad = insts.filter((i, k) => out[k]?.hex !== hex8(encode(i)) || out[k]?.text !== printInst(i)).map((i) => printInst(i));
  t.same(bad.slice(0, 10), [], `${insts.length} instructions`);
});

t.test('fuzz: random records survive encode → decode', async (t) => {
  const g = new Rng(SEED);
  const insts = Array.from({ length: FUZZ }, () => randomAny(g));
  const bad = insts.filter((i) => {
    const d = decode(encode(i));
    return d === undefined || encode(d) !== encode(i) || printInst(d) !== printInst(i);
  });
  t.same(bad.map((i) => printInst(i)).slice(0, 10), [], `${insts.length} random instructions`);
});

t.test('fuzz: llvm-mc assembles the printed text of random records to the same words', { skip: noLlvm }, async (t) => {
  const g = new Rng(SEED);
  const insts = Array.from({ length: FUZZ }, () => randomAny(g));
  const out = assemble(insts.map((i) => printInst(i)));
  t.equal(out.length, insts.length);
  const bad = insts.filter((i, k) => out[k]?.hex !== hex8(encode(i)) || out[k]?.text !== printInst(i))
    .map((i) => `${printInst(i)} ${hex8(encode(i))}`);
  t.same(bad.slice(0, 10), [], `${insts.length} random instructions`);
});

t.test('decoder: words near valid encodings decode to what llvm-mc disassembles', { skip: noLlvm }, async (t) => {
  // Words the encoder never makes (random bit flips of real ones) reach the
  // emulator too: whatever the decoder accepts must print as llvm reads it,
  // and re-encode to the same word (logical immediates excepted: immr bits
  // above the element size are ignored, so several words mean one value).
  const g = new Rng(SEED + 2);
  const words: number[] = [];
  while (words.length < FUZZ) {
    let w = encode(randomAny(g));
    for (let k = g.int(3); k > 0; k--) w = (w ^ (1 << g.int(32))) >>> 0;
    if (w !== 0xd503201f && decode(w) !== undefined) words.push(w);
  }
  const llvm = disassemble(words);
  const bad = words.filter((w, k) => {
    const d = decode(w)!;
    return printInst(d) !== llvm[k] || (encode(d) !== w && d.kind !== 'logicalImm');
  }).map((w) => `${hex8(w)} ${printInst(decode(w)!)} / ${llvm[words.indexOf(w)]}`);
  t.same(bad.slice(0, 10), [], `${words.length} words`);
});

t.test('the decoder rejects words outside the subset', async (t) => {
  for (const w of [0x00000000, 0xd503203f /* yield */, 0x1e602820 /* fadd */, 0xd53b4200 /* mrs nzcv */,
    0x2a0003e0 | (1 << 15) /* orr w, shift 32 on W */, 0x13800000 /* extr */]) {
    t.equal(decode(w), undefined, hex8(w));
  }
});

t.test('whole random programs with labels assemble to the encoder\'s bytes',
  { skip: noLlvm || (LLVM_OBJCOPY === undefined ? 'llvm-objcopy is not installed' : false) }, async (t) => {
  const g = new Rng(SEED + 1);
  const programs = Array.from({ length: 200 }, () => randomProgram(g, g.range(2, 40)));
  const text = programs.map((p, n) => printProgram(p, `.Lf${n}_`)).join('');
  const bytes = programs.map((p) => encodeAll(p));
  const expected = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  bytes.reduce((at, b) => { expected.set(b, at); return at + b.length; }, 0);
  t.ok(text.includes('.Lf'), 'labels are used');
  t.same(assembleToBytes(text), expected);
});
