/**
 * @file Runs the verifier over `../shared/ebpf-samples` and compares verdicts
 * with the kernel's (`kernel-verdicts.csv`): rows the kernel accepted, and
 * rows its verifier rejected (`error_kind = verifier_reject`).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject } from '../../../src/elf/index.js';
import type { BpfObject } from '../../../src/elf/index.js';
import { globalFunctions, verifierMaps } from '../../../src/host/verify.js';
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
  /** The kernel's peak states (`peak_states`) and this verifier's. */
  readonly kernelPeakStates: number;
  readonly peakStates: number;
  readonly ms: number;
  /** CPU time of this process while verifying (steadier than `ms` on a busy machine). */
  readonly cpuMs: number;
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

/** What to run and when to stop. */
export interface CorpusOptions {
  /** Keep rows of these files (paths relative to the samples directory) and sections. */
  readonly filter?: (file: string, section: string) => boolean;
  readonly maxInsns?: number;
  /** Called after each row. */
  readonly onRow?: (r: CorpusRow) => void;
  /** Asked before each program; true stops the run (a time budget). */
  readonly stop?: () => boolean;
}

/** Compare every comparable row; `dir` is the samples directory. */
export function runCorpus(dir: string, opts: CorpusOptions = {}): CorpusRow[] {
  const lines = readFileSync(join(dir, 'kernel-verdicts.csv'), 'utf8').trim().split('\n');
  const head = splitCsv(lines[0]!);
  const col = (name: string): number => head.indexOf(name);
  const objs = new Map<string, BpfObject | undefined>();
  const maps = new Map<string, VerifyMap[]>();
  const rows: CorpusRow[] = [];
  const add = (row: CorpusRow): void => { rows.push(row); opts.onRow?.(row); };
  for (const line of lines.slice(1)) {
    const c = splitCsv(line);
    const verdict = c[col('verdict')]!;
    const kind = c[col('error_kind')]!;
    if (!(verdict === 'accepted' || kind === 'verifier_reject')) continue;
    const file = c[col('file')]!;
    const section = c[col('section')]!;
    if (opts.filter !== undefined && !opts.filter(file, section)) continue;
    if (opts.stop?.() === true) break;
    const func = c[col('function')]!;
    const progType = c[col('prog_type')]!;
    // rows of `.text` functions loaded by themselves (the table's method for some objects)
    const key = section === '.text' ? `${file}#text` : file;
    if (!objs.has(key)) {
      try { objs.set(key, loadObject(readFileSync(join(dir, file)), { file, textEntries: section === '.text' })); } catch { objs.set(key, undefined); }
    }
    const obj = objs.get(key);
    const prog = obj?.programs.find((p) => p.section === section && (p.name === func || func === section))
      ?? obj?.programs.find((p) => p.section === section);
    const base = {
      file, section, func, progType, kernel: verdict === 'accepted' ? 'accepted' as const : 'rejected' as const,
      kernelMessage: c[col('message')] ?? '', kernelUsec: Number(c[col('kernel_verif_usec')] ?? 0),
      kernelInsns: Number(c[col('processed_insns')] ?? 0), kernelPeakStates: Number(c[col('peak_states')] ?? 0),
    };
    if (obj === undefined || prog === undefined) { add({ ...base, ours: 'missing', ourMessage: 'not loaded', processed: 0, peakStates: 0, ms: 0, cpuMs: 0 }); continue; }
    const insns = prog.insns;
    if (!maps.has(key)) maps.set(key, verifierMaps(obj));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const cpuMs = (): number => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1000; };
    let r: VerifyResult;
    try {
      // loaders that send BTF func_info make global functions verified on their own
      const globalFuncs = c[col('loader')]!.startsWith('libbpf') ? globalFunctions(obj, prog) : undefined;
      r = verifyProgram(insns, { progType, maps: maps.get(key)!, ...(globalFuncs !== undefined ? { globalFuncs } : {}), ...(opts.maxInsns !== undefined ? { maxInsns: opts.maxInsns } : {}) });
    } catch (e) {
      add({ ...base, ours: 'missing', ourMessage: `crash: ${(e as Error).message}`, processed: 0, peakStates: 0, ms: performance.now() - t0, cpuMs: cpuMs() });
      continue;
    }
    const row: CorpusRow = { ...base, ours: r.verdict, ourMessage: r.errors[0]?.kernelMessage ?? '', processed: r.processedInsns, peakStates: r.peakStates, ms: performance.now() - t0, cpuMs: cpuMs() };
    add(row);
  }
  return rows;
}
