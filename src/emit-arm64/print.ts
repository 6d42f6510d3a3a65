/**
 * @file AArch64 instruction records → assembly text in the spelling llvm
 * prints (`llvm-mc -triple=aarch64 -mattr=+lse --show-encoding`), aliases
 * included (MOV, CMP, TST, NEG, LSL, CSET, ...), so that assembling the text
 * gives back exactly the bytes `encode` makes. Alias choices follow the
 * "preferred disassembly" conditions of each instruction in the Arm ARM
 * (DDI 0487) C6.2, with llvm's choice for MOV (bitmask immediate) (see `movableByMoveWide`).
 */

import { condName, negate } from './cond.js';
import { encodeBitmask } from './bitmask.js';
import { unreachable } from '../diag/errors.js';
import type { Inst, LdStOp, Reg, Shift } from './insts.js';

/** How to print a branch target given its byte offset; default `#offset`. */
export type TargetNamer = (offset: number) => string;

const defaultTarget: TargetNamer = (offset) => `#${offset}`;

/** A register where 31 is the zero register. */
export function regName(r: Reg, sf: boolean): string {
  if (r === 31) return sf ? 'xzr' : 'wzr';
  return `${sf ? 'x' : 'w'}${r}`;
}
/** A register where 31 is the stack pointer. */
export function regNameSp(r: Reg, sf: boolean): string {
  if (r === 31) return sf ? 'sp' : 'wsp';
  return `${sf ? 'x' : 'w'}${r}`;
}

const shiftSuffix = (shift: Shift, amount: number): string =>
  shift === 'lsl' && amount === 0 ? '' : `, ${shift} #${amount}`;

/** A value as llvm prints a MOV immediate: signed decimal at the register width. */
const signedImm = (v: bigint, sf: boolean): string => BigInt.asIntN(sf ? 64 : 32, v).toString();

/**
 * Whether `v` is a single MOVZ or MOVN at the width. llvm prints
 * `orr rd, zr, #imm` as `mov rd, #imm` only when it is neither, because it
 * assembles `mov rd, #imm` to MOVZ/MOVN whenever one of them can hold the
 * value (checked against llvm-mc for every bitmask immediate in the tests).
 */
function movableByMoveWide(v: bigint, sf: boolean): boolean {
  const m = sf ? 0xffffffffffffffffn : 0xffffffffn;
  const single = (x: bigint): boolean => {
    for (let hw = 0n; hw < (sf ? 4n : 2n); hw++) if ((x & ~(0xffffn << (16n * hw)) & m) === 0n) return true;
    return false;
  };
  return single(v & m) || single(~v & m);
}

/** Mnemonic of a load/store in its unscaled-offset form (LDUR, STURB, ...). */
function unscaledName(op: LdStOp): string {
  return op.replace(/^(ld|st)r/, '$1ur');
}

/** Whether the transfer register of a load/store is an X register. */
function rtIsX(op: LdStOp, sf: boolean): boolean {
  switch (op) {
    case 'ldrsw': return true;
    case 'ldr': case 'str': case 'ldrsb': case 'ldrsh': return sf;
    default: return false;
  }
}

/** Print one instruction. `target` names branch destinations (labels). */
export function printInst(i: Inst, target: TargetNamer = defaultTarget): string {
  switch (i.kind) {
    case 'addSubImm': {
      const sh = i.lsl12 ? ', lsl #12' : '';
      if (i.op === 'add' && i.imm12 === 0 && !i.lsl12 && (i.rd === 31 || i.rn === 31)) {
        return `mov ${regNameSp(i.rd, i.sf)}, ${regNameSp(i.rn, i.sf)}`;
      }
      if (i.op === 'subs' && i.rd === 31) return `cmp ${regNameSp(i.rn, i.sf)}, #${i.imm12}${sh}`;
      if (i.op === 'adds' && i.rd === 31) return `cmn ${regNameSp(i.rn, i.sf)}, #${i.imm12}${sh}`;
      const rd = i.op === 'add' || i.op === 'sub' ? regNameSp(i.rd, i.sf) : regName(i.rd, i.sf);
      return `${i.op} ${rd}, ${regNameSp(i.rn, i.sf)}, #${i.imm12}${sh}`;
    }
    case 'addSubReg': {
      const sh = shiftSuffix(i.shift, i.amount);
      const rm = regName(i.rm, i.sf);
      if (i.op === 'subs' && i.rd === 31) return `cmp ${regName(i.rn, i.sf)}, ${rm}${sh}`;
      if (i.op === 'adds' && i.rd === 31) return `cmn ${regName(i.rn, i.sf)}, ${rm}${sh}`;
      if (i.op === 'sub' && i.rn === 31) return `neg ${regName(i.rd, i.sf)}, ${rm}${sh}`;
      if (i.op === 'subs' && i.rn === 31) return `negs ${regName(i.rd, i.sf)}, ${rm}${sh}`;
      return `${i.op} ${regName(i.rd, i.sf)}, ${regName(i.rn, i.sf)}, ${rm}${sh}`;
    }
    case 'logicalImm': {
      const v = BigInt.asUintN(i.sf ? 64 : 32, i.imm);
      const hex = `#0x${v.toString(16)}`;
      if (i.op === 'ands' && i.rd === 31) return `tst ${regName(i.rn, i.sf)}, ${hex}`;
      if (i.op === 'orr' && i.rn === 31) {
        if (encodeBitmask(v, i.sf) !== undefined && !movableByMoveWide(v, i.sf)) {
          return `mov ${regNameSp(i.rd, i.sf)}, #${signedImm(v, i.sf)}`;
        }
      }
      const rd = i.op === 'ands' ? regName(i.rd, i.sf) : regNameSp(i.rd, i.sf);
      return `${i.op} ${rd}, ${regName(i.rn, i.sf)}, ${hex}`;
    }
    case 'logicalReg': {
      const sh = shiftSuffix(i.shift, i.amount);
      const rm = regName(i.rm, i.sf);
      if (i.op === 'orr' && i.rn === 31 && i.shift === 'lsl' && i.amount === 0) return `mov ${regName(i.rd, i.sf)}, ${rm}`;
      if (i.op === 'orn' && i.rn === 31) return `mvn ${regName(i.rd, i.sf)}, ${rm}${sh}`;
      if (i.op === 'ands' && i.rd === 31) return `tst ${regName(i.rn, i.sf)}, ${rm}${sh}`;
      return `${i.op} ${regName(i.rd, i.sf)}, ${regName(i.rn, i.sf)}, ${rm}${sh}`;
    }
    case 'moveWide': {
      const rd = regName(i.rd, i.sf);
      const value = BigInt(i.imm16) << BigInt(16 * i.hw);
      const shifted = i.imm16 === 0 && i.hw !== 0;
      if (i.op === 'movz' && !shifted) return `mov ${rd}, #${signedImm(value, i.sf)}`;
      if (i.op === 'movn' && !shifted && (i.sf || i.imm16 !== 0xffff)) return `mov ${rd}, #${signedImm(~value, i.sf)}`;
      return `${i.op} ${rd}, #${i.imm16}${i.hw !== 0 ? `, lsl #${16 * i.hw}` : ''}`;
    }
    case 'bitfield': {
      const w = i.sf ? 64 : 32;
      const rd = regName(i.rd, i.sf), rn = regName(i.rn, i.sf);
      const { immr, imms } = i;
      if (i.op === 'sbfm') {
        if (imms === w - 1) return `asr ${rd}, ${rn}, #${immr}`;
        if (immr === 0 && (imms === 7 || imms === 15 || (imms === 31 && i.sf))) {
          return `sxt${imms === 7 ? 'b' : imms === 15 ? 'h' : 'w'} ${rd}, ${regName(i.rn, false)}`;
        }
        if (imms < immr) return `sbfiz ${rd}, ${rn}, #${(w - immr) % w}, #${imms + 1}`;
        return `sbfx ${rd}, ${rn}, #${immr}, #${imms - immr + 1}`;
      }
      if (imms !== w - 1 && imms + 1 === immr) return `lsl ${rd}, ${rn}, #${w - 1 - imms}`;
      if (imms === w - 1) return `lsr ${rd}, ${rn}, #${immr}`;
      if (!i.sf && immr === 0 && (imms === 7 || imms === 15)) return `uxt${imms === 7 ? 'b' : 'h'} ${rd}, ${rn}`;
      if (imms < immr) return `ubfiz ${rd}, ${rn}, #${(w - immr) % w}, #${imms + 1}`;
      return `ubfx ${rd}, ${rn}, #${immr}, #${imms - immr + 1}`;
    }
    case 'dp2': {
      const name = { udiv: 'udiv', sdiv: 'sdiv', lslv: 'lsl', lsrv: 'lsr', asrv: 'asr', rorv: 'ror' }[i.op];
      return `${name} ${regName(i.rd, i.sf)}, ${regName(i.rn, i.sf)}, ${regName(i.rm, i.sf)}`;
    }
    case 'dp1':
      return `${i.op} ${regName(i.rd, i.sf)}, ${regName(i.rn, i.sf)}`;
    case 'dp3': {
      const r = (x: Reg): string => regName(x, i.sf);
      if (i.op === 'umulh' || i.op === 'smulh') return `${i.op} ${r(i.rd)}, ${r(i.rn)}, ${r(i.rm)}`;
      if (i.ra === 31) return `${i.op === 'madd' ? 'mul' : 'mneg'} ${r(i.rd)}, ${r(i.rn)}, ${r(i.rm)}`;
      return `${i.op} ${r(i.rd)}, ${r(i.rn)}, ${r(i.rm)}, ${r(i.ra)}`;
    }
    case 'condSelect': {
      const r = (x: Reg): string => regName(x, i.sf);
      const invertible = (i.cond & 14) !== 14;
      if (invertible && i.rn === i.rm) {
        const inv = condName(negate(i.cond));
        if (i.op === 'csinc') return i.rn === 31 ? `cset ${r(i.rd)}, ${inv}` : `cinc ${r(i.rd)}, ${r(i.rn)}, ${inv}`;
        if (i.op === 'csinv') return i.rn === 31 ? `csetm ${r(i.rd)}, ${inv}` : `cinv ${r(i.rd)}, ${r(i.rn)}, ${inv}`;
        if (i.op === 'csneg') return `cneg ${r(i.rd)}, ${r(i.rn)}, ${inv}`;
      }
      return `${i.op} ${r(i.rd)}, ${r(i.rn)}, ${r(i.rm)}, ${condName(i.cond)}`;
    }
    case 'branchImm': return `${i.link ? 'bl' : 'b'} ${target(i.offset)}`;
    case 'branchCond': return `b.${condName(i.cond)} ${target(i.offset)}`;
    case 'compareBranch': return `${i.nonzero ? 'cbnz' : 'cbz'} ${regName(i.rt, i.sf)}, ${target(i.offset)}`;
    case 'testBranch':
      return `${i.nonzero ? 'tbnz' : 'tbz'} ${regName(i.rt, i.bit >= 32)}, #${i.bit}, ${target(i.offset)}`;
    case 'branchReg':
      if (i.op === 'ret') return i.rn === 30 ? 'ret' : `ret ${regName(i.rn, true)}`;
      return `${i.op} ${regName(i.rn, true)}`;
    case 'loadStore': {
      const rt = regName(i.rt, rtIsX(i.op, i.sf));
      const rn = regNameSp(i.rn, true);
      switch (i.mode) {
        case 'uimm': return `${i.op} ${rt}, [${rn}${i.offset === 0 ? '' : `, #${i.offset}`}]`;
        case 'unscaled': return `${unscaledName(i.op)} ${rt}, [${rn}${i.offset === 0 ? '' : `, #${i.offset}`}]`;
        case 'pre': return `${i.op} ${rt}, [${rn}, #${i.offset}]!`;
        case 'post': return `${i.op} ${rt}, [${rn}], #${i.offset}`;
      }
      break;
    }
    case 'loadStoreReg': {
      const rt = regName(i.rt, rtIsX(i.op, i.sf));
      const rm = regName(i.rm, i.extend === 'lsl' || i.extend === 'sxtx');
      const bytes = i.op.endsWith('b') ? 1 : i.op.endsWith('h') ? 2 : i.op === 'ldrsw' ? 4 : i.sf ? 8 : 4;
      const amount = i.scaled ? Math.log2(bytes) : 0;
      let ext = '';
      if (i.extend === 'lsl') ext = i.scaled ? `, lsl #${amount}` : '';
      else ext = `, ${i.extend}${i.scaled ? ` #${amount}` : ''}`;
      return `${i.op} ${rt}, [${regNameSp(i.rn, true)}, ${rm}${ext}]`;
    }
    case 'loadStorePair': {
      const name = i.load ? 'ldp' : 'stp';
      const regs = `${regName(i.rt, i.sf)}, ${regName(i.rt2, i.sf)}`;
      const rn = regNameSp(i.rn, true);
      switch (i.mode) {
        case 'offset': return `${name} ${regs}, [${rn}${i.offset === 0 ? '' : `, #${i.offset}`}]`;
        case 'pre': return `${name} ${regs}, [${rn}, #${i.offset}]!`;
        case 'post': return `${name} ${regs}, [${rn}], #${i.offset}`;
      }
      break;
    }
    case 'exclusive': {
      const suffix = i.size === 1 ? 'b' : i.size === 2 ? 'h' : '';
      const rt = regName(i.rt, i.size === 8);
      const rn = regNameSp(i.rn, true);
      if (i.op === 'ldxr' || i.op === 'ldaxr') return `${i.op}${suffix} ${rt}, [${rn}]`;
      return `${i.op}${suffix} ${regName(i.rs, false)}, ${rt}, [${rn}]`;
    }
    case 'atomic': {
      const sf = i.size === 8;
      const rn = regNameSp(i.rn, true);
      const acquire = i.order === 'a' || i.order === 'al';
      if (i.op !== 'swp' && !acquire && i.rt === 31) {
        const st = `st${i.op.slice(2)}${i.order === 'l' ? 'l' : ''}`;
        return `${st} ${regName(i.rs, sf)}, [${rn}]`;
      }
      return `${i.op}${i.order} ${regName(i.rs, sf)}, ${regName(i.rt, sf)}, [${rn}]`;
    }
    case 'cas': {
      const sf = i.size === 8;
      return `cas${i.order} ${regName(i.rs, sf)}, ${regName(i.rt, sf)}, [${regNameSp(i.rn, true)}]`;
    }
    case 'nop': return 'nop';
    case 'brk': return i.imm16 === 0 ? 'brk #0' : `brk #0x${i.imm16.toString(16)}`;
  }
  return unreachable(i, 'instruction kind');
}

/** Print a sequence, one instruction a line, tab-indented like llvm-mc output. */
export function printAll(insts: readonly Inst[], target: TargetNamer = defaultTarget): string {
  return insts.map((i) => `\t${printInst(i, target)}\n`).join('');
}

/** The byte offset a branch record jumps by, if it is a PC-relative branch. */
function branchOffset(i: Inst): number | undefined {
  switch (i.kind) {
    case 'branchImm': case 'branchCond': case 'compareBranch': case 'testBranch': return i.offset;
    default: return undefined;
  }
}

/**
 * Print a whole function with labels (`<prefix><index>`, the instruction
 * index of the target; `prefix` defaults to `.L`) in place of PC-relative offsets, as a listing llvm-mc
 * assembles back to `encodeAll(insts)`. Targets outside the function keep
 * their `#offset` form.
 */
export function printProgram(insts: readonly Inst[], prefix = '.L'): string {
  const labels = new Set<number>();
  insts.forEach((i, k) => {
    const off = branchOffset(i);
    if (off !== undefined) {
      const target = k + off / 4;
      if (target >= 0 && target <= insts.length) labels.add(target);
    }
  });
  let out = '';
  insts.forEach((i, k) => {
    if (labels.has(k)) out += `${prefix}${k}:\n`;
    out += `\t${printInst(i, (off) => (labels.has(k + off / 4) ? `${prefix}${k + off / 4}` : `#${off}`))}\n`;
  });
  if (labels.has(insts.length)) out += `${prefix}${insts.length}:\n`;
  return out;
}
