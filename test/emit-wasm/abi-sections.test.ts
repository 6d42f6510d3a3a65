/** @file The ABI custom sections: written by `compilePrograms`, read back by `readAbiSections`, and rejected when malformed. */
import t from 'tap';
import { readAbiSections, writeAbiSections, customSections, AbiSection, ABI_VERSION, type AbiInfo } from '../../src/emit-wasm/abi-sections.js';
import { compilePrograms } from '../../src/emit-wasm/compile.js';
import { ModuleBuilder } from '../../src/emit-wasm/module.js';
import { parseModule } from '../../src/ir/parse.js';
import { DiagnosticError } from '../../src/diag/diagnostic.js';
import { validateWasm } from '../../src/emit-wasm/wat.js';
import { Wasm } from './wasm-api.js';

const IR = `module entry f0 helpers [1] maps [0]

func f0 "xdp_prog" {
b0(v0: i64):
  v1 = map_addr 0
  v2 = map_value_addr 1, 4
  v3 = call_helper 1 (v1, v2) @2
  ret v3
}
`;

const info: Omit<AbiInfo, 'version'> = {
  producer: 'test',
  license: 'Dual BSD/GPL',
  programs: [],
  maps: [
    {
      name: 'counts', type: 1, keySize: 4, valueSize: 8, maxEntries: 1024, flags: 1, pinning: 1, kind: 'btf',
      readonly: false, section: '.maps', mapExtra: 0xffffffffffffffffn, initialSlots: [],
    },
    {
      name: '.rodata', type: 2, keySize: 4, valueSize: 12, maxEntries: 1, flags: 0x80, pinning: 0, kind: 'data',
      readonly: true, section: '.rodata', mapExtra: 0n, initialSlots: [{ index: 3, symbol: 'é' }],
      innerMap: {
        name: 'inner', type: 2, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0, pinning: 0, kind: 'legacy',
        readonly: false, section: 'maps', mapExtra: 7n, initialSlots: [],
      },
    },
  ],
  data: [{ map: 1, bytes: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) }],
};

t.test('round trip through a compiled module', async (t) => {
  const ir = parseModule(IR);
  const { bytes } = compilePrograms([{ ir, section: 'xdp', type: 6, expectedAttachType: 37, attachTo: 'eth0' }], info);
  t.equal(await validateWasm(bytes), undefined);
  const back = readAbiSections(bytes);
  t.equal(back.version, ABI_VERSION);
  t.equal(back.producer, 'test');
  t.equal(back.license, 'Dual BSD/GPL');
  t.same(back.maps, info.maps);
  t.same(back.data, info.data);
  t.same(back.programs, [{
    name: 'xdp_prog', export: 'xdp_prog', section: 'xdp', type: 6, expectedAttachType: 37, attachTo: 'eth0',
    helpers: [1], maps: [0, 1],
  }]);
  // The engine sees the same sections.
  const mod = new Wasm.Module(bytes);
  for (const name of Object.values(AbiSection)) t.equal(Wasm.Module.customSections(mod, name).length, 1, name);
});

t.test('malformed and foreign modules are diagnostics', async (t) => {
  const code = (f: () => unknown): string | undefined => {
    try { f(); return undefined; } catch (e) { if (e instanceof DiagnosticError) return e.code; throw e; }
  };
  t.equal(code(() => readAbiSections(Uint8Array.of(1, 2, 3))), 'WASM_NOT_MODULE');
  const plain = new ModuleBuilder().build();
  t.equal(code(() => readAbiSections(plain)), 'WASM_ABI_MISSING');
  // A future version.
  const m = new ModuleBuilder();
  for (const s of writeAbiSections(info)) m.addCustom(s.name, s.name === AbiSection.abi ? Uint8Array.of(ABI_VERSION + 1, 0) : s.bytes);
  t.equal(code(() => readAbiSections(m.build())), 'WASM_ABI_VERSION');
  // Every truncation of every section is rejected with a diagnostic, never an exception of another kind.
  const sections = writeAbiSections(info);
  let rejected = 0;
  for (const victim of sections) {
    for (let cut = 0; cut < victim.bytes.length; cut++) {
      const b = new ModuleBuilder();
      for (const s of sections) b.addCustom(s.name, s === victim ? s.bytes.slice(0, cut) : s.bytes);
      if (code(() => readAbiSections(b.build())) !== undefined) rejected++;
    }
  }
  const total = sections.reduce((n, s) => n + s.bytes.length, 0);
  t.equal(rejected, total, 'every truncated section is rejected');
  // Trailing bytes are rejected too.
  const b = new ModuleBuilder();
  for (const s of sections) b.addCustom(s.name, s.name === AbiSection.license ? Uint8Array.of(...s.bytes, 0) : s.bytes);
  t.equal(code(() => readAbiSections(b.build())), 'WASM_ABI_SECTION');
  t.ok(customSections(b.build()).has('name') === false, 'modules without names have no name section');
});
