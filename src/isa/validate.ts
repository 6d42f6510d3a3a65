/**
 * @file Table-driven checks of decoded instructions: known opcodes, field
 * bounds from each row's `fields`, a complete final `lddw`, and jump and call
 * targets inside the program. These are the checks every loader makes before
 * anything runs (uBPF's `ubpf_instruction_valid`, the kernel's `bpf_check`
 * preamble); the safety verifier works on what passes them.
 */

import { diagnostic, type Diagnostic, type Location } from '../diag/index.js';
import { decode, INVALID, slots, type Insn } from './insn.js';
import { OPCODES, type FieldRule } from './opcodes.js';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

function fieldOk(rule: FieldRule, value: number): boolean {
  switch (rule) {
    case 'zero': return value === 0;
    case 'reg': return value >= 0 && value <= 10;
    case 'wreg': return value >= 0 && value <= 9;
    case 'any': case 'match': return true;
  }
}

const RULE_TEXT: Record<FieldRule, string> = {
  zero: '0', reg: 'a register r0..r10', wreg: 'a writable register r0..r9', any: 'any', match: 'any',
};

/** Check one instruction's fields against its row. */
export function validateInsn(insn: Insn, location: Location = {}): Diagnostic | undefined {
  const loc = { ...location, pc: insn.pc };
  if (insn.op === INVALID) {
    if (insn.code === 0x18 && insn.imm2 === undefined) return diagnostic('ISA_LDDW_SPLIT', {}, loc);
    return diagnostic('ISA_UNKNOWN_OPCODE', { opcode: hex2(insn.code) }, loc);
  }
  const row = OPCODES[insn.op]!;
  for (const field of ['dst', 'src', 'off', 'imm'] as const) {
    const rule = row.fields[field];
    const value = insn[field];
    if (!fieldOk(rule, value)) {
      return diagnostic('ISA_BAD_FIELD', {
        insn: row.mnemonic, field, expected: RULE_TEXT[rule], found: value,
      }, loc);
    }
  }
  return undefined;
}

/** Slot index a jump or local call lands on, or undefined for other instructions. */
export function branchTarget(insn: Insn): number | undefined {
  if (insn.op === INVALID) return undefined;
  const row = OPCODES[insn.op]!;
  if (row.kind === 'jcond') return insn.pc + 1 + insn.off;
  if (row.kind === 'ja') return insn.pc + 1 + (row.width === 32 ? insn.imm : insn.off);
  if (row.kind === 'call' && row.name === 'CALL_LOCAL') return insn.pc + 1 + insn.imm;
  return undefined;
}

/**
 * Validate a whole program: every instruction, and every branch target lands
 * on the first slot of an instruction inside the program. Returns every
 * problem found (empty when the program is well-formed).
 */
export function validate(insns: readonly Insn[], byteLength?: number, location: Location = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (byteLength !== undefined && byteLength % 8 !== 0) {
    out.push(diagnostic('ISA_TRUNCATED', { bytes: byteLength }, location));
  }
  const starts = new Set<number>();
  let count = 0;
  for (const insn of insns) { starts.add(insn.pc); count = insn.pc + slots(insn); }
  for (const insn of insns) {
    const bad = validateInsn(insn, location);
    if (bad !== undefined) { out.push(bad); continue; }
    const target = branchTarget(insn);
    if (target !== undefined && !starts.has(target)) {
      out.push(diagnostic('ISA_JUMP_RANGE', { target, count }, { ...location, pc: insn.pc }));
    }
  }
  return out;
}

/** Decode and validate program bytes in one step. */
export function decodeChecked(bytes: Uint8Array, location: Location = {}): { insns: Insn[]; diagnostics: Diagnostic[] } {
  const insns = decode(bytes);
  return { insns, diagnostics: validate(insns, bytes.length, location) };
}
