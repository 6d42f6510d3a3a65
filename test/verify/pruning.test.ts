/**
 * @file State pruning stays sound where it is cheap: scalars that are not
 * compared at a prune point (imprecise) let paths merge, and scalars whose
 * value matters later (a pointer offset, a helper's size argument) keep
 * paths apart so that the unsafe one is still found.
 */

import t, { type Test } from 'tap';
import { verifyProgram, type VerifyResult } from '../../src/verify/index.js';
import { assembleLabelled } from './harness/prevail-asm.js';

/** Assemble text with `<label>:` lines starting blocks (the harness takes one block per label). */
function verify(code: string, progType = 'xdp'): VerifyResult {
  const asm = assembleLabelled(code);
  if (asm.unsupported !== undefined) throw new Error(`does not assemble: ${asm.unsupported}`);
  return verifyProgram(asm.insns, { progType });
}

/** Instructions that leave the state as it is, so that the join below gets a checkpoint. */
const PAD = Array.from({ length: 8 }, () => 'r8 = 0').join('\n');

/**
 * Two paths on an unknown `r0`: the fall-through side (explored first) runs
 * `fall`, the jump side `taken`; both continue with `join`, where the jump
 * side meets the fall-through side's checkpoint.
 */
function twoPaths(fall: string, taken: string, join: string): string {
  return `
    call 7
    if r0 > 10 goto <taken>
    ${fall}
    ${PAD}
    goto <join>
  <taken>:
    ${taken}
  <join>:
    ${join}
  `;
}

/** `r10 - off` into r2, then a byte stored through `via` (r2 itself or a copy of it). */
const storeBelowFp = (off: string, via = 'r2'): string => `r2 = r10\nr2 -= ${off}\n${via === 'r2' ? '' : `*(u64 *)(r10 - 16) = r2\n${via} = *(u64 *)(r10 - 16)\n`}r0 = 0\n*(u8 *)(${via} + 0) = r0\nexit`;

/** The program is rejected at `pc` for a stack access outside the frame (the unsafe path was walked). */
function rejectedOutOfFrame(t: Test, r: VerifyResult, pc: number): void {
  t.equal(r.verdict, 'rejected');
  t.same(r.errors.map((e) => `${e.pc}: ${e.code}`), [`${pc}: VERIFY_STACK_BOUNDS`]);
  t.end();
}

t.test('a scalar that becomes a stack offset on a later instruction keeps two paths apart', (t) => {
  // the paths differ only in r6, which only pointer arithmetic reads (the pointer is spilled
  // and filled before it is used)
  rejectedOutOfFrame(t, verify(twoPaths('r6 = 8', 'r6 = 600', storeBelowFp('r6', 'r3'))), 18);
});

t.test('a helper size argument keeps two paths apart', (t) => {
  const r = verify(twoPaths('r6 = 8', 'r6 = 64', `
    r1 = r10
    r1 += -8
    r2 = r6
    r3 = 0
    call 4
    r0 = 0
    exit
  `), 'kprobe');
  rejectedOutOfFrame(t, r, 17);
});

/** The program is accepted after walking far fewer than its 2^12 paths (they merged). */
function acceptedMerged(t: Test, r: VerifyResult): void {
  t.equal(r.verdict, 'accepted');
  t.ok(r.processedInsns < 400, `paths merge: ${r.processedInsns} instructions processed`);
  t.end();
}

t.test('scalars used only as plain helper arguments do not keep paths apart', (t) => {
  // 12 diamonds each add a bit to r7 (2^12 different values), which only reaches
  // bpf_redirect's flags argument: the paths merge at every prune point
  const diamond = (k: number): string => `
    call 7
    r6 = 1
    if r0 > 10 goto <t${k}>
    r6 = 0
  <t${k}>:
    r7 <<= 1
    r7 |= r6
  `;
  acceptedMerged(t, verify(`r7 = 0\n${Array.from({ length: 12 }, (_, k) => diamond(k)).join('')}\nr1 = 1\nr2 = r7\ncall 23\nr0 = 2\nexit`));
});

t.test('a number spilled to the stack that becomes a stack offset keeps two paths apart', (t) => {
  const spill = '*(u64 *)(r10 - 8) = r6';
  const fill = 'r6 = 0\nr3 = *(u64 *)(r10 - 8)';
  rejectedOutOfFrame(t, verify(twoPaths(`r6 = 8\n${spill}`, `r6 = 600\n${spill}`, `${fill}\n${storeBelowFp('r3')}`)), 20);
});

t.test('stack slots that are never read again do not keep paths apart', (t) => {
  // 12 diamonds: the fall-through side writes a slot (a different one each time) that nothing reads
  const diamond = (k: number): string => `
    call 7
    if r0 > 10 goto <t${k}>
    *(u64 *)(r10 - ${8 * (k + 1)}) = r0
  <t${k}>:
    r1 = 0
  `;
  acceptedMerged(t, verify(`${Array.from({ length: 12 }, (_, k) => diamond(k)).join('')}\nr0 = 2\nexit`));
});

/** 12 diamonds, each writing slot k on the fall-through side only as `fall(k)` and on the jump side as `taken(k)`; then every slot is read and passed to a helper as a plain argument. */
function slotDiamonds(fall: (off: number) => string, taken: (off: number) => string): string {
  const offs = Array.from({ length: 12 }, (_, k) => 8 * (k + 1));
  const diamonds = offs.map((off, k) => `call 7\nif r0 > 10 goto <t${k}>\n${fall(off)}\ngoto <j${k}>\n<t${k}>:\n${taken(off)}\n<j${k}>:\nr1 = 0`);
  const reads = offs.map((off) => `r1 = *(u32 *)(r10 - ${off})\nr2 = 0\ncall 23`);
  return `${diamonds.join('\n')}\n${reads.join('\n')}\nr0 = 2\nexit`;
}

t.test('a known zero and an unknown number in a slot whose value is not compared do not keep paths apart', (t) => {
  acceptedMerged(t, verify(slotDiamonds((off) => `*(u32 *)(r10 - ${off}) = 0`, (off) => `*(u32 *)(r10 - ${off}) = r0`)));
});

t.test('uninitialised stack reads as unknown numbers in privileged mode, so it does not keep paths apart', (t) => {
  acceptedMerged(t, verify(slotDiamonds((off) => `*(u32 *)(r10 - ${off}) = r0`, () => 'r1 = 0')));
});

t.test('a known zero that becomes a stack offset keeps two paths apart', (t) => {
  const r = verify(twoPaths('*(u32 *)(r10 - 8) = 0', '*(u32 *)(r10 - 8) = r0', `
    r3 = *(u32 *)(r10 - 8)
    r2 = r10
    r2 += -16
    r2 -= r3
    *(u8 *)(r2 + 0) = 0
    r0 = 0
    exit
  `));
  t.equal(r.verdict, 'rejected');
  t.match(r.errors[0]?.code, /^VERIFY_STACK_/);
  t.end();
});
