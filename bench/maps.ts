/**
 * @file Micro-benchmark: nanoseconds per map lookup, hash and array, on the
 * host — directly, through the `bpf_map_lookup_elem` helper as a backend calls
 * it, and from a program on the interpreter and compiled to WebAssembly (where
 * an array lookup is address arithmetic and a hash lookup probes the map's
 * index in the memory; also timed calling the map's `lookupAt` through an
 * import instead) — with baselines measured in the same run (a JavaScript
 * `Map.get`, a no-op helper call, an empty program loop), and the kernel's
 * figure for the same program through `BPF_PROG_TEST_RUN` when `bpf()` works
 * here.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/maps.js`
 * (or `node --import @tapjs/typescript/import bench/maps.ts`).
 */

import { LinearMemory } from '../src/abi/linear-memory.js';
import type { HelperFn } from '../src/abi/helper-env.js';
import { MapType } from '../src/abi/map-types.js';
import { assemble } from '../src/isa/asm.js';
import { encode, type Insn } from '../src/isa/insn.js';
import { prepare, run } from '../src/interp/index.js';
import { createMap } from '../src/host/maps/create.js';
import type { BpfMap } from '../src/host/maps/map.js';
import { MapRegistry } from '../src/host/maps/registry.js';
import { hostHelpers } from '../src/host/helpers/table.js';
import type { BpfObject, MapSpec as ObjectMapSpec, ProgramSpec } from '../src/elf/types.js';
import { Instance } from '../src/host/instance.js';
import { wasmBackend } from '../src/host/wasm-backend.js';
import * as k from '../runtimes/node/bpf-syscall.js';

const N = 2_000_000;
const ENTRIES = 1024;
const LOOP = 1000;

/** Best of 5 timings of `f(n)`, in ns per iteration. */
function time(n: number, f: (n: number) => void): number {
  f(Math.min(n, 100_000));
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    f(n);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

const rows: [string, number][] = [];
const row = (name: string, ns: number): void => { rows.push([name, ns]); };

// baselines
const jsMap = new Map<number, number>();
for (let i = 0; i < ENTRIES; i++) jsMap.set(i, i);
let sink = 0;
row('baseline: JS Map.get(number)', time(N, (n) => { for (let i = 0; i < n; i++) sink += jsMap.get(i & (ENTRIES - 1))!; }));

const mem = new LinearMemory();
const reg = new MapRegistry();
const maps: Record<string, BpfMap> = {
  hash: createMap({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: ENTRIES }, mem),
  array: createMap({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: ENTRIES }, mem),
};
const key = new Uint8Array(4);
for (const m of Object.values(maps)) {
  reg.add(m);
  for (let i = 0; i < ENTRIES; i++) { new DataView(key.buffer).setUint32(0, i, true); m.updateUser(key, new Uint8Array(8), 0); }
}
const keyRegion = mem.map('keys', 'heap', 4 * ENTRIES, false);
for (let i = 0; i < ENTRIES; i++) mem.view.setUint32(keyRegion.start + 4 * i, i, true);
const helpers = hostHelpers({
  map: (p) => reg.get(Number(p)), cpu: () => 0, clock: { monotonicNs: () => 0n }, randomSeed: 0, log: () => undefined,
});
const lookup = helpers.get(1) as HelperFn;
const env = { memory: mem, ctx: 0, pc: 0 };
const noop: HelperFn = (_e, r1) => r1;
row('baseline: no-op helper call (BigInt args)', time(N, (n) => { for (let i = 0; i < n; i++) sink += Number(noop(env, 1n, BigInt(keyRegion.start), 0n, 0n, 0n) & 1n); }));

for (const [name, m] of Object.entries(maps)) {
  const bytes = mem.bytes;
  row(`${name}: map.lookupAt (direct)`, time(N, (n) => { for (let i = 0; i < n; i++) sink += m.lookupAt!(bytes, keyRegion.start + 4 * (i & (ENTRIES - 1)), 0)!; }));
  const id = BigInt(reg.idOf(m));
  const keys = Array.from({ length: ENTRIES }, (_, i) => BigInt(keyRegion.start + 4 * i));
  row(`${name}: bpf_map_lookup_elem helper`, time(N, (n) => { for (let i = 0; i < n; i++) sink += Number(lookup(env, id, keys[i & (ENTRIES - 1)]!, 0n, 0n, 0n) & 1n); }));
}

// from a program: LOOP lookups per run, minus an empty loop of the same length
const loopAsm = (withLookup: boolean): string => `stw [%r10-4], 0
mov %r6, 0
loop:
mov %r1, %r6
and %r1, ${ENTRIES - 1}
stxw [%r10-4], %r1
${withLookup ? 'mov %r2, %r10\nadd %r2, -4\nlddw %r1, map_by_fd(0)\ncall 1' : 'mov %r2, %r10\nadd %r2, -4\nmov %r1, 0\nmov %r0, 0'}
add %r6, 1
jlt %r6, ${LOOP}, loop
mov %r0, 2
exit
`;
const asm = (text: string): Insn[] => {
  const a = assemble(text);
  if (a.diagnostics.length > 0) throw new Error(a.diagnostics.map((d) => d.message).join('; '));
  return a.insns;
};
const interpPerLookup = (m: BpfMap): number => {
  const lddw = { resolve: (kind: number) => (kind === 1 ? BigInt(reg.idOf(m)) : undefined) };
  const withL = prepare(asm(loopAsm(true)), { lddw });
  const without = prepare(asm(loopAsm(false)), { lddw });
  const stack = mem.map('stack', 'stack', 4096, true);
  const runs = 200;
  const a = time(runs, (n) => { for (let i = 0; i < n; i++) run(withL, { memory: mem, helpers, stack }); });
  const b = time(runs, (n) => { for (let i = 0; i < n; i++) run(without, { memory: mem, helpers, stack }); });
  mem.unmap(stack);
  return (a - b) / LOOP;
};
for (const [name, m] of Object.entries(maps)) row(`${name}: from a program (interpreter, loop cost removed)`, interpPerLookup(m));

// the same program compiled to WebAssembly (verified first, as the wasm backend does)
const wasmPerLookup = (type: number, typeName: string, withIndex = true): number => {
  const spec: ObjectMapSpec = {
    name: 'm', type, typeName, keySize: 4, valueSize: 8, maxEntries: ENTRIES, flags: 0, pinning: 0, readonly: false, kind: 'btf', section: '.maps',
  };
  const program = (withLookup: boolean): ProgramSpec => ({
    name: 'loop', section: 'xdp', type: 6, insns: asm(loopAsm(withLookup).replace('map_by_fd(0)', 'map_by_idx(0)')),
    origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true,
  });
  const perRun = (withLookup: boolean): number => {
    const prog = program(withLookup);
    const object: BpfObject = { license: 'GPL', endian: 'little', programs: [prog], maps: [spec], diagnostics: [] };
    const instance = new Instance(object);
    // without the index in the memory, each lookup calls the map's lookupAt through an import
    if (!withIndex) instance.mapIndex = () => 0;
    for (let i = 0; i < ENTRIES; i++) { new DataView(key.buffer).setUint32(0, i, true); instance.mapList[0]!.updateUser(key, new Uint8Array(8), 0); }
    const exe = wasmBackend().load(prog, instance);
    const ctx = instance.memory.map('ctx', 'ctx', 24, true).start;
    return time(20_000, (n) => { for (let i = 0; i < n; i++) exe.run(ctx); });
  };
  return (perRun(true) - perRun(false)) / LOOP;
};
row('hash: from a program (WebAssembly, probing the index in the memory, loop cost removed)', wasmPerLookup(MapType.HASH, 'hash'));
row('hash: the same, calling lookupAt through an import instead', wasmPerLookup(MapType.HASH, 'hash', false));
row('array: from a program (WebAssembly, loop cost removed)', wasmPerLookup(MapType.ARRAY, 'array'));

// the kernel, same program
const kernel = k.available();
if (kernel.ok) {
  for (const [name, type] of [['hash', MapType.HASH], ['array', MapType.ARRAY]] as const) {
    const fd = k.mapCreate({ type, keySize: 4, valueSize: 8, maxEntries: ENTRIES });
    for (let i = 0; i < ENTRIES; i++) { new DataView(key.buffer).setUint32(0, i, true); k.mapUpdate(fd, key, new Uint8Array(8), 0); }
    const load = (withLookup: boolean): number => k.progLoad({
      type: 6, insns: encode(asm(loopAsm(withLookup)).map((i) => (i.src === 1 && i.imm2 !== undefined ? { ...i, imm: fd } : i))),
    }).fd;
    const pa = load(true);
    const pb = load(false);
    const perRun = (p: number): number => Math.min(...[0, 1, 2].map(() => k.progTestRun(p, { data: new Uint8Array(64), repeat: 2000 }).duration));
    row(`${name}: kernel, same program (BPF_PROG_TEST_RUN, loop cost removed)`, (perRun(pa) - perRun(pb)) / LOOP);
    k.close(pa); k.close(pb); k.close(fd);
  }
} else {
  row(`kernel figure unavailable: ${kernel.reason}`, NaN);
}

const width = Math.max(...rows.map(([n]) => n.length));
for (const [name, ns] of rows) console.log(`${name.padEnd(width)}  ${Number.isNaN(ns) ? '-' : `${ns.toFixed(1)} ns`}`);
if (sink === 0.5) console.log('');
