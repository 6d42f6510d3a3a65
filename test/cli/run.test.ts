/** @file `ebpf2wasm run` and `demo`: the JSON shape, map preloading, selection errors. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipv4Frame } from '../../src/cli/packets.js';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'dist/src/cli/main.js');
const fixture = (name: string): string => join(root, 'test/fixtures', name);
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const tmp = mkdtempSync(join(tmpdir(), 'ebpf2wasm-run-'));
const skip = existsSync(cli) ? false : 'skipped: dist/ not built (npm test builds it)';

const tcp80 = join(tmp, 'tcp80.bin');
writeFileSync(tcp80, ipv4Frame({ src: '10.1.2.3', dst: '10.0.0.1', proto: 'tcp', sport: 1234, dport: 80, payload: 'hi' }));
const udp53 = join(tmp, 'udp53.bin');
writeFileSync(udp53, ipv4Frame({ src: '192.168.0.1', dst: '10.0.0.1', proto: 'udp', sport: 5353, dport: 53 }));

t.test('run --json has exactly the documented shape', { skip }, async (t) => {
  const r = run('run', join(root, 'examples/firewall.o'), '--program', 'firewall', '--data', tcp80, '--json', '--cpus', '2');
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.same(Object.keys(out), ['program', 'backend', 'retval', 'r0', 'data_out', 'maps', 'ringbufs']);
  t.equal(out.program, 'firewall');
  t.equal(out.backend, 'interp');
  t.equal(out.retval, 2, 'XDP_PASS');
  t.equal(out.r0, '0x0000000000000002');
  t.equal(out.data_out, Buffer.from(ipv4Frame({ src: '10.1.2.3', dst: '10.0.0.1', proto: 'tcp', sport: 1234, dport: 80, payload: 'hi' })).toString('hex'));
  t.same(Object.keys(out.maps).sort(), ['blocked_ports', 'blocked_prefixes', 'verdicts']);
  t.equal(out.maps.verdicts.type, 'percpu_array');
  t.equal(out.maps.verdicts.entries.length, 4, 'arrays list every entry');
  t.same(out.maps.verdicts.entries[2], { key: '02000000', values: ['0100000000000000', '0000000000000000'] });
  t.same(out.maps.blocked_ports, { type: 'hash', entries: [] });
});

t.test('--maps preloads maps; the program sees them', { skip }, async (t) => {
  const maps = join(tmp, 'maps.txt');
  writeFileSync(maps, '# block 10.1.0.0/16 and port 53\nblocked_prefixes 100000000a010000 01\nblocked_ports 3500 01\n');
  const drop = JSON.parse(run('run', join(root, 'examples/firewall.o'), '--section', 'xdp', '--data', tcp80, '--maps', maps, '--json').stdout);
  t.equal(drop.retval, 1, 'source in a blocked prefix: XDP_DROP');
  t.same(drop.maps.blocked_prefixes.entries, [{ key: '100000000a010000', value: '01' }]);
  const udp = JSON.parse(run('run', join(root, 'examples/firewall.o'), '--section', 'xdp', '--data', udp53, '--maps', maps, '--json').stdout);
  t.equal(udp.retval, 1, 'blocked port: XDP_DROP');
  t.same(udp.maps.verdicts.entries[1], { key: '01000000', values: ['0100000000000000'] });
});

t.test('global data and hash maps show their contents after the run', { skip }, async (t) => {
  const r = JSON.parse(run('run', fixture('globals-el.o'), '--data', tcp80, '--json').stdout);
  t.ok(r.maps['.rodata'], 'global data sections are maps');
  t.equal(r.maps['.rodata'].entries.length, 1);
  const p = JSON.parse(run('run', fixture('xdp_parser-el.o'), '--data', udp53, '--json').stdout);
  t.equal(p.maps.proto_counts.type, 'hash');
  t.ok(p.maps.proto_counts.entries.length >= 1, 'the parser counted the packet');
});

t.test('user errors: one line, exit 1', { skip }, async (t) => {
  const cases: [string[], RegExp][] = [
    [['run', fixture('calls-el.o'), '--data', tcp80], /CLI_NEED_PROGRAM.*calls_main/],
    [['run', fixture('calls-el.o'), '--program', 'nope'], /CLI_NO_PROGRAM.*named "nope"/],
    [['run', fixture('calls-el.o'), '--section', 'tc'], /CLI_AMBIGUOUS_PROGRAM/],
    [['run', join(root, 'examples/firewall.o'), '--backend', 'gpu'], /HOST_NO_BACKEND.*"gpu"/],
    [['run', join(root, 'examples/firewall.o'), '--data', join(tmp, 'missing.bin')], /CLI_READ_FAILED/],
  ];
  const bad = join(tmp, 'bad-maps.txt');
  writeFileSync(bad, 'blocked_ports 35 01\n');
  cases.push([['run', join(root, 'examples/firewall.o'), '--data', tcp80, '--maps', bad], /MAPS_FILE_SYNTAX.*line 1: map "blocked_ports" has 2-byte keys/]);
  for (const [args, re] of cases) {
    const r = run(...args);
    t.equal(r.status, 1, args.join(' '));
    t.match(r.stderr, re);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

t.test('a bad option value is a usage error', { skip }, async (t) => {
  const r = run('run', join(root, 'examples/firewall.o'), '--cpus', 'many');
  t.equal(r.status, 2);
  t.match(r.stderr, /option '--cpus <n>' argument 'many' is invalid\. expected a whole number from 1 to 1024/);
});

t.test('demo runs the bundled firewall and prints verdicts', { skip }, async (t) => {
  const r = run('demo');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /Disassembly of section xdp:/);
  t.match(r.stdout, /tcp 192\.168\.1\.5:40000 -> :80\s+XDP_PASS/);
  t.match(r.stdout, /tcp 192\.168\.1\.5:40001 -> :22\s+XDP_DROP/);
  t.match(r.stdout, /udp 10\.1\.2\.3:5353 -> :53\s+XDP_DROP/);
  t.match(r.stdout, /verdicts \(percpu_array\):\n(?:.*\n)?  01000000 => 0300000000000000/);
});
