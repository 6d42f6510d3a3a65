/**
 * @file r0 crosses from compiled code to JavaScript whole: the one-argument
 * export returns it as a double below 2^53 and through `ebpf2wasm.r0` above
 * (`docs/abi.md`), and the host gives the same 64-bit value as the
 * interpreter at and around every boundary (the small-value table, 2^32,
 * 2^53, the sign bit).
 */

import t from 'tap';
import type { BpfObject, ProgramSpec } from '../../src/elf/types.js';
import { assemble } from '../../src/isa/asm.js';
import { BACKENDS } from '../../src/host/backend.js';
import { Instance } from '../../src/host/instance.js';

const values = [0n, 1n, 2n, 255n, 256n, 0xffffffffn, 0x100000000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n,
  2n ** 63n - 1n, 2n ** 63n, 0xfedcba9876543210n, 2n ** 64n - 1n];

function program(r0: bigint): ProgramSpec {
  const a = assemble(`lddw %r0, ${r0}\nexit\n`);
  if (a.diagnostics.length > 0) throw new Error(a.diagnostics.map((d) => d.message).join('; '));
  return { name: 'ret', section: 'xdp', type: 6, insns: a.insns, origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true };
}

for (const name of ['wasm', 'interp']) {
  t.test(name, async (t) => {
    const backend = BACKENDS.get(name)!;
    for (const v of values) {
      const prog = program(v);
      const object: BpfObject = { license: 'GPL', endian: 'little', programs: [prog], maps: [], diagnostics: [] };
      const instance = new Instance(object);
      const ctx = instance.memory.map('ctx', 'ctx', 24, true).start;
      const exe = backend.load(prog, instance);
      // twice: the second run must not keep anything of the first
      t.equal(exe.run(ctx).r0, v, `r0 = 0x${v.toString(16)}`);
      t.equal(exe.run(ctx).r0, v, `r0 = 0x${v.toString(16)}, again`);
    }
  });
}

t.test('one executable returning changing values', async (t) => {
  const a = assemble('ldxdw %r0, [%r1]\nexit\n');
  const prog: ProgramSpec = { name: 'echo', section: 'xdp', type: 6, insns: a.insns, origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true };
  const object: BpfObject = { license: 'GPL', endian: 'little', programs: [prog], maps: [], diagnostics: [] };
  for (const name of ['wasm', 'interp']) {
    const instance = new Instance(object);
    const ctx = instance.memory.map('ctx', 'ctx', 8, true).start;
    const exe = BACKENDS.get(name)!.load(prog, instance);
    // repeats and alternations: a value kept from an earlier run must never be returned for another
    const sequence = [1000n, 1000n, 1001n, 1000n, 7n, 1000n, 2n ** 53n + 3n, 1000n, 1000n, 0xffffffffn, 0xfffffffen, 0xffffffffn];
    const got = sequence.map((v) => { instance.memory.view.setBigUint64(ctx, v, true); return exe.run(ctx).r0; });
    t.same(got, sequence, `${name}: every run returns its own r0`);
  }
});
