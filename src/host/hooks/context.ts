/**
 * @file Context structures for hooks: field offsets taken from the UAPI
 * layouts in `src/abi/contexts.ts` (so hooks and the verifier agree on
 * them), and the per-link regions a hook keeps in a program's memory.
 */

import { contextOf } from '../../abi/contexts.js';
import type { Region, RegionKind } from '../../abi/memory.js';
import { InternalError } from '../../diag/index.js';
import type { HookProgram } from './program.js';

/** Offsets of the named fields of a program type's context structure, and its size. */
export function contextFields<N extends string>(progType: string, names: readonly N[]): { size: number; off: Record<N, number> } {
  const layout = contextOf(progType);
  if (layout === undefined) throw new InternalError(`no context layout for ${progType}`);
  const off = {} as Record<N, number>;
  for (const n of names) {
    const f = layout.fields.find((x) => x.name === n);
    if (f === undefined) throw new InternalError(`${layout.name} has no field ${n}`);
    off[n] = f.off;
  }
  return { size: layout.size, off };
}

/** Regions a link keeps in its program's memory, released together. */
export class LinkRegions {
  private readonly list: Region[] = [];

  constructor(private readonly program: HookProgram) {}

  /** Map a zeroed region in the program's memory. */
  map(name: string, kind: RegionKind, size: number, writable: boolean): Region {
    const r = this.program.instance.memory.map(`${name}:${this.program.spec.name}`, kind, size, writable);
    this.list.push(r);
    return r;
  }

  /** Unmap one region taken here (to replace it by a larger one). */
  unmap(region: Region): void {
    const i = this.list.indexOf(region);
    if (i >= 0) this.list.splice(i, 1);
    this.program.instance.memory.unmap(region);
  }

  /** Unmap every region. */
  release(): void {
    for (const r of this.list.splice(0).reverse()) this.program.instance.memory.unmap(r);
  }
}
