/**
 * @file The ABI's host side (`imports.ts`) with compiled modules: map handles
 * and value addresses, the pc helpers see, legacy packet loads, `callx`, and
 * every fault kind reported with its diagnostic code and pc.
 */
import t from 'tap';
import type { HelperFn } from '../../src/abi/helper-env.js';
import { stopProgram } from '../../src/abi/helper-env.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { compileModule } from '../../src/emit-wasm/compile.js';
import { abiImports, runExport, type AbiPacket } from '../../src/emit-wasm/imports.js';
import { parseModule } from '../../src/ir/parse.js';
import { instantiate } from './wasm-api.js';

interface Run { r0?: bigint; code?: string; pc?: number; seen: string[] }

function runIr(text: string, opts: { helpers?: Map<number, HelperFn>; packet?: Uint8Array; verified?: boolean; loopBudget?: number; mapLookup?: (k: number) => ((key: number) => number) | undefined } = {}): Run {
  const ir = parseModule(text);
  const bytes = compileModule(ir, { name: 'p', ...(opts.verified !== undefined ? { verified: opts.verified } : {}), ...(opts.loopBudget !== undefined ? { loopBudget: opts.loopBudget } : {}) });
  const memory = new LinearMemory();
  const ctx = memory.map('ctx', 'ctx', 32, true);
  const ro = memory.map('.rodata', 'global', 16, false);
  memory.bytes.set([1, 2, 3, 4, 5, 6, 7, 8], ro.start);
  const stack = memory.map('stack', 'stack', 4096, true);
  let packet: AbiPacket | undefined;
  if (opts.packet !== undefined) {
    const p = memory.map('pkt', 'packet', opts.packet.length, true);
    memory.bytes.set(opts.packet, p.start);
    packet = p;
  }
  const glue = abiImports({
    memory, wasmMemory: memory.wasm, stackTop: stack.start + stack.size, helpers: opts.helpers ?? new Map(), ctx: ctx.start,
    mapHandles: new Map([[0, 0xdead0000n]]), mapValues: new Map([[1, BigInt(ro.start)]]),
    ...(packet !== undefined ? { packet } : {}),
    ...(opts.mapLookup !== undefined ? { mapLookup: opts.mapLookup } : {}),
  });
  const inst = instantiate(bytes, glue.imports);
  glue.bind(inst.exports);
  const seen: string[] = [];
  try {
    return { r0: runExport(inst.exports.p, BigInt(ctx.start)), seen };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    return { code: e.code, pc: e.diagnostic.location.pc ?? -1, seen };
  }
}

t.test('map handles, map values and the pc a helper sees', async (t) => {
  const seen: string[] = [];
  const helpers = new Map<number, HelperFn>([[1, (env, r1, r2) => { seen.push(`pc ${env.pc} r1 ${r1.toString(16)}`); return r2; }]]);
  const r = runIr(`module entry f0 helpers [1] maps [0, 1]
func f0 "p" {
b0(v0: i64):
  v1 = map_addr 0
  v2 = map_value_addr 1, 4
  v3 = load.i64 u32 [v2] @3
  v4 = call_helper 1 (v1, v3) @7
  ret v4
}
`, { helpers });
  t.equal(r.r0, 0x08070605n, 'the value address plus the lddw offset reaches global data');
  t.same(seen, ['pc 7 r1 dead0000'], 'the helper gets the map handle and the pc of the call');
});

t.test('a helper stops the program (ProgramStop) and callx reaches helpers by id', async (t) => {
  const helpers = new Map<number, HelperFn>([[5, (_env, r1) => (r1 === 0n ? stopProgram(42n) : r1)]]);
  const text = (x: number): string => `module entry f0 helpers [] maps []
func f0 "p" {
b0(v0: i64):
  v1 = iconst.i64 5
  v2 = iconst.i64 ${x}
  v3 = call_indirect v1 (v2) @2
  v4 = iconst.i64 1
  v5 = add.i64 v3, v4
  ret v5
}
`;
  t.equal(runIr(text(0), { helpers }).r0, 42n);
  t.equal(runIr(text(9), { helpers }).r0, 10n);
  t.same(runIr(text(9)).code, 'RUN_UNKNOWN_HELPER');
});

t.test('legacy packet loads: big-endian in bounds, r0 = 0 out of bounds', async (t) => {
  const text = (off: number): string => `module entry f0 helpers [] maps []
func f0 "p" {
b0(v0: i64):
  v1 = iconst.i64 ${off}
  v2 = ld_pkt u16 v0, v1 @1
  v3 = ld_pkt u32 v0, v1 @2
  v4 = add.i64 v2, v3
  ret v4
}
`;
  const packet = Uint8Array.of(0x12, 0x34, 0x56, 0x78, 0x9a);
  t.equal(runIr(text(1), { packet }).r0, 0x3456n + 0x3456789an);
  t.equal(runIr(text(2), { packet }).r0, 0n, 'the u32 load runs past the end');
  t.equal(runIr(text(0)).r0, 0n, 'no packet at all');
});

t.test('faults carry their code and pc', async (t) => {
  const store = runIr(`module entry f0 helpers [] maps [1]
func f0 "p" {
b0(v0: i64):
  v1 = map_value_addr 1, 0
  v2 = iconst.i64 1
  store.i64 u8 v2, [v1+3] @4
  ret v2
}
`);
  t.same([store.code, store.pc], ['RUN_READONLY', 4]);
  const wild = runIr(`module entry f0 helpers [] maps []
func f0 "p" {
b0(v0: i64):
  v1 = load.i64 u64 [v0+28] @6
  ret v1
}
`);
  t.same([wild.code, wild.pc], ['RUN_MEMORY_FAULT', 6], 'an access straddling the end of the context');
  const high = runIr(`module entry f0 helpers [] maps []
func f0 "p" {
b0(v0: i64):
  v1 = iconst.i64 4294967296
  v2 = add.i64 v0, v1
  v3 = load.i64 u8 [v2] @2
  ret v3
}
`);
  t.same([high.code, high.pc], ['RUN_MEMORY_FAULT', 2], 'an address above 4 GiB faults instead of wrapping');
  const deep = runIr(`module entry f0 helpers [] maps []
func f0 "p" {
b0(v0: i64):
  v1 = call f1 (v0, v0, v0, v0, v0) @1
  ret v1
}
func f1 "r" {
b0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64):
  v5 = call f1 (v0, v1, v2, v3, v4) @9
  ret v5
}
`);
  t.same([deep.code, deep.pc], ['RUN_CALL_DEPTH', 9], 'the ninth frame faults');
  const forever = `module entry f0 helpers [] maps []
func f0 "p" {
b0(v0: i64):
  jump b1
b1:
  v1 = frame_addr
  store.i64 u64 v0, [v1-8] @3
  jump b1
}
`;
  const spent = runIr(forever, { loopBudget: 1000 });
  t.same([spent.code, spent.pc], ['RUN_BUDGET', 3], 'an endless loop spends its budget');
  const trap = runIr(`module entry f0 helpers [] maps []
func f0 "p" {
b0(v0: i64):
  trap @5
}
`);
  t.same([trap.code, trap.pc], ['RUN_FELL_OFF', 5]);
});

t.test('a verified lookup by a constant map: its own import, or helper 1 when the host has none', async (t) => {
  const ir = `module entry f0 helpers [1] maps [0]
func f0 "p" {
b0(v0: i64):
  v1 = map_addr 0
  v2 = call_helper 1 (v1, v0) @4
  ret v2
}
`;
  const seen: string[] = [];
  const helpers = new Map<number, HelperFn>([[1, (_env, r1, r2) => { seen.push(`helper ${r1.toString(16)} ${r2.toString(16)}`); return r2 + 16n; }]]);
  const viaHelper = runIr(ir, { helpers, verified: true });
  const direct = runIr(ir, { helpers, verified: true, mapLookup: (k) => (k === 0 ? (key) => { seen.push(`direct ${key.toString(16)}`); return key + 16; } : undefined) });
  t.ok(viaHelper.r0 !== undefined && viaHelper.r0 === direct.r0, 'both give the same address');
  t.match(seen[0], /^helper dead0000 [0-9a-f]+$/, 'without a direct lookup the map handle reaches helper 1');
  t.match(seen[1], /^direct [0-9a-f]+$/, 'the host\'s direct lookup is called, not the helper');
  t.equal(seen.length, 2);
  const unverified = runIr(ir, { helpers, mapLookup: () => (() => 0) });
  t.equal(unverified.r0, viaHelper.r0, 'an unverified module always calls helper 1');
  t.match(seen[2], /^helper /);
});
