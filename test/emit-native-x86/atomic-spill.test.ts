/**
 * @file Atomics whose address register is spilled: with too few registers
 * the base is reloaded into the scratch register, and when an earlier access
 * made the atomic's check redundant, its offset must still be added (a `lea`
 * into r11). Every atomic operation at a
 * non-zero offset, run with the allocator limited to one register, must
 * leave memory and r0 as the interpreter does.
 */
import t from 'tap';
import { DiagnosticError } from '../../src/diag/index.js';
import type { BpfObject, ProgramSpec } from '../../src/elf/types.js';
import { BACKENDS } from '../../src/host/backend.js';
import { Instance } from '../../src/host/instance.js';
import { x86Backend } from '../../src/host/native-backend.js';
import { assemble } from '../../src/isa/asm.js';
import type { Backend } from '../../src/host/backend.js';

const RBX = 3;

function outcome(backend: Backend, text: string): string {
  const { insns, diagnostics } = assemble(text);
  if (diagnostics.length > 0) throw new Error(diagnostics.map((d) => d.message).join('; '));
  const prog: ProgramSpec = { name: 'main', section: '.text', type: 0, insns, origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true };
  const object: BpfObject = { license: '', endian: 'little', programs: [prog], maps: [], diagnostics: [] };
  const instance = new Instance(object);
  const input = instance.memory.map('input', 'input', 64, true);
  instance.memory.bytes.set(Array.from({ length: 64 }, (_, i) => (i * 37 + 5) & 0xff), input.start);
  let result: string;
  try {
    result = `r0 ${backend.load(prog, instance).run(input.start).r0}`;
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    result = e.code;
  }
  return `${result} ${Buffer.from(instance.memory.bytes.slice(input.start, input.start + 64)).toString('hex')}`;
}

const ops = ['lock add', 'lock or', 'lock and', 'lock xor', 'lock fetch add', 'lock fetch or', 'lock fetch and', 'lock fetch xor', 'lock xchg', 'lock cmpxchg'];
const spilled = x86Backend({}, 'x86-64 (one register)', [RBX]);
for (const op of ops) {
  for (const width of ['', '32']) {
    const insn = `${op}${width}`;
    t.test(insn, async (t) => {
      // several values live across the atomic, so the base is spilled
      const text = [
        'mov %r6, %r1', 'mov %r7, %r1', 'add %r7, 8', 'mov %r8, 0x1234', 'mov %r9, -1', 'mov %r0, 0x77',
        // this checked store covers the atomic's bytes, so the atomic runs unchecked, through r7 (spilled)
        'stxdw [%r7+32], %r8',
        `${insn} [%r7+32], %r9`,
        'stxdw [%r6+0], %r8', 'add %r0, %r9', 'add %r0, %r8', 'add %r0, %r7', 'exit',
      ].join('\n');
      const want = outcome(BACKENDS.get('interp')!, text);
      t.equal(outcome(spilled, text), want, 'one register');
      t.equal(outcome(BACKENDS.get('x86-64')!, text), want, 'all registers');
    });
  }
}
