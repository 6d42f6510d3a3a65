/** @file `ebpf2wasm run`: one `BPF_PROG_TEST_RUN`-style run of a program on a packet. */

import type { Command } from 'commander';
import { progTypeName } from '../../abi/program-types.js';
import { loadObject } from '../../elf/index.js';
import { backendByName } from '../../host/backend.js';
import { Instance } from '../../host/instance.js';
import { drainRingbufs, dumpMaps, loadMapsFile, toHex } from '../../host/map-io.js';
import { selectProgram } from '../../host/select.js';
import { testRun } from '../../host/test-run.js';
import { action, intOption, readInput } from '../io.js';

interface RunOptions {
  program?: string;
  section?: string;
  data?: string;
  maps?: string;
  backend: string;
  cpus: number;
  json?: boolean;
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run a program once on a packet, as the kernel\'s BPF_PROG_TEST_RUN does for its type')
    .argument('<object>', 'ELF object built with clang -target bpf')
    .option('--program <name>', 'the program (function name)')
    .option('--section <name>', 'the program in this ELF section')
    .option('--data <file>', 'packet bytes (a raw file)')
    .option('--maps <file>', 'preload maps from lines "MAP_NAME KEY_HEX VALUE_HEX"')
    .option('--backend <name>', 'interp or interp-fast', 'interp')
    .option('--cpus <n>', 'number of CPUs for per-CPU maps', intOption(1, 1024), 1)
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: RunOptions) => action(() => {
      const object = loadObject(readInput(file), { file });
      const prog = selectProgram(object, opts);
      const backend = backendByName(opts.backend);
      const instance = new Instance(object, { nCpus: opts.cpus });
      if (opts.maps !== undefined) loadMapsFile(instance, new TextDecoder().decode(readInput(opts.maps)), opts.maps);
      const data = opts.data !== undefined ? readInput(opts.data) : new Uint8Array(0);
      const r = testRun(instance, prog, backend, { data });
      const out = {
        program: prog.name,
        backend: backend.name,
        retval: r.retval,
        r0: `0x${r.r0.toString(16).padStart(16, '0')}`,
        data_out: toHex(r.dataOut),
        maps: dumpMaps(instance),
        ringbufs: drainRingbufs(instance),
      };
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      const lines = [
        `program  ${prog.name} (section "${prog.section}", ${progTypeName(prog.type)})`,
        `backend  ${backend.name}`,
        `retval   ${r.retval}${r.insnCount !== undefined ? `  (${r.insnCount} instructions)` : ''}`,
        `r0       ${out.r0}`,
        `data_out ${out.data_out.length > 0 ? out.data_out : '(empty)'}`,
      ];
      for (const [name, dump] of Object.entries(out.maps)) {
        lines.push(`map ${name} (${dump.type}): ${dump.entries.length} entr${dump.entries.length === 1 ? 'y' : 'ies'}`);
        for (const e of dump.entries.slice(0, 32)) {
          lines.push(`  ${e.key} => ${'value' in e ? e.value : e.values.join(' | ')}`);
        }
        if (dump.entries.length > 32) lines.push(`  ... ${dump.entries.length - 32} more`);
      }
      for (const [name, records] of Object.entries(out.ringbufs)) {
        lines.push(`ringbuf ${name}: ${records.length} record${records.length === 1 ? '' : 's'}`);
        for (const rec of records) lines.push(`  ${rec}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    }));
}
