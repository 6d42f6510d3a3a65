/**
 * @file The assembly text of every compiled conformance case and fixture
 * program, assembled by llvm-mc (`-triple=aarch64 -mattr=+lse`), gives exactly
 * the bytes the backend emitted.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../src/elf/index.js';
import { compileArm64, type Arm64Program } from '../../src/emit-arm64/compile.js';
import { programIR } from '../../src/host/compile.js';
import { decodeChecked } from '../../src/isa/validate.js';
import { lift } from '../../src/lift/lift.js';
import { runPipeline } from '../../src/opt/pipeline.js';
import { caseProgram, parseConformanceData } from '../harness/conformance-data.js';
import { LLVM_MC, LLVM_OBJCOPY, assembleToBytes } from './llvm-mc.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suite = resolve(root, '..', 'shared', 'bpf-conformance', 'tests');

/** Check a batch of programs with one llvm-mc run: labels get a per-program prefix. */
function check(t: { pass(m: string): void; fail(m: string): void }, name: string, progs: readonly { name: string; prog: Arm64Program }[]): void {
  const text = progs.map((p, k) => `// ${p.name}\n${p.prog.text.replace(/\.L(\d+)/g, `.Lp${k}_$1`)}`).join('');
  const got = assembleToBytes(text);
  const want = new Uint8Array(progs.reduce((n, p) => n + p.prog.code.length, 0));
  let at = 0;
  for (const p of progs) { want.set(p.prog.code, at); at += p.prog.code.length; }
  if (Buffer.compare(Buffer.from(got), Buffer.from(want)) === 0) {
    t.pass(`${name}: ${progs.length} programs, ${want.length / 4} instructions assemble to the same bytes`);
    return;
  }
  // Find the first program that differs, for the message.
  at = 0;
  for (const p of progs) {
    const mine = p.prog.code, theirs = got.subarray(at, at + mine.length);
    if (Buffer.compare(Buffer.from(mine), Buffer.from(theirs)) !== 0) {
      const k = mine.findIndex((b, i) => b !== theirs[i]) >> 2;
      t.fail(`${name}: ${p.name} differs at instruction ${k}: ${p.prog.text.split('\n').filter((l) => l.startsWith('\t'))[k]}`);
      return;
    }
    at += mine.length;
  }
  t.fail(`${name}: lengths differ (${got.length} vs ${want.length})`);
}

const skip = LLVM_MC === undefined || LLVM_OBJCOPY === undefined ? 'llvm-mc or llvm-objcopy is not installed' : false;

t.test('conformance programs', { skip: skip || (!existsSync(suite) ? `no ${suite} (../shared absent)` : false) }, async (t) => {
  for (const level of [0, 2] as const) {
    const progs: { name: string; prog: Arm64Program }[] = [];
    for (const file of readdirSync(suite).filter((f) => f.endsWith('.data')).sort()) {
      const c = parseConformanceData(readFileSync(join(suite, file), 'utf8'), file);
      if (c.skip !== undefined) continue;
      const { insns, diagnostics } = decodeChecked(caseProgram(c));
      if (diagnostics.length > 0) continue;
      const m = lift(insns, { entryArgs: 2 }).module;
      if (m === undefined) continue;
      runPipeline(m, { level });
      progs.push({ name: file, prog: compileArm64(m) });
    }
    t.ok(progs.length > 250, `${progs.length} programs compiled at -O${level}`);
    check(t, `-O${level}`, progs);
  }
});

t.test('fixture programs', { skip }, async (t) => {
  const files = [
    ...readdirSync(join(root, 'test/fixtures')).filter((f) => f.endsWith('.o')).map((f) => join(root, 'test/fixtures', f)),
    join(root, 'examples/firewall.o'),
  ];
  const progs: { name: string; prog: Arm64Program }[] = [];
  for (const file of files) {
    const object = loadObject(new Uint8Array(readFileSync(file)), { file });
    for (const p of object.programs) {
      try {
        progs.push({ name: `${file.split('/').pop()} ${p.name}`, prog: compileArm64(programIR(p), { mapHandles: new Map([[0, 0x1234_5678n]]) }) });
      } catch { /* programs the lifter refuses are covered by the lifter's tests */ }
    }
  }
  t.ok(progs.length > 15, `${progs.length} fixture programs compiled`);
  check(t, 'fixtures', progs);
});
