/** @file Diagnostic templates for faults while running a program. */

/** Run-time diagnostics (interpreter and every backend). */
export const runMessages = {
  RUN_MEMORY_FAULT: '{access} of {size} bytes at 0x{address} is outside every memory region',
} as const;
