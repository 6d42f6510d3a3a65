/** @file Diagnostic templates for the host's assembly of the pipeline: backends, test runs, map files. */

/** Runtime diagnostics. */
export const runtimeMessages = {
  TEST_RUN_UNSUPPORTED: 'program type {type} cannot be test-run: {reason}',
  TEST_RUN_DATA_SIZE: 'packet of {size} bytes is {problem}',
  MAPS_FILE_SYNTAX: 'line {line}: {detail}',
  MAPS_FILE_UPDATE: 'line {line}: map "{map}": update failed with {errno}',
} as const;
