/** @file Diagnostic templates for decoding, validating and assembling instructions. */

/** Instruction-set diagnostics. */
export const isaMessages = {
  ISA_TRUNCATED: 'program is {bytes} bytes long, not a multiple of 8',
  ISA_UNKNOWN_OPCODE: 'unknown opcode 0x{opcode}',
  ISA_BAD_FIELD: '{insn}: {field} must be {expected}, found {found}',
  ISA_LDDW_SPLIT: 'lddw at the last slot has no second half',
  ISA_LDDW_SECOND: 'second half of lddw must have opcode, registers and offset zero',
  ISA_JUMP_RANGE: 'jump target {target} is outside the program (0..{count})',
  ISA_ASM_SYNTAX: 'line {line}: {detail}',
} as const;
