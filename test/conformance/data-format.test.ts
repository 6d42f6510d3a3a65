/** @file The `.data` parser follows the upstream rules (../shared/bpf-conformance/README.md, "The `.data` file format"). */
import t from 'tap';
import { caseProgram, parseConformanceData, parseResultNumber } from '../harness/conformance-data.js';
import { parseRunnerArgs } from '../../scripts/conformance-runner.js';

t.test('sections, comments and results', async (t) => {
  const c = parseConformanceData([
    'ignored before any header',
    '-- asm',
    'mov %r0, 1 # trailing comment',
    '',
    '# a comment line',
    'exit\r',
    '-- result',
    '0x10',
    '0xFFFFFFF6',
    '-- mem',
    '00 01',
    '02   03',
  ].join('\n'), 'x.data');
  t.same(c.asm.map((l) => l.trim()), ['mov %r0, 1', 'exit']);
  t.equal(c.result, 0xfffffff6n, 'the last result line counts; hex digits in either case');
  t.same([...c.mem], [0, 1, 2, 3], 'memory lines are joined');
  t.ok(c.hasMem);
  t.equal(c.skip, undefined);
  t.same([...caseProgram(c)], [0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
});

t.test('numbers: hex if it contains 0x, else decimal', async (t) => {
  t.equal(parseResultNumber('42'), 42n);
  t.equal(parseResultNumber('0x2a'), 42n);
  t.equal(parseResultNumber('-1'), 0xffffffffffffffffn);
  t.equal(parseResultNumber('18446744073709551615'), 0xffffffffffffffffn);
  t.equal(parseResultNumber('nope'), undefined);
});

t.test('raw replaces asm; c and no-register-offset sections are ignored', async (t) => {
  const c = parseConformanceData('-- c\nint main() { return 0; }\n-- asm\nmov %r0, 5\nexit\n-- raw\n0x00000007000000b7\n149\n-- no register offset\ncall instruction\n-- result\n7\n');
  t.same(c.raw, [0x00000007000000b7n, 149n]);
  t.same([...caseProgram(c)], [0xb7, 0, 0, 0, 7, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  t.equal(c.hasMem, false);
});

t.test('skips: an unknown directive, or neither result nor error', async (t) => {
  t.match(parseConformanceData('-- asm\nexit\n-- bogus\n-- result\n0\n').skip, /unknown directive/);
  t.match(parseConformanceData('-- asm\nexit\n').skip, /no -- result or -- error/);
  const e = parseConformanceData('-- asm\nexit\n-- error\nfirst\nFailed to load code: at PC 5\n');
  t.equal(e.skip, undefined);
  t.equal(e.error, 'Failed to load code: at PC 5');
  t.equal(e.result, undefined);
});

t.test('runner options', async (t) => {
  const o = parseRunnerArgs(['--test_file_directory', 'd', '--plugin_path', 'p', '--plugin_options', '--backend interp',
    '--cpu_version', 'v2', '--include_groups', 'callx packet', '--exclude_regex', '(imm|intmin)-', '--elf', 'true']);
  t.equal(o.cpuVersion, 2);
  t.same(o.includeGroups, ['callx', 'packet']);
  t.equal(o.pluginOptions, '--backend interp');
  t.ok(o.excludeRegex?.test('lsh32-imm-high.data'));
  t.equal(o.elf, true);
  t.equal(parseRunnerArgs(['--test_file_path', 'f', '--plugin_path', 'p']).cpuVersion, 3, 'v3 by default');
  t.throws(() => parseRunnerArgs(['--plugin_path', 'p', '--include_groups', 'nope']), /unknown group/);
  t.throws(() => parseRunnerArgs(['--test_file_directory', 'd']), /--plugin_path is required/);
});
