/**
 * @file The conformance plugin: its protocol, and the whole suite through the
 * TypeScript re-implementation of the upstream runner against the built
 * plugin on the reference interpreter (`plugin-*.test.ts` do the other
 * backends).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plugin } from '../../src/cli/conformance-plugin.js';
import { enabledGroups, judge, requirements, runConformance } from '../../scripts/conformance-runner.js';
import { built, pluginEnv, suiteOnBackend, suiteUnavailable } from '../harness/plugin-suite.js';
import { assemble } from '../../src/isa/asm.js';
import { encode } from '../../src/isa/insn.js';
import { formatHexBytes } from '../../src/util/hex.js';
import { parseConformanceData } from '../harness/conformance-data.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const hexOf = (asm: string): string => {
  const { insns, diagnostics } = assemble(asm);
  if (diagnostics.length > 0) throw new Error(diagnostics[0]!.message);
  return formatHexBytes(encode(insns));
};

t.test('plugin protocol (in process)', async (t) => {
  t.same(await plugin(hexOf('mov %r0, 42\nexit'), []), { out: '0x2a', code: 0 });
  t.same(await plugin(hexOf('mov %r0, -1\nexit'), []), { out: '0xffffffffffffffff', code: 0 });
  // memory argument first: r1 = its address, r2 = its length
  t.same(await plugin(hexOf('ldxw %r0, [%r1+4]\nadd %r0, %r2\nexit'), ['01 00 00 00 10 00 00 00', '--backend', 'interp']),
    { out: '0x18', code: 0 });
  const fault = await plugin(hexOf('ldxdw %r0, [%r1]\nexit'), []);
  t.equal(fault.code, 1);
  t.match(fault.out, /^error\[RUN_MEMORY_FAULT\]: pc 0: load of 8 bytes at 0x0 /);
  t.notMatch(fault.out, /\n/, 'one line');
  // the wasm backend through the same protocol: same results and the same faults as the interpreter
  for (const [asm, mem] of [['ldxw %r0, [%r1+4]\nadd %r0, %r2\nexit', '01 00 00 00 10 00 00 00'], ['mov %r0, -1\nexit', undefined], ['ldxdw %r0, [%r1]\nexit', undefined]] as const) {
    const args = mem === undefined ? [] : [mem];
    const want = await plugin(hexOf(asm), [...args, '--backend', 'interp']);
    const got = await plugin(hexOf(asm), [...args, '--backend', 'wasm']);
    t.same(got, want, `wasm: ${asm.split('\n')[0]}`);
  }
  t.equal((await plugin(hexOf('exit'), ['--backend', 'nope'])).code, 2);
  t.equal((await plugin(hexOf('exit'), ['--frobnicate'])).code, 2);
  const cpu = await plugin(hexOf('mov %r0, 1\nsdiv %r0, 1\nexit'), ['--cpu-version', 'v3']);
  t.equal(cpu.code, 1);
  t.match(cpu.out, /RUN_CPU_VERSION\]: pc 1: sdiv needs cpu version v4/);
  t.same(await plugin(hexOf('mov %r0, 1\nsdiv %r0, 1\nexit'), ['--cpu-version', 'v4']), { out: '0x1', code: 0 });
  t.equal((await plugin('zz 00', [])).code, 1, 'stdin that is not hex');
  const budget = await plugin(hexOf('l:\nja l\nexit'), ['--budget', '1000']);
  t.equal(budget.code, 1);
  t.match(budget.out, /RUN_BUDGET/);
});

t.test('runner: versions and groups come from the opcode table', async (t) => {
  const prog = (asm: string): Uint8Array => encode(assemble(asm).insns);
  t.same(requirements(prog('mov %r0, 1\nexit')), { version: 1, groups: new Set(['base64', 'base32']) });
  t.equal(requirements(prog('jlt %r0, 1, +0\nexit')).version, 2);
  t.equal(requirements(prog('lock add [%r10-8], %r1\nexit')).version, 3);
  t.ok(requirements(prog('lock add32 [%r10-8], %r1\nexit')).groups.has('atomic32'));
  t.equal(requirements(prog('movsx864 %r0, %r1\nexit')).version, 4);
  t.same([...enabledGroups([], [])].sort(), ['atomic32', 'atomic64', 'base32', 'base64', 'divmul32', 'divmul64']);
  t.ok(enabledGroups(['callx'], []).has('callx'));
  t.notOk(enabledGroups([], ['atomic64']).has('atomic32'), 'atomic64 also means atomic32');
  const c = parseConformanceData('-- asm\nexit\n-- error\nboom\n');
  t.equal(judge(c, { code: 0, stdout: '0\n', stderr: '' }).status, 'PASS', 'error test passes when the plugin returns 0');
  t.equal(judge(c, { code: 1, stdout: 'boom  \r\nmore', stderr: '' }).status, 'PASS');
  t.equal(judge(c, { code: 1, stdout: '', stderr: 'bang' }).status, 'FAIL');
  const r = parseConformanceData('-- asm\nexit\n-- result\n0x10\n');
  t.equal(judge(r, { code: 0, stdout: '10\n', stderr: '' }).status, 'PASS', 'output is read as hex');
  t.equal(judge(r, { code: 0, stdout: 'ten\n', stderr: '' }).status, 'ERROR');
  t.equal(judge(r, { code: 3, stdout: 'x', stderr: '' }).status, 'ERROR');
});

const unavailable = suiteUnavailable();
if (unavailable !== undefined) {
  t.pass(`skipped: ${unavailable}`, { skip: unavailable });
} else {
  // the interpreter here; the other backends each in their own file (plugin-*.test.ts)
  suiteOnBackend('interp', false);

  t.test('runner over the own error cases (-- error texts through the protocol), and --elf', async (t) => {
    const env = pluginEnv();
    // two areas only, to keep process spawns few: errors (protocol of failures) and alu (through --elf)
    for (const area of ['alu', 'errors']) {
      const result = await runConformance({
        testFileDirectory: resolve(root, 'test', 'run', area), pluginPath: built, pluginOptions: '', cpuVersion: 4,
        includeGroups: ['callx', 'packet'], excludeGroups: [], elf: area === 'alu', jobs: 2, env,
      });
      t.same(result.outcomes.filter((o) => o.status !== 'PASS').map((o) => `${o.status} ${o.file} ${o.reason}`), [], area);
      t.ok(result.total > 0);
    }
  });

  t.test('the built plugin is an executable entry point', async (t) => {
    const env = pluginEnv();
    const r = spawnSync(process.execPath, [built], { env, input: `${hexOf('mov %r0, 7\nexit')}\n`, encoding: 'utf8' });
    t.equal(r.status, 0);
    t.equal(r.stdout, '0x7\n');
    const x = spawnSync(process.execPath, [built, '--backend', 'x86-64'], { env, input: `${hexOf('mov %r0, 7\nexit')}\n`, encoding: 'utf8' });
    t.equal(x.stdout, '0x7\n', 'x86-64 on the emulated CPU');
    const e = spawnSync(process.execPath, [built, '--backend', 'sparc'], { env, input: `${hexOf('exit')}\n`, encoding: 'utf8' });
    t.equal(e.status, 2, 'an unknown backend is a usage error');
  });
}
