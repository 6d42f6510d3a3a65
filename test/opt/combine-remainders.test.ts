/**
 * @file `a - (a / b) * b` as clang's BPF backend writes `a % b`, combined
 * into one remainder by `combine-remainders`: the interpreter (which runs the
 * three instructions as written) and the WebAssembly backend (which runs the
 * combined remainder) agree at every edge — a zero divisor, MIN / -1, values
 * past 32 bits — for unsigned and signed, 64- and 32-bit forms; and the
 * optimised IR holds the remainder.
 */

import t from 'tap';
import type { BpfObject, ProgramSpec } from '../../src/elf/types.js';
import { BACKENDS } from '../../src/host/backend.js';
import { Instance } from '../../src/host/instance.js';
import { assemble } from '../../src/isa/asm.js';
import { lift } from '../../src/lift/lift.js';
import { runPipeline } from '../../src/opt/pipeline.js';
import { printModule } from '../../src/ir/print.js';

/** r0 = a - (a / b) * b with `div` (`div`, `sdiv`, `div32`, `sdiv32`); a and b from the context's two u64s. */
function source(div: string): string {
  const mul = div.endsWith('32') ? 'mul32' : 'mul';
  const sub = div.endsWith('32') ? 'sub32' : 'sub';
  const mov = div.endsWith('32') ? 'mov32' : 'mov';
  return `ldxdw %r2, [%r1]
ldxdw %r3, [%r1+8]
${mov} %r4, %r2
${div} %r4, %r3
${mul} %r4, %r3
${mov} %r0, %r2
${sub} %r0, %r4
exit
`;
}

const MIN = 2n ** 63n;
const values = [0n, 1n, 2n, 3n, 7n, 0xffffffffn, 0x80000000n, MIN, MIN - 1n, 2n ** 64n - 1n, 0x123456789abcdefn, 2n ** 64n - 7n];

for (const div of ['div', 'sdiv', 'div32', 'sdiv32']) {
  t.test(div, async (t) => {
    const a = assemble(source(div));
    t.same(a.diagnostics, [], 'assembles');
    const prog: ProgramSpec = { name: 'rem', section: 'xdp', type: 6, insns: a.insns, origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true };
    const ir = lift(a.insns).module!;
    runPipeline(ir, { level: 2, checkIR: true });
    t.match(printModule(ir), /= [us]rem\.i(32|64) /, 'the optimised IR holds one remainder');
    const object: BpfObject = { license: 'GPL', endian: 'little', programs: [prog], maps: [], diagnostics: [] };
    const instance = new Instance(object);
    const ctx = instance.memory.map('ctx', 'ctx', 16, true);
    const interp = BACKENDS.get('interp')!.load(prog, instance);
    const wasm = BACKENDS.get('wasm')!.load(prog, instance, { entryArgs: 1 });
    let bad = 0;
    for (const x of values) {
      for (const y of [...values, 2n ** 64n - 1n]) {
        instance.memory.view.setBigUint64(ctx.start, x, true);
        instance.memory.view.setBigUint64(ctx.start + 8, y, true);
        if (interp.run(ctx.start).r0 !== wasm.run(ctx.start).r0) bad++;
      }
    }
    t.equal(bad, 0, `${values.length * (values.length + 1)} pairs agree`);
  });
}
