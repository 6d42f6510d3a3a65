/**
 * @file Helpers checked against the Linux kernel: the same eBPF program runs
 * under `BPF_PROG_TEST_RUN` and on the host (interpreter + host maps and
 * helpers); r0, every map's contents and the output packet must agree.
 * Skips, saying why, where `bpf()` is unavailable.
 */

import t from 'tap';
import { readFileSync } from 'node:fs';
import { MapType } from '../../src/abi/map-types.js';
import { BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BPF_F_ZERO_SEED } from '../../src/host/maps/flags.js';
import * as k from '../../runtimes/node/bpf-syscall.js';
import { runHost, runKernel, type ProgCase } from './harness.js';
import { assemble } from '../../src/isa/asm.js';
import { encode } from '../../src/isa/insn.js';
import type { RingbufMap } from '../../src/host/maps/ringbuf.js';


function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Store bytes on the stack at r10-off (byte stores). */
function stackBytes(bytes: Uint8Array | readonly number[], off: number): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += `stb [%r10-${off - i}], ${bytes[i]}\n`;
  return s;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const u32le = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
/** The output map: an array of one 128-byte value. */
const OUT = { type: MapType.ARRAY, keySize: 4, valueSize: 128, maxEntries: 1 } as const;
/** r6 = &out[0] (map 0), with a null check the verifier needs. */
const LOOKUP_OUT = `stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_by_fd(0)
call 1
jne %r0, 0, +2
mov %r0, 99
exit
mov %r6, %r0
`;

function compare(t: { same(found: unknown, wanted: unknown, message: string): unknown }, name: string, c: ProgCase, nCpus: number): void {
  const kr = runKernel(c, nCpus);
  const hr = runHost(c, { nCpus });
  t.same({ r0: hr.r0, maps: hr.maps, data: hr.data }, { r0: kr.r0, maps: kr.maps, data: kr.data }, name);
}

function main(): void {
  const nCpus = k.possibleCpus(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));

  t.test('map helpers from a program', (t) => {
    const r = rng(7);
    // maps: 0 out, 1 hash, 2 percpu array, 3 lpm, 4 queue, 5 lru
    const maps = [
      OUT,
      { type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_ZERO_SEED },
      { type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 },
      { type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 8, flags: BPF_F_NO_PREALLOC },
      { type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 3 },
      { type: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_ZERO_SEED },
    ];
    for (let round = 0; round < 40; round++) {
      let asm = LOOKUP_OUT;
      // a sequence of helper calls; each result is stored into out[8 * i]
      for (let i = 0; i < 12; i++) {
        const op = Math.floor(r() * 8);
        const key = Math.floor(r() * 6);
        const val = Math.floor(r() * 1000);
        const flags = [0, 0, 1, 2, 4][Math.floor(r() * 5)]!;
        asm += `stw [%r10-16], ${key}\nstdw [%r10-24], ${val}\nstw [%r10-32], ${(r() * 40) | 0}\nstw [%r10-28], ${0xc0a80000 + key}\n`;
        switch (op) {
          case 0: asm += `lddw %r1, map_by_fd(1)\nmov %r2, %r10\nadd %r2, -16\nmov %r3, %r10\nadd %r3, -24\nmov %r4, ${flags}\ncall 2\n`; break;
          case 1: asm += `lddw %r1, map_by_fd(1)\nmov %r2, %r10\nadd %r2, -16\ncall 3\n`; break;
          case 2: asm += `lddw %r1, map_by_fd(1)\nmov %r2, %r10\nadd %r2, -16\ncall 1\njeq %r0, 0, +1\nldxdw %r0, [%r0]\n`; break;
          case 3: asm += `lddw %r1, map_by_fd(2)\nmov %r2, %r10\nadd %r2, -16\nmov %r3, %r10\nadd %r3, -24\nmov %r4, ${flags}\ncall 2\n`; break;
          case 4: asm += `lddw %r1, map_by_fd(3)\nmov %r2, %r10\nadd %r2, -32\nmov %r3, %r10\nadd %r3, -24\nmov %r4, ${flags & 3}\ncall 2\n`; break;
          case 5: asm += `lddw %r1, map_by_fd(3)\nmov %r2, %r10\nadd %r2, -32\ncall 1\njeq %r0, 0, +1\nldxw %r0, [%r0]\n`; break;
          case 6: asm += `lddw %r1, map_by_fd(4)\nmov %r2, %r10\nadd %r2, -24\nmov %r3, ${flags & 2}\ncall 87\n`
            + `lddw %r1, map_by_fd(4)\nmov %r2, %r10\nadd %r2, -40\ncall ${r() < 0.5 ? 88 : 89}\nldxw %r1, [%r10-40]\nadd %r0, %r1\n`; break;
          default: asm += `lddw %r1, map_by_fd(5)\nmov %r2, %r10\nadd %r2, -16\nmov %r3, %r10\nadd %r3, -24\nmov %r4, ${flags & 3}\ncall 2\n`
            + `lddw %r1, map_by_fd(5)\nmov %r2, %r10\nadd %r2, -16\nmov %r3, ${(r() * 3) | 0}\ncall 195\njeq %r0, 0, +1\nldxw %r0, [%r0]\n`; break;
        }
        asm += `stxdw [%r6+${8 * i}], %r0\n`;
      }
      asm += 'mov %r0, 2\nexit\n';
      // the queue pop target must be initialised for the verifier
      asm = asm.replace(LOOKUP_OUT, `${LOOKUP_OUT}stw [%r10-40], 0\n`);
      compare(t, `round ${round}`, { maps, asm, init: [[1, u32le(1), new Uint8Array(8).fill(5)], [3, new Uint8Array([16, 0, 0, 0, 0xc0, 0xa8, 0, 0]), u32le(77)]] }, nCpus);
    }
    t.end();
  });

  t.test('csum_diff', (t) => {
    const r = rng(11);
    for (let round = 0; round < 60; round++) {
      const fromN = [0, 1, 2, 4, 5][Math.floor(r() * 5)]!;
      const toN = [0, 1, 3, 4, 8][Math.floor(r() * 5)]!;
      const words = (n: number): number[] => Array.from({ length: n }, () => (r() < 0.2 ? 0xffffffff : r() < 0.2 ? 0 : Math.floor(r() * 2 ** 32)));
      const from = words(fromN);
      const to = words(toN);
      const seed = r() < 0.3 ? 0 : Math.floor(r() * 2 ** 32);
      let asm = LOOKUP_OUT;
      from.forEach((w, i) => { asm += `mov32 %r2, ${w | 0}\nstxw [%r10-${100 - 4 * i}], %r2\n`; });
      to.forEach((w, i) => { asm += `mov32 %r2, ${w | 0}\nstxw [%r10-${60 - 4 * i}], %r2\n`; });
      asm += `mov %r1, %r10\nadd %r1, -100\nmov %r2, ${fromN * 4}\nmov %r3, %r10\nadd %r3, -60\nmov %r4, ${toN * 4}\nmov32 %r5, ${seed | 0}\n`;
      if (fromN === 0) asm += 'mov %r1, 0\n';
      if (toN === 0) asm += 'mov %r3, 0\n';
      asm += 'call 28\nstxdw [%r6+0], %r0\nexit\n';
      compare(t, `from ${from.map((x) => x.toString(16))} to ${to.map((x) => x.toString(16))} seed ${seed.toString(16)}`, { maps: [OUT], asm }, nCpus);
    }
    t.end();
  });

  t.test('strtol and strtoul', (t) => {
    const inputs = ['123', '  -42xyz', '0x1f', '0X', '0', '-', '', ' \t\n+5', '0777', '08', '18446744073709551615', '18446744073709551616',
      '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', 'ff', '0xffffffffffffffff', '-0x10',
      '   ', '1'.repeat(70), '0x', '00x10', '12 34'];
    for (const s of inputs) {
      for (const flags of [0, 10, 16, 8, 2, 0x20 | 10]) {
        for (const helper of [105, 106]) {
          const b = enc(s);
          const len = Math.max(1, b.length);
          let asm = LOOKUP_OUT;
          asm += stackBytes(b.length ? b : [0], 100);
          asm += `stdw [%r10-8], 7\nmov %r1, %r10\nadd %r1, -100\nmov %r2, ${len}\nmov %r3, ${flags}\nmov %r4, %r10\nadd %r4, -8\ncall ${helper}\n`;
          asm += 'stxdw [%r6+0], %r0\nldxdw %r1, [%r10-8]\nstxdw [%r6+8], %r1\nmov %r0, 2\nexit\n';
          compare(t, `${helper === 105 ? 'strtol' : 'strtoul'}(${JSON.stringify(s)}, ${flags})`, { maps: [OUT], asm }, nCpus);
        }
      }
    }
    t.end();
  });

  // constant strings live in a frozen read-only map (ARG_PTR_TO_CONST_STR)
  const RO = { type: MapType.ARRAY, keySize: 4, valueSize: 256, maxEntries: 1, flags: BPF_F_RDONLY_PROG } as const;
  const roValue = (parts: [number, string | Uint8Array][]): Uint8Array => {
    const v = new Uint8Array(256);
    for (const [off, s] of parts) v.set(typeof s === 'string' ? enc(s) : s, off);
    return v;
  };

  t.test('strncmp', (t) => {
    const pairs: [string, string, number][] = [['abc', 'abc', 4], ['abc', 'abd', 3], ['abd', 'abc', 3], ['ab', 'abc', 3], ['abc', 'ab', 3],
      ['abc', 'abd', 2], ['', '', 1], ['\xff', 'a', 1], ['hello', 'help', 5], ['x', 'xyz', 1]];
    for (const [a, b, n] of pairs) {
      let asm = LOOKUP_OUT;
      const ab = new Uint8Array([...Buffer.from(a, 'latin1'), 0]);
      asm += stackBytes(ab, 100);
      asm += `mov %r1, %r10\nadd %r1, -100\nmov %r2, ${Math.min(n, ab.length)}\nlddw %r3, map_value_by_fd(1)+0\ncall 182\nstxdw [%r6+0], %r0\nmov %r0, 2\nexit\n`;
      compare(t, `strncmp(${JSON.stringify(a)}, ${JSON.stringify(b)}, ${n})`, {
        maps: [OUT, RO], asm, init: [[1, u32le(0), roValue([[0, Buffer.from(b, 'latin1')]])]], freeze: [1],
      }, nCpus);
    }
    t.end();
  });

  t.test('snprintf and trace_printk formatting', (t) => {
    type Arg = bigint | 'str' | 'ip4' | 'ip6';
    const cases: [string, Arg[]][] = [
      ['plain', []], ['%d|%i|%u', [-5n, 7n, -1n]], ['%x %X %lx %llx', [0xabcdefn, 0xabcdefn, -1n, 0x123456789n]],
      ['%5d|%-5d|%05d|%+d|% d', [42n, 42n, 42n, 42n, 42n]], ['%ld %lu %lld %llu', [-1n, -1n, -9n, 9n]], ['%c%c', [65n, 0x62n]],
      ['%%|%s|', ['str']], ['%px', [0x1234n]], ['%ps', [0xdeadn]], ['%pI4 %pi4', ['ip4', 'ip4']], ['%pI6|%pi6', ['ip6', 'ip6']],
      ['%10s|%-6s|', ['str', 'str']], ['%pks', ['str']], ['%s', [0n]], ['%d', []], ['%q', [1n]], ['%.2d', [1n]], ['%lc', [1n]], ['%hd', [1n]],
      ['%p%', [1n]], ['%s%', ['str']], ['%--------', [1n]], ['bell\x07', []], ['%08x', [0xbeefn]], ['%-08x|', [0xbeefn]], ['%+u', [5n]],
      ['%-+5d|%0-5d|% 05d', [3n, 3n, 3n]], ['%d %u %x', [0x1ffffffffn, 0x1ffffffffn, 0x1ffffffffn]], ['%20lx|%-20lu|', [-2n, -2n]],
      ['%lu%lu%lu%lu%lu%lu%lu%lu%lu%lu%lu%lu', Array.from({ length: 12 }, (_, i) => BigInt(i))], ['%d', [1n, 2n]],
    ];
    for (const [fmt, args] of cases) {
      let asm = LOOKUP_OUT;
      args.forEach((a, i) => {
        if (typeof a === 'string') asm += `lddw %r1, map_value_by_fd(1)+${{ str: 64, ip4: 128, ip6: 160 }[a]}\nstxdw [%r10-${200 - 8 * i}], %r1\n`;
        else asm += `lddw %r1, ${BigInt.asUintN(64, a)}\nstxdw [%r10-${200 - 8 * i}], %r1\n`;
      });
      asm += `mov %r1, %r6\nadd %r1, 8\nmov %r2, 100\nlddw %r3, map_value_by_fd(1)+0\nmov %r4, %r10\nadd %r4, -200\nmov %r5, ${args.length * 8}\n`;
      if (args.length === 0) asm += 'mov %r4, 0\n';
      asm += 'call 165\nstxdw [%r6+0], %r0\nmov %r0, 2\nexit\n';
      const ro = roValue([[0, fmt], [64, 'str!'], [128, new Uint8Array([192, 168, 1, 10])], [160, new Uint8Array([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])]]);
      const c: ProgCase = { maps: [OUT, RO], asm, init: [[1, u32le(0), ro]], freeze: [1] };
      const kr = runKernel(c, nCpus);
      if (typeof kr.r0 === 'string' && kr.r0.includes('Invalid format string')) {
        // the kernel's verifier checks a constant format at load time; the host checks it when called
        const hr = runHost(c, { nCpus });
        t.match(hr.maps[0]?.[0] ?? '', /^00000000=eaffffffffffffff/, `snprintf ${JSON.stringify(fmt)}: -EINVAL like the kernel's load-time check`);
        continue;
      }
      compare(t, `snprintf ${JSON.stringify(fmt)}`, c, nCpus);
    }
    // trace_printk: the returned length (the text goes to the trace pipe)
    for (const [fmt, args] of cases) {
      if (args.length > 3 || args.some((a) => typeof a === 'string')) continue;
      let asm = LOOKUP_OUT;
      const fb = new Uint8Array([...enc(fmt), 0]);
      asm += stackBytes(fb, 200);
      asm += `mov %r1, %r10\nadd %r1, -200\nmov %r2, ${fb.length}\n`;
      // r3..r5 always reach the helper: set the unused ones too
      [0, 1, 2].forEach((i) => { asm += `lddw %r${3 + i}, ${BigInt.asUintN(64, (args[i] as bigint | undefined) ?? 0n)}\n`; });
      asm += 'call 6\nstxdw [%r6+0], %r0\nmov %r0, 2\nexit\n';
      compare(t, `trace_printk ${JSON.stringify(fmt)}`, { maps: [OUT], asm }, nCpus);
    }
    t.end();
  });

  t.test('ring buffer records byte for byte', (t) => {
    const asm = `stw [%r10-8], 0x64636261
stb [%r10-4], 0x65
lddw %r1, map_by_fd(0)
mov %r2, %r10
add %r2, -8
mov %r3, 5
mov %r4, 0
call 130
lddw %r1, map_by_fd(0)
mov %r2, 12
mov %r3, 0
call 131
jeq %r0, 0, skip1
stw [%r0], 0x11223344
stw [%r0+4], 0x55667788
stw [%r0+8], 7
mov %r1, %r0
mov %r2, 0
call 132
skip1:
lddw %r1, map_by_fd(0)
mov %r2, 3
mov %r3, 0
call 131
jeq %r0, 0, skip2
mov %r1, %r0
mov %r2, 0
call 133
skip2:
stdw [%r10-32], 0x01020304
stdw [%r10-24], -1
stdw [%r10-16], 0x7f
lddw %r1, map_by_fd(0)
mov %r2, %r10
add %r2, -32
mov %r3, 20
mov %r4, 1
call 130
lddw %r1, map_by_fd(0)
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, skip3
stdw [%r0], 0x42
mov %r1, %r0
mov %r2, 2
call 132
skip3:
lddw %r1, map_by_fd(0)
mov %r2, 0
call 134
exit
`;
    const size = 4096;
    const spec = { type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: size } as const;
    // kernel: run, then read the ring as libbpf maps it
    const fd = k.mapCreate({ type: spec.type, keySize: 0, valueSize: 0, maxEntries: size });
    t.ok(fd >= 0, 'kernel ring buffer');
    const insns = assemble(asm).insns.map((i) => (i.src === 1 && i.imm2 !== undefined ? { ...i, imm: fd } : i));
    const p = k.progLoad({ type: 6, insns: encode(insns), logLevel: 1 });
    t.ok(p.fd >= 0, `program loads ${p.fd < 0 ? p.log.slice(-300) : ''}`);
    const kr = k.progTestRun(p.fd, { data: new Uint8Array(64) });
    const view = k.mapMmap(fd, 4096 + 2 * size, 4096, false);
    if (typeof view === 'number') { t.fail(`mmap ${view}`); t.end(); return; }
    const prod = Number(new DataView(view.bytes.buffer, view.bytes.byteOffset).getBigUint64(0, true));
    const kernelBytes = Buffer.from(view.bytes.slice(4096, 4096 + prod)).toString('hex');
    view.unmap();
    k.close(p.fd);
    k.close(fd);
    // host
    const hr = runHost({ asm, maps: [spec] }, { nCpus });
    const rb = hr.maps_[0] as RingbufMap;
    const hostBytes = Buffer.from(hr.memory.bytes.slice(rb.region.start, rb.region.start + rb.producerPos)).toString('hex');
    t.equal(hr.r0, kr.retval, 'bpf_ringbuf_query(AVAIL_DATA)');
    t.equal(prod, 16 + 24 + 16 + 32 + 16, 'five records in the kernel ring (5, 12, 3 discarded, 20, 8 bytes)');
    t.equal(rb.producerPos, prod, 'producer position');
    t.equal(hostBytes, kernelBytes, 'headers (len, busy/discard bits, pg_off), data and padding');
    t.end();
  });

  t.test('l3/l4_csum_replace on a tc packet', (t) => {
    const r = rng(5);
    for (let round = 0; round < 40; round++) {
      const data = new Uint8Array(64).map(() => Math.floor(r() * 256));
      const helper = r() < 0.5 ? 10 : 11;
      const off = [0, 14 + 10, 40, 62, 63, 64][Math.floor(r() * 6)]!;
      const size = [0, 2, 4, 3][Math.floor(r() * 4)]!;
      const extra = helper === 11 ? [0, 0x10, 0x20, 0x60, 0x100][Math.floor(r() * 5)]! : [0, 0, 0x10][Math.floor(r() * 3)]!;
      if (r() < 0.3) { data[off] = 0; data[off + 1] = 0; }
      const from = size === 0 && r() < 0.8 ? 0 : Math.floor(r() * 2 ** 32);
      const to = Math.floor(r() * 2 ** 32);
      const asm = `mov32 %r2, ${off}\nmov32 %r3, ${from | 0}\nmov32 %r4, ${to | 0}\nmov32 %r5, ${size | extra}\ncall ${helper}\nexit\n`;
      compare(t, `${helper === 10 ? 'l3' : 'l4'}_csum_replace off ${off} from ${from.toString(16)} to ${to.toString(16)} flags ${(size | extra).toString(16)}`,
        { asm, progType: 3, data }, nCpus);
    }
    t.end();
  });
}

const avail = k.available();
if (!avail.ok) t.plan(0, `kernel bpf() unavailable: ${avail.reason}`);
else main();
