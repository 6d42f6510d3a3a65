/** @file `ebpf2wasm compile`: valid modules with the ABI sections for every fixture, text form, options and errors. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readAbiSections } from '../../src/emit-wasm/abi-sections.js';
import { validateWasm } from '../../src/emit-wasm/wat.js';
import { loadObject } from '../../src/elf/index.js';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'dist/src/cli/main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const tmp = mkdtempSync(join(tmpdir(), 'ebpf2wasm-compile-'));
const skip = existsSync(cli) ? false : 'skipped: dist/ not built (npm test builds it)';

t.test('every fixture compiles to a valid module whose ABI sections describe the object', { skip }, async (t) => {
  const objects = readdirSync(join(root, 'test/fixtures')).filter((f) => f.endsWith('-el.o')).map((f) => join(root, 'test/fixtures', f));
  objects.push(join(root, 'examples/firewall.o'));
  for (const file of objects) {
    const out = join(tmp, `${basename(file, '.o')}.wasm`);
    for (const level of ['-O0', '-O2']) {
      const r = run('compile', file, '-o', out, level);
      t.equal(r.status, 0, `${basename(file)} ${level}: ${r.stderr}`);
      const bytes = new Uint8Array(readFileSync(out));
      t.equal(await validateWasm(bytes), undefined, `${basename(file)} ${level} validates`);
      const abi = readAbiSections(bytes);
      const object = loadObject(new Uint8Array(readFileSync(file)), { file });
      t.same(abi.programs.map((p) => [p.name, p.section, p.type]), object.programs.map((p) => [p.name, p.section, p.type]), 'programs');
      t.same(abi.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]),
        object.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]), 'maps');
      t.equal(abi.license, object.license, 'license');
    }
  }
});

t.test('--wat writes the text form; --section and --program select', { skip }, async (t) => {
  const wat = join(tmp, 'fw.wat');
  const r = run('compile', join(root, 'examples/firewall.o'), '--wat', '-o', wat);
  t.equal(r.status, 0, r.stderr);
  t.match(readFileSync(wat, 'utf8'), /^\(module/);
  t.match(readFileSync(wat, 'utf8'), /\(export "firewall"/);
  const one = join(tmp, 'one.wasm');
  t.equal(run('compile', join(root, 'test/fixtures/calls-el.o'), '--program', 'calls_other', '-o', one).status, 0);
  t.same(readAbiSections(new Uint8Array(readFileSync(one))).programs.map((p) => p.name), ['calls_other']);
});

t.test('--dump-ir prints IR after the named pass', { skip }, async (t) => {
  const r = run('compile', join(root, 'test/fixtures/calls-el.o'), '-o', join(tmp, 'd.wasm'), '--dump-ir=after-eliminate-dead-code');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /; calls_main: after eliminate-dead-code f0/);
  t.match(r.stderr, /^b0\(v\d+: i64\):/m);
});

t.test('errors: one line, exit 1; bad option values exit 2', { skip }, async (t) => {
  const pass = run('compile', join(root, 'examples/firewall.o'), '-o', join(tmp, 'x.wasm'), '--dump-ir=after-nothing');
  t.equal(pass.status, 1);
  t.match(pass.stderr, /^error\[IR_UNKNOWN_PASS\]: unknown pass "nothing"/);
  const level = run('compile', join(root, 'examples/firewall.o'), '-O7');
  t.equal(level.status, 2);
  const sec = run('compile', join(root, 'examples/firewall.o'), '--section', 'nope');
  t.equal(sec.status, 1);
  t.match(sec.stderr, /CLI_NO_PROGRAM.*in section "nope"/);
});

const llvmMc = ['/usr/bin/llvm-mc', '/usr/lib/llvm-14/bin/llvm-mc'].find((p) => existsSync(p));
t.test('--target x86-64|arm64: -S text that llvm-mc assembles to the -o bytes', { skip: skip !== false ? skip : llvmMc ? false : 'skipped: llvm-mc not installed' }, async (t) => {
  const triples = { 'x86-64': ['-triple=x86_64'], arm64: ['-triple=aarch64', '-mattr=+lse'] } as const;
  for (const target of ['x86-64', 'arm64'] as const) {
    for (const fixture of ['xdp_parser-el.o', 'calls-el.o']) {
      const file = join(root, 'test/fixtures', fixture);
      const prog = fixture === 'calls-el.o' ? ['--program', 'calls_main'] : [];
      const bin = join(tmp, `${fixture}.${target}.bin`);
      const s = join(tmp, `${fixture}.${target}.s`);
      t.equal(run('compile', file, ...prog, '--target', target, '-o', bin).status, 0, `${target} ${fixture} -o`);
      const r = run('compile', file, ...prog, '--target', target, '-S', '-o', s);
      t.equal(r.status, 0, r.stderr);
      const obj = join(tmp, `${fixture}.${target}.obj`);
      const mc = spawnSync(llvmMc!, [...triples[target], '-filetype=obj', s, '-o', obj], { encoding: 'utf8' });
      t.equal(mc.status, 0, mc.stderr);
      const dump = spawnSync('llvm-objcopy', ['-O', 'binary', '--only-section=.text', obj, `${obj}.text`], { encoding: 'utf8' });
      t.equal(dump.status, 0, dump.stderr);
      t.same(Buffer.from(readFileSync(`${obj}.text`)), Buffer.from(readFileSync(bin)), `${target} ${fixture}: same bytes`);
    }
  }
  const many = run('compile', join(root, 'test/fixtures/calls-el.o'), '--target', 'x86-64');
  t.equal(many.status, 1, 'native code is one program at a time');
  t.match(many.stderr, /CLI_NEED_PROGRAM/);
});
