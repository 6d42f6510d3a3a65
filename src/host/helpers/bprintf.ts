/**
 * @file The kernel's `bpf_bprintf_prepare` rules (kernel/bpf/helpers.c) and the
 * formatting `bstr_printf` then does (lib/vsprintf.c), for `bpf_trace_printk`,
 * `bpf_trace_vprintk` and `bpf_snprintf`.
 *
 * Accepted conversions: `%d %i %u %x %X` with `l`/`ll`, `%c`, `%s`, `%%`, and
 * `%p` as `%p %pK %px %ps %pS %pB`, `%pks %pus` (strings), `%pI4 %pi4 %pI6 %pi6`;
 * an optional `[0 +-]` flag run and a width; no precision. Anything else, a
 * control character, or more conversions than arguments is `-EINVAL`. String
 * and IP arguments share a 512-byte buffer (`MAX_BPRINTF_BIN_ARGS`), `-ENOSPC`
 * past it; an unreadable string prints as empty.
 *
 * One difference by necessity: the kernel prints plain `%p` and `%pK` as a
 * hashed pointer (a per-boot secret); here they print the address, as `%px`.
 */

import { EINVAL, ENOSPC } from '../maps/errno.js';

/** `MAX_BPRINTF_VARARGS`: most arguments of `bpf_snprintf`/`bpf_trace_vprintk`. */
export const MAX_BPRINTF_VARARGS = 12;
/** `MAX_BPRINTF_BIN_ARGS`: bytes for copied arguments. */
export const MAX_BPRINTF_BIN_ARGS = 512;
/** `MAX_BPRINTF_BUF`: the output buffer of `bpf_trace_printk`. */
export const MAX_BPRINTF_BUF = 1024;

/** How a format reads memory: NUL-terminated strings and fixed-size blocks, `undefined` on fault. */
export interface FormatMemory {
  /** The bytes of a NUL-terminated string at `ptr`, at most `max - 1` of them (no NUL). */
  string(ptr: bigint, max: number): Uint8Array | undefined;
  /** `size` bytes at `ptr`. */
  read(ptr: bigint, size: number): Uint8Array | undefined;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isPrint = (c: number): boolean => c >= 0x20 && c <= 0x7e;
/** C `ispunct`: printable, not space, not alphanumeric. */
const isPunct = (c: number): boolean => isPrint(c) && c !== 0x20 && !isDigit(c) && !((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

function hex(v: bigint, width: number, upper = false): string {
  const s = v.toString(16).padStart(width, '0');
  return upper ? s.toUpperCase() : s;
}

/** Apply `[0 +-]` flags and a width to a converted number or string. */
function pad(body: string, flags: string, width: number, numeric: boolean): string {
  let sign = '';
  if (numeric) {
    if (body.startsWith('-')) { sign = '-'; body = body.slice(1); }
    else if (flags.includes('+')) sign = '+';
    else if (flags.includes(' ')) sign = ' ';
  }
  const len = sign.length + body.length;
  if (len >= width) return sign + body;
  if (flags.includes('-')) return sign + body + ' '.repeat(width - len);
  if (numeric && flags.includes('0')) return sign + '0'.repeat(width - len) + body;
  return ' '.repeat(width - len) + sign + body;
}

function ip4(b: Uint8Array, zeroPad: boolean): string {
  return [...b].map((x) => (zeroPad ? String(x).padStart(3, '0') : String(x))).join('.');
}

function ip6(b: Uint8Array, colons: boolean): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(hex(BigInt((b[i]! << 8) | b[i + 1]!), 4));
  return colons ? groups.join(':') : groups.join('');
}

/**
 * Format `fmt` (bytes up to, not including, its NUL) with `args` as the kernel
 * does. Returns the text, or a negated errno when `bpf_bprintf_prepare` refuses.
 */
export function bprintf(fmt: Uint8Array, args: readonly bigint[], mem: FormatMemory): string | number {
  let out = '';
  let spec = 0;
  let binLeft = MAX_BPRINTF_BIN_ARGS;
  const at = (i: number): number => (i < fmt.length ? fmt[i]! : 0);
  const useBin = (n: number, align: boolean): boolean => {
    // PTR_ALIGN(tmp_buf, 4) before numbers, then the room check
    if (align) binLeft -= (MAX_BPRINTF_BIN_ARGS - binLeft) % 4 === 0 ? 0 : 4 - ((MAX_BPRINTF_BIN_ARGS - binLeft) % 4);
    if (binLeft < n) return false;
    binLeft -= n;
    return true;
  };
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c < 0x80 && !isPrint(c) && !isSpace(c)) return -EINVAL;
    if (c !== 0x25) { out += String.fromCharCode(c); continue; }
    if (at(i + 1) === 0x25) { out += '%'; i++; continue; }
    if (spec >= args.length) return -EINVAL;
    i++;
    if (at(i) >= 0x80) return -EINVAL;
    let flags = '';
    while (at(i) === 0x30 || at(i) === 0x2b || at(i) === 0x2d || at(i) === 0x20) flags += String.fromCharCode(fmt[i++]!);
    let width = 0;
    if (at(i) >= 0x31 && at(i) <= 0x39) {
      while (isDigit(at(i))) width = width * 10 + (fmt[i++]! - 0x30);
    }
    const arg = args[spec]!;
    const ch = at(i);
    if (ch === 0x70 /* p */) {
      const n1 = at(i + 1);
      const n2 = at(i + 2);
      if ((n1 === 0x6b || n1 === 0x75) && n2 === 0x73) {
        // %pks / %pus: a string
        i += 2;
        const r = str(arg);
        if (typeof r === 'number') return r;
        out += pad(r, flags, width, false);
        spec++;
        continue;
      }
      if (n1 === 0 || isSpace(n1) || isPunct(n1) || n1 === 0x4b || n1 === 0x78 || n1 === 0x73 || n1 === 0x53) {
        if (!useBin(8, true)) return -ENOSPC;
        const v = BigInt.asUintN(64, arg);
        if (n1 === 0x73 || n1 === 0x53) { out += pad(`0x${v.toString(16)}`, flags, width, false); i++; }
        else {
          out += pad(hex(v, 16), flags, width, false);
          if (n1 === 0x4b || n1 === 0x78) i++;
        }
        spec++;
        continue;
      }
      if (n1 === 0x42 /* B */) {
        out += pad(`0x${BigInt.asUintN(64, arg).toString(16)}`, flags, width, false);
        i++;
        spec++;
        continue;
      }
      if ((n1 !== 0x69 && n1 !== 0x49) || (n2 !== 0x34 && n2 !== 0x36)) return -EINVAL;
      i += 2;
      const size = n2 === 0x34 ? 4 : 16;
      if (binLeft < size) return -ENOSPC;
      const b = mem.read(arg, size) ?? new Uint8Array(size);
      const text = size === 4 ? ip4(b, n1 === 0x69) : ip6(b, n1 === 0x49);
      binLeft -= Math.min(binLeft, text.length + 1);
      out += pad(text, flags, width, false);
      spec++;
      continue;
    }
    if (ch === 0x73 /* s */) {
      const r = str(arg);
      if (typeof r === 'number') return r;
      out += pad(r, flags, width, false);
      spec++;
      continue;
    }
    if (ch === 0x63 /* c */) {
      if (binLeft === 0) return -ENOSPC;
      binLeft--;
      out += pad(String.fromCharCode(Number(arg & 0xffn)), flags, width, false);
      spec++;
      continue;
    }
    let size = 4;
    if (at(i) === 0x6c) { size = 8; i++; }
    if (at(i) === 0x6c) { size = 8; i++; }
    const conv = at(i);
    if (conv !== 0x69 && conv !== 0x64 && conv !== 0x75 && conv !== 0x78 && conv !== 0x58) return -EINVAL;
    if (!useBin(size, true)) return -ENOSPC;
    const bits = size * 8;
    let body: string;
    if (conv === 0x64 || conv === 0x69) body = BigInt.asIntN(bits, arg).toString();
    else if (conv === 0x75) body = BigInt.asUintN(bits, arg).toString();
    else body = hex(BigInt.asUintN(bits, arg), 0, conv === 0x58);
    // the sign flags apply to signed conversions only
    out += pad(body, conv === 0x64 || conv === 0x69 ? flags : flags.replace(/[+ ]/g, ''), width, true);
    spec++;
  }
  return out;

  /** A `%s` argument: copied into the shared buffer, truncated to what is left. */
  function str(ptr: bigint): string | number {
    if (binLeft === 0) return -ENOSPC;
    const b = mem.string(ptr, binLeft);
    if (b === undefined) { binLeft -= 1; return ''; }
    binLeft -= b.length + 1;
    return String.fromCharCode(...b);
  }
}

/** The format bytes before the first NUL within `size` bytes, or `undefined` when there is none. */
export function formatBytes(bytes: Uint8Array): Uint8Array | undefined {
  const end = bytes.indexOf(0);
  return end < 0 ? undefined : bytes.subarray(0, end);
}
