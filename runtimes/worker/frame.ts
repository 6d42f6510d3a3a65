/**
 * @file Synthetic Ethernet/IPv4/TCP frames, so a request that arrives as
 * HTTP (client address and port, request bytes) can be shown to an
 * XDP-style program as the packet that carried it. Layouts: IEEE 802.3
 * (Ethernet II), RFC 791 (IPv4, with its header checksum), RFC 9293 (TCP).
 */

/** What the frame carries. */
export interface FrameSpec {
  /** Source IPv4 address, dotted quad. */
  readonly src: string;
  /** Destination IPv4 address, dotted quad (default 127.0.0.1). */
  readonly dst?: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** `IPPROTO_TCP` (6, default) or `IPPROTO_UDP` (17). */
  readonly protocol?: 6 | 17;
  /** Layer-4 payload (truncated so the frame stays within `maxFrame`). */
  readonly payload?: Uint8Array;
  /** Largest frame built (default 1514, an Ethernet MTU frame). */
  readonly maxFrame?: number;
}

/** The four bytes of a dotted-quad IPv4 address, or undefined when it is not one. */
export function parseIPv4(text: string): [number, number, number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (m === null) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return undefined;
  return parts as [number, number, number, number];
}

/** A CIDR prefix (`10.0.0.0/8`; a bare address is a /32), or undefined when malformed. */
export function parseCidr(text: string): { addr: [number, number, number, number]; prefixlen: number } | undefined {
  const [a, len, ...rest] = text.trim().split('/');
  if (rest.length > 0 || a === undefined) return undefined;
  const addr = parseIPv4(a);
  const prefixlen = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (addr === undefined || !(prefixlen >= 0 && prefixlen <= 32)) return undefined;
  return { addr, prefixlen };
}

/** Ethernet + IPv4 + TCP/UDP headers around `payload`; the IPv4 header checksum is filled in. */
export function syntheticFrame(spec: FrameSpec): Uint8Array {
  const src = parseIPv4(spec.src) ?? [0, 0, 0, 0];
  const dst = parseIPv4(spec.dst ?? '127.0.0.1') ?? [127, 0, 0, 1];
  const proto = spec.protocol ?? 6;
  const l4 = proto === 6 ? 20 : 8;
  const room = (spec.maxFrame ?? 1514) - 14 - 20 - l4;
  const payload = (spec.payload ?? new Uint8Array(0)).subarray(0, Math.max(0, room));
  const f = new Uint8Array(14 + 20 + l4 + payload.length);
  const v = new DataView(f.buffer);
  // Ethernet II: destination MAC, source MAC (locally administered), EtherType 0x0800.
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2], 0);
  v.setUint16(12, 0x0800);
  // IPv4: version 4, IHL 5, total length, TTL 64, protocol, addresses.
  f[14] = 0x45;
  v.setUint16(16, 20 + l4 + payload.length);
  f[22] = 64;
  f[23] = proto;
  f.set(src, 26);
  f.set(dst, 30);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(24, ~sum & 0xffff);
  // TCP (data offset 5, PSH|ACK) or UDP (length).
  v.setUint16(34, spec.srcPort & 0xffff);
  v.setUint16(36, spec.dstPort & 0xffff);
  if (proto === 6) {
    f[46] = 0x50;
    f[47] = 0x18;
    v.setUint16(48, 0xffff);
  } else {
    v.setUint16(38, 8 + payload.length);
  }
  f.set(payload, 14 + 20 + l4);
  return f;
}
