/**
 * @file Creation checks, as the kernel's `map_create` (kernel/bpf/syscall.c) and
 * each family's `map_alloc_check`/`map_alloc` make them: the errno the kernel
 * would return, and a readable reason.
 */

import { E2BIG, EINVAL, ENOTSUPP } from './errno.js';
import {
  BPF_F_ACCESS_MASK, BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC,
  BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG,
  BPF_F_ZERO_SEED,
} from './flags.js';
import type { MapSpec } from './map.js';
import { MapType } from '../../abi/map-types.js';

/** Why a spec is refused: the kernel's errno (positive) and a reason. */
export interface SpecError {
  readonly errno: number;
  readonly reason: string;
}

/** Per-CPU values are bounded by `PCPU_MIN_UNIT_SIZE` (32 KiB). */
const PCPU_MIN_UNIT_SIZE = 32768;
/** `KMALLOC_MAX_SIZE` on x86-64: `1 << (MAX_PAGE_ORDER + PAGE_SHIFT)`, 4 MiB. */
const KMALLOC_MAX_SIZE = 1 << 22;
const INT_MAX = 0x7fffffff;

const ARRAY_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const HTAB_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
const QUEUE_STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const BLOOM_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK;
const LPM_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const RINGBUF_CREATE_FLAG_MASK = BPF_F_NUMA_NODE;

function err(errno: number, reason: string): SpecError {
  return { errno, reason };
}

/** `bpf_map_flags_access_ok`: programs cannot be both read-only and write-only. */
function accessOk(flags: number): boolean {
  return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** The kernel's verdict on a map spec: `undefined` when it creates the map. */
export function checkMapSpec(spec: MapSpec): SpecError | undefined {
  const flags = spec.flags ?? 0;
  const { type, keySize: ks, valueSize: vs, maxEntries: max } = spec;
  const extra = spec.mapExtra ?? 0n;
  // map_create
  if (type !== MapType.BLOOM_FILTER && extra !== 0n) return err(EINVAL, 'map_extra is only for bloom filters');
  if ((flags & (BPF_F_RDONLY | BPF_F_WRONLY)) === (BPF_F_RDONLY | BPF_F_WRONLY)) return err(EINVAL, 'both read-only and write-only');
  const percpu = type === MapType.PERCPU_ARRAY || type === MapType.PERCPU_HASH || type === MapType.LRU_PERCPU_HASH;
  switch (type) {
    case MapType.ARRAY: case MapType.PERCPU_ARRAY: case MapType.PERF_EVENT_ARRAY:
    case MapType.PROG_ARRAY: case MapType.ARRAY_OF_MAPS: {
      if (type === MapType.PROG_ARRAY || type === MapType.PERF_EVENT_ARRAY || type === MapType.ARRAY_OF_MAPS) {
        // fd_array_map_alloc_check
        if (vs !== 4) return err(EINVAL, 'value size must be 4');
        if ((flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== 0) return err(EINVAL, 'program access flags are not allowed');
      }
      // array_map_alloc_check
      if (max === 0) return err(EINVAL, 'max_entries is zero');
      if (ks !== 4) return err(EINVAL, 'key size must be 4');
      if (vs === 0) return err(EINVAL, 'value size is zero');
      if ((flags & ~ARRAY_CREATE_FLAG_MASK) !== 0) return err(EINVAL, `invalid flags 0x${flags.toString(16)}`);
      if (!accessOk(flags)) return err(EINVAL, 'both read-only and write-only for programs');
      if (percpu && (flags & BPF_F_NUMA_NODE) !== 0) return err(EINVAL, 'numa node with a per-cpu map');
      if (type !== MapType.ARRAY && (flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) !== 0) return err(EINVAL, 'mmapable/inner-map flags need an array');
      if (type !== MapType.PERF_EVENT_ARRAY && (flags & BPF_F_PRESERVE_ELEMS) !== 0) return err(EINVAL, 'preserve-elems needs a perf event array');
      if (vs > INT_MAX) return err(E2BIG, 'value too large');
      if (percpu && ((vs + 7) & ~7) > PCPU_MIN_UNIT_SIZE) return err(E2BIG, 'per-cpu value larger than 32 KiB');
      if (type === MapType.ARRAY_OF_MAPS && spec.inner === undefined) return err(EINVAL, 'no inner map');
      return undefined;
    }
    case MapType.HASH: case MapType.PERCPU_HASH: case MapType.LRU_HASH: case MapType.LRU_PERCPU_HASH:
    case MapType.HASH_OF_MAPS: {
      if (type === MapType.HASH_OF_MAPS) {
        if (vs !== 4) return err(EINVAL, 'value size must be 4');
        if (spec.inner === undefined) return err(EINVAL, 'no inner map');
      }
      // htab_map_alloc_check
      const lru = type === MapType.LRU_HASH || type === MapType.LRU_PERCPU_HASH;
      const prealloc = (flags & BPF_F_NO_PREALLOC) === 0;
      const percpuLru = (flags & BPF_F_NO_COMMON_LRU) !== 0;
      if ((flags & ~HTAB_CREATE_FLAG_MASK) !== 0 || !accessOk(flags)) return err(EINVAL, `invalid flags 0x${flags.toString(16)}`);
      if (!lru && percpuLru) return err(EINVAL, 'no-common-lru needs an lru map');
      if (lru && !prealloc) return err(ENOTSUPP, 'lru maps must be preallocated');
      if ((flags & BPF_F_NUMA_NODE) !== 0 && (percpu || percpuLru)) return err(EINVAL, 'numa node with a per-cpu map');
      if (max === 0) return err(EINVAL, 'max_entries is zero');
      if (ks === 0) return err(EINVAL, 'key size is zero');
      if (vs === 0) return err(EINVAL, 'value size is zero');
      if (ks + vs >= KMALLOC_MAX_SIZE - 48) return err(E2BIG, 'key and value too large');
      if (percpu && ((vs + 7) & ~7) > PCPU_MIN_UNIT_SIZE) return err(E2BIG, 'per-cpu value larger than 32 KiB');
      // htab_map_alloc
      if (max > 2 ** 31) return err(E2BIG, 'too many entries');
      return undefined;
    }
    case MapType.LPM_TRIE: {
      // trie_alloc
      if (max === 0) return err(EINVAL, 'max_entries is zero');
      if ((flags & BPF_F_NO_PREALLOC) === 0) return err(EINVAL, 'an lpm trie needs BPF_F_NO_PREALLOC');
      if ((flags & ~LPM_CREATE_FLAG_MASK) !== 0 || !accessOk(flags)) return err(EINVAL, `invalid flags 0x${flags.toString(16)}`);
      if (ks < 5 || ks > 4 + 256) return err(EINVAL, 'key size must be 5..260 (prefixlen and 1..256 data bytes)');
      if (vs < 1 || vs > KMALLOC_MAX_SIZE - 256 - 48) return err(EINVAL, 'bad value size');
      return undefined;
    }
    case MapType.QUEUE: case MapType.STACK: {
      if (max === 0 || ks !== 0 || vs === 0) return err(EINVAL, 'needs key size 0, a value size and max_entries');
      if ((flags & ~QUEUE_STACK_CREATE_FLAG_MASK) !== 0 || !accessOk(flags)) return err(EINVAL, `invalid flags 0x${flags.toString(16)}`);
      if (vs > KMALLOC_MAX_SIZE) return err(E2BIG, 'value too large');
      return undefined;
    }
    case MapType.BLOOM_FILTER: {
      if (vs > KMALLOC_MAX_SIZE) return err(E2BIG, 'value too large');
      if (ks !== 0 || vs === 0 || max === 0) return err(EINVAL, 'needs key size 0, a value size and max_entries');
      if ((flags & ~BLOOM_CREATE_FLAG_MASK) !== 0 || !accessOk(flags)) return err(EINVAL, `invalid flags 0x${flags.toString(16)}`);
      if ((extra & ~0xfn) !== 0n) return err(EINVAL, 'map_extra holds only the number of hash functions (0..15)');
      return undefined;
    }
    case MapType.RINGBUF: {
      if ((flags & ~RINGBUF_CREATE_FLAG_MASK) !== 0) return err(EINVAL, `invalid flags 0x${flags.toString(16)}`);
      if (ks !== 0 || vs !== 0) return err(EINVAL, 'key and value size must be 0');
      if (!isPow2(max) || max % 4096 !== 0) return err(EINVAL, 'size must be a power of 2 and a multiple of the page size');
      return undefined;
    }
    default:
      return err(EINVAL, `unsupported map type ${type}`);
  }
}
