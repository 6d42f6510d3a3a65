/** @file Choosing one program of an object by name or by section, with errors that list the choices. */

import { fail } from '../diag/index.js';
import type { BpfObject, ProgramSpec } from '../elf/types.js';

/** The program named `program`, or the one program in `section`, or the object's only program. */
export function selectProgram(object: BpfObject, sel: { program?: string; section?: string }): ProgramSpec {
  const list = (ps: readonly ProgramSpec[]): string => ps.map((p) => `${p.name} in "${p.section}"`).join(', ') || 'none';
  const where = { ...(object.file !== undefined ? { file: object.file } : {}) };
  if (sel.program !== undefined) {
    const matches = object.programs.filter((p) => p.name === sel.program && (sel.section === undefined || p.section === sel.section));
    if (matches.length === 0) fail('CLI_NO_PROGRAM', { what: `named "${sel.program}"`, available: list(object.programs) }, where);
    return matches[0]!;
  }
  if (sel.section !== undefined) {
    const matches = object.programs.filter((p) => p.section === sel.section);
    if (matches.length === 0) fail('CLI_NO_PROGRAM', { what: `in section "${sel.section}"`, available: list(object.programs) }, where);
    if (matches.length > 1) fail('CLI_AMBIGUOUS_PROGRAM', { section: sel.section, available: matches.map((p) => p.name).join(', ') }, where);
    return matches[0]!;
  }
  if (object.programs.length !== 1) fail('CLI_NEED_PROGRAM', { available: list(object.programs) }, where);
  return object.programs[0]!;
}
