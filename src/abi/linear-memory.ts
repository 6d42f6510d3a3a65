/**
 * @file The `Memory` contract (`memory.ts`) implemented over one
 * `WebAssembly.Memory`, so compiled modules, the interpreter and the host see
 * the same bytes.
 *
 * ```
 *   0x0000_0000 ┌──────────────┐ null page: never mapped, address 0 always faults
 *   0x0000_1000 ├──────────────┤ first region (16-byte aligned)
 *               │   region A   │
 *               ├──────────────┤ guard gap (GUARD_GAP bytes, never mapped)
 *               │   region B   │
 *               └──────────────┘ ... the memory grows by whole pages as needed
 * ```
 *
 * Placement is first fit: a new region goes into the lowest gap that holds it
 * with a guard gap on each side, else after the last region. `find` checks
 * the region it found last before a binary search, because runs touch the
 * same region (stack, packet) many times in a row.
 */

import type { Memory, Region, RegionKind } from './memory.js';

/** Bytes at address 0 that are never mapped. */
export const NULL_PAGE = 0x1000;
/** Unmapped bytes between neighbouring regions, so an overrun of one never lands in the next. */
export const GUARD_GAP = 64;
/** Region start alignment. */
export const REGION_ALIGN = 16;
const WASM_PAGE = 65536;
/** Highest address + 1 that a region may reach (32-bit pointers). */
const ADDRESS_LIMIT = 2 ** 32;

/**
 * The part of `WebAssembly.Memory` used here. Declared locally because the
 * project's `lib` setting (ES2022, Node 20 types) does not declare the
 * `WebAssembly` namespace; at run time the global one is used.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
};

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Options of a `LinearMemory`. */
export interface LinearMemoryOptions {
  /** Use this memory (e.g. one a compiled module exports) instead of creating one. */
  readonly memory?: WasmMemory;
  /** Initial size in 64 KiB pages (default 1). */
  readonly initialPages?: number;
  /** Maximum size in 64 KiB pages (default 65536, i.e. 4 GiB). */
  readonly maximumPages?: number;
}

/** A `Memory` backed by a growable `WebAssembly.Memory`. */
export class LinearMemory implements Memory {
  /** The backing WebAssembly memory. */
  readonly wasm: WasmMemory;
  private list: Region[] = [];
  private last: Region | undefined;
  private buffer: ArrayBuffer;
  private u8: Uint8Array;
  private dv: DataView;
  private readonly shared: boolean;

  constructor(options: LinearMemoryOptions = {}) {
    this.wasm = options.memory ?? new WebAssembly.Memory({
      initial: options.initialPages ?? 1,
      maximum: options.maximumPages ?? 65536,
    });
    this.buffer = this.wasm.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.dv = new DataView(this.buffer);
    // a shared memory's buffer is never detached: compare buffers every time
    this.shared = Object.prototype.toString.call(this.buffer) === '[object SharedArrayBuffer]';
  }

  /**
   * Re-take the views when the memory has grown. Growing a non-shared
   * memory detaches the old buffer (its views' `length` reads 0), which is
   * far cheaper to test than reading `WebAssembly.Memory.buffer` (an API
   * getter) or a view's `byteLength` (slow for memory-backed buffers in V8).
   */
  private refresh(): void {
    if (this.u8.length !== 0 && !this.shared) return;
    this.resync();
  }

  private resync(): void {
    if (this.wasm.buffer !== this.buffer) {
      this.buffer = this.wasm.buffer;
      this.u8 = new Uint8Array(this.buffer);
      this.dv = new DataView(this.buffer);
    }
  }

  /** The whole memory; re-read after `map`. */
  get bytes(): Uint8Array { this.refresh(); return this.u8; }
  /** A DataView over the whole memory; re-read after `map`. */
  get view(): DataView { this.refresh(); return this.dv; }
  /** Every mapped region, in address order. */
  get regions(): readonly Region[] { return this.list; }

  /** Map a zero-filled region of `size` bytes. */
  map(name: string, kind: RegionKind, size: number, writable: boolean): Region {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`region size must be a non-negative integer, got ${size}`);
    let start = NULL_PAGE;
    let index = 0;
    for (; index < this.list.length; index++) {
      const r = this.list[index]!;
      if (start + size + GUARD_GAP <= r.start) break;
      start = align(r.start + r.size + GUARD_GAP, REGION_ALIGN);
    }
    const end = start + size;
    if (end + GUARD_GAP > ADDRESS_LIMIT) throw new RangeError(`cannot map ${size} bytes: the 32-bit address space is full`);
    const need = end + GUARD_GAP;
    const have = this.wasm.buffer.byteLength;
    if (need > have) this.wasm.grow(Math.ceil((need - have) / WASM_PAGE));
    this.refresh();
    this.u8.fill(0, start, end);
    const region: Region = Object.freeze({ name, kind, start, size, writable });
    this.list.splice(index, 0, region);
    return region;
  }

  /** Remove a region; its bytes are zeroed and its addresses may be reused. */
  unmap(region: Region): void {
    const i = this.list.indexOf(region);
    if (i < 0) return;
    this.list.splice(i, 1);
    this.refresh();
    this.u8.fill(0, region.start, region.start + region.size);
    if (this.last === region) this.last = undefined;
  }

  /** The region holding `[address, address + size)` entirely, if any. */
  find(address: number, size: number): Region | undefined {
    const last = this.last;
    if (last !== undefined && address >= last.start && address + size <= last.start + last.size) return last;
    const list = this.list;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = list[mid]!;
      if (address < r.start) hi = mid - 1;
      else if (address >= r.start + r.size) lo = mid + 1;
      else {
        if (address + size > r.start + r.size) return undefined;
        this.last = r;
        return r;
      }
    }
    return undefined;
  }
}
