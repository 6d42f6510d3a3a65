/** @file `ebpf2wasm disasm` against llvm-objdump, on the fixtures and the sample corpus; CLI exit codes. */
import t, { type Test } from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject } from '../../src/elf/index.js';
import { listing } from '../../src/cli/listing.js';

const root = new URL('../../', import.meta.url).pathname;
const objdump = ['/usr/bin/llvm-objdump', '/usr/lib/llvm-14/bin/llvm-objdump'].find((p) => existsSync(p));

/** Instruction lines (`pc: bytes text`) with symbolic `<...>` annotations removed. */
function insnLines(text: string): string[] {
  return text.split('\n')
    .filter((l) => /^\s+\d+:\t/.test(l))
    .map((l) => l.replace(/ <[^>]*>$/, '').replace(/\s+$/, ''));
}

function compare(t: Test, file: string): number {
  const bytes = new Uint8Array(readFileSync(file));
  const ours = insnLines(listing(bytes, loadObject(bytes, { file }), { source: false }));
  let dump: string;
  try {
    dump = execFileSync(objdump!, ['-d', file], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return 0; // llvm-objdump refuses objects whose e_machine is not BPF
  }
  const theirs = insnLines(dump);
  t.equal(ours.length, theirs.length, `${file}: same number of instructions`);
  let same = 0;
  const diffs: string[] = [];
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    // llvm-objdump 14 cannot print v4 instructions, jset or store-immediate: it says <unknown>.
    if (theirs[i]!.endsWith('<unknown>') || ours[i] === theirs[i]) { same++; continue; }
    diffs.push(`ours:   ${ours[i]}\ntheirs: ${theirs[i]}`);
  }
  t.same(diffs.slice(0, 5), [], `${file}: instructions agree`);
  return same;
}

t.test('disasm lists the same instructions as llvm-objdump -d (fixtures)', { skip: objdump ? false : 'skipped: llvm-objdump not installed (apt-get install llvm)' }, async (t) => {
  const dirs = [join(root, 'test/fixtures'), join(root, 'examples')];
  let n = 0;
  for (const dir of dirs) for (const f of readdirSync(dir).filter((f) => f.endsWith('.o'))) n += compare(t, join(dir, f));
  t.ok(n > 300, `${n} instructions compared`);
});

const samples = join(root, '../shared/ebpf-samples');
t.test('disasm agrees with llvm-objdump on the sample corpus', {
  skip: !objdump ? 'skipped: llvm-objdump not installed' : !existsSync(samples) ? 'skipped: ../shared/ebpf-samples is absent' : false,
}, async (t) => {
  const files: string[] = [];
  for (const dir of ['linux', 'suricata', 'prototype-kernel', 'build', 'cilium-examples', 'new_linux', 'ovs']) {
    const d = join(samples, dir);
    if (existsSync(d)) for (const f of readdirSync(d).filter((f) => f.endsWith('.o'))) files.push(join(d, f));
  }
  let n = 0;
  let objects = 0;
  for (const f of files) {
    let object;
    try { object = loadObject(new Uint8Array(readFileSync(f)), { file: f }); } catch { continue; }
    void object;
    n += compare(t, f);
    objects++;
  }
  t.ok(objects > 50, `${objects} objects, ${n} instructions compared`);
});

t.test('CLI exit codes and one-line errors', async (t) => {
  const cli = join(root, 'dist/src/cli/main.js');
  if (!existsSync(cli)) { t.comment('skipped: dist/ not built (npm test builds it)'); return; }
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  const ok = run('disasm', join(root, 'test/fixtures/calls-el.o'));
  t.equal(ok.status, 0);
  t.match(ok.stdout, /Disassembly of section \.text:/);
  t.match(ok.stdout, /^; .*return x \* x;$/m, 'source lines from BTF');
  const missing = run('disasm', '/nonexistent.o');
  t.equal(missing.status, 1);
  t.equal(missing.stderr.trim().split('\n').length, 1);
  t.match(missing.stderr, /error\[CLI_READ_FAILED\]: cannot read \/nonexistent\.o: no such file/);
  const notElf = run('disasm', join(root, 'package.json'));
  t.equal(notElf.status, 1);
  t.match(notElf.stderr, /^error\[ELF_NOT_ELF\]/);
  const section = run('disasm', join(root, 'test/fixtures/calls-el.o'), '--section', 'nope');
  t.equal(section.status, 1);
  t.match(section.stderr, /no executable section "nope"/);
  t.equal(run('disasm').status, 2, 'missing argument is a usage error');
  t.equal(run('frobnicate').status, 2, 'unknown command is a usage error');
  const help = run('disasm', '--help');
  t.equal(help.status, 0);
  t.match(help.stdout, /--section/);
});
