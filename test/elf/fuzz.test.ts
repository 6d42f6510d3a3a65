/**
 * @file Mutation fuzzing of the loader, bounded in time: thousands of mutated
 * fixtures, and only DiagnosticError may come out. `scripts/fuzz-elf.ts` runs
 * the same loop for longer.
 */
import t from 'tap';
import { readdirSync } from 'node:fs';
import { loadObject } from '../../src/elf/index.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { fixtureBytes, FIXTURES } from './helpers.js';
import { mutate, rng, MUTATIONS } from './mutate.js';

const SECONDS = Number(process.env['ELF_FUZZ_SECONDS'] ?? 15);

t.test(`mutated fixtures give only DiagnosticErrors (${SECONDS} s)`, async (t) => {
  const seeds = readdirSync(FIXTURES).filter((f) => f.endsWith('.o')).sort().map((f) => [f, fixtureBytes(f)] as const);
  const rand = rng(0x5eed);
  const byKind = new Map<string, number>(MUTATIONS.map((k) => [k, 0]));
  const codes = new Map<string, number>();
  let runs = 0, loaded = 0, slowest = 0;
  const stop = Date.now() + SECONDS * 1000;
  while (Date.now() < stop) {
    const [name, base] = seeds[Math.floor(rand() * seeds.length)]!;
    let bytes = base;
    // Stack 1-3 mutations so damage combines.
    const rounds = 1 + Math.floor(rand() * 3);
    let kinds = '';
    for (let i = 0; i < rounds; i++) { const m = mutate(bytes, rand); bytes = m.bytes; kinds += `${m.kind} `; byKind.set(m.kind, byKind.get(m.kind)! + 1); }
    const t0 = performance.now();
    try {
      loadObject(bytes, { file: name });
      loaded++;
    } catch (e) {
      if (!(e instanceof DiagnosticError)) {
        t.fail(`run ${runs} on ${name} (${kinds.trim()}): ${e instanceof Error ? e.stack : String(e)}`);
        break;
      }
      if (/\n/.test(e.message)) t.fail(`multi-line message: ${e.message}`);
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
    }
    slowest = Math.max(slowest, performance.now() - t0);
    runs++;
  }
  t.comment(`${runs} mutated objects: ${loaded} loaded, ${runs - loaded} refused; slowest load ${slowest.toFixed(1)} ms`);
  t.comment(`mutations: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  t.comment(`codes: ${[...codes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  t.ok(runs >= 1000, `${runs} runs`);
  t.ok(slowest < 3000, 'no load hangs (slowest well under 3 s, GC pauses included)');
});
