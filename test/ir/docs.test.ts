/**
 * @file `docs/ir.md` documents every op of the op table with its current
 * one-line semantics, so the document and the code cannot drift apart.
 */

import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPCODE_NAMES, OPS } from '../../src/ir/ops.js';

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'ir.md'), 'utf8');

for (const op of OPCODE_NAMES) {
  t.test(op, async (t) => {
    const line = doc.split('\n').find((l) => l.startsWith(`| \`${op}\` |`));
    t.ok(line, `docs/ir.md has a row for ${op}`);
    t.ok(line?.includes(OPS[op].doc.replace(/\|/g, '\\|')), `the row for ${op} states its current semantics`);
  });
}
