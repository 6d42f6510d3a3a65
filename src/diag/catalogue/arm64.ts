/** @file Diagnostic templates for the arm64 stage. */

/** arm64 diagnostics. */
export const arm64Messages = {
} as const;
