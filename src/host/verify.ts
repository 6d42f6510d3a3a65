/**
 * @file Verifying an object's programs: the object's maps as the verifier
 * sees them, the program type by name, source lines from BTF, and the facts
 * the compiler takes from an accepted program.
 */

import type { ProgramFacts } from '../abi/facts.js';
import { progTypeName } from '../abi/program-types.js';
import { sourceLine } from '../elf/load.js';
import type { BpfObject, ProgramSpec } from '../elf/types.js';
import { verifyProgram, type VerifyMap, type VerifyResult } from '../verify/index.js';

/** Maps of an object as the verifier sees them (inner-map templates appended after the object's maps). */
export function verifierMaps(object: BpfObject): VerifyMap[] {
  const out: VerifyMap[] = object.maps.map((m) => ({
    type: m.typeName, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
    readonly: m.readonly, name: m.name, ...(m.readonly && m.initial !== undefined ? { initial: m.initial } : {}),
  }));
  object.maps.forEach((m, k) => {
    // legacy definitions (samples/bpf's bpf_map_def) name the inner map by index in `inner_map_idx`
    if (m.innerMap === undefined && (m.typeName === 'array_of_maps' || m.typeName === 'hash_of_maps') && m.extra !== undefined && m.extra.length >= 4) {
      const legacy = object.maps.filter((x) => x.kind === 'legacy' && x.section === m.section);
      const inner = legacy[new DataView(m.extra.buffer, m.extra.byteOffset, 4).getUint32(0, true)];
      if (inner !== undefined) out[k] = { ...out[k]!, inner: object.maps.indexOf(inner) };
      return;
    }
    if (m.innerMap === undefined) return;
    const i = m.innerMap;
    out.push({ type: i.typeName, keySize: i.keySize, valueSize: i.valueSize, maxEntries: i.maxEntries, name: i.name });
    out[k] = { ...out[k]!, inner: out.length - 1 };
  });
  return out;
}

/** Verify one program of an object. */
export function verifyObjectProgram(object: BpfObject, prog: ProgramSpec, options: { logLevel?: 0 | 1 | 2; maps?: VerifyMap[] } = {}): VerifyResult {
  return verifyProgram(prog.insns, {
    progType: progTypeName(prog.type),
    maps: options.maps ?? verifierMaps(object),
    lineInfo: (pc) => sourceLine(prog, pc),
    logLevel: options.logLevel ?? 0,
  });
}

/** Facts of every accepted program, by name (what `compileObject` takes to drop proven checks). */
export function verifiedFacts(object: BpfObject, programs: readonly ProgramSpec[]): { facts: Map<string, ProgramFacts>; results: Map<string, VerifyResult> } {
  const maps = verifierMaps(object);
  const facts = new Map<string, ProgramFacts>();
  const results = new Map<string, VerifyResult>();
  for (const prog of programs) {
    const r = verifyObjectProgram(object, prog, { maps });
    results.set(prog.name, r);
    if (r.verdict === 'accepted') facts.set(prog.name, r.facts);
  }
  return { facts, results };
}
