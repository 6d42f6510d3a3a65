/** @file What every command shares: reading inputs, printing results, and turning errors into exit codes. */

import { InvalidArgumentError } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { DiagnosticError, fail, formatDiagnostic, InternalError } from '../diag/index.js';

/** Exit codes: success, a user error (one-line message), a usage error (from the option parser). */
export const EXIT = { OK: 0, USER: 1, USAGE: 2, INTERNAL: 3 } as const;

/** Read a file the user named; a missing or unreadable file is a user error. */
export function readInput(path: string): Uint8Array {
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file'
      : (err as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a directory'
        : (err as Error).message;
    return fail('CLI_READ_FAILED', { path, reason });
  }
}

/** Write a file the user named. */
export function writeOutput(path: string, data: Uint8Array | string): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    fail('CLI_WRITE_FAILED', { path, reason: (err as Error).message });
  }
}

/**
 * Run a command's action: a `DiagnosticError` prints its one line and exits
 * 1; anything else is a bug in ebpf2wasm, printed with its stack, exit 3.
 */
export async function action(fn: () => void | Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof DiagnosticError) {
      process.stderr.write(`${formatDiagnostic(err.diagnostic)}\n`);
      process.exitCode = EXIT.USER;
      return;
    }
    const bug = err instanceof InternalError ? err : new InternalError(String((err as Error)?.message ?? err));
    process.stderr.write(`ebpf2wasm: ${bug.message}\n${(err as Error)?.stack ?? ''}\n` +
      'this is a bug in ebpf2wasm; please report it with the input that caused it\n');
    process.exitCode = EXIT.INTERNAL;
  }
}

/** Parse a whole decimal number option; anything else is a usage error (exit 2). */
export function intOption(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}
