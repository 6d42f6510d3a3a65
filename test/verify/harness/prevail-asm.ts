/**
 * @file An assembler for the PREVAIL test syntax (llvm-like: `r0 += 2`,
 * `r1 = *(u32 *)(r2 + 4)`, `if r1 > r2 goto <label>`, `assume r1 < 5`),
 * producing instructions with `make` from the opcode table. `assume C`
 * becomes a jump on the negated condition to a sink that exits, so the
 * fall-through path carries the assumption. A program that falls off its
 * end gets a final `exit`.
 */

import { make, type Insn } from '../../../src/isa/insn.js';
import { LddwSrc, OP } from '../../../src/isa/opcodes.js';

/** Maps as the PREVAIL cases assume them: indices below this are plain maps, these and up are program arrays. */
export const PROG_ARRAY_BASE = 64;

interface Item { op: string; o: { dst?: number; src?: number; off?: number; imm?: number; imm64?: bigint }; target?: string; callTarget?: string }

const ALU: Record<string, string> = {
  '+=': 'ADD', '-=': 'SUB', '*=': 'MUL', '/=': 'DIV', '%=': 'MOD', '|=': 'OR', '&=': 'AND', '^=': 'XOR',
  '<<=': 'LSH', '>>=': 'RSH', 's>>=': 'ARSH', 's/=': 'SDIV', 's%=': 'SMOD', '=': 'MOV',
};
const CMP: Record<string, string> = {
  '==': 'JEQ', '!=': 'JNE', '>': 'JGT', '>=': 'JGE', '<': 'JLT', '<=': 'JLE',
  's>': 'JSGT', 's>=': 'JSGE', 's<': 'JSLT', 's<=': 'JSLE', '&==': 'JSET',
};
const NEG: Record<string, string> = {
  '==': '!=', '!=': '==', '>': '<=', '<=': '>', '>=': '<', '<': '>=', 's>': 's<=', 's<=': 's>', 's>=': 's<', 's<': 's>=',
  '&==': '&!=', '&!=': '&==',
};
const SZ: Record<string, string> = { '8': 'B', '16': 'H', '32': 'W', '64': 'DW' };

const num = (s: string): number => {
  const t = s.trim();
  const neg = t.startsWith('-');
  const body = neg ? t.slice(1).trim() : t;
  const v = body.startsWith('0x') ? parseInt(body, 16) : parseInt(body, 10);
  if (Number.isNaN(v)) throw new Error(`bad number ${s}`);
  return neg ? -v : v;
};
const big = (s: string): bigint => {
  const t = s.trim();
  const neg = t.startsWith('-');
  const body = neg ? t.slice(1).trim() : t;
  const v = BigInt(body);
  return neg ? -v : v;
};
const reg = (s: string): { r: number; w: boolean } | undefined => {
  const m = /^([rw])(\d+)$/.exec(s.trim());
  return m ? { r: Number(m[2]), w: m[1] === 'w' } : undefined;
};
const imm32 = (s: string): number => { const v = num(s); return v > 0x7fffffff ? v - 0x1_0000_0000 : v; };

/** Result of assembling one case. */
export interface Assembled {
  insns: Insn[];
  unsupported?: string;
  /** Slot of each label's first instruction. */
  labels?: ReadonlyMap<string, number>;
}

function condItems(l: string, op: string, r: string, target: string): Item[] {
  const a = reg(l)!;
  const b = reg(r);
  const w = a.w ? '32' : '64';
  if (op === '&!=') {
    // not encodable directly: jset over an unconditional jump
    const base = `JSET${w}_${b ? 'X' : 'K'}`;
    return [
      { op: base, o: { dst: a.r, ...(b ? { src: b.r } : { imm: imm32(r) }), off: 1 } },
      { op: 'JA', o: {}, target },
    ];
  }
  const name = `${CMP[op]}${w}_${b ? 'X' : 'K'}`;
  return [{ op: name, o: { dst: a.r, ...(b ? { src: b.r } : { imm: imm32(r) }) }, target }];
}

function parseLine(line: string): Item[] {
  let m: RegExpExecArray | null;
  if (line === 'exit') return [{ op: 'EXIT', o: {} }];
  if ((m = /^goto\s+(<[^>]+>)$/.exec(line))) return [{ op: 'JA', o: {}, target: m[1]! }];
  if ((m = /^if\s+(\S+)\s+(\S+)\s+(.+?)\s+goto\s+(<[^>]+>)$/.exec(line))) return condItems(m[1]!, m[2]!, m[3]!, m[4]!);
  if ((m = /^assume\s+(\S+)\s+(\S+)\s+(.+)$/.exec(line))) return condItems(m[1]!, NEG[m[2]!]!, m[3]!, '<__sink>');
  if ((m = /^call\s+(<[^>]+>)$/.exec(line))) return [{ op: 'CALL_LOCAL', o: {}, callTarget: m[1]! }];
  if ((m = /^call\s+(-?\d+)$/.exec(line))) return [{ op: 'CALL_HELPER', o: { imm: num(m[1]!) } }];
  if ((m = /^callx\s+r(\d+)$/.exec(line))) return [{ op: 'CALLX', o: { dst: Number(m[1]) } }];
  if ((m = /^lock\s+\*\(u(\d+)\s*\*\)\((r\d+)\s*([+-])\s*(\d+)\)\s*(\S+)\s+(r\d+)(\s+fetch)?$/.exec(line))) {
    const bits = m[1] === '64' ? '64' : '32';
    const opm: Record<string, string> = { '+=': 'ADD', '|=': 'OR', '&=': 'AND', '^=': 'XOR', 'x=': 'XCHG', 'cx=': 'CMPXCHG' };
    const base = opm[m[5]!]!;
    const fetch = m[7] !== undefined && base !== 'XCHG' && base !== 'CMPXCHG';
    return [{ op: `ATOMIC_${fetch ? 'FETCH_' : ''}${base}${bits}`, o: { dst: reg(m[2]!)!.r, src: reg(m[6]!)!.r, off: (m[3] === '-' ? -1 : 1) * num(m[4]!) } }];
  }
  if ((m = /^\*\(u(\d+)\s*\*\)\((r\d+)\s*([+-])\s*(\d+)\)\s*=\s*(.+)$/.exec(line))) {
    const s = reg(m[5]!);
    const off = (m[3] === '-' ? -1 : 1) * num(m[4]!);
    if (s) return [{ op: `STX${SZ[m[1]!]}`, o: { dst: reg(m[2]!)!.r, src: s.r, off } }];
    return [{ op: `ST${SZ[m[1]!]}`, o: { dst: reg(m[2]!)!.r, imm: imm32(m[5]!), off } }];
  }
  if ((m = /^r0\s*=\s*\*\(u(\d+)\s*\*\)skb\[(.+)\]$/.exec(line))) {
    const inner = m[2]!.trim();
    const r = /^(r\d+)(?:\s*\+\s*(\d+))?$/.exec(inner);
    if (r) return [{ op: `LDIND${SZ[m[1]!]}`, o: { src: reg(r[1]!)!.r, imm: r[2] ? num(r[2]) : 0 } }];
    return [{ op: `LDABS${SZ[m[1]!]}`, o: { imm: num(inner) } }];
  }
  if ((m = /^(r\d+)\s*=\s*\*\(([us])(\d+)\s*\*\)\((r\d+)\s*([+-])\s*(\d+)\)$/.exec(line))) {
    const off = (m[5] === '-' ? -1 : 1) * num(m[6]!);
    return [{ op: `LDX${m[2] === 's' ? 'S' : ''}${SZ[m[3]!]}`, o: { dst: reg(m[1]!)!.r, src: reg(m[4]!)!.r, off } }];
  }
  if ((m = /^(r\d+)\s*=\s*map_fd\s+(\d+)$/.exec(line))) return [{ op: 'LDDW_MAP_FD', o: { dst: reg(m[1]!)!.r, imm: num(m[2]!) } }];
  if ((m = /^(r\d+)\s*=\s*map_fd_programs\s+(\d+)$/.exec(line))) return [{ op: 'LDDW_MAP_FD', o: { dst: reg(m[1]!)!.r, imm: PROG_ARRAY_BASE + num(m[2]!) } }];
  if ((m = /^(r\d+)\s*=\s*map_by_idx\((\d+)\)$/.exec(line))) return [{ op: 'LDDW_MAP_IDX', o: { dst: reg(m[1]!)!.r, imm: num(m[2]!) } }];
  if ((m = /^(r\d+)\s*=\s*(?:map_val\((\d+)\)|mva\(map_by_idx\((\d+)\)\))\s*\+\s*(\d+)$/.exec(line))) {
    const idx = num(m[2] ?? m[3]!);
    return [{ op: 'LDDW_MAP_IDX_VALUE', o: { dst: reg(m[1]!)!.r, imm64: (BigInt(num(m[4]!)) << 32n) | BigInt(idx) } }];
  }
  if ((m = /^(r\d+)\s*=\s*code_addr\((\d+)\)$/.exec(line))) return [{ op: 'LDDW_FUNC', o: { dst: reg(m[1]!)!.r }, callTarget: `#${m[2]}` }];
  if ((m = /^([rw]\d+)\s*=\s*(be|le|swap)(16|32|64)\s+([rw]\d+)$/.exec(line))) {
    const kind = m[2] === 'swap' ? 'BSWAP' : m[2]!.toUpperCase();
    return [{ op: `${kind}${m[3]}`, o: { dst: reg(m[1]!)!.r } }];
  }
  if ((m = /^([rw]\d+)\s*=\s*-\s*([rw]\d+)$/.exec(line)) && m[1]!.slice(1) === m[2]!.slice(1)) {
    return [{ op: `NEG${reg(m[1]!)!.w ? '32' : '64'}`, o: { dst: reg(m[1]!)!.r } }];
  }
  if ((m = /^([rw]\d+)\s*s(8|16|32)=\s*([rw]\d+)$/.exec(line))) {
    const d = reg(m[1]!)!;
    return [{ op: `MOVSX${d.w ? '32' : '64'}_${m[2]}`, o: { dst: d.r, src: reg(m[3]!)!.r } }];
  }
  if ((m = /^([rw]\d+)\s*=\s*(-?\s*(?:0x[0-9a-fA-F]+|\d+))ll$/.exec(line))) {
    return [{ op: 'LDDW', o: { dst: reg(m[1]!)!.r, imm64: BigInt.asUintN(64, big(m[2]!.replace(/\s/g, ''))) } }];
  }
  if ((m = /^([rw]\d+)\s*(s>>=|s\/=|s%=|<<=|>>=|\+=|-=|\*=|\/=|%=|\|=|&=|\^=|=)\s*(.+)$/.exec(line))) {
    const d = reg(m[1]!)!;
    const s = reg(m[3]!);
    const w = d.w ? '32' : '64';
    const name = `${ALU[m[2]!]}${w}_${s ? 'X' : 'K'}`;
    if (s) return [{ op: name, o: { dst: d.r, src: s.r } }];
    const v = big(m[3]!.replace(/\s/g, ''));
    if (m[2] === '=' && !d.w && (v > 0x7fffffffn || v < -0x80000000n)) {
      return [{ op: 'LDDW', o: { dst: d.r, imm64: BigInt.asUintN(64, v) } }];
    }
    return [{ op: name, o: { dst: d.r, imm: Number(BigInt.asIntN(32, v)) } }];
  }
  throw new Error(`unsupported: ${line}`);
}

/** Assemble a case's `code` map (labels in order). */
export function assemblePrevail(code: Record<string, string>): Assembled {
  const items: Item[] = [];
  const labelAt = new Map<string, number>();
  const prevailIndex: number[] = [];
  try {
    for (const [label, body] of Object.entries(code)) {
      labelAt.set(label, items.length);
      for (const raw of body.split('\n')) {
        const line = raw.replace(/;.*$/, '').trim();
        if (line === '') continue;
        prevailIndex.push(items.length);
        items.push(...parseLine(line));
      }
    }
  } catch (e) {
    return { insns: [], unsupported: (e as Error).message };
  }
  const last = items[items.length - 1];
  if (last === undefined || (last.op !== 'EXIT' && last.op !== 'JA')) items.push({ op: 'EXIT', o: {} });
  if (items.some((it) => it.target === '<__sink>')) {
    labelAt.set('<__sink>', items.length);
    items.push({ op: 'MOV64_K', o: { dst: 0, imm: 0 } }, { op: 'EXIT', o: {} });
  }
  // slot positions (lddw takes two)
  const pcOf: number[] = [];
  let pc = 0;
  for (const it of items) { pcOf.push(pc); pc += it.op.startsWith('LDDW') ? 2 : 1; }
  pcOf.push(pc);
  const resolve = (t: string): number | undefined => {
    if (t.startsWith('#')) { const k = prevailIndex[Number(t.slice(1))]; return k === undefined ? undefined : pcOf[k]; }
    const k = labelAt.get(t);
    return k === undefined ? undefined : pcOf[k];
  };
  const insns: Insn[] = [];
  for (let k = 0; k < items.length; k++) {
    const it = items[k]!;
    const op = OP[it.op];
    if (op === undefined) return { insns: [], unsupported: `no opcode ${it.op}` };
    const o = { ...it.o, pc: pcOf[k]! };
    if (it.target !== undefined) {
      const t = resolve(it.target);
      if (t === undefined) return { insns: [], unsupported: `label ${it.target}` };
      if (it.op === 'JA' || it.op.startsWith('J')) o.off = t - pcOf[k]! - 1;
    }
    if (it.callTarget !== undefined) {
      const t = resolve(it.callTarget);
      if (t === undefined) return { insns: [], unsupported: `call target ${it.callTarget}` };
      o.imm = t - pcOf[k]! - 1;
    }
    insns.push(make(op, it.op === 'LDDW_FUNC' ? { ...o, imm64: BigInt.asUintN(32, BigInt(o.imm ?? 0)) } : o));
  }
  void LddwSrc;
  return { insns, labels: new Map([...labelAt].map(([l, k]) => [l, pcOf[k]!] as const)) };
}

/** Assemble text in which `<label>:` lines start blocks (one block per label, `<start>` first). */
export function assembleLabelled(code: string): Assembled {
  const blocks: Record<string, string> = {};
  let label = '<start>';
  for (const line of code.split('\n')) {
    const m = /^\s*(<\w+>):\s*$/.exec(line);
    if (m !== null) { label = m[1]!; continue; }
    if (line.trim() !== '') blocks[label] = `${blocks[label] ?? ''}${line.trim()}\n`;
  }
  return assemblePrevail(blocks);
}
