/** @file Diagnostics: re-exports. */
export * from './diagnostic.js';
export * from './errors.js';
export * from './messages.js';
