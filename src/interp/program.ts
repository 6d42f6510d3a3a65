/**
 * @file A program prepared for the interpreter: validated once, then flattened
 * into typed arrays indexed by instruction slot, with each instruction's
 * handler chosen from its opcode-table row, immediates pre-converted, and the
 * pseudo `lddw` kinds resolved through the caller's `LddwResolver`.
 */

import { DiagnosticError, fail } from '../diag/index.js';
import { imm64, type Insn } from '../isa/insn.js';
import { CallSrc, LddwSrc, OPCODES, type AluOp, type AtomicOp, type JmpCond } from '../isa/opcodes.js';
import { branchTarget, validate } from '../isa/validate.js';
import { fromImm } from '../util/u64.js';

/**
 * Supplies the value of an `lddw` whose `src` names a pseudo kind
 * (RFC 9669 §5.4: map by fd or index, map value address, BTF id, function).
 * `kind` is one of `LddwSrc` (1..6); `insn.imm` and `insn.imm2` are the two
 * immediates as encoded. Return the 64-bit value to load, or undefined when
 * unknown (the program is then rejected with `RUN_LDDW_UNRESOLVED`).
 */
export interface LddwResolver {
  resolve(kind: number, insn: Insn): bigint | undefined;
}

/**
 * Interpreter handler numbers: what the dispatch switch runs for a slot. The
 * switches in `interp.ts` and `fast.ts` use these values as literal case
 * labels (so V8 builds a jump table); `test/interp/fast.test.ts` pins them.
 */
export const H = {
  // ALU ops, 64-bit at ALU64 + index, 32-bit at ALU32 + index (index = ALU_INDEX[op])
  ALU64: 0, ALU32: 16,
  NEG64: 32, NEG32: 33, LE: 34, BE: 35, BSWAP: 36,
  JA: 40, JCOND64: 41, JCOND32: 53,
  CALL: 65, CALL_LOCAL: 66, CALL_KFUNC: 67, CALLX: 68, EXIT: 69,
  LDDW: 70, LDABS: 71, LDIND: 72, LDX: 73, LDXS: 74, ST: 75, STX: 76,
  ATOMIC32: 80, ATOMIC64: 88,
  /** The slot just past the last instruction: running it is falling off the end. */
  FELL_OFF: 126,
  /** Second slot of an `lddw`: never executed by a valid program. */
  NONE: 127,
} as const;

/** Position of each ALU operation inside the ALU64/ALU32 handler blocks. */
export const ALU_INDEX: Readonly<Record<AluOp, number>> = {
  add: 0, sub: 1, mul: 2, div: 3, sdiv: 4, or: 5, and: 6, lsh: 7, rsh: 8, mod: 9, smod: 10,
  xor: 11, mov: 12, movsx: 13, arsh: 14,
};

/** Position of each condition inside the JCOND64/JCOND32 handler blocks. */
export const COND_INDEX: Readonly<Record<JmpCond, number>> = {
  jeq: 0, jgt: 1, jge: 2, jset: 3, jne: 4, jsgt: 5, jsge: 6, jlt: 7, jle: 8, jslt: 9, jsle: 10,
};

/** Position of each atomic operation inside the ATOMIC32/ATOMIC64 handler blocks. */
export const ATOMIC_INDEX: Readonly<Record<AtomicOp, number>> = {
  add: 0, or: 1, and: 2, xor: 3, xchg: 4, cmpxchg: 5,
};

/** A program ready to run: one entry per 8-byte slot. */
export interface Program {
  /** Number of slots. */
  readonly length: number;
  /** The instructions it was prepared from. */
  readonly insns: readonly Insn[];
  /** Handler number per slot (`H`). */
  readonly handler: Uint8Array;
  /** Destination register field. */
  readonly dst: Uint8Array;
  /** Source register field. */
  readonly src: Uint8Array;
  /** 1 when the second operand is the register `src`, 0 when it is the immediate. */
  readonly isX: Uint8Array;
  /** The immediate sign-extended to 64 bits (for `lddw`: the loaded value). */
  readonly kimm: bigint[];
  /** Raw 32-bit immediate (helper id, legacy packet offset). */
  readonly imm: Int32Array;
  /** Memory offset. */
  readonly off: Int16Array;
  /** Branch or call target slot, for jumps and local calls. */
  readonly target: Int32Array;
  /** Per-handler detail: access size, byte-order width, movsx bits, atomic fetch flag. */
  readonly aux: Uint8Array;
}

/** Options of `prepare`. */
export interface PrepareOptions {
  /** Resolves pseudo `lddw` kinds; without one, only `src = 0` immediates load. */
  readonly lddw?: LddwResolver;
}

/**
 * Validate and flatten a program. Throws a `DiagnosticError` (the first
 * validation problem, or an unresolved `lddw`) when it cannot run.
 */
export function prepare(insns: readonly Insn[], options: PrepareOptions = {}): Program {
  const problems = validate(insns);
  if (problems.length > 0) throw new DiagnosticError(problems[0]!);
  let length = 0;
  for (const insn of insns) length = insn.pc + (insn.imm2 !== undefined ? 2 : 1);
  // one slot more than the program: `handler[length]` is FELL_OFF, so an interpreter that runs off
  // the end finds out there instead of checking the pc before every instruction
  const slots = length + 1;
  const p = {
    length, insns,
    handler: new Uint8Array(slots).fill(H.NONE),
    dst: new Uint8Array(slots), src: new Uint8Array(slots), isX: new Uint8Array(slots),
    kimm: new Array<bigint>(slots).fill(0n), imm: new Int32Array(slots), off: new Int16Array(slots),
    target: new Int32Array(slots), aux: new Uint8Array(slots),
  };
  p.handler[length] = H.FELL_OFF;
  for (const insn of insns) {
    const row = OPCODES[insn.op]!;
    const pc = insn.pc;
    p.dst[pc] = insn.dst;
    p.src[pc] = insn.src;
    p.isX[pc] = row.source === 'X' ? 1 : 0;
    p.imm[pc] = insn.imm;
    p.off[pc] = insn.off;
    p.kimm[pc] = fromImm(insn.imm);
    p.target[pc] = branchTarget(insn) ?? -1;
    let h: number;
    switch (row.kind) {
      case 'alu':
        h = (row.width === 64 ? H.ALU64 : H.ALU32) + ALU_INDEX[row.alu!];
        if (row.alu === 'movsx') p.aux[pc] = row.sxBits!;
        break;
      case 'neg': h = row.width === 64 ? H.NEG64 : H.NEG32; break;
      case 'end':
        h = row.end === 'le' ? H.LE : row.end === 'be' ? H.BE : H.BSWAP;
        p.aux[pc] = insn.imm;
        p.isX[pc] = 0;
        break;
      case 'ja': h = H.JA; break;
      case 'jcond': h = (row.width === 64 ? H.JCOND64 : H.JCOND32) + COND_INDEX[row.cond!]; break;
      case 'call':
        h = insn.src === CallSrc.HELPER ? H.CALL : insn.src === CallSrc.LOCAL ? H.CALL_LOCAL : H.CALL_KFUNC;
        break;
      case 'callx': h = H.CALLX; p.isX[pc] = 0; break;
      case 'exit': h = H.EXIT; break;
      case 'lddw':
        h = H.LDDW;
        p.kimm[pc] = lddwValue(insn, options.lddw);
        break;
      case 'ldabs': h = H.LDABS; p.aux[pc] = row.size!; break;
      case 'ldind': h = H.LDIND; p.aux[pc] = row.size!; break;
      case 'ldx': h = row.signed ? H.LDXS : H.LDX; p.aux[pc] = row.size!; break;
      case 'st': h = H.ST; p.aux[pc] = row.size!; break;
      case 'stx': h = H.STX; p.aux[pc] = row.size!; break;
      case 'atomic':
        h = (row.width === 64 ? H.ATOMIC64 : H.ATOMIC32) + ATOMIC_INDEX[row.atomic!];
        p.aux[pc] = row.fetch ? 1 : 0;
        break;
    }
    p.handler[pc] = h;
  }
  return p;
}

function lddwValue(insn: Insn, resolver: LddwResolver | undefined): bigint {
  if (insn.src === LddwSrc.IMM64) return imm64(insn);
  const value = resolver?.resolve(insn.src, insn);
  if (value === undefined) fail('RUN_LDDW_UNRESOLVED', { kind: insn.src, imm: insn.imm }, { pc: insn.pc });
  return BigInt.asUintN(64, value);
}
