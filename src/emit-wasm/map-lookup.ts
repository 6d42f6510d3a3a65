/**
 * @file Hash map lookups inside the module: `bpf_map_lookup_elem` on a
 * `BPF_MAP_TYPE_HASH` map named by a constant reference probes the map's
 * index in the linear memory (`docs/abi.md`, "Hash maps"), so a lookup costs
 * a hash and a probe or two instead of a call into the host.
 *
 * ```
 *   map_lookup_k(key: i32) -> i32
 *     hdr = bpf_map_index.<k>; if hdr == 0: return bpf_map_lookup.<k>(key)
 *     h = murmur3(key[0 .. key_size], seed = hdr.seed)
 *     for (i = h & hdr.mask; ; i = (i + 1) & hdr.mask)
 *       s = hdr.table + i * slot_size
 *       if s.value == 0: return 0
 *       if s.hash == h && s.key == key: return s.value
 * ```
 *
 * The hash and the key comparison are unrolled for the map's key size. A
 * host that keeps no index passes 0 and every lookup takes the import. LPM
 * tries with IPv4-sized keys walk the trie's image the same way
 * (`lpmLookupFunc`).
 */

import { indexSlotSize, MURMUR } from '../abi/hash-index.js';
import { BLOCK_VOID, Code, ValType, W } from './encode.js';

const KEY = 0;
const HDR = 1;
const H = 2;
const I = 3;
const S = 4;
const V = 5;
const MASK = 6;
const TABLE = 7;

/** The lookup function's body, its locals after the parameter, and their names. */
export function hashLookupFunc(keySize: number, indexGlobal: number, fallback: number): {
  code: Code; locals: ValType[]; names: Map<number, string>;
} {
  const c = new Code();
  c.globalGet(indexGlobal).localTee(HDR).op(W.i32_eqz);
  c.if(BLOCK_VOID).localGet(KEY).call(fallback).op(W.return).end();

  // MurmurHash3_x86_32 over the key, little-endian blocks of 4 bytes
  c.localGet(HDR).mem(W.i32_load, 8).localSet(H);
  const body = keySize & ~3;
  const scramble = (): void => {
    c.i32Const(MURMUR.c1).op(W.i32_mul).i32Const(15).op(W.i32_rotl).i32Const(MURMUR.c2).op(W.i32_mul);
  };
  for (let off = 0; off < body; off += 4) {
    c.localGet(KEY).mem(W.i32_load, off, 0);
    scramble();
    c.localGet(H).op(W.i32_xor).i32Const(13).op(W.i32_rotl).i32Const(5).op(W.i32_mul).i32Const(MURMUR.n).op(W.i32_add).localSet(H);
  }
  const rest = keySize & 3;
  if (rest !== 0) {
    c.localGet(KEY).mem(rest === 1 ? W.i32_load8_u : W.i32_load16_u, body, 0);
    if (rest === 3) c.localGet(KEY).mem(W.i32_load8_u, body + 2, 0).i32Const(16).op(W.i32_shl).op(W.i32_or);
    scramble();
    c.localGet(H).op(W.i32_xor).localSet(H);
  }
  c.localGet(H).i32Const(keySize).op(W.i32_xor).localSet(H);
  const shiftXor = (n: number): void => { c.localGet(H).localGet(H).i32Const(n).op(W.i32_shr_u).op(W.i32_xor).localSet(H); };
  shiftXor(16);
  c.localGet(H).i32Const(MURMUR.f1).op(W.i32_mul).localSet(H);
  shiftXor(13);
  c.localGet(H).i32Const(MURMUR.f2).op(W.i32_mul).localSet(H);
  shiftXor(16);

  // linear probing from h & mask
  c.localGet(HDR).mem(W.i32_load, 0).localSet(TABLE);
  c.localGet(HDR).mem(W.i32_load, 4).localTee(MASK).localGet(H).op(W.i32_and).localSet(I);
  const slot = indexSlotSize(keySize);
  c.loop(BLOCK_VOID);
  c.localGet(TABLE).localGet(I).i32Const(slot).op(W.i32_mul).op(W.i32_add).localTee(S);
  c.mem(W.i32_load, 4).localTee(V).op(W.i32_eqz);
  c.if(BLOCK_VOID).i32Const(0).op(W.return).end();
  c.localGet(S).mem(W.i32_load, 0).localGet(H).op(W.i32_eq);
  c.if(BLOCK_VOID);
  keyEquals(c, keySize);
  c.if(BLOCK_VOID).localGet(V).op(W.return).end();
  c.end();
  c.localGet(I).i32Const(1).op(W.i32_add).localGet(MASK).op(W.i32_and).localSet(I);
  c.br(0);
  c.end();
  c.op(W.unreachable);
  const names = new Map([[KEY, 'key'], [HDR, 'index'], [H, 'hash'], [I, 'i'], [S, 'slot'], [V, 'value'], [MASK, 'mask'], [TABLE, 'table']]);
  return { code: c, locals: Array.from({ length: TABLE }, () => ValType.i32), names };
}

/**
 * The lookup function of an LPM trie with `dataSize` (1 to 4) data bytes: the
 * walk of the kernel's `trie_lookup_elem` over the trie's image
 * (`docs/abi.md`, "LPM tries"); a missing or stale image takes the import.
 *
 * ```
 *   plen = key.prefixlen; if plen > 8 * data_size: return 0
 *   bits = key.data, big-endian, in the top bits
 *   for (n = root; n != 0 && n.plen <= plen; n = n.child[bit plen of bits])
 *     if clz(n.bits ^ bits) < n.plen: break
 *     if n.value: best = n.value
 *     if n.plen == plen: break
 * ```
 */
export function lpmLookupFunc(dataSize: number, indexGlobal: number, fallback: number): {
  code: Code; locals: ValType[]; names: Map<number, string>;
} {
  const [key, hdr, plen, bits, n, np, best, value] = [0, 1, 2, 3, 4, 5, 6, 7];
  const c = new Code();
  c.globalGet(indexGlobal).localTee(hdr).op(W.i32_eqz);
  c.if(BLOCK_VOID).localGet(key).call(fallback).op(W.return).end();
  c.localGet(hdr).mem(W.i32_load, 4);
  c.if(BLOCK_VOID).localGet(key).call(fallback).op(W.return).end();
  c.localGet(key).mem(W.i32_load, 0, 0).localTee(plen).i32Const(8 * dataSize).op(W.i32_gt_u);
  c.if(BLOCK_VOID).i32Const(0).op(W.return).end();
  // the data bytes, most significant first, into the top of a 32-bit word
  for (let i = 0; i < dataSize; i++) {
    c.localGet(key).mem(W.i32_load8_u, 4 + i, 0);
    if (i < 3) c.i32Const(24 - 8 * i).op(W.i32_shl);
    if (i > 0) c.op(W.i32_or);
  }
  c.localSet(bits);
  c.localGet(hdr).mem(W.i32_load, 0).localSet(n);
  c.block(BLOCK_VOID).loop(BLOCK_VOID);
  // br 1 leaves the walk; br 0 goes on with the child in n
  c.localGet(n).op(W.i32_eqz).brIf(1);
  c.localGet(n).mem(W.i32_load, 0).localTee(np).localGet(plen).op(W.i32_gt_u).brIf(1);
  c.localGet(n).mem(W.i32_load, 4).localGet(bits).op(W.i32_xor).op(W.i32_clz).localGet(np).op(W.i32_lt_u).brIf(1);
  c.localGet(n).mem(W.i32_load, 8).localTee(value);
  c.if(BLOCK_VOID).localGet(value).localSet(best).end();
  c.localGet(np).localGet(plen).op(W.i32_eq).brIf(1);
  // child[(bits >> (31 - np)) & 1], np < plen <= 32
  c.localGet(n).localGet(bits).i32Const(31).localGet(np).op(W.i32_sub).op(W.i32_shr_u).i32Const(1).op(W.i32_and)
    .i32Const(2).op(W.i32_shl).op(W.i32_add).mem(W.i32_load, 12).localSet(n);
  c.br(0);
  c.end().end();
  c.localGet(best);
  const names = new Map([[key, 'key'], [hdr, 'index'], [plen, 'plen'], [bits, 'bits'], [n, 'node'], [np, 'node_plen'], [best, 'best'], [value, 'value']]);
  return { code: c, locals: Array.from({ length: value }, () => ValType.i32), names };
}

/** Push 1 when the slot's key (at `S` + 8) equals the key at `KEY`, else 0; widest loads first. */
function keyEquals(c: Code, keySize: number): void {
  let off = 0;
  let first = true;
  for (const [width, load, eq] of [[8, W.i64_load, W.i64_eq], [4, W.i32_load, W.i32_eq], [2, W.i32_load16_u, W.i32_eq], [1, W.i32_load8_u, W.i32_eq]] as const) {
    for (; off + width <= keySize; off += width) {
      c.localGet(S).mem(load, 8 + off, 0).localGet(KEY).mem(load, off, 0).op(eq);
      if (!first) c.op(W.i32_and);
      first = false;
    }
  }
}
