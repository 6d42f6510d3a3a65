/** @file Diagnostic templates for the command line. */

/** Command-line diagnostics. */
export const cliMessages = {
  CLI_READ_FAILED: 'cannot read {path}: {reason}',
  CLI_WRITE_FAILED: 'cannot write {path}: {reason}',
  CLI_NO_SECTION: 'no executable section "{section}" (sections with code: {available})',
  CLI_NO_PROGRAM: 'no program {what} (programs: {available})',
  CLI_AMBIGUOUS_PROGRAM: 'section "{section}" holds several programs ({available}): choose one with --program',
  CLI_NEED_PROGRAM: 'the object holds several programs ({available}): choose one with --program or --section',
  CLI_VERIFY_REJECTED: 'program "{program}" is rejected by the verifier at pc {pc}: {message} (see ebpf2wasm verify; --no-verify compiles it with every access checked)',
} as const;
