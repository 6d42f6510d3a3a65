/**
 * @file Test support: random valid eBPF programs — ALU32/64 (every operation,
 * immediate and register forms, sign extension, byte swaps), forward
 * conditional jumps, bounded (counted, nested) loops, stack and input memory
 * of every width, atomics, helper calls and bpf-to-bpf calls — built from the
 * opcode table.
 *
 * Register discipline, so that every register read is defined and the
 * programs mean the same to the interpreter and to the lifter: r6 holds the
 * input address (r1 on entry), r8/r9 are loop counters, r0 r2 r3 r4 r5 r7 are
 * general; after a call r2..r5 are written again before use.
 */
import { make, type Insn } from '../../src/isa/insn.js';
import { OPCODES, type OpcodeRow } from '../../src/isa/opcodes.js';

const GENERAL = [0, 2, 3, 4, 5, 7];
const CTX = 6;
const COUNTERS = [8, 9];

/** Bytes of the input region r1 points to. */
export const PROG_INPUT_SIZE = 64;
/** Bytes of each frame the programs use (zeroed first). */
const FRAME_BYTES = 128;

interface Pending {
  readonly row: number;
  readonly dst?: number;
  readonly src?: number;
  readonly off?: number;
  readonly imm?: number;
  readonly imm64?: bigint;
  /** Jump or call target label. */
  readonly target?: number;
}

const rowsWhere = (p: (r: OpcodeRow) => boolean): number[] =>
  OPCODES.map((r, i) => [r, i] as const).filter(([r]) => p(r)).map(([, i]) => i);

const ALU_ROWS = rowsWhere((r) => (r.kind === 'alu' || r.kind === 'neg' || r.kind === 'end'));
const JCOND_ROWS = rowsWhere((r) => r.kind === 'jcond');
const LDX_ROWS = rowsWhere((r) => r.kind === 'ldx');
const ST_ROWS = rowsWhere((r) => r.kind === 'st' || r.kind === 'stx');
const ATOMIC_ROWS = rowsWhere((r) => r.kind === 'atomic');
const ROW = (name: string): number => OPCODES.findIndex((r) => r.name === name);

/** A random program (instructions with pcs set) with `subs` subprograms. */
export function randomProgram(r: () => number, subs = 2): Insn[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number): number => Math.floor(r() * n);
  const imm32 = (): number => pick([0, 1, -1, 2, 7, 31, 32, 63, 0x7fffffff, -0x80000000, 0xff, 0x8000, int(2 ** 31) - 2 ** 30]);
  const out: Pending[] = [];
  const labels: number[] = [];
  const label = (): number => { labels.push(-1); return labels.length - 1; };
  const place = (l: number): void => { labels[l] = out.length; };
  const subLabels = Array.from({ length: subs }, () => label());
  let budget = 0;

  const aluRow = (): void => {
    const row = pick(ALU_ROWS);
    const o = OPCODES[row]!;
    const dst = pick(GENERAL);
    if (o.kind === 'neg' || o.kind === 'end') { out.push({ row, dst }); return; }
    if (o.source === 'X') { out.push({ row, dst, src: pick([...GENERAL, CTX]) }); return; }
    let imm = imm32();
    if (o.alu === 'lsh' || o.alu === 'rsh' || o.alu === 'arsh') imm = int(o.width);
    if ((o.alu === 'div' || o.alu === 'mod' || o.alu === 'sdiv' || o.alu === 'smod') && imm === 0) imm = 3;
    out.push({ row, dst, imm });
  };

  const memory = (inSub: boolean): void => {
    const stack = inSub ? r() < 0.6 : r() < 0.5;
    const roll = r();
    const rowList = roll < 0.45 ? LDX_ROWS : roll < 0.85 ? ST_ROWS : ATOMIC_ROWS;
    const row = pick(rowList);
    const o = OPCODES[row]!;
    const size = o.size!;
    const off = stack ? -size * (1 + int(FRAME_BYTES / size)) : size * int(PROG_INPUT_SIZE / size);
    const base = stack ? 10 : CTX;
    if (o.kind === 'ldx') out.push({ row, dst: pick(GENERAL), src: base, off });
    else if (o.kind === 'st') out.push({ row, dst: base, off, imm: imm32() });
    else out.push({ row, dst: base, src: pick(GENERAL), off });
  };

  const body = (n: number, depth: number, inSub: boolean, sub: number): void => {
    for (let i = 0; i < n && budget > 0; i++) {
      budget--;
      const roll = r();
      if (roll < 0.4) aluRow();
      else if (roll < 0.65) memory(inSub);
      else if (roll < 0.78) {
        // forward conditional jump over a nested body
        const row = pick(JCOND_ROWS);
        const o = OPCODES[row]!;
        const l = label();
        if (o.source === 'X') out.push({ row, dst: pick(GENERAL), src: pick(GENERAL), target: l });
        else out.push({ row, dst: pick(GENERAL), imm: imm32(), target: l });
        body(1 + int(4), depth, inSub, sub);
        if (r() < 0.3) {
          const l2 = label();
          out.push({ row: ROW('JA'), target: l2 });
          place(l);
          body(1 + int(3), depth, inSub, sub);
          place(l2);
        } else place(l);
      } else if (roll < 0.86 && depth < COUNTERS.length) {
        // counted loop: mov rC, N; L: body; add rC, -1; jne rC, 0, L
        const c = COUNTERS[depth]!;
        out.push({ row: ROW('MOV64_K'), dst: c, imm: 1 + int(5) });
        const l = label();
        place(l);
        body(1 + int(5), depth + 1, inSub, sub);
        out.push({ row: ROW('ADD64_K'), dst: c, imm: -1 });
        out.push({ row: ROW('JNE64_K'), dst: c, imm: 0, target: l });
      } else if (roll < 0.92 && sub + 1 < subs) {
        // call a later subprogram (acyclic, so at most `subs` + 1 frames)
        const callee = sub + 1 + int(subs - sub - 1);
        out.push({ row: ROW('MOV64_X'), dst: 1, src: CTX });
        for (const a of [2, 3, 4, 5]) if (r() < 0.5) out.push({ row: ROW('MOV64_K'), dst: a, imm: imm32() });
        out.push({ row: ROW('CALL_LOCAL'), target: subLabels[callee]! });
        for (const a of [2, 3, 4, 5]) out.push({ row: ROW('MOV64_K'), dst: a, imm: imm32() });
      } else if (roll < 0.95) {
        // helper 1 of the tests' helper table: r1..r5 in, r0 out, r1..r5 clobbered
        for (const a of [1, 2, 3, 4, 5]) out.push({ row: ROW('MOV64_X'), dst: a, src: pick([...GENERAL, CTX]) });
        out.push({ row: ROW('CALL_HELPER'), imm: 1 });
        for (const a of [2, 3, 4, 5]) out.push({ row: ROW('MOV64_K'), dst: a, imm: imm32() });
      } else {
        const dst = pick(GENERAL);
        const v = BigInt.asUintN(64, BigInt(int(2 ** 32)) << 32n | BigInt(int(2 ** 32)));
        out.push({ row: ROW('LDDW'), dst, imm64: v });
      }
    }
  };

  const prologue = (): void => {
    out.push({ row: ROW('MOV64_X'), dst: CTX, src: 1 });
    for (let k = 1; k <= FRAME_BYTES / 8; k++) out.push({ row: ROW('STDW'), dst: 10, off: -8 * k, imm: 0 });
    for (const g of GENERAL) out.push({ row: ROW('MOV64_K'), dst: g, imm: imm32() });
  };

  // main, then the subprograms: sub k may call subs > k.
  prologue();
  budget = 40;
  body(10 + int(20), 0, false, -1);
  out.push({ row: ROW('EXIT') });
  for (let s = 0; s < subs; s++) {
    place(subLabels[s]!);
    prologue();
    budget = 20;
    body(4 + int(10), 0, true, s);
    out.push({ row: ROW('EXIT') });
  }

  // Resolve labels to pcs (lddw takes two slots).
  const pcs: number[] = [];
  let pc = 0;
  for (const p of out) { pcs.push(pc); pc += OPCODES[p.row]!.kind === 'lddw' ? 2 : 1; }
  pcs.push(pc);
  return out.map((p, i) => {
    let off = p.off ?? 0;
    let imm = p.imm ?? 0;
    if (p.target !== undefined) {
      const rel = pcs[labels[p.target]!]! - pcs[i]! - 1;
      if (OPCODES[p.row]!.kind === 'call') imm = rel; else off = rel;
    }
    return make(p.row, {
      ...(p.dst !== undefined ? { dst: p.dst } : {}), ...(p.src !== undefined ? { src: p.src } : {}),
      off, imm, ...(p.imm64 !== undefined ? { imm64: p.imm64 } : {}), pc: pcs[i]!,
    });
  });
}
