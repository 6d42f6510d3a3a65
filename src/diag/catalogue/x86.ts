/** @file Diagnostic templates for the x86 stage (x86-64 backend and its emulator). */

/** x86 diagnostics. */
export const x86Messages = {
  X86_UNDECODABLE: 'x86-64 emulator: bytes {bytes} at rip 0x{rip} are not an instruction it runs',
  X86_TRAP: 'x86-64 emulator: {insn} trap at rip 0x{rip}',
  X86_DIVIDE_ERROR: 'x86-64 emulator: divide error ({detail}) at rip 0x{rip}',
  X86_BAD_TARGET: 'x86-64 emulator: control transfer to 0x{target} outside the code at rip 0x{rip}',
  X86_UNKNOWN_HOST_CALL: 'x86-64 emulator: call to host entry {id}, which has no handler, at rip 0x{rip}',
} as const;
