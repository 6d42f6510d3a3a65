/**
 * @file BTF types as records, and the queries every user of BTF needs:
 * resolving typedefs and qualifiers, sizes, members, lookups by name.
 *
 * Kinds and their layout are the kernel's (`include/uapi/linux/btf.h`,
 * Documentation/bpf/btf.rst). Type id 0 is `void`. Every query bounds its
 * walk by the number of types, so a cyclic chain (which the kernel rejects)
 * becomes a `BTF_CYCLE` diagnostic, not a hang.
 */

import { fail } from '../../diag/index.js';

/** BTF kind numbers (`BTF_KIND_*`). */
export const BtfKind = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8,
  VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15,
  FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

/** `BTF_INT_*` encoding bits. */
export const BtfIntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** A struct or union member. `bitOffset` counts from the start of the aggregate. */
export interface BtfMember {
  readonly name: string;
  readonly type: number;
  readonly bitOffset: number;
  /** Bitfield width, 0 for an ordinary member. */
  readonly bitSize: number;
}

/** One enumerator. */
export interface BtfEnumValue {
  readonly name: string;
  readonly value: bigint;
}

/** A function parameter (`name` is empty in prototypes without names). */
export interface BtfParam {
  readonly name: string;
  readonly type: number;
}

/** A variable inside a `DATASEC`. */
export interface BtfVarSecinfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

/** A decoded BTF type. */
export type BtfType =
  | { readonly kind: 'void'; readonly name: '' }
  | { readonly kind: 'int'; readonly name: string; readonly size: number; readonly encoding: number; readonly bitOffset: number; readonly bits: number }
  | { readonly kind: 'ptr'; readonly name: ''; readonly type: number }
  | { readonly kind: 'array'; readonly name: ''; readonly type: number; readonly indexType: number; readonly nelems: number }
  | { readonly kind: 'struct' | 'union'; readonly name: string; readonly size: number; readonly members: readonly BtfMember[] }
  | { readonly kind: 'enum' | 'enum64'; readonly name: string; readonly size: number; readonly signed: boolean; readonly values: readonly BtfEnumValue[] }
  | { readonly kind: 'fwd'; readonly name: string; readonly union: boolean }
  | { readonly kind: 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag'; readonly name: string; readonly type: number }
  | { readonly kind: 'func'; readonly name: string; readonly type: number; readonly linkage: number }
  | { readonly kind: 'func_proto'; readonly name: ''; readonly returnType: number; readonly params: readonly BtfParam[] }
  | { readonly kind: 'var'; readonly name: string; readonly type: number; readonly linkage: number }
  | { readonly kind: 'datasec'; readonly name: string; readonly size: number; readonly vars: readonly BtfVarSecinfo[] }
  | { readonly kind: 'float'; readonly name: string; readonly size: number }
  | { readonly kind: 'decl_tag'; readonly name: string; readonly type: number; readonly componentIdx: number };

/** Kinds that only rename or qualify another type. */
const TRANSPARENT = new Set(['typedef', 'volatile', 'const', 'restrict', 'type_tag']);

/** Parsed BTF: the type table (index = type id) and the string section. */
export class Btf {
  /** `types[id]`; `types[0]` is void. */
  readonly types: readonly BtfType[];
  /** The raw string section. */
  readonly strings: Uint8Array;
  private readonly byName = new Map<string, number[]>();

  constructor(types: readonly BtfType[], strings: Uint8Array) {
    this.types = types;
    this.strings = strings;
    types.forEach((t, id) => {
      if (t.name === '') return;
      const list = this.byName.get(t.name);
      if (list === undefined) this.byName.set(t.name, [id]); else list.push(id);
    });
  }

  /** The type with this id; fails with BTF_BAD_TYPE_ID for an id that does not exist. */
  type(id: number, from = id): BtfType {
    const t = this.types[id];
    if (t === undefined) fail('BTF_BAD_TYPE_ID', { id: from, ref: id });
    return t;
  }

  /** Ids of the types with this name, optionally of one kind. */
  find(name: string, kind?: BtfType['kind']): number[] {
    const ids = this.byName.get(name) ?? [];
    return kind === undefined ? [...ids] : ids.filter((id) => this.types[id]!.kind === kind);
  }

  /** Follow typedefs and qualifiers to the underlying type id. */
  resolve(id: number): number {
    let cur = id;
    for (let steps = 0; steps <= this.types.length; steps++) {
      const t = this.type(cur, id);
      if (!TRANSPARENT.has(t.kind)) return cur;
      cur = (t as { type: number }).type;
    }
    fail('BTF_CYCLE', { id, what: 'typedefs and qualifiers' });
  }

  /** The resolved type record (typedefs and qualifiers skipped). */
  resolved(id: number): BtfType {
    return this.type(this.resolve(id));
  }

  /** Size in bytes of a type, as C's `sizeof` (pointers are 8 bytes). */
  sizeof(id: number): number {
    let cur = id;
    let scale = 1;
    for (let steps = 0; steps <= this.types.length; steps++) {
      const t = this.type(this.resolve(cur), id);
      switch (t.kind) {
        case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'float': case 'datasec':
          return scale * t.size;
        case 'ptr': return scale * 8;
        case 'array':
          scale *= t.nelems;
          if (!Number.isSafeInteger(scale)) fail('BTF_BAD_TYPE', { id, detail: 'array size overflows' });
          cur = t.type;
          continue;
        case 'var': cur = t.type; continue;
        default:
          fail('BTF_BAD_TYPE', { id, detail: `${t.kind} has no size` });
      }
    }
    fail('BTF_CYCLE', { id, what: 'array elements' });
  }

  /** A member of a struct or union by name (after resolving `id`), or undefined. */
  member(id: number, name: string): BtfMember | undefined {
    const t = this.resolved(id);
    if (t.kind !== 'struct' && t.kind !== 'union') return undefined;
    return t.members.find((m) => m.name === name);
  }

  /** The byte offset of a member, or undefined when absent or a bitfield not on a byte boundary. */
  memberOffset(id: number, name: string): number | undefined {
    const m = this.member(id, name);
    if (m === undefined || m.bitOffset % 8 !== 0) return undefined;
    return m.bitOffset / 8;
  }

  /** C-like declaration of a type, optionally naming a declarator: `struct foo *p`, `int[4]`. */
  format(id: number, declarator = ''): string {
    return declare(this, id, declarator, 0);
  }

  /** C-like definition: a struct, union or enum with its body, otherwise `format`. */
  define(id: number): string {
    const t = this.type(id);
    if (t.kind === 'struct' || t.kind === 'union') {
      const body = t.members.map((m) => `\t${this.format(m.type, m.name)}${m.bitSize > 0 ? `: ${m.bitSize}` : ''};`);
      return `${t.kind} ${t.name}${t.name !== '' ? ' ' : ''}{\n${body.join('\n')}${body.length > 0 ? '\n' : ''}}`;
    }
    if (t.kind === 'enum' || t.kind === 'enum64') {
      const body = t.values.map((v) => `\t${v.name} = ${v.value},`);
      return `enum ${t.name}${t.name !== '' ? ' ' : ''}{\n${body.join('\n')}${body.length > 0 ? '\n' : ''}}`;
    }
    if (t.kind === 'typedef') return `typedef ${this.format(t.type, t.name)}`;
    return this.format(id);
  }
}

const MAX_DEPTH = 64;

function withSpace(inner: string): string {
  return inner === '' || inner.startsWith('[') || inner.startsWith('(') ? inner : ` ${inner}`;
}

/** Build a C declarator inside-out (K&R §5.12). */
function declare(btf: Btf, id: number, inner: string, depth: number): string {
  if (depth > MAX_DEPTH || depth > btf.types.length) fail('BTF_CYCLE', { id, what: 'a type printed' });
  const t = btf.type(id);
  switch (t.kind) {
    case 'void': return `void${withSpace(inner)}`;
    case 'int': case 'float': case 'typedef': return `${t.name}${withSpace(inner)}`;
    case 'struct': case 'union': return `${t.kind} ${t.name === '' ? '{...}' : t.name}${withSpace(inner)}`;
    case 'enum': case 'enum64': return `enum ${t.name === '' ? '{...}' : t.name}${withSpace(inner)}`;
    case 'fwd': return `${t.union ? 'union' : 'struct'} ${t.name}${withSpace(inner)}`;
    case 'ptr': return declare(btf, t.type, `*${inner}`, depth + 1);
    case 'const': case 'volatile': case 'restrict': {
      const target = btf.type(t.type, id);
      if (target.kind === 'ptr') return declare(btf, t.type, `${t.kind} ${inner}`.trimEnd(), depth + 1);
      return `${t.kind} ${declare(btf, t.type, inner, depth + 1)}`;
    }
    case 'type_tag': return declare(btf, t.type, `__attribute__((btf_type_tag("${t.name}"))) ${inner}`.trimEnd(), depth + 1);
    case 'array': {
      const wrapped = inner.startsWith('*') ? `(${inner})` : inner;
      return declare(btf, t.type, `${wrapped}[${t.nelems}]`, depth + 1);
    }
    case 'func_proto': {
      const params = t.params.length === 0 ? 'void'
        : t.params.map((p) => (p.type === 0 ? '...' : declare(btf, p.type, p.name, depth + 1))).join(', ');
      const wrapped = inner.startsWith('*') ? `(${inner})` : inner;
      return declare(btf, t.returnType, `${wrapped}(${params})`, depth + 1);
    }
    case 'func': return declare(btf, t.type, t.name, depth + 1);
    case 'var': return declare(btf, t.type, t.name, depth + 1);
    case 'datasec': return `SEC("${t.name}")`;
    case 'decl_tag': return `__attribute__((btf_decl_tag("${t.name}")))`;
  }
}
