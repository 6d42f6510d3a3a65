/**
 * @file The WebAssembly text form of a module, and validation, through wabt
 * (loaded on first use, so modules that never print text do not load it).
 */

import { fail } from '../diag/diagnostic.js';

/** What `validateWasm` found: `undefined` when the module is valid. */
export type WasmValidation = string | undefined;

interface WabtModule {
  validate(): void;
  toText(options: { foldExprs?: boolean; inlineExport?: boolean }): string;
  destroy(): void;
}
interface Wabt {
  readWasm(bytes: Uint8Array, options: Record<string, boolean>): WabtModule;
}

/** The post-MVP features emitted modules may use. */
const FEATURES = {
  readDebugNames: true, sign_extension: true, mutable_globals: true, threads: true, bulk_memory: true,
};

let wabtPromise: Promise<Wabt> | undefined;

/** The wabt instance (loaded once). */
async function getWabt(): Promise<Wabt> {
  if (wabtPromise === undefined) {
    wabtPromise = import('wabt').then(async (m) => {
      const factory = (m as unknown as { default: () => Promise<Wabt> }).default;
      return factory();
    }, (e: unknown) => {
      wabtPromise = undefined;
      return fail('WASM_NO_WABT', { detail: e instanceof Error ? e.message.split('\n')[0]! : String(e) });
    });
  }
  return wabtPromise;
}

/** The text form of a binary module, with debug names (throws when the module does not read). */
export async function toWat(bytes: Uint8Array): Promise<string> {
  const w = await getWabt();
  const m = w.readWasm(bytes, FEATURES);
  try {
    return m.toText({ foldExprs: false, inlineExport: false });
  } finally {
    m.destroy();
  }
}

/** Validate a binary module with wabt: the error text, or `undefined` when valid. */
export async function validateWasm(bytes: Uint8Array): Promise<WasmValidation> {
  const w = await getWabt();
  let m: WabtModule | undefined;
  try {
    m = w.readWasm(bytes, FEATURES);
    m.validate();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    m?.destroy();
  }
}
