/** @file AArch64 branches through the shared code buffer: labels resolve to the offsets the encoder would use. */
import t from 'tap';
import { CodeBuffer, type Label } from '../../src/codegen/buffer.js';
import { InternalError } from '../../src/diag/errors.js';
import { encodeAll } from '../../src/emit-arm64/encode.js';
import { emitBranch, emitInst, isBranch } from '../../src/emit-arm64/fixups.js';
import * as A from '../../src/emit-arm64/insts.js';
import { Rng } from './random-inst.js';
import { randomProgram } from './random-program.js';

t.test('random programs built with labels give the same bytes as with offsets', async (t) => {
  const g = new Rng(11);
  let branches = 0, bad = 0;
  for (let n = 0; n < 300; n++) {
    const prog = randomProgram(g, g.range(2, 30));
    const buf = new CodeBuffer();
    const labels = new Map<number, Label>();
    prog.forEach((inst, k) => { if (isBranch(inst)) labels.set(k + inst.offset / 4, buf.newLabel()); });
    prog.forEach((inst, k) => {
      const here = labels.get(k);
      if (here !== undefined) buf.bind(here);
      if (isBranch(inst)) { branches++; emitBranch(buf, inst, labels.get(k + inst.offset / 4)!); } else emitInst(buf, inst);
    });
    const end = labels.get(prog.length);
    if (end !== undefined) buf.bind(end);
    if (Buffer.compare(buf.finish(), encodeAll(prog)) !== 0) bad++;
  }
  t.equal(bad, 0, '300 programs');
  t.ok(branches > 100, `${branches} branches patched`);
});

t.test('a backward loop, and a TBZ out of range', async (t) => {
  const buf = new CodeBuffer();
  const top = buf.newLabel();
  buf.bind(top);
  emitInst(buf, A.subImm(true, 0, 0, 1));
  emitBranch(buf, A.cbz(true, true, 0, 0), top);
  emitInst(buf, A.ret());
  t.same(buf.finish(), encodeAll([A.subImm(true, 0, 0, 1), A.cbz(true, true, 0, -4), A.ret()]));
  const far = new CodeBuffer();
  const l = far.newLabel();
  emitBranch(far, A.tbz(false, 1, 3, 0), l);
  for (let k = 0; k < 8192; k++) emitInst(far, A.nop());
  far.bind(l);
  t.throws(() => far.finish(), InternalError, 'TBZ cannot reach 32 KiB away');
});
