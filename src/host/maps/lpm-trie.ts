/**
 * @file `BPF_MAP_TYPE_LPM_TRIE` (kernel/bpf/lpm_trie.c): longest-prefix match
 * on `struct bpf_lpm_trie_key_u8 { __u32 prefixlen; __u8 data[]; }`, data in
 * network (big-endian, most significant bit first) order.
 *
 * Entries live in one `Map` per prefix length (keyed by the data masked to
 * that length). Lookups of keys of up to 4 data bytes (IPv4 and smaller) walk
 * a binary trie like the kernel's (`trie_lookup_elem`: nodes with a prefix,
 * intermediate nodes where two prefixes part), built incrementally on insert
 * and rebuilt after a delete; longer keys probe the lengths in use from the
 * longest down, which answers identically. `getNextKey` returns the
 * kernel's post-order: children before their parent, the 0-branch before the
 * 1-branch — that is, keys sorted bit by bit over their common prefix, a longer
 * prefix before any prefix of it.
 */

import { LPM_HEADER_SIZE, LPM_NODE_SIZE } from '../../abi/hash-index.js';
import type { Memory, Region } from '../../abi/memory.js';
import { EEXIST, EINVAL, ENOENT, ENOSPC } from './errno.js';
import { BPF_EXIST, BPF_F_RDONLY_PROG, BPF_NOEXIST } from './flags.js';
import { checkUserFlags, MapBase, round8, type MapOptions, type MapSpec } from './map.js';
import { Slab } from './slab.js';

interface Entry {
  /** The key as last given (`prefixlen` and the full data, bits past the prefix included). */
  key: Uint8Array;
  prefixlen: number;
  slot: number;
}

/** A trie node: a prefix of `plen` bits (`bits`, most significant first), an entry unless intermediate. */
interface Node {
  readonly plen: number;
  readonly bits: number;
  entry: Entry | undefined;
  readonly child: [Node | undefined, Node | undefined];
}

/** Bit `i` (0 = most significant) of 32-bit `bits`. */
const bitAt = (bits: number, i: number): 0 | 1 => ((bits >>> (31 - i)) & 1) as 0 | 1;

/** Insert `n` into the subtree `at`; the subtree's new root. */
function insertNode(at: Node | undefined, n: Node): Node {
  if (at === undefined) return n;
  const common = Math.min(Math.clz32(at.bits ^ n.bits), at.plen, n.plen);
  if (common === at.plen && common === n.plen) { at.entry = n.entry; return at; }
  if (common === at.plen) {
    const b = bitAt(n.bits, at.plen);
    at.child[b] = insertNode(at.child[b], n);
    return at;
  }
  if (common === n.plen) { n.child[bitAt(at.bits, n.plen)] = at; return n; }
  const mid: Node = { plen: common, bits: common === 0 ? 0 : (n.bits & (-1 << (32 - common))), entry: undefined, child: [undefined, undefined] };
  mid.child[bitAt(at.bits, common)] = at;
  mid.child[bitAt(n.bits, common)] = n;
  return mid;
}

/** A longest-prefix-match trie map. */
export class LpmTrieMap extends MapBase {
  /** Bytes of `data`. */
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  private readonly byLen = new Map<number, Map<number | string, Entry>>();
  /** Prefix lengths in use, longest first. */
  private lens: number[] = [];
  private n = 0;
  private readonly slab: Slab;
  private readonly free: number[] = [];
  private fresh = 0;
  private sorted: Entry[] | undefined;
  /** Keys of up to 4 data bytes: the trie lookups walk (undefined: to be rebuilt before the next lookup). */
  private root: Node | undefined;
  private trieStale = false;
  /** The trie's image in the linear memory for compiled lookups, once asked for (`memoryIndex`). */
  private image: { header: Region; nodes: Region | undefined; stale: boolean; staleLookups: number } | undefined;

  constructor(spec: MapSpec, mem: Memory, opts: MapOptions = {}) {
    super(spec, mem, opts);
    this.dataSize = spec.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
    this.slab = new Slab(mem, `map:${this.name}`, round8(spec.valueSize), spec.maxEntries, false, (this.flags & BPF_F_RDONLY_PROG) === 0);
  }

  override get count(): number { return this.n; }

  private static prefixlen(key: Uint8Array, off = 0): number {
    return (key[off]! | (key[off + 1]! << 8) | (key[off + 2]! << 16) | (key[off + 3]! << 24)) >>> 0;
  }

  /**
   * The data bytes of `key` (at `off`) masked to `len` bits, as an id: a
   * number for data of up to 4 bytes (IPv4 and smaller: no string to build
   * on the lookup path), a string otherwise.
   */
  private masked(key: Uint8Array, off: number, len: number): number | string {
    if (this.dataSize <= 4) {
      let v = 0;
      for (let i = 0; i < this.dataSize; i++) v |= key[off + 4 + i]! << (24 - 8 * i);
      return len === 0 ? 0 : (v & (0xffffffff << (32 - len))) >>> 0;
    }
    const full = len >>> 3;
    let s = '';
    for (let i = 0; i < full; i++) s += String.fromCharCode(key[off + 4 + i]!);
    const rest = len & 7;
    if (rest !== 0) s += String.fromCharCode(key[off + 4 + full]! & (0xff << (8 - rest)) & 0xff);
    return s;
  }

  /** Longest match for the key at `off` of `bytes`, considering prefixes up to its prefixlen. */
  private match(bytes: Uint8Array, off: number): Entry | undefined {
    const plen = LpmTrieMap.prefixlen(bytes, off);
    // trie_lookup_elem refuses a prefix longer than the data
    if (plen > this.maxPrefixlen) return undefined;
    if (this.dataSize <= 4) {
      // the walk compares only the first plen bits: no masking needed
      let bits = 0;
      for (let i = 0; i < this.dataSize; i++) bits |= bytes[off + 4 + i]! << (24 - 8 * i);
      return this.walk(bits, plen);
    }
    for (const len of this.lens) {
      if (len > plen) continue;
      const e = this.byLen.get(len)!.get(this.masked(bytes, off, len));
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** The trie walk of `trie_lookup_elem` for a key of `plen` bits. */
  private walk(bits: number, plen: number): Entry | undefined {
    if (this.trieStale) this.rebuild();
    let best: Entry | undefined;
    for (let n = this.root; n !== undefined && n.plen <= plen;) {
      if (Math.clz32(n.bits ^ bits) < n.plen) break;
      if (n.entry !== undefined) best = n.entry;
      if (n.plen === plen) break;
      n = n.child[bitAt(bits, n.plen)];
    }
    return best;
  }

  private rebuild(): void {
    this.root = undefined;
    for (const [plen, m] of this.byLen) for (const [bits, e] of m) this.root = insertNode(this.root, { plen, bits: bits as number, entry: e, child: [undefined, undefined] });
    this.trieStale = false;
  }

  /** The exact entry for `key` (same prefixlen, same bits within it). */
  private exact(key: Uint8Array): Entry | undefined {
    const plen = LpmTrieMap.prefixlen(key);
    return this.byLen.get(plen)?.get(this.masked(key, 0, plen));
  }

  override lookup(key: Uint8Array, _cpu: number): number | undefined {
    const e = this.match(key, 0);
    return e === undefined ? undefined : this.slab.address(e.slot);
  }

  /**
   * The address of the trie's image in the linear memory, for compiled
   * lookups (`bpf_map_index.<k>`, `docs/abi.md`), for keys of up to 4 data
   * bytes; 0 for longer keys. Built on first request. A change marks the
   * image stale, and compiled code then takes `lookupAt`, which redraws the
   * image once 16 lookups in a row have found it stale: a program that
   * changes the trie on every run never pays for a redraw per run.
   */
  memoryIndex(): number {
    if (this.dataSize > 4) return 0;
    if (this.image === undefined) {
      this.image = { header: this.mem.map(`map:${this.name}#index`, 'map_index', LPM_HEADER_SIZE, false), nodes: undefined, stale: false, staleLookups: 0 };
      this.drawImage();
    }
    return this.image.header.start;
  }

  /** Write the trie into the image: nodes `plen bits value child0 child1`, the root's address in the header. */
  private drawImage(): void {
    const image = this.image!;
    if (this.trieStale) this.rebuild();
    let count = 0;
    const countNodes = (n: Node | undefined): void => { if (n !== undefined) { count++; countNodes(n.child[0]); countNodes(n.child[1]); } };
    countNodes(this.root);
    if (image.nodes === undefined || image.nodes.size < count * LPM_NODE_SIZE) {
      if (image.nodes !== undefined) this.mem.unmap(image.nodes);
      let room = 16;
      while (room < count) room *= 2;
      image.nodes = this.mem.map(`map:${this.name}#index-nodes`, 'map_index', room * LPM_NODE_SIZE, false);
    }
    const base = image.nodes.start;
    let next = 0;
    // the nodes' value addresses first: mapping a slab chunk may move the memory's views
    const values = new Map<Node, number>();
    const collect = (n: Node | undefined): void => {
      if (n === undefined) return;
      if (n.entry !== undefined) values.set(n, this.slab.address(n.entry.slot));
      collect(n.child[0]);
      collect(n.child[1]);
    };
    collect(this.root);
    const view = this.mem.view;
    const write = (n: Node | undefined): number => {
      if (n === undefined) return 0;
      const at = base + LPM_NODE_SIZE * next++;
      view.setUint32(at, n.plen, true);
      view.setUint32(at + 4, n.bits, true);
      view.setUint32(at + 8, values.get(n) ?? 0, true);
      view.setUint32(at + 12, write(n.child[0]), true);
      view.setUint32(at + 16, write(n.child[1]), true);
      return at;
    };
    view.setUint32(image.header.start, write(this.root), true);
    view.setUint32(image.header.start + 4, 0, true);
    image.stale = false;
    image.staleLookups = 0;
  }

  /** After an insert or a delete: compiled lookups take `lookupAt` until the image is redrawn. */
  private staleImage(): void {
    if (this.image === undefined) return;
    this.mem.view.setUint32(this.image.header.start + 4, 1, true);
    this.image.stale = true;
    this.image.staleLookups = 0;
  }

  /** Lookup by key address in the linear memory (the helpers' fast path). */
  lookupAt(bytes: Uint8Array, keyAddr: number, _cpu: number): number | undefined {
    // the header's stale flag, mirrored here: a fresh image costs this path nothing
    if (this.image?.stale === true && ++this.image.staleLookups >= 16) {
      this.drawImage();
      bytes = this.mem.bytes;
    }
    const e = this.match(bytes, keyAddr);
    return e === undefined ? undefined : this.slab.address(e.slot);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, _cpu: number): number {
    // trie_update_elem
    if (flags > BPF_EXIST) return -EINVAL;
    const plen = LpmTrieMap.prefixlen(key);
    if (plen > this.maxPrefixlen) return -EINVAL;
    const old = this.exact(key);
    if (old !== undefined) {
      if (flags === BPF_NOEXIST) return -EEXIST;
      old.key = key.slice(0, this.keySize);
      this.writeValue(this.slab.address(old.slot), value);
      this.sorted = undefined;
      return 0;
    }
    if (flags === BPF_EXIST) return -ENOENT;
    if (this.n >= this.maxEntries) return -ENOSPC;
    const slot = this.free.pop() ?? this.fresh++;
    const e: Entry = { key: key.slice(0, this.keySize), prefixlen: plen, slot };
    let m = this.byLen.get(plen);
    if (m === undefined) {
      m = new Map();
      this.byLen.set(plen, m);
      this.lens = [...this.byLen.keys()].sort((a, b) => b - a);
    }
    const id = this.masked(key, 0, plen);
    m.set(id, e);
    if (this.dataSize <= 4 && !this.trieStale) this.root = insertNode(this.root, { plen, bits: id as number, entry: e, child: [undefined, undefined] });
    this.n++;
    this.staleImage();
    this.writeValue(this.slab.address(slot), value);
    this.sorted = undefined;
    return 0;
  }

  override delete(key: Uint8Array): number {
    // trie_delete_elem
    const plen = LpmTrieMap.prefixlen(key);
    if (plen > this.maxPrefixlen) return -EINVAL;
    const m = this.byLen.get(plen);
    const id = this.masked(key, 0, plen);
    const e = m?.get(id);
    if (m === undefined || e === undefined) return -ENOENT;
    m.delete(id);
    if (m.size === 0) {
      this.byLen.delete(plen);
      this.lens = this.lens.filter((l) => l !== plen);
    }
    this.free.push(e.slot);
    this.trieStale = true;
    this.staleImage();
    this.n--;
    this.sorted = undefined;
    return 0;
  }

  override lookupUser(key: Uint8Array | undefined, out: Uint8Array, flags: number): number {
    const err = checkUserFlags(this, flags);
    if (err !== 0) return err;
    if (key === undefined) return -EINVAL;
    const e = this.match(key, 0);
    if (e === undefined) return -ENOENT;
    this.readValue(this.slab.address(e.slot), out, 0);
    return 0;
  }

  /** Post-order comparison of two entries (see the file comment). */
  private compare(a: Entry, b: Entry): number {
    const common = Math.min(a.prefixlen, b.prefixlen);
    for (let bit = 0; bit < common; bit++) {
      const byte = 4 + (bit >>> 3);
      const m = 0x80 >>> (bit & 7);
      const x = a.key[byte]! & m;
      const y = b.key[byte]! & m;
      if (x !== y) return x === 0 ? -1 : 1;
    }
    return b.prefixlen - a.prefixlen;
  }

  override getNextKey(key: Uint8Array | undefined, out: Uint8Array): number {
    // trie_get_next_key: a missing or too long key restarts from the leftmost node
    if (this.sorted === undefined) {
      const all: Entry[] = [];
      for (const m of this.byLen.values()) for (const e of m.values()) all.push(e);
      this.sorted = all.sort((a, b) => this.compare(a, b));
    }
    const list = this.sorted;
    if (list.length === 0) return -ENOENT;
    let i = 0;
    if (key !== undefined && LpmTrieMap.prefixlen(key) <= this.maxPrefixlen) {
      const cur = this.exact(key);
      if (cur !== undefined) {
        i = list.indexOf(cur) + 1;
        if (i >= list.length) return -ENOENT;
      }
    }
    out.set(list[i]!.key);
    return 0;
  }
}
