/**
 * @file Array lookups without a helper call. `bpf_map_lookup_elem(&map, key)`
 * on a `BPF_MAP_TYPE_ARRAY` named by a constant map reference is plain
 * address arithmetic, as the kernel's JITs make it through `map_gen_lookup`
 * (`array_map_gen_lookup`, kernel/bpf/arraymap.c):
 *
 * ```
 *   idx = load.u32 [key]
 *   r0  = idx < max_entries ? map_value_addr(map) + idx * round_up(value_size, 8) : 0
 * ```
 *
 * computed without a branch (`and` with the mask `-(idx < max)`), so the
 * CFG is untouched and the null check the program makes after the call
 * stays as it was. A `BPF_MAP_TYPE_PERCPU_ARRAY` keeps each CPU's copy of the
 * array at a fixed stride after CPU 0's (`src/host/maps/array.ts`), so its
 * lookup adds `bpf_get_smp_processor_id() * max_entries * stride`, as the
 * kernel's inlined per-CPU lookup adds the CPU's offset; backends make that
 * helper cheap (a global in WebAssembly).
 *
 * Only for verified programs: the verifier proved the key pointer readable
 * for `key_size` bytes, so the key load is unchecked. Unverified programs
 * keep the helper call, whose host side checks the pointer.
 */

import type { Func, InstData } from '../ir/func.js';
import { constantMapOf, insertInst, resultOf } from '../ir/func.js';
import type { Value } from '../ir/types.js';
import type { PassContext } from './context.js';

const MAP_LOOKUP_ELEM = 1;
const ARRAY = 2;
const PERCPU_ARRAY = 6;
const GET_SMP_PROCESSOR_ID = 8;

/** Replace array lookups by constant maps with address arithmetic. */
export function inlineMapLookups(fn: Func, ctx: PassContext = {}): void {
  const maps = ctx.maps;
  if (maps === undefined || ctx.verified !== true) return;
  for (const b of fn.layout) {
    const insts = fn.blocks[b]!.insts;
    for (let i = 0; i < insts.length; i++) {
      const call = fn.insts[insts[i]!]!;
      if (call.op !== 'call_helper' || call.helper !== MAP_LOOKUP_ELEM || call.args.length < 2) continue;
      const k = constantMapOf(fn, call.args[0]!);
      const spec = k === undefined ? undefined : maps[k];
      if (k === undefined || spec === undefined || (spec.type !== ARRAY && spec.type !== PERCPU_ARRAY) || spec.keySize !== 4) continue;
      const stride = BigInt((spec.valueSize + 7) & ~7);
      const pc = call.pc;
      const at = { ...(pc !== undefined ? { pc } : {}) };
      let n = i;
      const add = (data: Omit<InstData, 'result'>): Value => resultOf(fn, insertInst(fn, b, n++, data));
      const idx = add({ op: 'load', type: 'i64', args: [call.args[1]!], mem: 'u32', offset: 0, checked: false, ...at });
      const max = add({ op: 'iconst', type: 'i64', args: [], imm: BigInt(spec.maxEntries) });
      const inRange = add({ op: 'icmp', type: 'i64', args: [idx, max], cond: 'ult' });
      const mask = add({ op: 'neg', type: 'i64', args: [add({ op: 'zext', type: 'i64', args: [inRange] })] });
      const size = add({ op: 'iconst', type: 'i64', args: [], imm: stride });
      const offset = add({ op: 'mul', type: 'i64', args: [idx, size] });
      let base = add({ op: 'map_value_addr', type: 'i64', args: [], map: k, imm: 0n });
      if (spec.type === PERCPU_ARRAY) {
        const cpu = add({ op: 'call_helper', type: 'i64', args: [], helper: GET_SMP_PROCESSOR_ID, ...at });
        const perCpu = add({ op: 'iconst', type: 'i64', args: [], imm: BigInt(spec.maxEntries) * stride });
        base = add({ op: 'add', type: 'i64', args: [base, add({ op: 'mul', type: 'i64', args: [cpu, perCpu] })] });
      }
      const address = add({ op: 'add', type: 'i64', args: [base, offset] });
      // the call becomes the final `and`, keeping its result value and position
      for (const key of Object.keys(call) as (keyof typeof call)[]) {
        if (key !== 'result') delete call[key];
      }
      Object.assign(call, { op: 'and', type: 'i64', args: [address, mask] });
      i = n;
    }
  }
}
