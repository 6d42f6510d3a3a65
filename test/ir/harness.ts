/**
 * @file The golden-file runner for the IR stages (lift and opt): runs a
 * transformation over each file's input, compares the output with the
 * expectation stored in the same file, prints a unified diff on mismatch and,
 * with `BLESS=1`, rewrites the expectation instead.
 *
 * Expectations live at the end of the file, after a marker line, each line
 * prefixed by the file's comment leader (`# ` for eBPF assembly, `; ` for IR),
 * so the whole file stays valid input for its own parser.
 */

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A golden file split into input and expectation. */
export interface Golden {
  readonly path: string;
  /** Everything before the marker. */
  readonly input: string;
  /** The expected output (without comment leaders), or undefined when the file has none yet. */
  readonly expected?: string;
  /** `key value` header lines (`<leader> key: value`) found before the marker. */
  readonly headers: ReadonlyMap<string, string>;
}

/** Marker line that starts the expectation. */
export function marker(leader: string): string {
  return `${leader} ---- expect ----`;
}

/** Read a golden file. */
export function readGolden(path: string, leader: string): Golden {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const at = lines.indexOf(marker(leader));
  const inputLines = at < 0 ? lines : lines.slice(0, at);
  const headers = new Map<string, string>();
  for (const l of inputLines) {
    const m = new RegExp(`^${leader.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*([a-z-]+):\\s*(.*)$`).exec(l);
    if (m !== null) headers.set(m[1]!, m[2]!.trim());
  }
  const input = inputLines.join('\n');
  if (at < 0) return { path, input, headers };
  const expected = lines.slice(at + 1)
    .map((l) => (l.startsWith(`${leader} `) ? l.slice(leader.length + 1) : l.startsWith(leader) ? l.slice(leader.length) : l))
    .join('\n').replace(/\n+$/, '') + '\n';
  return { path, input, expected, headers };
}

/** Write the expectation back into a golden file. */
export function blessGolden(g: Golden, actual: string, leader: string): void {
  const body = actual.replace(/\n+$/, '').split('\n').map((l) => (l === '' ? leader : `${leader} ${l}`)).join('\n');
  writeFileSync(g.path, `${g.input.replace(/\n+$/, '')}\n\n${marker(leader)}\n${body}\n`);
}

/** A unified diff of two texts (longest common subsequence; fine for golden files). */
export function unifiedDiff(expected: string, actual: string, name = 'expected'): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: [' ' | '-' | '+', string][] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { ops.push([' ', a[i]!]); i++; j++; }
    else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) { ops.push(['+', b[j]!]); j++; }
    else { ops.push(['-', a[i]!]); i++; }
  }
  // Hunks with three lines of context.
  const out = [`--- ${name}`, '+++ actual'];
  const changed = ops.map((o) => o[0] !== ' ');
  let k = 0;
  while (k < ops.length) {
    if (!changed[k]) { k++; continue; }
    const start = Math.max(0, k - 3);
    let end = k;
    while (end < ops.length) {
      let next = end;
      while (next < ops.length && !changed[next]) next++;
      if (next >= ops.length || next - end > 6) { end = Math.min(ops.length, end + 3); break; }
      end = next + 1;
      while (end < ops.length && changed[end]) end++;
    }
    const oldStart = ops.slice(0, start).filter((o) => o[0] !== '+').length + 1;
    const newStart = ops.slice(0, start).filter((o) => o[0] !== '-').length + 1;
    const hunk = ops.slice(start, end);
    out.push(`@@ -${oldStart},${hunk.filter((o) => o[0] !== '+').length} +${newStart},${hunk.filter((o) => o[0] !== '-').length} @@`);
    for (const [op, line] of hunk) out.push(`${op}${line}`);
    k = end;
  }
  return out.join('\n');
}

/** Files under a directory (recursively) with one of the given extensions, sorted. */
export function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(ext)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** What a golden comparison found. */
export interface GoldenOutcome {
  readonly ok: boolean;
  /** The diff and the bless hint when not ok. */
  readonly message: string;
}

/** Compare (or bless, with `BLESS=1`) one golden file. */
export function compareGolden(g: Golden, actual: string, leader: string): GoldenOutcome {
  if (process.env['BLESS'] === '1') {
    if (g.expected !== actual) blessGolden(g, actual, leader);
    return { ok: true, message: 'blessed' };
  }
  if (g.expected === undefined) {
    return { ok: false, message: `${g.path}: no expectation yet; run with BLESS=1 to create it\n${actual}` };
  }
  if (g.expected === actual) return { ok: true, message: 'matches' };
  return { ok: false, message: `${g.path}: output differs; run with \`BLESS=1\` to update\n${unifiedDiff(g.expected, actual, g.path)}` };
}
