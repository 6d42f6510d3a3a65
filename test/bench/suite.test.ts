/** @file The benchmark suite: committed objects match their sources, and each native C form computes what its eBPF program computes. */
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadObject } from '../../src/elf/index.js';
import { BACKENDS } from '../../src/host/backend.js';
import { Instance } from '../../src/host/instance.js';
import { testRun } from '../../src/host/test-run.js';
import { loadMapsFile } from '../../src/host/map-io.js';
import { firewallMaps, tcpPacket, udpPacket } from '../../bench/packets.js';

const root = new URL('../../', import.meta.url).pathname;
const has = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'ebpf2wasm-suite-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

t.test('bench/build.sh --check: the committed objects match their sources', { skip: has('clang-14') ? false : 'skipped: clang-14 is not installed' }, async (t) => {
  const r = spawnSync(join(root, 'bench/build.sh'), ['--check'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stdout + r.stderr);
});

t.test('native forms agree with the eBPF programs on the interpreter', { skip: has('gcc') ? false : 'skipped: gcc is not installed' }, async (t) => {
  const programs: [string, string][] = [
    ['checksum', 'checksum'], ['hash', 'fnv1a'], ['hash', 'jhash'], ['parser', 'parser'], ['calls', 'calls'], ['counter', 'counter'],
    ['firewall', 'firewall'], ['ringbuf', 'ringbuf'], ['trivial', 'trivial'],
  ];
  /** The TCP frame with other IPv4 source and destination addresses. */
  const addressed = (src: number[], dst: number[]): Uint8Array => { const p = tcpPacket(200); p.set(src, 26); p.set(dst, 30); return p; };
  const inputs = [
    tcpPacket(700), tcpPacket(333), udpPacket(64),
    // the firewall's other verdicts: a blocked source (drop), a blocked /8 (drop), no rule (pass)
    addressed([10, 9, 0, 199], [192, 168, 1, 1]), addressed([10, 9, 1, 0], [172, 31, 200, 1]), addressed([10, 9, 0, 200], [8, 8, 8, 8]),
  ];
  inputs.forEach((p, i) => writeFileSync(join(tmp, `in${i}.bin`), p));
  const seen = new Map<string, Set<number>>();
  for (const [obj, name] of programs) {
    const exe = join(tmp, name);
    execFileSync('gcc', ['-O2', '-o', exe, join(root, 'bench/native/driver.c'), join(root, `bench/native/${name}.c`)]);
    const object = loadObject(new Uint8Array(readFileSync(join(root, `bench/progs/${obj}.o`))), { file: `${obj}.o` });
    const prog = object.programs.find((p) => p.name === name)!;
    inputs.forEach((data, i) => {
      const instance = new Instance(object);
      if (name === 'firewall') loadMapsFile(instance, firewallMaps());
      const expected = testRun(instance, prog, BACKENDS.get('interp-fast')!, { data }).retval;
      const [, retval] = execFileSync(exe, [join(tmp, `in${i}.bin`), '3'], { encoding: 'utf8' }).trim().split(' ');
      t.equal(Number(retval), expected, `${name} on input ${i} (${data.length} bytes)`);
      seen.set(name, (seen.get(name) ?? new Set()).add(expected));
    });
  }
  t.same([...seen.get('firewall')!].sort(), [1, 2, 3], 'the firewall inputs reach drop, pass and tx');
});
