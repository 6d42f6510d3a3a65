/**
 * @file The arm64 backend against the reference interpreter on every fixture
 * program (and the firewall example) through `testRun` with sample packets:
 * result, packet bytes, maps and trace output, or the fault's code.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject } from '../../src/elf/index.js';
import { interpBackend, type Backend } from '../../src/host/backend.js';
import { Instance } from '../../src/host/instance.js';
import { dumpMaps } from '../../src/host/map-io.js';
import { arm64Backend } from '../../src/host/native-backend-arm64.js';
import { testRun } from '../../src/host/test-run.js';
import { arpFrame, ipv4Frame } from '../../src/cli/packets.js';
import { DiagnosticError } from '../../src/diag/index.js';

const root = new URL('../../', import.meta.url).pathname;
const objects = [
  ...readdirSync(join(root, 'test/fixtures')).filter((f) => f.endsWith('.o')).map((f) => join(root, 'test/fixtures', f)),
  join(root, 'examples/firewall.o'),
];
const packets = [
  ipv4Frame({ src: '10.1.2.3', dst: '10.0.0.1', proto: 'tcp', sport: 1234, dport: 80, payload: 'hello' }),
  ipv4Frame({ src: '192.168.0.7', dst: '10.0.0.1', proto: 'udp', sport: 5353, dport: 53, payload: 'x'.repeat(100) }),
  arpFrame(),
];

function outcome(backend: Backend, file: string, prog: string, data: Uint8Array): { out: unknown; insns?: number } {
  const object = loadObject(new Uint8Array(readFileSync(file)), { file });
  const instance = new Instance(object, { nCpus: 2 });
  const p = object.programs.find((x) => x.name === prog)!;
  try {
    const r = testRun(instance, p, backend, { data });
    const out = { retval: r.retval, r0: r.r0.toString(16), data: Buffer.from(r.dataOut).toString('hex'), maps: dumpMaps(instance), trace: instance.trace };
    return { out };
  } catch (err) {
    if (err instanceof DiagnosticError) return { out: { fault: err.code } };
    throw err;
  }
}

for (const level of [0, 2] as const) {
  t.test(`arm64 -O${level} agrees with the reference interpreter on every fixture`, async (t) => {
    const arm64 = arm64Backend({ level });
    let runs = 0;
    for (const file of objects) {
      const object = loadObject(new Uint8Array(readFileSync(file)), { file });
      for (const prog of object.programs) {
        for (const data of packets) {
          t.same(outcome(arm64, file, prog.name, data).out, outcome(interpBackend, file, prog.name, data).out, `${file.split('/').pop()} ${prog.name}`);
          runs++;
        }
      }
    }
    t.ok(runs > 40, `${runs} runs compared`);
  });
}
