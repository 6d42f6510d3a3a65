/** @file Diagnostic templates for the ir stage. */

/** ir diagnostics. */
export const irMessages = {
} as const;
