/** @file Map creation and update flags (include/uapi/linux/bpf.h). */

/** Update: create or replace. */
export const BPF_ANY = 0;
/** Update: create only; `-EEXIST` if present. */
export const BPF_NOEXIST = 1;
/** Update: replace only; `-ENOENT` if absent (queue/stack: overwrite the oldest when full). */
export const BPF_EXIST = 2;
/** Update/lookup: take the value's `bpf_spin_lock` while copying. */
export const BPF_F_LOCK = 4;

/** Create: do not preallocate elements (required by the LPM trie). */
export const BPF_F_NO_PREALLOC = 1 << 0;
/** Create: LRU with per-CPU lists instead of one common list. */
export const BPF_F_NO_COMMON_LRU = 1 << 1;
/** Create: `numa_node` is valid. */
export const BPF_F_NUMA_NODE = 1 << 2;
/** Create: user space may only read. */
export const BPF_F_RDONLY = 1 << 3;
/** Create: user space may only write. */
export const BPF_F_WRONLY = 1 << 4;
/** Create: flag for stack_map (build id). */
export const BPF_F_STACK_BUILD_ID = 1 << 5;
/** Create: hash with a zero seed (deterministic bucket order). */
export const BPF_F_ZERO_SEED = 1 << 6;
/** Create: programs may only read. */
export const BPF_F_RDONLY_PROG = 1 << 7;
/** Create: programs may only write. */
export const BPF_F_WRONLY_PROG = 1 << 8;
/** Create: perf_event_array entries are removed when the creating file closes. */
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
/** Create: inner map of map-in-map may vary in max_entries. */
export const BPF_F_INNER_MAP = 1 << 12;
/** Create: array may be mmap()ed. */
export const BPF_F_MMAPABLE = 1 << 10;

/** The kernel's BPF_F_ACCESS_MASK. */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;
