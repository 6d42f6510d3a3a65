/** @file Diagnostic templates for reading ELF objects and BTF. */

/** ELF and BTF diagnostics. */
export const elfMessages = {
  ELF_NOT_ELF: 'not an ELF file (bad magic)',
  ELF_TRUNCATED: 'file is truncated: {what} needs bytes up to 0x{end}, file has 0x{size}',
} as const;
