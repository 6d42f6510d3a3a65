/** @file Round-trip and table tests for decode/encode. */
import t from 'tap';
import { decode, encode, make, INVALID, imm64 } from '../../src/isa/insn.js';
import { OPCODES, OP } from '../../src/isa/opcodes.js';
import { validate } from '../../src/isa/validate.js';

t.test('opcode table names are unique and every row classifies to itself', async (t) => {
  const names = new Set(OPCODES.map((r) => r.name));
  t.equal(names.size, OPCODES.length);
  OPCODES.forEach((_row, op) => {
    const insn = make(op, { dst: 1, src: 2 });
    const [back] = decode(encode([insn]));
    t.equal(back!.op, op, OPCODES[op]!.name);
  });
});

t.test('encode(decode(bytes)) gives the bytes back for random slots', async (t) => {
  let seed = 12345;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 16; };
  for (let i = 0; i < 2000; i++) {
    const n = 1 + (rnd() % 8);
    const bytes = new Uint8Array(n * 8);
    for (let j = 0; j < bytes.length; j++) bytes[j] = rnd() & 0xff;
    // bias towards real opcodes
    for (let s = 0; s < n; s++) if (rnd() % 2) bytes[s * 8] = OPCODES[rnd() % OPCODES.length]!.code;
    t.same(encode(decode(bytes)), bytes);
  }
});

t.test('lddw carries both halves', async (t) => {
  const insn = make(OP.LDDW!, { dst: 3, imm64: 0x1122334455667788n });
  t.equal(imm64(insn), 0x1122334455667788n);
  const bytes = encode([insn, make(OP.EXIT!)]);
  t.equal(bytes.length, 24);
  const back = decode(bytes);
  t.equal(back.length, 2);
  t.equal(back[1]!.pc, 2);
  t.equal(imm64(back[0]!), 0x1122334455667788n);
});

t.test('validate reports unknown opcodes, bad fields, split lddw, jumps out of range', async (t) => {
  const bad = new Uint8Array([0x8f, 0, 0, 0, 0, 0, 0, 0]);
  t.equal(validate(decode(bad))[0]!.code, 'ISA_UNKNOWN_OPCODE');
  const lddw = new Uint8Array([0x18, 1, 0, 0, 0, 0, 0, 0]);
  t.equal(decode(lddw)[0]!.op, INVALID);
  t.equal(validate(decode(lddw))[0]!.code, 'ISA_LDDW_SPLIT');
  const writeR10 = encode([make(OP.MOV64_K!, { dst: 10, imm: 1 }), make(OP.EXIT!)]);
  t.equal(validate(decode(writeR10))[0]!.code, 'ISA_BAD_FIELD');
  const jump = encode([make(OP.JA!, { off: 5 }), make(OP.EXIT!)]);
  t.equal(validate(decode(jump))[0]!.code, 'ISA_JUMP_RANGE');
  t.same(validate(decode(encode([make(OP.MOV64_K!, { dst: 0 }), make(OP.EXIT!)]))), []);
});
