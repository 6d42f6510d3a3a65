/**
 * @file The compiled-module ABI's custom sections: writing them and reading
 * them back (`docs/abi.md` defines every byte).
 *
 * Every section is a WebAssembly custom section (id 0) whose name starts with
 * `ebpf2wasm.`. Payloads use the WebAssembly binary conventions: `u32`/`u64`
 * are unsigned LEB128, `str` is a LEB128 byte length then UTF-8, `bytes` is a
 * LEB128 length then raw bytes, `vec(x)` is a LEB128 count then the items,
 * `u8` is one byte.
 */

import { fail } from '../diag/diagnostic.js';
import { readUleb, writeUleb } from '../util/leb128.js';
import { writeName } from './module.js';

/** The ABI version this build writes and reads. */
export const ABI_VERSION = 3;

/** Custom section names. */
export const AbiSection = {
  abi: 'ebpf2wasm.abi',
  license: 'ebpf2wasm.license',
  programs: 'ebpf2wasm.programs',
  maps: 'ebpf2wasm.maps',
  data: 'ebpf2wasm.data',
} as const;

/** A map definition, as the host needs it to recreate the map. */
export interface AbiMap {
  readonly name: string;
  /** Kernel map type (`enum bpf_map_type`). */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** `LIBBPF_PIN_*`. */
  readonly pinning: number;
  /** Where the definition came from: BTF `.maps`, legacy `maps`, or global data. */
  readonly kind: 'btf' | 'legacy' | 'data';
  /** Whether programs may not write its values (`.rodata`). */
  readonly readonly: boolean;
  /** ELF section of the definition. */
  readonly section: string;
  /** `map_extra` (bloom filter hashes, ...); absent means 0 (the reader always fills it). */
  readonly mapExtra?: bigint;
  /** The inner map's definition, for maps of maps. */
  readonly innerMap?: AbiMap;
  /** Statically initialised slots (program arrays, maps of maps); absent means none (the reader always fills it). */
  readonly initialSlots?: readonly { readonly index: number; readonly symbol: string }[];
  /**
   * Initial bytes of the first value (global data), written to the data
   * section by `compilePrograms` when no explicit `data` is given; the reader
   * never sets it (see `AbiInfo.data`). The ELF loader's map records fit this
   * type as they are.
   */
  readonly initial?: Uint8Array;
}

/** A program in the module. */
export interface AbiProgram {
  /** Program (function symbol) name. */
  readonly name: string;
  /** Name of the exported Wasm function that runs it. */
  readonly export: string;
  /** ELF section name (`xdp`, `tc`, `kprobe/...`). */
  readonly section: string;
  /** Kernel program type (`enum bpf_prog_type`). */
  readonly type: number;
  /** Kernel expected attach type, when the section implies one. */
  readonly expectedAttachType?: number;
  /** Attach target from the section name (`kprobe/do_unlinkat` → `do_unlinkat`), when any. */
  readonly attachTo?: string;
  /** Helper ids it calls. */
  readonly helpers: readonly number[];
  /** Indices (into the maps section) of the maps it refers to. */
  readonly maps: readonly number[];
}

/** Initial bytes of a map's first value (global data, initialised arrays). */
export interface AbiData {
  /** Index into the maps section. */
  readonly map: number;
  readonly bytes: Uint8Array;
}

/** Everything the ABI sections carry. */
export interface AbiInfo {
  readonly version: number;
  /** Who wrote the module (`ebpf2wasm <version>`). */
  readonly producer: string;
  readonly license: string;
  readonly programs: readonly AbiProgram[];
  readonly maps: readonly AbiMap[];
  readonly data: readonly AbiData[];
}

/** The custom sections (name, payload) that describe a module, in writing order. */
export function writeAbiSections(info: Omit<AbiInfo, 'version'>): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  const section = (name: string, write: (b: number[]) => void): void => {
    const b: number[] = [];
    write(b);
    out.push({ name, bytes: Uint8Array.from(b) });
  };
  const vec = <T>(b: number[], items: readonly T[], each: (x: T) => void): void => {
    writeUleb(b, items.length);
    for (const x of items) each(x);
  };
  section(AbiSection.abi, (b) => { writeUleb(b, ABI_VERSION); writeName(b, info.producer); });
  section(AbiSection.license, (b) => writeName(b, info.license));
  section(AbiSection.programs, (b) => vec(b, info.programs, (p) => {
    writeName(b, p.name);
    writeName(b, p.export);
    writeName(b, p.section);
    writeUleb(b, p.type);
    if (p.expectedAttachType === undefined) b.push(0); else { b.push(1); writeUleb(b, p.expectedAttachType); }
    writeName(b, p.attachTo ?? '');
    vec(b, p.helpers, (h) => writeUleb(b, h));
    vec(b, p.maps, (m) => writeUleb(b, m));
  }));
  const writeMap = (b: number[], m: AbiMap): void => {
    writeName(b, m.name);
    writeUleb(b, m.type);
    writeUleb(b, m.keySize);
    writeUleb(b, m.valueSize);
    writeUleb(b, m.maxEntries);
    writeUleb(b, m.flags);
    writeUleb(b, m.pinning);
    b.push(m.kind === 'btf' ? 0 : m.kind === 'legacy' ? 1 : 2);
    b.push(m.readonly ? 1 : 0);
    writeName(b, m.section);
    writeUleb(b, BigInt.asUintN(64, m.mapExtra ?? 0n));
    if (m.innerMap === undefined) b.push(0); else { b.push(1); writeMap(b, m.innerMap); }
    vec(b, m.initialSlots ?? [], (s) => { writeUleb(b, s.index); writeName(b, s.symbol); });
  };
  section(AbiSection.maps, (b) => vec(b, info.maps, (m) => writeMap(b, m)));
  section(AbiSection.data, (b) => vec(b, info.data, (d) => {
    writeUleb(b, d.map);
    writeUleb(b, d.bytes.length);
    for (const x of d.bytes) b.push(x);
  }));
  return out;
}

/** Reads one section's payload; malformed input fails with `WASM_ABI_SECTION`. */
class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array, readonly section: string) {}
  bad(detail: string): never { return fail('WASM_ABI_SECTION', { section: this.section, detail }); }
  u64(): bigint {
    const r = readUleb(this.bytes, this.at, 64);
    if (r === undefined) this.bad(`bad LEB128 at byte ${this.at}`);
    this.at = r.next;
    return r.value;
  }
  u32(): number {
    const v = this.u64();
    if (v > 0xffffffffn) this.bad(`value ${v} does not fit 32 bits at byte ${this.at}`);
    return Number(v);
  }
  u8(): number {
    if (this.at >= this.bytes.length) this.bad('unexpected end');
    return this.bytes[this.at++]!;
  }
  raw(): Uint8Array {
    const n = this.u32();
    if (this.at + n > this.bytes.length) this.bad(`length ${n} runs past the end`);
    const out = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  str(): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.raw());
    } catch {
      return this.bad('a name is not UTF-8');
    }
  }
  vec<T>(each: () => T): T[] {
    const n = this.u32();
    if (n > this.bytes.length - this.at) this.bad(`count ${n} is larger than the section`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each());
    return out;
  }
  end(): void {
    if (this.at !== this.bytes.length) this.bad(`${this.bytes.length - this.at} trailing bytes`);
  }
}

/** Every custom section of a binary module, by name (in order of appearance). */
export function customSections(bytes: Uint8Array): Map<string, Uint8Array[]> {
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (bytes.length < 8 || magic.some((b, i) => bytes[i] !== b)) {
    fail('WASM_NOT_MODULE', { detail: 'missing the "\\0asm" version 1 header' });
  }
  const out = new Map<string, Uint8Array[]>();
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const size = readUleb(bytes, at + 1, 32);
    if (size === undefined || size.next + Number(size.value) > bytes.length) {
      fail('WASM_NOT_MODULE', { detail: `section at byte ${at} runs past the end` });
    }
    const start = size.next;
    const end = start + Number(size.value);
    if (id === 0) {
      const r = new Reader(bytes.subarray(start, end), 'custom');
      const name = r.str();
      const list = out.get(name) ?? [];
      list.push(bytes.slice(start + r.at, end));
      out.set(name, list);
    }
    at = end;
  }
  return out;
}

/**
 * Read the ABI sections of a compiled module. A module without them, with an
 * unsupported version, or with malformed ones fails with a diagnostic.
 */
export function readAbiSections(bytes: Uint8Array): AbiInfo {
  const sections = customSections(bytes);
  const one = (name: string): Reader => {
    const list = sections.get(name);
    if (list === undefined) fail('WASM_ABI_MISSING', { section: name });
    if (list.length > 1) fail('WASM_ABI_SECTION', { section: name, detail: 'appears more than once' });
    return new Reader(list[0]!, name);
  };
  const abi = one(AbiSection.abi);
  const version = abi.u32();
  if (version !== ABI_VERSION) fail('WASM_ABI_VERSION', { found: version, supported: ABI_VERSION });
  const producer = abi.str();
  abi.end();
  const lic = one(AbiSection.license);
  const license = lic.str();
  lic.end();
  const pr = one(AbiSection.programs);
  const programs = pr.vec((): AbiProgram => {
    const name = pr.str();
    const exp = pr.str();
    const section = pr.str();
    const type = pr.u32();
    const has = pr.u8();
    if (has > 1) pr.bad(`flag byte ${has}`);
    const expectedAttachType = has === 1 ? pr.u32() : undefined;
    const attachTo = pr.str();
    const helpers = pr.vec(() => pr.u32());
    const maps = pr.vec(() => pr.u32());
    return {
      name, export: exp, section, type, helpers, maps,
      ...(expectedAttachType !== undefined ? { expectedAttachType } : {}),
      ...(attachTo !== '' ? { attachTo } : {}),
    };
  });
  pr.end();
  const mr = one(AbiSection.maps);
  const readMap = (depth: number): AbiMap => {
    const name = mr.str();
    const type = mr.u32();
    const keySize = mr.u32();
    const valueSize = mr.u32();
    const maxEntries = mr.u32();
    const flags = mr.u32();
    const pinning = mr.u32();
    const k = mr.u8();
    if (k > 2) mr.bad(`map kind ${k}`);
    const kind = k === 0 ? 'btf' : k === 1 ? 'legacy' : 'data';
    const ro = mr.u8();
    if (ro > 1) mr.bad(`readonly flag ${ro}`);
    const section = mr.str();
    const mapExtra = mr.u64();
    const hasInner = mr.u8();
    if (hasInner > 1) mr.bad(`inner-map flag ${hasInner}`);
    if (hasInner === 1 && depth > 0) mr.bad('an inner map has an inner map');
    const innerMap = hasInner === 1 ? readMap(depth + 1) : undefined;
    const initialSlots = mr.vec(() => ({ index: mr.u32(), symbol: mr.str() }));
    return {
      name, type, keySize, valueSize, maxEntries, flags, pinning, kind, readonly: ro === 1, section, mapExtra,
      initialSlots, ...(innerMap !== undefined ? { innerMap } : {}),
    };
  };
  const maps = mr.vec(() => readMap(0));
  mr.end();
  const dr = one(AbiSection.data);
  const data = dr.vec((): AbiData => ({ map: dr.u32(), bytes: dr.raw() }));
  dr.end();
  for (const d of data) if (d.map >= maps.length) dr.bad(`data for map ${d.map}, but there are ${maps.length} maps`);
  for (const p of programs) for (const m of p.maps) if (m >= maps.length) pr.bad(`program "${p.name}" uses map ${m}, but there are ${maps.length} maps`);
  return { version, producer, license, programs, maps, data };
}
