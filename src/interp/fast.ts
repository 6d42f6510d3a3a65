/**
 * @file The fast interpreter: the same semantics as `interp.ts` (the
 * reference, which it is differentially tested against), with every register
 * held as two 32-bit halves in arrays of doubles instead of a BigInt, so the hot
 * loop does no allocation. 64-bit division and modulo of values that do not
 * fit 32 bits, and helper calls, convert to BigInt at the boundary (rare).
 *
 * ```
 *   register i:  hi[i] (bits 63..32, int32) | lo[i] (bits 31..0, int32)
 * ```
 */

import { DiagnosticError, InternalError, fail } from '../diag/index.js';
import { ProgramStop, type HelperEnv, type Helpers } from '../abi/helper-env.js';
import type { Memory } from '../abi/memory.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/registers.js';
import * as u from '../util/u64.js';
import { DEFAULT_BUDGET, type RunOptions, type RunResult } from './interp.js';
import { H, type Program } from './program.js';
import { freshCopy } from '../util/fresh-copy.js';

const NO_HELPERS: Helpers = new Map();

/**
 * The program's tables as the loop reads them: plain arrays, not typed
 * arrays. Once any `ArrayBuffer` in the process has been detached — which
 * every `WebAssembly.Memory.grow` does — V8 checks for detachment on every
 * typed array access, and an interpreter that reads five tables and two
 * register files per instruction runs 60% slower. Plain arrays of numbers
 * never detach. The immediates are split into 32-bit halves (`klo`, `khi`).
 */
interface Tables {
  readonly handler: number[]; readonly dst: number[]; readonly src: number[]; readonly isX: number[];
  readonly imm: number[]; readonly off: number[]; readonly target: number[]; readonly aux: number[];
  readonly klo: number[]; readonly khi: number[];
}
const TABLES = new WeakMap<Program, Tables>();

function tablesOf(p: Program): Tables {
  let t = TABLES.get(p);
  if (t === undefined) {
    const n = p.length + 1;
    const klo = doubles(n);
    const khi = doubles(n);
    for (let i = 0; i < p.length; i++) {
      const v = p.kimm[i]!;
      klo[i] = Number(BigInt.asIntN(32, v));
      khi[i] = Number(BigInt.asIntN(32, v >> 32n));
    }
    const plain = (a: ArrayLike<number>): number[] => Array.from(a);
    t = {
      handler: plain(p.handler), dst: plain(p.dst), src: plain(p.src), isX: plain(p.isX),
      imm: plain(p.imm), off: plain(p.off), target: plain(p.target), aux: plain(p.aux), klo, khi,
    };
    TABLES.set(p, t);
  }
  return t;
}

/** `n` zeros in an array of unboxed doubles (any int32 fits without a change of element kind). */
function doubles(n: number): number[] {
  const a = Array.from({ length: n }, () => 0.5);
  a.fill(0);
  return a;
}

/** High 32 bits of the unsigned 64-bit product of two 32-bit values. */
function mulHighU32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** Divisors below this divide a 64-bit value in two exact steps of doubles: (r × 2^32 + lo) < 2^53. */
const SMALL_DIVISOR = 2 ** 21;

const toBig = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

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

/** A run's register halves and saved call frames. */
interface Scratch { readonly lo: number[]; readonly hi: number[]; readonly retPc: number[]; readonly saved: number[] }

const newScratch = (): Scratch => ({
  lo: doubles(11), hi: doubles(11), retPc: doubles(MAX_CALL_FRAMES), saved: doubles(MAX_CALL_FRAMES * 10),
});

/** Scratch per nesting level of `loop` (a callback runs a nested loop); runs are synchronous. */
const SCRATCH: Scratch[] = [];
/** The nesting level of the loop running now, shared by every copy of the loop. */
const state = { nesting: 0 };

/** The region an interpreter's last memory access hit. */
interface RegionCache { start: number; end: number; writable: boolean }

/** Address of `r + off` for an access of `size` bytes, checked against the memory's regions. */
function addr(c: RegionCache, mem: Memory, lo: number[], hi: number[], r: number, off: number, size: number, access: 'load' | 'store' | 'atomic', pc: number): number {
  const a = hi[r] === 0 ? (lo[r]! >>> 0) + off : -1;
  if (a >= c.start && a + size <= c.end && (c.writable || access === 'load')) return a;
  const region = a < 0 ? undefined : mem.find(a, size);
  if (region === undefined) {
    const shown = u.u64(toBig(lo[r]!, hi[r]!) + BigInt(off)).toString(16);
    fail('RUN_MEMORY_FAULT', { access, size, address: shown }, { pc });
  }
  c.start = region.start; c.end = region.start + region.size; c.writable = region.writable;
  if (access !== 'load' && !region.writable) {
    fail('RUN_READONLY', { size, address: a.toString(16), region: region.name }, { pc });
  }
  return a;
}

/** Call helper `id` with r1-r5; r0 takes its result. */
function callHelper(helpers: Helpers, env: Env, lo: number[], hi: number[], id: number, depth: number, count: number, pc: number): void {
  const fn = helpers.get(id);
  if (fn === undefined) fail('RUN_UNKNOWN_HELPER', { id }, { pc });
  env.pc = pc;
  env.depth = depth; env.count = count; env.fp = lo[10]! >>> 0;
  let r: bigint;
  try {
    r = fn(env, toBig(lo[1]!, hi[1]!), toBig(lo[2]!, hi[2]!), toBig(lo[3]!, hi[3]!), toBig(lo[4]!, hi[4]!), toBig(lo[5]!, hi[5]!));
  } catch (e) {
    if (e instanceof DiagnosticError) throw e.within({ pc });
    throw e;
  }
  setBig(lo, hi, 0, u.u64(r));
}

/** Register `d` = `r` (64-bit operations done in BigInt). */
function setBig(lo: number[], hi: number[], d: number, r: bigint): void {
  lo[d] = Number(BigInt.asIntN(32, r));
  hi[d] = Number(BigInt.asIntN(32, r >> 32n));
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

/** Run a prepared program on the fast interpreter (same contract as `run`). */
export function runFast(prog: Program, options: RunOptions): RunResult {
  const mem = options.memory;
  const need = STACK_SIZE * MAX_CALL_FRAMES;
  let stack = options.stack;
  const ownStack = stack === undefined;
  if (stack === undefined) stack = mem.map('stack', 'stack', need, true);
  else if (stack.size < need) fail('RUN_STACK_TOO_SMALL', { region: stack.name, size: stack.size, need });
  const tier = tierOf(prog);
  try {
    const r = (tier.loop ?? sharedLoop)(prog, options, mem, stack.start + stack.size);
    if (tier.loop === undefined && (tier.insns += r.insnCount) >= HOT_INSNS) tier.loop = freshCopy(makeLoop)(LOOP_DEPS);
    return r;
  } finally {
    if (ownStack) mem.unmap(stack);
  }
}

/**
 * A program's tier: how many instructions it has run on the shared loop, and
 * its own copy of the loop once that passes `HOT_INSNS`. One loop shared by
 * every program learns from all of them: the paths one program never takes
 * are compiled for another's values, or deoptimise when it takes them, and a
 * loop that ran a program with 64-bit divisions runs a checksum at half its
 * speed. A copy compiled for one program (`freshCopy`) runs it as if it were
 * the only one; cold programs share the warm loop and pay no compile.
 */
interface Tier { insns: number; loop: Loop | undefined }
const TIERS = new WeakMap<Program, Tier>();
/** Instructions after which a program gets its own loop (a few milliseconds of interpretation). */
const HOT_INSNS = 500_000;

/** Whether `prog` runs on its own copy of the loop (it passed `HOT_INSNS`). */
export function hasOwnLoop(prog: Program): boolean {
  return TIERS.get(prog)?.loop !== undefined;
}

function tierOf(prog: Program): Tier {
  let t = TIERS.get(prog);
  if (t === undefined) TIERS.set(prog, t = { insns: 0, loop: undefined });
  return t;
}

type Loop = (prog: Program, options: RunOptions, mem: Memory, stackTop: number, entry?: Entry) => RunResult;

/** What `loop` uses from the module, handed to each copy (a copy sees only its parameters). */
const LOOP_DEPS = {
  tablesOf, mulHighU32, toBig, setBig, callHelper, addr, fail, u, H, InternalError, ProgramStop, Env, NO_HELPERS,
  DEFAULT_BUDGET, SMALL_DIVISOR, STACK_SIZE, MAX_CALL_FRAMES, PROGRAM_ENTRY, SCRATCH, newScratch, state,
};

/** The interpreter loop over `deps`; `freshCopy(makeLoop)` makes a program's own copy. */
function makeLoop(deps: typeof LOOP_DEPS): Loop {
  // an annotated declaration, so control flow knows it never returns
  const fail: typeof deps.fail = deps.fail;
  const {
    tablesOf, mulHighU32, toBig, setBig, callHelper, addr, u, H, InternalError, ProgramStop, Env, NO_HELPERS,
    DEFAULT_BUDGET, SMALL_DIVISOR, STACK_SIZE, MAX_CALL_FRAMES, PROGRAM_ENTRY, SCRATCH, newScratch, state,
  } = deps;
  return loop;

  function loop(prog: Program, options: RunOptions, mem: Memory, stackTop: number, entry: Entry = PROGRAM_ENTRY): RunResult {
    const { length } = prog;
    const { handler, dst: dstA, src: srcA, isX, imm: immA, off: offA, target, aux, klo, khi } = tablesOf(prog);
    const helpers = options.helpers ?? NO_HELPERS;
    const budget = options.budget ?? DEFAULT_BUDGET;
    const packet = options.packet ?? { start: 0, size: 0 };
    // register files and call frames are reused across runs (one set per nesting level: callbacks nest)
    const scratch = SCRATCH[state.nesting] ??= newScratch();
    const { lo, hi, retPc, saved } = scratch;
    lo.fill(0);
    hi.fill(0);
    const args = options.args ?? [];
    for (let i = 0; i < 5 && i < args.length; i++) {
      const v = u.u64(args[i]!);
      lo[i + 1] = Number(BigInt.asIntN(32, v));
      hi[i + 1] = Number(BigInt.asIntN(32, v >> 32n));
    }
    lo[10] = stackTop | 0;
    const env = new Env(mem, entry.ctx ?? (hi[1] === 0 ? lo[1]! >>> 0 : 0));
    let depth = 0;
    let pc = entry.pc;
    let count = 0;
    // a callback is a bpf-to-bpf call from the helper's call site, run by a nested loop; it reads the
    // caller's state from `env` (set by `callHelper`), so the loop's own variables stay out of closures
    env.callback = (fn, a, b, c, d, e) => {
      if (fn >= BigInt(length) || handler[Number(fn)] === H.NONE) fail('RUN_BAD_CALLBACK', { address: fn.toString(16) }, { pc: env.pc });
      if (env.depth + 1 >= entry.frames) fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc: env.pc });
      const r = loop(prog, { ...options, args: [a, b, c, d, e], budget: budget - env.count - env.nested }, mem, env.fp - STACK_SIZE,
        { pc: Number(fn), frames: entry.frames - env.depth - 1, ctx: env.ctx });
      env.nested += r.insnCount;
      return r.r0;
    };
    let view = mem.view;
    // the last region an access hit, checked before asking the memory (reset after helper calls, which may
    // map or unmap regions); nothing the loop changes is captured by a closure, so it all stays in registers
    const cache: RegionCache = { start: 0, end: 0, writable: false };

    state.nesting++; // a nested loop (a callback, inside this one's try) takes the next scratch
    try {
      for (;;) {
        // every pc here is a validated target, a return address or the next slot: running off the end
        // lands on the FELL_OFF handler at `length`
        if (++count > budget) fail('RUN_BUDGET', { budget }, { pc });
        const h = handler[pc]!;
        const d = dstA[pc]!;
        let blo: number, bhi: number;
        if (isX[pc] === 1) { const s = srcA[pc]!; blo = lo[s]!; bhi = hi[s]!; } else { blo = klo[pc]!; bhi = khi[pc]!; }
        switch (h) {
          // ---- ALU64 (RFC 9669 §4.1) ----
          case 0 /* H.ALU64 + 0 */: {
            const a = lo[d]!;
            const r = (a + blo) | 0;
            hi[d] = (hi[d]! + bhi + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            lo[d] = r;
            pc++; break;
          }
          case 1 /* H.ALU64 + 1 */: {
            const a = lo[d]!;
            hi[d] = (hi[d]! - bhi - ((a >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
            lo[d] = (a - blo) | 0;
            pc++; break;
          }
          case 2 /* H.ALU64 + 2 */: {
            const a = lo[d]!;
            hi[d] = (mulHighU32(a >>> 0, blo >>> 0) + Math.imul(a, bhi) + Math.imul(hi[d]!, blo)) | 0;
            lo[d] = Math.imul(a, blo);
            pc++; break;
          }
          case 3 /* H.ALU64 + 3 */:
            if (hi[d] === 0 && bhi === 0) {
              lo[d] = blo === 0 ? 0 : Math.floor((lo[d]! >>> 0) / (blo >>> 0)) | 0;
            } else if (bhi === 0 && blo > 0 && blo < SMALL_DIVISOR) {
              // long division by halves: the second step's dividend stays below 2^53, exact in doubles
              const ah = hi[d]! >>> 0;
              const qh = Math.floor(ah / blo);
              lo[d] = Math.floor(((ah - qh * blo) * 4294967296 + (lo[d]! >>> 0)) / blo) | 0;
              hi[d] = qh | 0;
            } else setBig(lo, hi, d, u.divU64(toBig(lo[d]!, hi[d]!), toBig(blo, bhi)));
            pc++; break;
          case 4 /* H.ALU64 + 4 */: {
            const a = lo[d]!;
            if (hi[d] === a >> 31 && bhi === blo >> 31) {
              const r = blo === 0 ? 0 : Math.trunc(a / blo); // exact in doubles, 2^31 included
              lo[d] = r | 0; hi[d] = r < 0 ? -1 : 0;
            } else setBig(lo, hi, d, u.divS64(toBig(a, hi[d]!), toBig(blo, bhi)));
            pc++; break;
          }
          case 5 /* H.ALU64 + 5 */: lo[d] = lo[d]! | blo; hi[d] = hi[d]! | bhi; pc++; break;
          case 6 /* H.ALU64 + 6 */: lo[d] = lo[d]! & blo; hi[d] = hi[d]! & bhi; pc++; break;
          case 7 /* H.ALU64 + 7 */: {
            const s = blo & 63;
            if (s >= 32) { hi[d] = lo[d]! << (s - 32); lo[d] = 0; } else if (s > 0) {
              hi[d] = (hi[d]! << s) | (lo[d]! >>> (32 - s)); lo[d] = lo[d]! << s;
            }
            pc++; break;
          }
          case 8 /* H.ALU64 + 8 */: {
            const s = blo & 63;
            if (s >= 32) { lo[d] = hi[d]! >>> (s - 32); hi[d] = 0; } else if (s > 0) {
              lo[d] = (lo[d]! >>> s) | (hi[d]! << (32 - s)); hi[d] = hi[d]! >>> s;
            }
            pc++; break;
          }
          case 9 /* H.ALU64 + 9 */:
            if (hi[d] === 0 && bhi === 0) {
              if (blo !== 0) lo[d] = ((lo[d]! >>> 0) % (blo >>> 0)) | 0;
            } else if (bhi === 0 && blo > 0 && blo < SMALL_DIVISOR) {
              lo[d] = (((hi[d]! >>> 0) % blo) * 4294967296 + (lo[d]! >>> 0)) % blo;
              hi[d] = 0;
            } else setBig(lo, hi, d, u.modU64(toBig(lo[d]!, hi[d]!), toBig(blo, bhi)));
            pc++; break;
          case 10 /* H.ALU64 + 10 */: {
            const a = lo[d]!;
            if (hi[d] === a >> 31 && bhi === blo >> 31) {
              if (blo !== 0) { const r = (a % blo) | 0; lo[d] = r; hi[d] = r >> 31; }
            } else setBig(lo, hi, d, u.modS64(toBig(a, hi[d]!), toBig(blo, bhi)));
            pc++; break;
          }
          case 11 /* H.ALU64 + 11 */: lo[d] = lo[d]! ^ blo; hi[d] = hi[d]! ^ bhi; pc++; break;
          case 12 /* H.ALU64 + 12 */: lo[d] = blo; hi[d] = bhi; pc++; break;
          case 13 /* H.ALU64 + 13 */: {
            const bits = aux[pc]!;
            const r = bits === 8 ? (blo << 24) >> 24 : bits === 16 ? (blo << 16) >> 16 : blo;
            lo[d] = r; hi[d] = r >> 31;
            pc++; break;
          }
          case 14 /* H.ALU64 + 14 */: {
            const s = blo & 63;
            if (s >= 32) { lo[d] = hi[d]! >> (s - 32); hi[d] = hi[d]! >> 31; } else if (s > 0) {
              lo[d] = (lo[d]! >>> s) | (hi[d]! << (32 - s)); hi[d] = hi[d]! >> s;
            }
            pc++; break;
          }
          // ---- ALU32: low halves, result zero-extended ----
          case 16 /* H.ALU32 + 0 */: lo[d] = (lo[d]! + blo) | 0; hi[d] = 0; pc++; break;
          case 17 /* H.ALU32 + 1 */: lo[d] = (lo[d]! - blo) | 0; hi[d] = 0; pc++; break;
          case 18 /* H.ALU32 + 2 */: lo[d] = Math.imul(lo[d]!, blo); hi[d] = 0; pc++; break;
          case 19 /* H.ALU32 + 3 */: lo[d] = blo === 0 ? 0 : Math.floor((lo[d]! >>> 0) / (blo >>> 0)) | 0; hi[d] = 0; pc++; break;
          case 20 /* H.ALU32 + 4 */: lo[d] = blo === 0 ? 0 : Math.trunc(lo[d]! / blo) | 0; hi[d] = 0; pc++; break;
          case 21 /* H.ALU32 + 5 */: lo[d] = lo[d]! | blo; hi[d] = 0; pc++; break;
          case 22 /* H.ALU32 + 6 */: lo[d] = lo[d]! & blo; hi[d] = 0; pc++; break;
          case 23 /* H.ALU32 + 7 */: lo[d] = lo[d]! << (blo & 31); hi[d] = 0; pc++; break;
          case 24 /* H.ALU32 + 8 */: lo[d] = lo[d]! >>> (blo & 31); hi[d] = 0; pc++; break;
          case 25 /* H.ALU32 + 9 */: if (blo !== 0) lo[d] = ((lo[d]! >>> 0) % (blo >>> 0)) | 0; hi[d] = 0; pc++; break;
          case 26 /* H.ALU32 + 10 */: if (blo !== 0) lo[d] = (lo[d]! % blo) | 0; hi[d] = 0; pc++; break;
          case 27 /* H.ALU32 + 11 */: lo[d] = lo[d]! ^ blo; hi[d] = 0; pc++; break;
          case 28 /* H.ALU32 + 12 */: lo[d] = blo; hi[d] = 0; pc++; break;
          case 29 /* H.ALU32 + 13 */: lo[d] = aux[pc] === 8 ? (blo << 24) >> 24 : (blo << 16) >> 16; hi[d] = 0; pc++; break;
          case 30 /* H.ALU32 + 14 */: lo[d] = lo[d]! >> (blo & 31); hi[d] = 0; pc++; break;
          case 32 /* H.NEG64 */: {
            const r = -lo[d]! | 0;
            hi[d] = (~hi[d]! + (r === 0 ? 1 : 0)) | 0;
            lo[d] = r;
            pc++; break;
          }
          case 33 /* H.NEG32 */: lo[d] = -lo[d]! | 0; hi[d] = 0; pc++; break;
          case 34 /* H.LE */: {
            const bits = aux[pc];
            if (bits === 16) { lo[d] = lo[d]! & 0xffff; hi[d] = 0; } else if (bits === 32) hi[d] = 0;
            pc++; break;
          }
          case 35 /* H.BE */: case 36 /* H.BSWAP */: {
            const bits = aux[pc];
            const a = lo[d]!;
            if (bits === 16) { lo[d] = ((a & 0xff) << 8) | ((a >>> 8) & 0xff); hi[d] = 0; } else {
              const sw = ((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24);
              if (bits === 32) { lo[d] = sw; hi[d] = 0; } else {
                const b = hi[d]!;
                lo[d] = ((b & 0xff) << 24) | ((b & 0xff00) << 8) | ((b >>> 8) & 0xff00) | (b >>> 24);
                hi[d] = sw;
              }
            }
            pc++; break;
          }
          // ---- jumps (RFC 9669 §4.3) ----
          case 40 /* H.JA */: pc = target[pc]!; break;
          case 41 /* H.JCOND64 + 0 */: pc = lo[d] === blo && hi[d] === bhi ? target[pc]! : pc + 1; break;
          case 45 /* H.JCOND64 + 4 */: pc = lo[d] !== blo || hi[d] !== bhi ? target[pc]! : pc + 1; break;
          case 44 /* H.JCOND64 + 3 */: pc = (lo[d]! & blo) !== 0 || (hi[d]! & bhi) !== 0 ? target[pc]! : pc + 1; break;
          case 42 /* H.JCOND64 + 1 */: case 43 /* H.JCOND64 + 2 */: case 48 /* H.JCOND64 + 7 */: case 49 /* H.JCOND64 + 8 */: {
            // unsigned: compare high halves unsigned, then low halves unsigned
            const ah = hi[d]! >>> 0, bh = bhi >>> 0;
            const c = ah !== bh ? (ah < bh ? -1 : 1) : (lo[d]! >>> 0) === (blo >>> 0) ? 0 : (lo[d]! >>> 0) < (blo >>> 0) ? -1 : 1;
            const taken = h === H.JCOND64 + 1 ? c > 0 : h === H.JCOND64 + 2 ? c >= 0 : h === H.JCOND64 + 7 ? c < 0 : c <= 0;
            pc = taken ? target[pc]! : pc + 1;
            break;
          }
          case 46 /* H.JCOND64 + 5 */: case 47 /* H.JCOND64 + 6 */: case 50 /* H.JCOND64 + 9 */: case 51 /* H.JCOND64 + 10 */: {
            // signed: compare high halves signed, then low halves unsigned
            const ah = hi[d]!;
            const c = ah !== bhi ? (ah < bhi ? -1 : 1) : (lo[d]! >>> 0) === (blo >>> 0) ? 0 : (lo[d]! >>> 0) < (blo >>> 0) ? -1 : 1;
            const taken = h === H.JCOND64 + 5 ? c > 0 : h === H.JCOND64 + 6 ? c >= 0 : h === H.JCOND64 + 9 ? c < 0 : c <= 0;
            pc = taken ? target[pc]! : pc + 1;
            break;
          }
          case 53 /* H.JCOND32 + 0 */: pc = lo[d] === blo ? target[pc]! : pc + 1; break;
          case 54 /* H.JCOND32 + 1 */: pc = (lo[d]! >>> 0) > (blo >>> 0) ? target[pc]! : pc + 1; break;
          case 55 /* H.JCOND32 + 2 */: pc = (lo[d]! >>> 0) >= (blo >>> 0) ? target[pc]! : pc + 1; break;
          case 56 /* H.JCOND32 + 3 */: pc = (lo[d]! & blo) !== 0 ? target[pc]! : pc + 1; break;
          case 57 /* H.JCOND32 + 4 */: pc = lo[d] !== blo ? target[pc]! : pc + 1; break;
          case 58 /* H.JCOND32 + 5 */: pc = lo[d]! > blo ? target[pc]! : pc + 1; break;
          case 59 /* H.JCOND32 + 6 */: pc = lo[d]! >= blo ? target[pc]! : pc + 1; break;
          case 60 /* H.JCOND32 + 7 */: pc = (lo[d]! >>> 0) < (blo >>> 0) ? target[pc]! : pc + 1; break;
          case 61 /* H.JCOND32 + 8 */: pc = (lo[d]! >>> 0) <= (blo >>> 0) ? target[pc]! : pc + 1; break;
          case 62 /* H.JCOND32 + 9 */: pc = lo[d]! < blo ? target[pc]! : pc + 1; break;
          case 63 /* H.JCOND32 + 10 */: pc = lo[d]! <= blo ? target[pc]! : pc + 1; break;
          // ---- memory (RFC 9669 §5) ----
          case 70 /* H.LDDW */: lo[d] = klo[pc]!; hi[d] = khi[pc]!; pc += 2; break;
          case 73 /* H.LDX */: case 74 /* H.LDXS */: {
            const size = aux[pc]!;
            const a = addr(cache, mem, lo, hi, srcA[pc]!, offA[pc]!, size, 'load', pc);
            let r: number;
            if (size === 8) { r = view.getInt32(a, true); hi[d] = view.getInt32(a + 4, true); lo[d] = r; pc++; break; }
            if (h === H.LDX) {
              r = size === 1 ? view.getUint8(a) : size === 2 ? view.getUint16(a, true) : view.getInt32(a, true);
              lo[d] = r; hi[d] = 0;
            } else {
              r = size === 1 ? view.getInt8(a) : size === 2 ? view.getInt16(a, true) : view.getInt32(a, true);
              lo[d] = r; hi[d] = r >> 31;
            }
            pc++; break;
          }
          case 75 /* H.ST */: case 76 /* H.STX */: {
            const size = aux[pc]!;
            const a = addr(cache, mem, lo, hi, d, offA[pc]!, size, 'store', pc);
            if (size === 1) view.setUint8(a, blo & 0xff);
            else if (size === 2) view.setUint16(a, blo & 0xffff, true);
            else if (size === 4) view.setInt32(a, blo, true);
            else { view.setInt32(a, blo, true); view.setInt32(a + 4, bhi, true); }
            pc++; break;
          }
          case 65 /* H.CALL */:
            callHelper(helpers, env, lo, hi, immA[pc]!, depth, count, pc);
            count += env.nested; env.nested = 0;
            view = mem.view; cache.start = 0; cache.end = 0;
            pc++; break;
          case 68 /* H.CALLX */: {
            if (hi[d] !== 0) fail('RUN_UNKNOWN_HELPER', { id: u.toHex(toBig(lo[d]!, hi[d]!)) }, { pc });
            callHelper(helpers, env, lo, hi, lo[d]! >>> 0, depth, count, pc);
            count += env.nested; env.nested = 0;
            view = mem.view; cache.start = 0; cache.end = 0;
            pc++; break;
          }
          case 67 /* H.CALL_KFUNC */:
            fail('RUN_UNSUPPORTED', { insn: 'call runtime', reason: 'kernel functions are not available' }, { pc });
          // falls through (fail never returns)
          case 66 /* H.CALL_LOCAL */: {
            if (depth + 1 >= entry.frames) fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc });
            retPc[depth] = pc + 1;
            const s = depth * 10;
            for (let i = 0; i < 5; i++) { saved[s + 2 * i] = lo[6 + i]!; saved[s + 2 * i + 1] = hi[6 + i]!; }
            depth++;
            lo[10] = (stackTop - depth * STACK_SIZE) | 0; hi[10] = 0;
            pc = target[pc]!;
            break;
          }
          case 126 /* H.FELL_OFF */:
            fail('RUN_FELL_OFF', { count: length }, { pc });
          // falls through (fail never returns)
          case 69 /* H.EXIT */: {
            if (depth === 0) return { r0: toBig(lo[0]!, hi[0]!), insnCount: count };
            depth--;
            const s = depth * 10;
            for (let i = 0; i < 5; i++) { lo[6 + i] = saved[s + 2 * i]!; hi[6 + i] = saved[s + 2 * i + 1]!; }
            pc = retPc[depth]!;
            break;
          }
          case 71 /* H.LDABS */: case 72 /* H.LDIND */: {
            const size = aux[pc]!;
            let offset = immA[pc]!;
            if (h === H.LDIND) offset = lo[srcA[pc]!]! + offset;
            if (offset < 0 || offset + size > packet.size) return { r0: 0n, insnCount: count };
            const a = packet.start + offset;
            lo[0] = size === 1 ? view.getUint8(a) : size === 2 ? view.getUint16(a, false) : view.getInt32(a, false);
            hi[0] = 0;
            pc++; break;
          }
          default: {
            if (h < H.ATOMIC32 || h >= H.ATOMIC64 + 8) throw new InternalError(`slot ${pc} has no handler (${h})`);
            const wide = h >= H.ATOMIC64;
            const a = addr(cache, mem, lo, hi, d, offA[pc]!, wide ? 8 : 4, 'atomic', pc);
            const s = srcA[pc]!;
            const olo = view.getInt32(a, true);
            const ohi = wide ? view.getInt32(a + 4, true) : 0;
            const which = h - (wide ? H.ATOMIC64 : H.ATOMIC32);
            let nlo = olo, nhi = ohi;
            switch (which) {
              case 0: nlo = (olo + blo) | 0; nhi = (ohi + bhi + ((nlo >>> 0) < (olo >>> 0) ? 1 : 0)) | 0; break;
              case 1: nlo = olo | blo; nhi = ohi | bhi; break;
              case 2: nlo = olo & blo; nhi = ohi & bhi; break;
              case 3: nlo = olo ^ blo; nhi = ohi ^ bhi; break;
              case 4: nlo = blo; nhi = bhi; break;
              case 5: {
                // RFC 9669 §5.3.2: compare r0 with memory, store src if equal, r0 = old value.
                const eq = wide ? lo[0] === olo && hi[0] === ohi : lo[0] === olo;
                if (eq) { nlo = blo; nhi = bhi; }
                lo[0] = olo; hi[0] = ohi;
                break;
              }
            }
            view.setInt32(a, nlo, true);
            if (wide) view.setInt32(a + 4, nhi, true);
            if (which !== 5 && aux[pc] === 1) { lo[s] = olo; hi[s] = ohi; }
            pc++; break;
          }
        }
      }
    } catch (e) {
      if (e instanceof ProgramStop) return { r0: e.r0, insnCount: count };
      throw e;
    } finally {
      state.nesting--;
    }
  }
}

/** The loop every program runs until it is hot. */
const sharedLoop = makeLoop(LOOP_DEPS);
