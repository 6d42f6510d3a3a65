/**
 * @file Real clang-built objects (../shared/ebpf-samples): every program the
 * lifter accepts compiles to a module that wabt validates and V8 compiles,
 * with the ABI sections read back; reports compile throughput. Programs the
 * lifter rejects are counted, not failed (they are the lifter's business).
 * `CORPUS_ALL=1` compiles every object; by default a fixed sample.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticError } from '../../src/diag/index.js';
import { compilePrograms, type CompileProgram } from '../../src/emit-wasm/compile.js';
import { readAbiSections } from '../../src/emit-wasm/abi-sections.js';
import { validateWasm } from '../../src/emit-wasm/wat.js';
import { loadObject } from '../../src/elf/load.js';
import { lift } from '../../src/lift/lift.js';
import { runPipeline } from '../../src/opt/pipeline.js';
import { Wasm } from './wasm-api.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = resolve(root, '..', 'shared', 'ebpf-samples');

function objects(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'invalid') out.push(...objects(p)); } else if (name.endsWith('.o')) out.push(p);
  }
  return out;
}

if (!existsSync(corpus)) {
  t.pass('skipped: ../shared/ebpf-samples is absent', { skip: `no ${corpus}` });
} else {
  t.test('clang-built objects compile to valid modules', async (t) => {
    const all = objects(corpus);
    const files = process.env.CORPUS_ALL === '1' ? all : all.filter((_, i) => i % 6 === 0);
    let programs = 0;
    let compiled = 0;
    let liftRejected = 0;
    let insns = 0;
    let compileMs = 0;
    let pipelineMs = 0;
    let biggest = { name: '', insns: 0, ms: 0 };
    const failures: string[] = [];
    for (const file of files) {
      const name = relative(corpus, file);
      let obj;
      try { obj = loadObject(readFileSync(file), { file: name }); } catch (e) { if (e instanceof DiagnosticError) continue; throw e; }
      const list: CompileProgram[] = [];
      for (const p of obj.programs) {
        programs++;
        const a = performance.now();
        let lifted;
        try {
          lifted = lift(p.insns);
          if (lifted.module === undefined) { liftRejected++; continue; }
          runPipeline(lifted.module, { level: 2 });
        } catch (e) {
          liftRejected++;
          continue;
        }
        pipelineMs += performance.now() - a;
        list.push({ ir: lifted.module, name: p.name, section: p.section, type: p.type });
        insns += p.insns.length;
      }
      if (list.length === 0) continue;
      const a = performance.now();
      let bytes: Uint8Array;
      try {
        bytes = compilePrograms(list, { maps: obj.maps, license: obj.license }).bytes;
      } catch (e) {
        failures.push(`${name}: compile threw ${String(e).slice(0, 300)}`);
        continue;
      }
      const ms = performance.now() - a;
      compileMs += ms;
      const n = list.reduce((s, p) => s + p.ir.funcs.length, 0);
      if (n > 0 && ms > biggest.ms) biggest = { name, insns: obj.programs.reduce((s, p) => s + p.insns.length, 0), ms };
      const err = await validateWasm(bytes);
      if (err !== undefined && !/Maximum call stack/.test(err)) { failures.push(`${name}: invalid module: ${err.slice(0, 300)}`); continue; }
      try { new Wasm.Module(bytes); } catch (e) { failures.push(`${name}: V8 rejects the module: ${String(e).slice(0, 300)}`); continue; }
      const info = readAbiSections(bytes);
      if (info.programs.length !== list.length) failures.push(`${name}: ${info.programs.length} programs in the ABI section, ${list.length} compiled`);
      if (info.maps.length !== obj.maps.length) failures.push(`${name}: ${info.maps.length} maps in the ABI section, the object has ${obj.maps.length}`);
      for (const d of info.data) {
        const want = obj.maps[d.map]?.initial;
        if (want === undefined || Buffer.compare(Buffer.from(want), Buffer.from(d.bytes)) !== 0) failures.push(`${name}: data of map ${d.map} differs from the object's`);
      }
      if (info.license !== obj.license) failures.push(`${name}: license "${info.license}", object "${obj.license}"`);
      compiled += list.length;
    }
    t.comment(`${files.length} objects, ${programs} programs: ${compiled} compiled, ${liftRejected} rejected by lift/opt`);
    t.comment(`backend: ${insns} eBPF instructions in ${compileMs.toFixed(0)} ms (${(insns / compileMs * 1000).toFixed(0)} insns/s); lift+opt ${pipelineMs.toFixed(0)} ms; slowest object ${biggest.name} (${biggest.insns} insns, ${biggest.ms.toFixed(0)} ms)`);
    t.same(failures, [], 'every lifted program compiles to a valid module');
    t.ok(compiled > 0, 'some programs compiled');
  });
}
