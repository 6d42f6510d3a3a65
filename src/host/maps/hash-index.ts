/**
 * @file A hash map's index kept in the linear memory, so compiled code finds a
 * key's value without calling into the host (`docs/abi.md`, "Hash maps").
 *
 * ```
 *   header, fixed address:   table:u32  mask:u32  seed:u32
 *   table, mask + 1 slots:   hash:u32   value:u32  key bytes, zero-padded to 4
 * ```
 *
 * Open addressing with linear probing from `hash & mask`. A slot whose value
 * address is 0 is empty, so a probe stops at the first empty slot; deleting
 * shifts the entries after it back into place instead of leaving tombstones.
 * The table doubles before it gets more than half full, and moves when it
 * does (the header does not). The hash is MurmurHash3 (x86, 32-bit) of the key
 * bytes; each map draws its own seed, so keys a program takes from packets
 * cannot be chosen to pile up in one run of slots.
 *
 * The host's map stays the authority (`hash.ts` keeps this index in step on
 * every insert and delete); the index only answers "which value address".
 */

import { INDEX_HEADER_SIZE, indexSlotSize, murmur3 } from '../../abi/hash-index.js';
import type { Memory, Region } from '../../abi/memory.js';
import { fail } from '../../diag/index.js';

/** Slots of a new table. */
const MIN_SLOTS = 16;

/** A random 32-bit seed, from the platform's generator where there is one. */
function randomSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint32Array): Uint32Array } }).crypto;
  if (c?.getRandomValues !== undefined) return c.getRandomValues(new Uint32Array(1))[0]!;
  return (Math.random() * 0x100000000) >>> 0;
}

/** The index of one hash map, in `mem`. Keys are given as bytes; values are addresses (never 0). */
export class MemoryHashIndex {
  /** Address of the header. */
  readonly header: number;
  readonly seed: number;
  private readonly mem: Memory;
  private readonly name: string;
  private readonly keySize: number;
  private readonly slotSize: number;
  private readonly headerRegion: Region;
  private table: Region;
  private mask: number;
  private used = 0;

  /** An empty index of map `name`, with room for `expected` keys before it grows. */
  constructor(mem: Memory, name: string, keySize: number, expected = 0, seed = randomSeed()) {
    this.mem = mem;
    this.name = name;
    this.keySize = keySize;
    this.slotSize = indexSlotSize(keySize);
    this.seed = seed >>> 0;
    // programs may read the index (it holds nothing they cannot look up) but never write it
    this.headerRegion = mem.map(`map:${name}#index`, 'map_index', INDEX_HEADER_SIZE, false);
    this.header = this.headerRegion.start;
    let slots = MIN_SLOTS;
    while (slots < 2 * expected) slots *= 2;
    this.mask = slots - 1;
    this.table = this.newTable(slots);
    this.writeHeader();
  }

  /** Number of keys. */
  get size(): number { return this.used; }

  private newTable(slots: number): Region {
    return this.mem.map(`map:${this.name}#index-table`, 'map_index', slots * this.slotSize, false);
  }

  private writeHeader(): void {
    const v = this.mem.view;
    v.setUint32(this.header, this.table.start, true);
    v.setUint32(this.header + 4, this.mask, true);
    v.setUint32(this.header + 8, this.seed, true);
  }

  /** Address of the slot holding `key` (at `off` of `bytes`), or -1. */
  private find(bytes: Uint8Array, off: number, h: number): number {
    const mem = this.mem.bytes;
    const view = this.mem.view;
    const start = this.table.start;
    // at most one lap: the host keeps a free slot, unless something overwrote the table
    for (let i = h & this.mask, n = 0; n <= this.mask; i = (i + 1) & this.mask, n++) {
      const s = start + i * this.slotSize;
      if (view.getUint32(s + 4, true) === 0) return -1;
      if (view.getUint32(s, true) !== h) continue;
      let same = true;
      for (let j = 0; j < this.keySize && same; j++) same = mem[s + 8 + j] === bytes[off + j];
      if (same) return s;
    }
    return this.corrupt();
  }

  /** A table without a free slot: the memory was written where only the host writes. */
  private corrupt(): never {
    fail('HOST_MAP_INDEX_CORRUPT', { name: this.name });
  }

  /** The value address of `key`, or 0 (what compiled code computes; for checks). */
  lookup(key: Uint8Array, off = 0): number {
    const s = this.find(key, off, murmur3(key, off, this.keySize, this.seed));
    return s < 0 ? 0 : this.mem.view.getUint32(s + 4, true);
  }

  /** Add `key`, which must be absent, with its value address. */
  insert(key: Uint8Array, value: number): void {
    if (2 * (this.used + 1) > this.mask + 1) this.grow();
    this.place(murmur3(key, 0, this.keySize, this.seed), value, key, 0);
    this.used++;
  }

  /** Write an entry into the first free slot of its probe sequence. */
  private place(h: number, value: number, key: Uint8Array, off: number): void {
    const view = this.mem.view;
    const start = this.table.start;
    let s = -1;
    for (let i = h & this.mask, n = 0; n <= this.mask; i = (i + 1) & this.mask, n++) {
      const at = start + i * this.slotSize;
      if (view.getUint32(at + 4, true) === 0) { s = at; break; }
    }
    if (s < 0) this.corrupt();
    view.setUint32(s, h, true);
    view.setUint32(s + 4, value, true);
    this.mem.bytes.set(key.subarray(off, off + this.keySize), s + 8);
  }

  /** Remove `key`; false when it was absent. */
  delete(key: Uint8Array): boolean {
    const found = this.find(key, 0, murmur3(key, 0, this.keySize, this.seed));
    if (found < 0) return false;
    const mem = this.mem.bytes;
    const view = this.mem.view;
    const start = this.table.start;
    const size = this.slotSize;
    // backward shift: pull each later entry of the run into the hole unless
    // its home slot lies cyclically in (hole, its slot]
    let hole = (found - start) / size;
    for (let j = (hole + 1) & this.mask, n = 0; n <= this.mask; j = (j + 1) & this.mask, n++) {
      const s = start + j * size;
      if (view.getUint32(s + 4, true) === 0) break;
      const home = view.getUint32(s, true) & this.mask;
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      mem.copyWithin(start + hole * size, s, s + size);
      hole = j;
    }
    mem.fill(0, start + hole * size, start + (hole + 1) * size);
    this.used--;
    return true;
  }

  /** Double the table, re-placing every entry. */
  private grow(): void {
    const old = this.table;
    const oldSlots = this.mask + 1;
    this.mask = oldSlots * 2 - 1;
    this.table = this.newTable(oldSlots * 2);
    // the old table's bytes, copied out before anything else maps memory
    const copy = this.mem.bytes.slice(old.start, old.start + oldSlots * this.slotSize);
    const view = new DataView(copy.buffer);
    for (let i = 0; i < oldSlots; i++) {
      const s = i * this.slotSize;
      const value = view.getUint32(s + 4, true);
      if (value !== 0) this.place(view.getUint32(s, true), value, copy, s + 8);
    }
    this.mem.unmap(old);
    this.writeHeader();
  }
}
