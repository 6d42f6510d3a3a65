/**
 * @file The x86-64 backend as the host runs it: a program compiled to x86-64
 * machine code (`src/emit-native-x86/compile.ts`) and executed by the x86-64
 * emulator over the instance's own linear memory, with the instance's
 * helpers and map addresses. `insnCount` is machine instructions executed.
 *
 * Memory: the eBPF stack (MAX_CALL_FRAMES × 512 bytes, rbp = its top on
 * entry) and the machine stack (rsp) are two regions of the linear memory.
 * Runtime services (checks, legacy packet loads, traps, callx) arrive as
 * host calls (`src/emit-native-x86/abi.ts`).
 */

import { ProgramStop, type HelperEnv } from '../abi/helper-env.js';
import { DiagnosticError, fail } from '../diag/diagnostic.js';
import { ACCESS, CALL_DEPTH, CALLX, CHECK, LD_PKT, SERVICE_BASE, TRAP, splitHostId } from '../emit-native-x86/abi.js';
import { compileX86, type X86Code } from '../emit-native-x86/compile.js';
import { X86Emulator } from '../emit-native-x86/emulator.js';
import { R11, RBP, RSP } from '../emit-native-x86/regs.js';
import type { PacketRange } from '../interp/interp.js';
import { prepare } from '../interp/program.js';
import { make } from '../isa/insn.js';
import { LddwSrc, OP } from '../isa/opcodes.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/registers.js';
import type { ProgramSpec } from '../elf/types.js';
import type { Backend } from './backend.js';
import { programIR, type CompileSettings } from './compile.js';
import type { Instance } from './instance.js';

const TWO32 = 1n << 32n;
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** Bytes of machine stack given to a run. */
export const MACHINE_STACK = 64 * 1024;

/** Thrown by the packet-load service to end the program with r0 = 0. */
class PacketExit {}

/** Compile a program of `instance` to x86-64 code, resolving its maps through the instance. */
export function compileProgramX86(prog: ProgramSpec, instance: Instance, settings: CompileSettings = {}, entryArgs = 1, checks = true, frameLimit?: number, allocatable?: readonly number[]): X86Code {
  const ir = programIR(prog, { maps: instance.object.maps, ...settings }, entryArgs);
  return compileX86(ir, {
    checks,
    ...(allocatable !== undefined ? { allocatable } : {}),
    ...(frameLimit !== undefined ? { frameLimit } : {}),
    mapHandle(k) {
      const v = instance.resolveLddw(LddwSrc.MAP_IDX, make(OP.LDDW_MAP_IDX!, { imm: k }));
      if (v === undefined) fail('RUN_LDDW_UNRESOLVED', { kind: LddwSrc.MAP_IDX, imm: k });
      return v;
    },
    mapValue(k, offset) {
      const v = instance.resolveLddw(LddwSrc.MAP_IDX_VALUE, { ...make(OP.LDDW_MAP_IDX_VALUE!, { imm: k }), imm2: 0 });
      if (v === undefined) fail('RUN_LDDW_UNRESOLVED', { kind: LddwSrc.MAP_IDX_VALUE, imm: k });
      return u64(v + offset);
    },
  });
}

/** The x86-64 backend (compiled at `settings.level`, default -O2, run on the emulator); `allocatable` restricts the registers (tests). */
export function x86Backend(settings: CompileSettings = {}, name = 'x86-64', allocatable?: readonly number[]): Backend {
  return {
    name,
    load(prog, instance: Instance, loadOptions = {}) {
      const where = { section: prog.section, program: prog.name };
      const located = (err: unknown): unknown => (err as { within?: (l: object) => Error }).within?.(where) ?? err;
      let compiled: X86Code;
      const memory = instance.memory;
      const stack = memory.map(`stack:${prog.name}`, 'stack', STACK_SIZE * MAX_CALL_FRAMES, true);
      try {
        // The interpreter's load-time checks (every lddw resolves, no kfuncs), for the same diagnostics.
        prepare(prog.insns, { lddw: { resolve: (kind, insn) => instance.resolveLddw(kind, insn) } });
        compiled = compileProgramX86(prog, instance, settings, loadOptions.entryArgs ?? 1, true, stack.start + STACK_SIZE, allocatable);
      } catch (err) {
        memory.unmap(stack);
        throw located(err);
      }
      const machine = memory.map(`machine-stack:${prog.name}`, 'heap', MACHINE_STACK, true);
      let ctx = 0;
      let packet: PacketRange | undefined;
      let pc = 0;
      const env: HelperEnv = {
        memory, get ctx() { return ctx; }, get pc() { return pc; },
        // a callback is a bpf-to-bpf call from the helper's frame: rbp moves down one frame around it
        callback: (fn, a, b, c, d, e) => {
          if (fn >= BigInt(compiled.funcs.length)) fail('RUN_BAD_CALLBACK', { address: fn.toString(16) }, { pc });
          const fp = emu.getReg(RBP);
          if (fp - BigInt(STACK_SIZE) < BigInt(stack.start + STACK_SIZE)) fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc });
          emu.setReg(RBP, fp - BigInt(STACK_SIZE));
          try {
            return u64(emu.callBack(compiled.funcs[Number(fn)]!, [a, b, c, d, e]));
          } finally {
            emu.setReg(RBP, fp);
          }
        },
      };
      const callHelper = (id: number, args: readonly bigint[]): bigint => {
        const fn = instance.helpers.get(id);
        if (fn === undefined) fail('RUN_UNKNOWN_HELPER', { id }, { pc });
        try {
          return u64(fn(env, u64(args[0]!), u64(args[1]!), u64(args[2]!), u64(args[3]!), u64(args[4]!)));
        } catch (e) {
          if (e instanceof DiagnosticError) throw e.within({ pc });
          throw e;
        }
      };
      const emu: X86Emulator = new X86Emulator({
        code: compiled.code,
        memory,
        hostCall(id, args) {
          const s = splitHostId(id);
          pc = s.pc;
          if (s.service < SERVICE_BASE) return callHelper(s.service, args);
          if (s.service === CALLX) {
            const target = u64(args[5]!);
            if (target >= TWO32) fail('RUN_UNKNOWN_HELPER', { id: target }, { pc });
            return callHelper(Number(target), args);
          }
          if (s.service === TRAP) fail('RUN_FELL_OFF', { count: 0 }, { pc });
          if (s.service === CALL_DEPTH) fail('RUN_CALL_DEPTH', { max: MAX_CALL_FRAMES }, { pc });
          if (s.service >= LD_PKT && s.service < LD_PKT + 16) {
            const size = s.service - LD_PKT;
            const offset = Number(BigInt.asIntN(32, emu.getReg(R11)));
            if (packet === undefined || offset < 0 || offset + size > packet.size) throw new PacketExit();
            const v = memory.view;
            const a = packet.start + offset;
            return BigInt(size === 1 ? v.getUint8(a) : size === 2 ? v.getUint16(a, false) : v.getUint32(a, false));
          }
          if (s.service >= CHECK && s.service < CHECK + 0x40) {
            const kind = (s.service - CHECK) >> 4;
            const size = (s.service - CHECK) & 15;
            const a = emu.getReg(R11);
            const what = kind === ACCESS.load ? 'load' : kind === ACCESS.store ? 'store' : 'atomic';
            const r = a < TWO32 ? memory.find(Number(a), size) : undefined;
            if (r !== undefined && (kind === ACCESS.load || r.writable)) return 0n;
            if (r !== undefined) fail('RUN_READONLY', { size, address: a.toString(16), region: r.name }, { pc });
            fail('RUN_MEMORY_FAULT', { access: what, size, address: a.toString(16) }, { pc });
          }
          fail('RUN_UNKNOWN_HELPER', { id }, { pc });
        },
      });
      return {
        dispose() { memory.unmap(stack); memory.unmap(machine); },
        run(c, pkt, more = []) {
          ctx = c;
          packet = pkt;
          emu.executed = 0;
          emu.setReg(RSP, BigInt(machine.start + machine.size));
          emu.setReg(RBP, BigInt(stack.start + stack.size));
          try {
            const r0 = emu.call(compiled.entry, [BigInt(c), ...more]);
            return { r0: u64(r0), insnCount: emu.executed };
          } catch (e) {
            if (e instanceof ProgramStop) return { r0: e.r0, insnCount: emu.executed };
            if (e instanceof PacketExit) return { r0: 0n, insnCount: emu.executed };
            throw located(e);
          }
        },
      };
    },
  };
}
