/**
 * @file `bpf_loop` and `bpf_for_each_map_elem` on every backend (each calls
 * back into the program its own way: nested interpreter loops, the module's
 * function table, nested emulator calls): early stops, the callback's
 * context, writes through the value pointer, array and hash iteration; and
 * the helpers' argument checks.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { ipv4Frame } from '../../src/cli/packets.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { loadObject } from '../../src/elf/index.js';
import { BACKENDS } from '../../src/host/backend.js';
import { callbackHelpers, CALLBACK_HELPER_IDS, MAX_LOOPS } from '../../src/host/helpers/callback-helpers.js';
import { steppingClock } from '../../src/host/instance.js';
import { Instance } from '../../src/host/instance.js';
import { dumpMaps } from '../../src/host/map-io.js';
import { testRun } from '../../src/host/test-run.js';
import type { BpfObject, ProgramSpec } from '../../src/elf/types.js';
import { assemble } from '../../src/isa/asm.js';

const object = loadObject(new Uint8Array(readFileSync(new URL('../fixtures/callbacks-el.o', import.meta.url))));
const frame = (proto: 'udp' | 'tcp'): Uint8Array => ipv4Frame({ src: '1.2.3.4', dst: '5.6.7.8', proto, sport: 1, dport: 2 });

/** `results[0..5]` from `.bss`. */
function results(instance: Instance): number[] {
  const out = new Uint8Array(48);
  instance.maps.get('.bss')!.lookupUser(new Uint8Array(4), out, 0);
  const v = new DataView(out.buffer);
  return Array.from({ length: 6 }, (_, i) => Number(v.getBigUint64(i * 8, true)));
}

const dumps = new Map<string, string>();
for (const [name, backend] of BACKENDS) {
  t.test(name, async (t) => {
    const instance = new Instance(object);
    const prog = instance.program('callbacks');
    // UDP: protocol 17, stop_at = 1
    t.equal(testRun(instance, prog, backend, { data: frame('udp') }).retval, 2);
    t.same(results(instance), [2, 0 + 1, 1, 0, 3, 7000 + 1 + 14000 + 2 + 21000 + 3], 'bpf_loop stops after i = 1; for_each over the array stops after one element');
    // TCP: protocol 6, stop_at = 6
    t.equal(testRun(instance, prog, backend, { data: frame('tcp') }).retval, 2);
    t.same(results(instance), [7, 21, 4, 1 + 1000 + 2000 + 3000, 3, 7000 + 2 + 14000 + 3 + 21000 + 4], 'callbacks saw the values the first run wrote');
    const maps = dumpMaps(instance);
    t.same(maps.arr!.entries.map((e) => ('value' in e ? e.value : e.values)), ['0200000000000000', '0100000000000000', '0100000000000000', '0100000000000000']);
    dumps.set(name, JSON.stringify(maps));
  });
}

t.test('every backend leaves the same maps', async (t) => {
  t.equal(dumps.size, BACKENDS.size);
  t.equal(new Set(dumps.values()).size, 1);
});

t.test('argument checks', async (t) => {
  const memory = new LinearMemory();
  const host = { map: () => undefined, cpu: () => 0, clock: steppingClock(), randomSeed: 1, log: () => undefined };
  const h = callbackHelpers(host);
  const calls: bigint[] = [];
  const env = { memory, ctx: 0, pc: 3, callback: (_fn: bigint, r1: bigint) => { calls.push(r1); return 0n; } };
  const loop = h.get(CALLBACK_HELPER_IDS.loop)!;
  t.equal(loop(env, 3n, 0n, 0n, 1n, 0n), BigInt.asUintN(64, -22n), 'flags must be 0: -EINVAL');
  t.equal(loop(env, BigInt(MAX_LOOPS + 1), 0n, 0n, 0n, 0n), BigInt.asUintN(64, -7n), 'more than 2^23 loops: -E2BIG');
  t.same(calls, [], 'no callback ran');
  t.equal(loop(env, 3n, 0n, 0n, 0n, 0n), 3n);
  t.same(calls, [0n, 1n, 2n]);
  try {
    loop({ memory, ctx: 0, pc: 3 }, 1n, 0n, 0n, 0n, 0n);
    t.fail('ran without a callback');
  } catch (e) {
    t.equal((e as DiagnosticError).code, 'RUN_UNSUPPORTED');
  }
  const each = h.get(CALLBACK_HELPER_IDS.for_each_map_elem)!;
  try {
    each(env, 5n, 0n, 0n, 0n, 0n);
    t.fail('ran on a bad map pointer');
  } catch (e) {
    t.equal((e as DiagnosticError).code, 'HOST_HELPER_BAD_MAP');
  }
});

t.test('a callback address that names no function is a diagnostic with the pc, on every backend', async (t) => {
  const { insns, diagnostics } = assemble('mov %r1, 1\nlddw %r2, 0x7777\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit');
  t.same(diagnostics, []);
  const prog: ProgramSpec = { name: 'main', section: '.text', type: 0, insns, origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true };
  const bad: BpfObject = { license: 'GPL', endian: 'little', programs: [prog], maps: [], diagnostics: [] };
  for (const [name, backend] of BACKENDS) {
    const instance = new Instance(bad);
    const ctx = instance.memory.map('ctx', 'ctx', 8, true);
    try {
      backend.load(prog, instance).run(ctx.start);
      t.fail(`${name} ran`);
    } catch (e) {
      t.ok(e instanceof DiagnosticError, name);
      t.equal((e as DiagnosticError).code, 'RUN_BAD_CALLBACK', name);
      t.equal((e as DiagnosticError).diagnostic.location.pc, 5, `${name}: the call's pc`);
    }
  }
});
