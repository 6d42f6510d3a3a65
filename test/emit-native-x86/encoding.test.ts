/**
 * @file The x86-64 encoding table, checked three ways: encode(inst) == hex,
 * print(inst) == text, and llvm-mc assembles text to hex; plus a bounded
 * fuzz test of random records through the llvm-mc round trip.
 *
 * The table lives in `encoding-table.json` (rows `[inst, hex, text]`, bigint
 * immediates written as `"<digits>n"`). Its hex column comes from llvm-mc,
 * not from the encoder: `BLESS=1` regenerates it from `tableInsts()` by
 * assembling the printed text with llvm-mc.
 */
import t from 'tap';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeInst } from '../../src/emit-native-x86/encode.js';
import { decodeInst } from '../../src/emit-native-x86/decode.js';
import { printInst } from '../../src/emit-native-x86/print.js';
import type { Inst } from '../../src/emit-native-x86/insts.js';
import { Rng, randomInst, tableInsts } from './gen-insts.js';
import { assemble, findLlvmMc, hex } from './llvm-mc.js';

const TABLE = fileURLToPath(new URL('./encoding-table.json', import.meta.url));
type Row = [Inst, string, string];

const llvmMc = findLlvmMc();

function save(rows: Row[]): void {
  const text = '[\n' + rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).join(',\n') + '\n]\n';
  writeFileSync(TABLE, text);
}

function load(): Row[] {
  return JSON.parse(readFileSync(TABLE, 'utf8'), (k, v: unknown) =>
    (k === 'imm' && typeof v === 'string' && v.endsWith('n') ? BigInt(v.slice(0, -1)) : v)) as Row[];
}

if (process.env['BLESS'] === '1' || !existsSync(TABLE)) {
  if (llvmMc === undefined) throw new Error('regenerating encoding-table.json needs llvm-mc');
  const insts = tableInsts();
  const texts = insts.map((i) => printInst(i));
  const out = assemble(llvmMc, texts);
  if (out.errors.length > 0) throw new Error(`llvm-mc rejected: ${out.errors.slice(0, 5).map((e) => `${texts[e.line - 1]}: ${e.message}`).join('; ')}`);
  save(insts.map((inst, i) => [inst, hex(out.bytes[i]!), texts[i]!]));
}

const rows = load();

t.test('table is large and covers every operation', async (t) => {
  t.ok(rows.length > 1000, `${rows.length} rows`);
  const ops = new Set(rows.map((r) => r[0].op));
  for (const op of ['mov', 'movabs', 'movzx', 'movsx', 'lea', 'add', 'cmp', 'test', 'imul', 'div', 'idiv', 'mul', 'neg', 'not',
    'shl', 'sar', 'rol', 'ror', 'bswap', 'xchg', 'xadd', 'cmpxchg', 'setcc', 'cmovcc', 'jcc', 'jmp', 'call',
    'jmp-indirect', 'call-indirect', 'push', 'pop', 'cqo', 'ret', 'nop', 'ud2', 'int3', 'leave', 'endbr64', 'shlx', 'shrx', 'sarx']) t.ok(ops.has(op as Inst['op']), op);
});

t.test('encode(inst) gives the hex of every row', async (t) => {
  let bad = 0;
  for (const [inst, h, text] of rows) {
    const got = hex(encodeInst(inst));
    if (got !== h && bad++ < 20) t.equal(got, h, text);
  }
  t.equal(bad, 0, 'rows whose bytes differ');
});

t.test('print(inst) gives the text of every row', async (t) => {
  let bad = 0;
  for (const [inst, h, text] of rows) {
    const got = printInst(inst);
    if (got !== text && bad++ < 20) t.equal(got, text, h);
  }
  t.equal(bad, 0, 'rows whose text differs');
});

t.test('decode(hex) re-encodes to hex, with the same operation, for every row', async (t) => {
  let bad = 0;
  for (const [inst, h, text] of rows) {
    const bytes = Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
    const d = decodeInst(bytes, 0);
    const again = d === undefined ? 'undecodable' : `${hex(encodeInst(d.inst))}/${d.length}`;
    const sameOp = d !== undefined && (d.inst.op === inst.op || (inst.op === 'xchg' && d.inst.op === 'nop'));
    if ((again !== `${h}/${bytes.length}` || !sameOp) && bad++ < 20) t.equal(again, `${h}/${bytes.length}`, text);
  }
  t.equal(bad, 0, 'rows that do not decode back');
});

t.test('a truncated instruction does not decode', async (t) => {
  let bad = 0;
  for (const [, h, text] of rows) {
    const bytes = Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
    for (let n = 1; n < bytes.length; n++) {
      const d = decodeInst(bytes.subarray(0, n), 0);
      // a shorter valid instruction may sit inside a prefix+opcode (e.g. 66 90), but never past the cut
      if (d !== undefined && d.length > n && bad++ < 10) t.fail(`${text}: ${n} of ${bytes.length} bytes decode`);
    }
  }
  t.equal(bad, 0, 'no decode reads past the end');
});

t.test('hand-checked rows from the SDM', async (t) => {
  // Independent of llvm-mc and of the table: bytes worked out from the SDM pages.
  const cases: [Inst, string][] = [
    [{ op: 'mov', size: 64, dst: 3, src: 0 }, '4889c3'],
    [{ op: 'mov', size: 32, dst: 8, src: 1 }, '4189c8'],
    [{ op: 'mov', size: 64, dst: 0, src: { base: 4, disp: 0 } }, '488b0424'],
    [{ op: 'mov', size: 64, dst: 0, src: { base: 13, disp: 0 } }, '498b4500'],
    [{ op: 'mov', size: 8, dst: { base: 7, disp: 1 }, src: 6 }, '40887701'],
    [{ op: 'add', size: 64, dst: 0, src: { imm: 1000 } }, '4805e8030000'],
    [{ op: 'add', size: 64, dst: 1, src: { imm: -128 } }, '4883c180'],
    [{ op: 'sub', size: 32, dst: 1, src: { imm: 128 } }, '81e980000000'],
    [{ op: 'shl', size: 64, dst: 0, count: 1 }, '48d1e0'],
    [{ op: 'sar', size: 32, dst: 9, count: 'cl' }, '41d3f9'],
    [{ op: 'rol', size: 16, dst: 0, count: 8 }, '66c1c008'],
    [{ op: 'movabs', dst: 15, imm: 0x1122334455667788n }, '49bf8877665544332211'],
    [{ op: 'xadd', size: 64, dst: { base: 10, disp: -8 }, src: 1, lock: true }, 'f0490fc14af8'],
    [{ op: 'jcc', cc: 4, rel: 0, width: 32 }, '0f8400000000'],
    [{ op: 'lea', size: 64, dst: 0, src: { base: 12, index: 13, scale: 8, disp: 0 } }, '4b8d04ec'],
    [{ op: 'cqo', size: 64 }, '4899'],
    [{ op: 'push', reg: 12 }, '4154'],
  ];
  for (const [inst, h] of cases) t.equal(hex(encodeInst(inst)), h, printInst(inst));
});

t.test('llvm-mc assembles every row\'s text to its hex', { skip: llvmMc === undefined ? 'llvm-mc not installed' : false }, async (t) => {
  const out = assemble(llvmMc!, rows.map((r) => r[2]));
  t.same(out.errors, [], 'llvm-mc accepts every line');
  t.equal(out.bytes.length, rows.length, 'one encoding per row');
  let bad = 0;
  rows.forEach(([, h, text], i) => {
    const got = hex(out.bytes[i] ?? []);
    if (got !== h && bad++ < 20) t.equal(got, h, text);
  });
  t.equal(bad, 0, 'rows llvm-mc assembles differently');
});

t.test('fuzz: random records round-trip through llvm-mc', { skip: llvmMc === undefined ? 'llvm-mc not installed' : false }, async (t) => {
  const rng = new Rng(0x5eed);
  const insts = Array.from({ length: 5000 }, () => randomInst(rng));
  const texts = insts.map((i) => printInst(i));
  const out = assemble(llvmMc!, texts);
  t.same(out.errors.slice(0, 10).map((e) => `${texts[e.line - 1]}: ${e.message}`), [], 'llvm-mc accepts every line');
  let bad = 0;
  insts.forEach((inst, i) => {
    const want = hex(out.bytes[i] ?? []);
    const got = hex(encodeInst(inst));
    if (got !== want && bad++ < 20) t.equal(got, want, `${texts[i]} ${JSON.stringify(inst, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  });
  t.equal(bad, 0, 'records whose bytes differ from llvm-mc');
});
