/**
 * @file The user-space entry to a map, with the checks the `bpf()` syscall
 * makes before reaching the map (kernel/bpf/syscall.c): the flags a command
 * accepts, the file's read/write permission (`BPF_F_RDONLY`, `BPF_F_WRONLY`,
 * and a frozen map losing write permission), then the map's own operation.
 * Host user-space APIs should call these rather than the map methods.
 */

import { EINVAL, EPERM } from './errno.js';
import { BPF_F_LOCK, BPF_F_RDONLY, BPF_F_WRONLY } from './flags.js';
import type { BpfMap } from './map.js';

/** `map_get_sys_perms`: may user space read the map? */
function canRead(m: BpfMap): boolean {
  return ((m.spec.flags ?? 0) & BPF_F_WRONLY) === 0;
}

/** `map_get_sys_perms`: may user space write it (not read-only, not frozen)? */
function canWrite(m: BpfMap): boolean {
  return ((m.spec.flags ?? 0) & BPF_F_RDONLY) === 0 && !m.frozen;
}

/** `BPF_MAP_LOOKUP_ELEM`. */
export function sysLookup(m: BpfMap, key: Uint8Array | undefined, out: Uint8Array, flags = 0): number {
  if ((flags & ~BPF_F_LOCK) !== 0) return -EINVAL;
  if (!canRead(m)) return -EPERM;
  return m.lookupUser(key, out, flags);
}

/** `BPF_MAP_UPDATE_ELEM`. */
export function sysUpdate(m: BpfMap, key: Uint8Array | undefined, value: Uint8Array, flags = 0): number {
  if (!canWrite(m)) return -EPERM;
  return m.updateUser(key, value, flags);
}

/** `BPF_MAP_DELETE_ELEM`. */
export function sysDelete(m: BpfMap, key: Uint8Array): number {
  if (!canWrite(m)) return -EPERM;
  return m.delete(key);
}

/** `BPF_MAP_GET_NEXT_KEY`. */
export function sysGetNextKey(m: BpfMap, key: Uint8Array | undefined, out: Uint8Array): number {
  if (!canRead(m)) return -EPERM;
  return m.getNextKey(key, out);
}

/** `BPF_MAP_LOOKUP_AND_DELETE_ELEM`. */
export function sysLookupAndDelete(m: BpfMap, key: Uint8Array | undefined, out: Uint8Array, flags = 0): number {
  if ((flags & ~BPF_F_LOCK) !== 0) return -EINVAL;
  if (!canRead(m) || !canWrite(m)) return -EPERM;
  return m.lookupAndDeleteUser(key, out, flags);
}

/**
 * `BPF_MAP_FREEZE`: user space can no longer write; programs still can
 * (unless `BPF_F_RDONLY_PROG`). Freezing twice is `-EPERM`: a frozen map has
 * already lost the write permission the command checks first.
 */
export function sysFreeze(m: BpfMap): number {
  if (!canWrite(m)) return -EPERM;
  m.frozen = true;
  return 0;
}
