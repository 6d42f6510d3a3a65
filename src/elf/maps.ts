/**
 * @file Map definitions: BTF-defined maps in `.maps`, legacy `struct
 * bpf_map_def` maps in `maps`, and global-data sections as single-entry array
 * maps, in libbpf's order (`bpf_object__init_maps`: legacy, BTF, then data).
 *
 * A BTF map definition is a struct whose members encode values in types
 * (`tools/lib/bpf/bpf_helpers.h`):
 *
 * ```
 *  #define __uint(name, val)  int (*name)[val]      // PTR -> ARRAY, nelems = val
 *  #define __type(name, val)  typeof(val) *name     // PTR -> the type
 *  #define __array(name, val) typeof(val) *name[]   // ARRAY[0] of PTR -> inner def
 * ```
 */

import { fail, DiagnosticError, type Location } from '../diag/index.js';
import { MapFlag, MapType, mapTypeName } from '../abi/map-types.js';
import { Reader } from './reader.js';
import { SHF, SHT, STT, type ElfFile, type Section } from './sections.js';
import type { Btf } from './btf/types.js';
import type { MapSpec } from './types.js';

/** Largest zero-filled (`SHT_NOBITS`) data section accepted: its bytes are allocated, not read. */
const MAX_BSS = 1 << 26;

/** The maps of an object and how symbols find them. */
export interface MapTable {
  readonly maps: MapSpec[];
  /** Section index → (byte offset of a definition → map index), for `.maps` and legacy map sections. */
  readonly bySymbol: Map<number, Map<number, number>>;
  /** Section index of a global-data section → map index. */
  readonly byDataSection: Map<number, number>;
  /** `.maps` section index → map index → byte range and `values` member offset, for slot relocations. */
  readonly btfDefs: { section: number; offset: number; size: number; valuesOffset?: number; map: number }[];
}

/** Whether a section name is a legacy map section (`maps`, `maps/<name>`). */
export function isLegacyMapSection(name: string): boolean {
  return name === 'maps' || name.startsWith('maps/');
}

/** Whether a section holds global data that becomes an array map. */
export function isDataSection(sec: Section): boolean {
  if ((sec.flags & SHF.EXECINSTR) !== 0 || sec.size === 0) return false;
  if (sec.type !== SHT.PROGBITS && sec.type !== SHT.NOBITS) return false;
  return /^\.(data|rodata|bss)(\..*)?$/.test(sec.name);
}

/** Collect every map definition of the object. */
export function readMaps(elf: ElfFile, btf: Btf | undefined, where: Location): MapTable {
  const table: MapTable = { maps: [], bySymbol: new Map(), byDataSection: new Map(), btfDefs: [] };
  for (const sec of elf.sections) {
    if (isLegacyMapSection(sec.name) && sec.type !== SHT.NOBITS) readLegacy(elf, sec, table, where);
  }
  const dotMaps = elf.section('.maps');
  if (dotMaps !== undefined) readBtfMaps(elf, dotMaps, btf, table, where);
  for (const sec of elf.sections) {
    if (!isDataSection(sec)) continue;
    if (sec.type === SHT.NOBITS && sec.size > MAX_BSS) {
      fail('ELF_TOO_LARGE', { what: `section "${sec.name}"`, count: sec.size, limit: MAX_BSS }, { ...where, section: sec.name });
    }
    const ro = sec.name.startsWith('.rodata');
    table.byDataSection.set(sec.index, table.maps.length);
    table.maps.push({
      name: sec.name, type: MapType.ARRAY, typeName: mapTypeName(MapType.ARRAY),
      keySize: 4, valueSize: sec.size, maxEntries: 1,
      // libbpf bpf_object__init_internal_map(): mmapable, and read-only to programs for .rodata.
      flags: MapFlag.MMAPABLE | (ro ? MapFlag.RDONLY_PROG : 0),
      pinning: 0,
      initial: sec.type === SHT.NOBITS ? new Uint8Array(sec.size) : sec.data.slice(),
      readonly: ro, kind: 'data', section: sec.name,
      ...dataSecTypeId(btf, sec.name),
    });
  }
  return table;
}

function dataSecTypeId(btf: Btf | undefined, name: string): { btfValueTypeId?: number } {
  const id = btf?.find(name, 'datasec')[0];
  return id === undefined ? {} : { btfValueTypeId: id };
}

function readLegacy(elf: ElfFile, sec: Section, table: MapTable, where: Location): void {
  const loc: Location = { ...where, section: sec.name };
  const syms = elf.symbolsIn(sec.index)
    .filter((s) => s.type !== STT.SECTION && s.type !== STT.FILE)
    .sort((a, b) => a.value - b.value);
  if (syms.length === 0) return;
  // libbpf bpf_object__init_user_maps(): every definition has the same size.
  if (sec.size % syms.length !== 0) {
    fail('ELF_BAD_MAP', { name: sec.name, detail: `section size ${sec.size} is not a multiple of its ${syms.length} map symbols` }, loc);
  }
  const defSize = sec.size / syms.length;
  if (defSize < 4) fail('ELF_BAD_MAP', { name: sec.name, detail: `map definition size ${defSize} is too small` }, loc);
  const r = new Reader(sec.data, elf.little, loc);
  const offsets = new Map<number, number>();
  table.bySymbol.set(sec.index, offsets);
  for (const sym of syms) {
    if (sym.value % 4 !== 0 || sym.value + defSize > sec.size) {
      fail('ELF_BAD_MAP', { name: sym.name, detail: `definition at offset ${sym.value} is outside the section` }, loc);
    }
    const field = (i: number): number => (i * 4 + 4 <= defSize ? r.u32(sym.value + i * 4, 'map definition') : 0);
    const type = field(0);
    offsets.set(sym.value, table.maps.length);
    table.maps.push({
      name: sym.name, type, typeName: mapTypeName(type),
      keySize: field(1), valueSize: field(2), maxEntries: field(3), flags: field(4),
      // iproute2's struct bpf_elf_map: type, key, value, max, flags, id, pinning, ...
      pinning: defSize >= 28 ? field(6) : 0,
      readonly: false, kind: 'legacy', section: sec.name,
      ...(defSize > 20 ? { extra: sec.data.slice(sym.value + 20, sym.value + defSize) } : {}),
    });
  }
}

function readBtfMaps(elf: ElfFile, sec: Section, btf: Btf | undefined, table: MapTable, where: Location): void {
  const loc: Location = { ...where, section: sec.name };
  if (btf === undefined) fail('ELF_BAD_MAP', { name: '.maps', detail: 'BTF-defined maps need a .BTF section' }, loc);
  const dsId = btf.find('.maps', 'datasec')[0];
  if (dsId === undefined) fail('ELF_BAD_MAP', { name: '.maps', detail: 'no BTF DATASEC for .maps' }, loc);
  const ds = btf.type(dsId);
  if (ds.kind !== 'datasec') return;
  const offsets = new Map<number, number>();
  table.bySymbol.set(sec.index, offsets);
  for (const v of ds.vars) {
    const vt = btf.type(v.type);
    if (vt.kind !== 'var') fail('ELF_BAD_MAP', { name: '.maps', detail: `DATASEC entry ${v.type} is a ${vt.kind}, not a variable` }, loc);
    const name = vt.name;
    // clang leaves DATASEC offsets at zero; libbpf (btf_fixup_datasec) takes them from the symbols.
    const sym = elf.symbolsIn(sec.index).find((s) => s.name === name && s.type !== STT.SECTION);
    const offset = sym !== undefined ? sym.value : v.offset;
    const size = sym !== undefined && sym.size > 0 ? sym.size : v.size;
    try {
      const def = parseDef(btf, vt.type, name, 0);
      offsets.set(offset, table.maps.length);
      table.btfDefs.push({ section: sec.index, offset, size, map: table.maps.length, ...(def.valuesOffset !== undefined ? { valuesOffset: def.valuesOffset } : {}) });
      table.maps.push(def.spec);
    } catch (e) {
      if (e instanceof DiagnosticError) throw e.within(loc);
      throw e;
    }
  }
}

interface Parsed { spec: MapSpec; valuesOffset?: number }

function parseDef(btf: Btf, typeId: number, name: string, depth: number): Parsed {
  const st = btf.resolved(typeId);
  if (st.kind !== 'struct') fail('ELF_BAD_MAP', { name, detail: `definition is a ${st.kind}, not a struct` });
  let type = 0, keySize = 0, valueSize = 0, maxEntries = 0, flags = 0, pinning = 0;
  let numaNode: number | undefined;
  let mapExtra: bigint | undefined;
  let keyId: number | undefined, valueId: number | undefined;
  let inner: MapSpec | undefined;
  let valuesOffset: number | undefined;
  const uint = (memberType: number, what: string): number => {
    const p = btf.resolved(memberType);
    if (p.kind !== 'ptr') fail('ELF_BAD_MAP', { name, detail: `${what} is not a __uint() pointer` });
    const a = btf.resolved(p.type);
    if (a.kind !== 'array') fail('ELF_BAD_MAP', { name, detail: `${what} is not a __uint() array pointer` });
    return a.nelems;
  };
  const pointee = (memberType: number, what: string): number => {
    const p = btf.resolved(memberType);
    if (p.kind !== 'ptr') fail('ELF_BAD_MAP', { name, detail: `${what} is not a __type() pointer` });
    return p.type;
  };
  for (const m of st.members) {
    switch (m.name) {
      case 'type': type = uint(m.type, m.name); break;
      case 'max_entries': maxEntries = uint(m.type, m.name); break;
      case 'map_flags': flags = uint(m.type, m.name); break;
      case 'numa_node': numaNode = uint(m.type, m.name); break;
      case 'pinning': pinning = uint(m.type, m.name); break;
      case 'map_extra': mapExtra = BigInt(uint(m.type, m.name)); break;
      case 'key_size': keySize = uint(m.type, m.name); break;
      case 'value_size': valueSize = uint(m.type, m.name); break;
      case 'key': keyId = pointee(m.type, m.name); keySize = btf.sizeof(keyId); break;
      case 'value': valueId = pointee(m.type, m.name); valueSize = btf.sizeof(valueId); break;
      case 'values': {
        // __array(values, struct inner_def): ARRAY[0] of PTR to the inner definition (or a prog).
        const a = btf.resolved(m.type);
        if (a.kind !== 'array') fail('ELF_BAD_MAP', { name, detail: 'values is not an array' });
        if (m.bitOffset % 8 === 0) valuesOffset = m.bitOffset / 8;
        const target = btf.resolve(pointee(a.type, 'values element'));
        const t = btf.type(target);
        if (t.kind === 'struct') {
          if (depth > 0) fail('ELF_BAD_MAP', { name, detail: 'inner map definitions nest more than one level' });
          inner = parseDef(btf, target, `${name}.inner`, depth + 1).spec;
        }
        valueSize = 4; // map-in-map and program-array values are u32 fds
        break;
      }
      default: break; // libbpf in non-strict mode ignores unknown members
    }
  }
  return {
    spec: {
      name, type, typeName: mapTypeName(type), keySize, valueSize, maxEntries, flags,
      ...(inner !== undefined ? { innerMap: inner } : {}),
      pinning,
      ...(numaNode !== undefined ? { numaNode } : {}),
      ...(mapExtra !== undefined ? { mapExtra } : {}),
      readonly: false, kind: 'btf', section: '.maps',
      ...(keyId !== undefined ? { btfKeyTypeId: keyId } : {}),
      ...(valueId !== undefined ? { btfValueTypeId: valueId } : {}),
    },
    ...(valuesOffset !== undefined ? { valuesOffset } : {}),
  };
}
