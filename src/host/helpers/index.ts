/** @file Host helpers: re-exports. */
export * from './access.js';
export * from './bprintf.js';
export * from './callback-helpers.js';
export * from './csum-helpers.js';
export * from './host.js';
export * from './lock-helpers.js';
export * from './map-helpers.js';
export * from './output-helpers.js';
export * from './prandom.js';
export * from './printk-helpers.js';
export * from './probe-helpers.js';
export * from './string-helpers.js';
export * from './table.js';
export * from './tail-call.js';
export * from './task-helpers.js';
