/**
 * @file The kernel's map types: `enum bpf_map_type` values and names.
 *
 * Numbers are the kernel's UAPI values (`include/uapi/linux/bpf.h`, Linux
 * 6.x), so a map type read from an object file or passed to `bpf()` needs no
 * translation.
 */

/** `enum bpf_map_type`, by the kernel's name without the `BPF_MAP_TYPE_` prefix. */
export const MapType = {
  UNSPEC: 0,
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  CGROUP_ARRAY: 8,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  SOCKHASH: 18,
  CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
  SK_STORAGE: 24,
  DEVMAP_HASH: 25,
  STRUCT_OPS: 26,
  RINGBUF: 27,
  INODE_STORAGE: 28,
  TASK_STORAGE: 29,
  BLOOM_FILTER: 30,
  USER_RINGBUF: 31,
  CGRP_STORAGE: 32,
  ARENA: 33,
} as const;

/** A map type number (any u32: unknown numbers are kept as read). */
export type MapTypeNumber = number;

const NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(MapType).map(([name, value]) => [value, name.toLowerCase()]),
);

/** The lower-case name of a map type (`hash`, `lpm_trie`), or `unknown(N)`. */
export function mapTypeName(type: number): string {
  return NAMES.get(type) ?? `unknown(${type})`;
}

/** Whether a map type holds other maps (its values are inner map references). */
export function isMapInMap(type: number): boolean {
  return type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
}

/** Map flags the loader sets (`BPF_F_*` in `include/uapi/linux/bpf.h`). */
export const MapFlag = {
  NO_PREALLOC: 1 << 0,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  MMAPABLE: 1 << 10,
} as const;

/** How a map is pinned (`enum libbpf_pin_type`): `__uint(pinning, LIBBPF_PIN_BY_NAME)`. */
export const Pinning = { NONE: 0, BY_NAME: 1 } as const;
