/**
 * @file The real-object corpus (`../shared/ebpf-samples`): every object loads
 * or fails with a DiagnosticError (never another exception), the programs
 * found per object match the kernel's rows in `kernel-verdicts.csv`, and the
 * fuzzer-found malformed files are refused with typed diagnostics.
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadObject } from '../../src/elf/index.js';
import { DiagnosticError } from '../../src/diag/index.js';
import type { BpfObject } from '../../src/elf/types.js';
import { SHARED, haveShared } from './helpers.js';

const SAMPLES = join(SHARED, 'ebpf-samples');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function tryLoad(path: string): BpfObject | DiagnosticError {
  try {
    return loadObject(new Uint8Array(readFileSync(path)), { file: relative(SAMPLES, path) });
  } catch (e) {
    if (e instanceof DiagnosticError) return e;
    throw e; // anything else fails the test with its stack
  }
}

if (!haveShared) {
  t.test('ebpf-samples corpus', { skip: '../shared/ebpf-samples is absent' }, async () => {});
} else {
  const objects = walk(SAMPLES).filter((p) => p.endsWith('.o'));
  const results = new Map(objects.map((p) => [relative(SAMPLES, p), tryLoad(p)]));

  t.test('all corpus objects load without an exception other than DiagnosticError', async (t) => {
    t.equal(objects.length, 164, '164 objects');
    const failed = [...results].filter(([, r]) => r instanceof DiagnosticError);
    // Only the deliberately broken object fails: its symbol table has entry size 8.
    t.same(failed.map(([f, r]) => [f, (r as DiagnosticError).code]), [['invalid/badsymsize.o', 'ELF_BAD_SECTION']]);
    const loaded = [...results.values()].filter((r): r is BpfObject => !(r instanceof DiagnosticError));
    const programs = loaded.reduce((n, o) => n + o.programs.length, 0);
    t.comment(`${loaded.length} objects loaded, ${programs} programs, ${loaded.reduce((n, o) => n + o.maps.length, 0)} maps`);
    for (const o of loaded) {
      for (const p of o.programs) {
        if (p.insns.length !== p.origins.length) t.fail(`${o.file}:${p.name} origins`);
      }
    }
  });

  t.test('programs per object agree with the kernel verdict rows', async (t) => {
    const rows = readFileSync(join(SAMPLES, 'kernel-verdicts.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    // file → sections of its programs (one entry per program). Rows the kernel run made by loading
    // `.text` functions as entries (loader "libbpf-text") count only for objects with no other program.
    const kernel = new Map<string, { sections: string[]; text: string[] }>();
    for (const r of rows) {
      const [file, section, , , , , loader] = r;
      if (file === undefined || section === undefined || section === '') continue;
      const k = kernel.get(file) ?? { sections: [], text: [] };
      (loader === 'libbpf-text' ? k.text : k.sections).push(section);
      kernel.set(file, k);
    }
    let agree = 0;
    const disagree: string[] = [];
    for (const [file, k] of kernel) {
      const r = results.get(file);
      if (r === undefined || r instanceof DiagnosticError) continue;
      const expected = (k.sections.length > 0 ? k.sections : k.text).sort().join(',');
      const mine = r.programs.map((p) => p.section).sort().join(',');
      if (expected === mine) agree++; else disagree.push(`${file}: kernel [${expected.slice(0, 80)}] loader [${mine.slice(0, 80)}]`);
    }
    t.comment(`program sections agree with the kernel rows for ${agree} of ${kernel.size} objects`);
    for (const d of disagree) t.comment(`differs: ${d}`);
    t.ok(agree >= kernel.size - 2, `${agree}/${kernel.size} agree`);
  });

  t.test('linked program lengths equal the kernel\'s instruction counts', async (t) => {
    // insn_cnt in kernel-verdicts.csv is what the kernel received after libbpf (or the PREVAIL
    // loader) linked each program with its subprograms: the same linking this loader does.
    const rows = readFileSync(join(SAMPLES, 'kernel-verdicts.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    let same = 0, compared = 0;
    for (const r of rows) {
      const [file, section, , , , fn, loader, , insnCnt] = r;
      if (file === undefined || !section || !insnCnt) continue;
      const o = results.get(file);
      if (o === undefined || o instanceof DiagnosticError) continue;
      const inSection = o.programs.filter((p) => p.section === section);
      const p = loader === 'prevail-elf' && inSection.length === 1 ? inSection[0] : inSection.find((x) => x.name === fn);
      if (p === undefined) continue;
      compared++;
      const slots = p.insns.reduce((n, i) => n + (i.imm2 !== undefined ? 2 : 1), 0);
      if (slots === Number(insnCnt)) same++;
      else t.fail(`${file} ${section} ${p.name}: ${slots} slots, kernel loaded ${insnCnt}`);
    }
    t.comment(`${same} of ${compared} linked programs have the kernel's instruction count`);
    t.ok(compared >= 600, `${compared} programs compared`);
  });

  t.test('fuzzer-found malformed files', async (t) => {
    const dir = join(SAMPLES, 'invalid');
    const files = readdirSync(dir).filter((f) => !f.endsWith('.o')).sort();
    t.equal(files.length, 9);
    // Seven are structurally broken (names outside string tables, truncated header table, bad BTF kind,
    // BTF line info outside the code).
    const broken: Record<string, string> = {
      '58087ea4ff41695f3186d628a3250b26dc8d237a': 'ELF_BAD_STRING',
      '662b334a22904023c13f11008e072076a4f4d215': 'ELF_BAD_STRING',
      '806cc077e56f0ec32236c99055714f63649e7a38': 'ELF_TRUNCATED',
      'ab3408afd06d68dd7e73bf21bde38350d9751a78': 'BTF_BAD_KIND',
      'af99e766f6ba44fd7f2135c3e325c817224b99a3': 'ELF_BAD_STRING',
      'c049438cf649269921736e7306231385350dea58': 'ELF_BAD_STRING',
      // line_info records past the end of their section
      'dac31099c3bb5b6395908c82cc8540e77a6a1849': 'BTF_EXT_BAD',
    };
    for (const f of files) {
      const r = tryLoad(join(dir, f));
      if (f in broken) {
        t.ok(r instanceof DiagnosticError, `${f} is refused`);
        if (r instanceof DiagnosticError) {
          t.equal(r.code, broken[f], `${f}: ${r.message}`);
          t.match(r.message, /^error\[[A-Z_]+\]: invalid\/[0-9a-f]+: .*[a-z]/, 'one line with the file name');
          t.notMatch(r.message, /\n/);
        }
      } else {
        // The other two are well-formed as far as loading goes: one differs from a good object only
        // in DWARF section names, which the loader ignores; the other made a verifier time out.
        t.ok(!(r instanceof DiagnosticError) || r.code.startsWith('ELF_') || r.code.startsWith('BTF_'), `${f} loads or is refused cleanly`);
      }
    }
  });
}
