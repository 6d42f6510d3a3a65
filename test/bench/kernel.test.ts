/**
 * @file The kernel contender's runs: `BPF_PROG_TEST_RUN` interrupted by a
 * signal (`EINTR`) is retried with a smaller repeat and its figures summed,
 * and ring buffers are emptied between batches on host backends and in the
 * kernel, so the `ringbuf` benchmark measures output, not drops (the
 * counters of `bench/progs/ringbuf.c` say how many records fit and how many
 * were dropped). The kernel half skips, saying why, without a working bpf().
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { loadObject } from '../../src/elf/index.js';
import { BACKENDS } from '../../src/host/backend.js';
import {
  backendContender, EINTR, kernelRingDrain, kernelUnavailable, loadIntoKernel, testRunRepeated, type KernelBpf,
} from '../../src/host/bench/index.js';
import { Instance } from '../../src/host/instance.js';
import { tcpPacket } from '../../bench/packets.js';
import { kernelBpf } from '../../src/cli/commands/bench.js';
import { mapLookup } from '../../runtimes/node/bpf-syscall.js';

const root = new URL('../../', import.meta.url).pathname;
/** Records of bench/progs/ringbuf.c (8-byte header + 16 bytes) that its 1 MiB ring holds. */
const RING_RECORDS = Math.floor(((1 << 20) - 1) / 24);
const packet = tcpPacket(1500);
/** `(total length << 8) | protocol` of the packet, what ringbuf.c returns. */
const RINGBUF_RETVAL = ((1500 - 14) << 8) | 6;

/** A fake `bpf()` whose test runs fail with the given errnos first, then succeed (4 ns per run, retval 9). */
function fakeBpf(failures: number[]): { bpf: KernelBpf; repeats: number[] } {
  const repeats: number[] = [];
  const bpf = {
    progTestRun(_fd: number, a: { repeat?: number }) {
      repeats.push(a.repeat ?? 1);
      const e = failures.shift();
      return e !== undefined ? { err: -e, retval: 0, duration: 0 } : { err: 0, retval: 9, duration: 4 };
    },
  } as unknown as KernelBpf;
  return { bpf, repeats };
}

t.test('BPF_PROG_TEST_RUN: EINTR is retried, with a smaller repeat when it persists', async (t) => {
  const once = fakeBpf([EINTR]);
  t.same(testRunRepeated(once.bpf, 3, packet, 1000), { r0: 9n, ns: 4000 }, 'one interruption: the same call again');
  t.same(once.repeats, [1000, 1000]);

  const twice = fakeBpf([EINTR, EINTR]);
  t.same(testRunRepeated(twice.bpf, 3, packet, 1000), { r0: 9n, ns: 4000 }, 'the figures of the smaller calls add up');
  t.same(twice.repeats, [1000, 1000, 250, 250, 250, 250], 'two in a row: a quarter of the repeat');

  const always = fakeBpf(Array(100).fill(EINTR));
  t.throws(() => testRunRepeated(always.bpf, 3, packet, 1000), /interrupted \(errno 4\) 13 times/, 'bounded: it gives up');
  t.ok(always.repeats.length === 13 && always.repeats.at(-1)! < 1000, `gave up after ${always.repeats.length} calls, last repeat ${always.repeats.at(-1)}`);

  const other = fakeBpf([22]);
  t.throws(() => testRunRepeated(other.bpf, 3, packet, 1000), /failed with errno 22/, 'other errors are not retried');
  t.same(other.repeats, [1000]);
});

/** The `sent` and `dropped` counters of ringbuf.c's `.bss` (clang lays them out in reverse: `dropped` first). */
function counters(bytes: Uint8Array): { sent: bigint; dropped: bigint } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, 16);
  return { sent: v.getBigUint64(8, true), dropped: v.getBigUint64(0, true) };
}

const object = loadObject(new Uint8Array(readFileSync(`${root}bench/progs/ringbuf.o`)), { file: 'ringbuf.o' });
const prog = object.programs[0]!;
const bss = object.maps.findIndex((m) => m.name.endsWith('.bss'));

t.test('host backends: the ring is emptied before each batch, so a batch of what it holds drops nothing', async (t) => {
  let instance: Instance | undefined;
  const c = backendContender(BACKENDS.get('wasm')!, prog, () => (instance = new Instance(object)));
  const p = c.prepare({ name: 'tcp1500', data: packet }, () => 0n);
  t.teardown(() => p.dispose());
  const read = (): { sent: bigint; dropped: bigint } => {
    const value = new Uint8Array(16);
    t.equal(instance!.mapList[bss]!.lookupUser(new Uint8Array(4), value, 0), 0);
    return counters(value);
  };
  const before = read();
  t.equal(p.batch(RING_RECORDS).r0, BigInt(RINGBUF_RETVAL));
  p.batch(RING_RECORDS);
  const after = read();
  t.same({ sent: after.sent - before.sent, dropped: after.dropped - before.dropped }, { sent: BigInt(2 * RING_RECORDS), dropped: 0n });
  p.batch(RING_RECORDS + 100);
  const over = read();
  t.same({ sent: over.sent - after.sent, dropped: over.dropped - after.dropped }, { sent: BigInt(RING_RECORDS), dropped: 100n }, 'a batch larger than the ring drops the rest');
});

const k = await kernelBpf();
const why = kernelUnavailable(k.bpf, k.reason);

t.test('the kernel: its ring is emptied through the mmap\'ed consumer page', { skip: why !== undefined ? `skipped: ${why}` : false }, async (t) => {
  const bpf = k.bpf!;
  const loaded = loadIntoKernel(bpf, prog, new Instance(object), process.hrtime.bigint);
  const drain = kernelRingDrain(bpf, new Instance(object), loaded.mapFds);
  t.teardown(() => { drain.release(); loaded.close(); });
  const read = (): { sent: bigint; dropped: bigint } => {
    const value = new Uint8Array(16);
    t.equal(mapLookup(loaded.mapFds[bss]!, new Uint8Array(4), value), 0);
    return counters(value);
  };
  t.same(testRunRepeated(bpf, loaded.progFd, packet, RING_RECORDS + 100).r0, BigInt(RINGBUF_RETVAL));
  t.same(read(), { sent: BigInt(RING_RECORDS), dropped: 100n }, 'the kernel\'s ring holds as many records as ours');
  drain.drain();
  testRunRepeated(bpf, loaded.progFd, packet, RING_RECORDS);
  t.same(read(), { sent: BigInt(2 * RING_RECORDS), dropped: 100n }, 'after draining, a full ring\'s worth fits again');
  testRunRepeated(bpf, loaded.progFd, packet, 1);
  t.same(read(), { sent: BigInt(2 * RING_RECORDS), dropped: 101n }, 'and no more');
});
