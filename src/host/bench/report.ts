/**
 * @file Benchmark results as text: a terminal table, a Markdown table, and a
 * self-contained HTML page with one inline SVG bar chart per program and
 * input (bars per backend on a logarithmic scale, since backends differ by
 * orders of magnitude; values and ratios printed next to the bars) — no script, no style sheet or font from the network.
 */

import type { BenchResult } from './suite.js';

/** The machine a benchmark ran on (filled in by the runtime). */
export type Machine = Readonly<Record<string, string | number>>;

/** A duration in ns with a unit that keeps 3 significant digits. */
export function formatNs(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return '-';
  if (ns < 1e3) return `${ns.toPrecision(3)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

/** A ratio such as `1.25×`. */
export function formatRatio(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  return `${x >= 0.1 && x < 10 ? x.toFixed(2) : x.toPrecision(3)}×`;
}

/** One row's cells: backend, ns/run, spread, runs/s, compile, insns, retval, ratio. */
function cells(r: BenchResult): string[] {
  if (r.unavailable !== undefined) return [r.backend, `unavailable: ${r.unavailable}`, '', '', '', '', '', ''];
  if (r.error !== undefined) return [r.backend, `failed: ${r.error}`, '', '', '', '', '', ''];
  return [
    r.backend, formatNs(r.ns_per_run), `${formatNs(r.ns_min)} – ${formatNs(r.ns_max)}`,
    r.runs_per_sec === undefined ? '-' : Math.round(r.runs_per_sec).toLocaleString('en-US'),
    r.compile_ms === undefined ? '-' : `${r.compile_ms.toFixed(2)} ms`,
    r.insns_per_run === undefined ? '' : String(r.insns_per_run),
    r.retval === undefined ? '' : String(r.retval), formatRatio(r.ratio?.ns_per_run),
  ];
}

const HEAD = ['backend', 'ns/run (median)', 'min – max', 'runs/s', 'compile', 'insns/run', 'retval', 'vs baseline'];

/** Rows grouped by program and input, in first-seen order. */
export function groups(results: readonly BenchResult[]): { program: string; input: string; rows: BenchResult[] }[] {
  const out = new Map<string, { program: string; input: string; rows: BenchResult[] }>();
  for (const r of results) {
    const k = `${r.program}\u0000${r.input}`;
    if (!out.has(k)) out.set(k, { program: r.program, input: r.input, rows: [] });
    out.get(k)!.rows.push(r);
  }
  return [...out.values()];
}

/** A plain-text table per program and input, for a terminal. */
export function textReport(results: readonly BenchResult[]): string {
  const lines: string[] = [];
  for (const g of groups(results)) {
    const base = g.rows.find((r) => r.baseline !== undefined)?.baseline;
    lines.push(`${g.program} on ${g.input}${base !== undefined ? ` (baseline ${base})` : ''}`);
    const rows = [HEAD, ...g.rows.map(cells)];
    const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => (r[i]!.length > 60 ? 0 : r[i]!.length))));
    for (const r of rows) lines.push(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** A Markdown table per program and input. */
export function markdownReport(results: readonly BenchResult[]): string {
  const lines: string[] = [];
  for (const g of groups(results)) {
    const base = g.rows.find((r) => r.baseline !== undefined)?.baseline;
    lines.push(`### ${g.program} — ${g.input}${base !== undefined ? ` (ratios to ${base})` : ''}`, '');
    lines.push(`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const r of g.rows) lines.push(`| ${cells(r).map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Escape text for HTML. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'];

/** One horizontal bar chart: a bar per measured backend, ns per run. */
export function svgChart(title: string, rows: readonly BenchResult[], colorOf: (backend: string) => string): string {
  const bars = rows.filter((r) => r.ns_per_run !== undefined);
  const rowH = 26;
  const left = 110;
  const width = 640;
  const plotW = width - left - 150;
  const height = 30 + Math.max(1, bars.length) * rowH + 10;
  // Logarithmic scale from half the fastest minimum to the slowest maximum.
  const hi = Math.max(...bars.map((r) => r.ns_max ?? r.ns_per_run!), 1e-9);
  const lo = Math.min(...bars.map((r) => r.ns_min ?? r.ns_per_run!), hi) / 2;
  const span = Math.log(hi / lo) || 1;
  const x = (ns: number): number => (Math.log(Math.max(ns, lo) / lo) / span) * plotW;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
    `<text x="4" y="18" font-family="sans-serif" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text x="${width - 4}" y="18" text-anchor="end" font-family="sans-serif" font-size="11" fill="#777">ns per run, log scale; line: min – max</text>`];
  bars.forEach((r, i) => {
    const y = 30 + i * rowH;
    const w = Math.max(1, x(r.ns_per_run!));
    const label = `${formatNs(r.ns_per_run)}${r.ratio?.ns_per_run !== undefined ? `  (${formatRatio(r.ratio.ns_per_run)})` : ''}`;
    parts.push(`<text x="${left - 6}" y="${y + 16}" text-anchor="end" font-family="sans-serif" font-size="12">${esc(r.backend)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${colorOf(r.backend)}"><title>${esc(`${r.backend}: ${label}`)}</title></rect>`);
    if (r.ns_min !== undefined && r.ns_max !== undefined) {
      const x0 = left + x(r.ns_min);
      const x1 = left + x(r.ns_max);
      parts.push(`<line x1="${x0.toFixed(1)}" x2="${x1.toFixed(1)}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="#333" stroke-width="1.5"/>`);
    }
    parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + 16}" font-family="sans-serif" font-size="12">${esc(label)}</text>`);
  });
  if (bars.length === 0) parts.push(`<text x="${left}" y="46" font-family="sans-serif" font-size="12">no backend measured</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** A self-contained HTML page: the machine, warnings, one chart and one table per program and input. */
export function htmlReport(title: string, machine: Machine, results: readonly BenchResult[], warnings: readonly string[] = []): string {
  const backends = [...new Set(results.map((r) => r.backend))];
  const colorOf = (b: string): string => COLORS[backends.indexOf(b) % COLORS.length]!;
  const body: string[] = [`<h1>${esc(title)}</h1>`,
    `<p class="machine">${Object.entries(machine).map(([k, v]) => `<b>${esc(k)}</b>: ${esc(String(v))}`).join(' · ')}</p>`];
  for (const w of warnings) body.push(`<p class="warn">${esc(w)}</p>`);
  for (const g of groups(results)) {
    body.push('<section>', svgChart(`${g.program} — ${g.input}`, g.rows, colorOf));
    body.push('<table><thead><tr>', ...HEAD.map((h) => `<th>${esc(h)}</th>`), '</tr></thead><tbody>');
    for (const r of g.rows) body.push(`<tr>${cells(r).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
    body.push('</tbody></table></section>');
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:60em;color:#222}
table{border-collapse:collapse;margin:.5em 0 2em;font-size:13px}
td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}
.warn{color:#b00;font-weight:bold}
.machine{color:#555;font-size:13px}
</style></head><body>
${body.join('\n')}
</body></html>
`;
}
