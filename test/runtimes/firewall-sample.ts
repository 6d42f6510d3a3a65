/**
 * @file One environment-free computation shared by the runtime tests: the
 * example firewall with preloaded maps, run over sample frames on the
 * reference interpreter, the `wasm` backend (compiled at run time) and the
 * module from `compileObject` loaded alone (`loadCompiled`), reporting
 * verdicts, output frames and every map. Each runtime test runs it in its
 * runtime and compares the JSON with the same call in Node.
 */

import { loadObject } from '../../src/elf/index.js';
import { BACKENDS, type Backend } from '../../src/host/backend.js';
import { compileObject } from '../../src/host/compile.js';
import { loadCompiled } from '../../src/host/compiled.js';
import { Instance, type InstanceOptions } from '../../src/host/instance.js';
import { dumpMaps } from '../../src/host/map-io.js';
import { testRun } from '../../src/host/test-run.js';
import { parseCidr, syntheticFrame } from '../../runtimes/worker/frame.js';

/** The sample frames, by name. */
export function sampleFrames(): [string, Uint8Array][] {
  const text = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example\r\n\r\n');
  const arp = new Uint8Array(42);
  arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]);
  const shortIp = new Uint8Array(20);
  shortIp.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  return [
    ['tcp-80-from-lan', syntheticFrame({ src: '192.168.1.10', srcPort: 40000, dstPort: 80, payload: text })],
    ['tcp-22-from-lan', syntheticFrame({ src: '192.168.1.10', srcPort: 40001, dstPort: 22 })],
    ['udp-8080', syntheticFrame({ src: '172.16.0.5', srcPort: 5353, dstPort: 8080, protocol: 17 })],
    ['udp-53', syntheticFrame({ src: '172.16.0.5', srcPort: 5353, dstPort: 53, protocol: 17, payload: new Uint8Array(64) })],
    ['tcp-from-blocked-10/8', syntheticFrame({ src: '10.9.8.7', srcPort: 1234, dstPort: 443 })],
    ['tcp-from-blocked-/24', syntheticFrame({ src: '192.168.7.200', srcPort: 1234, dstPort: 443 })],
    ['tcp-next-to-blocked-/24', syntheticFrame({ src: '192.168.8.1', srcPort: 1234, dstPort: 443 })],
    ['arp', arp],
    ['truncated-ipv4', shortIp],
  ];
}

/** Block ports 22 and 8080 and the prefixes 10.0.0.0/8 and 192.168.7.0/24. */
export function preload(instance: Instance): void {
  const ports = instance.maps.get('blocked_ports')!;
  for (const port of [22, 8080]) ports.updateUser(Uint8Array.of(port & 0xff, port >> 8), Uint8Array.of(1), 0);
  const prefixes = instance.maps.get('blocked_prefixes')!;
  for (const cidr of ['10.0.0.0/8', '192.168.7.0/24']) {
    const p = parseCidr(cidr)!;
    const key = new Uint8Array(8);
    new DataView(key.buffer).setUint32(0, p.prefixlen, true);
    key.set(p.addr, 4);
    prefixes.updateUser(key, Uint8Array.of(1), 0);
  }
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Verdicts, output frames and maps of every way to run the firewall, as plain JSON data. */
export function firewallReport(objectBytes: Uint8Array, options: InstanceOptions = {}): Record<string, unknown> {
  const object = loadObject(objectBytes, { file: 'firewall.o' });
  const compiled = compileObject(object);
  const alone = loadCompiled(compiled.bytes);
  const ways: [string, typeof object, Backend][] = [
    ['interp', object, BACKENDS.get('interp')!],
    ['wasm', object, BACKENDS.get('wasm')!],
    ['compiled-module', alone.object, alone.backend],
  ];
  const out: Record<string, unknown> = {};
  for (const [name, obj, backend] of ways) {
    const instance = new Instance(obj, { ...options, nCpus: 2 });
    preload(instance);
    const runs = sampleFrames().map(([frame, data]) => {
      const r = testRun(instance, obj.programs[0]!, backend, { data });
      return { frame, retval: r.retval, out: hex(r.dataOut) };
    });
    out[name] = { runs, maps: dumpMaps(instance) };
  }
  return out;
}
