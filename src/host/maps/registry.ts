/**
 * @file Map handles: the number a program holds as a map pointer (what
 * `lddw rX, map` loads and what a map-in-map lookup returns) and the host's
 * map objects, both ways. Handles start at 1 and are never reused, so a stale
 * handle never names another map.
 */

import type { BpfMap } from './map.js';

/** Two-way table between map handles and maps. */
export class MapRegistry {
  private readonly byId: (BpfMap | undefined)[] = [undefined];
  private readonly ids = new Map<BpfMap, number>();

  /** Register a map (idempotent), returning its handle. */
  add(map: BpfMap): number {
    const have = this.ids.get(map);
    if (have !== undefined) return have;
    const id = this.byId.length;
    this.byId.push(map);
    this.ids.set(map, id);
    return id;
  }

  /** The map with handle `id`, if any. */
  get(id: number): BpfMap | undefined { return this.byId[id]; }

  /** The handle of `map`, registering it if needed. */
  idOf(map: BpfMap): number { return this.add(map); }

  /** Forget a map; its handle stays unused. */
  remove(map: BpfMap): void {
    const id = this.ids.get(map);
    if (id === undefined) return;
    this.ids.delete(map);
    this.byId[id] = undefined;
  }
}
