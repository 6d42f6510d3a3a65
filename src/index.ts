/** @file The public API: re-exports only. */

export * from './diag/index.js';
export * from './isa/opcodes.js';
export * from './isa/insn.js';
export { validate, validateInsn, decodeChecked, branchTarget } from './isa/validate.js';
export { formatInsn, disassemble, type Syntax } from './isa/disasm.js';
export { assemble, type AsmResult } from './isa/asm.js';
export { loadObject } from './elf/index.js';
export type { BpfObject, ProgramSpec, MapSpec as ObjectMapSpec, LineInfo, FuncInfo, Origin } from './elf/types.js';
export type { Memory, Region, RegionKind } from './abi/memory.js';
export { LinearMemory } from './abi/linear-memory.js';
export type { HelperEnv, HelperFn, Helpers } from './abi/helper-env.js';
export { stopProgram, ProgramStop } from './abi/helper-env.js';
export { interpret, prepare, run } from './interp/index.js';
export { Instance, type InstanceOptions } from './host/instance.js';
export { testRun, type TestRunInput, type TestRunResult } from './host/test-run.js';
export { BACKENDS, backendByName, interpBackend, type Backend, type Executable, type Execution } from './host/backend.js';
export { dumpMaps, dumpMap, loadMapsFile, drainRingbufs } from './host/map-io.js';
export { selectProgram } from './host/select.js';
export type { BpfMap } from './host/maps/map.js';
export * from './host/hooks/index.js';
export * from './host/api/index.js';
