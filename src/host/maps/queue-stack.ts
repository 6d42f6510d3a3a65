/**
 * @file `BPF_MAP_TYPE_QUEUE` (FIFO) and `BPF_MAP_TYPE_STACK` (LIFO)
 * (kernel/bpf/queue_stack_maps.c): a ring of `max_entries + 1` values with a
 * head and a tail, exactly as the kernel keeps it. No key; values are copied
 * in and out, so they need no address in the linear memory.
 */

import type { Memory } from '../../abi/memory.js';
import { E2BIG, EINVAL, ENOENT } from './errno.js';
import { BPF_EXIST, BPF_NOEXIST } from './flags.js';
import { checkUserFlags, MapBase, type MapOptions, type MapSpec } from './map.js';
import { MapType } from '../../abi/map-types.js';

/** A queue or a stack. */
export class QueueStackMap extends MapBase {
  /** Whether pops take the newest value. */
  readonly stack: boolean;
  private readonly size: number;
  private readonly elements: Uint8Array;
  private head = 0;
  private tail = 0;

  constructor(spec: MapSpec, mem: Memory, opts: MapOptions = {}) {
    super(spec, mem, opts);
    this.stack = spec.type === MapType.STACK;
    this.size = spec.maxEntries + 1;
    this.elements = new Uint8Array(this.size * spec.valueSize);
  }

  override get count(): number {
    return (this.head - this.tail + this.size) % this.size;
  }

  override push(value: Uint8Array, flags: number): number {
    // queue_stack_map_push_elem
    if ((flags & BPF_NOEXIST) !== 0 || flags > BPF_EXIST) return -EINVAL;
    let h = this.head + 1;
    if (h >= this.size) h = 0;
    if (h === this.tail) {
      if (flags !== BPF_EXIST) return -E2BIG;
      // overwrite the oldest element
      if (++this.tail >= this.size) this.tail = 0;
    }
    this.elements.set(value.subarray(0, this.valueSize), this.head * this.valueSize);
    this.head = h;
    return 0;
  }

  /** Read (and with `remove`, take) the next element into `out`. */
  private take(out: Uint8Array, remove: boolean): number {
    if (this.head === this.tail) return -ENOENT;
    let i: number;
    if (this.stack) {
      i = this.head === 0 ? this.size - 1 : this.head - 1;
      if (remove) this.head = i;
    } else {
      i = this.tail;
      if (remove && ++this.tail >= this.size) this.tail = 0;
    }
    out.set(this.elements.subarray(i * this.valueSize, (i + 1) * this.valueSize));
    return 0;
  }

  override pop(out: Uint8Array): number { return this.take(out, true); }
  override peek(out: Uint8Array): number { return this.take(out, false); }

  override update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): number { return -EINVAL; }
  override delete(_key: Uint8Array): number { return -EINVAL; }
  override getNextKey(_key: Uint8Array | undefined, _out: Uint8Array): number { return -EINVAL; }

  override lookupUser(_key: Uint8Array | undefined, out: Uint8Array, flags: number): number {
    const e = checkUserFlags(this, flags);
    return e !== 0 ? e : this.peek(out);
  }

  override updateUser(_key: Uint8Array | undefined, value: Uint8Array, flags: number): number {
    return this.push(value, flags);
  }

  override lookupAndDeleteUser(_key: Uint8Array | undefined, out: Uint8Array, flags: number): number {
    if (flags !== 0) return -EINVAL;
    return this.pop(out);
  }
}
