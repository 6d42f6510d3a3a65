/** @file Diagnostic templates for faults while running a program. */

/** Run-time diagnostics (interpreter and every backend). */
export const runMessages = {
  RUN_MEMORY_FAULT: '{access} of {size} bytes at 0x{address} is outside every memory region',
  RUN_READONLY: 'store of {size} bytes at 0x{address} is in read-only region "{region}"',
  RUN_BUDGET: 'instruction budget of {budget} exhausted (the program may not terminate)',
  RUN_UNKNOWN_HELPER: 'call to unknown helper {id}',
  RUN_CALL_DEPTH: 'bpf-to-bpf call depth exceeds {max} frames',
  RUN_FELL_OFF: 'execution fell off the end of the program ({count} slots)',
  RUN_UNSUPPORTED: '{insn} is not supported here: {reason}',
  RUN_BAD_CALLBACK: 'callback address 0x{address} is not a function of the program',
  RUN_LDDW_UNRESOLVED: 'lddw with source {kind} (imm {imm}) has no value: no resolver knows it',
  RUN_STACK_TOO_SMALL: 'stack region "{region}" has {size} bytes, need {need}',
  RUN_CPU_VERSION: '{insn} needs cpu version v{need}, but the cpu version is v{cpu}',
  RUN_BACKEND_UNAVAILABLE: 'backend "{backend}" is not available{detail}',
  RUN_BAD_INPUT: '{what} is not hex bytes: {detail}',
  RUN_BAD_OPTION: '{detail}',
  RUN_NO_CODE: 'object has no function "main" and no code section',
} as const;
