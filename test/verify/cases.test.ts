/**
 * @file The project's own verifier cases (`test/verify/cases/*.yaml`, PREVAIL's
 * pre/code/post/messages form): each rule accepted or rejected with the exact
 * diagnostic, plus the checks the assembler cannot express (fall-through).
 */

import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyProgram, type VerifyMap } from '../../src/verify/index.js';
import { make } from '../../src/isa/insn.js';
import { OP } from '../../src/isa/opcodes.js';
import { parseYamlStream } from './harness/yaml.js';
import { assemblePrevail } from './harness/prevail-asm.js';
import { parsePre } from './harness/prevail-pre.js';

const here = dirname(fileURLToPath(import.meta.url));

const rodata = new Uint8Array(16);
rodata[4] = 42;
/** The maps every case sees. */
const MAPS: VerifyMap[] = [
  { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 },
  { type: 'array', keySize: 4, valueSize: 16, maxEntries: 1, readonly: true, initial: rodata, name: '.rodata' },
  { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 },
  { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 },
];

const TYPE: Record<string, string> = { number: 'scalar', ctx: 'ctx', stack: 'stack', packet: 'packet', shared: 'map_value' };

for (const file of readdirSync(join(here, 'cases')).filter((f) => f.endsWith('.yaml')).sort()) {
  t.test(file, (t) => {
    for (const doc of parseYamlStream(readFileSync(join(here, 'cases', file), 'utf8'))) {
      const name = doc['test-case'];
      if (typeof name !== 'string') continue;
      const code = doc.code as Record<string, string>;
      const asm = assemblePrevail(code);
      t.equal(asm.unsupported, undefined, `${name}: assembles`);
      const preList = Array.isArray(doc.pre) ? doc.pre : [];
      const pre = parsePre(preList);
      const progType = typeof doc['prog-type'] === 'string' ? doc['prog-type'] : 'xdp';
      const r = verifyProgram(asm.insns, {
        progType, maps: MAPS, unprivileged: Array.isArray(doc.options) && doc.options.includes('unprivileged'), ...(preList.length > 0 ? { entryRegs: pre.regs, entryStackNumbers: pre.stack } : {}),
      });
      const got = r.errors.map((e) => `${e.pc}: ${e.code}: ${e.message}`);
      const want = Array.isArray(doc.messages) ? doc.messages : [];
      t.same(got, want, `${name}: diagnostics`);
      for (const c of Array.isArray(doc.post) ? doc.post : []) {
        const m = /^r(\d+)\.(type|uvalue)=(.+)$/.exec(c);
        if (m === null) continue;
        const last = r.facts.insns.length - 1;
        const fact = r.facts.insns[last]?.regs[Number(m[1])];
        if (m[2] === 'type') { t.equal(fact?.kind, TYPE[m[3]!] ?? m[3], `${name}: ${c}`); continue; }
        const range = /^\[(\d+), (\d+)\]$/.exec(m[3]!);
        const [lo, hi] = range ? [BigInt(range[1]!), BigInt(range[2]!)] : [BigInt(m[3]!), BigInt(m[3]!)];
        t.same([fact?.min, fact?.max], [lo, hi], `${name}: ${c}`);
      }
    }
    t.end();
  });
}

t.test('falling off the end of the program', (t) => {
  const r = verifyProgram([make(OP.MOV64_K!, { dst: 0, imm: 0, pc: 0 })], { progType: 'xdp' });
  t.same(r.errors.map((e) => `${e.pc}: ${e.code}`), ['0: VERIFY_FALLTHROUGH']);
  t.equal(r.errors[0]?.kernelMessage, 'last insn is not an exit or jmp');
  t.end();
});

t.test('an error names the register, its value and where it came from', (t) => {
  const insns = [
    make(OP.LDXW!, { dst: 2, src: 1, off: 0, pc: 0 }),
    make(OP.LDXB!, { dst: 0, src: 2, off: 0, pc: 1 }),
    make(OP.EXIT!, { pc: 2 }),
  ];
  const r = verifyProgram(insns, { progType: 'xdp', lineInfo: (pc) => (pc === 1 ? { file: 'prog.c', line: 7, column: 2, text: 'return *data;' } : undefined), logLevel: 2 });
  const e = r.errors[0]!;
  t.same(e.reg, { regno: 2, type: 'pkt', value: 'pkt(r=0)' });
  t.equal(e.originPc, 0, 'the value came from the load at pc 0');
  t.equal(e.line?.text, 'return *data;');
  t.equal(e.kernelMessage, 'R2 offset is outside of the packet');
  t.match(r.log, /1: \(71\) r0 = \*\(u8 \*\)\(r2 \+ 0\)/, 'level-2 log lists instructions');
  t.match(r.log, /R2=pkt\(r=0\)/, 'level-2 log shows register states');
  t.end();
});

t.test('the complexity limit rejects instead of running forever', (t) => {
  // r0 += 2 until r0 == 9: never true, every iteration a new state
  const insns = [
    make(OP.MOV64_K!, { dst: 0, imm: 0, pc: 0 }),
    make(OP.ADD64_K!, { dst: 0, imm: 2, pc: 1 }),
    make(OP.JNE64_K!, { dst: 0, imm: 9, off: -2, pc: 2 }),
    make(OP.EXIT!, { pc: 3 }),
  ];
  const r = verifyProgram(insns, { progType: 'xdp', maxInsns: 5000 });
  t.equal(r.verdict, 'rejected');
  t.equal(r.errors[0]?.code, 'VERIFY_COMPLEXITY');
  t.equal(r.processedInsns, 5000);
  t.end();
});

t.test('facts record pointer kinds and offsets per instruction', (t) => {
  const insns = [
    make(OP.MOV64_X!, { dst: 2, src: 10, pc: 0 }),
    make(OP.ADD64_K!, { dst: 2, imm: -8, pc: 1 }),
    make(OP.STDW!, { dst: 2, off: 0, imm: 1, pc: 2 }),
    make(OP.MOV64_K!, { dst: 0, imm: 0, pc: 3 }),
    make(OP.EXIT!, { pc: 4 }),
  ];
  const r = verifyProgram(insns, { progType: 'xdp' });
  t.equal(r.verdict, 'accepted');
  t.same(r.facts.insns[2]?.regs[2], { kind: 'stack', min: -8n, max: -8n });
  t.same(r.facts.insns[2]?.access, { region: 'stack', inBounds: true });
  t.equal(r.facts.insns[0]?.regs[1]?.kind, 'ctx');
  t.end();
});
