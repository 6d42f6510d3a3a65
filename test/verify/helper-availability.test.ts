/**
 * @file The kernel-probed helper table (`src/abi/helper-availability.ts`) and
 * `helperAllowed` against the running kernel.
 *
 * - Shape (no kernel needed): every program type of `program-types.ts` is
 *   either in the table or listed as unprobed, ranges are sorted and
 *   disjoint, every id is a helper of `HELPER_PROTOS`, the exceptions are the
 *   ones the generator documents, and `helperAllowed` answers from the table
 *   for every pair it covers.
 * - Live kernel (needs `bpf()`): the kernel is probed again as the generator
 *   does (every program type, every helper: about a second) and
 *   `helperAllowed` must agree on every pair except the documented
 *   configuration exceptions (36 and 58 where the kernel refuses them). On a
 *   kernel other than the one the table was generated from the differences
 *   are reported as comments, not failures: the table is a snapshot, and
 *   regenerating it is the fix.
 */

import t from 'tap';
import { release } from 'node:os';
import * as k from '../../runtimes/node/bpf-syscall.js';
import {
  HELPER_AVAILABILITY, PROBED_HELPERS, PROBED_RELEASE, SOURCE_EXCEPTIONS, UNPROBED_TYPES, type IdRanges,
} from '../../src/abi/helper-availability.js';
import { HELPER_PROTOS, expandIds, helperAllowed, helperName } from '../../src/abi/helpers.js';
import {
  SOURCE_EXCEPTIONS as GENERATOR_EXCEPTIONS, isSourceException, knownProgTypes, probeKernel,
} from '../../scripts/probe-helpers.js';

/** Problems with one `IdRanges` list: unsorted, overlapping or empty ranges. */
function rangeProblems(ranges: IdRanges): string[] {
  const out: string[] = [];
  let prev = -1;
  for (const r of ranges) {
    const [lo, hi] = typeof r === 'number' ? [r, r] : [r[0], r[1]];
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) out.push(`non-integer ${JSON.stringify(r)}`);
    if (typeof r !== 'number' && lo >= hi) out.push(`range ${JSON.stringify(r)} is not increasing`);
    if (lo <= prev) out.push(`${JSON.stringify(r)} is not after ${prev}`);
    prev = hi;
  }
  return out;
}

t.test('the generated table has the expected shape', (t) => {
  const known = knownProgTypes();
  const probed = Object.keys(HELPER_AVAILABILITY);
  const unprobed = Object.keys(UNPROBED_TYPES);
  t.same(probed.filter((p) => !known.includes(p)), [], 'every probed type is a program type of program-types.ts');
  t.same(unprobed.filter((p) => !known.includes(p)), [], 'every unprobed type is a program type of program-types.ts');
  t.same(probed.filter((p) => unprobed.includes(p)), [], 'no type is both probed and unprobed');
  t.same(known.filter((p) => !probed.includes(p) && !unprobed.includes(p)), [], 'every known type is probed or documented as unprobed');
  for (const [name, why] of Object.entries(UNPROBED_TYPES)) t.ok(why.length > 0, `${name} has a reason`);

  t.same(rangeProblems(PROBED_HELPERS), [], 'PROBED_HELPERS ranges are sorted and disjoint');
  const helpers = expandIds(PROBED_HELPERS);
  t.same([...helpers].filter((id) => !HELPER_PROTOS.has(id)), [], 'every probed id is a helper of HELPER_PROTOS');
  const notProbed = [...HELPER_PROTOS.keys()].filter((id) => !helpers.has(id));
  if (notProbed.length > 0) t.comment(`helpers not in the table (the prototype table decides): ${notProbed.map((id) => `${helperName(id)}#${id}`).join(', ')}`);

  for (const [name, ranges] of Object.entries(HELPER_AVAILABILITY)) {
    t.same(rangeProblems(ranges), [], `${name}: ranges sorted and disjoint`);
    t.same([...expandIds(ranges)].filter((id) => !helpers.has(id)), [], `${name}: every id is a probed helper`);
  }

  const generated = Object.fromEntries(GENERATOR_EXCEPTIONS.map((e) => [e.id, e.types]));
  t.same(SOURCE_EXCEPTIONS, generated, 'the table records the generator\'s exceptions');
  for (const e of GENERATOR_EXCEPTIONS) {
    for (const type of e.types) {
      if (Object.hasOwn(HELPER_AVAILABILITY, type)) t.ok(expandIds(HELPER_AVAILABILITY[type]!).has(e.id), `${helperName(e.id)} kept for ${type}`);
    }
  }

  // helperAllowed answers from the table wherever the table covers the pair.
  const wrong: string[] = [];
  for (const [name, ranges] of Object.entries(HELPER_AVAILABILITY)) {
    const ids = expandIds(ranges);
    for (const id of helpers) {
      const proto = HELPER_PROTOS.get(id)!;
      if (helperAllowed(proto, name) !== ids.has(id)) wrong.push(`${name} ${helperName(id)}#${id}`);
    }
  }
  t.same(wrong, [], 'helperAllowed follows the table for every covered pair');
  // and falls back to the prototype's column elsewhere.
  for (const name of unprobed) {
    for (const proto of HELPER_PROTOS.values()) {
      const column = proto.progTypes === undefined || proto.progTypes.includes(name);
      if (helperAllowed(proto, name) !== column) wrong.push(`${name} ${helperName(proto.id)}#${proto.id}`);
    }
  }
  t.same(wrong, [], 'helperAllowed falls back to progTypes for unprobed types');
  t.end();
});

const bpf = k.available();
t.test('helperAllowed agrees with the running kernel', bpf.ok ? {} : { skip: `bpf() is unavailable (${bpf.reason}): the kernel is not probed` }, (t) => {
  const t0 = performance.now();
  const r = probeKernel();
  const seconds = (performance.now() - t0) / 1000;
  const sameKernel = release() === PROBED_RELEASE;
  t.comment(`probed ${r.probed.length} program types × ${r.helpers.length} helpers (${r.loads} loads) in ${seconds.toFixed(1)} s on ${release()}; table from ${PROBED_RELEASE}`);

  const diffs: string[] = [];
  const excepted: string[] = [];
  let pairs = 0;
  for (const p of r.probed) {
    if (!Object.hasOwn(HELPER_AVAILABILITY, p.name)) diffs.push(`${p.name}: probed here but not in the table`);
    const kernel = new Set(p.allowed);
    for (const id of r.helpers) {
      pairs++;
      const ours = helperAllowed(HELPER_PROTOS.get(id)!, p.name);
      const theirs = kernel.has(id);
      if (ours === theirs) continue;
      if (ours && !theirs && isSourceException(id, p.name)) { excepted.push(`${p.name} ${helperName(id)}#${id}`); continue; }
      diffs.push(`${p.name} ${helperName(id)}#${id}: kernel ${theirs ? 'allows' : 'refuses'}, helperAllowed ${ours ? 'allows' : 'refuses'}`);
    }
  }
  for (const name of Object.keys(HELPER_AVAILABILITY)) {
    if (r.unprobed.has(name)) diffs.push(`${name}: in the table but not probeable here (${r.unprobed.get(name)})`);
  }
  if (excepted.length > 0) t.comment(`refused by this kernel, kept as documented exceptions: ${excepted.join(', ')}`);
  t.comment(`${pairs} pairs compared, ${pairs - diffs.length} agree`);
  if (sameKernel) {
    t.same(diffs, [], `helperAllowed agrees with Linux ${release()} on every pair`);
  } else {
    t.comment(`the table is from Linux ${PROBED_RELEASE}, this is ${release()}: ${diffs.length} differences reported, not failed (regenerate with node dist/scripts/probe-helpers.js)`);
    for (const d of diffs) t.comment(d);
    t.pass('differences reported');
  }
  t.end();
});
