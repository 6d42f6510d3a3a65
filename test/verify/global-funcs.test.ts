/**
 * @file Global functions (BTF `FUNC` with global linkage): the kernel checks
 * only the arguments at each call, takes r0 as an unknown number, and
 * verifies the function once on its own from its prototype: numbers are
 * unknown, the context is the context, and a pointer argument may be null.
 * Functions no call reaches are not verified.
 */

import t from 'tap';
import { verifyProgram, type GlobalFunc, type VerifyResult } from '../../src/verify/index.js';
import { assembleLabelled } from './harness/prevail-asm.js';

/** Assemble blocks (`<label>:` lines start one) and verify with `<f>` as a global function. */
function verify(code: string, f: Omit<GlobalFunc, 'name'>, progType = 'xdp'): VerifyResult {
  const asm = assembleLabelled(code);
  if (asm.unsupported !== undefined) throw new Error(`does not assemble: ${asm.unsupported}`);
  const at = asm.labels?.get('<f>');
  if (at === undefined) throw new Error('no <f> block');
  return verifyProgram(asm.insns, { progType, globalFuncs: new Map([[at, { name: 'f', ...f }]]) });
}

const first = (r: VerifyResult): string => (r.errors[0] === undefined ? 'accepted' : `${r.errors[0].code}: ${r.errors[0].kernelMessage}`);

/** main passes a pointer to 4 initialised stack bytes. */
const MAIN = `
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r1 = r10
  r1 += -4
  call <f>
  r0 = 0
  exit
`;

t.test('a pointer argument may be null inside the function', (t) => {
  const mem = { args: [{ kind: 'mem', size: 4 }] as const, returnsVoid: false };
  const deref = verify(`${MAIN}\n<f>:\nr0 = *(u32 *)(r1 + 0)\nexit`, mem);
  t.equal(first(deref), "VERIFY_NULL_DEREF: R1 invalid mem access 'mem_or_null'");
  const checked = verify(`${MAIN}\n<f>:\nr0 = 0\nif r1 == 0 goto <out>\nr0 = *(u32 *)(r1 + 0)\n<out>:\nexit`, mem);
  t.equal(first(checked), 'accepted');
  const over = verify(`${MAIN}\n<f>:\nr0 = 0\nif r1 == 0 goto <out>\nr0 = *(u32 *)(r1 + 2)\n<out>:\nexit`, mem);
  t.match(first(over), /^VERIFY_\w+:/, 'reading past the declared size is rejected');
  t.end();
});

t.test('the call checks arguments against the prototype', (t) => {
  const ctx = { args: [{ kind: 'ctx' }] as const, returnsVoid: false };
  const fBody = '\n<f>:\nr0 = 0\nexit';
  t.equal(first(verify(`${MAIN}${fBody}`, ctx)), "VERIFY_GLOBAL_ARG: Caller passes invalid args into func#1 ('f')", 'stack pointer where the context is declared');
  t.equal(first(verify(`call <f>\nr0 = 0\nexit${fBody}`, ctx)), 'accepted', 'the context itself');
  const num = { args: [{ kind: 'scalar' }] as const, returnsVoid: false };
  t.equal(first(verify(`${MAIN}${fBody}`, num)), "VERIFY_GLOBAL_ARG: Caller passes invalid args into func#1 ('f')", 'pointer where a number is declared');
  const big = { args: [{ kind: 'mem', size: 8 }] as const, returnsVoid: false };
  t.match(first(verify(`${MAIN}${fBody}`, big)), /^VERIFY_\w+:/, 'pointer to 4 bytes where 8 are declared');
  t.equal(first(verify(`r1 = 0\ncall <f>\nr0 = 0\nexit${fBody}`, big)), 'accepted', 'null where a pointer is declared');
  const bad = { args: [], returnsVoid: false, unsupported: 'argument 1 is struct s; only numbers and pointers are supported' };
  t.equal(first(verify(`call <f>\nr0 = 0\nexit${fBody}`, bad)), "VERIFY_GLOBAL_PROTO: Caller passes invalid args into func#1 ('f')");
  t.end();
});

t.test('after the call r0 is an unknown number and r1-r5 are gone', (t) => {
  const num = { args: [{ kind: 'scalar' }] as const, returnsVoid: false };
  // the function returns 0, but the caller may not rely on it
  const body = '\n<f>:\nr0 = 0\nexit';
  const r = verify(`r1 = 1\ncall <f>\nr2 = r10\nr2 += r0\nr0 = *(u8 *)(r2 - 1)\nr0 = 0\nexit${body}`, num);
  t.match(first(r), /^VERIFY_\w+:/, 'r0 used as a stack offset is unbounded');
  t.equal(first(verify(`r1 = 1\ncall <f>\nr0 = r1\nexit${body}`, num)), "VERIFY_UNINIT_REG: R1 !read_ok");
  t.end();
});

t.test('the function must return a number', (t) => {
  const num = { args: [{ kind: 'scalar' }] as const, returnsVoid: false };
  t.equal(first(verify(`r1 = 1\ncall <f>\nr0 = 0\nexit\n<f>:\nr0 = r10\nexit`, num)),
    'VERIFY_GLOBAL_RETURN: At subprogram exit the register R0 is not a scalar value (fp)');
  t.equal(first(verify(`r1 = 1\ncall <f>\nr0 = 0\nexit\n<f>:\nexit`, { ...num, returnsVoid: true })), 'accepted', 'void functions need no r0');
  t.end();
});

t.test('a global function no call reaches is not verified', (t) => {
  const num = { args: [{ kind: 'scalar' }] as const, returnsVoid: false };
  const r = verify(`r0 = 0\nif r0 == 0 goto <out>\nr1 = 1\ncall <f>\n<out>:\nexit\n<f>:\nr0 = *(u64 *)(r1 + 0)\nexit`, num);
  t.equal(first(r), 'accepted');
  t.end();
});
