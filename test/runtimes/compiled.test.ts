/**
 * @file A compiled module loaded alone (`loadCompiled`), from its bytes and
 * from a `WebAssembly.Module` (the edge-worker path, where the ABI sections
 * are read with `WebAssembly.Module.customSections`): on every fixture object
 * that compiles, each program gives the reference interpreter's results on
 * the original object — return value, output packet, every map (so maps and
 * global data are recreated from the ABI sections alone) and trace output.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arpFrame, ipv4Frame } from '../../src/cli/packets.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { loadObject } from '../../src/elf/index.js';
import type { BpfObject } from '../../src/elf/types.js';
import { interpBackend, type Backend } from '../../src/host/backend.js';
import { compileObject } from '../../src/host/compile.js';
import { loadCompiled } from '../../src/host/compiled.js';
import { Instance } from '../../src/host/instance.js';
import { dumpMaps } from '../../src/host/map-io.js';
import { testRun } from '../../src/host/test-run.js';
import { Wasm } from '../../src/util/wasm-api.js';

const root = new URL('../../', import.meta.url).pathname;
const objects = [
  ...readdirSync(join(root, 'test/fixtures')).filter((f) => f.endsWith('-el.o')).map((f) => join(root, 'test/fixtures', f)),
  join(root, 'examples/firewall.o'),
];
const packets = [
  ipv4Frame({ src: '10.1.2.3', dst: '10.0.0.1', proto: 'tcp', sport: 1234, dport: 80, payload: 'hello' }),
  ipv4Frame({ src: '192.168.0.7', dst: '10.0.0.1', proto: 'udp', sport: 5353, dport: 53, payload: 'x'.repeat(100) }),
  arpFrame(),
];

function outcome(object: BpfObject, backend: Backend, prog: string, data: Uint8Array): unknown {
  const instance = new Instance(object, { nCpus: 2 });
  const p = object.programs.find((x) => x.name === prog)!;
  try {
    const r = testRun(instance, p, backend, { data });
    return { retval: r.retval, r0: r.r0.toString(16), data: Buffer.from(r.dataOut).toString('hex'), maps: dumpMaps(instance), trace: instance.trace };
  } catch (err) {
    if (err instanceof DiagnosticError) return { fault: err.code };
    throw err;
  }
}

t.test('modules loaded alone agree with the interpreter on the original objects', async (t) => {
  let runs = 0;
  const notCompiled: string[] = [];
  for (const file of objects) {
    const object = loadObject(new Uint8Array(readFileSync(file)), { file });
    let bytes: Uint8Array;
    try {
      bytes = compileObject(object).bytes;
    } catch (err) {
      if (!(err instanceof DiagnosticError)) throw err;
      notCompiled.push(`${file.split('/').pop()} (${err.code})`);
      continue;
    }
    for (const [how, source] of [['bytes', bytes], ['module', new Wasm.Module(bytes)]] as const) {
      const set = loadCompiled(source);
      t.same(set.object.programs.map((p) => [p.name, p.section, p.type]), object.programs.map((p) => [p.name, p.section, p.type]), `${file.split('/').pop()} (${how}): programs`);
      t.same(set.object.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]), object.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]), `${file.split('/').pop()} (${how}): maps`);
      for (const prog of object.programs) {
        for (const data of packets) {
          t.same(outcome(set.object, set.backend, prog.name, data), outcome(object, interpBackend, prog.name, data), `${file.split('/').pop()} ${prog.name} (${how})`);
          runs++;
        }
      }
    }
  }
  if (notCompiled.length > 0) t.comment(`not compiled (the wasm backend refuses them): ${notCompiled.join(', ')}`);
  t.ok(runs >= 30, `${runs} runs compared`);
});

t.test('what is not a compiled module is refused with a diagnostic', async (t) => {
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
      return undefined;
    } catch (err) {
      if (err instanceof DiagnosticError) return err.code;
      throw err;
    }
  };
  const empty = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
  t.equal(code(() => loadCompiled(Uint8Array.of(1, 2, 3))), 'WASM_NOT_MODULE', 'random bytes');
  t.equal(code(() => loadCompiled(empty)), 'WASM_ABI_MISSING', 'a module without the ABI sections (bytes)');
  t.equal(code(() => loadCompiled(new Wasm.Module(empty))), 'WASM_ABI_MISSING', 'a module without the ABI sections (module)');
  const object = loadObject(new Uint8Array(readFileSync(join(root, 'examples/firewall.o'))));
  const set = loadCompiled(compileObject(object).bytes);
  const other = { ...object.programs[0]!, name: 'absent' };
  t.equal(code(() => set.backend.load(other, new Instance(set.object))), 'CLI_NO_PROGRAM', 'a program the module does not hold');
});
