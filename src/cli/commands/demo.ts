/**
 * @file `ebpf2wasm demo` (what `npm start` runs): the bundled XDP firewall,
 * disassembled, then run over sample packets with its maps preloaded,
 * printing each verdict and the maps afterwards.
 */

import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../elf/index.js';
import { backendByName } from '../../host/backend.js';
import { Instance } from '../../host/instance.js';
import { dumpMaps } from '../../host/map-io.js';
import { testRun } from '../../host/test-run.js';
import { action, readInput } from '../io.js';
import { listing } from '../listing.js';
import { arpFrame, ipv4Frame } from '../packets.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/firewall.o', import.meta.url));
const VERDICTS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

/** Register the command. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('disassemble the bundled XDP firewall and run it over sample packets')
    .option('--backend <name>', 'backend to run on', 'interp')
    .option('--object <file>', 'the example object', EXAMPLE)
    .action((opts: { backend: string; object: string }) => action(() => {
      const bytes = readInput(opts.object);
      const object = loadObject(bytes, { file: opts.object });
      const backend = backendByName(opts.backend);
      const out: string[] = [];
      out.push(`# ${opts.object}: ${object.programs.length} program(s), ${object.maps.length} map(s), license "${object.license}"`);
      out.push(listing(bytes, object, { file: 'firewall.o', section: 'xdp' }).trimEnd(), '');

      const instance = new Instance(object, { nCpus: 2 });
      const ports = instance.maps.get('blocked_ports')!;
      const prefixes = instance.maps.get('blocked_prefixes')!;
      for (const port of [22, 23]) {
        const key = new Uint8Array(2);
        new DataView(key.buffer).setUint16(0, port, true);
        ports.updateUser(key, new Uint8Array([1]), 0);
      }
      // struct ipv4_lpm_key { u32 prefixlen; u32 addr (network order) }: 10.1.0.0/16
      prefixes.updateUser(new Uint8Array([16, 0, 0, 0, 10, 1, 0, 0]), new Uint8Array([1]), 0);
      out.push('# maps preloaded: blocked_ports = {22, 23}, blocked_prefixes = {10.1.0.0/16}', '');

      const samples: [string, Uint8Array][] = [
        ['tcp 192.168.1.5:40000 -> :80', ipv4Frame({ src: '192.168.1.5', dst: '192.168.1.1', proto: 'tcp', sport: 40000, dport: 80, payload: 'GET / HTTP/1.1' })],
        ['tcp 192.168.1.5:40001 -> :22', ipv4Frame({ src: '192.168.1.5', dst: '192.168.1.1', proto: 'tcp', sport: 40001, dport: 22 })],
        ['udp 10.1.2.3:5353 -> :53', ipv4Frame({ src: '10.1.2.3', dst: '192.168.1.1', proto: 'udp', sport: 5353, dport: 53, payload: 'query' })],
        ['udp 10.2.0.9:5353 -> :53', ipv4Frame({ src: '10.2.0.9', dst: '192.168.1.1', proto: 'udp', sport: 5353, dport: 53, payload: 'query' })],
        ['arp request', arpFrame()],
        ['truncated tcp', ipv4Frame({ src: '192.168.1.5', dst: '192.168.1.1', proto: 'tcp', sport: 1, dport: 80 }).subarray(0, 40)],
      ];
      out.push(`# runs on backend "${backend.name}"`);
      const prog = object.programs.find((p) => p.name === 'firewall') ?? object.programs[0]!;
      for (const [name, frame] of samples) {
        const r = testRun(instance, prog, backend, { data: frame });
        const count = r.insnCount !== undefined ? `${r.insnCount} insns` : '';
        out.push(`${name.padEnd(32)} ${(VERDICTS[r.retval] ?? String(r.retval)).padEnd(10)} ${count}`);
      }
      out.push('', '# maps after the runs');
      for (const [name, dump] of Object.entries(dumpMaps(instance))) {
        out.push(`${name} (${dump.type}):`);
        for (const e of dump.entries) out.push(`  ${e.key} => ${'value' in e ? e.value : e.values.join(' | ')}`);
      }
      process.stdout.write(`${out.join('\n')}\n`);
    }));
}
