/**
 * @file The path-sensitive abstract interpreter, in the kernel's style
 * (`do_check` in `kernel/bpf/verifier.c`): walk one path depth-first, push
 * the other side of each undecided branch, prune at prune points when an
 * explored state subsumes the current one (`is_state_visited`), and stop at
 * 1,000,000 processed instructions. Memory accesses, helper calls,
 * bpf-to-bpf calls, callbacks, exits and references are checked here;
 * arithmetic and branch refinement are in `transfer.ts`.
 */

import { checkCtxAccess, contextOf } from '../abi/contexts.js';
import { joinRegFact, type FactKind, type InsnFacts, type RegFact } from '../abi/facts.js';
import { HELPER, SKB_TYPES, helperAllowed, helperName, helperProto, type ArgKind } from '../abi/helpers.js';
import { diagnostic, type MessageCode } from '../diag/index.js';
import { imm64, rowOf, slots, type Insn } from '../isa/insn.js';
import { LddwSrc, type OpcodeRow } from '../isa/opcodes.js';
import { backwardFlow, buildCfg, jumpTarget, updatePrecision, type Cfg } from './cfg.js';
import {
  IdMap, constScalar, copyReg, isPointer, markConst, markUnknown, mayBeNull, nonNull, notInit, pointer, regSafe,
  regText, typeName, unknownScalar, type Reg,
} from './domains/reg-state.js';
import { isConst, signExtend, truncate, type CondOp } from './domains/scalar.js';
import { StackState, stackFailByte, stackSafe } from './domains/stack-state.js';
import { tnumIsAligned, tnumAdd, tnumConst, tnumText } from './domains/tnum.js';
import { aluInsn, condJump, type Edge } from './transfer.js';
import { insnText } from './insn-text.js';
import type { GlobalFunc, VerifyError, VerifyMap, VerifyOptions, VerifyResult } from './types.js';

/** The kernel's BPF_COMPLEXITY_LIMIT_INSNS. */
export const COMPLEXITY_LIMIT = 1_000_000;
const MAX_CALL_FRAMES = 8;
const MAX_STACK = 512;
const BPF_MAX_VAR_OFF = 1n << 29n;
const BPF_MAX_VAR_SIZ = 1n << 29n;
const MAX_STATES_PER_PC = 256;
const STACK_BYTES_ = 512;
/** Joins of one register's fact at one pc before its range becomes the widest (`WIDE_MIN`..`WIDE_MAX`). */
const FACT_JOINS_BEFORE_WIDENING = 4;
/** Visits of one pc before all its register facts widen. */
const FACT_VISITS_BEFORE_WIDENING = 8;
const WIDE_MIN = -(1n << 63n);
const WIDE_MAX = (1n << 64n) - 1n;
/** `slotKills` entry of a store not seen yet. */
const NO_KILL = -2;

/** One function activation. */
export interface Frame {
  regs: Reg[];
  stack: StackState;
  /** Caller's pc of the call (-1 for the entry frame). */
  callsite: number;
  /** First pc of the function. */
  start: number;
  /** A callback run by a helper (bpf_loop, for_each_map_elem). */
  callback: boolean;
}

/** An acquired reference that must be released before exit. */
interface Ref { readonly id: number; readonly pc: number; readonly what: string }

/** A verifier state: the frames of the call chain and the live references. */
export interface State { frames: Frame[]; refs: Ref[]; pc: number }

/** A deep copy of a state (registers and stacks are mutated in place). */
export function cloneState(s: State): State {
  const frames: Frame[] = [];
  for (const f of s.frames) {
    const regs: Reg[] = [];
    for (let r = 0; r < f.regs.length; r++) regs.push(copyReg(f.regs[r]!));
    frames.push({ regs, stack: f.stack.clone(), callsite: f.callsite, start: f.start, callback: f.callback });
  }
  return { frames, refs: s.refs.slice(), pc: s.pc };
}

/** What `memAccess` returns for a store (callers ignore it; never changed). */
const NOTHING_READ: Reg = notInit();

/** A rejection raised while processing one instruction. */
export class Reject {
  constructor(
    readonly code: MessageCode,
    readonly args: Record<string, string | number | bigint>,
    readonly kernel: string,
    readonly regno?: number,
    readonly reg?: Reg,
  ) {}
}

/** A checkpoint: a state stored at a prune point, with how often it pruned (`hit`) or failed to (`miss`). */
interface Stored {
  state: State; depth: number; done: boolean; hit: number; miss: number;
  /** Where the last failed comparison with this state failed (top frame): a register, or a stack byte (-1: none). */
  failReg: number; failByte: number;
  /** Scalar ids the state's registers and spills share (made on first comparison). */
  linked?: ReadonlySet<number>;
}

const NO_IDS: ReadonlySet<number> = new Set();

/** Ids held by more than one scalar of the state (registers and spilled slots, every frame): linked scalars. */
function linkedIds(st: State): ReadonlySet<number> {
  const seen = new Set<number>();
  const out = new Set<number>();
  const note = (r: Reg | undefined): void => {
    if (r === undefined || r.type !== 'scalar' || r.id === 0) return;
    if (seen.has(r.id)) out.add(r.id); else seen.add(r.id);
  };
  for (const f of st.frames) {
    for (let r = 0; r < 10; r++) note(f.regs[r]);
    for (const sp of f.stack.spills) note(sp);
  }
  return out.size === 0 ? NO_IDS : out;
}

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);

/** Map type name from a name or `enum bpf_map_type` number. */
function mapTypeName(t: string | number): string {
  if (typeof t === 'string') return t.toLowerCase().replace(/^bpf_map_type_/, '');
  const names = ['unspec', 'hash', 'array', 'prog_array', 'perf_event_array', 'percpu_hash', 'percpu_array',
    'stack_trace', 'cgroup_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps', 'hash_of_maps',
    'devmap', 'sockmap', 'cpumap', 'xskmap', 'sockhash', 'cgroup_storage', 'reuseport_sockarray',
    'percpu_cgroup_storage', 'queue', 'stack', 'sk_storage', 'devmap_hash', 'struct_ops', 'ringbuf',
    'inode_storage', 'task_storage', 'bloom_filter', 'user_ringbuf', 'cgrp_storage', 'arena'];
  return names[t] ?? `type ${t}`;
}

/** Verify one program (with its subprograms) and return the verdict, the first error, the facts and the log. */
export function verifyProgram(insns: readonly Insn[], options: VerifyOptions): VerifyResult {
  return new Verifier(insns, options).run();
}

class Verifier {
  private readonly maps: readonly VerifyMap[];
  private readonly logLevel: number;
  private readonly limit: number;
  private readonly log: string[] = [];
  private processed = 0;
  private idGen = 0;
  private totalStates = 0;
  private peakStates = 0;
  private curStates = 0;
  private readonly explored = new Map<number, Stored[]>();
  private readonly inProgress: Stored[] = [];
  private readonly work: State[] = [];
  private readonly factRegs: (RegFact[] | undefined)[] = [];
  /** Per pc and register, how many times its fact was widened by a join. */
  private factJoins = new Uint8Array(0);
  /** Per pc, facts recorded (up to `FACT_VISITS_BEFORE_WIDENING` + 1). */
  private factVisits = new Uint8Array(0);
  private readonly factAccess: (FactKind | undefined)[] = [];
  private readonly subDepth = new Map<number, number>();
  private readonly callEdges = new Map<number, Set<number>>();
  private cfg!: Cfg;
  private readonly ids = new IdMap();
  private jumps = 0;
  private readonly predicted = new Set<number>();
  /** Register add/sub instructions seen with a pointer operand. */
  private readonly ptrArith = new Set<number>();
  /** Per pc, two 32-bit words: the stack slots (of the running function's frame) its load or helper call read. */
  private slotFills = new Uint32Array(0);
  /** The one whole slot each store overwrote (-1: different slots on different paths). */
  private slotKills = new Int8Array(0);
  /** A read of another frame's stack or at a variable offset: compare whole stacks from now on. */
  private slotsGiveUp = false;
  private slotsStale = false;
  /** Per pc, two 32-bit words: the slots whose spilled value may reach a precise register. */
  private preciseSlots = new Uint32Array(0);
  /** Per pc, two 32-bit words: the slots that may be read later (before being overwritten). */
  private liveSlots = new Uint32Array(0);
  private precisionStale = false;
  /** Pcs whose precision seeds were added since the masks were last computed. */
  private precisionDirty: number[] = [];
  /** Pcs whose stack reads or writes were first seen since the slot masks were last computed (undefined: all). */
  private slotsDirty: number[] | undefined = [];
  private lastStoreInsns = -100;
  private lastStoreJumps = -100;
  private readonly back = new IdMap();
  /** Global functions reached by a call, and those verified on their own. */
  private readonly globalsCalled = new Set<number>();
  private readonly globalsDone = new Set<number>();

  constructor(private readonly insns: readonly Insn[], private readonly opts: VerifyOptions) {
    this.maps = opts.maps ?? [];
    this.logLevel = opts.logLevel ?? 0;
    this.limit = opts.maxInsns ?? COMPLEXITY_LIMIT;
  }

  run(): VerifyResult {
    const { cfg, problem } = buildCfg(this.insns, RETURN_RANGES[this.opts.progType] !== undefined);
    this.cfg = cfg;
    this.slotFills = new Uint32Array(cfg.length * 2);
    this.slotKills = new Int8Array(cfg.length).fill(NO_KILL);
    this.factJoins = new Uint8Array(cfg.length * 11);
    this.factVisits = new Uint8Array(cfg.length);
    if (problem !== undefined) {
      switch (problem.kind) {
        case 'invalid': {
          const i = cfg.byPc[problem.pc]!;
          return this.finish(problem.pc, new Reject('VERIFY_INVALID_INSN', { detail: `opcode 0x${i.code.toString(16)}` },
            `unknown opcode ${i.code.toString(16)}`));
        }
        case 'jump_range':
          return this.finish(problem.pc, new Reject('VERIFY_JUMP_RANGE', { from: problem.pc, to: problem.target! },
            `jump out of range from insn ${problem.pc} to ${problem.target}`));
        case 'fallthrough':
          return this.finish(problem.pc, new Reject('VERIFY_FALLTHROUGH', { last: problem.pc }, 'last insn is not an exit or jmp'));
        case 'unreachable':
          return this.finish(problem.pc, new Reject('VERIFY_UNREACHABLE', { target: problem.pc }, `unreachable insn ${problem.pc}`));
      }
    }
    const entry: Frame = { regs: Array.from({ length: 11 }, notInit), stack: new StackState(), callsite: -1, start: 0, callback: false };
    entry.regs[1] = pointer('ctx', 0, -1);
    if (this.opts.entryRegs !== undefined) {
      for (let r = 0; r < 10; r++) { const g = this.opts.entryRegs[r]; entry.regs[r] = g !== undefined ? copyReg(g) : notInit(); }
    }
    entry.regs[10] = pointer('stack', 0, -1, { frame: 0 });
    for (const [lo, hi] of this.opts.entryStackNumbers ?? []) entry.stack.writeMisc(lo, hi - lo, false);
    const at = { pc: 0, st: undefined as State | undefined };
    try {
      this.explore({ frames: [entry], refs: [], pc: 0 }, at);
      // the kernel's do_check_subprogs: each global function a call reached, verified on its own
      for (let g = this.nextGlobal(); g !== undefined; g = this.nextGlobal()) {
        this.globalsDone.add(g);
        this.explore(this.globalEntry(g), at);
      }
      this.checkStackDepth();
    } catch (e) {
      if (e instanceof Reject) return this.finish(at.pc, e, at.st);
      throw e;
    }
    return this.finish(-1, undefined);
  }

  /** Explore every path from `start`; `at` tracks the instruction being processed (for the error's location). */
  private explore(start: State, at: { pc: number; st: State | undefined }): void {
    this.explored.clear();
    let cur: State | undefined = start;
    at.st = cur;
    for (;;) {
      if (cur === undefined) {
        this.pathDone();
        cur = this.work.pop();
        if (cur === undefined) break;
        if (this.logLevel > 0) this.log.push(`from ${at.pc} to ${cur.pc}: ${this.stateText(cur)}`);
      }
      const pc = cur.pc;
      at.pc = pc;
      at.st = cur;
      if (this.cfg.prune[pc]) {
        const v = this.visit(pc, cur);
        if (v === 'prune') {
          if (this.logLevel > 0) this.log.push(`${pc}: safe`);
          cur = undefined;
          continue;
        }
      }
      if (++this.processed > this.limit) {
        throw new Reject('VERIFY_COMPLEXITY', { limit: this.limit }, `BPF program is too large. Processed ${this.processed} insn`);
      }
      const insn = this.cfg.byPc[pc]!;
      this.recordFacts(pc, cur);
      if (this.logLevel > 0) {
        this.log.push(`${pc}: (${insn.code.toString(16).padStart(2, '0')}) ${insnText(insn)}`);
      }
      cur = this.step(cur, insn);
      if (this.logLevel > 1 && cur !== undefined) this.log.push(`${pc}: ${this.stateText(cur)}`);
    }
  }

  /** The first global function called but not yet verified, by pc. */
  private nextGlobal(): number | undefined {
    let best: number | undefined;
    for (const pc of this.globalsCalled) if (!this.globalsDone.has(pc) && (best === undefined || pc < best)) best = pc;
    return best;
  }

  /** A global function's entry state: r1-r5 from its prototype, as `btf_prepare_func_args` gives them. */
  private globalEntry(pc: number): State {
    const g = this.opts.globalFuncs!.get(pc)!;
    const regs = Array.from({ length: 11 }, notInit);
    g.args.forEach((a, k) => {
      regs[k + 1] = a.kind === 'scalar' ? unknownScalar(-1)
        : a.kind === 'ctx' ? pointer('ctx', 0, -1)
        : pointer('mem_or_null', 0, -1, { id: this.newId(), range: a.size });
    });
    regs[10] = pointer('stack', 0, -1, { frame: 0 });
    if (this.logLevel > 0) this.log.push(`Validating ${g.name}() func#${this.cfg.subprogs.indexOf(pc)}...`);
    return { frames: [{ regs, stack: new StackState(), callsite: -1, start: pc, callback: false }], refs: [], pc };
  }

  // ---- results -------------------------------------------------------------

  private finish(pc: number, rej: Reject | undefined, st?: State): VerifyResult {
    const errors: VerifyError[] = [];
    if (rej !== undefined) {
      const line = pc >= 0 ? this.opts.lineInfo?.(pc) : undefined;
      const d = diagnostic(rej.code, rej.args, { pc, ...(line !== undefined ? { source: line } : {}) });
      const r = rej.reg ?? (rej.regno !== undefined && st !== undefined ? this.frame(st).regs[rej.regno] : undefined);
      errors.push({
        pc, code: rej.code, message: d.message, kernelMessage: rej.kernel, diagnostic: d,
        ...(rej.regno !== undefined && r !== undefined ? { reg: { regno: rej.regno, type: typeName(r), value: regText(r) }, originPc: r.pc } : {}),
        ...(line !== undefined ? { line } : {}),
      });
      if (this.logLevel > 0) {
        this.log.push(rej.kernel);
        this.log.push(`error: pc ${pc}: ${d.message}`);
        if (r !== undefined && rej.regno !== undefined) this.log.push(`  r${rej.regno} = ${regText(r)} (set at ${r.pc < 0 ? 'entry' : `pc ${r.pc}`})`);
        if (line !== undefined) this.log.push(`  ${line.file}:${line.line}: ${line.text}`);
      }
    }
    this.log.push(`processed ${this.processed} insns (limit ${this.limit}) total_states ${this.totalStates} peak_states ${this.peakStates}`);
    const insnFacts: (InsnFacts | undefined)[] = [];
    for (let p = 0; p < this.cfg.length; p++) {
      const regs = this.factRegs[p];
      if (regs === undefined) { insnFacts.push(undefined); continue; }
      const a = this.factAccess[p];
      insnFacts.push(a !== undefined ? { regs, access: { region: a, inBounds: rej === undefined } } : { regs });
    }
    return {
      verdict: rej === undefined ? 'accepted' : 'rejected', errors, processedInsns: Math.min(this.processed, this.limit),
      totalStates: this.totalStates, peakStates: this.peakStates, facts: { insns: insnFacts },
      log: this.logLevel > 0 ? this.log.join('\n') : this.log[this.log.length - 1]!,
    };
  }

  private recordFacts(pc: number, st: State): void {
    const regs = this.frame(st).regs;
    const old = this.factRegs[pc];
    if (old === undefined) { this.factRegs[pc] = regs.map(regFact); return; }
    // after a few visits, or a few joins of one register, ranges widen to their kind's whole range:
    // later paths only need the kind (and map) compared
    const wideAll = this.factVisits[pc] === FACT_VISITS_BEFORE_WIDENING;
    if (wideAll) this.factVisits[pc]++; else if (this.factVisits[pc]! < FACT_VISITS_BEFORE_WIDENING) this.factVisits[pc]++;
    for (let k = 0; k < old.length; k++) {
      const f = old[k]!;
      if (f.kind === 'mixed') continue;
      const r = regs[k]!;
      if (f.min === WIDE_MIN) {
        if (f.kind !== (FACT_KIND[r.type] ?? 'sock') || (f.map ?? -1) !== (r.type === 'scalar' || r.type === 'not_init' ? -1 : r.map)) old[k] = MIXED_FACT;
        continue;
      }
      if (factCovers(f, r)) { if (wideAll) old[k] = { ...f, min: WIDE_MIN, max: WIDE_MAX }; continue; }
      const n = ++this.factJoins[pc * 11 + k]!;
      const j = joinRegFact(f, regFact(r));
      old[k] = j.kind === 'mixed' || (n < FACT_JOINS_BEFORE_WIDENING && !wideAll) ? j : { ...j, min: WIDE_MIN, max: WIDE_MAX };
    }
  }

  private stateText(st: State): string {
    const f = this.frame(st);
    const parts: string[] = [];
    f.regs.forEach((r, k) => { if (r.type !== 'not_init') parts.push(`R${k}=${k === 10 ? `fp${st.frames.length - 1}` : regText(r)}`); });
    for (let s = 63; s >= 0; s--) {
      const sp = f.stack.spills[s];
      if (sp !== undefined) parts.push(`fp${(s - 64) * 8}=${regText(sp)}`);
    }
    return parts.join(' ');
  }

  // ---- pruning ---------------------------------------------------------------

  private visit(pc: number, cur: State): 'prune' | 'continue' {
    if (this.precisionStale) {
      updatePrecision(this.cfg, RETURN_RANGES[this.opts.progType] !== undefined, { predicted: this.predicted, ptrArith: this.ptrArith }, this.precisionDirty);
      this.precisionDirty = [];
      this.precisionStale = false;
      // which loads define a precise register may have changed: redo the slot flow everywhere
      this.slotsStale = true;
      this.slotsDirty = undefined;
    }
    if (this.slotsStale && !this.slotsGiveUp) { this.updateSlotPrecision(this.slotsDirty); this.slotsStale = false; this.slotsDirty = []; }
    let list = this.explored.get(pc);
    if (list === undefined) { list = []; this.explored.set(pc, list); }
    // the kernel's heuristic (`is_state_visited`): a new checkpoint only after 2 jumps and 8 instructions,
    // and in a loop (an in-progress state here) only after 20 jumps or 100 instructions
    const jumps = this.jumps - this.lastStoreJumps;
    const insns = this.processed - this.lastStoreInsns;
    let addNew = jumps >= 2 && insns >= 8;
    for (let k = 0; k < list.length; k++) {
      const s = list[k]!;
      if (s.done) {
        if (this.quickDiffers(s, cur, pc)) { /* differs where it differed last time */ } else if (this.statesEqual(s.state, cur, pc, false, s)) { s.hit++; return 'prune'; }
      } else {
        if (this.statesEqual(s.state, cur, pc, true)) {
          throw new Reject('VERIFY_INFINITE_LOOP', { target: pc }, `infinite loop detected at insn ${pc}`);
        }
        if (jumps < 20 && insns < 100) addNew = false;
      }
      if (addNew) s.miss++;
      // a fully explored state that rarely prunes is dropped (sound: fewer candidates only mean less pruning)
      if (s.done && s.miss > s.hit * 3 + 3) { list.splice(k--, 1); this.curStates--; }
    }
    if (!addNew) return 'continue';
    this.lastStoreInsns = this.processed;
    this.lastStoreJumps = this.jumps;
    if (list.length >= MAX_STATES_PER_PC) {
      // keep memory and time bounded: forget the oldest state (pruning in a loop mostly needs the newest)
      list.shift();
      this.curStates--;
    }
    const stored: Stored = { state: cloneState(cur), depth: this.work.length, done: false, hit: 0, miss: 0, failReg: -1, failByte: -1 };
    list.push(stored);
    this.inProgress.push(stored);
    this.totalStates++;
    this.curStates++;
    if (this.curStates > this.peakStates) this.peakStates = this.curStates;
    return 'continue';
  }

  /** Note a stack load or store at `pc` of [lo, hi + size) in frame `frameNo`. */
  private noteSlots(st: State, pc: number, frameNo: number, lo: number, hi: number, size: number, write: boolean): void {
    const current = frameNo === st.frames.length - 1;
    const first = (STACK_BYTES_ + lo) >> 3;
    const last = (STACK_BYTES_ + hi + size - 1) >> 3;
    if (write) {
      const whole = current && lo === hi && size === 8 && first === last ? first : -1;
      const old = this.slotKills[pc]!;
      if (old === NO_KILL || (old !== whole && old !== -1)) {
        this.slotKills[pc] = old === NO_KILL ? whole : -1;
        this.slotsStale = true;
        this.slotsDirty?.push(pc);
      }
      return;
    }
    if (!current || lo !== hi) { this.slotsGiveUp = true; return; }
    const fills = this.slotFills;
    for (let k = first; k <= last; k++) {
      const w = pc * 2 + (k >> 5);
      const bit = (1 << (k & 31)) >>> 0;
      if ((fills[w]! & bit) === 0) { fills[w] = (fills[w]! | bit) >>> 0; this.slotsStale = true; this.slotsDirty?.push(pc); }
    }
  }

  /**
   * Backward flows over slots: a slot is live where a later read (a load or a
   * helper's memory argument) may see it, and matters as a number where a
   * later load from it defines a precise register.
   */
  private updateSlotPrecision(changed: readonly number[] | undefined): void {
    const { byPc, length, precise, succ } = this.cfg;
    if (this.preciseSlots.length !== length * 2) { this.preciseSlots = new Uint32Array(length * 2); this.liveSlots = new Uint32Array(length * 2); }
    const ps = this.preciseSlots;
    const ls = this.liveSlots;
    const { slotFills, slotKills } = this;
    backwardFlow(this.cfg, changed, (pc) => {
      const insn = byPc[pc]!;
      let lo = 0; let hi = 0; let liveLo = 0; let liveHi = 0;
      for (let e = 0; e < 2; e++) {
        const n = succ[pc * 2 + e]!;
        if (n >= 0) { lo |= ps[n * 2]!; hi |= ps[n * 2 + 1]!; liveLo |= ls[n * 2]!; liveHi |= ls[n * 2 + 1]!; }
      }
      const kill = slotKills[pc]!;
      if (kill >= 0) {
        if (kill < 32) { lo &= ~(1 << kill); liveLo &= ~(1 << kill); } else { hi &= ~(1 << (kill - 32)); liveHi &= ~(1 << (kill - 32)); }
      }
      const fLo = slotFills[pc * 2]!;
      const fHi = slotFills[pc * 2 + 1]!;
      if ((fLo | fHi) !== 0) {
        liveLo |= fLo; liveHi |= fHi;
        const dstPrecise = rowOf(insn)!.kind !== 'ldx' || ((precise[pc + slots(insn)] ?? 0x7ff) & (1 << insn.dst)) !== 0;
        if (dstPrecise) { lo |= fLo; hi |= fHi; }
      }
      lo >>>= 0; hi >>>= 0; liveLo >>>= 0; liveHi >>>= 0;
      if (ps[pc * 2] === lo && ps[pc * 2 + 1] === hi && ls[pc * 2] === liveLo && ls[pc * 2 + 1] === liveHi) return false;
      ps[pc * 2] = lo; ps[pc * 2 + 1] = hi; ls[pc * 2] = liveLo; ls[pc * 2 + 1] = liveHi;
      return true;
    });
  }

  /** The current path ended: states whose every descendant is explored become usable for pruning. */
  private pathDone(): void {
    while (this.inProgress.length > 0 && this.inProgress[this.inProgress.length - 1]!.depth >= this.work.length) {
      this.inProgress.pop()!.done = true;
    }
  }

  /**
   * Whether the top frame differs from the stored state's where their last
   * comparison failed (most comparisons fail, and mostly at the same place).
   * Only a quicker "not equal": `statesEqual` decides equality.
   */
  private quickDiffers(s: Stored, cur: State, pc: number): boolean {
    const old = s.state;
    if (old.frames.length !== cur.frames.length) return true;
    const of = old.frames[old.frames.length - 1]!;
    const cf = cur.frames[cur.frames.length - 1]!;
    if (s.failReg >= 0) {
      const r = s.failReg;
      const o = of.regs[r]!; const c = cf.regs[r]!;
      if ((this.cfg.liveIn[pc]! & (1 << r)) !== 0 && !(!(this.cfg.precise[pc]! & (1 << r)) && o.type === 'scalar' && c.type === 'scalar' && !(s.linked ??= linkedIds(old)).has(o.id))
        && !regSafe(o, c, this.ids.reset())) return true;
    }
    if (s.failByte >= 0 && !this.slotsGiveUp) {
      const slotFacts = { precise: this.preciseSlots, live: this.liveSlots, at: pc, uninitReadable: this.opts.unprivileged !== true, linked: s.linked ??= linkedIds(old) };
      const lo = s.failByte & ~7;
      if (!stackSafe(of.stack, cf.stack, this.ids.reset(), slotFacts, lo, lo + 8)) return true;
    }
    return false;
  }

  private statesEqual(old: State, cur: State, pc: number, exact: boolean, stored?: Stored): boolean {
    if (old.frames.length !== cur.frames.length || old.refs.length !== cur.refs.length) return false;
    // cheap test first: the live registers' types must match
    for (let fi = 0; fi < old.frames.length; fi++) {
      const of = old.frames[fi]!.regs;
      const cf = cur.frames[fi]!.regs;
      for (let r = 0; r < 10; r++) {
        const ot = of[r]!.type;
        if (ot !== 'not_init' && ot !== cf[r]!.type && (fi !== old.frames.length - 1 || (this.cfg.liveIn[pc]! & (1 << r)))) return false;
      }
    }
    const ids = this.ids.reset();
    const back = this.back.reset();
    // a scalar linked to another (same id) is compared even where imprecise: a branch on one narrows both
    const linked = exact ? NO_IDS : stored !== undefined ? (stored.linked ??= linkedIds(old)) : linkedIds(old);
    for (let k = 0; k < old.refs.length; k++) if (!ids.check(old.refs[k]!.id + 1_000_000_000, cur.refs[k]!.id + 1_000_000_000)) return false;
    for (let fi = 0; fi < old.frames.length; fi++) {
      const of = old.frames[fi]!;
      const cf = cur.frames[fi]!;
      if (of.callsite !== cf.callsite || of.start !== cf.start) return false;
      const top = fi === old.frames.length - 1;
      const at = top ? pc : cur.frames[fi + 1]!.callsite + 1;
      const live = top ? this.cfg.liveIn[pc]! : (this.cfg.liveIn[at] ?? 0x7ff) & ~0x3f;
      const precise = this.cfg.precise[at] ?? 0x7ff;
      for (let r = 0; r < 10; r++) {
        if (!(live & (1 << r))) continue;
        if (!exact && !(precise & (1 << r)) && of.regs[r]!.type === 'scalar' && cf.regs[r]!.type === 'scalar' && !linked.has(of.regs[r]!.id)) continue;
        if (!regSafe(of.regs[r]!, cf.regs[r]!, ids)) {
          if (stored !== undefined && top) { stored.failReg = r; stored.failByte = -1; }
          return false;
        }
        if (exact && !regSafe(cf.regs[r]!, of.regs[r]!, back)) return false;
      }
      const slotFacts = exact || this.slotsGiveUp ? undefined : { precise: this.preciseSlots, live: this.liveSlots, at, uninitReadable: this.opts.unprivileged !== true, linked };
      if (!stackSafe(of.stack, cf.stack, ids, slotFacts)) {
        if (stored !== undefined && top) { stored.failByte = stackFailByte(); stored.failReg = -1; }
        return false;
      }
      if (exact && !stackSafe(cf.stack, of.stack, back)) return false;
    }
    return true;
  }

  // ---- helpers -------------------------------------------------------------

  private frame(st: State): Frame { return st.frames[st.frames.length - 1]!; }

  private newId(): number { return ++this.idGen; }

  /** Read check of a register (`check_reg_arg(SRC_OP)`). */
  private read(f: Frame, r: number): Reg {
    const reg = f.regs[r]!;
    if (reg.type === 'not_init') throw new Reject('VERIFY_UNINIT_REG', { reg: r }, `R${r} !read_ok`, r, reg);
    return reg;
  }

  /** Write check of a register (`check_reg_arg(DST_OP)`). */
  private writable(r: number): void {
    if (r === 10) throw new Reject('VERIFY_FP_WRITE', {}, 'frame pointer is read only');
  }

  private map(idx: number): VerifyMap {
    const m = this.maps[idx];
    if (m === undefined) throw new Reject('VERIFY_INVALID_INSN', { detail: `map index ${idx} does not exist` }, `fd ${idx} is not pointing to valid bpf_map`);
    return m;
  }

  // ---- one instruction -----------------------------------------------------

  /** Process `insn` in `st`; returns the state to continue with, or undefined when the path ends. */
  private step(st: State, insn: Insn): State | undefined {
    const row = rowOf(insn)!;
    const f = this.frame(st);
    const pc = insn.pc;
    const next = pc + slots(insn);
    switch (row.kind) {
      case 'alu': case 'neg': case 'end':
        this.writable(insn.dst);
        if (row.source === 'X' && (row.alu === 'add' || row.alu === 'sub') && !this.ptrArith.has(pc)
          && (isPointer(f.regs[insn.dst]!) || isPointer(f.regs[insn.src]!))) {
          this.ptrArith.add(pc);
          this.precisionDirty.push(pc);
          this.precisionStale = true;
        }
        aluInsn(f, insn, row, this);
        st.pc = next;
        return st;
      case 'lddw':
        this.writable(insn.dst);
        f.regs[insn.dst] = this.lddw(insn, st);
        st.pc = next;
        return st;
      case 'ldx': {
        this.writable(insn.dst);
        const v = this.memAccess(st, pc, insn.src, insn.off, row.size!, 'read', undefined);
        if (row.signed && v.type === 'scalar') signExtend(v, row.size!);
        v.pc = pc;
        f.regs[insn.dst] = v;
        st.pc = next;
        return st;
      }
      case 'st':
        this.memAccess(st, pc, insn.dst, insn.off, row.size!, 'write', constScalar(BigInt(insn.imm), pc));
        st.pc = next;
        return st;
      case 'stx':
        this.memAccess(st, pc, insn.dst, insn.off, row.size!, 'write', this.read(f, insn.src));
        st.pc = next;
        return st;
      case 'atomic':
        this.atomic(st, insn, row);
        st.pc = next;
        return st;
      case 'ldabs': case 'ldind':
        this.legacyPacketLoad(st, insn, row);
        st.pc = next;
        return st;
      case 'ja':
        this.jumps++;
        st.pc = jumpTarget(insn)!;
        return st;
      case 'jcond': {
        this.jumps++;
        const edges: Edge[] = condJump(f, insn, row, this, st);
        if (edges.length < 2 && !this.predicted.has(pc)) { this.predicted.add(pc); this.precisionDirty.push(pc); this.precisionStale = true; }
        if (edges.length === 0) return undefined;
        if (edges.length === 1) { st.pc = edges[0]!.taken ? jumpTarget(insn)! : next; return st; }
        // two edges: continue with the fall-through, push the jump
        const [fall, jump] = edges[0]!.taken ? [edges[1]!, edges[0]!] : [edges[0]!, edges[1]!];
        jump.state.pc = jumpTarget(insn)!;
        this.work.push(jump.state);
        fall.state.pc = next;
        return fall.state;
      }
      case 'call':
        this.jumps++;
        if (row.name === 'CALL_LOCAL') return this.localCall(st, insn);
        if (row.name === 'CALL_KFUNC') throw new Reject('VERIFY_UNSUPPORTED', { detail: 'calling kernel functions (kfuncs)' }, 'calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF');
        return this.helperCall(st, insn);
      case 'callx':
        throw new Reject('VERIFY_UNSUPPORTED', { detail: 'callx (indirect calls)' }, `unknown opcode ${insn.code.toString(16)}`);
      case 'exit':
        this.jumps++;
        return this.exit(st, insn);
    }
  }

  /** Fresh id for `r1 = r2` scalar links and packet pointers (used by transfer.ts). */
  allocId(): number { return this.newId(); }

  private lddw(insn: Insn, st: State): Reg {
    const pc = insn.pc;
    switch (insn.src) {
      case LddwSrc.IMM64: return constScalar(imm64(insn), pc);
      case LddwSrc.MAP_FD: case LddwSrc.MAP_IDX: {
        this.map(insn.imm);
        return pointer('map_ptr', 0, pc, { map: insn.imm });
      }
      case LddwSrc.MAP_VALUE: case LddwSrc.MAP_IDX_VALUE: {
        const m = this.map(insn.imm);
        const off = insn.imm2 ?? 0;
        if (off < 0 || off >= Math.max(m.valueSize, 1)) {
          throw new Reject('VERIFY_MEM_BOUNDS', { reg: insn.dst, type: 'map_value', min: off, max: off, size: 0, limit: m.valueSize },
            `invalid access to map value pointer, value_size=${m.valueSize} off=${off}`);
        }
        return pointer('map_value', off, pc, { map: insn.imm });
      }
      case LddwSrc.FUNC: return pointer('func', 0, pc, { map: pc + 1 + insn.imm });
      case LddwSrc.BTF_ID: return pointer('btf_id', 0, pc);
      default:
        void st;
        throw new Reject('VERIFY_INVALID_INSN', { detail: `lddw with src ${insn.src}` }, 'invalid bpf_ld_imm64 insn');
    }
  }

  // ---- memory --------------------------------------------------------------

  private stackAccessOff(regno: number, reg: Reg, insnOff: number, size: number, what: string): { lo: number; hi: number; fixed: boolean } {
    const off = reg.off + insnOff;
    if (isConst(reg)) {
      const lo = Number(s64(reg.varOff.value)) + off;
      if (lo < -MAX_STACK || lo + size > 0 || size <= 0) {
        throw new Reject('VERIFY_STACK_BOUNDS', { off: lo, size }, `invalid ${what} stack R${regno} off=${lo} size=${size}`, regno, reg);
      }
      return { lo, hi: lo, fixed: true };
    }
    if (reg.smax >= BPF_MAX_VAR_OFF || reg.smin <= -BPF_MAX_VAR_OFF) {
      throw new Reject('VERIFY_STACK_VAR', { reg: regno }, `invalid unbounded variable-offset ${what} stack R${regno}`, regno, reg);
    }
    const lo = Number(reg.smin) + off;
    const hi = Number(reg.smax) + off;
    if (lo < -MAX_STACK || hi + size > 0) {
      throw new Reject('VERIFY_STACK_BOUNDS', { off: lo, size }, `invalid variable-offset ${what} stack R${regno} var_off=${tnumText(reg.varOff)} off=${off} size=${size}`, regno, reg);
    }
    return { lo, hi, fixed: false };
  }

  /** `check_mem_region_access`: [smin+off, umax+off+size) inside [0, limit). */
  private regionCheck(regno: number, reg: Reg, insnOff: number, size: number, limit: number, what: string): void {
    const off = BigInt(reg.off + insnOff);
    const tn = typeName(reg);
    const kind = what === 'map value' ? `map value, value_size=${limit}` : `memory, mem_size=${limit}`;
    if (reg.smin < 0n && (reg.smin === -(1n << 63n) || reg.smin + off < 0n || BigInt.asIntN(32, off + reg.smin) !== off + reg.smin)) {
      throw new Reject('VERIFY_MEM_NEGATIVE', { reg: regno, type: tn },
        `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, regno, reg);
    }
    const lo = reg.smin + off;
    if (lo < 0n || BigInt(size) > BigInt(limit) - lo) {
      throw new Reject('VERIFY_MEM_BOUNDS', { reg: regno, type: tn, min: lo, max: reg.umax + off, size, limit },
        isConst(reg) && reg.off === 0 && reg.smin === 0n ? `invalid access to ${kind} off=${lo} size=${size}` : `R${regno} min value is outside of the allowed memory range`, regno, reg);
    }
    if (reg.umax >= BPF_MAX_VAR_OFF) {
      throw new Reject('VERIFY_UNBOUNDED', { reg: regno, type: tn }, `R${regno} unbounded memory access, make sure to bounds check any such access`, regno, reg);
    }
    const hi = reg.umax + off;
    if (BigInt(size) > BigInt(limit) - hi) {
      throw new Reject('VERIFY_MEM_BOUNDS', { reg: regno, type: tn, min: lo, max: hi, size, limit },
        `R${regno} max value is outside of the allowed memory range`, regno, reg);
    }
  }

  /**
   * `check_mem_access`: a load or store of `size` bytes at `reg + off`.
   * Returns the loaded value for reads (a fresh register).
   */
  memAccess(st: State, pc: number, regno: number, insnOff: number, size: number, kind: 'read' | 'write', value: Reg | undefined): Reg {
    const f = this.frame(st);
    const reg = this.read(f, regno);
    const write = kind === 'write';
    const sized = (): Reg => { const out = unknownScalar(pc); truncate(out, size); return out; };
    switch (reg.type) {
      case 'stack': {
        this.noteAccess(pc, 'stack');
        const what = write ? 'write to' : 'read from';
        const { lo, hi, fixed } = this.stackAccessOff(regno, reg, insnOff, size, what);
        const at = tnumAdd(reg.varOff, tnumConst(BigInt(reg.off + insnOff)));
        if (!tnumIsAligned(at, size)) {
          throw new Reject('VERIFY_STACK_MISALIGNED', { off: lo, size },
            `misaligned stack access off ${tnumText(reg.varOff)}+${reg.off}+${insnOff} size ${size}`, regno, reg);
        }
        const stack = st.frames[reg.frame]!.stack;
        this.noteSlots(st, pc, reg.frame, lo, hi, size, write);
        if (write) {
          const v = value!;
          if (!fixed) { for (let o = lo; o <= hi; o++) stack.writeMisc(o, size, false); return NOTHING_READ; }
          if (isPointer(v)) {
            if (size !== 8) throw new Reject('VERIFY_SPILL_SIZE', {}, 'invalid size of register spill');
            stack.spill(lo, v);
          } else if (size === 8) {
            stack.spill(lo, v);
          } else {
            stack.writeMisc(lo, size, isConst(v) && (v.varOff.value & ((1n << BigInt(size * 8)) - 1n)) === 0n);
          }
          this.noteDepth(st, reg.frame, lo);
          return NOTHING_READ;
        }
        if (!fixed) {
          for (let o = lo; o <= hi && this.opts.unprivileged; o++) {
            const bad = stack.firstInvalid(o, size);
            if (bad !== undefined) {
              throw new Reject('VERIFY_UNINIT_STACK', { off: bad, size }, `invalid variable-offset read from stack R${regno} var_off=${tnumText(reg.varOff)} off=${reg.off + insnOff} size=${size}`, regno, reg);
            }
          }
          return sized();
        }
        const sp = stack.spilledAt(lo, size);
        if (sp !== undefined) {
          if (size === 8) { const r = copyReg(sp); return r; }
          if (isPointer(sp)) throw new Reject('VERIFY_FILL_SIZE', { type: typeName(sp) }, 'invalid size of register fill');
          if (isConst(sp)) {
            const shift = BigInt(((lo % 8) + 8) % 8 * 8);
            return constScalar((sp.varOff.value >> shift) & ((1n << BigInt(size * 8)) - 1n), pc);
          }
          return sized();
        }
        const bad = this.opts.unprivileged ? stack.firstInvalid(lo, size) : undefined;
        if (bad !== undefined) {
          throw new Reject('VERIFY_UNINIT_STACK', { off: bad, size }, `invalid read from stack off ${lo}+${bad - lo} size ${size}`, regno, reg);
        }
        if (stack.allZero(lo, size)) return constScalar(0n, pc);
        return sized();
      }
      case 'ctx': {
        this.noteAccess(pc, 'ctx');
        if (reg.off !== 0 || !isConst(reg) || reg.varOff.value !== 0n) {
          if (!isConst(reg)) throw new Reject('VERIFY_CTX_MODIFIED', { reg: regno, off: 'a variable amount' }, `variable ctx access var_off=${tnumText(reg.varOff)} disallowed`, regno, reg);
          throw new Reject('VERIFY_CTX_MODIFIED', { reg: regno, off: reg.off }, `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`, regno, reg);
        }
        const layout = this.opts.context ?? contextOf(this.opts.progType);
        if (layout === undefined) return sized();
        const a = checkCtxAccess(layout, insnOff, size, write);
        if (!a.ok) {
          throw new Reject('VERIFY_CTX_ACCESS', {
            progType: this.opts.progType, verb: write ? 'write' : 'read', size, off: insnOff, ctx: layout.name,
            field: fieldHint(layout.fields.find((x) => insnOff >= x.off && insnOff < x.off + x.size)?.name),
          }, `invalid bpf_context access off=${insnOff} size=${size}`, regno, reg);
        }
        if (write) return NOTHING_READ;
        switch (a.ptr) {
          case 'packet': return pointer('packet', 0, pc);
          case 'packet_end': return pointer('packet_end', 0, pc);
          case 'packet_meta': return pointer('packet_meta', 0, pc);
          case 'sock_or_null': return pointer('sock_or_null', 0, pc, { id: this.newId() });
          case 'sock_common_or_null': return pointer('sock_common_or_null', 0, pc, { id: this.newId() });
          default: return sized();
        }
      }
      case 'packet': case 'packet_meta': {
        this.noteAccess(pc, reg.type);
        if (write && !canWritePacket(this.opts.progType)) {
          throw new Reject('VERIFY_READONLY', { reg: regno, what: `packet data of ${this.opts.progType} programs` }, 'cannot write into packet', regno, reg);
        }
        if (reg.smin < 0n) {
          throw new Reject('VERIFY_PACKET_NEGATIVE', { reg: regno }, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, regno, reg);
        }
        const off = reg.off + insnOff;
        if (off < 0 || off + size > reg.range) {
          throw new Reject('VERIFY_PACKET_RANGE', { reg: regno, off, size, range: reg.range, need: off + size },
            `R${regno} offset is outside of the packet`, regno, reg);
        }
        return sized();
      }
      case 'map_value': {
        this.noteAccess(pc, 'map_value');
        const m = this.map(reg.map);
        if (write && m.readonly) {
          throw new Reject('VERIFY_READONLY', { reg: regno, what: `map ${m.name ?? reg.map} is read-only` },
            `write into map forbidden, value_size=${m.valueSize} off=${reg.off + insnOff} size=${size}`, regno, reg);
        }
        this.regionCheck(regno, reg, insnOff, size, m.valueSize, 'map value');
        if (!write && m.readonly && m.initial !== undefined && isConst(reg)) {
          const at = reg.off + insnOff + Number(reg.varOff.value);
          if (at >= 0 && at + size <= m.initial.length) {
            let v = 0n;
            for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(m.initial[at + k]!);
            return constScalar(v, pc);
          }
        }
        return sized();
      }
      case 'mem': {
        this.noteAccess(pc, 'mem');
        this.regionCheck(regno, reg, insnOff, size, reg.range, 'memory');
        return sized();
      }
      case 'sock': case 'sock_common': case 'btf_id': {
        this.noteAccess(pc, 'sock');
        if (write) throw new Reject('VERIFY_READONLY', { reg: regno, what: typeName(reg) }, `cannot write into ${typeName(reg)}`, regno, reg);
        return sized();
      }
      default: {
        if (mayBeNull(reg.type)) {
          throw new Reject('VERIFY_NULL_DEREF', { reg: regno, type: typeName(reg) }, `R${regno} invalid mem access '${typeName(reg)}'`, regno, reg);
        }
        throw new Reject('VERIFY_BAD_DEREF', { reg: regno, type: typeName(reg) }, `R${regno} invalid mem access '${typeName(reg)}'`, regno, reg);
      }
    }
  }

  private noteAccess(pc: number, kind: FactKind): void {
    const old = this.factAccess[pc];
    this.factAccess[pc] = old === undefined || old === kind ? kind : 'mixed';
  }

  private noteDepth(st: State, frameNo: number, off: number): void {
    const start = st.frames[frameNo]!.start;
    const d = Math.max(this.subDepth.get(start) ?? 0, -off);
    this.subDepth.set(start, d);
  }

  private atomic(st: State, insn: Insn, row: OpcodeRow): void {
    const f = this.frame(st);
    const src = this.read(f, insn.src);
    const dst = this.read(f, insn.dst);
    if (isPointer(src)) throw new Reject('VERIFY_PTR_STORE', { what: 'a pointer with an atomic operation', detail: `r${insn.src} holds ${typeName(src)}` }, `R${insn.src} leaks addr into mem`, insn.src, src);
    if (row.atomic === 'cmpxchg') this.read(f, 0);
    if (dst.type !== 'stack' && dst.type !== 'map_value' && dst.type !== 'mem' && !mayBeNull(dst.type) && dst.type !== 'scalar') {
      throw new Reject('VERIFY_BAD_DEREF', { reg: insn.dst, type: typeName(dst) }, `BPF_ATOMIC stores into R${insn.dst} ${typeName(dst)} is not allowed`, insn.dst, dst);
    }
    this.memAccess(st, insn.pc, insn.dst, insn.off, row.size!, 'read', undefined);
    this.memAccess(st, insn.pc, insn.dst, insn.off, row.size!, 'write', unknownScalar(insn.pc));
    const out = unknownScalar(insn.pc);
    if (row.size === 4) truncate(out, 4);
    if (row.atomic === 'cmpxchg') f.regs[0] = out;
    else if (row.fetch) { this.writable(insn.src); f.regs[insn.src] = out; }
  }

  private legacyPacketLoad(st: State, insn: Insn, row: OpcodeRow): void {
    const f = this.frame(st);
    if (!SKB_TYPES.includes(this.opts.progType)) {
      throw new Reject('VERIFY_UNSUPPORTED', { detail: `legacy packet loads in ${this.opts.progType} programs` }, 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
    }
    const ctx = this.read(f, 6);
    if (ctx.type !== 'ctx') {
      throw new Reject('VERIFY_HELPER_ARG', { arg: 'implicit', name: row.mnemonic, reg: 6, expected: 'the context pointer', type: typeName(ctx) }, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb', 6, ctx);
    }
    if (row.kind === 'ldind') this.read(f, insn.src);
    for (let r = 1; r <= 5; r++) f.regs[r] = notInit();
    const v = unknownScalar(insn.pc);
    truncate(v, row.size!);
    f.regs[0] = v;
  }

  // ---- calls ---------------------------------------------------------------

  private localCall(st: State, insn: Insn): State {
    if (st.frames.length >= MAX_CALL_FRAMES) {
      throw new Reject('VERIFY_CALL_DEPTH', { max: MAX_CALL_FRAMES }, `the call stack of ${st.frames.length + 1} frames is too deep !`);
    }
    const f = this.frame(st);
    const target = insn.pc + 1 + insn.imm;
    const edges = this.callEdges.get(f.start) ?? new Set<number>();
    edges.add(target);
    this.callEdges.set(f.start, edges);
    const global = this.opts.globalFuncs?.get(target);
    if (global !== undefined) return this.globalCall(st, insn, target, global);
    const regs = Array.from({ length: 11 }, notInit);
    for (let r = 1; r <= 5; r++) regs[r] = copyReg(f.regs[r]!);
    regs[10] = pointer('stack', 0, insn.pc, { frame: st.frames.length });
    st.frames.push({ regs, stack: new StackState(), callsite: insn.pc, start: target, callback: false });
    st.pc = target;
    return st;
  }

  /** A call of a global function: arguments checked against its prototype (`btf_check_subprog_call`), r0 unknown. */
  private globalCall(st: State, insn: Insn, target: number, g: GlobalFunc): State {
    const f = this.frame(st);
    const funcNo = this.cfg.subprogs.indexOf(target);
    const kernel = `Caller passes invalid args into func#${funcNo} ('${g.name}')`;
    if (g.unsupported !== undefined) throw new Reject('VERIFY_GLOBAL_PROTO', { name: g.name, detail: g.unsupported }, kernel);
    g.args.forEach((a, k) => {
      const regno = k + 1;
      const reg = f.regs[regno]!;
      const bad = (expected: string): Reject =>
        new Reject('VERIFY_GLOBAL_ARG', { arg: regno, name: g.name, reg: regno, expected, type: typeName(reg) }, kernel, regno, reg);
      switch (a.kind) {
        case 'scalar':
          if (reg.type !== 'scalar') throw bad('a number');
          return;
        case 'ctx':
          if (reg.type !== 'ctx') throw bad('the context pointer');
          if (reg.off !== 0 || !isConst(reg) || reg.varOff.value !== 0n) throw bad('the unmodified context pointer');
          return;
        case 'mem': {
          if (reg.type === 'scalar' && isConst(reg) && reg.varOff.value === 0n) return;
          // check_mem_reg: a maybe-null pointer is checked as if not null, for reading and for writing
          const p = mayBeNull(reg.type) ? { ...copyReg(reg), type: reg.type.replace('_or_null', '') as Reg['type'] } : reg;
          if (!isMemPointer(p)) throw bad(`a pointer to ${a.size} bytes of memory (stack, map value, packet) or null`);
          this.helperMem(st, regno, p, BigInt(a.size), BigInt(a.size), true, true, false, g.name, k);
          return;
        }
      }
    });
    if (this.logLevel > 0) this.log.push(`Func#${funcNo} ('${g.name}') is global and assumed valid.`);
    this.globalsCalled.add(target);
    for (let r = 1; r <= 5; r++) f.regs[r] = notInit();
    f.regs[0] = unknownScalar(insn.pc);
    st.pc = insn.pc + 1;
    return st;
  }

  private exit(st: State, insn: Insn): State | undefined {
    const f = this.frame(st);
    const global = st.frames.length === 1 && f.start !== 0 ? this.opts.globalFuncs?.get(f.start) : undefined;
    const needsR0 = global !== undefined ? !global.returnsVoid : this.opts.exitNeedsR0 !== false;
    if (st.frames.length === 1 && !needsR0 && f.regs[0]!.type === 'not_init') f.regs[0] = unknownScalar(insn.pc);
    const r0 = this.read(f, 0);
    if (st.frames.length > 1) {
      // the kernel refuses any stack pointer here, the caller's own included (`prepare_func_exit`)
      if (r0.type === 'stack') throw new Reject('VERIFY_RETURN_STACK_PTR', {}, 'cannot return stack pointer to the caller', 0, r0);
      st.frames.pop();
      const caller = this.frame(st);
      if (f.callback) {
        if (r0.type !== 'scalar' || r0.umax > 1n || r0.smin < 0n) {
          throw new Reject('VERIFY_CALLBACK_RETURN', { value: regText(r0) }, `At callback return the register R0 has ${regText(r0)} should have been in [0, 1]`, 0, r0);
        }
        caller.regs[0] = unknownScalar(f.callsite);
      } else {
        caller.regs[0] = copyReg(r0);
      }
      for (let r = 1; r <= 5; r++) caller.regs[r] = notInit();
      st.pc = f.callsite + 1;
      return st;
    }
    if (st.refs.length > 0) {
      const ref = st.refs[0]!;
      throw new Reject('VERIFY_REF_LEAK', { what: ref.what, allocPc: ref.pc }, `Unreleased reference id=${ref.id} alloc_insn=${ref.pc}`);
    }
    if (global !== undefined) {
      if (!global.returnsVoid && r0.type !== 'scalar') {
        throw new Reject('VERIFY_GLOBAL_RETURN', { name: global.name, value: typeName(r0) }, `At subprogram exit the register R0 is not a scalar value (${typeName(r0)})`, 0, r0);
      }
      return undefined;
    }
    const range = RETURN_RANGES[this.opts.progType];
    if (range !== undefined) {
      const [lo, hi] = range;
      if (r0.type !== 'scalar') {
        throw new Reject('VERIFY_RETURN_RANGE', { value: typeName(r0), progType: this.opts.progType, lo, hi }, `At program exit the register R0 is not a known value (${typeName(r0)})`, 0, r0);
      }
      if (r0.smin < BigInt(lo) || r0.smax > BigInt(hi) || r0.umax > BigInt(hi)) {
        throw new Reject('VERIFY_RETURN_RANGE', { value: regText(r0), progType: this.opts.progType, lo, hi }, `At program exit the register R0 has ${regText(r0)} should have been in [${lo}, ${hi}]`, 0, r0);
      }
    }
    void insn;
    return undefined;
  }

  private helperCall(st: State, insn: Insn): State {
    const f = this.frame(st);
    const id = insn.imm;
    const name = helperName(id);
    const proto = helperProto(id);
    if (proto === undefined) {
      throw new Reject('VERIFY_HELPER_UNKNOWN', { name, id }, id > 0 && id < 212 ? `unknown func ${name}#${id}` : `invalid func unknown#${id}`);
    }
    if (!helperAllowed(proto, this.opts.progType)) {
      throw new Reject('VERIFY_HELPER_PROG_TYPE', { name, progType: this.opts.progType }, `program of this type cannot use helper ${name}#${id}`);
    }
    let mapIdx = -1;
    let memArg: { regno: number; reg: Reg; write: boolean; needInit: boolean } | undefined;
    let allocSize = -1;
    let callback: Reg | undefined;
    let release: Reg | undefined;
    let cbCtx: Reg | undefined;
    const bad = (k: number, reg: Reg, expected: string, kernelExpected: string): Reject =>
      new Reject('VERIFY_HELPER_ARG', { arg: k + 1, name, reg: k + 1, expected, type: typeName(reg) }, `R${k + 1} type=${typeName(reg)} expected=${kernelExpected}`, k + 1, reg);
    proto.args.forEach((kind: ArgKind, k: number) => {
      const regno = k + 1;
      const reg = this.read(f, regno);
      const isNull = reg.type === 'scalar' && isConst(reg) && reg.varOff.value === 0n;
      switch (kind) {
        case 'anything': return;
        case 'const_map_ptr':
          if (reg.type !== 'map_ptr') throw bad(k, reg, 'a map (loaded with ld_imm64 of a map)', 'map_ptr');
          mapIdx = reg.map;
          this.checkMapCompat(id, name, this.map(mapIdx));
          return;
        case 'map_key': case 'map_value': case 'map_value_uninit': case 'map_value_or_null': {
          if (kind === 'map_value_or_null' && isNull) return;
          if (mapIdx < 0) throw new Reject('VERIFY_HELPER_ARG', { arg: regno, name, reg: regno, expected: 'preceded by a map argument', type: typeName(reg) }, 'invalid map_ptr to access map->key');
          const m = this.map(mapIdx);
          const size = kind === 'map_key' ? m.keySize : m.valueSize;
          this.helperMem(st, regno, reg, BigInt(size), BigInt(size), kind === 'map_value_uninit', kind !== 'map_value_uninit', false, name, k);
          return;
        }
        case 'mem': case 'mem_rdonly': case 'mem_or_null': case 'mem_rdonly_or_null': case 'uninit_mem':
          if (kind.endsWith('_or_null') && isNull) { memArg = undefined; return; }
          if (!isMemPointer(reg)) throw bad(k, reg, 'a pointer to memory (stack, map value, packet)', 'fp');
          memArg = { regno, reg, write: kind === 'uninit_mem' || kind === 'mem' || kind === 'mem_or_null', needInit: kind !== 'uninit_mem' };
          return;
        case 'const_size': case 'const_size_or_zero': {
          if (reg.type !== 'scalar') throw bad(k, reg, 'a size (a number)', 'scalar');
          const zeroOk = kind === 'const_size_or_zero';
          if (reg.smin < 0n) throw new Reject('VERIFY_HELPER_SIZE', { arg: regno, name, reg: regno, expected: 'non-negative', value: regText(reg) }, `R${regno} min value is negative, either use unsigned or 'var &= const'`, regno, reg);
          if (reg.umin === 0n && !zeroOk) throw new Reject('VERIFY_HELPER_SIZE', { arg: regno, name, reg: regno, expected: 'at least 1', value: regText(reg) }, `R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`, regno, reg);
          if (reg.umax >= BPF_MAX_VAR_SIZ) throw new Reject('VERIFY_HELPER_SIZE', { arg: regno, name, reg: regno, expected: 'bounded', value: regText(reg) }, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`, regno, reg);
          if (memArg !== undefined) this.helperMem(st, memArg.regno, memArg.reg, reg.umin, reg.umax, memArg.write, memArg.needInit, zeroOk, name, k - 1);
          memArg = undefined;
          return;
        }
        case 'const_alloc_size_or_zero':
          if (reg.type !== 'scalar' || !isConst(reg)) throw new Reject('VERIFY_HELPER_SIZE', { arg: regno, name, reg: regno, expected: 'a known constant', value: regText(reg) }, `R${regno} is not a known constant'`, regno, reg);
          allocSize = Number(reg.varOff.value);
          return;
        case 'ctx': case 'ctx_or_null':
          if (kind === 'ctx_or_null' && isNull) return;
          if (reg.type !== 'ctx') throw bad(k, reg, 'the context pointer', 'ctx');
          if (reg.off !== 0 || !isConst(reg) || reg.varOff.value !== 0n) throw new Reject('VERIFY_CTX_MODIFIED', { reg: regno, off: reg.off }, `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`, regno, reg);
          return;
        case 'stack_or_null':
          if (!isNull && reg.type !== 'stack') throw bad(k, reg, 'a stack pointer or 0', 'fp');
          cbCtx = reg;
          return;
        case 'func':
          if (reg.type !== 'func') throw bad(k, reg, 'a callback function', 'func');
          callback = reg;
          return;
        case 'ringbuf_mem_release':
          if (reg.type !== 'mem' || !reg.ringbuf || reg.ref === 0) throw bad(k, reg, 'a ring buffer reservation (the non-null result of bpf_ringbuf_reserve)', 'ringbuf_mem');
          if (reg.off !== 0 || !isConst(reg)) throw new Reject('VERIFY_REF_INVALID', { reg: regno, name }, `R${regno} must have zero offset when passed to release func`, regno, reg);
          release = reg;
          return;
        case 'sock_release':
          if ((reg.type !== 'sock' && reg.type !== 'sock_common') || reg.ref === 0) throw bad(k, reg, 'an acquired socket', 'sock');
          release = reg;
          return;
        case 'spin_lock':
          if (reg.type !== 'map_value') throw bad(k, reg, 'a pointer to a bpf_spin_lock in a map value', 'map_value');
          return;
        case 'long': case 'int':
          this.helperMem(st, regno, reg, kind === 'long' ? 8n : 4n, kind === 'long' ? 8n : 4n, true, kind === 'int', false, name, k);
          return;
        case 'const_str':
          if (reg.type !== 'map_value' || !this.map(reg.map).readonly) throw bad(k, reg, 'a constant string in read-only data', 'map_value');
          return;
        case 'sock_common': case 'sock_common_or_null':
          if (kind === 'sock_common_or_null' && isNull) return;
          if (reg.type !== 'sock' && reg.type !== 'sock_common' && reg.type !== 'btf_id') throw bad(k, reg, 'a socket', 'sock_common');
          return;
        case 'btf_id':
          if (!isPointer(reg)) throw bad(k, reg, 'a kernel object pointer', 'ptr_');
          return;
      }
    });
    if (id === HELPER.tail_call && mapTypeName(this.map(mapIdx).type) !== 'prog_array') {
      throw new Reject('VERIFY_HELPER_MAP', { name, detail: 'bpf_tail_call needs a BPF_MAP_TYPE_PROG_ARRAY map' }, 'expected prog array map for tail call');
    }
    if (id === HELPER.tail_call && st.refs.length > 0) {
      throw new Reject('VERIFY_REF_LEAK', { what: st.refs[0]!.what, allocPc: st.refs[0]!.pc }, 'tail_call would lead to reference leak');
    }
    if (release !== undefined) this.releaseRef(st, release.ref);
    for (let r = 1; r <= 5; r++) f.regs[r] = notInit();
    const pc = insn.pc;
    let r0: Reg;
    switch (proto.ret) {
      case 'integer': r0 = unknownScalar(pc); break;
      case 'void': r0 = notInit(); break;
      case 'map_value': r0 = pointer('map_value', 0, pc, { map: mapIdx }); break;
      case 'map_value_or_null': {
        const m = this.map(mapIdx);
        const t = mapTypeName(m.type);
        if ((t === 'array_of_maps' || t === 'hash_of_maps') && m.inner !== undefined) r0 = pointer('map_ptr_or_null', 0, pc, { map: m.inner, id: this.newId() });
        else r0 = pointer('map_value_or_null', 0, pc, { map: mapIdx, id: this.newId() });
        break;
      }
      case 'ringbuf_mem_or_null': {
        const ref = this.newId();
        st.refs.push({ id: ref, pc, what: 'ring buffer reservation' });
        r0 = pointer('mem_or_null', 0, pc, { id: this.newId(), range: allocSize, ringbuf: true, ref });
        break;
      }
      case 'socket_or_null': case 'sock_common_or_null': case 'tcp_sock_or_null': case 'btf_id_or_null': {
        const t = proto.ret === 'socket_or_null' ? 'sock_or_null' : proto.ret === 'btf_id_or_null' ? 'btf_id_or_null' : 'sock_common_or_null';
        let ref = 0;
        if (proto.acquire) { ref = this.newId(); st.refs.push({ id: ref, pc, what: 'socket reference' }); }
        r0 = pointer(t, 0, pc, { id: this.newId(), ref });
        break;
      }
    }
    f.regs[0] = r0;
    if (callback !== undefined) return this.callCallback(st, insn, callback, mapIdx, cbCtx, id);
    st.pc = pc + 1;
    return st;
  }

  private checkMapCompat(id: number, name: string, m: VerifyMap): void {
    const t = mapTypeName(m.type);
    const ringbufOnly = id >= HELPER.ringbuf_output && id <= 134;
    if (ringbufOnly && t !== 'ringbuf') throw new Reject('VERIFY_HELPER_MAP', { name, detail: `it needs a ring buffer map, not ${t}` }, `cannot pass map_type ${t} into func ${name}#${id}`);
    if (t === 'ringbuf' && !ringbufOnly) throw new Reject('VERIFY_HELPER_MAP', { name, detail: 'ring buffer maps only work with the bpf_ringbuf_* helpers' }, `cannot pass map_type 27 into func ${name}#${id}`);
    if (t === 'prog_array' && id !== HELPER.tail_call) throw new Reject('VERIFY_HELPER_MAP', { name, detail: 'program arrays only work with bpf_tail_call' }, `cannot pass map_type 3 into func ${name}#${id}`);
  }

  /** `check_helper_mem_access`: [reg, reg + size) must be accessible (and initialised when read). */
  private helperMem(st: State, regno: number, reg: Reg, minSize: bigint, maxSize: bigint, write: boolean, needInit: boolean, zeroOk: boolean, name: string, k: number): void {
    const size = Number(maxSize);
    if (size === 0) { if (!zeroOk) throw new Reject('VERIFY_HELPER_SIZE', { arg: k + 2, name, reg: regno + 1, expected: 'at least 1', value: '0' }, 'invalid zero-sized read'); return; }
    void minSize;
    switch (reg.type) {
      case 'stack': {
        const { lo, hi } = this.stackAccessOff(regno, reg, 0, size, write ? 'write to' : 'read from');
        const stack = st.frames[reg.frame]!.stack;
        for (let o = lo; o <= hi; o++) {
          if (needInit && this.opts.unprivileged) {
            const bad = stack.firstInvalid(o, size);
            if (bad !== undefined) {
              throw new Reject('VERIFY_UNINIT_STACK', { off: bad, size }, `invalid indirect read from stack R${regno} off ${o}+${bad - o} size ${size}`, regno, reg);
            }
          }
        }
        if (needInit) this.noteSlots(st, st.pc, reg.frame, lo, hi, size, false);
        if (write) { for (let o = lo; o <= hi; o++) stack.writeMisc(o, size, false); }
        this.noteDepth(st, reg.frame, lo);
        return;
      }
      case 'map_value': {
        const m = this.map(reg.map);
        if (write && m.readonly) throw new Reject('VERIFY_READONLY', { reg: regno, what: `map ${m.name ?? reg.map} is read-only` }, `write into map forbidden, value_size=${m.valueSize} off=${reg.off} size=${size}`, regno, reg);
        this.regionCheck(regno, reg, 0, size, m.valueSize, 'map value');
        return;
      }
      case 'mem':
        this.regionCheck(regno, reg, 0, size, reg.range, 'memory');
        return;
      case 'packet': case 'packet_meta': {
        const off = reg.off;
        if (reg.smin < 0n) throw new Reject('VERIFY_PACKET_NEGATIVE', { reg: regno }, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, regno, reg);
        if (off < 0 || off + size > reg.range) throw new Reject('VERIFY_PACKET_RANGE', { reg: regno, off, size, range: reg.range, need: off + size }, `R${regno} offset is outside of the packet`, regno, reg);
        return;
      }
      default:
        throw new Reject('VERIFY_HELPER_ARG', { arg: k + 1, name, reg: regno, expected: 'a pointer to memory', type: typeName(reg) }, `R${regno} type=${typeName(reg)} expected=fp, pkt, pkt_meta, map_key, map_value, mem`, regno, reg);
    }
  }

  private releaseRef(st: State, ref: number): void {
    st.refs = st.refs.filter((r) => r.id !== ref);
    for (const fr of st.frames) {
      for (const r of fr.regs) if (r.ref === ref) markUnknown(r, r.pc);
      for (const r of fr.stack.spills) if (r !== undefined && r.ref === ref) markUnknown(r, r.pc);
    }
  }

  /** Run a helper's callback as a call from the helper's pc; on return the caller continues after the helper. */
  private callCallback(st: State, insn: Insn, cb: Reg, mapIdx: number, cbCtx: Reg | undefined, id: number): State {
    if (st.frames.length >= MAX_CALL_FRAMES) {
      throw new Reject('VERIFY_CALL_DEPTH', { max: MAX_CALL_FRAMES }, `the call stack of ${st.frames.length + 1} frames is too deep !`);
    }
    const regs = Array.from({ length: 11 }, notInit);
    const pc = insn.pc;
    if (id === HELPER.loop) {
      const idx = unknownScalar(pc);
      truncate(idx, 4);
      regs[1] = idx;
      regs[2] = cbCtx !== undefined ? copyReg(cbCtx) : constScalar(0n, pc);
    } else {
      const m = this.map(mapIdx);
      regs[1] = pointer('map_ptr', 0, pc, { map: mapIdx });
      regs[2] = pointer('mem', 0, pc, { range: m.keySize });
      regs[3] = pointer('map_value', 0, pc, { map: mapIdx });
      regs[4] = cbCtx !== undefined ? copyReg(cbCtx) : constScalar(0n, pc);
    }
    regs[10] = pointer('stack', 0, pc, { frame: st.frames.length });
    const f = this.frame(st);
    const edges = this.callEdges.get(f.start) ?? new Set<number>();
    edges.add(cb.map);
    this.callEdges.set(f.start, edges);
    st.frames.push({ regs, stack: new StackState(), callsite: pc, start: cb.map, callback: true });
    st.pc = cb.map;
    return st;
  }

  /** `check_max_stack_depth`: the deepest call chain's stack, each frame rounded up to 32 bytes. */
  private checkStackDepth(): void {
    // round_up_stack_depth with the JIT (the kernel's default): frames round up to 16 bytes
    const depthOf = (s: number): number => Math.ceil((this.subDepth.get(s) ?? 0) / 16) * 16;
    const walk = (s: number, seen: Set<number>): number => {
      let best = 0;
      for (const c of this.callEdges.get(s) ?? []) {
        if (seen.has(c)) continue;
        seen.add(c);
        best = Math.max(best, walk(c, seen));
        seen.delete(c);
      }
      return depthOf(s) + best;
    };
    const total = walk(0, new Set([0]));
    if (this.callEdges.size > 0 && total > MAX_STACK) {
      throw new Reject('VERIFY_STACK_DEPTH', { size: total }, `combined stack size of ${this.callEdges.size + 1} calls is ${total}. Too large`);
    }
  }
}

/** Return-value ranges the kernel enforces at program exit (`check_return_code`). */
const RETURN_RANGES: Record<string, readonly [number, number]> = {
  cgroup_skb: [0, 1], cgroup_sock: [0, 1], cgroup_sock_addr: [0, 1], sock_ops: [0, 1],
  cgroup_device: [0, 1], cgroup_sysctl: [0, 1], cgroup_sockopt: [0, 1], sk_lookup: [0, 1],
};

function canWritePacket(progType: string): boolean {
  return ['sched_cls', 'sched_act', 'xdp', 'lwt_xmit', 'sk_skb', 'sk_msg', 'lwt_seg6local'].includes(progType);
}

function isMemPointer(r: Reg): boolean {
  return r.type === 'stack' || r.type === 'map_value' || r.type === 'mem' || r.type === 'packet' || r.type === 'packet_meta';
}

function fieldHint(name: string | undefined): string {
  return name === undefined ? '' : ` (field ${name})`;
}

const MIXED_FACT: RegFact = { kind: 'mixed', min: 0n, max: 0xffff_ffff_ffff_ffffn };
const FACT_KIND: Partial<Record<Reg['type'], FactKind>> = {
  not_init: 'uninit', scalar: 'scalar', ctx: 'ctx', stack: 'stack', packet: 'packet', packet_end: 'packet_end', packet_meta: 'packet_meta',
  map_value: 'map_value', map_value_or_null: 'map_value_or_null', map_ptr: 'map_ptr', map_ptr_or_null: 'map_ptr', mem: 'mem',
  mem_or_null: 'mem_or_null', func: 'func',
};

function regFact(r: Reg): RegFact {
  if (r.type === 'not_init') return { kind: 'uninit', min: 0n, max: 0n };
  if (r.type === 'scalar') return { kind: 'scalar', min: r.umin, max: r.umax };
  const kind = FACT_KIND[r.type] ?? 'sock';
  const base = BigInt(r.off);
  return { kind, min: base + r.smin, max: base + r.smax, ...(r.map >= 0 ? { map: r.map } : {}) };
}

/** Whether the fact already holds for the register (joining would not change it). */
function factCovers(f: RegFact, r: Reg): boolean {
  if (f.kind !== (FACT_KIND[r.type] ?? 'sock')) return false;
  if (r.type === 'not_init') return true;
  if (r.type === 'scalar') return f.min <= r.umin && r.umax <= f.max;
  if (f.map !== (r.map >= 0 ? r.map : undefined)) return false;
  if (r.off === 0) return f.min <= r.smin && r.smax <= f.max;
  const base = BigInt(r.off);
  return f.min <= base + r.smin && base + r.smax <= f.max;
}

/** Things `transfer.ts` needs from the verifier. */
export interface VerifierHooks { allocId(): number }

export { nonNull, markConst, type CondOp };
