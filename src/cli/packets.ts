/** @file Small packet builders for the demo: Ethernet + IPv4 + TCP/UDP frames with correct lengths. */

/** Fields of a sample IPv4 frame. */
export interface FrameSpec {
  readonly src: string;
  readonly dst: string;
  readonly proto: 'tcp' | 'udp';
  readonly sport: number;
  readonly dport: number;
  readonly payload?: string;
}

const ip4 = (s: string): number[] => s.split('.').map(Number);

/** An Ethernet/IPv4/TCP-or-UDP frame. */
export function ipv4Frame(f: FrameSpec): Uint8Array {
  const payload = new TextEncoder().encode(f.payload ?? '');
  const l4len = (f.proto === 'tcp' ? 20 : 8) + payload.length;
  const total = 20 + l4len;
  const out = new Uint8Array(14 + total);
  const v = new DataView(out.buffer);
  out.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01], 0);
  v.setUint16(12, 0x0800);
  out[14] = 0x45;
  v.setUint16(16, total);
  out[22] = 64;
  out[23] = f.proto === 'tcp' ? 6 : 17;
  out.set(ip4(f.src), 26);
  out.set(ip4(f.dst), 30);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(24, ~sum & 0xffff);
  v.setUint16(34, f.sport);
  v.setUint16(36, f.dport);
  if (f.proto === 'tcp') { out[46] = 0x50; out[47] = 0x02; v.setUint16(48, 8192); } else v.setUint16(38, l4len);
  out.set(payload, 14 + 20 + (f.proto === 'tcp' ? 20 : 8));
  return out;
}

/** An ARP request frame (not IPv4). */
export function arpFrame(): Uint8Array {
  const out = new Uint8Array(42);
  out.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x06], 0);
  return out;
}
