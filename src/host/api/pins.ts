/**
 * @file Pinning: a registry of maps by name that outlives the objects that
 * created them, the counterpart of `/sys/fs/bpf` (`bpf_obj_pin` /
 * `bpf_obj_get`). Two objects opened with the same registry share a map:
 * the second one's definition of that name uses the pinned map instead of
 * creating its own, as libbpf does for maps declared with
 * `__uint(pinning, LIBBPF_PIN_BY_NAME)` or given to `bpf_map__reuse_fd`.
 *
 * A map's values live in one linear memory and programs reach them by
 * address, so objects that share maps must share that memory: a registry
 * owns a `LinearMemory`, and every object opened with the registry is made
 * live in it. The process-wide registry (`processPins()`) is the default.
 */

import { LinearMemory } from '../../abi/linear-memory.js';
import { mapTypeName } from '../../abi/map-types.js';
import { fail } from '../../diag/index.js';
import type { MapSpec as ObjectMapSpec } from '../../elf/types.js';
import type { BpfMap } from '../maps/map.js';
import { isPerCpu } from './map.js';

/** `LIBBPF_PIN_BY_NAME`. */
export const LIBBPF_PIN_BY_NAME = 1;

/** Maps by pinned name, all in one linear memory. */
export class PinRegistry {
  private readonly pinned = new Map<string, BpfMap>();

  /** `memory`: where the maps and every object opened with this registry live (default a new one). */
  constructor(readonly memory: LinearMemory = new LinearMemory()) {}

  /** Pin a map under a name. Pinning the same map again is allowed; another map under a taken name is not. */
  pin(name: string, map: BpfMap): void {
    const have = this.pinned.get(name);
    if (have === map) return;
    if (have !== undefined) fail('PIN_EXISTS', { name });
    if (!this.holds(map)) fail('PIN_MEMORY', { name: map.name });
    this.pinned.set(name, map);
  }

  /** The map pinned under a name. */
  openPinned(name: string): BpfMap {
    const map = this.pinned.get(name);
    if (map === undefined) fail('PIN_NOT_FOUND', { name });
    return map;
  }

  /** Remove a pin (the map lives on in the objects that use it); whether there was one. */
  unpin(name: string): boolean { return this.pinned.delete(name); }

  /** Whether a map is pinned under the name. */
  has(name: string): boolean { return this.pinned.has(name); }

  /** Pinned names, in pinning order. */
  names(): string[] { return [...this.pinned.keys()]; }

  /** Whether a map lives in this registry's memory. */
  holds(map: BpfMap): boolean {
    return (map as { readonly mem?: unknown }).mem === this.memory;
  }
}

let processWide: PinRegistry | undefined;

/** The process-wide pin registry (created on first use). */
export function processPins(): PinRegistry {
  processWide ??= new PinRegistry();
  return processWide;
}

/**
 * Whether an existing map can stand for a definition, as libbpf's
 * `map_is_reuse_compat` decides (type, key and value size, max entries,
 * flags, map_extra; here also the number of CPUs of a per-CPU map). Fails
 * with `PIN_INCOMPATIBLE` naming the first difference.
 */
export function checkReusable(spec: ObjectMapSpec, map: BpfMap, nCpus: number): void {
  const s = map.spec;
  const diffs: [string, unknown, unknown][] = [
    ['type', mapTypeName(spec.type), mapTypeName(s.type)], ['key size', spec.keySize, s.keySize],
    ['value size', spec.valueSize, s.valueSize], ['max entries', spec.maxEntries, s.maxEntries],
    ['flags', spec.flags, s.flags ?? 0], ['map_extra', spec.mapExtra ?? 0n, s.mapExtra ?? 0n],
  ];
  const d = diffs.find(([, want, have]) => want !== have);
  if (d !== undefined) fail('PIN_INCOMPATIBLE', { name: spec.name, reason: `${d[0]} ${String(d[1])} here, ${String(d[2])} in the pinned map` });
  if (isPerCpu(s.type) && map.nCpus !== nCpus) {
    fail('PIN_INCOMPATIBLE', { name: spec.name, reason: `values for ${nCpus} CPUs here, ${map.nCpus} in the pinned map` });
  }
}
