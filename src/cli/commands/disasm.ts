/** @file `ebpf2wasm disasm`: an object's code in llvm-objdump's layout, with source lines. */

import type { Command } from 'commander';
import { loadObject } from '../../elf/index.js';
import { readElf, SHF } from '../../elf/sections.js';
import { fail } from '../../diag/index.js';
import { action, readInput } from '../io.js';
import { listing } from '../listing.js';

/** Register the command. */
export function register(program: Command): void {
  program
    .command('disasm')
    .description('disassemble the code sections of a BPF object, in llvm-objdump\'s layout')
    .argument('<object>', 'ELF object built with clang -target bpf')
    .option('--section <name>', 'only this section')
    .option('--no-source', 'do not interleave source lines from BTF')
    .option('-r, --relocs', 'show relocations under the instructions they apply to')
    .action((file: string, opts: { section?: string; source: boolean; relocs?: boolean }) => action(() => {
      const bytes = readInput(file);
      const object = loadObject(bytes, { file });
      if (opts.section !== undefined) {
        const exec = readElf(bytes, { file }).sections.filter((s) => (s.flags & SHF.EXECINSTR) !== 0 && s.size > 0);
        if (!exec.some((s) => s.name === opts.section)) {
          fail('CLI_NO_SECTION', { section: opts.section, available: exec.map((s) => s.name).join(', ') || 'none' }, { file });
        }
      }
      process.stdout.write(listing(bytes, object, { file, section: opts.section, source: opts.source, relocs: opts.relocs }));
    }));
}
