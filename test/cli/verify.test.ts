/** @file `ebpf2wasm verify` and verification in `compile`: verdicts, the JSON shape, errors under their instruction. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAbiSections } from '../../src/emit-wasm/abi-sections.js';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'dist/src/cli/main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const tmp = mkdtempSync(join(tmpdir(), 'ebpf2wasm-verify-'));
const skip = existsSync(cli) ? false : 'skipped: dist/ not built (npm test builds it)';
const bad = join(root, '../shared/ebpf-samples/build/badmapptr.o');
const skipBad = skip !== false ? skip : existsSync(bad) ? false : 'skipped: ../shared/ebpf-samples is absent';

t.test('accepted programs: exit 0, JSON shape', { skip }, async (t) => {
  const r = run('verify', join(root, 'test/fixtures/calls-el.o'), '--json');
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.same(out.programs.map((p: { function: string }) => p.function), ['calls_main', 'calls_other']);
  for (const p of out.programs) {
    t.same(Object.keys(p), ['section', 'function', 'type', 'verdict', 'processed_insns', 'errors']);
    t.equal(p.verdict, 'accepted');
    t.equal(p.type, 'sched_cls');
    t.ok(p.processed_insns > 0);
    t.same(p.errors, []);
  }
  const human = run('verify', join(root, 'examples/firewall.o'));
  t.equal(human.status, 0);
  t.match(human.stdout, /program "firewall" \(xdp\): accepted, \d+ instructions processed/);
});

t.test('a rejected program: exit 1, the error under its instruction with the source line', { skip: skipBad }, async (t) => {
  const r = run('verify', bad);
  t.equal(r.status, 1);
  t.match(r.stdout, /rejected/);
  t.match(r.stdout, /; uint32_t\* value = bpf_map_lookup_elem\(map \+ 1, &key\);/);
  t.match(r.stdout, /^\s+4: r1 \+= 32$/m);
  t.match(r.stdout, /error\[VERIFY_\w+\]: pc 4: pointer arithmetic/);
  t.match(r.stdout, /kernel: R1 pointer arithmetic on map_ptr prohibited/);
  const json = JSON.parse(run('verify', bad, '--json').stdout);
  t.equal(json.programs[0].verdict, 'rejected');
  t.equal(json.programs[0].errors[0].pc, 4);
  t.match(json.programs[0].errors[0].line, /bpf_map_lookup_elem/);
});

t.test('compile verifies first: proven accesses run unchecked; rejected programs need --no-verify', { skip: skipBad }, async (t) => {
  const out = join(tmp, 'fw.wasm');
  const verified = run('compile', join(root, 'examples/firewall.o'), '-o', out);
  t.equal(verified.status, 0, verified.stderr);
  const checkedVerified = Number(/(\d+) checked accesses/.exec(verified.stderr)![1]);
  const unverified = run('compile', join(root, 'examples/firewall.o'), '-o', out, '--no-verify');
  const checkedUnverified = Number(/(\d+) checked accesses/.exec(unverified.stderr)![1]);
  t.ok(checkedVerified < checkedUnverified, `${checkedVerified} checked accesses with the verifier, ${checkedUnverified} without`);
  t.ok(readAbiSections(new Uint8Array(readFileSync(out))).programs.length === 1);
  const rejected = run('compile', bad, '-o', join(tmp, 'bad.wasm'));
  t.equal(rejected.status, 1);
  t.match(rejected.stderr, /^error\[CLI_VERIFY_REJECTED\]: .*program "test_repro" is rejected by the verifier at pc 4/);
  t.equal(run('compile', bad, '-o', join(tmp, 'bad.wasm'), '--no-verify').status, 0);
});
