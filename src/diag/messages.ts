/**
 * @file The diagnostic catalogue: stable code → message template.
 *
 * Each stage keeps its part of the catalogue in `catalogue/<stage>.ts`; this
 * file joins them. Codes are stable: tests and users match on them, so a code
 * is never renamed or reused. Templates are lower-case with no final period,
 * and `{name}` placeholders are filled by `diagnostic()`.
 */

import { cliMessages } from './catalogue/cli.js';
import { elfMessages } from './catalogue/elf.js';
import { isaMessages } from './catalogue/isa.js';
import { runMessages } from './catalogue/run.js';
import { verifyMessages } from './catalogue/verify.js';
import { irMessages } from './catalogue/ir.js';
import { wasmMessages } from './catalogue/wasm.js';
import { x86Messages } from './catalogue/x86.js';
import { arm64Messages } from './catalogue/arm64.js';
import { hostMessages } from './catalogue/host.js';
import { runtimeMessages } from './catalogue/runtime.js';
import { hookMessages } from './catalogue/hooks.js';

/** Every message template, by code. */
export const messages = {
  ...isaMessages,
  ...elfMessages,
  ...runMessages,
  ...verifyMessages,
  ...irMessages,
  ...wasmMessages,
  ...x86Messages,
  ...arm64Messages,
  ...hostMessages,
  ...runtimeMessages,
  ...hookMessages,
  ...cliMessages,
} as const;

/** A stable diagnostic code. */
export type MessageCode = keyof typeof messages;
