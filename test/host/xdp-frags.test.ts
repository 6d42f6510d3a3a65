/**
 * @file Multi-buffer XDP frames in `testRun`: bytes past the 3520 of the
 * linear part are page-sized fragments the program does not see, returned
 * after it in `data_out`, and `bpf_xdp_adjust_tail` grows the last fragment
 * into its page or shrinks fragments from the last, then the linear part
 * (`bpf_xdp_frags_increase_tail` / `bpf_xdp_frags_shrink_tail`). Runs
 * `adjust_tail` of `test/fixtures/kernel/xdp_adjust.c` on every backend;
 * `kernel-run.test.ts` checks the same against the kernel.
 */

import t from 'tap';
import { readFileSync } from 'node:fs';
import { loadObject } from '../../src/elf/index.js';
import { BACKENDS } from '../../src/host/backend.js';
import { Instance } from '../../src/host/instance.js';
import { testRun, XDP_MAX_DATA } from '../../src/host/test-run.js';

const object = loadObject(new Uint8Array(readFileSync(new URL('../fixtures/kernel/xdp_adjust-el.o', import.meta.url))), { file: 'xdp_adjust-el.o' });
const prog = object.programs.find((p) => p.name === 'adjust_tail')!;
const EINVAL = 22;

/** A frame of `n` bytes, each byte its index modulo 251. */
const frame = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % 251);

/** Run adjust_tail with tail delta `delta`: the helper's return value and data_out. */
function run(backend: string, n: number, delta: number): { rc: number; out: Uint8Array } {
  const inst = new Instance(object);
  const key = new Uint8Array([1, 0, 0, 0]);
  const value = new Uint8Array(4);
  new DataView(value.buffer).setInt32(0, delta, true);
  inst.maps.get('deltas')!.updateUser(key, value, 0);
  const out = testRun(inst, prog, BACKENDS.get(backend)!, { data: frame(n) }).dataOut;
  // rcs[1] holds rc + 1000 (per-CPU: CPU 0's value)
  const rcs = new Uint8Array(inst.maps.get('rcs')!.userValueSize);
  inst.maps.get('rcs')!.lookupUser(key, rcs, 0);
  return { rc: Number(new DataView(rcs.buffer).getBigInt64(0, true)) - 1000, out };
}

/** What data_out must be: the input resized at the end (new bytes zero), its first byte flipped when rc is 0. */
function expected(n: number, delta: number, rc: number): Uint8Array {
  const len = rc === 0 ? n + delta : n;
  const out = new Uint8Array(len);
  out.set(frame(n).subarray(0, Math.min(n, len)));
  if (rc === 0) out[0]! ^= 0xff;
  return out;
}

const cases: [string, number, number, number][] = [
  ['the fragment shrinks', 4000, -4, 0],
  ['the fragment grows into its page, zero-filled', 4000, 100, 0],
  ['a fragment shrunk to nothing is freed', 4000, -(4000 - XDP_MAX_DATA), 0],
  ['past the fragments the linear part shrinks', 4000, -500, 0],
  ['growing past the page is refused', 4000, 4096 - (4000 - XDP_MAX_DATA) + 1, -EINVAL],
  ['shrinking below an Ethernet header is refused', 4000, -(4000 - 13), -EINVAL],
  ['two fragments: the last grows', 8000, 10, 0],
  ['two fragments: the last is freed and the first shrinks', 8000, -400, 0],
  ['a linear frame still shrinks its linear part', 1500, -100, 0],
];

for (const backend of BACKENDS.keys()) {
  t.test(backend, async (t) => {
    for (const [what, n, delta, rc] of cases) {
      const r = run(backend, n, delta);
      t.equal(r.rc, rc, `${what}: rc`);
      t.same(r.out, expected(n, delta, rc), `${what}: data_out`);
    }
  });
}
