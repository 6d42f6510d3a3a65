/**
 * @file Runs the verifier over `../shared/ebpf-samples` and compares verdicts
 * with the kernel's (`kernel-verdicts.csv`): rows the kernel accepted, and
 * rows its verifier rejected (`error_kind = verifier_reject`).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject } from '../../../src/elf/index.js';
import type { BpfObject } from '../../../src/elf/index.js';
import { verifyProgram } from '../../../src/verify/index.js';
import type { VerifyMap, VerifyResult } from '../../../src/verify/index.js';

/** One compared program. */
export interface CorpusRow {
  readonly file: string;
  readonly section: string;
  readonly func: string;
  readonly progType: string;
  readonly kernel: 'accepted' | 'rejected';
  readonly kernelMessage: string;
  readonly kernelUsec: number;
  readonly kernelInsns: number;
  readonly ours: 'accepted' | 'rejected' | 'missing';
  readonly ourMessage: string;
  readonly processed: number;
  readonly ms: number;
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) { if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c; continue; }
    if (c === '"') q = true; else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Maps of an object as the verifier sees them. */
export function verifyMaps(obj: BpfObject): VerifyMap[] {
  const out: VerifyMap[] = obj.maps.map((m) => ({
    type: m.typeName, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
    readonly: m.readonly, name: m.name, ...(m.readonly && m.initial !== undefined ? { initial: m.initial } : {}),
  }));
  obj.maps.forEach((m, k) => {
    // legacy definitions (samples/bpf's bpf_map_def) name the inner map by index in `inner_map_idx`
    if (m.innerMap === undefined && (m.typeName === 'array_of_maps' || m.typeName === 'hash_of_maps') && m.extra !== undefined && m.extra.length >= 4) {
      const legacy = obj.maps.filter((x) => x.kind === 'legacy' && x.section === m.section);
      const idx = new DataView(m.extra.buffer, m.extra.byteOffset, 4).getUint32(0, true);
      const inner = legacy[idx];
      if (inner !== undefined) out[k] = { ...out[k]!, inner: obj.maps.indexOf(inner) };
      return;
    }
    if (m.innerMap === undefined) return;
    const i = m.innerMap;
    out.push({ type: i.typeName, keySize: i.keySize, valueSize: i.valueSize, maxEntries: i.maxEntries, name: i.name });
    out[k] = { ...out[k]!, inner: out.length - 1 };
  });
  return out;
}

/** Compare every comparable row; `dir` is the samples directory. */
export function runCorpus(dir: string, opts: { filter?: (file: string) => boolean; maxInsns?: number; onRow?: (r: CorpusRow) => void } = {}): CorpusRow[] {
  const lines = readFileSync(join(dir, 'kernel-verdicts.csv'), 'utf8').trim().split('\n');
  const head = splitCsv(lines[0]!);
  const col = (name: string): number => head.indexOf(name);
  const objs = new Map<string, BpfObject | undefined>();
  const rows: CorpusRow[] = [];
  for (const line of lines.slice(1)) {
    const c = splitCsv(line);
    const verdict = c[col('verdict')]!;
    const kind = c[col('error_kind')]!;
    if (!(verdict === 'accepted' || kind === 'verifier_reject')) continue;
    const file = c[col('file')]!;
    if (opts.filter !== undefined && !opts.filter(file)) continue;
    const section = c[col('section')]!;
    const func = c[col('function')]!;
    const progType = c[col('prog_type')]!;
    if (!objs.has(file)) {
      try { objs.set(file, loadObject(readFileSync(join(dir, file)), { file })); } catch { objs.set(file, undefined); }
    }
    const obj = objs.get(file);
    const prog = obj?.programs.find((p) => p.section === section && (p.name === func || func === section))
      ?? obj?.programs.find((p) => p.section === section);
    const base = {
      file, section, func, progType, kernel: verdict === 'accepted' ? 'accepted' as const : 'rejected' as const,
      kernelMessage: c[col('message')] ?? '', kernelUsec: Number(c[col('kernel_verif_usec')] ?? 0),
      kernelInsns: Number(c[col('processed_insns')] ?? 0),
    };
    if (obj === undefined || prog === undefined) { rows.push({ ...base, ours: 'missing', ourMessage: 'not loaded', processed: 0, ms: 0 }); continue; }
    const insns = prog.insns;
    const t0 = performance.now();
    let r: VerifyResult;
    try {
      r = verifyProgram(insns, { progType, maps: verifyMaps(obj), ...(opts.maxInsns !== undefined ? { maxInsns: opts.maxInsns } : {}) });
    } catch (e) {
      rows.push({ ...base, ours: 'missing', ourMessage: `crash: ${(e as Error).message}`, processed: 0, ms: performance.now() - t0 });
      continue;
    }
    const row: CorpusRow = { ...base, ours: r.verdict, ourMessage: r.errors[0]?.kernelMessage ?? '', processed: r.processedInsns, ms: performance.now() - t0 };
    opts.onRow?.(row);
    rows.push(row);
  }
  return rows;
}
