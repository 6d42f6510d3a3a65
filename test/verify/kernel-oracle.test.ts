/**
 * @file The live Linux kernel as an oracle for the verifier's verdicts: the
 * project's own cases (`cases/*.yaml`) and real objects
 * (`../shared/ebpf-samples`) are loaded with `BPF_PROG_LOAD` and the kernel's
 * accepted/rejected verdict is compared with ours. Needs a working `bpf()`
 * (root); without it every subtest is skipped with the reason.
 *
 * - Cases: the maps of `cases.test.ts` are created in the kernel (the
 *   read-only array frozen with `BPF_F_RDONLY_PROG`, as libbpf's `.rodata`),
 *   `lddw` map references patched to fds, and each case loaded with its
 *   program type; cases with subprograms (callbacks) get func_info BTF
 *   built from their call targets. Cases the kernel cannot express (a `pre`
 *   entry state, an option root cannot reproduce) are counted and listed,
 *   not compared.
 *   Every compared case must agree.
 * - Objects: a fixed slice of directories (`KERNEL_ORACLE_ALL=1`: every
 *   object) is opened with `KernelObject.open` (map sizes as libbpf sets
 *   them) and each program loaded with the program type of
 *   `kernel-verdicts.csv`, else its section's. Programs the kernel refuses
 *   for loader reasons (no BTF sent, map creation) are counted and listed,
 *   not compared. Programs with subprograms are sent with the minimal
 *   func_info BTF of `runtimes/node/kernel-btf.ts` (every function static),
 *   so ours verifies every subprogram as static too. Every disagreement must
 *   be in `KNOWN`, with its reason.
 */

import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k from '../../runtimes/node/bpf-syscall.js';
import { isKernelError, KernelObject } from '../../runtimes/node/kernel-loader.js';
import { progTypeByName, progTypeName } from '../../src/abi/program-types.js';
import { loadObject, type BpfObject, type ProgramSpec } from '../../src/elf/index.js';
import { verifierMaps, verifyObjectProgram } from '../../src/host/verify.js';
import { verifyProgram, type VerifyMap, type VerifyResult } from '../../src/verify/index.js';
import { assemblePrevail } from './harness/prevail-asm.js';
import { createVerifyMaps, kernelVerdict, patchMapRefs, withLibbpfMapDefaults, type KernelVerdict } from './harness/kernel-oracle.js';
import { parseYamlStream } from './harness/yaml.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const samples = join(root, '../shared/ebpf-samples');

/**
 * Directories of the default slice: about 4 s of kernel and verifier time on
 * 2 cores (every object: about 23 s, most of it cilium-core/ and cilium/).
 */
const SLICE = ['bpf_cilium_test/', 'build/', 'linux/', 'new_linux/', 'suricata/', 'ovs/', 'prototype-kernel/', 'cilium-examples/'];

/** Options of a case the kernel cannot reproduce, with the reason. */
const UNREPRODUCIBLE: Record<string, string> = {
  unprivileged: 'unprivileged rules: the test runs as root, so the kernel applies the privileged ones',
};

/**
 * Known disagreements on real objects, by `file section/program`, each with
 * the reason. An unlisted disagreement fails the test.
 */
const KNOWN: ReadonlyMap<string, string> = new Map<string, string>([
  ['linux/test_probe_write_user_kern.o kprobe/sys_connect/bpf_prog1', 'this kernel is locked down (CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY), which removes bpf_probe_write_user'],
  ['linux/tracex7_kern.o kprobe/open_ctree/bpf_prog1', 'this kernel lacks CONFIG_BPF_KPROBE_OVERRIDE (no CONFIG_FUNCTION_ERROR_INJECTION), which removes bpf_override_return'],
  ['new_linux/tracex7_kern.o kprobe/open_ctree/bpf_prog1', 'this kernel lacks CONFIG_BPF_KPROBE_OVERRIDE (no CONFIG_FUNCTION_ERROR_INJECTION), which removes bpf_override_return'],
]);

/** The maps every case sees (as in `cases.test.ts`). */
function caseMaps(): VerifyMap[] {
  const rodata = new Uint8Array(16);
  rodata[4] = 42;
  return [
    { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 },
    { type: 'array', keySize: 4, valueSize: 16, maxEntries: 1, readonly: true, initial: rodata, name: '.rodata' },
    { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 },
    { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 },
  ];
}

/** Our first error message, or '' when accepted. */
function ourMessage(r: VerifyResult): string {
  const e = r.errors[0];
  return e === undefined ? '' : `${e.pc}: ${e.kernelMessage ?? e.message}`;
}

/**
 * Kernel rejections that come from the loader, not the program: no verifier
 * log at all (e.g. `EPERM` for a tracing program with no attach BTF id), a
 * demand for BTF the loader does not send (attach BTF ids, the object's own
 * types), or the func_info BTF refused.
 */
const LOADER_MESSAGES = [/^missing btf func_info$/, /^BPF_BTF_LOAD of the func_info BTF failed/, /btf_id|attach_btf|requires? (a )?BTF|BTF is required/i];

/** Why a kernel rejection is a loader condition, or undefined when it is the verifier's verdict. */
function loaderCause(v: KernelVerdict): string | undefined {
  if (v.verdict === 'accepted') return undefined;
  if (v.log === '' || LOADER_MESSAGES.some((re) => re.test(v.message))) return `kernel: ${v.message} (errno ${-v.errno})`;
  return undefined;
}

/** Program types of `kernel-verdicts.csv` rows, by `file\0section\0function`. */
function readCsvTypes(path: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(path)) return out;
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const head = lines[0]!.split(',');
  const [f, s, fn, pt] = ['file', 'section', 'function', 'prog_type'].map((n) => head.indexOf(n));
  for (const line of lines.slice(1)) {
    // the columns used precede `message`, the only one with commas or quotes
    const c = line.split(',');
    const type = progTypeByName(c[pt!] ?? '');
    if (type !== undefined) out.set(`${c[f!]}\0${c[s!]}\0${c[fn!]}`, type);
  }
  return out;
}

/** Every object under `dir`, recursively: `.o` files and the suffix-less fuzzer inputs of `invalid/`. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.o') || dir.endsWith('invalid')) out.push(p);
  }
  return out;
}

const bpf = k.available();

if (!bpf.ok) {
  const skip = `bpf() is unavailable (${bpf.reason}): kernel verdicts not compared`;
  t.test('verifier cases agree with the kernel', { skip }, (t) => { t.end(); });
  t.test('real objects agree with the kernel', { skip }, (t) => { t.end(); });
} else {
  t.test('verifier cases agree with the kernel', (t) => {
    const maps = caseMaps();
    const kmaps = createVerifyMaps(maps);
    if (typeof kmaps === 'string') { t.fail(`creating the cases' maps: ${kmaps}`); t.end(); return; }
    t.teardown(() => kmaps.close());
    let compared = 0; let agree = 0;
    const notExpressed: string[] = [];
    for (const file of readdirSync(join(here, 'cases')).filter((f) => f.endsWith('.yaml')).sort()) {
      for (const doc of parseYamlStream(readFileSync(join(here, 'cases', file), 'utf8'))) {
        const name = doc['test-case'];
        if (typeof name !== 'string') continue;
        const label = `${file}: ${name}`;
        const options = Array.isArray(doc.options) ? doc.options.map(String) : [];
        const pre = Array.isArray(doc.pre) ? doc.pre : [];
        const progType = typeof doc['prog-type'] === 'string' ? doc['prog-type'] : 'xdp';
        const type = progTypeByName(progType);
        const asm = assemblePrevail(doc.code as Record<string, string>);
        const opt = options.find((o) => UNREPRODUCIBLE[o] !== undefined);
        const why = pre.length > 0 ? `entry state \`pre\` (${pre.join(', ')}) is not the kernel's entry`
          : opt !== undefined ? `option ${opt}: ${UNREPRODUCIBLE[opt]}`
            : options.length > 0 ? `options ${options.join(', ')} not known to this test`
              : type === undefined ? `program type ${progType} unknown`
                : asm.unsupported !== undefined ? `does not assemble: ${asm.unsupported}` : undefined;
        const insns = why === undefined ? patchMapRefs(asm.insns, kmaps.fds) : undefined;
        if (why !== undefined || typeof insns === 'string') { notExpressed.push(`${label}: ${why ?? insns}`); continue; }
        const ours = verifyProgram(asm.insns, { progType, maps, unprivileged: false });
        const kernel = kernelVerdict(insns!, { type: type!, name: 'case' });
        const cause = loaderCause(kernel);
        if (cause !== undefined) { notExpressed.push(`${label}: ${cause}; our verdict: ${ours.verdict}`); continue; }
        compared++;
        if (ours.verdict === kernel.verdict) agree++;
        t.equal(ours.verdict, kernel.verdict, `${label}: ours ${ours.verdict}${ours.verdict === 'rejected' ? ` (${ourMessage(ours)})` : ''}, kernel ${kernel.verdict}${kernel.verdict === 'rejected' ? ` (${kernel.message})` : ''}`);
      }
    }
    t.comment(`cases: ${agree}/${compared} verdicts agree with the kernel; ${notExpressed.length} not expressible in the kernel`);
    for (const n of notExpressed) t.comment(`not compared: ${n}`);
    t.ok(compared > 0, 'cases compared');
    t.end();
  });

  t.test('real objects agree with the kernel', existsSync(samples) ? {} : { skip: `${samples} is absent: real objects not compared` }, (t) => {
    const all = process.env.KERNEL_ORACLE_ALL === '1';
    const csvTypes = readCsvTypes(join(samples, 'kernel-verdicts.csv'));
    const files = walk(samples).map((f) => relative(samples, f)).filter((f) => all || SLICE.some((d) => f.startsWith(d))).sort();
    const nCpus = k.possibleCpus(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
    const t0 = performance.now();
    let compared = 0; let agree = 0; let known = 0;
    const loader: string[] = [];
    const unexpected: string[] = [];
    /** Compare every program of one object file. */
    const compareObject = (file: string): void => {
      let object: BpfObject;
      try { object = loadObject(readFileSync(join(samples, file)), { file }); } catch (e) { loader.push(`${file}: loadObject: ${(e as Error).message.split('\n')[0]}`); return; }
      if (object.programs.length === 0) return;
      const ko = KernelObject.open(withLibbpfMapDefaults(object, nCpus), nCpus);
      if (isKernelError(ko)) { loader.push(`${file}: ${object.programs.length} programs: ${ko.step} ${ko.detail} (errno ${-ko.errno})`); return; }
      try {
        const maps = verifierMaps(object);
        for (const spec of object.programs) {
          const label = `${file} ${spec.section}/${spec.name}`;
          const type = csvTypes.get(`${file}\0${spec.section}\0${spec.name}`) ?? csvTypes.get(`${file}\0${spec.section}\0${spec.section}`) ?? spec.type;
          if (type === 0) { loader.push(`${label}: no program type (section name and kernel-verdicts.csv say nothing)`); continue; }
          const prog: ProgramSpec = { ...spec, type };
          const kernel = kernelVerdict(ko.relocate(prog), {
            type, license: object.license || 'GPL', name: prog.name, funcInfo: prog.funcInfo,
            ...(type === spec.type && spec.expectedAttachType !== undefined ? { expectedAttachType: spec.expectedAttachType } : {}),
          });
          const cause = loaderCause(kernel);
          if (cause !== undefined) { loader.push(`${label}: ${cause}`); continue; }
          let ours: VerifyResult;
          try { ours = verifyObjectProgram(object, prog, { maps, withBtf: false }); } catch (e) {
            unexpected.push(`${label} (${progTypeName(type)}): our verifier threw: ${(e as Error).message}`);
            compared++;
            continue;
          }
          compared++;
          if (ours.verdict === kernel.verdict) { agree++; continue; }
          const line = `${label} (${progTypeName(type)}): ours ${ours.verdict}${ours.verdict === 'rejected' ? ` (${ourMessage(ours)})` : ''}, kernel ${kernel.verdict}${kernel.verdict === 'rejected' ? ` (${kernel.message})` : ''}`;
          const reason = KNOWN.get(label);
          if (reason !== undefined) { known++; t.comment(`known difference: ${line}; ${reason}`); } else unexpected.push(line);
        }
      } finally {
        ko.close();
      }
    };
    const dirMs = new Map<string, number>();
    for (const file of files) {
      const f0 = performance.now();
      const dir = file.split('/')[0]!;
      try { compareObject(file); } finally { dirMs.set(dir, (dirMs.get(dir) ?? 0) + performance.now() - f0); }
    }
    const ms = Math.round(performance.now() - t0);
    t.comment(`${all ? 'every object' : `slice ${SLICE.join(' ')}`}: ${files.length} files, ${agree}/${compared} verdicts agree with the kernel (${known} known differences), ${ms} ms`);
    t.comment(`time by directory: ${[...dirMs].map(([d, v]) => `${d} ${Math.round(v)} ms`).join(', ')}`);
    t.comment(`${loader.length} not compared for loader reasons`);
    for (const l of loader) t.comment(`loader: ${l}`);
    for (const u of unexpected) t.comment(`differs: ${u}`);
    t.ok(compared > 0, 'programs compared');
    t.same(unexpected, [], 'every disagreement is a known difference');
    t.end();
  });
}
