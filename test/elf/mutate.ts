/**
 * @file Mutations of ELF objects for fuzzing the loader: bit flips,
 * truncation, byte splats, and field-targeted writes into the ELF header,
 * section headers, symbols, relocations and BTF. Deterministic from a seed.
 */

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Byte ranges of interesting structures in a well-formed little/big-endian ELF64 file. */
interface Layout {
  little: boolean;
  shoff: number;
  sections: { off: number; type: number; dataOff: number; size: number; name: string }[];
}

function layout(b: Uint8Array): Layout | undefined {
  if (b.length < 64) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const little = b[5] === 1;
  const shoff = Number(v.getBigUint64(40, little));
  const shnum = v.getUint16(60, little);
  const shstrndx = v.getUint16(62, little);
  if (shoff + shnum * 64 > b.length) return undefined;
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const off = shoff + i * 64;
    raw.push({ off, nameOff: v.getUint32(off, little), type: v.getUint32(off + 4, little), dataOff: Number(v.getBigUint64(off + 24, little)), size: Number(v.getBigUint64(off + 32, little)) });
  }
  const strs = raw[shstrndx];
  const name = (o: number): string => {
    if (strs === undefined) return '';
    let s = '';
    for (let i = strs.dataOff + o; i < b.length && b[i] !== 0 && s.length < 64; i++) s += String.fromCharCode(b[i]!);
    return s;
  };
  return { little, shoff, sections: raw.map((r) => ({ off: r.off, type: r.type, dataOff: r.dataOff, size: r.size, name: name(r.nameOff) })) };
}

const INTERESTING = [0, 1, 2, 7, 8, 0x10, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** The kinds of mutation `mutate` applies. */
export const MUTATIONS = ['flip', 'truncate', 'splat', 'header', 'shdr', 'symbol', 'reloc', 'btf', 'code'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** Apply one random mutation (or a few) to a copy of `input`. */
export function mutate(input: Uint8Array, rand: () => number): { bytes: Uint8Array; kind: Mutation } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const kind = pick(MUTATIONS);
  let b = input.slice();
  const L = layout(b);
  const v = new DataView(b.buffer);
  const value = (): number => (rand() < 0.6 ? pick(INTERESTING) : Math.floor(rand() * 2 ** 32));
  const put = (at: number, width: 1 | 2 | 4 | 8): void => {
    if (at < 0 || at + width > b.length) return;
    const x = value();
    const le = L?.little ?? true;
    if (width === 1) v.setUint8(at, x & 0xff);
    else if (width === 2) v.setUint16(at, x & 0xffff, le);
    else if (width === 4) v.setUint32(at, x >>> 0, le);
    else v.setBigUint64(at, rand() < 0.5 ? BigInt(x) : BigInt(x) << 32n, le);
  };
  const inSection = (pred: (name: string, type: number) => boolean, stride: number, fields: readonly [number, 1 | 2 | 4 | 8][]): void => {
    const secs = (L?.sections ?? []).filter((s) => pred(s.name, s.type) && s.size >= stride);
    if (secs.length === 0) { put(Math.floor(rand() * b.length), 4); return; }
    const s = pick(secs);
    const n = Math.floor(s.size / stride);
    const [off, width] = pick(fields);
    put(s.dataOff + Math.floor(rand() * n) * stride + off, width);
  };
  switch (kind) {
    case 'flip': {
      const n = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < n; i++) { const at = Math.floor(rand() * b.length); b[at]! ^= 1 << Math.floor(rand() * 8); }
      break;
    }
    case 'truncate': b = b.slice(0, Math.floor(rand() * b.length)); break;
    case 'splat': {
      const at = Math.floor(rand() * b.length);
      const len = 1 + Math.floor(rand() * 32);
      const fill = pick([0, 0xff, -1]);
      for (let i = at; i < Math.min(b.length, at + len); i++) b[i] = fill < 0 ? Math.floor(rand() * 256) : fill;
      break;
    }
    case 'header': put(pick([16, 18, 24, 32, 40, 48, 52, 54, 56, 58, 60, 62, 4, 5]), pick([1, 2, 4, 8] as const)); break;
    case 'shdr': {
      if (L === undefined || L.sections.length === 0) { put(Math.floor(rand() * b.length), 4); break; }
      const s = pick(L.sections);
      const [off, width] = pick([[0, 4], [4, 4], [8, 8], [24, 8], [32, 8], [40, 4], [44, 4], [56, 8]] as const);
      put(s.off + off, width);
      break;
    }
    case 'symbol': inSection((_n, t) => t === 2, 24, [[0, 4], [4, 1], [5, 1], [6, 2], [8, 8], [16, 8]]); break;
    case 'reloc': inSection((_n, t) => t === 9 || t === 4, 16, [[0, 8], [8, 4], [12, 4]]); break;
    case 'btf': inSection((n) => n === '.BTF' || n === '.BTF.ext', 4, [[0, 4], [0, 1], [0, 2]]); break;
    case 'code': inSection((n, t) => t === 1 && n !== '.BTF' && n !== '.BTF.ext' && !n.startsWith('.debug'), 8, [[0, 1], [1, 1], [2, 2], [4, 4]]); break;
  }
  return { bytes: b, kind };
}
