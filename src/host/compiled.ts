/**
 * @file A `.wasm` written by `ebpf2wasm compile`, loaded alone: its ABI
 * sections (`docs/abi.md`) describe the maps, global data and programs, so
 * the host recreates an object (maps, no instructions) that an `Instance`
 * makes live, and a backend that runs each program's export over that
 * instance's memory, maps and helpers.
 *
 * It takes either the bytes or an already compiled `WebAssembly.Module`. Edge
 * platforms refuse to compile WebAssembly from bytes at run time and hand the
 * worker a module compiled ahead of time; the ABI sections are then read with
 * `WebAssembly.Module.customSections`, so nothing is compiled here.
 *
 * ```
 *   .wasm / WebAssembly.Module ──readAbiSections──► AbiInfo ──► BpfObject (maps only)
 *                                                                 │ new Instance
 *   compiledBackend.load(prog, instance) ──new WebAssembly.Instance(module, abiImports)──► run
 * ```
 */

import { mapTypeName } from '../abi/map-types.js';
import { fail } from '../diag/diagnostic.js';
import type { BpfObject, MapSpec as ObjectMapSpec, ProgramSpec } from '../elf/types.js';
import { AbiSection, readAbiSections, type AbiInfo, type AbiMap } from '../emit-wasm/abi-sections.js';
import { writeUleb } from '../util/leb128.js';
import { Wasm, type WasmModule } from '../util/wasm-api.js';
import { withTailCalls, type Backend } from './backend.js';
import type { Instance } from './instance.js';
import { moduleExecutable } from './module-executable.js';

/** A compiled module made ready to instantiate. */
export interface CompiledProgramSet {
  /** The compiled module (compiled here from bytes, or as given). */
  readonly module: WasmModule;
  /** What its ABI sections say. */
  readonly abi: AbiInfo;
  /**
   * An object with the module's maps (global data with its initial bytes) and
   * its programs by name, type and section; programs carry no instructions, so
   * only `backend` can run them.
   */
  readonly object: BpfObject;
  /** Runs the programs' exports; pass it to `testRun` with an `Instance` of `object`. */
  readonly backend: Backend;
}

/** The WebAssembly binary header: `\0asm` version 1. */
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * A module holding only the ABI custom sections of a compiled module, rebuilt
 * from `WebAssembly.Module.customSections`, so the one section reader serves
 * both bytes and modules.
 */
function sectionsOnly(module: WasmModule): Uint8Array {
  const out: number[] = [...HEADER];
  for (const name of Object.values(AbiSection)) {
    for (const payload of Wasm.Module.customSections(module, name)) {
      const body: number[] = [];
      const utf8 = new TextEncoder().encode(name);
      writeUleb(body, utf8.length);
      for (const b of utf8) body.push(b);
      for (const b of new Uint8Array(payload)) body.push(b);
      out.push(0);
      writeUleb(out, body.length);
      for (const b of body) out.push(b);
    }
  }
  return Uint8Array.from(out);
}

/** The object-side map record of an ABI map definition. */
function objectMap(m: AbiMap, initial: Uint8Array | undefined): ObjectMapSpec {
  return {
    name: m.name, type: m.type, typeName: mapTypeName(m.type), keySize: m.keySize, valueSize: m.valueSize,
    maxEntries: m.maxEntries, flags: m.flags, pinning: m.pinning, readonly: m.readonly, kind: m.kind, section: m.section,
    ...(m.mapExtra !== undefined && m.mapExtra !== 0n ? { mapExtra: m.mapExtra } : {}),
    ...(m.innerMap !== undefined ? { innerMap: objectMap(m.innerMap, undefined) } : {}),
    ...(m.initialSlots !== undefined && m.initialSlots.length > 0 ? { initialSlots: m.initialSlots } : {}),
    ...(initial !== undefined ? { initial } : m.kind === 'data' ? { initial: new Uint8Array(m.valueSize) } : {}),
  };
}

/** The object an `Instance` needs to recreate the module's maps; programs are named but empty. */
function objectOf(abi: AbiInfo, file: string | undefined): BpfObject {
  const maps = abi.maps.map((m, k) => objectMap(m, abi.data.find((d) => d.map === k)?.bytes));
  const programs: ProgramSpec[] = abi.programs.map((p) => ({
    name: p.name, section: p.section, type: p.type,
    ...(p.expectedAttachType !== undefined ? { expectedAttachType: p.expectedAttachType } : {}),
    ...(p.attachTo !== undefined ? { attachTo: p.attachTo } : {}),
    insns: [], origins: [], funcInfo: [], lineInfo: [], coreReloCount: 0, global: true,
  }));
  return { ...(file !== undefined ? { file } : {}), license: abi.license, endian: 'little', programs, maps, diagnostics: [] };
}

/**
 * A backend that runs a compiled module's exports: each `load` instantiates
 * the module over the instance's linear memory, with the instance's map
 * handles, global-data addresses and helpers as imports.
 */
export function compiledBackend(module: WasmModule, abi: AbiInfo, name = 'compiled'): Backend {
  return {
    name,
    load(prog, instance: Instance) {
      const where = { section: prog.section, program: prog.name };
      const entry = abi.programs.find((p) => p.name === prog.name);
      if (entry === undefined) {
        fail('CLI_NO_PROGRAM', { what: `named "${prog.name}"`, available: abi.programs.map((p) => p.name).join(', ') || 'none' }, where);
      }
      return moduleExecutable(prog, instance, (imports) => new Wasm.Instance(module, imports).exports as Record<string, unknown>, entry.export);
    },
  };
}

/**
 * Load a compiled module alone: from its bytes (compiled here, which edge
 * platforms forbid) or from a `WebAssembly.Module` compiled ahead of time. A
 * module without valid ABI sections fails with a `WASM_ABI_*` or
 * `WASM_NOT_MODULE` diagnostic.
 */
export function loadCompiled(source: Uint8Array | WasmModule, options: { file?: string } = {}): CompiledProgramSet {
  const isBytes = source instanceof Uint8Array;
  const abi = readAbiSections(isBytes ? source : sectionsOnly(source));
  const module = isBytes ? new Wasm.Module(source) : source;
  return { module, abi, object: objectOf(abi, options.file), backend: withTailCalls(compiledBackend(module, abi)) };
}
