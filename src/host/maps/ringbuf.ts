/**
 * @file `BPF_MAP_TYPE_RINGBUF` (kernel/bpf/ringbuf.c): a multi-producer,
 * single-consumer byte ring of `max_entries` bytes (a power of two, a whole
 * number of pages) holding variable-length records.
 *
 * Record layout, as the kernel writes it and libbpf reads it:
 * ```
 *   +0  u32 len      bit 31 BUSY (reserved, not committed), bit 30 DISCARD
 *   +4  u32 pg_off   page offset of the header from the ring's start
 *   +8  data[len]    then padding to a multiple of 8
 * ```
 * The kernel maps the data pages twice in a row so a record that wraps is
 * still contiguous; here the region is `2 * max_entries` bytes long and a
 * record's bytes run on past the end into the second half, which gives the
 * program and the consumer the same contiguous view.
 */

import type { Memory, Region } from '../../abi/memory.js';
import { MapBase, type MapOptions, type MapSpec } from './map.js';
import { EAGAIN, EINVAL, ENOTSUPP } from './errno.js';

/** Header flag: record reserved but not yet committed. */
export const BPF_RINGBUF_BUSY_BIT = 0x80000000;
/** Header flag: record discarded. */
export const BPF_RINGBUF_DISCARD_BIT = 0x40000000;
/** Header size in bytes. */
export const BPF_RINGBUF_HDR_SZ = 8;
/** `bpf_ringbuf_output`/`submit` flag: do not notify the consumer. */
export const BPF_RB_NO_WAKEUP = 1;
/** `bpf_ringbuf_output`/`submit` flag: notify the consumer regardless. */
export const BPF_RB_FORCE_WAKEUP = 2;
/** `bpf_ringbuf_query` flags. */
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;
/** Largest record the kernel accepts (`RINGBUF_MAX_RECORD_SZ`, UINT_MAX / 4). */
export const RINGBUF_MAX_RECORD_SZ = 0x3fffffff;
/** Pages before the data in the kernel's `struct bpf_ringbuf` (header, consumer, producer). */
const RINGBUF_DATA_PGOFF = 3;

/** A ring buffer map. */
export class RingbufMap extends MapBase {
  readonly region: Region;
  /** Data size minus one. */
  readonly mask: number;
  consumerPos = 0;
  producerPos = 0;
  private pendingPos = 0;
  /** Called after a commit that should wake the consumer. */
  onWakeup: (() => void) | undefined;

  constructor(spec: MapSpec, mem: Memory, opts: MapOptions = {}) {
    super(spec, mem, opts);
    this.mask = spec.maxEntries - 1;
    this.region = mem.map(`ringbuf:${this.name}`, 'ringbuf', 2 * spec.maxEntries, true);
  }

  override get count(): number { return this.producerPos - this.consumerPos; }

  // the bpf() syscall has no element operations on a ring buffer
  override lookup(): number | undefined { return undefined; }
  override update(): number { return -ENOTSUPP; }
  override delete(): number { return -ENOTSUPP; }
  override lookupUser(): number { return -ENOTSUPP; }
  override updateUser(): number { return -ENOTSUPP; }
  override getNextKey(): number { return -ENOTSUPP; }

  private hdrLen(pos: number): number {
    return this.mem.view.getUint32(this.region.start + (pos & this.mask), true);
  }

  /** `bpf_ringbuf_reserve`: address of `size` writable bytes, or 0 (NULL). */
  reserve(size: number, flags: bigint | number): number {
    if (BigInt(flags) !== 0n) return 0;
    if (size > RINGBUF_MAX_RECORD_SZ) return 0;
    const len = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7;
    if (len > this.mask + 1) return 0;
    // __bpf_ringbuf_reserve: skip committed records to find the oldest pending one
    let pend = this.pendingPos;
    while (pend < this.producerPos) {
      const h = this.hdrLen(pend);
      if ((h & BPF_RINGBUF_BUSY_BIT) !== 0) break;
      pend += ((h & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) + BPF_RINGBUF_HDR_SZ + 7) & ~7;
    }
    this.pendingPos = pend;
    const newProd = this.producerPos + len;
    if (newProd - this.consumerPos > this.mask || newProd - pend > this.mask) return 0;
    const hdr = this.region.start + (this.producerPos & this.mask);
    const v = this.mem.view;
    v.setUint32(hdr, (size | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    v.setUint32(hdr + 4, RINGBUF_DATA_PGOFF + ((this.producerPos & this.mask) >>> 12), true);
    this.producerPos = newProd;
    return hdr + BPF_RINGBUF_HDR_SZ;
  }

  /** Whether `addr` is a sample this ring handed out. */
  owns(addr: number): boolean {
    return addr >= this.region.start + BPF_RINGBUF_HDR_SZ && addr < this.region.start + this.region.size;
  }

  /** `bpf_ringbuf_submit` / `bpf_ringbuf_discard` (`bpf_ringbuf_commit`). */
  commit(sample: number, flags: bigint | number, discard: boolean): void {
    const hdr = sample - BPF_RINGBUF_HDR_SZ;
    const v = this.mem.view;
    let len = (v.getUint32(hdr, true) ^ BPF_RINGBUF_BUSY_BIT) >>> 0;
    if (discard) len = (len | BPF_RINGBUF_DISCARD_BIT) >>> 0;
    v.setUint32(hdr, len, true);
    const f = BigInt(flags);
    // wake the consumer when it waits for exactly this record
    const recPos = hdr - this.region.start;
    if ((f & BigInt(BPF_RB_FORCE_WAKEUP)) !== 0n) this.onWakeup?.();
    else if ((f & BigInt(BPF_RB_NO_WAKEUP)) === 0n && (this.consumerPos & this.mask) === recPos) this.onWakeup?.();
  }

  /** `bpf_ringbuf_output`: 0, `-EINVAL` for bad flags, `-EAGAIN` when full. */
  output(data: Uint8Array, flags: bigint | number): number {
    const f = BigInt(flags);
    if ((f & ~BigInt(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0n) return -EINVAL;
    const p = this.reserve(data.length, 0);
    if (p === 0) return -EAGAIN;
    this.mem.bytes.set(data, p);
    this.commit(p, f, false);
    return 0;
  }

  /** `bpf_ringbuf_query`. */
  query(flags: bigint | number): bigint {
    switch (Number(BigInt(flags))) {
      case BPF_RB_AVAIL_DATA: return BigInt(this.producerPos - this.consumerPos);
      case BPF_RB_RING_SIZE: return BigInt(this.mask + 1);
      case BPF_RB_CONS_POS: return BigInt(this.consumerPos);
      case BPF_RB_PROD_POS: return BigInt(this.producerPos);
      default: return 0n;
    }
  }

  /**
   * The consumer (libbpf `ringbuf_process_ring`): hand every committed,
   * non-discarded record to `cb` in order, stopping at the first busy one.
   * Returns the number of records handed out.
   */
  consume(cb: (sample: Uint8Array) => void): number {
    let n = 0;
    const bytes = this.mem.bytes;
    while (this.consumerPos < this.producerPos) {
      const len = this.hdrLen(this.consumerPos);
      if ((len & BPF_RINGBUF_BUSY_BIT) !== 0) break;
      const size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      const at = this.region.start + (this.consumerPos & this.mask) + BPF_RINGBUF_HDR_SZ;
      this.consumerPos += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7;
      if ((len & BPF_RINGBUF_DISCARD_BIT) === 0) {
        cb(bytes.slice(at, at + size));
        n++;
      }
    }
    return n;
  }
}
