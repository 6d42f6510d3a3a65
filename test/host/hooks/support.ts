/** @file Test support for hooks: the `hooks.c` fixture made live on a backend, and its counters. */

import { readFileSync } from 'node:fs';
import { DiagnosticError } from '../../../src/diag/index.js';
import { loadObject } from '../../../src/elf/index.js';
import type { BpfObject } from '../../../src/elf/types.js';
import { backendByName } from '../../../src/host/backend.js';
import { Instance } from '../../../src/host/instance.js';
import { RingbufMap } from '../../../src/host/maps/ringbuf.js';
import { loadProgram, type HookProgram } from '../../../src/host/hooks/index.js';

/** The fixture every hook test uses. */
export const HOOKS_OBJECT = new URL('../../fixtures/hooks-el.o', import.meta.url).pathname;
/** The backends every hook test runs on and compares. */
export const HOOK_BACKENDS = ['interp', 'wasm'] as const;

/** The fixture, parsed. */
export function hooksObject(): BpfObject {
  return loadObject(new Uint8Array(readFileSync(HOOKS_OBJECT)), { file: 'hooks-el.o' });
}

/** A live instance of the fixture and a loader of its programs on one backend. */
export function liveHooks(backend: string): { instance: Instance; load: (name: string) => HookProgram } {
  const instance = new Instance(hooksObject(), { nCpus: 2 });
  const b = backendByName(backend);
  return { instance, load: (name) => loadProgram(instance, name, b) };
}

/** `counts[0..7]` of an instance. */
export function counts(instance: Instance): bigint[] {
  const map = instance.maps.get('counts')!;
  const out: bigint[] = [];
  const value = new Uint8Array(8);
  for (let k = 0; k < 8; k++) {
    map.lookupUser(Uint8Array.of(k, 0, 0, 0), value, 0);
    out.push(new DataView(value.buffer).getBigUint64(0, true));
  }
  return out;
}

/** `shared_totals[key]`, or undefined. */
export function sharedTotal(instance: Instance, key: number): bigint | undefined {
  const value = new Uint8Array(8);
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, key, true);
  return instance.maps.get('shared_totals')!.lookupUser(k, value, 0) === 0 ? new DataView(value.buffer).getBigUint64(0, true) : undefined;
}

/** The ring buffer's `struct call_event` records: [arg, ret, text]. */
export function callEvents(instance: Instance): [bigint, bigint, string][] {
  const out: [bigint, bigint, string][] = [];
  (instance.maps.get('events') as RingbufMap).consume((r) => {
    const v = new DataView(r.buffer, r.byteOffset);
    const text = r.subarray(16, 32);
    const end = text.indexOf(0);
    out.push([v.getBigUint64(0, true), v.getBigUint64(8, true), new TextDecoder().decode(text.subarray(0, end < 0 ? 16 : end))]);
  });
  return out;
}

/** Bytes as hex. */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The diagnostic code `f` throws, or `none`. */
export function codeOf(f: () => unknown): string {
  try { f(); } catch (err) { if (err instanceof DiagnosticError) return err.code; throw err; }
  return 'none';
}
