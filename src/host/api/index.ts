/** @file The user-space API (`docs/runtimes.md`, "Hooks and the user-space API"). */

export { openObject, OpenedObject, type OpenOptions } from './object.js';
export { ObjectMap, TypedMap, UpdateFlags, isPerCpu, type Bytes, type JsOf, type Scalar } from './map.js';
export { PinRegistry, processPins, checkReusable, LIBBPF_PIN_BY_NAME } from './pins.js';
export { ringbufRecords, type AbortSignalLike, type RingbufOptions } from './ringbuf.js';
