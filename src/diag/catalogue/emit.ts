/** @file Diagnostic templates for the emit stage. */

/** emit diagnostics. */
export const emitMessages = {
} as const;
