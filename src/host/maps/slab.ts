/**
 * @file Value storage in the linear memory: fixed-size slots in regions mapped
 * on demand, so a map with a large `max_entries` costs memory only as it fills.
 *
 * ```
 *   chunk 0 region: [slot 0][slot 1] ... [slot C-1]     (C = slots per chunk)
 *   chunk 1 region: [slot C] ...
 * ```
 * A slot's address never changes while the map lives, as programs keep the
 * pointers `lookup` returns.
 */

import type { Memory, Region } from '../../abi/memory.js';

/** Slots of `slotSize` bytes, `count` of them at most, addressable by index. */
export class Slab {
  private readonly mem: Memory;
  private readonly name: string;
  private readonly slotSize: number;
  private readonly shift: number;
  private readonly chunks: (Region | undefined)[] = [];
  /** Start address of each mapped chunk (0 when not mapped yet). */
  private readonly starts: Float64Array;

  /**
   * @param slotSize bytes per slot
   * @param count maximum number of slots
   * @param eager map every chunk now (arrays), rather than on first use
   * @param writable whether programs may store into the values
   */
  constructor(mem: Memory, name: string, slotSize: number, count: number, eager: boolean, writable = true) {
    this.writable = writable;
    this.mem = mem;
    this.name = name;
    this.slotSize = slotSize;
    // chunks of about 64 KiB, at least one slot, a power of two of slots
    let shift = 0;
    while ((2 << shift) * slotSize <= 65536 && (1 << shift) < count) shift++;
    if (eager) while ((1 << shift) < count && shift < 30) shift++;
    this.shift = shift;
    const nChunks = Math.max(1, Math.ceil(count / (1 << shift)));
    this.starts = new Float64Array(nChunks);
    this.count = count;
    if (eager) for (let i = 0; i < nChunks; i++) this.mapChunk(i);
  }

  /** Maximum number of slots. */
  readonly count: number;
  private readonly writable: boolean;

  private mapChunk(i: number): number {
    const per = 1 << this.shift;
    const slots = Math.min(per, this.count - i * per);
    const r = this.mem.map(`${this.name}#${i}`, 'map_value', Math.max(1, slots * this.slotSize), this.writable);
    this.chunks[i] = r;
    this.starts[i] = r.start;
    return r.start;
  }

  /** Address of slot `i` (mapping its chunk if needed). */
  address(i: number): number {
    const c = i >>> this.shift;
    const s = this.starts[c]!;
    return (s === 0 ? this.mapChunk(c) : s) + (i & ((1 << this.shift) - 1)) * this.slotSize;
  }

  /** Unmap every chunk. */
  free(): void {
    for (const r of this.chunks) if (r !== undefined) this.mem.unmap(r);
    this.chunks.length = 0;
    this.starts.fill(0);
  }
}
