/**
 * @file `ebpf2wasm compile`: an object's programs to one WebAssembly module
 * with the compiled-module ABI (`docs/abi.md`), or its text with `--wat`.
 */

import type { Command } from 'commander';
import { Option } from 'commander';
import { loadObject } from '../../elf/index.js';
import { toWat } from '../../emit-wasm/wat.js';
import { compileObject, type CompileSettings } from '../../host/compile.js';
import { selectProgram } from '../../host/select.js';
import { verifiedFacts } from '../../host/verify.js';
import { fail } from '../../diag/index.js';
import { passesFor } from '../../opt/pipeline.js';
import { action, readInput, writeOutput } from '../io.js';

interface CompileOptions {
  output?: string;
  section?: string;
  program?: string;
  wat?: boolean;
  verify: boolean;
  optLevel: '0' | '1' | '2';
  dumpIr?: string | true;
}

/** `--dump-ir` alone dumps the final IR; `--dump-ir=after-PASS` (or `lift`, `all`) picks when. */
function dumpAfter(value: string | true, level: 0 | 1 | 2): string[] {
  if (value === true) return [passesFor(level).at(-1)?.name ?? 'lift'];
  return value.split(',').map((v) => v.replace(/^after-/, ''));
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('compile')
    .description('compile the programs of a BPF object to a WebAssembly module (docs/abi.md)')
    .argument('<object>', 'ELF object built with clang -target bpf')
    .option('-o, --output <file>', 'output file (default: the object\'s name with .wasm, or .wat with --wat)')
    .option('--section <name>', 'only the programs of this section')
    .option('--program <name>', 'only this program')
    .option('--wat', 'write the text form instead of the binary')
    .option('--no-verify', 'compile without the verifier\'s proofs: every memory access is checked at run time')
    .addOption(new Option('-O, --opt-level <n>', 'optimisation level').choices(['0', '1', '2']).default('2'))
    .option('--dump-ir [when]', 'print the IR to stderr: after the last pass, or after-PASS, lift, all')
    .action((file: string, opts: CompileOptions) => action(async () => {
      const object = loadObject(readInput(file), { file });
      const programs = opts.program !== undefined || opts.section !== undefined
        ? (opts.program !== undefined ? [selectProgram(object, opts)] : object.programs.filter((p) => p.section === opts.section))
        : object.programs;
      if (programs.length === 0) selectProgram(object, opts); // reports what there is
      const level = Number(opts.optLevel) as 0 | 1 | 2;
      let facts;
      if (opts.verify) {
        const v = verifiedFacts(object, programs);
        for (const prog of programs) {
          const r = v.results.get(prog.name)!;
          const e = r.errors[0];
          if (r.verdict !== 'accepted') {
            fail('CLI_VERIFY_REJECTED', { program: prog.name, pc: e?.pc ?? 0, message: e?.message ?? 'rejected' },
              { file, section: prog.section });
          }
        }
        facts = v.facts;
      }
      const settings: CompileSettings = {
        level,
        ...(facts !== undefined ? { facts } : {}),
        ...(opts.dumpIr !== undefined ? {
          dumpAfter: dumpAfter(opts.dumpIr, level),
          dump: (title: string, text: string) => { process.stderr.write(`; ${title}\n${text}\n`); },
        } : {}),
      };
      const started = performance.now();
      const compiled = compileObject(object, programs, settings);
      const ms = performance.now() - started;
      const output = opts.output ?? file.replace(/\.o$/, '') + (opts.wat === true ? '.wat' : '.wasm');
      writeOutput(output, opts.wat === true ? await toWat(compiled.bytes) : compiled.bytes);
      process.stderr.write(
        `compiled ${programs.length} program${programs.length === 1 ? '' : 's'} (${compiled.insnCount} instructions) ` +
        `to ${output}: ${compiled.bytes.length} bytes, ${compiled.stats.checkedAccesses} checked accesses, ` +
        `${ms.toFixed(1)} ms\n`);
    }));
}
