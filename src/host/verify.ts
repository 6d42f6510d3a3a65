/**
 * @file Verifying an object's programs: the object's maps as the verifier
 * sees them, the program type by name, source lines from BTF, and the facts
 * the compiler takes from an accepted program.
 */

import type { ProgramFacts } from '../abi/facts.js';
import { progTypeName } from '../abi/program-types.js';
import { sourceLine } from '../elf/load.js';
import type { BpfObject, ProgramSpec } from '../elf/types.js';
import { verifyProgram, type GlobalArg, type GlobalFunc, type VerifyMap, type VerifyResult } from '../verify/index.js';
import { contextOf } from '../abi/contexts.js';
import type { Btf } from '../elf/btf/types.js';

const BTF_FUNC_GLOBAL = 1;
const MAX_ARGS = 5;

/**
 * The program's global functions, as the kernel sees them when BTF func_info
 * is loaded with it (libbpf does): a subprogram whose BTF `FUNC` has global
 * linkage, with its arguments from the prototype (`btf_prepare_func_args`).
 */
export function globalFunctions(object: BpfObject, prog: ProgramSpec): Map<number, GlobalFunc> {
  const out = new Map<number, GlobalFunc>();
  const btf = object.btf;
  if (btf === undefined) return out;
  const ctxName = contextOf(progTypeName(prog.type))?.name;
  for (const fi of prog.funcInfo) {
    if (fi.pc === 0 || fi.btfTypeId === undefined) continue;
    const fn = btf.type(fi.btfTypeId);
    if (fn.kind !== 'func' || fn.linkage !== BTF_FUNC_GLOBAL) continue;
    const proto = btf.resolved(fn.type);
    if (proto.kind !== 'func_proto') continue;
    out.set(fi.pc, prototype(btf, fn.name, proto.params.map((p) => p.type), proto.returnType, ctxName));
  }
  return out;
}

function prototype(btf: Btf, name: string, params: readonly number[], ret: number, ctxName: string | undefined): GlobalFunc {
  const args: GlobalArg[] = [];
  const r = ret === 0 ? undefined : btf.resolved(ret);
  const returnsVoid = r === undefined;
  const scalar = (t: ReturnType<Btf['resolved']>): boolean => t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64';
  const unsupported = (detail: string): GlobalFunc => ({ name, args, returnsVoid, unsupported: detail });
  if (params.length > MAX_ARGS) return unsupported(`it has ${params.length} arguments, more than ${MAX_ARGS}`);
  if (r !== undefined && !scalar(r)) return unsupported(`it returns ${btf.format(ret)}, not a number`);
  for (const [k, id] of params.entries()) {
    if (id === 0) return unsupported('it takes variable arguments');
    const t = btf.resolved(id);
    if (scalar(t)) { args.push({ kind: 'scalar' }); continue; }
    if (t.kind !== 'ptr') return unsupported(`argument ${k + 1} is ${btf.format(id)}; only numbers and pointers are supported`);
    const target = t.type === 0 ? undefined : btf.resolved(t.type);
    if (target !== undefined && (target.kind === 'struct' || target.kind === 'union') && target.name === ctxName) { args.push({ kind: 'ctx' }); continue; }
    let size: number | undefined;
    try { size = t.type === 0 ? undefined : btf.sizeof(t.type); } catch { size = undefined; }
    if (size === undefined || size === 0) return unsupported(`argument ${k + 1} (${btf.format(id)}) points to something whose size is unknown`);
    args.push({ kind: 'mem', size });
  }
  return { name, args, returnsVoid };
}

/** Maps of an object as the verifier sees them (inner-map templates appended after the object's maps). */
export function verifierMaps(object: BpfObject): VerifyMap[] {
  const out: VerifyMap[] = object.maps.map((m) => ({
    type: m.typeName, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
    readonly: m.readonly, name: m.name, ...(m.readonly && m.initial !== undefined ? { initial: m.initial } : {}),
  }));
  object.maps.forEach((m, k) => {
    // legacy definitions (samples/bpf's bpf_load_map_def) name the inner map in
    // `inner_map_idx`: an index over every legacy definition, `maps` and `maps/*` sections alike
    if (m.innerMap === undefined && (m.typeName === 'array_of_maps' || m.typeName === 'hash_of_maps') && m.extra !== undefined && m.extra.length >= 4) {
      const legacy = object.maps.filter((x) => x.kind === 'legacy');
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
export function verifyObjectProgram(
  object: BpfObject, prog: ProgramSpec,
  /** `withBtf: false`: as a loader that sends no BTF func_info sees it (every subprogram static). */
  options: { logLevel?: 0 | 1 | 2; maps?: VerifyMap[]; withBtf?: boolean } = {},
): VerifyResult {
  return verifyProgram(prog.insns, {
    progType: progTypeName(prog.type),
    maps: options.maps ?? verifierMaps(object),
    ...(options.withBtf !== false ? { globalFuncs: globalFunctions(object, prog) } : {}),
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
