#!/usr/bin/env node
/** @file The `ebpf2wasm` command: one subcommand per file in `commands/`. */

import { Command, CommanderError } from 'commander';
import { register as disasm } from './commands/disasm.js';
import { register as run } from './commands/run.js';
import { register as demo } from './commands/demo.js';
import { register as compile } from './commands/compile.js';
import { register as verify } from './commands/verify.js';
import { register as bench } from './commands/bench.js';
import { EXIT } from './io.js';

const program = new Command();
program
  .name('ebpf2wasm')
  .description('verify, compile and run eBPF objects anywhere JavaScript runs')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const register of [disasm, run, demo, compile, verify, bench]) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end with code 0; every other parser error is a usage error.
    process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else {
    throw err;
  }
}
