/**
 * @file The IR text form back to functions and modules (syntax in
 * `docs/ir.md`). Value and block numbers in the text become the table indices,
 * so `printFunc(parseFunc(t))` gives `t` back for printed text. Malformed text is
 * a user mistake: a typed `IR_PARSE` diagnostic with the line number.
 */

import { fail } from '../diag/diagnostic.js';
import { isOpcode, OPS, type Opcode } from './ops.js';
import type { BlockCall, Func, InstData, Module } from './func.js';
import {
  asBlock, asFuncRef, asInst, asValue, CONDS, MEM_KINDS, RMW_OPS, TYPES,
  type Block, type Cond, type MemKind, type RmwOp, type Type, type Value,
} from './types.js';

const TOKEN = /\s*(?:("(?:[^"\\]|\\.)*")|(-?0x[0-9a-fA-F]+|-?\d+)|([A-Za-z_][\w.]*)|([[\](),:=@+\-{}]))/y;

class Line {
  readonly tokens: string[] = [];
  pos = 0;
  constructor(readonly text: string, readonly number: number) {
    TOKEN.lastIndex = 0;
    let at = 0;
    while (at < text.length) {
      if (/^\s*$/.test(text.slice(at))) break;
      TOKEN.lastIndex = at;
      const m = TOKEN.exec(text);
      if (m === null) this.error(`unexpected character "${text.slice(at).trim()[0]}"`);
      this.tokens.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
      at = TOKEN.lastIndex;
    }
  }
  error(detail: string): never { return fail('IR_PARSE', { line: this.number, detail }); }
  peek(): string | undefined { return this.tokens[this.pos]; }
  done(): boolean { return this.pos >= this.tokens.length; }
  next(what: string): string {
    const t = this.tokens[this.pos++];
    if (t === undefined) this.error(`expected ${what} at end of line`);
    return t;
  }
  expect(tok: string): void {
    const t = this.next(`"${tok}"`);
    if (t !== tok) this.error(`expected "${tok}", found "${t}"`);
  }
  accept(tok: string): boolean {
    if (this.tokens[this.pos] === tok) { this.pos++; return true; }
    return false;
  }
  end(): void { if (!this.done()) this.error(`unexpected "${this.peek()}"`); }
  int(what: string): number {
    const t = this.next(what);
    if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(t)) this.error(`expected ${what}, found "${t}"`);
    const n = Number(t.startsWith('-') ? -Number(t.slice(1)) : Number(t));
    if (!Number.isSafeInteger(n)) this.error(`${what} out of range: ${t}`);
    return n;
  }
  big(what: string): bigint {
    const t = this.next(what);
    if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(t)) this.error(`expected ${what}, found "${t}"`);
    return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
  }
  ref(prefix: string, what: string): number {
    const t = this.next(what);
    if (!new RegExp(`^${prefix}\\d+$`).test(t)) this.error(`expected ${what}, found "${t}"`);
    return Number(t.slice(1));
  }
  oneOf<T extends string>(options: readonly T[], what: string): T {
    const t = this.next(what);
    if (!(options as readonly string[]).includes(t)) this.error(`expected ${what}, found "${t}"`);
    return t as T;
  }
}

function splitLines(text: string): Line[] {
  return text.split('\n').map((raw, i) => {
    const semi = raw.indexOf(';');
    return new Line(semi >= 0 ? raw.slice(0, semi) : raw, i + 1);
  });
}

class FuncParser {
  readonly fn: Func;
  private current: Block | undefined;
  private readonly seenBlocks = new Set<number>();
  private readonly uses: { value: Value; line: Line }[] = [];

  constructor(name: string, pc: number | undefined) {
    this.fn = { name, values: [], insts: [], blocks: [], layout: [] };
    if (pc !== undefined) this.fn.pc = pc;
  }

  private ensureBlock(n: number): Block {
    while (this.fn.blocks.length <= n) this.fn.blocks.push({ params: [], insts: [] });
    return asBlock(n);
  }

  private define(n: number, type: Type, def: Func['values'][number]['def'], line: Line): Value {
    while (this.fn.values.length <= n) this.fn.values.push({ type: 'i64', def: { kind: 'none' } });
    if (this.fn.values[n]!.def.kind !== 'none') line.error(`value v${n} is defined twice`);
    this.fn.values[n] = { type, def };
    return asValue(n);
  }

  private use(line: Line): Value {
    const v = asValue(line.ref('v', 'a value'));
    this.uses.push({ value: v, line });
    return v;
  }

  private blockCall(line: Line): BlockCall {
    const block = this.ensureBlock(line.ref('b', 'a block'));
    const args: Value[] = [];
    if (line.accept('(')) {
      if (!line.accept(')')) {
        do args.push(this.use(line)); while (line.accept(','));
        line.expect(')');
      }
    }
    return { block, args };
  }

  private address(line: Line): { base: Value; offset: number } {
    line.expect('[');
    const base = this.use(line);
    let offset = 0;
    if (line.accept('+')) offset = line.int('an offset');
    else if (line.peek() !== ']') {
      offset = line.int('an offset');
      if (offset >= 0) line.error('offset needs a sign');
    }
    line.expect(']');
    return { base, offset };
  }

  private argList(line: Line): Value[] {
    line.expect('(');
    const args: Value[] = [];
    if (!line.accept(')')) {
      do args.push(this.use(line)); while (line.accept(','));
      line.expect(')');
    }
    return args;
  }

  /** A block header or an instruction. */
  line(line: Line): void {
    const first = line.peek()!;
    if (/^b\d+$/.test(first) && (line.tokens[1] === ':' || line.tokens[1] === '(')) {
      this.header(line);
      return;
    }
    if (this.current === undefined) line.error('instruction before the first block');
    this.inst(line);
  }

  private header(line: Line): void {
    const n = line.ref('b', 'a block');
    if (this.seenBlocks.has(n)) line.error(`block b${n} is defined twice`);
    this.seenBlocks.add(n);
    const block = this.ensureBlock(n);
    if (line.accept('(')) {
      do {
        const p = line.ref('v', 'a parameter');
        line.expect(':');
        const type = line.oneOf(TYPES, 'a type');
        const data = this.fn.blocks[block]!;
        this.define(p, type, { kind: 'param', block, index: data.params.length }, line);
        data.params.push(asValue(p));
      } while (line.accept(','));
      line.expect(')');
    }
    line.expect(':');
    line.end();
    this.fn.layout.push(block);
    this.current = block;
  }

  private inst(line: Line): void {
    let resultNo: number | undefined;
    if (/^v\d+$/.test(line.peek()!) && line.tokens[1] === '=') {
      resultNo = line.ref('v', 'a value');
      line.expect('=');
    }
    const head = line.next('an op');
    const [opName, typeName, extra] = head.split('.');
    if (opName === undefined || !isOpcode(opName) || extra !== undefined) line.error(`unknown op "${head}"`);
    const op: Opcode = opName;
    const row = OPS[op];
    let type: Type;
    if (typeName === undefined) {
      if (row.types.length > 1) line.error(`${op} needs a type suffix (.i32 or .i64)`);
      type = row.types[0]!;
    } else {
      if (!(TYPES as readonly string[]).includes(typeName) || !row.types.includes(typeName as Type)) {
        line.error(`${op} does not take type "${typeName}"`);
      }
      type = typeName as Type;
    }
    const data: InstData = { op, type, args: [] };
    switch (row.format) {
      case 'const': data.imm = BigInt.asUintN(type === 'i32' ? 32 : 64, line.big('a constant')); break;
      case 'unary': data.args.push(this.use(line)); break;
      case 'binary': data.args.push(this.use(line)); line.expect(','); data.args.push(this.use(line)); break;
      case 'icmp':
        data.cond = line.oneOf<Cond>(CONDS, 'a condition');
        data.args.push(this.use(line)); line.expect(','); data.args.push(this.use(line));
        break;
      case 'load': {
        data.mem = line.oneOf<MemKind>(MEM_KINDS, 'a memory kind');
        const a = this.address(line);
        data.args.push(a.base); data.offset = a.offset; data.checked = true;
        break;
      }
      case 'store': {
        data.mem = line.oneOf<MemKind>(MEM_KINDS, 'a memory kind');
        data.args.push(this.use(line)); line.expect(',');
        const a = this.address(line);
        data.args.push(a.base); data.offset = a.offset; data.checked = true;
        break;
      }
      case 'rmw': {
        data.rmw = line.oneOf<RmwOp>(RMW_OPS, 'an atomic operation');
        const a = this.address(line);
        line.expect(',');
        data.args.push(a.base, this.use(line)); data.offset = a.offset; data.checked = true;
        break;
      }
      case 'cmpxchg': {
        const a = this.address(line);
        data.args.push(a.base);
        line.expect(','); data.args.push(this.use(line));
        line.expect(','); data.args.push(this.use(line));
        data.offset = a.offset; data.checked = true;
        break;
      }
      case 'call_helper': data.helper = line.int('a helper id'); data.args.push(...this.argList(line)); break;
      case 'call': data.callee = asFuncRef(line.ref('f', 'a function')); data.args.push(...this.argList(line)); break;
      case 'call_indirect': data.args.push(this.use(line)); data.args.push(...this.argList(line)); break;
      case 'map':
        data.map = line.int('a map index');
        if (op === 'map_value_addr') { line.expect(','); data.imm = BigInt.asUintN(64, line.big('an offset')); }
        break;
      case 'func_addr': data.callee = asFuncRef(line.ref('f', 'a function')); break;
      case 'nullary': break;
      case 'ld_pkt':
        data.mem = line.oneOf<MemKind>(MEM_KINDS, 'a memory kind');
        data.args.push(this.use(line)); line.expect(','); data.args.push(this.use(line));
        break;
      case 'jump': data.targets = [this.blockCall(line)]; break;
      case 'br_if':
        data.args.push(this.use(line)); line.expect(',');
        data.targets = [this.blockCall(line)];
        line.expect(',');
        data.targets.push(this.blockCall(line));
        break;
      case 'ret': data.args.push(this.use(line)); break;
      case 'trap': break;
    }
    if (line.accept('unchecked')) {
      if (data.checked === undefined) line.error(`${op} has no run-time check to drop`);
      data.checked = false;
    }
    if (line.accept('@')) data.pc = line.int('a pc');
    line.end();
    const inst = asInst(this.fn.insts.length);
    const rt = row.result === 'none' ? undefined : row.result === 'T' ? type : row.result;
    if (rt !== undefined) {
      if (resultNo === undefined) line.error(`${op} has a result: write "vN = ${op} ..."`);
      data.result = this.define(resultNo, rt, { kind: 'inst', inst }, line);
    } else if (resultNo !== undefined) {
      line.error(`${op} has no result`);
    }
    this.fn.insts.push(data);
    this.fn.blocks[this.current!]!.insts.push(inst);
  }

  finish(last: Line): Func {
    for (const { value, line } of this.uses) {
      const d = this.fn.values[value];
      if (d === undefined || d.def.kind === 'none') line.error(`value v${value} is never defined`);
    }
    for (let n = 0; n < this.fn.blocks.length; n++) {
      if (!this.seenBlocks.has(n) && this.fn.insts.some((i) => i.targets?.some((t) => t.block === n))) {
        last.error(`block b${n} is used but never defined`);
      }
    }
    if (this.fn.layout.length === 0) last.error(`function "${this.fn.name}" has no blocks`);
    return this.fn;
  }
}

function parseFuncHeader(line: Line): { index: number; name: string; pc?: number } {
  line.expect('func');
  const index = line.ref('f', 'a function');
  const quoted = line.next('a function name');
  if (!quoted.startsWith('"')) line.error(`expected a quoted function name, found "${quoted}"`);
  const name = JSON.parse(quoted) as string;
  let pc: number | undefined;
  if (line.accept('pc')) pc = line.int('a pc');
  line.expect('{');
  line.end();
  return pc === undefined ? { index, name } : { index, name, pc };
}

function parseFuncs(lines: Line[], from: number): { funcs: Map<number, Func>; } {
  const funcs = new Map<number, Func>();
  let i = from;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.done()) { i++; continue; }
    const h = parseFuncHeader(line);
    if (funcs.has(h.index)) line.error(`function f${h.index} is defined twice`);
    const p = new FuncParser(h.name, h.pc);
    i++;
    let closed = false;
    while (i < lines.length) {
      const l = lines[i]!;
      i++;
      if (l.done()) continue;
      if (l.peek() === '}' && l.tokens.length === 1) { closed = true; break; }
      p.line(l);
    }
    if (!closed) lines[lines.length - 1]!.error(`function f${h.index} has no closing "}"`);
    funcs.set(h.index, p.finish(lines[i - 1]!));
  }
  return { funcs };
}

/** Parse one function (`func fN "name" { ... }`). */
export function parseFunc(text: string): Func {
  const lines = splitLines(text);
  const { funcs } = parseFuncs(lines, 0);
  if (funcs.size !== 1) fail('IR_PARSE', { line: 1, detail: `expected one function, found ${funcs.size}` });
  return [...funcs.values()][0]!;
}

function intList(line: Line): number[] {
  line.expect('[');
  const out: number[] = [];
  if (!line.accept(']')) {
    do out.push(line.int('a number')); while (line.accept(','));
    line.expect(']');
  }
  return out;
}

/** Parse a module: the `module` header line, then its functions `f0`, `f1`, ... */
export function parseModule(text: string): Module {
  const lines = splitLines(text);
  let i = 0;
  while (i < lines.length && lines[i]!.done()) i++;
  const header: Line = lines[i] ?? new Line('', 1);
  header.expect('module');
  header.expect('entry');
  const entry = header.ref('f', 'a function');
  header.expect('helpers');
  const helpers = intList(header);
  header.expect('maps');
  const maps = intList(header);
  header.end();
  const { funcs } = parseFuncs(lines, i + 1);
  const list: Func[] = [];
  for (let n = 0; n < funcs.size; n++) {
    const fn = funcs.get(n);
    if (fn === undefined) header.error(`functions must be numbered f0..f${funcs.size - 1}`);
    list.push(fn);
  }
  if (entry >= list.length) header.error(`entry f${entry} is not defined`);
  return { funcs: list, entry: asFuncRef(entry), helpers, maps };
}
