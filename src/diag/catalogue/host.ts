/** @file Diagnostic templates for the host stage. */

/** host diagnostics. */
export const hostMessages = {
} as const;
