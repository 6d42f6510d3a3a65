/** @file Diagnostic templates for the x86 stage. */

/** x86 diagnostics. */
export const x86Messages = {
} as const;
