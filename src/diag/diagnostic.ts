/** @file The user-facing diagnostic record, its location, and its one-line rendering. */

import { messages, type MessageCode } from './messages.js';

/** How serious a diagnostic is. */
export type Severity = 'error' | 'warning' | 'note';

/** A source line recovered from BTF line info. */
export interface SourceLine {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The text of the line, as stored in the BTF string table. */
  readonly text: string;
}

/** Where a diagnostic points: every field is optional, the most specific ones matter most. */
export interface Location {
  /** Input file name, as the user gave it. */
  readonly file?: string;
  /** ELF section name. */
  readonly section?: string;
  /** Program (function symbol) name. */
  readonly program?: string;
  /** Instruction index (in 8-byte slots) within the program or section. */
  readonly pc?: number;
  /** Byte offset in the file, for structural ELF problems. */
  readonly offset?: number;
  /** Source line from BTF, when known. */
  readonly source?: SourceLine;
}

/** A user-facing problem: a stable code, a one-line message, and a location. */
export interface Diagnostic {
  readonly code: MessageCode;
  readonly severity: Severity;
  readonly message: string;
  readonly location: Location;
}

/** Fill a message template: `{name}` is replaced by `args.name`. */
function fill(template: string, args: Record<string, string | number | bigint>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in args ? String(args[name]) : whole);
}

/** Build a diagnostic from the catalogue. */
export function diagnostic(
  code: MessageCode,
  args: Record<string, string | number | bigint> = {},
  location: Location = {},
  severity: Severity = 'error',
): Diagnostic {
  return { code, severity, message: fill(messages[code], args), location };
}

/**
 * Render a diagnostic on one line, context chained like a path:
 * `error[ELF_BAD_OFFSET]: prog.o: section "xdp": pc 12: ...`.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where: string[] = [];
  const l = d.location;
  if (l.file !== undefined) where.push(l.file);
  if (l.section !== undefined) where.push(`section "${l.section}"`);
  if (l.program !== undefined) where.push(`program "${l.program}"`);
  if (l.pc !== undefined) where.push(`pc ${l.pc}`);
  else if (l.offset !== undefined) where.push(`offset 0x${l.offset.toString(16)}`);
  if (l.source !== undefined) where.push(`${l.source.file}:${l.source.line}`);
  const prefix = where.length > 0 ? `${where.join(': ')}: ` : '';
  return `${d.severity}[${d.code}]: ${prefix}${d.message}`;
}

/**
 * The exception that carries a diagnostic out of a stage that cannot go on
 * (a malformed file, a run that faulted). Entry points catch it and print
 * `formatDiagnostic(err.diagnostic)`; it never means a bug in this project.
 */
export class DiagnosticError extends Error {
  readonly diagnostic: Diagnostic;
  constructor(d: Diagnostic) {
    super(formatDiagnostic(d));
    this.name = 'DiagnosticError';
    this.diagnostic = d;
  }
  /** The stable code of the diagnostic. */
  get code(): MessageCode { return this.diagnostic.code; }
  /** A copy of this error with more location filled in (fields already set win). */
  within(location: Location): DiagnosticError {
    return new DiagnosticError({
      ...this.diagnostic,
      location: { ...location, ...this.diagnostic.location },
    });
  }
}

/** Throw a diagnostic from the catalogue. */
export function fail(
  code: MessageCode,
  args: Record<string, string | number | bigint> = {},
  location: Location = {},
): never {
  throw new DiagnosticError(diagnostic(code, args, location));
}
