/**
 * @file Common subexpression elimination over the dominator tree (scoped
 * value numbering, as in Briggs, Cooper and Simpson, "Value Numbering",
 * 1997): a pure instruction (no side effect, no trap, no memory access) equal
 * to one that dominates it — same op, type, fields and operands, operands of
 * commutative ops in either order — is replaced by the dominating one. The
 * lifter's 32-bit sequences give plenty: the same register truncated for
 * several 32-bit operations, the same constant offset added twice.
 */

import { dominators } from '../ir/dominators.js';
import { dropResult, mapUses, replaceUses, type Func, type InstData } from '../ir/func.js';
import { OPS } from '../ir/ops.js';
import type { Block, Value } from '../ir/types.js';

function keyOf(inst: InstData): string | undefined {
  const row = OPS[inst.op];
  if (row.sideEffect || row.trap || row.readsMemory || row.writesMemory || row.terminator || inst.result === undefined) return undefined;
  let args = inst.args as readonly number[];
  if (row.commutative && args.length === 2 && args[0]! > args[1]!) args = [args[1]!, args[0]!];
  return `${inst.op}.${inst.type}|${inst.cond ?? ''}|${inst.imm ?? ''}|${inst.map ?? ''}|${inst.callee ?? ''}|${args.join(',')}`;
}

/** Replace pure instructions by equal dominating ones. */
export function eliminateCommonSubexpressions(fn: Func): void {
  const tree = dominators(fn);
  const subst = new Map<Value, Value>();
  const resolve = (v: Value): Value => subst.get(v) ?? v;
  const table = new Map<string, Value>();
  const enter = (b: Block): string[] => {
    const added: string[] = [];
    const keep = [];
    for (const i of fn.blocks[b]!.insts) {
      const inst = fn.insts[i]!;
      mapUses(inst, resolve);
      const key = keyOf(inst);
      if (key !== undefined) {
        const prev = table.get(key);
        if (prev !== undefined) {
          subst.set(inst.result!, prev);
          dropResult(fn, i);
          continue;
        }
        table.set(key, inst.result!);
        added.push(key);
      }
      keep.push(i);
    }
    fn.blocks[b]!.insts = keep;
    return added;
  };
  const stack: { block: Block; added?: string[]; next: number }[] = [{ block: tree.rpo[0]!, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.added === undefined) top.added = enter(top.block);
    const kids = tree.children.get(top.block) ?? [];
    if (top.next < kids.length) stack.push({ block: kids[top.next++]!, next: 0 });
    else {
      for (const k of top.added) table.delete(k);
      stack.pop();
    }
  }
  replaceUses(fn, subst);
}
