/**
 * @file Runs every PREVAIL YAML case (`../shared/verifier-cases/prevail-yaml`)
 * through the verifier and reports accept/reject agreement. PREVAIL's rules
 * differ from the kernel's, which this verifier follows (see
 * docs/verifier.md), so the test asserts a floor on agreement, not equality.
 */

import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyProgram } from '../../src/verify/index.js';
import { parseYamlStream } from './harness/yaml.js';
import { assemblePrevail } from './harness/prevail-asm.js';
import { PREVAIL_CTX, PREVAIL_MAPS, parsePre } from './harness/prevail-pre.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = join(root, '../shared/verifier-cases/prevail-yaml');
/** Agreement reached so far: a regression below it fails. */
const FLOOR = 645;

/** Whether PREVAIL expects a rejection (a message other than an unreachability note). */
export function expectsReject(messages: readonly string[] | undefined): boolean {
  return (messages ?? []).some((m) => !/Code becomes unreachable|observation/.test(m));
}

if (!existsSync(dir)) {
  t.test('PREVAIL YAML cases', { skip: '../shared/verifier-cases is absent: PREVAIL cases not run' }, (t) => { t.end(); });
} else {
  t.test('PREVAIL YAML cases', async (t) => {
    let total = 0; let agree = 0; let skipped = 0;
    const byFile: string[] = [];
    const disagreements: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'test-schema.yaml').sort()) {
      const docs = parseYamlStream(readFileSync(join(dir, file), 'utf8'));
      let fa = 0; let ft = 0;
      for (const doc of docs) {
        if (typeof doc['test-case'] !== 'string' || doc['expected-exception'] !== undefined) continue;
        const code = doc.code;
        if (typeof code !== 'object' || Array.isArray(code)) continue;
        const asm = assemblePrevail(code);
        const pre = parsePre(Array.isArray(doc.pre) ? doc.pre : []);
        if (asm.unsupported !== undefined || pre.unsupported !== undefined) { skipped++; continue; }
        const want = expectsReject(Array.isArray(doc.messages) ? doc.messages : undefined) ? 'rejected' : 'accepted';
        const r = verifyProgram(asm.insns, {
          progType: 'sched_cls', context: PREVAIL_CTX, maps: PREVAIL_MAPS,
          entryRegs: pre.regs, entryStackNumbers: pre.stack, exitNeedsR0: false, maxInsns: 50_000,
        });
        total++; ft++;
        if (r.verdict === want) { agree++; fa++; } else {
          disagreements.push(`${file}: ${doc['test-case']}: prevail ${want}, here ${r.verdict}${r.errors[0] ? ` (${r.errors[0].kernelMessage})` : ''}`);
        }
      }
      byFile.push(`${file} ${fa}/${ft}`);
    }
    t.comment(`PREVAIL cases: ${agree}/${total} verdicts agree (${skipped} not expressible here)`);
    t.comment(byFile.join(', '));
    if (process.env.SHOW_DISAGREEMENTS) t.comment(disagreements.join('\n'));
    t.ok(total >= 600, `ran ${total} cases`);
    t.ok(agree >= FLOOR, `agreement ${agree} >= floor ${FLOOR}`);
  });
}


