/**
 * @file Verdicts on real objects (`../shared/ebpf-samples`) against the Linux
 * 6.18 verifier's (`kernel-verdicts.csv`): every program the kernel accepted
 * or its verifier rejected, with the kernel's limit of 1,000,000 processed
 * instructions (about a minute of CPU); `CORPUS_QUICK=1` runs only the
 * smaller directories. Prints the agreement figure, the time against the
 * kernel's, and instructions processed per second, and asserts that every
 * verdict agrees (rows of `.text` functions are verified the way the table
 * loaded them: each function by itself as an entry program).
 */

import t from 'tap';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCorpus } from './harness/corpus.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = join(root, '../shared/ebpf-samples');
const QUICK = ['build/', 'linux/', 'new_linux/', 'suricata/', 'prototype-kernel/', 'cilium-examples/', 'invalid/'];

if (!existsSync(join(dir, 'kernel-verdicts.csv'))) {
  t.test('verdicts agree with the kernel', { skip: '../shared/ebpf-samples is absent: corpus verdicts not compared' }, (t) => { t.end(); });
} else {
  t.test('verdicts agree with the kernel', (t) => {
    const full = process.env.CORPUS_QUICK !== '1';
    const rows = runCorpus(dir, { filter: full ? undefined : (f) => QUICK.some((p) => f.startsWith(p)) });
    let agree = 0; let ms = 0; let cpuMs = 0; let processed = 0; let kernelUs = 0;
    const diffs: string[] = [];
    // rows for functions the loader does not offer as programs (the kernel's table loaded some `.text` functions as entries)
    const notLoaded = rows.filter((r) => r.ourMessage === 'not loaded').length;
    for (const r of rows.filter((x) => x.ourMessage !== 'not loaded')) {
      ms += r.ms; cpuMs += r.cpuMs; processed += r.processed; kernelUs += r.kernelUsec;
      if (r.ours === r.kernel) agree++;
      else diffs.push(`${r.file} ${r.section}: kernel ${r.kernel}${r.kernelMessage ? ` (${r.kernelMessage})` : ''}, here ${r.ours}${r.ourMessage ? ` (${r.ourMessage})` : ''}`);
    }
    const n = rows.length - notLoaded;
    t.comment(`${full ? 'full corpus' : 'quick subset'}: ${agree}/${n} verdicts agree with the kernel (${notLoaded} kernel rows have no matching program here)`);
    t.comment(`time ${Math.round(ms)} ms (${Math.round(cpuMs)} ms of CPU; kernel ${Math.round(kernelUs / 1000)} ms), ${processed} instructions processed, ${Math.round(processed / Math.max(ms / 1000, 1e-3))} per second`);
    for (const d of diffs) t.comment(`differs: ${d}`);
    t.ok(n > 0, 'programs compared');
    t.equal(notLoaded, 0, 'every row has its program here');
    t.same(diffs, [], `${agree}/${n} verdicts agree`);
    t.end();
  });
}
