/** @file Test helpers for the ELF stage: fixture paths and loading. */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../src/elf/index.js';
import type { BpfObject } from '../../src/elf/types.js';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Committed C fixtures and their objects. */
export const FIXTURES = join(ROOT, 'test/fixtures');
/** The shared data folder (`../shared` from the repository root), when present. */
export const SHARED = resolve(ROOT, '../shared');
/** Whether the shared data is available. */
export const haveShared = existsSync(join(SHARED, 'ebpf-samples'));

/** Bytes of a fixture object. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

/** Load a fixture object (`calls-el.o`). */
export function fixture(name: string): BpfObject {
  return loadObject(fixtureBytes(name), { file: name });
}

/** The 1-based line numbers of the fixture's C source lines containing `text`. */
export function sourceLinesContaining(cFile: string, text: string): number[] {
  const lines = readFileSync(join(FIXTURES, cFile), 'utf8').split('\n');
  const out: number[] = [];
  lines.forEach((l, i) => { if (l.includes(text)) out.push(i + 1); });
  return out;
}
