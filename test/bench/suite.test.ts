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
import { tcpPacket, udpPacket } from '../../bench/packets.js';

const root = new URL('../../', import.meta.url).pathname;
const has = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'ebpf2wasm-suite-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

t.test('bench/build.sh --check: the committed objects match their sources', { skip: has('clang-14') ? false : 'skipped: clang-14 is not installed' }, async (t) => {
  const r = spawnSync(join(root, 'bench/build.sh'), ['--check'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stdout + r.stderr);
});

t.test('native forms agree with the eBPF programs on the interpreter', { skip: has('gcc') ? false : 'skipped: gcc is not installed' }, async (t) => {
  const programs: [string, string][] = [['checksum', 'checksum'], ['hash', 'fnv1a'], ['hash', 'jhash'], ['parser', 'parser'], ['calls', 'calls'], ['counter', 'counter'], ['trivial', 'trivial']];
  const inputs = [tcpPacket(700), tcpPacket(333), udpPacket(64)];
  inputs.forEach((p, i) => writeFileSync(join(tmp, `in${i}.bin`), p));
  for (const [obj, name] of programs) {
    const exe = join(tmp, name);
    execFileSync('gcc', ['-O2', '-o', exe, join(root, 'bench/native/driver.c'), join(root, `bench/native/${name}.c`)]);
    const object = loadObject(new Uint8Array(readFileSync(join(root, `bench/progs/${obj}.o`))), { file: `${obj}.o` });
    const prog = object.programs.find((p) => p.name === name)!;
    inputs.forEach((data, i) => {
      const expected = testRun(new Instance(object), prog, BACKENDS.get('interp-fast')!, { data }).retval;
      const [, retval] = execFileSync(exe, [join(tmp, `in${i}.bin`), '3'], { encoding: 'utf8' }).trim().split(' ');
      t.equal(Number(retval), expected, `${name} on ${data.length} bytes`);
    });
  }
});
