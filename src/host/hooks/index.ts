/** @file Hooks: where programs attach and how events reach them (`docs/runtimes.md`, "Hooks and the user-space API"). */

export { Hook, Link, attach, detach, replace, type HookKind } from './hook.js';
export { loadProgram, type HookProgram } from './program.js';
export { PacketHook, XdpAction, type PacketEvent, type PacketLinkOptions, type PacketVerdict, type XdpActionName } from './packet.js';
export { FilterHook, type FilterEvent, type FilterResult } from './filter.js';
export {
  Tracepoint, TracepointRegistry, parseTracepointFormat, COMMON_HEADER_SIZE,
  type TracepointField, type TracepointFormat, type FieldValue, type FireOptions, type FireResult,
} from './tracepoint.js';
export { probe, registerValue, ProbeHook, type ProbePrograms, type Probed } from './probe.js';
