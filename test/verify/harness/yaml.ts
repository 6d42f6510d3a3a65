/**
 * @file A small YAML reader for the subset the verifier case files use: a
 * stream of `---`-separated documents, each a map whose values are strings,
 * flow lists (`[a, "b"]`, possibly over several lines), block lists
 * (`- item`), block literals (`|`), and one level of nested map (`code:`
 * with `<label>: |` blocks). Lists of maps (`observe:`) are kept as raw text.
 */

/** A parsed value. */
export type YamlValue = string | string[] | { [k: string]: string } | undefined;

/** One document: top-level key → value. */
export type YamlDoc = Record<string, YamlValue>;

function unquote(s: string): string {
  const t = s.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
}

/** Split a flow list's inside at top-level commas, honouring quotes and brackets. */
function splitFlow(inner: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | undefined;
  let depth = 0;
  for (const ch of inner) {
    if (q !== undefined) { cur += ch; if (ch === q) q = undefined; continue; }
    if (ch === '"' || ch === "'") { q = ch; cur += ch; continue; }
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim() !== '') out.push(cur);
  return out.map(unquote);
}

function stripComment(line: string): string {
  let q: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (q !== undefined) { if (ch === q) q = undefined; continue; }
    if (ch === '"' || ch === "'") q = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

const indentOf = (l: string): number => l.length - l.trimStart().length;

/** Parse a YAML stream into documents. */
export function parseYamlStream(text: string): YamlDoc[] {
  const docs: YamlDoc[] = [];
  for (const chunk of text.split(/^---\s*$/m)) {
    const lines = chunk.split('\n');
    const doc: YamlDoc = {};
    let i = 0;
    while (i < lines.length) {
      const raw = lines[i]!;
      const line = stripComment(raw);
      if (line.trim() === '' || indentOf(line) > 0) { i++; continue; }
      const m = /^([\w-]+):\s*(.*)$/.exec(line.trimEnd());
      if (m === null) { i++; continue; }
      const key = m[1]!;
      let rest = m[2]!.trim();
      i++;
      if (rest.startsWith('[')) {
        while (!balanced(rest) && i < lines.length) rest += ' ' + stripComment(lines[i++]!).trim();
        doc[key] = splitFlow(rest.trim().slice(1, -1));
        continue;
      }
      if (rest === '|' || rest === '|-') {
        const body: string[] = [];
        while (i < lines.length && (lines[i]!.trim() === '' || indentOf(lines[i]!) > 0)) body.push(lines[i++]!.trim());
        doc[key] = body.join('\n').trim();
        continue;
      }
      if (rest !== '') { doc[key] = unquote(rest); continue; }
      // a block: list items or a nested map
      const block: string[] = [];
      while (i < lines.length && (lines[i]!.trim() === '' || indentOf(lines[i]!) > 0 || lines[i]!.trimStart().startsWith('- '))) {
        if (indentOf(lines[i]!) === 0 && !lines[i]!.startsWith('- ') && lines[i]!.trim() !== '') break;
        block.push(lines[i++]!);
      }
      const nonEmpty = block.filter((l) => stripComment(l).trim() !== '');
      if (nonEmpty.length === 0) { doc[key] = []; continue; }
      if (nonEmpty[0]!.trimStart().startsWith('- ')) {
        const items: string[] = [];
        for (const l of nonEmpty) {
          const t = l.trimStart();
          if (t.startsWith('- ')) items.push(unquote(stripComment(t.slice(2))));
          else items[items.length - 1] += ' ' + t.trim();
        }
        doc[key] = items;
        continue;
      }
      const map: Record<string, string> = {};
      let k = 0;
      while (k < block.length) {
        const l = block[k]!;
        const mm = /^\s*(<[^>]+>|[\w-]+):\s*(.*)$/.exec(l);
        if (mm === null) { k++; continue; }
        const ind = indentOf(l);
        const v = mm[2]!.trim();
        k++;
        if (v === '|' || v === '|-') {
          const body: string[] = [];
          while (k < block.length && (block[k]!.trim() === '' || indentOf(block[k]!) > ind)) body.push(block[k++]!);
          map[mm[1]!] = body.map((x) => x.trim()).join('\n').trim();
        } else {
          map[mm[1]!] = unquote(v);
        }
      }
      doc[key] = map;
    }
    if (Object.keys(doc).length > 0) docs.push(doc);
  }
  return docs;
}

function balanced(s: string): boolean {
  let d = 0;
  let q: string | undefined;
  for (const ch of s) {
    if (q !== undefined) { if (ch === q) q = undefined; continue; }
    if (ch === '"' || ch === "'") q = ch;
    else if (ch === '[') d++;
    else if (ch === ']') d--;
  }
  return d === 0;
}
