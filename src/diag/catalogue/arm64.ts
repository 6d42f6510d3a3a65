/** @file Diagnostic templates for the arm64 stage (machine code and its emulator). */

/** arm64 diagnostics. */
export const arm64Messages = {
  ARM64_UNDEFINED: 'undefined or unsupported instruction 0x{word} at code offset 0x{pc}',
  ARM64_BAD_TARGET: 'branch to 0x{target}, outside the code and the host-call range, at code offset 0x{pc}',
  ARM64_BREAKPOINT: 'brk #0x{imm} at code offset 0x{pc}',
  ARM64_STEP_LIMIT: 'stopped after {steps} instructions: the step limit was reached',
  ARM64_UNALIGNED: 'unaligned {access} of {size} bytes at 0x{address} at code offset 0x{pc}',
  ARM64_READ_ONLY: 'store of {size} bytes at 0x{address} into read-only region "{region}" at code offset 0x{pc}',
  ARM64_NO_HOST_FUNCTION: 'call to host function {index}, which is not bound, at code offset 0x{pc}',
} as const;
