/**
 * @file The benchmark inputs, built deterministically: Ethernet/IPv4/TCP and
 * UDP frames with a pseudo-random payload, and the firewall's map contents
 * (blocked source addresses and destination prefixes, none of which block
 * the benchmark packet, so the whole rule path runs).
 */

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

/** Internet checksum of an IPv4 header (RFC 1071). */
function ipChecksum(b: Uint8Array, at: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[at + i]! << 8) | b[at + i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Ethernet + IPv4 (10.1.2.3 → 192.168.7.9) + `l4` header, payload to `size` bytes. */
function frame(size: number, proto: number, l4: number[]): Uint8Array {
  const b = new Uint8Array(size);
  const r = rng(size * 31 + proto);
  for (let i = 0; i < size; i++) b[i] = r() & 0xff;
  b.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  const ipLen = size - 14;
  b.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, 1, 0, 0, 64, proto, 0, 0, 10, 1, 2, 3, 192, 168, 7, 9], 14);
  const c = ipChecksum(b, 14, 20);
  b[24] = c >> 8;
  b[25] = c & 0xff;
  b.set(l4, 34);
  return b;
}

/** A TCP segment to port 443 in a frame of `size` bytes. */
export function tcpPacket(size: number): Uint8Array {
  return frame(size, 6, [0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
}

/** A UDP datagram to port 53 in a frame of `size` bytes. */
export function udpPacket(size: number): Uint8Array {
  const len = size - 34;
  return frame(size, 17, [0x9c, 0x40, 0x00, 0x35, len >> 8, len & 0xff, 0, 0]);
}

const hex = (bytes: number[]): string => bytes.map((x) => x.toString(16).padStart(2, '0')).join('');

/** The firewall's maps, as a `--maps` file: 200 blocked sources (10.9.x.y), 100 destination prefixes of /8 to /24. */
export function firewallMaps(): string {
  const lines: string[] = [];
  for (let i = 0; i < 200; i++) lines.push(`blocked_src ${hex([10, 9, i >> 8, i & 0xff])} ${hex([0, 0, 0, 0, 0, 0, 0, 0])}`);
  for (let i = 0; i < 100; i++) {
    const len = 8 + (i % 17);
    lines.push(`dst_rules ${hex([len, 0, 0, 0, 172, 16 + (i % 16), i, 0])} ${hex([1, 0, 0, 0])}`);
  }
  // The benchmark packet's destination (192.168.7.9) falls in 192.168.0.0/16: XDP_TX.
  lines.push(`dst_rules ${hex([16, 0, 0, 0, 192, 168, 0, 0])} ${hex([3, 0, 0, 0])}`);
  return `${lines.join('\n')}\n`;
}
