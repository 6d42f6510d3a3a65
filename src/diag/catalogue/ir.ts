/** @file Diagnostic templates for the ir stage: the IR text parser, the lifter and the pass pipeline. */

/** ir diagnostics. */
export const irMessages = {
  IR_PARSE: 'ir text line {line}: {detail}',
  IR_LIFT_JUMP_RANGE: 'jump target {target} is outside the program (0..{count})',
  IR_LIFT_CALL_RANGE: 'call target {target} is outside the program (0..{count})',
  IR_LIFT_FALL_OFF: 'execution can run past the last instruction',
  IR_LIFT_INVALID: 'cannot lift instruction {insn}',
  IR_LIFT_UNSUPPORTED: 'unsupported instruction {insn}: {detail}',
  IR_UNKNOWN_PASS: 'unknown pass "{name}" (known: {known})',
} as const;
