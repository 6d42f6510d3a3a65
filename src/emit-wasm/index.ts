/** @file The WebAssembly backend: re-exports. */
export * from './abi-sections.js';
export * from './compile.js';
export * from './encode.js';
export * from './imports.js';
export * from './lower.js';
export * from './module.js';
export * from './structure.js';
export * from './target.js';
export * from './wat.js';
