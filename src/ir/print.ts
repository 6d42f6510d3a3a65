/**
 * @file The IR text form: functions and modules to text (syntax in `docs/ir.md`).
 * `parse.ts` reads exactly what this prints.
 */

import { OPS } from './ops.js';
import type { BlockCall, Func, InstData, Module } from './func.js';
import type { Block, Value } from './types.js';

const v = (x: Value): string => `v${x}`;
const b = (x: Block): string => `b${x}`;

function blockCall(c: BlockCall): string {
  return c.args.length === 0 ? b(c.block) : `${b(c.block)}(${c.args.map(v).join(', ')})`;
}

function addr(base: Value, offset: number | undefined): string {
  const o = offset ?? 0;
  if (o === 0) return `[${v(base)}]`;
  return o > 0 ? `[${v(base)}+${o}]` : `[${v(base)}-${-o}]`;
}

function signed(imm: bigint, bits: number): string {
  return BigInt.asIntN(bits, imm).toString();
}

/** One instruction, without indentation. */
export function printInst(fn: Func, inst: InstData): string {
  const row = OPS[inst.op];
  const head = row.types.length > 1 ? `${inst.op}.${inst.type}` : inst.op;
  const a = inst.args;
  let body: string;
  switch (row.format) {
    case 'const': body = `${head} ${signed(inst.imm ?? 0n, inst.type === 'i32' ? 32 : 64)}`; break;
    case 'unary': body = `${head} ${v(a[0]!)}`; break;
    case 'binary': body = `${head} ${v(a[0]!)}, ${v(a[1]!)}`; break;
    case 'icmp': body = `${head} ${inst.cond} ${v(a[0]!)}, ${v(a[1]!)}`; break;
    case 'load': body = `${head} ${inst.mem} ${addr(a[0]!, inst.offset)}`; break;
    case 'store': body = `${head} ${inst.mem} ${v(a[0]!)}, ${addr(a[1]!, inst.offset)}`; break;
    case 'rmw': body = `${head} ${inst.rmw} ${addr(a[0]!, inst.offset)}, ${v(a[1]!)}`; break;
    case 'cmpxchg': body = `${head} ${addr(a[0]!, inst.offset)}, ${v(a[1]!)}, ${v(a[2]!)}`; break;
    case 'call_helper': body = `${head} ${inst.helper} (${a.map(v).join(', ')})`; break;
    case 'call': body = `${head} f${inst.callee} (${a.map(v).join(', ')})`; break;
    case 'call_indirect': body = `${head} ${v(a[0]!)} (${a.slice(1).map(v).join(', ')})`; break;
    case 'map':
      body = inst.op === 'map_value_addr' ? `${head} ${inst.map}, ${signed(inst.imm ?? 0n, 64)}` : `${head} ${inst.map}`;
      break;
    case 'func_addr': body = `${head} f${inst.callee}`; break;
    case 'nullary': body = head; break;
    case 'ld_pkt': body = `${head} ${inst.mem} ${v(a[0]!)}, ${v(a[1]!)}`; break;
    case 'jump': body = `${head} ${blockCall(inst.targets![0]!)}`; break;
    case 'br_if': body = `${head} ${v(a[0]!)}, ${blockCall(inst.targets![0]!)}, ${blockCall(inst.targets![1]!)}`; break;
    case 'ret': body = `${head} ${v(a[0]!)}`; break;
    case 'trap': body = head; break;
  }
  const res = inst.result !== undefined ? `${v(inst.result)} = ` : '';
  const unchecked = inst.checked === false ? ' unchecked' : '';
  const pc = inst.pc !== undefined ? ` @${inst.pc}` : '';
  return `${res}${body}${unchecked}${pc}`;
}

/** A block header: `b2(v4: i64, v5: i32):`. */
export function printBlockHeader(fn: Func, block: Block): string {
  const params = fn.blocks[block]!.params;
  if (params.length === 0) return `${b(block)}:`;
  return `${b(block)}(${params.map((p) => `${v(p)}: ${fn.values[p]!.type}`).join(', ')}):`;
}

/** A function in text form, with a `func` header and one indented line per instruction. */
export function printFunc(fn: Func, index = 0): string {
  const lines: string[] = [];
  const pc = fn.pc !== undefined ? ` pc ${fn.pc}` : '';
  lines.push(`func f${index} ${JSON.stringify(fn.name)}${pc} {`);
  for (const block of fn.layout) {
    lines.push(printBlockHeader(fn, block));
    for (const i of fn.blocks[block]!.insts) lines.push(`  ${printInst(fn, fn.insts[i]!)}`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** A module: its header line, then each function. */
export function printModule(mod: Module): string {
  const parts = [`module entry f${mod.entry} helpers [${mod.helpers.join(', ')}] maps [${mod.maps.join(', ')}]\n`];
  mod.funcs.forEach((fn, i) => parts.push(printFunc(fn, i)));
  return parts.join('\n');
}
