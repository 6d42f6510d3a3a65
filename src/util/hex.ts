/**
 * @file Hex text of byte strings, in the conformance suite's format: each byte
 * as two hex digits, separated by any whitespace (`b7  00  00 …`).
 */

/** Parse whitespace-separated hex bytes; undefined if any token is not one byte of hex. */
export function parseHexBytes(text: string): Uint8Array | undefined {
  const tokens = text.split(/\s+/).filter((s) => s.length > 0);
  const out = new Uint8Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!/^[0-9a-fA-F]{1,2}$/.test(t)) return undefined;
    out[i] = parseInt(t, 16);
  }
  return out;
}

/** Format bytes as the conformance runner writes them: two lower-case digits and two spaces each. */
export function formatHexBytes(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += `${b.toString(16).padStart(2, '0')}  `;
  return s;
}
