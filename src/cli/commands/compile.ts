/**
 * @file `ebpf2wasm compile`: an object's programs to one WebAssembly module
 * with the compiled-module ABI (`docs/abi.md`), or its text with `--wat`.
 */

import type { Command } from 'commander';
import { Option } from 'commander';
import { loadObject } from '../../elf/index.js';
import { toWat } from '../../emit-wasm/wat.js';
import { compileObject, programIR, type CompileSettings } from '../../host/compile.js';
import { Instance } from '../../host/instance.js';
import { compileProgramX86 } from '../../host/native-backend.js';
import { compileArm64 } from '../../emit-arm64/compile.js';
import type { BpfObject, ProgramSpec } from '../../elf/types.js';
import { selectProgram } from '../../host/select.js';
import { verifiedFacts } from '../../host/verify.js';
import { fail } from '../../diag/index.js';
import { passesFor } from '../../opt/pipeline.js';
import { action, readInput, writeOutput } from '../io.js';

interface CompileOptions {
  target: 'wasm' | 'x86-64' | 'arm64';
  asm?: boolean;
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

/**
 * x86-64 or AArch64 code for one program: raw bytes (`-o`) or GNU assembly
 * (`-S`) that llvm-mc assembles to those bytes. Map references are resolved
 * against a fresh instance of the object (the handles and addresses the
 * emulated run uses).
 */
function compileNative(file: string, object: BpfObject, programs: readonly ProgramSpec[], settings: CompileSettings, opts: CompileOptions): void {
  if (programs.length !== 1) selectProgram(object, {}); // native code is one program at a time: name it
  const prog = programs[0]!;
  const instance = new Instance(object);
  const started = performance.now();
  let code: Uint8Array;
  let text: string;
  if (opts.target === 'x86-64') {
    const x = compileProgramX86(prog, instance, settings);
    code = x.code;
    text = x.asm;
  } else {
    const { handles: mapHandles, values: mapValues } = instance.mapAddresses();
    const a = compileArm64(programIR(prog, settings), { mapHandles, mapValues });
    code = a.code;
    text = a.text;
  }
  const ms = performance.now() - started;
  const output = opts.output ?? file.replace(/\.o$/, '') + (opts.asm === true ? '.s' : '.bin');
  if (output === '-') process.stdout.write(opts.asm === true ? text : Buffer.from(code));
  else writeOutput(output, opts.asm === true ? text : code);
  process.stderr.write(`compiled ${prog.name} (${prog.insns.length} instructions) for ${opts.target}: ${code.length} bytes, ${ms.toFixed(1)} ms\n`);
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('compile')
    .description('compile the programs of a BPF object to a WebAssembly module (docs/abi.md)')
    .argument('<object>', 'ELF object built with clang -target bpf')
    .option('-o, --output <file>', 'output file, - for stdout (default: the object\'s name with .wasm, .wat, .bin or .s)')
    .option('--section <name>', 'only the programs of this section')
    .option('--program <name>', 'only this program')
    .addOption(new Option('--target <arch>', 'what to emit').choices(['wasm', 'x86-64', 'arm64']).default('wasm'))
    .option('-S, --asm', 'native targets: write assembly text (annotated with eBPF pcs) instead of raw code')
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
      if (opts.target !== 'wasm') {
        compileNative(file, object, programs, settings, opts);
        return;
      }
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
