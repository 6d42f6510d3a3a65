/**
 * @file An IR module to AArch64 machine code: a program stub (the entry the
 * host calls, `docs/native-arm64.md`), then every function, each allocated by
 * the shared register allocator (`src/codegen/regalloc.ts`) and lowered by
 * `lower.ts`. The result carries the bytes, the records, the assembly text
 * (annotated with the function and the eBPF pc of each block) that llvm-mc
 * assembles back to the same bytes, and the tables the runner needs: host
 * calls, BRK fault sites and the eBPF pc of every instruction.
 *
 * ```
 *   offset 0  stub:  stp x29, x30, [sp, #-32]!    save the frame record
 *                    mov x29, sp
 *                    stp x26, x27, [sp, #16]      save the reserved registers
 *                    mov x27, x7                  r10 = stack top
 *                    sub x26, x27, #3584          deepest r10 (8 frames)
 *                    bl  <entry function>
 *                    ldp x26, x27, [sp, #16]
 *                    ldp x29, x30, [sp], #32
 *                    ret
 *   then      the entry function, then the others in module order
 * ```
 */

import { allocate } from '../codegen/regalloc.js';
import type { Label } from '../codegen/buffer.js';
import type { Module } from '../ir/func.js';
import { entryBlock } from '../ir/func.js';
import type { FuncRef } from '../ir/types.js';
import { DEPTH_SPAN, FRAME_REG, LIMIT_REG, STACK_TOP_ARG, hostCallKey, type FaultSite, type HostCall } from './abi.js';
import { encodeAll } from './encode.js';
import { FP, LR, SP, addImm, mov, movSp, pair, ret, subImm, type Inst } from './insts.js';
import { Asm, lowerFunc, type LowerEnv } from './lower.js';
import { printInst } from './print.js';
import { ARM64_TARGET } from './target.js';

/** Compile options. */
export interface Arm64CompileOptions {
  /** Map handles by map index (`map_addr`); absent maps give 0. */
  readonly mapHandles?: ReadonlyMap<number, bigint>;
  /** Map value (global data) addresses by map index (`map_value_addr`); absent maps give 0. */
  readonly mapValues?: ReadonlyMap<number, bigint>;
  /** Atomics as FEAT_LSE instructions (default) or LDAXR/STLXR loops (ARMv8.0). */
  readonly atomics?: 'lse' | 'llsc';
}

/** A compiled module. */
export interface Arm64Program {
  /** The machine code; the stub is at offset 0. */
  readonly code: Uint8Array;
  /** The instruction records (`code` is their encoding). */
  readonly insts: readonly Inst[];
  /** Assembly text with labels and `//` annotations; llvm-mc assembles it to `code`. */
  readonly text: string;
  /** Host functions by index (`blr` to `HOST_CALL_BASE + 4 * index`). */
  readonly hostCalls: readonly HostCall[];
  /** BRK sites by `imm16`. */
  readonly faults: readonly FaultSite[];
  /** eBPF pc of each instruction (-1 where none). */
  readonly pcs: readonly number[];
  /** Number of parameters of the entry function (x0..). */
  readonly entryArgs: number;
  /** Byte offset of each function's first instruction, by `FuncRef`. */
  readonly funcOffsets: readonly number[];
}

/** Compile a module. */
export function compileArm64(module: Module, options: Arm64CompileOptions = {}): Arm64Program {
  const asm = new Asm();
  const paramsUsed: boolean[][] = module.funcs.map((fn) => {
    const used = new Set<number>();
    for (const b of fn.layout) {
      for (const i of fn.blocks[b]!.insts) {
        const d = fn.insts[i]!;
        for (const v of d.args) used.add(v);
        for (const c of d.targets ?? []) for (const v of c.args) used.add(v);
      }
    }
    return fn.blocks[entryBlock(fn)]!.params.map((p) => used.has(p));
  });
  const funcLabels: Label[] = module.funcs.map(() => asm.newLabel());
  const hostCalls: HostCall[] = [];
  const hostIndex = new Map<string, number>();
  const faults: FaultSite[] = [];
  const env: LowerEnv = {
    funcLabel: (ref: FuncRef) => funcLabels[ref]!,
    hostIndex(call) {
      const key = hostCallKey(call);
      let k = hostIndex.get(key);
      if (k === undefined) {
        k = hostCalls.length;
        hostCalls.push(call);
        hostIndex.set(key, k);
      }
      return k;
    },
    fault(site) {
      faults.push(site);
      return faults.length - 1;
    },
    mapHandle: (k) => options.mapHandles?.get(k) ?? 0n,
    mapValue: (k) => options.mapValues?.get(k) ?? 0n,
    funcAddr: (ref) => BigInt(ref),
    llsc: options.atomics === 'llsc',
    paramsUsed: (ref) => paramsUsed[ref]!,
  };

  // The program stub.
  asm.note('program stub: x0.. = entry arguments, x7 = eBPF stack top');
  asm.emit(pair(false, true, FP, LR, SP, -32, 'pre'), movSp(true, FP, SP), pair(false, true, LIMIT_REG, FRAME_REG, SP, 16));
  asm.emit(mov(true, FRAME_REG, STACK_TOP_ARG), subImm(true, LIMIT_REG, FRAME_REG, DEPTH_SPAN));
  asm.branch({ kind: 'branchImm', link: true, offset: 0 }, funcLabels[module.entry]!);
  asm.emit(pair(true, true, LIMIT_REG, FRAME_REG, SP, 16), pair(true, true, FP, LR, SP, 32, 'post'), ret());
  void addImm;

  const order = [module.entry, ...module.funcs.map((_, k) => k as FuncRef).filter((k) => k !== module.entry)];
  for (const ref of order) {
    const fn = module.funcs[ref]!;
    lowerFunc(fn, allocate(fn, ARM64_TARGET), asm, env, funcLabels[ref]!);
  }

  const insts = asm.resolve();
  const code = encodeAll(insts);
  const funcOffsets = funcLabels.map((l) => asm.labelIndex(l) * 4);
  const entryFn = module.funcs[module.entry]!;
  return {
    code, insts, text: printText(insts, asm), hostCalls, faults, pcs: asm.pcs,
    entryArgs: entryFn.blocks[entryBlock(entryFn)]!.params.length, funcOffsets,
  };
}

/** Assembly text: a label before every branch target, the lowering's notes as comments. */
function printText(insts: readonly Inst[], asm: Asm): string {
  const targets = new Set<number>();
  insts.forEach((i, k) => {
    if ('offset' in i && asm.targets.has(k)) targets.add(k + i.offset / 4);
  });
  let out = '';
  insts.forEach((i, k) => {
    for (const n of asm.notes.get(k) ?? []) out += `// ${n}\n`;
    if (targets.has(k)) out += `.L${k}:\n`;
    out += `\t${printInst(i, (off) => `.L${k + off / 4}`)}\n`;
  });
  return out;
}
