/**
 * @file The reference interpreter: runs a prepared program with the exact
 * semantics of RFC 9669 over a checked `Memory`.
 *
 * - Every load, store and atomic must fall inside one region of the memory
 *   (stores need a writable one), else the run stops with `RUN_MEMORY_FAULT`
 *   (or `RUN_READONLY`) naming the pc and the address.
 * - bpf-to-bpf calls (`call local`) get a fresh 512-byte frame below the
 *   caller's; r6–r9 and r10 are restored by the interpreter on `exit`, as the
 *   conformance suite requires; at most `MAX_CALL_FRAMES` frames.
 * - `callx` calls the helper whose id is in the register (what the
 *   conformance suite's `callx.data` expects: `call %r2` with r2 = 5 reaches
 *   helper 5).
 * - Legacy packet loads (`ldabs*`, `ldind*`) read big-endian from the packet
 *   the caller gives; out of bounds ends the program with r0 = 0, as the
 *   kernel's `bpf_skb_load_helper` path does. Without a packet every such load
 *   is out of bounds.
 * - An instruction budget bounds every run (`RUN_BUDGET`).
 */

import { DiagnosticError, InternalError, fail } from '../diag/index.js';
import type { HelperEnv, Helpers } from '../abi/helper-env.js';
import { ProgramStop } from '../abi/helper-env.js';
import type { Memory, Region } from '../abi/memory.js';
import type { Insn } from '../isa/insn.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/registers.js';
import * as u from '../util/u64.js';
import { H, prepare, type PrepareOptions, type Program } from './program.js';

/** Default instruction budget of a run. */
export const DEFAULT_BUDGET = 10_000_000;

/** Where the legacy packet loads read from. */
export interface PacketRange {
  /** Address of the first packet byte in the memory. */
  readonly start: number;
  /** Packet length in bytes. */
  readonly size: number;
}

/** What a run needs besides the program. */
export interface RunOptions {
  readonly memory: Memory;
  /** Initial r1..r5 (missing ones are 0). */
  readonly args?: readonly bigint[];
  readonly helpers?: Helpers;
  /**
   * The stack, at least `STACK_SIZE * MAX_CALL_FRAMES` bytes; the outermost
   * frame's r10 is its end. Mapped (and unmapped afterwards) when absent.
   */
  readonly stack?: Region;
  readonly packet?: PacketRange;
  /** Most instructions to execute (default `DEFAULT_BUDGET`). */
  readonly budget?: number;
}

/** The outcome of a run that ended with `exit` (or a helper's stop). */
export interface RunResult {
  readonly r0: bigint;
  /** Instructions executed. */
  readonly insnCount: number;
}

const TWO32 = 2 ** 32;
const NO_HELPERS: Helpers = new Map();

class Env implements HelperEnv {
  pc = 0;
  callback?: HelperEnv['callback'];
  /** At a helper call: the frame depth, the caller's frame pointer and the instructions run so far (for callbacks). */
  depth = 0;
  fp = 0;
  count = 0;
  /** Instructions callbacks ran during the helper call, for the caller's count. */
  nested = 0;
  constructor(readonly memory: Memory, readonly ctx: number) {}
}

/**
 * Where `loop` starts: the program's entry, or a callback a helper runs
 * (`HelperEnv.callback`): its pc, the frames left for it and the program's
 * context, which helpers inside the callback still see.
 */
interface Entry {
  readonly pc: number;
  readonly frames: number;
  readonly ctx?: number;
}

const PROGRAM_ENTRY: Entry = { pc: 0, frames: MAX_CALL_FRAMES };

/** Prepare and run in one step. */
export function interpret(insns: readonly Insn[], options: RunOptions & PrepareOptions): RunResult {
  return run(prepare(insns, options), options);
}

/** Run a prepared program. Faults throw a `DiagnosticError` located at the faulting pc. */
export function run(prog: Program, options: RunOptions): RunResult {
  const mem = options.memory;
  const need = STACK_SIZE * MAX_CALL_FRAMES;
  let stack = options.stack;
  const ownStack = stack === undefined;
  if (stack === undefined) stack = mem.map('stack', 'stack', need, true);
  else if (stack.size < need) fail('RUN_STACK_TOO_SMALL', { region: stack.name, size: stack.size, need });
  try {
    return loop(prog, options, mem, stack.start + stack.size);
  } finally {
    if (ownStack) mem.unmap(stack);
  }
}

function loop(prog: Program, options: RunOptions, mem: Memory, stackTop: number, entry: Entry = PROGRAM_ENTRY): RunResult {
  const { handler, dst: dstA, src: srcA, isX, kimm, imm: immA, off: offA, target, aux, length } = prog;
  const helpers = options.helpers ?? NO_HELPERS;
  const budget = options.budget ?? DEFAULT_BUDGET;
  const packet = options.packet ?? { start: 0, size: 0 };
  const regs: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, BigInt(stackTop)];
  const args = options.args ?? [];
  for (let i = 0; i < 5 && i < args.length; i++) regs[i + 1] = u.u64(args[i]!);
  const env = new Env(mem, entry.ctx ?? Number(regs[1]! < BigInt(TWO32) ? regs[1]! : 0n));
  // Saved caller state per frame: return pc, then r6..r10.
  const retPc = new Int32Array(MAX_CALL_FRAMES);
  const saved: bigint[] = new Array<bigint>(MAX_CALL_FRAMES * 5).fill(0n);
  let depth = 0;
  let pc = entry.pc;
  let count = 0;
  // a callback is a bpf-to-bpf call from the helper's call site, run by a nested loop; it reads the
  // caller's state from `env` (set by `callHelper`), so the loop's own variables stay out of closures
  env.callback = (fn, a, b, c, d, e) => {
    if (fn >= BigInt(length)) fail('RUN_BAD_CALLBACK', { address: fn.toString(16) }, { pc: env.pc });
    if (env.depth + 1 >= entry.frames) fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc: env.pc });
    const r = loop(prog, { ...options, args: [a, b, c, d, e], budget: budget - env.count - env.nested }, mem, env.fp - STACK_SIZE,
      { pc: Number(fn), frames: entry.frames - env.depth - 1, ctx: env.ctx });
    env.nested += r.insnCount;
    return r.r0;
  };

  /** Check an access and return its address. */
  const addr = (base: bigint, off: number, size: number, access: 'load' | 'store' | 'atomic'): number => {
    const a = Number(base) + off;
    const r = mem.find(a, size);
    if (r === undefined) {
      const shown = u.u64(base + BigInt(off)).toString(16);
      fail('RUN_MEMORY_FAULT', { access, size, address: shown }, { pc });
    }
    if (access !== 'load' && !r.writable) {
      fail('RUN_READONLY', { size, address: a.toString(16), region: r.name }, { pc });
    }
    return a;
  };
  const load = (a: number, size: number): bigint => {
    const v = mem.view;
    switch (size) {
      case 1: return BigInt(v.getUint8(a));
      case 2: return BigInt(v.getUint16(a, true));
      case 4: return BigInt(v.getUint32(a, true));
      default: return v.getBigUint64(a, true);
    }
  };
  const store = (a: number, size: number, value: bigint): void => {
    const v = mem.view;
    switch (size) {
      case 1: v.setUint8(a, Number(value & 0xffn)); break;
      case 2: v.setUint16(a, Number(value & 0xffffn), true); break;
      case 4: v.setUint32(a, Number(value & 0xffffffffn), true); break;
      default: v.setBigUint64(a, value, true); break;
    }
  };
  const callHelper = (id: number, depth: number, count: number): void => {
    const fn = helpers.get(id);
    if (fn === undefined) fail('RUN_UNKNOWN_HELPER', { id }, { pc });
    env.pc = pc;
    env.depth = depth; env.count = count; env.fp = Number(regs[10]!);
    try {
      regs[0] = u.u64(fn(env, regs[1]!, regs[2]!, regs[3]!, regs[4]!, regs[5]!));
    } catch (e) {
      if (e instanceof DiagnosticError) throw e.within({ pc });
      throw e;
    }
  };
  /** Legacy packet load: big-endian, zero-extended; undefined when out of bounds. */
  const packetLoad = (offset: number, size: number): bigint | undefined => {
    if (offset < 0 || offset + size > packet.size) return undefined;
    const v = mem.view;
    const a = packet.start + offset;
    return BigInt(size === 1 ? v.getUint8(a) : size === 2 ? v.getUint16(a, false) : v.getUint32(a, false));
  };

  try {
    for (;;) {
      if (pc >= length || pc < 0) fail('RUN_FELL_OFF', { count: length }, { pc });
      if (++count > budget) fail('RUN_BUDGET', { budget }, { pc });
      const h = handler[pc]!;
      const d = dstA[pc]!;
      if (h < H.NEG64) {
        // ALU: 64-bit block then 32-bit block, same order (ALU_INDEX).
        const a = regs[d]!;
        const b = isX[pc] === 1 ? regs[srcA[pc]!]! : kimm[pc]!;
        let r: bigint;
        switch (h) {
          case 0 /* H.ALU64 + 0 */: r = u.add64(a, b); break;
          case 1 /* H.ALU64 + 1 */: r = u.sub64(a, b); break;
          case 2 /* H.ALU64 + 2 */: r = u.mul64(a, b); break;
          case 3 /* H.ALU64 + 3 */: r = u.divU64(a, b); break;
          case 4 /* H.ALU64 + 4 */: r = u.divS64(a, b); break;
          case 5 /* H.ALU64 + 5 */: r = u.or64(a, b); break;
          case 6 /* H.ALU64 + 6 */: r = u.and64(a, b); break;
          case 7 /* H.ALU64 + 7 */: r = u.lsh64(a, b); break;
          case 8 /* H.ALU64 + 8 */: r = u.rsh64(a, b); break;
          case 9 /* H.ALU64 + 9 */: r = u.modU64(a, b); break;
          case 10 /* H.ALU64 + 10 */: r = u.modS64(a, b); break;
          case 11 /* H.ALU64 + 11 */: r = u.xor64(a, b); break;
          case 12 /* H.ALU64 + 12 */: r = b; break;
          case 13 /* H.ALU64 + 13 */: r = u.sext(b, aux[pc] as 8 | 16 | 32); break;
          case 14 /* H.ALU64 + 14 */: r = u.arsh64(a, b); break;
          case 16 /* H.ALU32 + 0 */: r = u.add32(a, b); break;
          case 17 /* H.ALU32 + 1 */: r = u.sub32(a, b); break;
          case 18 /* H.ALU32 + 2 */: r = u.mul32(a, b); break;
          case 19 /* H.ALU32 + 3 */: r = u.divU32(a, b); break;
          case 20 /* H.ALU32 + 4 */: r = u.divS32(a, b); break;
          case 21 /* H.ALU32 + 5 */: r = u.or32(a, b); break;
          case 22 /* H.ALU32 + 6 */: r = u.and32(a, b); break;
          case 23 /* H.ALU32 + 7 */: r = u.lsh32(a, b); break;
          case 24 /* H.ALU32 + 8 */: r = u.rsh32(a, b); break;
          case 25 /* H.ALU32 + 9 */: r = u.modU32(a, b); break;
          case 26 /* H.ALU32 + 10 */: r = u.modS32(a, b); break;
          case 27 /* H.ALU32 + 11 */: r = u.xor32(a, b); break;
          case 28 /* H.ALU32 + 12 */: r = u.mov32(b); break;
          case 29 /* H.ALU32 + 13 */: r = u.sext32(b, aux[pc] as 8 | 16); break;
          case 30 /* H.ALU32 + 14 */: r = u.arsh32(a, b); break;
          default: throw new InternalError(`bad ALU handler ${h}`);
        }
        regs[d] = r;
        pc++;
        continue;
      }
      if (h >= H.JCOND64 && h < H.CALL) {
        const a = regs[d]!;
        const b = isX[pc] === 1 ? regs[srcA[pc]!]! : kimm[pc]!;
        let taken: boolean;
        switch (h) {
          case 41 /* H.JCOND64 + 0 */: taken = a === b; break;
          case 42 /* H.JCOND64 + 1 */: taken = a > b; break;
          case 43 /* H.JCOND64 + 2 */: taken = a >= b; break;
          case 44 /* H.JCOND64 + 3 */: taken = (a & b) !== 0n; break;
          case 45 /* H.JCOND64 + 4 */: taken = a !== b; break;
          case 46 /* H.JCOND64 + 5 */: taken = u.ltS64(b, a); break;
          case 47 /* H.JCOND64 + 6 */: taken = !u.ltS64(a, b); break;
          case 48 /* H.JCOND64 + 7 */: taken = a < b; break;
          case 49 /* H.JCOND64 + 8 */: taken = a <= b; break;
          case 50 /* H.JCOND64 + 9 */: taken = u.ltS64(a, b); break;
          case 51 /* H.JCOND64 + 10 */: taken = !u.ltS64(b, a); break;
          case 53 /* H.JCOND32 + 0 */: taken = u.mov32(a) === u.mov32(b); break;
          case 54 /* H.JCOND32 + 1 */: taken = u.ltU32(b, a); break;
          case 55 /* H.JCOND32 + 2 */: taken = !u.ltU32(a, b); break;
          case 56 /* H.JCOND32 + 3 */: taken = u.and32(a, b) !== 0n; break;
          case 57 /* H.JCOND32 + 4 */: taken = u.mov32(a) !== u.mov32(b); break;
          case 58 /* H.JCOND32 + 5 */: taken = u.ltS32(b, a); break;
          case 59 /* H.JCOND32 + 6 */: taken = !u.ltS32(a, b); break;
          case 60 /* H.JCOND32 + 7 */: taken = u.ltU32(a, b); break;
          case 61 /* H.JCOND32 + 8 */: taken = !u.ltU32(b, a); break;
          case 62 /* H.JCOND32 + 9 */: taken = u.ltS32(a, b); break;
          case 63 /* H.JCOND32 + 10 */: taken = !u.ltS32(b, a); break;
          default: throw new InternalError(`bad jump handler ${h}`);
        }
        pc = taken ? target[pc]! : pc + 1;
        continue;
      }
      switch (h) {
        case 32 /* H.NEG64 */: regs[d] = u.neg64(regs[d]!); pc++; break;
        case 33 /* H.NEG32 */: regs[d] = u.neg32(regs[d]!); pc++; break;
        case 34 /* H.LE */: regs[d] = u.toLe(regs[d]!, aux[pc] as 16 | 32 | 64); pc++; break;
        case 35 /* H.BE */: regs[d] = u.toBe(regs[d]!, aux[pc] as 16 | 32 | 64); pc++; break;
        case 36 /* H.BSWAP */: regs[d] = u.bswap(regs[d]!, aux[pc] as 16 | 32 | 64); pc++; break;
        case 40 /* H.JA */: pc = target[pc]!; break;
        case 70 /* H.LDDW */: regs[d] = kimm[pc]!; pc += 2; break;
        case 73 /* H.LDX */: {
          const size = aux[pc]!;
          regs[d] = load(addr(regs[srcA[pc]!]!, offA[pc]!, size, 'load'), size);
          pc++;
          break;
        }
        case 74 /* H.LDXS */: {
          const size = aux[pc]!;
          regs[d] = u.sext(load(addr(regs[srcA[pc]!]!, offA[pc]!, size, 'load'), size), (size * 8) as 8 | 16 | 32);
          pc++;
          break;
        }
        case 75 /* H.ST */: {
          const size = aux[pc]!;
          store(addr(regs[d]!, offA[pc]!, size, 'store'), size, kimm[pc]!);
          pc++;
          break;
        }
        case 76 /* H.STX */: {
          const size = aux[pc]!;
          store(addr(regs[d]!, offA[pc]!, size, 'store'), size, regs[srcA[pc]!]!);
          pc++;
          break;
        }
        case 65 /* H.CALL */: callHelper(immA[pc]!, depth, count); count += env.nested; env.nested = 0; pc++; break;
        case 68 /* H.CALLX */: {
          const id = regs[d]!;
          if (id >= BigInt(TWO32)) fail('RUN_UNKNOWN_HELPER', { id: u.toHex(id) }, { pc });
          callHelper(Number(id), depth, count);
          count += env.nested; env.nested = 0;
          pc++;
          break;
        }
        case 67 /* H.CALL_KFUNC */:
          fail('RUN_UNSUPPORTED', { insn: 'call runtime', reason: 'kernel functions are not available' }, { pc });
        // falls through (fail never returns)
        case 66 /* H.CALL_LOCAL */: {
          if (depth + 1 >= entry.frames) fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc });
          retPc[depth] = pc + 1;
          const s = depth * 5;
          saved[s] = regs[6]!; saved[s + 1] = regs[7]!; saved[s + 2] = regs[8]!; saved[s + 3] = regs[9]!;
          saved[s + 4] = regs[10]!;
          depth++;
          regs[10] = BigInt(stackTop - depth * STACK_SIZE);
          pc = target[pc]!;
          break;
        }
        case 69 /* H.EXIT */: {
          if (depth === 0) return { r0: regs[0]!, insnCount: count };
          depth--;
          const s = depth * 5;
          regs[6] = saved[s]!; regs[7] = saved[s + 1]!; regs[8] = saved[s + 2]!; regs[9] = saved[s + 3]!;
          regs[10] = saved[s + 4]!;
          pc = retPc[depth]!;
          break;
        }
        case 71 /* H.LDABS */: case 72 /* H.LDIND */: {
          const size = aux[pc]!;
          let offset = immA[pc]!;
          if (h === H.LDIND) offset = (Number(u.mov32(regs[srcA[pc]!]!)) | 0) + offset;
          const value = packetLoad(offset, size);
          if (value === undefined) return { r0: 0n, insnCount: count };
          regs[0] = value;
          pc++;
          break;
        }
        default:
          if (h >= H.ATOMIC32 && h < H.ATOMIC64 + 8) {
            const wide = h >= H.ATOMIC64;
            const size = wide ? 8 : 4;
            const a = addr(regs[d]!, offA[pc]!, size, 'atomic');
            const s = srcA[pc]!;
            const old = load(a, size);
            const val = regs[s]!;
            const which = h - (wide ? H.ATOMIC64 : H.ATOMIC32);
            switch (which) {
              case 0: store(a, size, wide ? u.add64(old, val) : u.add32(old, val)); break;
              case 1: store(a, size, old | val); break;
              case 2: store(a, size, old & val); break;
              case 3: store(a, size, old ^ val); break;
              case 4: store(a, size, val); break;
              case 5: {
                // RFC 9669 §5.3.2: compare r0 with memory, store src if equal, r0 = old value.
                const expect = wide ? regs[0]! : u.mov32(regs[0]!);
                if (old === expect) store(a, size, val);
                regs[0] = old;
                break;
              }
            }
            if (which !== 5 && aux[pc] === 1) regs[s] = old;
            pc++;
            break;
          }
          throw new InternalError(`slot ${pc} has no handler (${h})`);
      }
    }
  } catch (e) {
    if (e instanceof ProgramStop) return { r0: e.r0, insnCount: count };
    throw e;
  }
}
