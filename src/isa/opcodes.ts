/**
 * @file THE opcode table: one row per eBPF instruction of RFC 9669 (v1–v4) plus
 * `callx`. Decode, encode, validation, both disassemblers, the assembler, the
 * interpreter, the verifier and the lifter all read this table.
 *
 * Instruction slot layout (RFC 9669 §3, little-endian):
 *
 * ```
 *   byte  0        1          2..3        4..7
 *       +--------+----+----+-----------+-----------------+
 *       | opcode |src |dst |  offset   |   immediate     |
 *       +--------+----+----+-----------+-----------------+
 *                 hi4  lo4   s16         s32
 *
 *   opcode, arithmetic and jump classes:   | code:4 | source:1 | class:3 |
 *   opcode, load and store classes:        | mode:3 | size:2   | class:3 |
 * ```
 *
 * Several instructions share an opcode byte and differ by another field
 * (signed division by `off`, `movsx` by `off`, atomics by `imm`, byte swaps by
 * `imm`, the 64-bit immediate load and calls by `src`). Each of them is its
 * own row here, with the distinguishing field in `match`, so that everything
 * downstream sees one explicit operation per row.
 */

/** Instruction classes (RFC 9669 §3.1). */
export const Class = {
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07,
} as const;

/** Load/store modes (RFC 9669 §5.1). */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** Load/store sizes (RFC 9669 §5.1), by access width in bytes. */
export const SizeBits = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 } as const;

/** Source bit (RFC 9669 §3.1): K = immediate, X = register. */
export const Source = { K: 0x00, X: 0x08 } as const;

/** Arithmetic operations (RFC 9669 §4.1), as the `code` nibble shifted into place. */
export const AluCode = {
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70,
  NEG: 0x80, MOD: 0x90, XOR: 0xa0, MOV: 0xb0, ARSH: 0xc0, END: 0xd0,
} as const;

/** Jump operations (RFC 9669 §4.3). */
export const JmpCode = {
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40, JNE: 0x50, JSGT: 0x60, JSGE: 0x70,
  CALL: 0x80, EXIT: 0x90, JLT: 0xa0, JLE: 0xb0, JSLT: 0xc0, JSLE: 0xd0,
} as const;

/** Atomic operations, carried in `imm` (RFC 9669 §5.3). */
export const AtomicImm = {
  ADD: 0x00, OR: 0x40, AND: 0x50, XOR: 0xa0, FETCH: 0x01, XCHG: 0xe1, CMPXCHG: 0xf1,
} as const;

/**
 * Pseudo source kinds of the 64-bit immediate load (RFC 9669 §5.4,
 * `BPF_PSEUDO_*` in the kernel's `include/uapi/linux/bpf.h`).
 */
export const LddwSrc = {
  IMM64: 0, MAP_FD: 1, MAP_VALUE: 2, BTF_ID: 3, FUNC: 4, MAP_IDX: 5, MAP_IDX_VALUE: 6,
} as const;

/** Kinds of `call` by the `src` field (RFC 9669 §4.3.1). */
export const CallSrc = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

/** What an instruction does, at the coarsest level. */
export type Kind =
  | 'alu' | 'neg' | 'end' | 'ja' | 'jcond' | 'call' | 'callx' | 'exit'
  | 'lddw' | 'ldabs' | 'ldind' | 'ldx' | 'st' | 'stx' | 'atomic';

/** Binary arithmetic operations (lower-case RFC names). */
export type AluOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'mod' | 'smod'
  | 'xor' | 'mov' | 'movsx' | 'arsh';

/** Conditions of conditional jumps. */
export type JmpCond =
  | 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';

/** Atomic read-modify-write operations. */
export type AtomicOp = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';

/** Byte-order operations: to little-endian, to big-endian, unconditional swap. */
export type EndOp = 'le' | 'be' | 'bswap';

/**
 * What a field may hold, for validation:
 * - `zero`: must be 0;
 * - `reg`: a register r0..r10 (read);
 * - `wreg`: a register r0..r9 (written; r10 is read-only);
 * - `any`: anything;
 * - `match`: the value that selects this row (see `match`).
 */
export type FieldRule = 'zero' | 'reg' | 'wreg' | 'any' | 'match';

/** The field that distinguishes rows sharing an opcode byte. */
export interface Match {
  readonly field: 'off' | 'imm' | 'src';
  readonly value: number;
}

/** Conformance groups (see ../shared/bpf-conformance/README.md). */
export type Group =
  | 'base32' | 'base64' | 'atomic32' | 'atomic64' | 'divmul32' | 'divmul64' | 'packet' | 'callx';

/** One row of the opcode table. */
export interface OpcodeRow {
  /** Unique name, kernel style: `ADD64_K`, `JSLT32_X`, `LDXW`, `ATOMIC_FETCH_ADD64`. */
  readonly name: string;
  /** The opcode byte. */
  readonly code: number;
  /** Distinguishing field, for rows that share `code`. */
  readonly match?: Match;
  readonly kind: Kind;
  /** Operand width of the operation in bits (ALU, JMP32/JMP, atomics). */
  readonly width: 32 | 64;
  /** Register (X) or immediate (K) second operand. */
  readonly source: 'K' | 'X';
  readonly alu?: AluOp;
  readonly cond?: JmpCond;
  readonly atomic?: AtomicOp;
  /** Atomic operations: whether the old value is returned. */
  readonly fetch?: boolean;
  readonly end?: EndOp;
  /** Memory access size in bytes (loads, stores, atomics, legacy packet loads). */
  readonly size?: 1 | 2 | 4 | 8;
  /** Sign-extending load (`ldxs*`) or move (`movsx`). */
  readonly signed?: boolean;
  /** Bits of the source sign-extended by `movsx`. */
  readonly sxBits?: 8 | 16 | 32;
  readonly fields: { readonly dst: FieldRule; readonly src: FieldRule; readonly off: FieldRule; readonly imm: FieldRule };
  /** Mnemonic in the conformance suite's assembler syntax. */
  readonly mnemonic: string;
  /** Minimum CPU version (`-mcpu=v1..v4`). */
  readonly version: 1 | 2 | 3 | 4;
  readonly group: Group;
}

type Fields = OpcodeRow['fields'];
const f = (dst: FieldRule, src: FieldRule, off: FieldRule, imm: FieldRule): Fields => ({ dst, src, off, imm });

const ALU_OPS: ReadonlyArray<readonly [AluOp, number, Match | undefined, 1 | 3 | 4]> = [
  ['add', AluCode.ADD, undefined, 1],
  ['sub', AluCode.SUB, undefined, 1],
  ['mul', AluCode.MUL, undefined, 1],
  ['div', AluCode.DIV, { field: 'off', value: 0 }, 1],
  ['sdiv', AluCode.DIV, { field: 'off', value: 1 }, 4],
  ['or', AluCode.OR, undefined, 1],
  ['and', AluCode.AND, undefined, 1],
  ['lsh', AluCode.LSH, undefined, 1],
  ['rsh', AluCode.RSH, undefined, 1],
  ['mod', AluCode.MOD, { field: 'off', value: 0 }, 1],
  ['smod', AluCode.MOD, { field: 'off', value: 1 }, 4],
  ['xor', AluCode.XOR, undefined, 1],
  ['mov', AluCode.MOV, { field: 'off', value: 0 }, 1],
  ['arsh', AluCode.ARSH, undefined, 1],
];

function aluRows(): OpcodeRow[] {
  const rows: OpcodeRow[] = [];
  for (const width of [64, 32] as const) {
    const cls = width === 64 ? Class.ALU64 : Class.ALU;
    for (const [op, code, match, version] of ALU_OPS) {
      const isDivMul = op === 'mul' || op === 'div' || op === 'sdiv' || op === 'mod' || op === 'smod';
      const group: Group = isDivMul ? (width === 64 ? 'divmul64' : 'divmul32') : (width === 64 ? 'base64' : 'base32');
      const offRule: FieldRule = match?.field === 'off' ? 'match' : 'zero';
      for (const source of ['K', 'X'] as const) {
        rows.push({
          name: `${op.toUpperCase()}${width}_${source}`,
          code: cls | code | Source[source],
          ...(match ? { match } : {}),
          kind: 'alu', width, source, alu: op,
          fields: source === 'K' ? f('wreg', 'zero', offRule, 'any') : f('wreg', 'reg', offRule, 'zero'),
          mnemonic: width === 64 ? op : `${op}32`,
          version, group,
        });
      }
    }
    // Sign-extending moves (v4): MOV | X with off = 8, 16 or 32 (32 only for ALU64).
    for (const bits of width === 64 ? [8, 16, 32] as const : [8, 16] as const) {
      rows.push({
        name: `MOVSX${width}_${bits}`,
        code: cls | AluCode.MOV | Source.X,
        match: { field: 'off', value: bits },
        kind: 'alu', width, source: 'X', alu: 'movsx', signed: true, sxBits: bits,
        fields: f('wreg', 'reg', 'match', 'zero'),
        mnemonic: `movsx${bits}${width}`,
        version: 4, group: width === 64 ? 'base64' : 'base32',
      });
    }
    rows.push({
      name: `NEG${width}`,
      code: cls | AluCode.NEG,
      kind: 'neg', width, source: 'K',
      fields: f('wreg', 'zero', 'zero', 'zero'),
      mnemonic: width === 64 ? 'neg' : 'neg32',
      version: 1, group: width === 64 ? 'base64' : 'base32',
    });
  }
  // Byte order (RFC 9669 §4.2): ALU class with source bit LE/BE, ALU64 with source 0 = bswap.
  const ends: ReadonlyArray<readonly [EndOp, number, string, 1 | 4]> = [
    ['le', Class.ALU | AluCode.END | Source.K, 'le', 1],
    ['be', Class.ALU | AluCode.END | Source.X, 'be', 1],
    ['bswap', Class.ALU64 | AluCode.END | Source.K, 'bswap', 4],
  ];
  for (const [end, code, mn, version] of ends) {
    for (const bits of [16, 32, 64] as const) {
      rows.push({
        name: `${end.toUpperCase()}${bits}`,
        code, match: { field: 'imm', value: bits },
        kind: 'end', width: 64, source: end === 'be' ? 'X' : 'K', end,
        size: (bits / 8) as 2 | 4 | 8,
        fields: f('wreg', 'zero', 'zero', 'match'),
        mnemonic: `${mn}${bits}`,
        version, group: 'base32',
      });
    }
  }
  return rows;
}

const CONDS: ReadonlyArray<readonly [JmpCond, number, 1 | 2]> = [
  ['jeq', JmpCode.JEQ, 1], ['jgt', JmpCode.JGT, 1], ['jge', JmpCode.JGE, 1],
  ['jset', JmpCode.JSET, 1], ['jne', JmpCode.JNE, 1], ['jsgt', JmpCode.JSGT, 1],
  ['jsge', JmpCode.JSGE, 1], ['jlt', JmpCode.JLT, 2], ['jle', JmpCode.JLE, 2],
  ['jslt', JmpCode.JSLT, 2], ['jsle', JmpCode.JSLE, 2],
];

function jmpRows(): OpcodeRow[] {
  const rows: OpcodeRow[] = [];
  rows.push({
    name: 'JA', code: Class.JMP | JmpCode.JA, kind: 'ja', width: 64, source: 'K',
    fields: f('zero', 'zero', 'any', 'zero'), mnemonic: 'ja', version: 1, group: 'base32',
  });
  rows.push({
    name: 'JA32', code: Class.JMP32 | JmpCode.JA, kind: 'ja', width: 32, source: 'K',
    fields: f('zero', 'zero', 'zero', 'any'), mnemonic: 'ja32', version: 4, group: 'base32',
  });
  for (const width of [64, 32] as const) {
    const cls = width === 64 ? Class.JMP : Class.JMP32;
    for (const [cond, code, v] of CONDS) {
      for (const source of ['K', 'X'] as const) {
        rows.push({
          name: `${cond.toUpperCase()}${width}_${source}`,
          code: cls | code | Source[source],
          kind: 'jcond', width, source, cond,
          fields: source === 'K' ? f('reg', 'zero', 'any', 'any') : f('reg', 'reg', 'any', 'zero'),
          mnemonic: width === 64 ? cond : `${cond}32`,
          version: width === 32 ? 3 : v, group: 'base32',
        });
      }
    }
  }
  const call = Class.JMP | JmpCode.CALL;
  rows.push({
    name: 'CALL_HELPER', code: call, match: { field: 'src', value: CallSrc.HELPER }, kind: 'call',
    width: 64, source: 'K', fields: f('zero', 'match', 'zero', 'any'), mnemonic: 'call', version: 1, group: 'base32',
  });
  rows.push({
    name: 'CALL_LOCAL', code: call, match: { field: 'src', value: CallSrc.LOCAL }, kind: 'call',
    width: 64, source: 'K', fields: f('zero', 'match', 'zero', 'any'), mnemonic: 'call local', version: 3, group: 'base32',
  });
  rows.push({
    name: 'CALL_KFUNC', code: call, match: { field: 'src', value: CallSrc.KFUNC }, kind: 'call',
    width: 64, source: 'K', fields: f('zero', 'match', 'any', 'any'), mnemonic: 'call runtime', version: 3, group: 'base32',
  });
  rows.push({
    name: 'CALLX', code: Class.JMP | JmpCode.CALL | Source.X, kind: 'callx',
    width: 64, source: 'X', fields: f('reg', 'zero', 'zero', 'zero'), mnemonic: 'callx', version: 4, group: 'callx',
  });
  rows.push({
    name: 'EXIT', code: Class.JMP | JmpCode.EXIT, kind: 'exit',
    width: 64, source: 'K', fields: f('zero', 'zero', 'zero', 'zero'), mnemonic: 'exit', version: 1, group: 'base32',
  });
  return rows;
}

const SIZES = [[1, 'b'], [2, 'h'], [4, 'w'], [8, 'dw']] as const;

function memRows(): OpcodeRow[] {
  const rows: OpcodeRow[] = [];
  for (const [kindName, value] of Object.entries(LddwSrc)) {
    rows.push({
      name: value === 0 ? 'LDDW' : `LDDW_${kindName}`,
      code: Class.LD | Mode.IMM | SizeBits[8], match: { field: 'src', value },
      kind: 'lddw', width: 64, source: 'K', size: 8,
      fields: f('wreg', 'match', 'zero', 'any'), mnemonic: 'lddw', version: 1, group: 'base64',
    });
  }
  for (const [size, s] of SIZES) {
    if (size === 8) continue; // the kernel has no 64-bit legacy packet load
    rows.push({
      name: `LDABS${s.toUpperCase()}`, code: Class.LD | Mode.ABS | SizeBits[size],
      kind: 'ldabs', width: 64, source: 'K', size,
      fields: f('zero', 'zero', 'zero', 'any'), mnemonic: `ldabs${s}`, version: 1, group: 'packet',
    });
    rows.push({
      name: `LDIND${s.toUpperCase()}`, code: Class.LD | Mode.IND | SizeBits[size],
      kind: 'ldind', width: 64, source: 'X', size,
      fields: f('zero', 'reg', 'zero', 'any'), mnemonic: `ldind${s}`, version: 1, group: 'packet',
    });
  }
  for (const [size, s] of SIZES) {
    const grp: Group = size === 8 ? 'base64' : 'base32';
    rows.push({
      name: `LDX${s.toUpperCase()}`, code: Class.LDX | Mode.MEM | SizeBits[size],
      kind: 'ldx', width: 64, source: 'X', size,
      fields: f('wreg', 'reg', 'any', 'zero'), mnemonic: `ldx${s}`, version: 1, group: grp,
    });
    if (size !== 8) {
      rows.push({
        name: `LDXS${s.toUpperCase()}`, code: Class.LDX | Mode.MEMSX | SizeBits[size],
        kind: 'ldx', width: 64, source: 'X', size, signed: true,
        fields: f('wreg', 'reg', 'any', 'zero'), mnemonic: `ldxs${s}`, version: 4, group: 'base64',
      });
    }
    rows.push({
      name: `ST${s.toUpperCase()}`, code: Class.ST | Mode.MEM | SizeBits[size],
      kind: 'st', width: 64, source: 'K', size,
      fields: f('reg', 'zero', 'any', 'any'), mnemonic: `st${s}`, version: 1, group: grp,
    });
    rows.push({
      name: `STX${s.toUpperCase()}`, code: Class.STX | Mode.MEM | SizeBits[size],
      kind: 'stx', width: 64, source: 'X', size,
      fields: f('reg', 'reg', 'any', 'zero'), mnemonic: `stx${s}`, version: 1, group: grp,
    });
  }
  const atomics: ReadonlyArray<readonly [AtomicOp, boolean, number]> = [
    ['add', false, AtomicImm.ADD], ['or', false, AtomicImm.OR], ['and', false, AtomicImm.AND], ['xor', false, AtomicImm.XOR],
    ['add', true, AtomicImm.ADD | AtomicImm.FETCH], ['or', true, AtomicImm.OR | AtomicImm.FETCH],
    ['and', true, AtomicImm.AND | AtomicImm.FETCH], ['xor', true, AtomicImm.XOR | AtomicImm.FETCH],
    ['xchg', true, AtomicImm.XCHG], ['cmpxchg', true, AtomicImm.CMPXCHG],
  ];
  for (const size of [4, 8] as const) {
    const width = size === 8 ? 64 : 32;
    for (const [op, fetch, imm] of atomics) {
      const plain = op === 'xchg' || op === 'cmpxchg';
      rows.push({
        name: `ATOMIC_${fetch && !plain ? 'FETCH_' : ''}${op.toUpperCase()}${width}`,
        code: Class.STX | Mode.ATOMIC | SizeBits[size], match: { field: 'imm', value: imm },
        kind: 'atomic', width, source: 'X', size, atomic: op, fetch,
        fields: f('reg', 'reg', 'any', 'match'),
        mnemonic: `lock ${fetch && !plain ? 'fetch ' : ''}${op}${width === 32 ? '32' : ''}`,
        version: 3, group: width === 64 ? 'atomic64' : 'atomic32',
      });
    }
  }
  return rows;
}

/** The opcode table. A row's index is its `Op` number. */
export const OPCODES: readonly OpcodeRow[] = Object.freeze([...aluRows(), ...jmpRows(), ...memRows()]);

/** Row index by name, e.g. `OP.ADD64_K`. */
export const OP: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(OPCODES.map((row, index) => [row.name, index])),
);

/** Rows by opcode byte: most bytes have one row, some have several told apart by `match`. */
export const ROWS_BY_CODE: readonly (readonly number[])[] = (() => {
  const byCode: number[][] = Array.from({ length: 256 }, () => []);
  OPCODES.forEach((row, index) => byCode[row.code]!.push(index));
  return byCode;
})();

/** Look up a row by name; throws on a name that is not in the table (a bug, not user input). */
export function opByName(name: string): number {
  const op = OP[name];
  if (op === undefined) throw new Error(`internal error: no opcode row named ${name}`);
  return op;
}
