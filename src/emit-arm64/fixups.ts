/**
 * @file AArch64 instructions into the shared code buffer
 * (`src/codegen/buffer.ts`), with PC-relative branches to labels resolved by
 * the buffer's fixups.
 *
 * A fixup's `at` is the offset of the branch instruction itself (AArch64
 * branch offsets count from the branch, Arm ARM C4.1 Branches, Exception
 * Generating and System instructions). Patching decodes the placeholder
 * word, sets the record's offset and encodes it again, so the encoder stays
 * the only place that knows the field layouts.
 */

import type { CodeBuffer, FixupKind, Label } from '../codegen/buffer.js';
import { assert } from '../diag/errors.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import type { Inst, InstOf } from './insts.js';

/** A PC-relative branch record. */
export type BranchInst = InstOf<'branchImm' | 'branchCond' | 'compareBranch' | 'testBranch'>;

/** Whether a record is a PC-relative branch. */
export const isBranch = (i: Inst | undefined): i is BranchInst =>
  i !== undefined && (i.kind === 'branchImm' || i.kind === 'branchCond' || i.kind === 'compareBranch' || i.kind === 'testBranch');

function branchFixup(name: string, bits: number): FixupKind {
  const limit = 2 ** (bits - 1) * 4;
  return {
    name,
    patch(code: Uint8Array, at: number, target: number): boolean {
      const delta = target - at;
      if (delta % 4 !== 0 || delta < -limit || delta >= limit) return false;
      const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
      const inst = decode(view.getUint32(at, true));
      assert(isBranch(inst), `${name} fixup at ${at} is not on a branch`);
      view.setUint32(at, encode({ ...inst, offset: delta }), true);
      return true;
    },
  };
}

/** B, BL: 26-bit word offset (±128 MiB). */
export const BRANCH26 = branchFixup('arm64 imm26', 26);
/** B.cond, CBZ, CBNZ: 19-bit word offset (±1 MiB). */
export const BRANCH19 = branchFixup('arm64 imm19', 19);
/** TBZ, TBNZ: 14-bit word offset (±32 KiB). */
export const BRANCH14 = branchFixup('arm64 imm14', 14);

/** The fixup kind that patches a branch record's offset. */
export function fixupKind(inst: BranchInst): FixupKind {
  switch (inst.kind) {
    case 'branchImm': return BRANCH26;
    case 'branchCond': case 'compareBranch': return BRANCH19;
    case 'testBranch': return BRANCH14;
  }
}

/** Append one instruction. */
export function emitInst(buf: CodeBuffer, inst: Inst): void {
  buf.emit32(encode(inst));
}

/** Append a branch to `label` (the record's own offset is ignored). */
export function emitBranch(buf: CodeBuffer, inst: BranchInst, label: Label): void {
  const at = buf.offset;
  buf.emit32(encode({ ...inst, offset: 0 }));
  buf.fixup(fixupKind(inst), at, label);
}
