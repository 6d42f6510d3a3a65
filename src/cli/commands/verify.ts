/**
 * @file `ebpf2wasm verify`: every selected program through the verifier, with
 * each rejection printed under its instruction (and source line), the kernel's
 * own wording beside ours, and the log on request.
 */

import type { Command } from 'commander';
import { Option } from 'commander';
import { progTypeName } from '../../abi/program-types.js';
import { loadObject } from '../../elf/index.js';
import type { ProgramSpec } from '../../elf/types.js';
import { selectProgram } from '../../host/select.js';
import { verifierMaps, verifyObjectProgram } from '../../host/verify.js';
import { formatInsn } from '../../isa/disasm.js';
import { action, EXIT, readInput } from '../io.js';

interface VerifyOptions {
  section?: string;
  program?: string;
  logLevel: '0' | '1' | '2';
  json?: boolean;
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('verify')
    .description('check programs the way the Linux kernel\'s verifier does (privileged rules); exit 1 if any is rejected')
    .argument('<object>', 'ELF object built with clang -target bpf')
    .option('--section <name>', 'only the programs of this section')
    .option('--program <name>', 'only this program')
    .addOption(new Option('--log-level <n>', 'verifier log: 0 none, 1 instructions, 2 with register states').choices(['0', '1', '2']).default('0'))
    .option('--json', 'print the verdicts as JSON')
    .action((file: string, opts: VerifyOptions) => action(() => {
      const object = loadObject(readInput(file), { file });
      let programs: readonly ProgramSpec[] = object.programs;
      if (opts.program !== undefined) programs = [selectProgram(object, opts)];
      else if (opts.section !== undefined) {
        programs = object.programs.filter((p) => p.section === opts.section);
        if (programs.length === 0) selectProgram(object, opts);
      }
      const maps = verifierMaps(object);
      const logLevel = Number(opts.logLevel) as 0 | 1 | 2;
      const verdicts = programs.map((prog) => ({ prog, r: verifyObjectProgram(object, prog, { logLevel, maps }) }));
      if (opts.json === true) {
        const out = {
          programs: verdicts.map(({ prog, r }) => ({
            section: prog.section, function: prog.name, type: progTypeName(prog.type), verdict: r.verdict,
            processed_insns: r.processedInsns,
            errors: r.errors.map((e) => ({ pc: e.pc, line: e.line?.text ?? null, message: e.message })),
          })),
        };
        process.stdout.write(`${JSON.stringify(out)}\n`);
      } else {
        const lines: string[] = [];
        for (const { prog, r } of verdicts) {
          if (logLevel > 0 && r.log !== '') lines.push(`; log of ${prog.name}`, r.log.trimEnd());
          lines.push(`${file}: section "${prog.section}": program "${prog.name}" (${progTypeName(prog.type)}): ` +
            `${r.verdict}, ${r.processedInsns} instructions processed, ${r.peakStates} peak states`);
          for (const e of r.errors) {
            const insn = prog.insns.find((i) => i.pc === e.pc);
            if (e.line !== undefined) lines.push(`  ; ${e.line.text.trim()}  (${e.line.file}:${e.line.line})`);
            if (insn !== undefined) lines.push(`  ${String(e.pc).padStart(6)}: ${formatInsn(insn, 'llvm')}`);
            lines.push(`  error[${e.code}]: pc ${e.pc}: ${e.message}`);
            if (e.reg !== undefined) {
              const origin = e.originPc === undefined ? '' : e.originPc < 0 ? ', set at program entry' : `, set at pc ${e.originPc}`;
              lines.push(`  r${e.reg.regno} is ${e.reg.type} ${e.reg.value}${origin}`);
            }
            lines.push(`  kernel: ${e.kernelMessage}`);
          }
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (verdicts.some(({ r }) => r.verdict !== 'accepted')) process.exitCode = EXIT.USER;
    }));
}
