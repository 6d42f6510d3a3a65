/** @file The ELF stage: re-exports. */
export { loadObject, sourceLine, originOf, type LoadOptions } from './load.js';
export type { BpfObject, ProgramSpec, MapSpec, FuncInfo, LineInfo, Origin } from './types.js';
export { Btf, BtfKind, type BtfType, type BtfMember } from './btf/types.js';
export { parseBtf } from './btf/wire.js';
export { parseBtfExt, type BtfExt } from './btf/ext-info.js';
export { toLittleEndianInsns } from './link.js';
