/**
 * @file Golden tests of the passes: each `test/opt/<pass>/*.ir` holds an IR
 * module (or one function) and, after `; ---- expect ----`, the text it becomes
 * after the pass named by its folder. A `; passes: a, b` header runs several
 * passes in order instead; files under `pipeline/` take `; level: N`. The
 * pass context comes from `; verified: true`, `; maps: TYPE KEY VALUE MAX,
 * ...` (kernel map type numbers and sizes, by map index) and `; unroll: N`. The structural
 * checker runs on the input and after every pass.
 */

import t from 'tap';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkModule } from '../../src/ir/check.js';
import type { Module } from '../../src/ir/func.js';
import { parseFunc, parseModule } from '../../src/ir/parse.js';
import { printFunc, printModule } from '../../src/ir/print.js';
import type { PassContext } from '../../src/opt/context.js';
import { PASSES, runPipeline } from '../../src/opt/pipeline.js';
import { compareGolden, filesUnder, readGolden } from '../ir/harness.js';

const here = dirname(fileURLToPath(import.meta.url));

function contextOf(headers: ReadonlyMap<string, string>): PassContext {
  const maps = headers.get('maps')?.split(',').map((m) => {
    const [type, keySize, valueSize, maxEntries] = m.trim().split(/\s+/).map(Number) as [number, number, number, number];
    return { type, keySize, valueSize, maxEntries };
  });
  const unroll = headers.get('unroll');
  return { ...(maps !== undefined ? { maps } : {}), ...(unroll !== undefined ? { unroll: Number(unroll) } : {}), verified: headers.get('verified') === 'true' };
}

function parseEither(text: string): { mod: Module; whole: boolean } {
  if (/^\s*module\b/m.test(text.replace(/;.*$/gm, ''))) return { mod: parseModule(text), whole: true };
  const fn = parseFunc(text);
  return { mod: { funcs: [fn], entry: 0 as Module['entry'], helpers: [], maps: [] }, whole: false };
}

for (const path of filesUnder(here, '.ir')) {
  const folder = basename(dirname(path));
  t.test(join(folder, basename(path)), async (t) => {
    const g = readGolden(path, ';');
    const { mod, whole } = parseEither(g.input);
    t.same(checkModule(mod), [], 'input passes the checker');
    if (folder === 'pipeline') {
      runPipeline(mod, { level: Number(g.headers.get('level') ?? 2) as 0 | 1 | 2, checkIR: true, context: contextOf(g.headers) });
    } else {
      const names = (g.headers.get('passes') ?? folder).split(',').map((s) => s.trim());
      for (const name of names) {
        const pass = PASSES.find((p) => p.name === name);
        t.ok(pass, `pass ${name} exists`);
        if (pass === undefined) return;
        for (const fn of mod.funcs) pass.run(fn, contextOf(g.headers));
        t.same(checkModule(mod), [], `output of ${name} passes the checker`);
      }
    }
    const text = whole ? printModule(mod) : printFunc(mod.funcs[0]!);
    const outcome = compareGolden(g, text, ';');
    t.ok(outcome.ok, outcome.message);
  });
}
