/**
 * @file A typed WebAssembly binary module builder.
 *
 * Produces the binary format of the WebAssembly Core Specification §5.5
 * ("Modules"): sections in their required order, each a byte id followed by
 * its LEB128 size and contents:
 *
 * ```
 *   magic "\0asm"  version 1
 *   1 type  2 import  3 function  4 table  5 memory  6 global  7 export
 *   8 start  9 element  12 data count (omitted)  10 code  11 data
 *   0 custom sections (the "name" section and the ABI sections) at the end
 * ```
 *
 * Index spaces follow the specification: imported functions come before
 * defined ones, so every import is added before the first `declareFunc`.
 * The builder is deterministic: the same calls give the same bytes.
 */

import { writeSleb, writeUleb } from '../util/leb128.js';
import { assert } from '../diag/errors.js';
import { W, type Code, type ValType } from './encode.js';

/** Export kinds (§5.5.10). */
export const ExternKind = { func: 0x00, table: 0x01, memory: 0x02, global: 0x03 } as const;
/** An export kind name. */
export type ExternKindName = keyof typeof ExternKind;

/** Memory limits in 64 KiB pages. */
export interface Limits {
  readonly min: number;
  readonly max?: number;
  /** A shared memory (threads proposal); requires `max`. */
  readonly shared?: boolean;
}

interface FuncImport { readonly module: string; readonly name: string; readonly type: number }
interface MemoryImport { readonly module: string; readonly name: string; readonly limits: Limits }
interface GlobalImport { readonly module: string; readonly name: string; readonly type: ValType; readonly mutable: boolean }
interface DefinedFunc {
  readonly type: number;
  locals?: readonly ValType[];
  body?: readonly number[];
  localNames?: ReadonlyMap<number, string>;
}
interface Global { readonly type: ValType; readonly mutable: boolean; readonly init: bigint }
interface Export { readonly name: string; readonly kind: ExternKindName; readonly index: number }
interface ElementSegment { readonly offset: number; readonly funcs: readonly number[] }
interface DataSegment { readonly offset: number; readonly bytes: Uint8Array }
interface Custom { readonly name: string; readonly bytes: Uint8Array }

/** Append a UTF-8 name with its length (§5.2.4). */
export function writeName(out: number[], name: string): void {
  const utf8 = new TextEncoder().encode(name);
  writeUleb(out, utf8.length);
  for (const b of utf8) out.push(b);
}

/** Append a section: id, size, contents. */
function writeSection(out: number[], id: number, contents: readonly number[]): void {
  out.push(id);
  writeUleb(out, contents.length);
  for (const b of contents) out.push(b);
}

/** Append a vector: count, then each element written by `each`. */
function writeVec<T>(out: number[], items: readonly T[], each: (out: number[], item: T) => void): void {
  writeUleb(out, items.length);
  for (const item of items) each(out, item);
}

function writeLimits(out: number[], l: Limits): void {
  // §5.3.7 limits, with the threads proposal's shared flag (bit 1).
  const flags = (l.max !== undefined ? 1 : 0) | (l.shared === true ? 2 : 0);
  out.push(flags);
  writeUleb(out, l.min);
  if (l.max !== undefined) writeUleb(out, l.max);
}

/** Builds one module; call `build()` once everything is added. */
export class ModuleBuilder {
  private readonly types: { params: readonly ValType[]; results: readonly ValType[] }[] = [];
  private readonly typeKeys = new Map<string, number>();
  private readonly funcImports: FuncImport[] = [];
  private memoryImport: MemoryImport | undefined;
  private memory: Limits | undefined;
  private readonly funcs: DefinedFunc[] = [];
  private readonly funcNames = new Map<number, string>();
  private readonly globalImports: GlobalImport[] = [];
  private readonly globals: Global[] = [];
  private readonly exports: Export[] = [];
  private start: number | undefined;
  private table: Limits | undefined;
  private readonly elements: ElementSegment[] = [];
  private readonly data: DataSegment[] = [];
  private readonly customs: Custom[] = [];
  /** Module name for the name section. */
  moduleName: string | undefined;

  /** The index of the function type `params -> results`, added once. */
  type(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(',')}:${results.join(',')}`;
    const known = this.typeKeys.get(key);
    if (known !== undefined) return known;
    const index = this.types.length;
    this.types.push({ params: [...params], results: [...results] });
    this.typeKeys.set(key, index);
    return index;
  }

  /** Import a function; returns its function index. Imports come before defined functions. */
  importFunc(module: string, name: string, type: number, debugName?: string): number {
    assert(this.funcs.length === 0, 'function imports must precede defined functions');
    const index = this.funcImports.length;
    this.funcImports.push({ module, name, type });
    this.funcNames.set(index, debugName ?? `${module}.${name}`);
    return index;
  }

  /** Import the (single) linear memory. */
  importMemory(module: string, name: string, limits: Limits): void {
    assert(this.memoryImport === undefined && this.memory === undefined, 'one memory only');
    this.memoryImport = { module, name, limits };
  }

  /** Import a global; returns its index. Global imports come before defined globals. */
  importGlobal(module: string, name: string, type: ValType, mutable = false): number {
    assert(this.globals.length === 0, 'global imports must precede defined globals');
    this.globalImports.push({ module, name, type, mutable });
    return this.globalImports.length - 1;
  }

  /** Define the (single) linear memory. */
  defineMemory(limits: Limits): void {
    assert(this.memoryImport === undefined && this.memory === undefined, 'one memory only');
    this.memory = limits;
  }

  /** Declare a function of signature `type`; returns its index. Define its body later. */
  declareFunc(type: number, name?: string): number {
    assert(type < this.types.length, `unknown type ${type}`);
    const index = this.funcImports.length + this.funcs.length;
    this.funcs.push({ type });
    if (name !== undefined) this.funcNames.set(index, name);
    return index;
  }

  /**
   * Give a declared function its body: extra locals (after the parameters)
   * and the code, which must end with every construct closed. The final
   * `end` is added here. Local names (by local index) go into the name section.
   */
  defineFunc(index: number, locals: readonly ValType[], code: Code, localNames?: ReadonlyMap<number, string>): void {
    const f = this.funcs[index - this.funcImports.length];
    assert(f !== undefined && f.body === undefined, `function ${index} not declared or already defined`);
    assert(code.depth === 0, `function ${index}: ${code.depth} constructs left open`);
    f.locals = [...locals];
    f.body = [...code.bytes, W.end];
    if (localNames !== undefined) f.localNames = localNames;
  }

  /** Number of functions (imported and declared) so far. */
  get funcCount(): number { return this.funcImports.length + this.funcs.length; }

  /** Parameter count of function `index`'s type. */
  paramCount(index: number): number {
    const type = index < this.funcImports.length
      ? this.funcImports[index]!.type : this.funcs[index - this.funcImports.length]!.type;
    return this.types[type]!.params.length;
  }

  /** Add a global with a constant initial value; returns its index. */
  addGlobal(type: ValType, mutable: boolean, init: bigint | number): number {
    this.globals.push({ type, mutable, init: BigInt(init) });
    return this.globalImports.length + this.globals.length - 1;
  }

  /** Export an item by name. */
  addExport(name: string, kind: ExternKindName, index: number): void {
    assert(!this.exports.some((e) => e.name === name), `duplicate export "${name}"`);
    this.exports.push({ name, kind, index });
  }

  /** Set the start function. */
  setStart(func: number): void { this.start = func; }

  /** Define the (single) funcref table. */
  defineTable(limits: Limits): void { this.table = limits; }

  /** An active element segment placing `funcs` in the table from `offset`. */
  addElements(offset: number, funcs: readonly number[]): void {
    this.elements.push({ offset, funcs: [...funcs] });
  }

  /** An active data segment writing `bytes` at `offset` of memory 0. */
  addData(offset: number, bytes: Uint8Array): void { this.data.push({ offset, bytes }); }

  /** A custom section, written after every standard section in the order added. */
  addCustom(name: string, bytes: Uint8Array): void { this.customs.push({ name, bytes }); }

  /** Encode the module. */
  build(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const s: number[] = [];
    const flush = (id: number): void => { writeSection(out, id, s); s.length = 0; };

    if (this.types.length > 0) {
      writeVec(s, this.types, (o, t) => {
        o.push(0x60);
        writeVec(o, t.params, (o2, v) => o2.push(v));
        writeVec(o, t.results, (o2, v) => o2.push(v));
      });
      flush(1);
    }
    const importCount = this.funcImports.length + (this.memoryImport !== undefined ? 1 : 0) + this.globalImports.length;
    if (importCount > 0) {
      writeUleb(s, importCount);
      for (const i of this.funcImports) {
        writeName(s, i.module); writeName(s, i.name); s.push(ExternKind.func); writeUleb(s, i.type);
      }
      if (this.memoryImport !== undefined) {
        writeName(s, this.memoryImport.module); writeName(s, this.memoryImport.name);
        s.push(ExternKind.memory); writeLimits(s, this.memoryImport.limits);
      }
      for (const g of this.globalImports) {
        writeName(s, g.module); writeName(s, g.name); s.push(ExternKind.global, g.type, g.mutable ? 1 : 0);
      }
      flush(2);
    }
    if (this.funcs.length > 0) {
      writeVec(s, this.funcs, (o, f) => writeUleb(o, f.type));
      flush(3);
    }
    if (this.table !== undefined) {
      s.push(0x01, 0x70); // one table of funcref
      writeLimits(s, this.table);
      flush(4);
    }
    if (this.memory !== undefined) {
      s.push(0x01);
      writeLimits(s, this.memory);
      flush(5);
    }
    if (this.globals.length > 0) {
      writeVec(s, this.globals, (o, g) => {
        o.push(g.type, g.mutable ? 1 : 0);
        o.push(g.type === 0x7e ? W.i64_const : W.i32_const);
        writeSleb(o, g.type === 0x7e ? BigInt.asIntN(64, g.init) : BigInt.asIntN(32, g.init));
        o.push(W.end);
      });
      flush(6);
    }
    if (this.exports.length > 0) {
      writeVec(s, this.exports, (o, e) => { writeName(o, e.name); o.push(ExternKind[e.kind]); writeUleb(o, e.index); });
      flush(7);
    }
    if (this.start !== undefined) { writeUleb(s, this.start); flush(8); }
    if (this.elements.length > 0) {
      writeVec(s, this.elements, (o, e) => {
        o.push(0x00, W.i32_const); writeSleb(o, e.offset); o.push(W.end);
        writeVec(o, e.funcs, (o2, f) => writeUleb(o2, f));
      });
      flush(9);
    }
    if (this.funcs.length > 0) {
      writeVec(s, this.funcs, (o, f) => {
        assert(f.body !== undefined && f.locals !== undefined, 'declared function without a body');
        const body: number[] = [];
        const runs: [number, ValType][] = [];
        for (const l of f.locals) {
          const last = runs[runs.length - 1];
          if (last !== undefined && last[1] === l) last[0]++;
          else runs.push([1, l]);
        }
        writeVec(body, runs, (o2, [n, t]) => { writeUleb(o2, n); o2.push(t); });
        for (const b of f.body) body.push(b);
        writeUleb(o, body.length);
        for (const b of body) o.push(b);
      });
      flush(10);
    }
    if (this.data.length > 0) {
      writeVec(s, this.data, (o, d) => {
        o.push(0x00, W.i32_const); writeSleb(o, d.offset | 0); o.push(W.end);
        writeUleb(o, d.bytes.length);
        for (const b of d.bytes) o.push(b);
      });
      flush(11);
    }
    this.writeNames(out);
    for (const c of this.customs) {
      writeName(s, c.name);
      for (const b of c.bytes) s.push(b);
      flush(0);
    }
    return Uint8Array.from(out);
  }

  /** The "name" custom section (§7.4): module, function and local names. */
  private writeNames(out: number[]): void {
    const contents: number[] = [];
    writeName(contents, 'name');
    const sub = (id: number, body: number[]): void => { writeSection(contents, id, body); };
    if (this.moduleName !== undefined) {
      const b: number[] = []; writeName(b, this.moduleName); sub(0, b);
    }
    const funcs = [...this.funcNames].sort((a, b) => a[0] - b[0]);
    if (funcs.length > 0) {
      const b: number[] = [];
      writeVec(b, funcs, (o, [i, n]) => { writeUleb(o, i); writeName(o, n); });
      sub(1, b);
    }
    const locals = this.funcs
      .map((f, i) => [i + this.funcImports.length, f.localNames] as const)
      .filter((e): e is readonly [number, ReadonlyMap<number, string>] => e[1] !== undefined && e[1].size > 0);
    if (locals.length > 0) {
      const b: number[] = [];
      writeVec(b, locals, (o, [fi, names]) => {
        writeUleb(o, fi);
        writeVec(o, [...names].sort((x, y) => x[0] - y[0]), (o2, [li, n]) => { writeUleb(o2, li); writeName(o2, n); });
      });
      sub(2, b);
    }
    if (contents.length > 5) writeSection(out, 0, contents);
  }
}
