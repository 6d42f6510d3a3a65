/**
 * @file The layouts of the map indexes compiled code reads in the linear
 * memory — a hash map's table and its hash, an LPM trie's nodes — shared by
 * the host that keeps them (`src/host/maps/hash-index.ts`,
 * `src/host/maps/lpm-trie.ts`) and the compiled code that walks them
 * (`src/emit-wasm/map-lookup.ts`); `docs/abi.md`, "Hash maps" and "LPM tries".
 */

/** The longest key an index takes (compiled lookups compare keys inline). */
export const MAX_INDEXED_KEY = 64;

/** MurmurHash3_x86_32's constants. */
export const MURMUR = { c1: 0xcc9e2d51, c2: 0x1b873593, n: 0xe6546b64, f1: 0x85ebca6b, f2: 0xc2b2ae35 } as const;

/** Bytes of an LPM trie image's header: `root:u32 stale:u32`. */
export const LPM_HEADER_SIZE = 8;
/** Bytes of an LPM trie node: `plen:u32 bits:u32 value:u32 child0:u32 child1:u32`. */
export const LPM_NODE_SIZE = 20;
/** The longest LPM data an image takes, in bytes (IPv4). */
export const MAX_LPM_INDEXED_DATA = 4;

/** Bytes of the header: `table:u32 mask:u32 seed:u32`. */
export const INDEX_HEADER_SIZE = 12;

/** Bytes of one slot for `keySize`-byte keys: `hash:u32 value:u32`, then the key padded to 4. */
export function indexSlotSize(keySize: number): number {
  return 8 + ((keySize + 3) & ~3);
}

/** One MurmurHash3 mixing step of a 4-byte block into `h`. */
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, MURMUR.c1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, MURMUR.c2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + MURMUR.n) | 0;
}

/** MurmurHash3_x86_32 of `len` bytes of `bytes` at `off`, unsigned. */
export function murmur3(bytes: Uint8Array, off: number, len: number, seed: number): number {
  let h = seed | 0;
  const body = len & ~3;
  for (let i = 0; i < body; i += 4) {
    const a = off + i;
    h = mixBlock(h, bytes[a]! | (bytes[a + 1]! << 8) | (bytes[a + 2]! << 16) | (bytes[a + 3]! << 24));
  }
  const rest = len & 3;
  if (rest !== 0) {
    const a = off + body;
    let k = bytes[a]!;
    if (rest > 1) k |= bytes[a + 1]! << 8;
    if (rest > 2) k |= bytes[a + 2]! << 16;
    k = Math.imul(k, MURMUR.c1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, MURMUR.c2);
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, MURMUR.f1);
  h ^= h >>> 13;
  h = Math.imul(h, MURMUR.f2);
  h ^= h >>> 16;
  return h >>> 0;
}
