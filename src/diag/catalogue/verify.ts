/** @file Diagnostic templates for the verify stage. */

/** verify diagnostics. */
export const verifyMessages = {
} as const;
