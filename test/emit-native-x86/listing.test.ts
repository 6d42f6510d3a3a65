/**
 * @file Listings of whole code blocks (random sequences with forward and
 * backward branches, calls and rip-relative operands) assemble with llvm-mc
 * back to the same bytes.
 */
import t from 'tap';
import { disassemble } from '../../src/emit-native-x86/listing.js';
import { Rng } from './gen-insts.js';
import { randomCase } from './gen-programs.js';
import { assembleText, findLlvmMc, hex } from './llvm-mc.js';

const llvmMc = findLlvmMc();

t.test('listing labels branch targets and lists undecodable bytes', async (t) => {
  const code = Uint8Array.from([0x74, 0x01, 0x90, 0xeb, 0xfb, 0x0f, 0x05]); // je +1; nop; jmp -5; syscall
  const l = disassemble(code);
  t.equal(l.count, 3);
  t.equal(l.end, 5);
  t.equal(l.text, '.L0:\n\tje .L3\n\tnop\n.L3:\n\tjmp .L0\n\t.byte 0xf, 0x5\n');
});

t.test('llvm-mc assembles listings of random code back to the same bytes', { skip: llvmMc === undefined ? 'llvm-mc not installed' : false }, async (t) => {
  const rng = new Rng(7);
  const codes = Array.from({ length: 300 }, () => randomCase(rng, 30, true).code);
  // one source (labels renamed per case) so llvm-mc runs once
  const joined = codes.map((c, i) => disassemble(c).text.replace(/\.L([0-9a-f]+)/g, `.Lc${i}_$1`)).join('');
  const bytes = assembleText(llvmMc!, joined);
  if (typeof bytes === 'string') { t.fail(bytes.slice(0, 500)); return; }
  const want = codes.reduce((s, c) => s + hex(c), '');
  let at = 0, bad = 0;
  codes.forEach((c, i) => {
    const got = hex(bytes.subarray(at, at + c.length));
    if (got !== hex(c) && bad++ < 5) t.equal(got, hex(c), `case ${i}:\n${disassemble(c).text}`);
    at += c.length;
  });
  t.equal(hex(bytes).length, want.length, 'same total length');
  t.equal(bad, 0, `${codes.length} listings round-trip`);
});
