/** @file Diagnostic templates for reading ELF objects and BTF. */

/** ELF and BTF diagnostics. */
export const elfMessages = {
  ELF_NOT_ELF: 'not an ELF file (bad magic)',
  ELF_TRUNCATED: 'file is truncated: {what} needs bytes up to 0x{end}, file has 0x{size}',
  ELF_BAD_CLASS: 'not a 64-bit ELF object (class {found})',
  ELF_BAD_ENDIAN: 'unknown ELF data encoding {found}',
  ELF_BAD_MACHINE: 'not a BPF object: e_machine is {found}, expected 247',
  ELF_BAD_TYPE: 'not a relocatable object: e_type is {found}, expected 1',
  ELF_BAD_HEADER: 'bad ELF header: {detail}',
  ELF_BAD_SECTION: 'bad section header {index}: {detail}',
  ELF_BAD_STRING: 'string offset 0x{offset} is outside string table "{table}"',
  ELF_BAD_SYMBOL: 'bad symbol {index}: {detail}',
  ELF_BAD_RELOC: 'bad relocation {index} in "{table}": {detail}',
  ELF_BAD_PROGRAM: 'bad program "{name}": {detail}',
  ELF_BAD_CALL: 'call at pc {pc} {detail}',
  ELF_BAD_MAP: 'bad map "{name}": {detail}',
  ELF_UNRESOLVED: 'instruction at pc {pc} refers to "{symbol}", which the object does not define',
  ELF_TOO_LARGE: '{what} is too large: {count} (limit {limit})',
  BTF_BAD_HEADER: 'bad BTF header: {detail}',
  BTF_TRUNCATED: 'BTF {what} is truncated at byte 0x{offset}',
  BTF_BAD_KIND: 'BTF type {id} has unknown kind {kind}',
  BTF_BAD_TYPE_ID: 'BTF type {id} refers to type {ref}, which does not exist',
  BTF_BAD_STRING: 'BTF string offset 0x{offset} is outside the string section',
  BTF_CYCLE: 'BTF type {id} refers to itself through {what}',
  BTF_BAD_TYPE: 'BTF type {id}: {detail}',
  BTF_EXT_BAD: 'bad .BTF.ext {what}: {detail}',
} as const;
