/**
 * @file Probes on JavaScript functions, the counterpart of uprobes and
 * uretprobes: `probe(fn, {entry, return})` returns a function that calls
 * `fn` and runs `BPF_PROG_TYPE_KPROBE` programs on the way in and out.
 *
 * Each program gets an x86-64 `struct pt_regs` (the layout in
 * `src/abi/contexts.ts`, what `PT_REGS_PARM1`..`PARM6` and `PT_REGS_RC`
 * read with `__TARGET_ARCH_x86`):
 *
 * - entry: the first six arguments in `rdi`, `rsi`, `rdx`, `rcx`, `r8`,
 *   `r9` (further arguments, which x86-64 passes on the stack, are not
 *   given: `rsp` is 0);
 * - return: the return value in `rax`, every other register 0, as after a
 *   call the argument registers hold nothing meaningful;
 * - both: `rip` holds the probe's id, a number that tells probed functions
 *   apart (a uprobe's address).
 *
 * Values become 64-bit registers this way: integers (numbers and bigints)
 * in two's complement, booleans as 0 or 1, other numbers as their IEEE-754
 * bits (as a `double` would be moved to a general register), strings as the
 * address of a NUL-terminated UTF-8 copy and byte arrays (any
 * `ArrayBufferView`) as the address of a copy of their bytes. The copies are
 * in a read-only region each link keeps in the program's memory, where
 * `bpf_probe_read_user`/`_str` read them, and are zeroed after the run;
 * anything else (objects, `null`, `undefined`) is 0.
 *
 * The programs' results are ignored, as a uprobe's are when nothing
 * consumes the perf event. When `fn` throws, the return programs do not run
 * (a uretprobe fires only on a return). A function returning a promise
 * gives the promise to the return programs, which see 0.
 */

import type { Region } from '../../abi/memory.js';
import { ProgType } from '../../abi/program-types.js';
import { contextFields, LinkRegions } from './context.js';
import { Hook, type Link } from './hook.js';
import type { HookProgram } from './program.js';

const UTF8 = new TextEncoder();

const REGS = contextFields('kprobe', ['rdi', 'rsi', 'rdx', 'rcx', 'r8', 'r9', 'rax', 'rip']);
/** Argument registers in order (System V x86-64 calling convention). */
const ARG_REGS = [REGS.off.rdi, REGS.off.rsi, REGS.off.rdx, REGS.off.rcx, REGS.off.r8, REGS.off.r9];
/** Ids of probed functions, as `rip` gives them. */
let nextProbeId = 0x1000;

/** One value in a register: a number, or bytes to place in memory (the register holds their address). */
type RegValue = bigint | Uint8Array;

/** How a JavaScript value is passed in a register. */
export function registerValue(value: unknown): RegValue {
  switch (typeof value) {
    case 'bigint': return BigInt.asUintN(64, value);
    case 'boolean': return value ? 1n : 0n;
    case 'number': {
      if (Number.isSafeInteger(value)) return BigInt.asUintN(64, BigInt(value));
      const v = new DataView(new ArrayBuffer(8));
      v.setFloat64(0, value, true);
      return v.getBigUint64(0, true);
    }
    case 'string': {
      const utf8 = UTF8.encode(value);
      const z = new Uint8Array(utf8.length + 1);
      z.set(utf8);
      return z;
    }
    default:
      if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
      return 0n;
  }
}

interface ProbeState {
  readonly regions: LinkRegions;
  readonly regs: Region;
  /** Where byte values are placed (read-only to the program), grown as calls need. */
  input: Region | undefined;
}

/** The entry or return side of a probed function. */
export class ProbeHook extends Hook<ProbeState, object> {
  readonly kind = 'probe' as const;
  protected readonly programTypes = [ProgType.KPROBE];

  constructor(name: string, readonly side: 'entry' | 'return', readonly id: number) {
    super(`${name}:${side}`);
  }

  protected setup(program: HookProgram): ProbeState {
    const regions = new LinkRegions(program);
    return { regions, regs: regions.map('pt-regs', 'ctx', REGS.size, false), input: undefined };
  }

  protected teardown(_program: HookProgram, state: ProbeState): void { state.regions.release(); }
  protected defaults(): object { return {}; }

  /** Run the attached programs with these register values (by `pt_regs` offset); returns how many ran. */
  fire(values: readonly (readonly [number, RegValue])[]): number {
    let ran = 0;
    for (const link of this.links) {
      runProbe(link.program, link.state, values, this.id);
      ran++;
    }
    return ran;
  }
}

/** One program on one call: registers set, byte values placed in the link's input region for the run. */
function runProbe(program: HookProgram, state: ProbeState, values: readonly (readonly [number, RegValue])[], id: number): void {
  const mem = program.instance.memory;
  const placed = values.reduce((n, [, v]) => n + (typeof v === 'bigint' ? 0 : (v.length + 7) & ~7), 0);
  if (placed > (state.input?.size ?? 0)) {
    if (state.input !== undefined) state.regions.unmap(state.input);
    state.input = state.regions.map('probe-args', 'input', Math.max(256, 2 ** Math.ceil(Math.log2(placed))), false);
  }
  const regs = state.regs.start;
  mem.bytes.fill(0, regs, regs + state.regs.size);
  const base = state.input?.start ?? 0;
  let at = base;
  for (const [off, v] of values) {
    if (typeof v === 'bigint') {
      mem.view.setBigUint64(regs + off, v, true);
    } else {
      mem.bytes.set(v, at);
      mem.view.setBigUint64(regs + off, BigInt(at), true);
      at += (v.length + 7) & ~7;
    }
  }
  mem.view.setBigUint64(regs + REGS.off.rip, BigInt(id), true);
  try {
    program.executable.run(regs);
  } finally {
    // a later call's program never reads this call's bytes
    if (at > base) mem.bytes.fill(0, base, at);
  }
}

/** Programs to run around a probed function. */
export interface ProbePrograms {
  /** Runs before each call, with the arguments (a uprobe). */
  readonly entry?: HookProgram;
  /** Runs after each call that returns, with the return value (a uretprobe). */
  readonly return?: HookProgram;
  /** The probe's name in messages (default the function's name). */
  readonly name?: string;
}

/** A probed function: callable like the original, with its hooks to attach more programs. */
export type Probed<F extends (...args: never[]) => unknown> = F & {
  readonly entry: ProbeHook;
  readonly return: ProbeHook;
  /** Links of the programs given to `probe`. */
  readonly links: { readonly entry?: Link<ProbeState, object>; readonly return?: Link<ProbeState, object> };
  /** The `rip` both sides see. */
  readonly probeId: number;
};

/** Wrap `fn` so that entry and return programs run around each call. */
export function probe<F extends (...args: never[]) => unknown>(fn: F, programs: ProbePrograms = {}): Probed<F> {
  const id = nextProbeId++;
  const name = programs.name ?? (fn.name || `probe${id}`);
  const entry = new ProbeHook(name, 'entry', id);
  const ret = new ProbeHook(name, 'return', id);
  const links = {
    ...(programs.entry !== undefined ? { entry: entry.attach(programs.entry) } : {}),
    ...(programs.return !== undefined ? { return: ret.attach(programs.return) } : {}),
  };
  function probed(this: unknown, ...args: unknown[]): unknown {
    if (entry.links.length > 0) {
      entry.fire(args.slice(0, ARG_REGS.length).map((a, i) => [ARG_REGS[i]!, registerValue(a)] as const));
    }
    const value = (fn as unknown as (...a: unknown[]) => unknown).apply(this, args);
    if (ret.links.length > 0) ret.fire([[REGS.off.rax, value instanceof Promise ? 0n : registerValue(value)]]);
    return value;
  }
  Object.defineProperties(probed, {
    entry: { value: entry }, return: { value: ret }, links: { value: links }, probeId: { value: id },
    name: { value: fn.name }, length: { value: fn.length },
  });
  return probed as unknown as Probed<F>;
}
