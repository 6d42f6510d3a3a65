/**
 * @file The structural IR checker (Cranelift `verifier`, QBE `ssacheck`):
 * single definition, dominance of uses, one terminator at the end of every
 * block, operand counts and types from the op table, branch arguments that
 * match their target's parameters. It knows nothing about eBPF safety (that is
 * `src/verify`). It returns messages rather than throwing, so tests can assert
 * on them; the pass pipeline turns any message into an internal error.
 */

import { dominates, dominators } from './dominators.js';
import { resultType, type Func, type InstData, type Module } from './func.js';
import { OPS } from './ops.js';
import { printInst } from './print.js';
import { bitsOf, memSigned, memSize, type Block, type Inst, type Type, type Value } from './types.js';

/** Check a function; `module`, when given, lets calls be checked against their callees. Returns problems, empty when the function is well formed. */
export function checkFunc(fn: Func, module?: Module): string[] {
  const errors: string[] = [];
  const where = (inst: InstData): string => `${fn.name}: "${printInst(fn, inst)}"`;
  if (fn.layout.length === 0) return [`${fn.name}: no blocks`];

  // Placement: each block in the layout once, each instruction in one block.
  const blockOf = new Map<Inst, Block>();
  const position = new Map<Inst, number>();
  const inLayout = new Set<Block>();
  for (const b of fn.layout) {
    if (fn.blocks[b] === undefined) { errors.push(`${fn.name}: layout lists b${b}, which does not exist`); continue; }
    if (inLayout.has(b)) errors.push(`${fn.name}: b${b} is in the layout twice`);
    inLayout.add(b);
    fn.blocks[b]!.insts.forEach((i, n) => {
      if (fn.insts[i] === undefined) errors.push(`${fn.name}: b${b} lists instruction ${i}, which does not exist`);
      else if (blockOf.has(i)) errors.push(`${fn.name}: instruction ${i} is in b${blockOf.get(i)} and b${b}`);
      blockOf.set(i, b);
      position.set(i, n);
    });
  }
  if (errors.length > 0) return errors;

  // Definitions point back at their definer.
  const defined = (v: Value): boolean => {
    const d = fn.values[v];
    if (d === undefined) return false;
    if (d.def.kind === 'inst') return blockOf.has(d.def.inst) && fn.insts[d.def.inst]!.result === v;
    if (d.def.kind === 'param') return inLayout.has(d.def.block) && fn.blocks[d.def.block]!.params[d.def.index] === v;
    return false;
  };
  for (const b of fn.layout) {
    fn.blocks[b]!.params.forEach((p, index) => {
      const d = fn.values[p];
      if (d === undefined || d.def.kind !== 'param' || d.def.block !== b || d.def.index !== index) {
        errors.push(`${fn.name}: parameter v${p} of b${b} is not defined as that parameter`);
      }
    });
  }

  const entry = fn.layout[0]!;
  const tree = dominators(fn);
  const typeOf = (v: Value): Type | undefined => (defined(v) ? fn.values[v]!.type : undefined);

  // Does the definition of `v` dominate a use at instruction `at` (position `pos` in block `b`)?
  const dominatesUse = (v: Value, b: Block, pos: number): boolean => {
    if (!tree.rpoIndex.has(b)) return true; // uses in unreachable blocks are not constrained
    const d = fn.values[v]!.def;
    const db = d.kind === 'inst' ? blockOf.get(d.inst)! : d.kind === 'param' ? d.block : undefined;
    if (db === undefined || !tree.rpoIndex.has(db)) return false;
    if (db === b) return d.kind === 'param' || position.get((d as { inst: Inst }).inst)! < pos;
    return dominates(tree, db, b);
  };

  for (const b of fn.layout) {
    const insts = fn.blocks[b]!.insts;
    if (insts.length === 0) { errors.push(`${fn.name}: b${b} is empty (it needs a terminator)`); continue; }
    insts.forEach((i, pos) => {
      const inst = fn.insts[i]!;
      const row = OPS[inst.op];
      if (row === undefined) { errors.push(`${fn.name}: instruction ${i} has unknown op ${String(inst.op)}`); return; }
      const last = pos === insts.length - 1;
      if (row.terminator && !last) errors.push(`${where(inst)}: terminator in the middle of b${b}`);
      if (!row.terminator && last) errors.push(`${where(inst)}: b${b} does not end with a terminator`);
      if (!row.types.includes(inst.type)) errors.push(`${where(inst)}: ${inst.op} does not take type ${inst.type}`);

      // Operands.
      const fixed = row.args.length;
      if (row.variadic ? inst.args.length < fixed : inst.args.length !== fixed) {
        errors.push(`${where(inst)}: ${inst.args.length} operands, expected ${row.variadic ? 'at least ' : ''}${fixed}`);
      }
      inst.args.forEach((a, n) => {
        const t = typeOf(a);
        if (t === undefined) { errors.push(`${where(inst)}: operand v${a} is not defined`); return; }
        const rule = n < fixed ? row.args[n]! : 'i64';
        const want = rule === 'T' ? inst.type : rule;
        if (t !== want) errors.push(`${where(inst)}: operand v${a} is ${t}, expected ${want}`);
        if (!dominatesUse(a, b, pos)) errors.push(`${where(inst)}: use of v${a} is not dominated by its definition`);
      });

      // Result.
      const rt = resultType(inst);
      if (rt === undefined && inst.result !== undefined) errors.push(`${where(inst)}: ${inst.op} has no result`);
      if (rt !== undefined) {
        if (inst.result === undefined) errors.push(`${where(inst)}: missing result`);
        else if (!defined(inst.result) || (fn.values[inst.result]!.def as { inst?: Inst }).inst !== i) {
          errors.push(`${where(inst)}: result v${inst.result} is not defined by this instruction`);
        }
        else if (fn.values[inst.result]!.type !== rt) errors.push(`${where(inst)}: result v${inst.result} has type ${fn.values[inst.result]!.type}, expected ${rt}`);
      }

      // Format-specific fields.
      checkFields(inst, (m) => errors.push(`${where(inst)}: ${m}`), module);

      // Branch targets.
      const targets = inst.targets ?? [];
      const want = row.format === 'jump' ? 1 : row.format === 'br_if' ? 2 : 0;
      if (targets.length !== want) errors.push(`${where(inst)}: ${targets.length} targets, expected ${want}`);
      for (const t of targets) {
        if (!inLayout.has(t.block)) { errors.push(`${where(inst)}: target b${t.block} is not in the layout`); continue; }
        if (t.block === entry) errors.push(`${where(inst)}: the entry block b${entry} cannot be a branch target`);
        const params = fn.blocks[t.block]!.params;
        if (params.length !== t.args.length) {
          errors.push(`${where(inst)}: b${t.block} takes ${params.length} arguments, given ${t.args.length}`);
        }
        t.args.forEach((a, n) => {
          const ty = typeOf(a);
          if (ty === undefined) { errors.push(`${where(inst)}: argument v${a} is not defined`); return; }
          const p = params[n];
          if (p !== undefined && fn.values[p]!.type !== ty) errors.push(`${where(inst)}: argument v${a} is ${ty}, b${t.block} expects ${fn.values[p]!.type}`);
          if (!dominatesUse(a, b, pos)) errors.push(`${where(inst)}: use of v${a} is not dominated by its definition`);
        });
      }
    });
  }
  return errors;
}

function checkFields(inst: InstData, report: (m: string) => void, module: Module | undefined): void {
  const row = OPS[inst.op];
  const need = (ok: boolean, what: string): void => { if (!ok) report(what); };
  switch (row.format) {
    case 'const': need(inst.imm !== undefined && inst.imm >= 0n && inst.imm < 1n << BigInt(bitsOf(inst.type)), 'constant missing or out of range'); break;
    case 'icmp': need(inst.cond !== undefined, 'missing condition'); break;
    case 'load':
    case 'store': {
      need(inst.mem !== undefined, 'missing memory kind');
      need(inst.offset !== undefined && Number.isSafeInteger(inst.offset), 'missing offset');
      need(inst.checked !== undefined, 'missing checked flag');
      if (inst.mem !== undefined) {
        need(memSize(inst.mem) * 8 <= bitsOf(inst.type), `${inst.mem} does not fit ${inst.type}`);
        if (row.format === 'store') need(!memSigned(inst.mem), 'a store has no signedness');
      }
      break;
    }
    case 'rmw':
    case 'cmpxchg':
      if (row.format === 'rmw') need(inst.rmw !== undefined, 'missing atomic operation');
      need(inst.offset !== undefined && Number.isSafeInteger(inst.offset), 'missing offset');
      need(inst.checked !== undefined, 'missing checked flag');
      break;
    case 'call_helper': need(inst.helper !== undefined && Number.isInteger(inst.helper), 'missing helper id'); break;
    case 'call':
    case 'func_addr': {
      need(inst.callee !== undefined, 'missing callee');
      if (module !== undefined && inst.callee !== undefined) {
        const callee = module.funcs[inst.callee];
        if (callee === undefined) report(`callee f${inst.callee} does not exist`);
        else if (row.format === 'call') {
          const n = callee.blocks[callee.layout[0]!]?.params.length ?? 0;
          need(n === inst.args.length, `f${inst.callee} takes ${n} arguments, given ${inst.args.length}`);
        }
      }
      break;
    }
    case 'map': need(inst.map !== undefined, 'missing map index'); if (inst.op === 'map_value_addr') need(inst.imm !== undefined, 'missing offset'); break;
    case 'ld_pkt': need(inst.mem !== undefined && !memSigned(inst.mem) && memSize(inst.mem) <= 4, 'ld_pkt takes u8, u16 or u32'); break;
    default: break;
  }
}

/** Check every function of a module, and the module's own fields. */
export function checkModule(mod: Module): string[] {
  const errors: string[] = [];
  if (mod.funcs[mod.entry] === undefined) errors.push(`entry f${mod.entry} does not exist`);
  for (const fn of mod.funcs) errors.push(...checkFunc(fn, mod));
  return errors;
}
