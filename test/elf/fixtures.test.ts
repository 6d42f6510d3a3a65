/**
 * @file Every committed fixture loads with the programs, types, maps and
 * relocations its C source implies. Facts are taken from the C sources (names,
 * sizes, max_entries), never from the loader's own output.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import { OP } from '../../src/isa/opcodes.js';
import { LddwSrc } from '../../src/isa/opcodes.js';
import { ProgType, AttachType } from '../../src/abi/program-types.js';
import { MapType, MapFlag } from '../../src/abi/map-types.js';
import { sourceLine, originOf } from '../../src/elf/index.js';
import type { BpfObject, ProgramSpec } from '../../src/elf/types.js';
import { fixture, FIXTURES, sourceLinesContaining } from './helpers.js';

const prog = (o: BpfObject, name: string): ProgramSpec => {
  const p = o.programs.find((x) => x.name === name);
  if (p === undefined) throw new Error(`no program ${name}`);
  return p;
};
const mapIndex = (o: BpfObject, name: string): number => o.maps.findIndex((m) => m.name === name);
const ENDS = ['el', 'eb'] as const;

t.test('every fixture object loads', async (t) => {
  const objs = readdirSync(FIXTURES).filter((f) => f.endsWith('.o'));
  t.ok(objs.length >= 18, `${objs.length} objects`);
  for (const f of objs) {
    const o = fixture(f);
    t.ok(o.programs.length > 0, `${f} has programs`);
    t.equal(o.endian, f.endsWith('-eb.o') ? 'big' : 'little', `${f} byte order`);
    t.ok(o.license.includes('GPL'), `${f} license`);
    t.same(o.diagnostics, [], `${f} loads without warnings`);
    for (const p of o.programs) {
      t.equal(p.insns.length, p.origins.length, `${f}:${p.name} origins parallel insns`);
      t.ok(p.insns.every((i) => i.op >= 0), `${f}:${p.name} every instruction decodes`);
      t.ok(p.lineInfo.length > 0, `${f}:${p.name} has line info`);
    }
  }
});

for (const end of ENDS) {
  t.test(`xdp parser (${end}): program, BTF hash map, map relocations`, async (t) => {
    const o = fixture(`xdp_parser-${end}.o`);
    t.same(o.programs.map((p) => [p.name, p.section, p.type, p.expectedAttachType]), [['xdp_parse', 'xdp', ProgType.XDP, AttachType.XDP]]);
    t.equal(o.maps.length, 1);
    const m = o.maps[0]!;
    t.match(m, { name: 'proto_counts', type: MapType.HASH, typeName: 'hash', keySize: 4, valueSize: 8, maxEntries: 256, kind: 'btf', readonly: false });
    t.equal(o.btf!.format(m.btfKeyTypeId!), 'struct flow_key');
    t.equal(o.btf!.sizeof(m.btfValueTypeId!), 8);
    const p = prog(o, 'xdp_parse');
    const loads = p.insns.filter((i) => i.op === OP.LDDW_MAP_IDX);
    t.equal(loads.length, 2, 'lookup and update both load the map');
    for (const l of loads) {
      t.equal(l.imm, 0);
      t.equal(l.meta?.symbol, 'proto_counts');
    }
    // The map load's source line is a line of xdp_parser.c that names the map.
    const line = sourceLine(p, loads[0]!.pc);
    t.ok(line !== undefined, 'line info for the map load');
    t.ok(line!.text.includes('proto_counts'), line!.text);
    t.ok(sourceLinesContaining('xdp_parser.c', line!.text.trim()).includes(line!.line), `line ${line!.line} matches the source`);
    t.match(line!.file, /(^|\/)xdp_parser\.c$/);
    t.notMatch(line!.file, /work|home|tmp/, 'no absolute build path');
  });

  t.test(`calls (${end}): bpf-to-bpf calls linked into each program`, async (t) => {
    const o = fixture(`calls-${end}.o`);
    t.same(o.programs.map((p) => [p.name, p.section, p.type]).sort(), [['calls_main', 'tc', ProgType.SCHED_CLS], ['calls_other', 'tc', ProgType.SCHED_CLS]]);
    const main = prog(o, 'calls_main');
    t.same(main.funcInfo.map((f) => f.name).sort(), ['calls_main', 'global_add', 'square', 'sum_squares']);
    t.equal(main.funcInfo[0]!.name, 'calls_main');
    t.equal(main.funcInfo[0]!.pc, 0);
    const other = prog(o, 'calls_other');
    t.same(other.funcInfo.map((f) => f.name), ['calls_other', 'square'], 'only reachable subprograms are linked');
    for (const p of [main, other]) {
      let last = 0;
      for (const f of p.funcInfo) { t.equal(f.pc, last, `${f.name} follows the previous function`); last += f.length; }
      t.equal(last, p.insns.reduce((n, i) => n + (i.imm2 !== undefined ? 2 : 1), 0), 'functions cover the program');
      const starts = new Map(p.funcInfo.map((f) => [f.pc, f.name]));
      const calls = p.insns.filter((i) => i.op === OP.CALL_LOCAL);
      t.ok(calls.length > 0);
      for (const c of calls) {
        const target = c.pc + c.imm + 1;
        t.ok(starts.has(target), `call at ${c.pc} lands on a function start (${target})`);
        // The callee's first instruction comes from .text, where the callee was compiled.
        t.equal(originOf(p, target)?.section, '.text');
      }
      for (const f of p.funcInfo) t.ok(f.btfTypeId !== undefined && o.btf!.type(f.btfTypeId).name === f.name, `${f.name} has BTF func info`);
    }
    // sum_squares calls square twice; global_add calls square once.
    const callsFrom = (p: ProgramSpec, fn: string): string[] => {
      const f = p.funcInfo.find((x) => x.name === fn)!;
      const starts = new Map(p.funcInfo.map((x) => [x.pc, x.name]));
      return p.insns.filter((i) => i.op === OP.CALL_LOCAL && i.pc >= f.pc && i.pc < f.pc + f.length).map((i) => starts.get(i.pc + i.imm + 1)!);
    };
    t.same(callsFrom(main, 'sum_squares'), ['square', 'square']);
    t.same(callsFrom(main, 'global_add'), ['square']);
    t.same(callsFrom(main, 'calls_main').sort(), ['global_add', 'sum_squares']);
  });

  t.test(`globals (${end}): data sections as array maps, value relocations`, async (t) => {
    const o = fixture(`globals-${end}.o`);
    const names = o.maps.map((m) => m.name).sort();
    t.same(names, ['.bss', '.data', '.data.custom', '.rodata']);
    const ro = o.maps[mapIndex(o, '.rodata')]!;
    t.match(ro, { type: MapType.ARRAY, keySize: 4, maxEntries: 1, readonly: true, kind: 'data' });
    t.ok((ro.flags & MapFlag.RDONLY_PROG) !== 0);
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    const little = end === 'el';
    // const volatile __u32 threshold = 42; const volatile __u64 magic = 0x1122334455667788
    const btf = o.btf!;
    // Layout from globals.c: offsets of each variable in its section.
    const layout: Record<string, number> = { threshold: 0, magic: 8, counter: 0, hits: 0, bss_array: 8, custom_value: 0 };
    const varOffset = (sec: string, name: string): number => {
      const ds = btf.type(btf.find(sec, 'datasec')[0]!);
      if (ds.kind !== 'datasec') throw new Error('not datasec');
      const v = ds.vars.find((x) => btf.type(x.type).name === name)!;
      t.equal(v.offset, layout[name], `BTF DATASEC offset of ${name} fixed up`);
      return layout[name]!;
    };
    t.equal(view(ro.initial!).getUint32(varOffset('.rodata', 'threshold'), little), 42);
    t.equal(view(ro.initial!).getBigUint64(varOffset('.rodata', 'magic'), little), 0x1122334455667788n);
    const data = o.maps[mapIndex(o, '.data')]!;
    t.equal(view(data.initial!).getUint32(varOffset('.data', 'counter'), little), 7);
    t.equal(data.readonly, false);
    const custom = o.maps[mapIndex(o, '.data.custom')]!;
    t.equal(view(custom.initial!).getUint32(0, little), 0xdeadbeef);
    const bss = o.maps[mapIndex(o, '.bss')]!;
    t.equal(bss.valueSize, 8 + 4 * 8, 'hits and bss_array');
    t.ok(bss.initial!.every((b) => b === 0));
    // Every global reference is a map-value lddw whose offset is the variable's DATASEC offset.
    const p = prog(o, 'use_globals');
    const refs = p.insns.filter((i) => i.op === OP.LDDW_MAP_IDX_VALUE);
    t.ok(refs.length >= 5, `${refs.length} global references`);
    const seen = new Set<string>();
    for (const r of refs) {
      t.equal(r.src, LddwSrc.MAP_IDX_VALUE);
      const m = o.maps[r.imm]!;
      t.equal(m.kind, 'data');
      const sym = r.meta?.symbol ?? '';
      if (sym.startsWith('.')) {
        t.equal(sym, m.name, 'section-relative reference names the section');
        t.ok(r.imm2! >= 0 && r.imm2! < m.valueSize);
        seen.add(`${m.name}+${r.imm2}`);
      } else {
        t.equal(r.imm2, varOffset(m.name, sym), `${sym} offset`);
        seen.add(sym);
      }
    }
    t.ok(seen.size >= 4);
  });

  t.test(`BTF maps (${end}): types, sizes, flags, pinning`, async (t) => {
    const o = fixture(`maps_btf-${end}.o`);
    const m = (n: string) => o.maps[mapIndex(o, n)]!;
    t.match(m('hash_map'), { type: MapType.HASH, keySize: 4, valueSize: 16, maxEntries: 1024, flags: MapFlag.NO_PREALLOC, pinning: 0 });
    t.match(m('array_map'), { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 16, pinning: 1 });
    t.match(m('percpu_array'), { type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 24, maxEntries: 4 });
    t.equal(m('percpu_array').btfValueTypeId, undefined, '__uint(value_size) gives no BTF type');
    t.match(m('percpu_hash'), { type: MapType.PERCPU_HASH, keySize: 8, valueSize: 4, maxEntries: 64 });
    t.equal(o.btf!.define(m('hash_map').btfValueTypeId!), 'struct value {\n\t__u64 packets;\n\t__u64 bytes;\n}');
    t.equal(o.btf!.memberOffset(m('hash_map').btfValueTypeId!, 'bytes'), 8);
    const p = prog(o, 'count_maps');
    const used = p.insns.filter((i) => i.op === OP.LDDW_MAP_IDX).map((i) => [o.maps[i.imm]!.name, i.meta?.symbol]);
    t.same(used.map((u) => u[0]), ['hash_map', 'array_map', 'percpu_array', 'percpu_hash']);
    for (const [a, b] of used) t.equal(a, b);
  });

  t.test(`selftest (${end}) loads as a socket filter`, async (t) => {
    const o = fixture(`selftest-${end}.o`);
    t.same(o.programs.map((p) => [p.name, p.type]), [['selftest', ProgType.SOCKET_FILTER]]);
    t.equal(o.maps.length, 0);
  });
}

t.test('big- and little-endian objects agree', async (t) => {
  for (const n of ['calls', 'maps_btf', 'globals']) {
    const el = fixture(`${n}-el.o`);
    const eb = fixture(`${n}-eb.o`);
    t.same(eb.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]), el.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]), n);
    t.same(eb.programs.map((p) => p.funcInfo), el.programs.map((p) => p.funcInfo), `${n} func info`);
    t.same(eb.programs.map((p) => p.lineInfo.map((l) => l.line)), el.programs.map((p) => p.lineInfo.map((l) => l.line)), `${n} line info`);
  }
  const strip = (o: BpfObject) => o.programs.map((p) => p.insns.map((i) => [i.op, i.dst, i.src, i.off, i.imm, i.imm2]));
  t.same(strip(fixture('calls-eb.o')), strip(fixture('calls-el.o')), 'calls: same instructions');
  t.same(strip(fixture('maps_btf-eb.o')), strip(fixture('maps_btf-el.o')), 'maps_btf: same instructions');
});

t.test('legacy maps section', async (t) => {
  const o = fixture('legacy_maps-el.o');
  t.equal(o.kernelVersion, 0x050a00);
  t.same(o.maps.map((m) => m.name), ['packets', 'flows']);
  t.match(o.maps[0], { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 256, flags: 0, kind: 'legacy', section: 'maps' });
  t.match(o.maps[1], { type: MapType.HASH, keySize: 8, valueSize: 4, maxEntries: 1000, flags: 1, kind: 'legacy' });
  // struct bpf_map_def here has inner_map_idx and numa_node after the five standard fields.
  const extra = o.maps[1]!.extra!;
  t.equal(extra.length, 8);
  t.equal(new DataView(extra.buffer, extra.byteOffset).getUint32(4, true), 3, 'numa_node');
  const p = prog(o, 'legacy_prog');
  t.equal(p.section, 'socket1');
  t.equal(p.type, ProgType.SOCKET_FILTER, 'pre-1.0 prefix rule');
  t.same(p.insns.filter((i) => i.op === OP.LDDW_MAP_IDX).map((i) => i.imm), [0, 1]);
});

t.test('map in map, ringbuf, lpm trie', async (t) => {
  const mim = fixture('map_in_map-el.o');
  const outer = mim.maps[mapIndex(mim, 'outer_array')]!;
  t.match(outer, { type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4 });
  t.match(outer.innerMap, { type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 8 });
  t.same(outer.initialSlots, [{ index: 1, symbol: 'inner_a' }]);
  const hom = mim.maps[mapIndex(mim, 'outer_hash')]!;
  t.match(hom, { type: MapType.HASH_OF_MAPS, maxEntries: 16 });
  t.match(hom.innerMap, { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 });
  t.equal(mapIndex(mim, 'inner_a') >= 0, true, 'the inner map is also a map of its own');
  const rb = fixture('ringbuf-el.o');
  t.match(rb.maps, [{ name: 'events', type: MapType.RINGBUF, maxEntries: 4096, keySize: 0, valueSize: 0 }]);
  t.match(rb.programs, [{ name: 'on_exec', type: ProgType.TRACEPOINT, attachTo: 'sched/sched_process_exec' }]);
  const lpm = fixture('lpm-el.o');
  t.match(lpm.maps, [{ name: 'prefixes', type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 128, flags: MapFlag.NO_PREALLOC }]);
});

t.test('two programs in one section, tracepoint and kprobe, loop, socket filter', async (t) => {
  const two = fixture('two_progs-el.o');
  t.same(two.programs.map((p) => [p.name, p.section]), [['first_prog', 'xdp'], ['second_prog', 'xdp']]);
  for (const p of two.programs) {
    t.same(p.funcInfo.map((f) => f.name), [p.name, 'classify'], `${p.name} gets its own copy of classify`);
    const call = p.insns.find((i) => i.op === OP.CALL_LOCAL)!;
    t.equal(call.pc + call.imm + 1, p.funcInfo[1]!.pc);
  }
  const tr = fixture('tracing-el.o');
  t.match(tr.programs, [
    { name: 'trace_openat', type: ProgType.TRACEPOINT, attachTo: 'syscalls/sys_enter_openat' },
    { name: 'probe_unlinkat', type: ProgType.KPROBE, attachTo: 'do_unlinkat' },
  ]);
  const loop = prog(fixture('loop-el.o'), 'bounded_loop');
  const back = loop.insns.filter((i) => i.off < 0 && i.op !== OP.CALL_LOCAL && (i.code & 0x07) === 0x05);
  t.ok(back.length > 0, 'the loop has a backward jump');
  const sf = fixture('socket_filter-el.o');
  t.equal(sf.license, 'Dual MIT/GPL');
  t.match(sf.programs, [{ name: 'udp_only', type: ProgType.SOCKET_FILTER }]);
});

t.test('source lines of subprogram instructions come from the subprogram', async (t) => {
  for (const end of ENDS) {
    const o = fixture(`calls-${end}.o`);
    const main = prog(o, 'calls_main');
    const sq = main.funcInfo.find((f) => f.name === 'square')!;
    // square's body is `return x * x;`: some pc of it maps to that line of calls.c.
    const lines = new Set<number>();
    for (let pc = sq.pc; pc < sq.pc + sq.length; pc++) {
      const l = sourceLine(main, pc);
      if (l !== undefined) lines.add(l.line);
    }
    t.ok(lines.has(sourceLinesContaining('calls.c', 'return x * x;')[0]!), `${end}: square maps to 'return x * x;'`);
    t.equal(sourceLine(main, 0)?.file.endsWith('calls.c'), true);
    t.equal(originOf(main, sq.pc)?.section, '.text');
    t.equal(originOf(main, 0)?.section, 'tc');
  }
});

t.test('examples/firewall.o: the bundled example', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { loadObject } = await import('../../src/elf/index.js');
  const { ROOT } = await import('./helpers.js');
  const o = loadObject(new Uint8Array(readFileSync(join(ROOT, 'examples/firewall.o'))), { file: 'firewall.o' });
  t.match(o.programs, [{ name: 'firewall', section: 'xdp', type: ProgType.XDP }]);
  const m = (n: string) => o.maps.find((x) => x.name === n);
  t.match(m('blocked_ports'), { type: MapType.HASH, keySize: 2, valueSize: 1, maxEntries: 1024 });
  t.match(m('blocked_prefixes'), { type: MapType.LPM_TRIE, keySize: 8, valueSize: 1, maxEntries: 1024, flags: MapFlag.NO_PREALLOC });
  t.match(m('verdicts'), { type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
  const used = new Set(o.programs[0]!.insns.filter((i) => i.op === OP.LDDW_MAP_IDX).map((i) => o.maps[i.imm]!.name));
  t.same([...used].sort(), ['blocked_ports', 'blocked_prefixes', 'verdicts']);
});

t.test('callback: function address and section-relative global references', async (t) => {
  const { readElf } = await import('../../src/elf/sections.js');
  const { fixtureBytes } = await import('./helpers.js');
  const o = fixture('callback-el.o');
  const p = prog(o, 'loop_callback');
  t.same(p.funcInfo.map((f) => f.name), ['loop_callback', 'add_index']);
  const fn = p.insns.filter((i) => i.op === OP.LDDW_FUNC);
  t.equal(fn.length, 1, 'one callback address');
  t.equal(fn[0]!.src, LddwSrc.FUNC);
  t.equal(fn[0]!.pc + fn[0]!.imm + 1, p.funcInfo[1]!.pc, 'the address is the linked callback');
  t.equal(fn[0]!.imm2, 0);
  // static variables are reached through the section symbol with the offset in imm
  const elf = readElf(fixtureBytes('callback-el.o'), {});
  const symValue = (n: string) => elf.symbols.find((s) => s.name === n)!.value;
  const bss = mapIndex(o, '.bss');
  const bssRefs = p.insns.filter((i) => i.op === OP.LDDW_MAP_IDX_VALUE && i.imm === bss);
  t.same(bssRefs.map((i) => i.meta?.symbol), ['.bss', '.bss']);
  t.same(bssRefs.map((i) => i.imm2).sort(), [symValue('calls'), symValue('total')].sort());
  t.not(symValue('calls'), symValue('total'));
  const ro = o.maps[mapIndex(o, '.rodata')]!;
  const roRef = p.insns.find((i) => i.op === OP.LDDW_MAP_IDX_VALUE && i.imm === mapIndex(o, '.rodata'))!;
  const text = new TextDecoder().decode(ro.initial!.subarray(roRef.imm2!, roRef.imm2! + 8));
  t.equal(text, 'sum %llu', 'the format string is where the load points');
});
