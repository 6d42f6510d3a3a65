/** @file A one-region `Memory` at a fixed address, standing in for the linear memory in emulator tests. */
import type { Memory, Region, RegionKind } from '../../src/abi/memory.js';

/** A memory whose only region is `[start, start + size)`. */
export class FixedMemory implements Memory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly regions: readonly Region[];
  constructor(start: number, size: number, writable = true) {
    this.bytes = new Uint8Array(start + size);
    this.view = new DataView(this.bytes.buffer);
    this.regions = [{ name: 'block', kind: 'heap', start, size, writable }];
  }
  map(_name: string, _kind: RegionKind, _size: number, _writable: boolean): Region { throw new Error('FixedMemory cannot map'); }
  unmap(_region: Region): void { throw new Error('FixedMemory cannot unmap'); }
  find(address: number, size: number): Region | undefined {
    return this.regions.find((r) => address >= r.start && address + size <= r.start + r.size);
  }
}
