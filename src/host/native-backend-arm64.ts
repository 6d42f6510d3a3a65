/**
 * @file The AArch64 backend as the host runs it: a program lifted and
 * optimised (`compile.ts`), compiled to AArch64 (`src/emit-arm64/compile.ts`)
 * and executed on the AArch64 emulator over the instance's own linear memory,
 * with map handles and global-data addresses as the instance resolves them
 * and the instance's helpers behind the emulator's host-call escape.
 * `insnCount` is the number of machine instructions executed.
 */

import type { HelperEnv, Helpers } from '../abi/helper-env.js';
import { ProgramStop } from '../abi/helper-env.js';
import type { Memory } from '../abi/memory.js';
import { DiagnosticError, fail } from '../diag/index.js';
import { FRAME_REG } from '../emit-arm64/abi.js';
import type { Arm64Program } from '../emit-arm64/compile.js';
import { compileArm64 } from '../emit-arm64/compile.js';
import { Arm64Emulator, CODE_BASE, type HostFunction } from '../emit-arm64/emulator.js';
import type { PacketRange } from '../interp/index.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/registers.js';
import type { Backend } from './backend.js';
import { programIR, type CompileSettings } from './compile.js';
import type { Instance } from './instance.js';

/** Bytes of machine stack (spills, saved registers, frame records) given to a run. */
export const MACHINE_STACK_SIZE = 64 * 1024;

/** What one run needs. */
export interface Arm64RunOptions {
  readonly memory: Memory;
  /** Entry arguments (r1..). */
  readonly args: readonly bigint[];
  readonly helpers?: Helpers;
  /** One past the end of the eBPF stack region (8 frames of 512 bytes). */
  readonly stackTop: number;
  /** One past the end of the machine stack region. */
  readonly machineStackTop: number;
  /** What legacy packet loads read; absent: every one is out of bounds. */
  readonly packet?: PacketRange;
  /** Most machine instructions per run (the emulator's step limit). */
  readonly stepLimit?: number;
}

/** The outcome of a run. */
export interface Arm64RunResult {
  readonly r0: bigint;
  /** Machine instructions executed. */
  readonly insnCount: number;
}

class PacketExit {}

const TWO32 = 2n ** 32n;

/**
 * Run a compiled program on the emulator. Faults are `DiagnosticError`s with
 * the eBPF pc of the faulting instruction; a helper's `stopProgram` and an
 * out-of-bounds legacy packet load end the run as in the interpreter.
 */
export function runArm64(prog: Arm64Program, o: Arm64RunOptions): Arm64RunResult {
  let emu: Arm64Emulator | undefined = undefined;
  const pcOf = (offset: number): number => prog.pcs[offset >> 2] ?? -1;
  /** eBPF pc of the host call being made (its `blr` is the instruction before the return address). */
  const callPc = (e: Arm64Emulator): number => pcOf(Number(e.x[30]!) - CODE_BASE - 4);
  const env: HelperEnv & { pc: number } = {
    memory: o.memory, ctx: Number(o.args[0] ?? 0n), pc: 0,
    // a callback is a bpf-to-bpf call from the helper's frame: the frame register moves down one frame
    // around it, and the host call's return address is kept for the interrupted run
    callback: (fn, a, b, c, d, e) => {
      const m = emu!;
      if (fn >= BigInt(prog.funcOffsets.length)) fail('RUN_BAD_CALLBACK', { address: fn.toString(16) }, { pc: env.pc });
      const fp = m.x[FRAME_REG]!;
      const lr = m.x[30]!;
      if (fp - BigInt(STACK_SIZE) < BigInt(o.stackTop - (MAX_CALL_FRAMES - 1) * STACK_SIZE)) fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc: env.pc });
      m.x[FRAME_REG] = fp - BigInt(STACK_SIZE);
      try {
        return BigInt.asUintN(64, m.call(prog.funcOffsets[Number(fn)]!, [a, b, c, d, e]));
      } finally {
        m.x[FRAME_REG] = fp;
        m.x[30] = lr;
      }
    },
  };
  const helpers = o.helpers ?? new Map();
  const callHelper = (id: number, args: readonly bigint[], argc: number, e: Arm64Emulator): bigint => {
    const pc = callPc(e);
    const fn = helpers.get(id);
    if (fn === undefined) fail('RUN_UNKNOWN_HELPER', { id }, { pc });
    env.pc = pc;
    const a = [0, 1, 2, 3, 4].map((k) => (k < argc ? args[k]! : 0n));
    try {
      return BigInt.asUintN(64, fn(env, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!));
    } catch (err) {
      if (err instanceof DiagnosticError) throw err.within({ pc });
      throw err;
    }
  };
  const hostFunctions: HostFunction[] = prog.hostCalls.map((h): HostFunction => {
    switch (h.kind) {
      case 'helper': return (args, e) => callHelper(h.id, args, h.argc, e);
      case 'callx': return (args, e) => {
        const id = args[5]!;
        if (id >= TWO32) fail('RUN_UNKNOWN_HELPER', { id }, { pc: callPc(e) });
        return callHelper(Number(id), args, h.argc, e);
      };
      case 'ldPkt': return (args) => {
        const offset = Number(BigInt.asIntN(32, args[1]!));
        const p = o.packet;
        if (p === undefined || offset < 0 || offset + h.size > p.size) throw new PacketExit();
        const v = o.memory.view;
        const a = p.start + offset;
        return BigInt(h.size === 1 ? v.getUint8(a) : h.size === 2 ? v.getUint16(a, false) : v.getUint32(a, false));
      };
    }
  });
  emu = new Arm64Emulator({
    code: prog.code, memory: o.memory, hostFunctions, checkRegions: true,
    ...(o.stepLimit !== undefined ? { stepLimit: o.stepLimit } : {}),
    onBreak: (imm, e) => {
      const site = prog.faults[imm];
      const pc = site?.pc ?? pcOf(e.pc - CODE_BASE);
      if (site?.kind === 'callDepth') fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc });
      fail('RUN_FELL_OFF', { count: 0 }, { pc });
    },
  });
  const args = [...o.args];
  while (args.length < 7) args.push(0n);
  args.push(BigInt(o.stackTop));
  try {
    const r0 = emu.call(0, args, BigInt(o.machineStackTop));
    return { r0, insnCount: emu.steps };
  } catch (err) {
    if (err instanceof ProgramStop) return { r0: err.r0, insnCount: emu.steps };
    if (err instanceof PacketExit) return { r0: 0n, insnCount: emu.steps };
    if (err instanceof DiagnosticError && err.diagnostic.location.pc === undefined) {
      const pc = pcOf(emu.pc - CODE_BASE);
      const d = err.diagnostic;
      if (d.code === 'ARM64_READ_ONLY') {
        // The emulator's region check is this backend's memory protection: report it as the interpreter does.
        const m = /store of (\d+) bytes at 0x([0-9a-f]+) into read-only region "(.*)" at code offset/.exec(d.message);
        if (m !== null) fail('RUN_READONLY', { size: m[1]!, address: m[2]!, region: m[3]! }, { pc });
      }
      if (pc >= 0) throw err.within({ pc });
    }
    throw err;
  }
}

/** The AArch64 backend (compiling at `settings.level`, default -O2), on the emulator. */
export function arm64Backend(settings: CompileSettings = {}, name = 'arm64'): Backend {
  return {
    name,
    load(prog, instance: Instance, loadOptions = {}) {
      const where = { section: prog.section, program: prog.name };
      const located = (err: unknown): unknown => (err as { within?: (l: object) => Error }).within?.(where) ?? err;
      try {
        const ir = programIR(prog, { maps: instance.object.maps, ...settings }, loadOptions.entryArgs ?? 1);
        const { handles: mapHandles, values: mapValues } = instance.mapAddresses();
        const compiled = compileArm64(ir, { mapHandles, mapValues });
        const stack = instance.memory.map(`stack:${prog.name}`, 'stack', STACK_SIZE * MAX_CALL_FRAMES, true);
        const mstack = instance.memory.map(`machine-stack:${prog.name}`, 'stack', MACHINE_STACK_SIZE, true);
        return {
          dispose() { instance.memory.unmap(stack); instance.memory.unmap(mstack); },
          run(ctx, packet, more = []) {
            try {
              const r = runArm64(compiled, {
                memory: instance.memory, args: [BigInt(ctx), ...more], helpers: instance.helpers,
                stackTop: stack.start + stack.size, machineStackTop: mstack.start + mstack.size,
                ...(packet !== undefined ? { packet } : {}),
              });
              return { r0: r.r0, insnCount: r.insnCount };
            } catch (err) {
              throw located(err);
            }
          },
        };
      } catch (err) {
        throw located(err);
      }
    },
  };
}
