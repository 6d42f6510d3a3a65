/**
 * @file The CPU a program runs on is the host's to change between runs:
 * per-CPU values land in the slot of `instance.cpu` at each run, on every
 * backend, whether the program was loaded before or after the change.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { ipv4Frame } from '../../src/cli/packets.js';
import { loadObject } from '../../src/elf/index.js';
import { BACKENDS } from '../../src/host/backend.js';
import { Instance } from '../../src/host/instance.js';
import { setupRun } from '../../src/host/bench/context.js';

const object = loadObject(new Uint8Array(readFileSync(new URL('../../bench/progs/counter.o', import.meta.url))));
const frame = ipv4Frame({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 1, dport: 53, payload: 'abc' });

for (const [name, backend] of BACKENDS) {
  t.test(name, async (t) => {
    const instance = new Instance(object, { nCpus: 3 });
    const prog = instance.program('counter');
    // loaded once, on CPU 0, then run as the host moves between CPUs
    const exe = backend.load(prog, instance);
    const run = setupRun(instance, prog, frame);
    for (const cpu of [0, 2, 2, 1, 2]) {
      instance.cpu = cpu;
      t.equal(exe.run(run.ctx, run.packet).r0, 2n);
    }
    run.release();
    exe.dispose?.();
    const value = new Uint8Array(3 * 16);
    t.equal(instance.maps.get('counters')!.lookupUser(new Uint8Array(4), value, 0), 0);
    const v = new DataView(value.buffer);
    const packets = [0, 1, 2].map((c) => Number(v.getBigUint64(c * 16, true)));
    const bytes = [0, 1, 2].map((c) => Number(v.getBigUint64(c * 16 + 8, true)));
    t.same(packets, [1, 1, 3], 'packets per CPU');
    t.same(bytes, packets.map((n) => n * frame.length), 'bytes per CPU');
  });
}
