/**
 * @file Decode the `.BTF` section: header, type section, string section
 * (`include/uapi/linux/btf.h`, Documentation/bpf/btf.rst).
 *
 * ```
 *  struct btf_header { u16 magic = 0xeB9F; u8 version; u8 flags; u32 hdr_len;
 *                      u32 type_off; u32 type_len; u32 str_off; u32 str_len; }
 *  struct btf_type   { u32 name_off;
 *                      u32 info;   // bits 0-15 vlen, 24-28 kind, 31 kind_flag
 *                      u32 size_or_type; }  + kind-specific trailing data
 * ```
 *
 * The byte order is the object's; the magic tells it. Every referenced type
 * id and string offset is checked once here, so later queries only have to
 * guard against cycles.
 */

import { fail, DiagnosticError, type Location } from '../../diag/index.js';
import { Reader, utf8 } from '../reader.js';
import { Btf, BtfKind, type BtfType, type BtfMember } from './types.js';

/** BTF magic as read in the right byte order. */
export const BTF_MAGIC = 0xeb9f;

/** Read a `.BTF` section. */
export function parseBtf(data: Uint8Array, little: boolean, where: Location = {}): Btf {
  const loc: Location = { ...where, section: '.BTF' };
  try {
    return parse(data, little, loc);
  } catch (e) {
    if (e instanceof DiagnosticError) throw e.within(loc);
    throw e;
  }
}

function parse(data: Uint8Array, little: boolean, loc: Location): Btf {
  if (data.length < 24) fail('BTF_BAD_HEADER', { detail: `section is ${data.length} bytes, header needs 24` }, { ...loc, offset: 0 });
  const r = new Reader(data, little, loc);
  const magic = r.u16(0, 'BTF header');
  if (magic !== BTF_MAGIC) fail('BTF_BAD_HEADER', { detail: `magic 0x${magic.toString(16)}, expected 0xeb9f` }, { ...loc, offset: 0 });
  const version = r.u8(2, 'BTF header');
  if (version !== 1) fail('BTF_BAD_HEADER', { detail: `version ${version}, expected 1` }, { ...loc, offset: 2 });
  const hdrLen = r.u32(4, 'BTF header');
  if (hdrLen < 24 || hdrLen > data.length) fail('BTF_BAD_HEADER', { detail: `header length ${hdrLen}` }, { ...loc, offset: 4 });
  const typeOff = r.u32(8, 'BTF header');
  const typeLen = r.u32(12, 'BTF header');
  const strOff = r.u32(16, 'BTF header');
  const strLen = r.u32(20, 'BTF header');
  if (hdrLen + typeOff + typeLen > data.length) fail('BTF_BAD_HEADER', { detail: 'type section runs past the end' }, { ...loc, offset: 8 });
  if (hdrLen + strOff + strLen > data.length) fail('BTF_BAD_HEADER', { detail: 'string section runs past the end' }, { ...loc, offset: 16 });
  const strings = data.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  if (strings.length > 0 && strings[0] !== 0) fail('BTF_BAD_HEADER', { detail: 'string section does not start with an empty string' }, { ...loc, offset: hdrLen + strOff });
  const str = (off: number, at: number): string => {
    if (off === 0) return '';
    if (off >= strings.length) fail('BTF_BAD_STRING', { offset: off.toString(16) }, { ...loc, offset: at });
    const end = strings.indexOf(0, off);
    if (end < 0) fail('BTF_BAD_STRING', { offset: off.toString(16) }, { ...loc, offset: at });
    return utf8(strings.subarray(off, end));
  };

  const t = r.sub(hdrLen + typeOff, typeLen, 'BTF type section');
  const types: BtfType[] = [{ kind: 'void', name: '' }];
  const refs: { id: number; ref: number }[] = [];
  let at = 0;
  while (at < typeLen) {
    const id = types.length;
    const base = hdrLen + typeOff + at;
    if (at + 12 > typeLen) fail('BTF_TRUNCATED', { what: `type ${id}`, offset: base.toString(16) }, { ...loc, offset: base });
    const nameOff = t.u32(at, 'BTF type');
    const info = t.u32(at + 4, 'BTF type');
    const sizeOrType = t.u32(at + 8, 'BTF type');
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    const kflag = (info >>> 31) === 1;
    const name = str(nameOff, base);
    at += 12;
    const need = (bytes: number): void => {
      if (at + bytes > typeLen) fail('BTF_TRUNCATED', { what: `type ${id}`, offset: (hdrLen + typeOff + at).toString(16) }, { ...loc, offset: base });
    };
    const ref = (target: number): number => { refs.push({ id, ref: target }); return target; };
    switch (kind) {
      case BtfKind.INT: {
        need(4);
        const enc = t.u32(at, 'BTF int');
        at += 4;
        types.push({ kind: 'int', name, size: sizeOrType, encoding: (enc >>> 24) & 0xf, bitOffset: (enc >>> 16) & 0xff, bits: enc & 0xff });
        break;
      }
      case BtfKind.PTR: types.push({ kind: 'ptr', name: '', type: ref(sizeOrType) }); break;
      case BtfKind.ARRAY: {
        need(12);
        types.push({ kind: 'array', name: '', type: ref(t.u32(at, 'BTF array')), indexType: ref(t.u32(at + 4, 'BTF array')), nelems: t.u32(at + 8, 'BTF array') });
        at += 12;
        break;
      }
      case BtfKind.STRUCT: case BtfKind.UNION: {
        need(12 * vlen);
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++, at += 12) {
          const off = t.u32(at + 8, 'BTF member');
          members.push({
            name: str(t.u32(at, 'BTF member'), base),
            type: ref(t.u32(at + 4, 'BTF member')),
            bitOffset: kflag ? off & 0xffffff : off,
            bitSize: kflag ? off >>> 24 : 0,
          });
        }
        types.push({ kind: kind === BtfKind.STRUCT ? 'struct' : 'union', name, size: sizeOrType, members });
        break;
      }
      case BtfKind.ENUM: {
        need(8 * vlen);
        const values = [];
        for (let i = 0; i < vlen; i++, at += 8) {
          const raw = t.i32(at + 4, 'BTF enum');
          values.push({ name: str(t.u32(at, 'BTF enum'), base), value: BigInt(kflag ? raw : raw >>> 0) });
        }
        types.push({ kind: 'enum', name, size: sizeOrType, signed: kflag, values });
        break;
      }
      case BtfKind.ENUM64: {
        need(12 * vlen);
        const values = [];
        for (let i = 0; i < vlen; i++, at += 12) {
          const lo = BigInt(t.u32(at + 4, 'BTF enum64'));
          const hi = BigInt(t.u32(at + 8, 'BTF enum64'));
          const v = (hi << 32n) | lo;
          values.push({ name: str(t.u32(at, 'BTF enum64'), base), value: kflag ? BigInt.asIntN(64, v) : v });
        }
        types.push({ kind: 'enum64', name, size: sizeOrType, signed: kflag, values });
        break;
      }
      case BtfKind.FWD: types.push({ kind: 'fwd', name, union: kflag }); break;
      case BtfKind.TYPEDEF: types.push({ kind: 'typedef', name, type: ref(sizeOrType) }); break;
      case BtfKind.VOLATILE: types.push({ kind: 'volatile', name, type: ref(sizeOrType) }); break;
      case BtfKind.CONST: types.push({ kind: 'const', name, type: ref(sizeOrType) }); break;
      case BtfKind.RESTRICT: types.push({ kind: 'restrict', name, type: ref(sizeOrType) }); break;
      case BtfKind.TYPE_TAG: types.push({ kind: 'type_tag', name, type: ref(sizeOrType) }); break;
      case BtfKind.FUNC: types.push({ kind: 'func', name, type: ref(sizeOrType), linkage: vlen }); break;
      case BtfKind.FUNC_PROTO: {
        need(8 * vlen);
        const params = [];
        for (let i = 0; i < vlen; i++, at += 8) {
          params.push({ name: str(t.u32(at, 'BTF param'), base), type: ref(t.u32(at + 4, 'BTF param')) });
        }
        types.push({ kind: 'func_proto', name: '', returnType: ref(sizeOrType), params });
        break;
      }
      case BtfKind.VAR: {
        need(4);
        types.push({ kind: 'var', name, type: ref(sizeOrType), linkage: t.u32(at, 'BTF var') });
        at += 4;
        break;
      }
      case BtfKind.DATASEC: {
        need(12 * vlen);
        const vars = [];
        for (let i = 0; i < vlen; i++, at += 12) {
          vars.push({ type: ref(t.u32(at, 'BTF datasec')), offset: t.u32(at + 4, 'BTF datasec'), size: t.u32(at + 8, 'BTF datasec') });
        }
        types.push({ kind: 'datasec', name, size: sizeOrType, vars });
        break;
      }
      case BtfKind.FLOAT: types.push({ kind: 'float', name, size: sizeOrType }); break;
      case BtfKind.DECL_TAG: {
        need(4);
        types.push({ kind: 'decl_tag', name, type: ref(sizeOrType), componentIdx: t.i32(at, 'BTF decl tag') });
        at += 4;
        break;
      }
      default:
        fail('BTF_BAD_KIND', { id, kind }, { ...loc, offset: base });
    }
  }
  for (const { id, ref } of refs) {
    if (ref >= types.length) fail('BTF_BAD_TYPE_ID', { id, ref }, loc);
  }
  return new Btf(types, strings);
}
