/**
 * @file The architecture-neutral code buffer (src/codegen/buffer.ts): bytes,
 * labels, fixups, and the x86-64 rel8/rel32 fixup kinds that plug into it.
 */
import t from 'tap';
import { CodeBuffer, type FixupKind } from '../../src/codegen/buffer.js';
import { InternalError } from '../../src/diag/errors.js';
import { decodeAll } from '../../src/emit-native-x86/decode.js';
import { emitBranch, emitInst, REL8, REL32 } from '../../src/emit-native-x86/encode.js';
import { Rng } from './gen-insts.js';

t.test('bytes are appended little-endian and the buffer grows', async (t) => {
  const b = new CodeBuffer();
  b.emit8(0x1ff);
  b.emit16(0x1234);
  b.emit32(-2);
  b.emit64(0x0102030405060708n);
  t.same([...b.finish()], [0xff, 0x34, 0x12, 0xfe, 0xff, 0xff, 0xff, 8, 7, 6, 5, 4, 3, 2, 1]);
  const big = new CodeBuffer();
  for (let i = 0; i < 5000; i++) big.emit8(i);
  const out = big.finish();
  t.equal(out.length, 5000);
  t.equal(out[4999], 4999 & 0xff);
});

t.test('a custom fixup kind patches at its offset with the label position', async (t) => {
  const seen: [number, number][] = [];
  const abs16: FixupKind = {
    name: 'abs16',
    patch(code, at, target) { seen.push([at, target]); code[at] = target & 0xff; code[at + 1] = target >> 8; return target < 0x10000; },
  };
  const b = new CodeBuffer();
  const l = b.newLabel();
  b.emit16(0);
  b.fixup(abs16, 0, l);
  for (let i = 0; i < 300; i++) b.emit8(0x90);
  b.bind(l);
  t.equal(b.labelOffset(l), 302);
  const code = b.finish();
  t.same(seen, [[0, 302]]);
  t.same([code[0], code[1]], [302 & 0xff, 302 >> 8]);
});

t.test('labels: unbound, bound twice, and out-of-range fixups are internal errors', async (t) => {
  const b = new CodeBuffer();
  const l = b.newLabel();
  t.equal(b.labelOffset(l), undefined);
  emitBranch(b, { op: 'jmp', rel: 0, width: 8 }, l);
  t.throws(() => b.finish(), InternalError, 'unbound');
  b.bind(l);
  t.throws(() => b.bind(l), InternalError, 'bound twice');
  const far = new CodeBuffer();
  const m = far.newLabel();
  emitBranch(far, { op: 'jcc', cc: 4, rel: 0, width: 8 }, m);
  for (let i = 0; i < 128; i++) far.emit8(0x90);
  far.bind(m);
  t.throws(() => far.finish(), InternalError, 'rel8 cannot reach 128 bytes ahead');
});

t.test('random forward and backward branches resolve to their labels', async (t) => {
  const rng = new Rng(99);
  for (let round = 0; round < 50; round++) {
    const b = new CodeBuffer();
    const labels = Array.from({ length: 20 }, () => b.newLabel());
    const where: number[] = [];
    const branches: { at: number; label: number }[] = [];
    let next = 0;
    for (let step = 0; step < 200; step++) {
      if (next < labels.length && rng.int(10) === 0) { b.bind(labels[next]!); where[next] = b.offset; next++; continue; }
      if (rng.int(3) === 0) { emitInst(b, { op: 'nop' }); continue; }
      const label = rng.int(labels.length);
      const at = b.offset;
      const op = rng.pick(['jmp', 'jcc', 'call'] as const);
      // rel8 only for backward targets close enough; everything else rel32
      const back = where[label];
      const width = back !== undefined && at + 2 - back <= 128 ? 8 : 32;
      if (op === 'call') emitBranch(b, { op, rel: 0 }, labels[label]!);
      else if (op === 'jmp') emitBranch(b, { op, rel: 0, width }, labels[label]!);
      else emitBranch(b, { op, cc: rng.int(16), rel: 0, width }, labels[label]!);
      branches.push({ at, label });
    }
    while (next < labels.length) { b.bind(labels[next]!); where[next] = b.offset; next++; }
    const code = b.finish();
    const byOffset = new Map<number, { inst: unknown; length: number }>();
    let at = 0;
    for (const d of decodeAll(code).insts) { byOffset.set(at, d); at += d.length; }
    const wrong = branches.filter((br) => {
      const d = byOffset.get(br.at)!;
      return br.at + d.length + (d.inst as { rel: number }).rel !== where[br.label];
    });
    t.same(wrong, [], `round ${round}: ${branches.length} branches reach their labels`);
  }
});

t.test('REL8 and REL32 refuse distances that do not fit', async (t) => {
  const code = new Uint8Array(8);
  t.equal(REL8.patch(code, 0, 1 + 127), true);
  t.equal(code[0], 127);
  t.equal(REL8.patch(code, 0, 1 + 128), false);
  t.equal(REL8.patch(code, 0, 1 - 128), true);
  t.equal(REL32.patch(code, 0, 4 - 1), true, 'rel32 of -1');
  t.same([...code.subarray(0, 4)], [0xff, 0xff, 0xff, 0xff]);
  t.equal(REL32.patch(code, 0, 2 ** 31 + 4), false);
});
