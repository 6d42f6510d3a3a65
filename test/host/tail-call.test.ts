/**
 * @file `bpf_tail_call` on every backend: a program array filled from its
 * `.maps` initialiser, a chain of two tail calls, a program that tail-calls
 * itself until the limit of 33 per run, an empty slot (the call fails and
 * the caller goes on), and slots changed from user space between runs. The
 * same fixture runs against the kernel in `kernel-run.test.ts`.
 */

import t from 'tap';
import { readFileSync } from 'node:fs';
import { ipv4Frame, arpFrame } from '../../src/cli/packets.js';
import { loadObject } from '../../src/elf/index.js';
import { BACKENDS } from '../../src/host/backend.js';
import { MAX_TAIL_CALLS } from '../../src/host/helpers/tail-call.js';
import { Instance } from '../../src/host/instance.js';
import { testRun } from '../../src/host/test-run.js';
import { compileObject } from '../../src/host/compile.js';
import { loadCompiled } from '../../src/host/compiled.js';
import { verifiedFacts } from '../../src/host/verify.js';

const object = loadObject(new Uint8Array(readFileSync(new URL('../fixtures/kernel/tailcall-el.o', import.meta.url))));
const udp = ipv4Frame({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 1, dport: 53, payload: 'q' });
const tcp = ipv4Frame({ src: '10.0.0.2', dst: '10.0.0.1', proto: 'tcp', sport: 1, dport: 80, payload: 'q' });
const XDP = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3 } as const;

/** `hits[0..3]` as numbers. */
function hits(instance: Instance): number[] {
  const out: number[] = [];
  const value = new Uint8Array(8);
  for (let i = 0; i < 4; i++) {
    instance.maps.get('hits')!.lookupUser(Uint8Array.of(i, 0, 0, 0), value, 0);
    out.push(Number(new DataView(value.buffer).getBigUint64(0, true)));
  }
  return out;
}

for (const [name, backend] of BACKENDS) {
  t.test(name, async (t) => {
    const instance = new Instance(object);
    const dispatch = instance.program('tail_dispatch');
    // udp → slot 0 (tail_forward) → slot 1 (tail_drop)
    t.equal(testRun(instance, dispatch, backend, { data: udp }).retval, XDP.DROP, 'two tail calls end in tail_drop');
    t.same(hits(instance), [1, 1, 0, 1]);
    // tcp → slot 2 (tail_self), which calls itself until the limit
    t.equal(testRun(instance, dispatch, backend, { data: tcp }).retval, XDP.TX, 'the tail call past the limit fails and tail_self returns');
    t.same(hits(instance), [1, 1, MAX_TAIL_CALLS, 2], `${MAX_TAIL_CALLS} tail calls in one run`);
    // arp → slot 3, empty: the call fails, tail_dispatch goes on
    t.equal(testRun(instance, dispatch, backend, { data: arpFrame() }).retval, XDP.PASS, 'an empty slot fails the call');
    t.same(hits(instance), [1, 1, MAX_TAIL_CALLS, 3]);
    // the count starts again with each run
    t.equal(testRun(instance, dispatch, backend, { data: tcp }).retval, XDP.TX);
    t.same(hits(instance), [1, 1, 2 * MAX_TAIL_CALLS, 4]);
    // user space empties slot 1 and points slot 3 at tail_drop
    const table = instance.maps.get('jmp_table')!;
    t.equal(table.delete(Uint8Array.of(1, 0, 0, 0)), 0);
    const fd = new Uint8Array(4);
    new DataView(fd.buffer).setUint32(0, instance.programFd('tail_drop'), true);
    t.equal(table.updateUser(Uint8Array.of(3, 0, 0, 0), fd, 0), 0);
    t.equal(testRun(instance, dispatch, backend, { data: udp }).retval, XDP.ABORTED, 'tail_forward goes on when slot 1 is empty');
    t.equal(testRun(instance, dispatch, backend, { data: arpFrame() }).retval, XDP.DROP, 'slot 3 now holds tail_drop');
    t.same(hits(instance), [2, 2, 2 * MAX_TAIL_CALLS, 6]);
    // a user-space lookup gives the program's fd back
    const out = new Uint8Array(4);
    t.equal(table.lookupUser(Uint8Array.of(3, 0, 0, 0), out, 0), 0);
    t.equal(new DataView(out.buffer).getUint32(0, true), instance.programFd('tail_drop'));
  });
}

t.test('a compiled module alone (loadCompiled) makes the same tail calls', async (t) => {
  const { bytes } = compileObject(object, object.programs, { facts: verifiedFacts(object, object.programs).facts });
  const set = loadCompiled(bytes);
  const instance = new Instance(set.object);
  const dispatch = instance.program('tail_dispatch');
  t.equal(testRun(instance, dispatch, set.backend, { data: udp }).retval, XDP.DROP);
  t.equal(testRun(instance, dispatch, set.backend, { data: tcp }).retval, XDP.TX);
  t.equal(testRun(instance, dispatch, set.backend, { data: arpFrame() }).retval, XDP.PASS);
  t.same(hits(instance), [1, 1, MAX_TAIL_CALLS, 3]);
});
