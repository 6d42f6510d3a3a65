/**
 * @file The kernel's pseudo-random generator behind `bpf_get_prandom_u32`:
 * the four-component Tausworthe generator `prandom_u32_state`
 * (lib/random32.c, L'Ecuyer's lfsr113), seeded like `prandom_seed_state`.
 */

/** One generator state. */
export class Prandom {
  private s1: number;
  private s2: number;
  private s3: number;
  private s4: number;

  /** Seed as `prandom_seed_state(state, seed)` does (a 64-bit seed). */
  constructor(seed: bigint) {
    const s = BigInt.asUintN(64, seed);
    const i = Number(((s >> 32n) ^ (s << 10n) ^ s) & 0xffffffffn) >>> 0;
    // __seed(x, m): the low bits of each component must not be all zero
    const seedc = (x: number, m: number): number => (x < m ? x + m : x) >>> 0;
    this.s1 = seedc(i, 2);
    this.s2 = seedc(i, 8);
    this.s3 = seedc(i, 16);
    this.s4 = seedc(i, 128);
  }

  /** `prandom_u32_state`: the next 32-bit value. */
  next(): number {
    // TAUSWORTHE(s, a, b, c, d) = ((s & c) << d) ^ (((s << a) ^ s) >> b)
    this.s1 = (((this.s1 & 4294967294) << 18) ^ (((this.s1 << 6) ^ this.s1) >>> 13)) >>> 0;
    this.s2 = (((this.s2 & 4294967288) << 2) ^ (((this.s2 << 2) ^ this.s2) >>> 27)) >>> 0;
    this.s3 = (((this.s3 & 4294967280) << 7) ^ (((this.s3 << 13) ^ this.s3) >>> 21)) >>> 0;
    this.s4 = (((this.s4 & 4294967168) << 13) ^ (((this.s4 << 3) ^ this.s4) >>> 12)) >>> 0;
    return (this.s1 ^ this.s2 ^ this.s3 ^ this.s4) >>> 0;
  }
}
