/**
 * @file The PREVAIL cases' entry constraints (`pre`) as entry registers and
 * stack for the verifier, and the environment they assume (a 64-byte context
 * with data at 0 and data_end at 4; every map key 4, value 4, 4 entries).
 */

import type { CtxLayout } from '../../../src/abi/contexts.js';
import type { Reg } from '../../../src/verify/domains/reg-state.js';
import { constScalar, pointer, unknownScalar } from '../../../src/verify/domains/reg-state.js';
import { syncBounds } from '../../../src/verify/domains/scalar.js';
import type { VerifyMap } from '../../../src/verify/types.js';
import { PROG_ARRAY_BASE } from './prevail-asm.js';

/** The context PREVAIL's cases assume. */
export const PREVAIL_CTX: CtxLayout = {
  name: 'prevail test context', size: 64, fields: [
    { name: 'data', off: 0, size: 4, write: false, narrow: false, ptr: 'packet' },
    { name: 'data_end', off: 4, size: 4, write: false, narrow: false, ptr: 'packet_end' },
    ...Array.from({ length: 14 }, (_, i) => ({ name: `f${i}`, off: 8 + 4 * i, size: 4, write: true, narrow: true })),
  ],
};

/** The maps PREVAIL's cases assume. */
export const PREVAIL_MAPS: VerifyMap[] = Array.from({ length: PROG_ARRAY_BASE + 16 }, (_, i) =>
  i < PROG_ARRAY_BASE ? { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 } : { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 });

/** Entry state, or a reason the constraints cannot be expressed. */
export interface Pre { regs: (Reg | undefined)[]; stack: [number, number][]; unsupported?: string }

const parseRange = (v: string): [bigint, bigint] | undefined => {
  const t = v.trim();
  const m = /^\[\s*(-?\d+|-oo)\s*,\s*(-?\d+|\+oo)\s*\]$/.exec(t);
  if (m) return [m[1] === '-oo' ? -(1n << 63n) : BigInt(m[1]!), m[2] === '+oo' ? (1n << 64n) - 1n : BigInt(m[2]!)];
  if (/^-?\d+$/.test(t)) return [BigInt(t), BigInt(t)];
  return undefined;
};

/** Translate `pre` constraints. */
export function parsePre(pre: readonly string[]): Pre {
  const facts = new Map<string, string>();
  const stack: [number, number][] = [];
  for (const c of pre) {
    const m = /^(r\d+)\.(\w+)\s*=\s*(.+)$/.exec(c.trim());
    if (m) { facts.set(`${m[1]}.${m[2]}`, m[3]!.trim()); continue; }
    const s = /^s\[(\d+)(?:\.\.\.(\d+))?\]\.type\s*=\s*number$/.exec(c.trim());
    if (s) { const a = Number(s[1]); const b = s[2] ? Number(s[2]) : a; stack.push([a - 512, b + 1 - 512]); continue; }
    if (/^r\d+\.type\s+in\s+/.test(c.trim())) return { regs: [], stack, unsupported: `type sets: ${c}` };
  }
  const regs: (Reg | undefined)[] = [];
  for (let r = 0; r < 10; r++) {
    const type = facts.get(`r${r}.type`);
    if (type === undefined) continue;
    const num = (k: string): bigint | undefined => { const v = facts.get(`r${r}.${k}`); return v !== undefined && /^-?\d+$/.test(v) ? BigInt(v) : undefined; };
    switch (type) {
      case 'number': {
        const reg = unknownScalar(-1);
        const sv = facts.get(`r${r}.svalue`);
        const uv = facts.get(`r${r}.uvalue`);
        const sr = sv !== undefined ? parseRange(sv) : undefined;
        const ur = uv !== undefined ? parseRange(uv) : undefined;
        if (sr && sr[0] === sr[1]) { regs[r] = constScalar(sr[0], -1); break; }
        if (ur && ur[0] === ur[1]) { regs[r] = constScalar(ur[0], -1); break; }
        if (sr) { reg.smin = sr[0]; reg.smax = sr[1] > (1n << 63n) - 1n ? (1n << 63n) - 1n : sr[1]; }
        if (ur) { reg.umin = ur[0] < 0n ? 0n : ur[0]; reg.umax = ur[1]; }
        syncBounds(reg);
        regs[r] = reg;
        break;
      }
      case 'ctx': regs[r] = pointer('ctx', Number(num('ctx_offset') ?? 0n), -1); break;
      case 'stack': regs[r] = pointer('stack', Number(num('stack_offset') ?? 512n) - 512, -1, { frame: 0 }); break;
      case 'packet': regs[r] = pointer('packet', Number(num('packet_offset') ?? 0n), -1); break;
      case 'shared': regs[r] = pointer('mem', Number(num('shared_offset') ?? 0n), -1, { range: Number(num('shared_region_size') ?? 0n) }); break;
      case 'map_fd': regs[r] = pointer('map_ptr', 0, -1, { map: Number(num('map_fd') ?? 0n) }); break;
      case 'map_fd_programs': regs[r] = pointer('map_ptr', 0, -1, { map: PROG_ARRAY_BASE + Number(num('map_fd_programs') ?? 0n) }); break;
      default: return { regs: [], stack, unsupported: `type ${type}` };
    }
  }
  return { regs, stack };
}
