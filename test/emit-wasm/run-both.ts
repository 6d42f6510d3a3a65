/**
 * @file Test support: run an IR module on the IR evaluator and, compiled, in
 * V8, over two identical memories, and report both outcomes.
 */
import { conformanceHelpers, type HelperFn } from '../../src/abi/helper-env.js';
import { LinearMemory, type WasmMemory } from '../../src/abi/linear-memory.js';
import type { Region } from '../../src/abi/memory.js';
import { DiagnosticError } from '../../src/diag/diagnostic.js';
import { compileModule } from '../../src/emit-wasm/compile.js';
import { abiImports, runExport } from '../../src/emit-wasm/imports.js';
import type { Module } from '../../src/ir/func.js';
import { evalModule } from '../../src/ir/eval.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../../src/isa/registers.js';
import { Wasm, instantiate } from './wasm-api.js';

/** The outcome of one run: r0 or a diagnostic code at a pc, and the memory afterwards. */
export interface Outcome {
  readonly result: string;
  readonly input: string;
  readonly stack: string;
}

/** Helpers the tests use: the conformance suite's 5 (unwind), and 1 (a mix of its arguments). */
export function testHelpers(): Map<number, HelperFn> {
  const h = conformanceHelpers();
  h.set(1, (_env, a, b, c, d, e) => BigInt.asUintN(64, a * 3n + b - c + (d ^ e)));
  return h;
}

interface Setup { memory: LinearMemory; wasmMemory: WasmMemory; input: Region; stack: Region; readonlyRegion: Region }

function setup(inputBytes: Uint8Array): Setup {
  const wasmMemory = new Wasm.Memory({ initial: 1, maximum: 1024 });
  const memory = new LinearMemory({ memory: wasmMemory });
  const input = memory.map('input', 'input', inputBytes.length, true);
  memory.bytes.set(inputBytes, input.start);
  const readonlyRegion = memory.map('rodata', 'global', 16, false);
  const stack = memory.map('stack', 'stack', STACK_SIZE * MAX_CALL_FRAMES, true);
  return { memory, wasmMemory, input, stack, readonlyRegion };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function snapshot(s: Setup, result: string): Outcome {
  const bytes = s.memory.bytes;
  return {
    result,
    input: hex(bytes.slice(s.input.start, s.input.start + s.input.size)),
    stack: hex(bytes.slice(s.stack.start, s.stack.start + s.stack.size)),
  };
}

function describe(e: unknown): string {
  if (e instanceof DiagnosticError) return `${e.code} pc ${e.diagnostic.location.pc ?? '?'}`;
  throw e;
}

/** Run on the IR evaluator. */
export function runEval(ir: Module, inputBytes: Uint8Array): Outcome {
  const s = setup(inputBytes);
  let result: string;
  try {
    result = `r0 ${evalModule(ir, { memory: s.memory, args: [BigInt(s.input.start)], stack: s.stack, helpers: testHelpers(), budget: 1_000_000 }).r0}`;
  } catch (e) { result = describe(e); }
  return snapshot(s, result);
}

/** Compile and run in V8. */
export function runWasm(ir: Module, inputBytes: Uint8Array, bytes = compileModule(ir)): Outcome {
  const s = setup(inputBytes);
  const glue = abiImports({
    memory: s.memory, wasmMemory: s.wasmMemory, stackTop: s.stack.start + s.stack.size,
    helpers: testHelpers(), ctx: s.input.start,
  });
  const inst = instantiate(bytes, glue.imports);
  glue.bind(inst.exports);
  const name = ir.funcs[ir.entry]!.name;
  let result: string;
  try {
    result = `r0 ${runExport(inst.exports[name], BigInt(s.input.start))}`;
  } catch (e) { result = describe(e); }
  return snapshot(s, result);
}
