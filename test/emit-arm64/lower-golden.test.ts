/**
 * @file Hand-written IR modules (`test/emit-arm64/*.ir`): each is compiled to
 * AArch64 and run on the emulator for every `; ARGS:` line, against the IR
 * evaluator (r0, or the fault's code and pc); the assembly text must match
 * every `; CHECK:` regular expression (the instruction selection the file is
 * about) and no `; CHECK-NOT:` one, and assemble with llvm-mc to the bytes.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { conformanceHelpers } from '../../src/abi/helper-env.js';
import { LinearMemory } from '../../src/abi/linear-memory.js';
import { DiagnosticError } from '../../src/diag/index.js';
import { compileArm64 } from '../../src/emit-arm64/compile.js';
import { MACHINE_STACK_SIZE, runArm64 } from '../../src/host/native-backend-arm64.js';
import { checkModule } from '../../src/ir/check.js';
import { evalModule } from '../../src/ir/eval.js';
import { parseModule } from '../../src/ir/parse.js';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../../src/isa/registers.js';
import { LLVM_MC, LLVM_OBJCOPY, assembleToBytes } from './llvm-mc.js';

const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here).filter((f) => f.endsWith('.ir')).sort();

const outcome = (f: () => bigint): string => {
  try {
    return `r0 ${f()}`;
  } catch (e) {
    if (e instanceof DiagnosticError) return `${e.code} pc ${e.diagnostic.location.pc ?? '?'}`;
    throw e;
  }
};

t.ok(files.length >= 5, `${files.length} IR files`);
for (const file of files) {
  t.test(file, async (t) => {
    const text = readFileSync(join(here, file), 'utf8');
    const module = parseModule(text);
    t.same(checkModule(module), [], 'the IR is well formed');
    const prog = compileArm64(module);
    const llsc = compileArm64(parseModule(text), { atomics: 'llsc' });
    const argSets = [...text.matchAll(/^; ARGS:(.*)$/gm)].map((m) => m[1]!.trim().split(/\s+/).map((s) => BigInt.asUintN(64, BigInt(s))));
    t.ok(argSets.length > 0, 'has ARGS lines');
    for (const args of argSets) {
      const on = (prog: ReturnType<typeof compileArm64>): string => outcome(() => {
        const memory = new LinearMemory();
        const stack = memory.map('stack', 'stack', STACK_SIZE * MAX_CALL_FRAMES, true);
        const mstack = memory.map('machine-stack', 'stack', MACHINE_STACK_SIZE, true);
        return runArm64(prog, {
          memory, args, helpers: conformanceHelpers(), stackTop: stack.start + stack.size,
          machineStackTop: mstack.start + mstack.size,
        }).r0;
      });
      const mine = on(prog);
      t.equal(on(llsc), mine, `args ${args.join(' ')}: LL/SC atomics give the same`);
      const want = outcome(() => evalModule(parseModule(text), { memory: new LinearMemory(), args, helpers: conformanceHelpers() }).r0);
      t.equal(mine, want, `args ${args.join(' ')}`);
    }
    if (/atomic_/.test(text)) {
      t.match(llsc.text, /ldaxr/, 'the LL/SC variant uses exclusive loads');
      t.notMatch(llsc.text, /ldaddal|ldclral|ldeoral|ldsetal|swpal|casal/, 'and no LSE instruction');
    }
    for (const m of text.matchAll(/^; CHECK(-NOT)?: (.*)$/gm)) {
      const re = new RegExp(m[2]!);
      if (m[1] === undefined) t.match(prog.text, re, `has ${m[2]}`);
      else t.notMatch(prog.text, re, `has no ${m[2]}`);
    }
    if (LLVM_MC !== undefined && LLVM_OBJCOPY !== undefined) {
      t.same(Buffer.from(assembleToBytes(prog.text)), Buffer.from(prog.code), 'llvm-mc assembles the text to the same bytes');
      t.same(Buffer.from(assembleToBytes(llsc.text)), Buffer.from(llsc.code), 'and the LL/SC variant');
    }
  });
}
