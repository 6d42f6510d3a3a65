/**
 * @file The memory contract every backend executes against.
 *
 * A BPF pointer is an address in one 32-bit linear memory, held in a 64-bit
 * register. The memory holds the call stack, the context, packet data, map
 * values and global data, each in a *region*. Every load and store that is
 * not proven safe by the verifier is checked against the regions: it must fall
 * entirely inside one region, and a store needs a writable one.
 *
 * ```
 *   0x0000_0000  null page (never mapped: address 0 always faults)
 *   0x0000_1000  regions, placed by a bump allocator, 16-byte aligned,
 *                with an unmapped guard gap between neighbours
 *   ...
 * ```
 *
 * The backing store is a `WebAssembly.Memory`, so compiled modules, the
 * interpreter and the host all see the same bytes.
 */

/** What a region holds. */
export type RegionKind =
  | 'stack' | 'ctx' | 'packet' | 'packet_meta' | 'map_value' | 'global' | 'ringbuf' | 'heap' | 'input'
  /** A hash map's index for compiled lookups (`src/host/maps/hash-index.ts`). */
  | 'map_index';

/** A contiguous range of the linear memory. */
export interface Region {
  readonly name: string;
  readonly kind: RegionKind;
  /** First byte's address. */
  readonly start: number;
  /** Length in bytes. */
  readonly size: number;
  /** Whether programs may store into it. */
  readonly writable: boolean;
}

/** The linear memory with its regions. */
export interface Memory {
  /** The whole linear memory; re-read after `map`, which may grow it. */
  readonly bytes: Uint8Array;
  /** A DataView over `bytes`; re-read after `map`. */
  readonly view: DataView;
  /** Every mapped region, in address order. */
  readonly regions: readonly Region[];
  /** Map a new region of `size` bytes (zero-filled), returning it. */
  map(name: string, kind: RegionKind, size: number, writable: boolean): Region;
  /** Remove a region (its bytes are zeroed and may be reused). */
  unmap(region: Region): void;
  /** The region that holds `[address, address + size)` entirely, if any. */
  find(address: number, size: number): Region | undefined;
}
