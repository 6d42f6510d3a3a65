/** @file Diagnostic templates for the command line. */

/** Command-line diagnostics. */
export const cliMessages = {
  CLI_READ_FAILED: 'cannot read {path}: {reason}',
} as const;
