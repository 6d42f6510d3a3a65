/**
 * @file The code-quality figures for one program of the suite (`checksum`):
 * our code sizes are the byte lengths and instruction counts the compilers
 * return (and our x86-64 decoder reads the same number of instructions back
 * from the bytes), the executed counts are the backends' own, and the kernel
 * JIT's image, when bpf() works here (a visible skip otherwise), is positive
 * and its instruction count covers exactly `jited_prog_len` bytes, agreeing
 * with our decoder where that decodes the whole image. Also the parsing of
 * `llvm-objdump` listings.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { loadObject } from '../../src/elf/index.js';
import { compileArm64 } from '../../src/emit-arm64/compile.js';
import { disassemble } from '../../src/emit-native-x86/listing.js';
import { interpBackend } from '../../src/host/backend.js';
import {
  backendContender, codeQuality, codeQualityTable, figure, kernelUnavailable, loadIntoKernel, verifiedSettings,
  type CodeSize, type KernelImage,
} from '../../src/host/bench/index.js';
import { programIR } from '../../src/host/compile.js';
import { Instance } from '../../src/host/instance.js';
import { compileProgramX86, x86Backend } from '../../src/host/native-backend.js';
import { arm64Backend } from '../../src/host/native-backend-arm64.js';
import { kernelBpf } from '../../src/cli/commands/bench.js';
import { llvmX86Disassembler, parseObjdump } from '../../bench/llvm-disasm.js';
import { tcpPacket } from '../../bench/packets.js';

const root = new URL('../../', import.meta.url).pathname;
const file = 'bench/progs/checksum.o';
const object = loadObject(new Uint8Array(readFileSync(`${root}${file}`)), { file });
const prog = object.programs[0]!;
const input = tcpPacket(1500);
const clock = process.hrtime.bigint;

t.test('llvm-objdump listings: offsets and bytes are followed to the first gap or undecodable byte', async (t) => {
  const listing = [
    '0000000000000000 <_binary_image_bin_start>:',
    '       0: 55                           \tpushq\t%rbp',
    '       1: 48 bf 00 00 1d 45 81 88 ff ff\tmovabsq\t$-131386185023488, %rdi # imm = 0xFFFF8881451D0000',
    '       b: f0                           \tlock',
    '       c: 48 01 78 00                  \taddq\t%rdi, (%rax)',
    '      10: c3                           \tretq',
  ];
  t.same(parseObjdump(listing.join('\n')), { insns: 4, decodedBytes: 17 }, 'a 10-byte instruction; `lock` counts with the next one');
  t.same(parseObjdump([...listing, '      11: 06                           \t<unknown>', '      12: c3                           \tretq'].join('\n')),
    { insns: 4, decodedBytes: 17 }, 'stops at <unknown>');
  t.same(parseObjdump([...listing.slice(0, 3), listing[5]!].join('\n')), { insns: 2, decodedBytes: 11 }, 'stops at a gap');
});

t.test('our figures: the compilers\' byte lengths, the backends\' executed counts', async (t) => {
  const row = codeQuality({ program: prog, file, makeInstance: () => new Instance(object), input, kernel: { reason: 'left out here' }, disassembler: 'left out here', clock });
  t.equal(row.program, 'checksum');
  t.ok(row.verified, 'our verifier accepts checksum');
  const settings = verifiedSettings(prog, new Instance(object));
  t.ok(settings.facts?.has('checksum'), 'compiled with the verifier\'s facts');

  const x86 = figure<CodeSize>(row.x86)!;
  const code = compileProgramX86(prog, new Instance(object), settings);
  t.same(x86, { bytes: code.code.length, insns: code.instCount }, 'x86-64: what compileProgramX86 returns (checksum makes no calls, so no stack limit)');
  const listing = disassemble(code.code);
  t.same({ bytes: listing.end, insns: listing.count }, x86, 'x86-64: the decoder reads as many instructions from the bytes');
  t.ok(x86.bytes > 0 && x86.insns > 0);

  const arm64 = figure<CodeSize>(row.arm64)!;
  const inst = new Instance(object);
  const { handles: mapHandles, values: mapValues } = inst.mapAddresses();
  const a = compileArm64(programIR(prog, { maps: object.maps, ...settings }), { mapHandles, mapValues });
  t.same(arm64, { bytes: a.code.length, insns: a.code.length / 4 }, 'arm64: what compileArm64 returns, 4 bytes an instruction');

  const executed = (b: typeof interpBackend): number | undefined => {
    const p = backendContender(b, prog, () => new Instance(object)).prepare({ name: 'tcp1500', data: input }, clock);
    p.dispose();
    return p.insnsPerRun;
  };
  t.same(row.executed, { ebpf: executed(interpBackend), x86: executed(x86Backend(settings)), arm64: executed(arm64Backend(settings)) }, 'executed: the backends\' counts');
  t.ok(row.executed.ebpf! > 1000, `${row.executed.ebpf} eBPF instructions over 1500 bytes`);

  t.same(row.kernel, { unavailable: 'left out here' });
  const table = codeQualityTable([row]);
  t.match(table, /\| checksum \| 35 \| \d+ \/ \d+ \| unavailable: left out here \| - \| \d+ \/ \d+ \| \d+ \/ \d+ \/ \d+ \|/);
});

const k = await kernelBpf();
const why = kernelUnavailable(k.bpf, k.reason);
const dis = llvmX86Disassembler();
const skip = why !== undefined ? `skipped: ${why}` : typeof dis === 'string' ? `skipped: ${dis}` : false;

t.test('the kernel JIT\'s image: positive, counted over exactly jited_prog_len bytes', { skip }, async (t) => {
  if (typeof dis === 'string') return;
  const bpf = k.bpf!;
  const row = codeQuality({ program: prog, file, makeInstance: () => new Instance(object), input, kernel: k, disassembler: dis, clock });
  const kernel = figure<KernelImage>(row.kernel);
  t.ok(kernel !== undefined, `kernel figures: ${JSON.stringify(row.kernel)}`);
  if (kernel === undefined) return;
  t.ok(kernel.bytes > 0 && kernel.insns > 0, `${kernel.bytes} bytes, ${kernel.insns} instructions`);
  t.equal(kernel.decodedBytes, kernel.jitedProgLen, 'the disassembler consumed exactly jited_prog_len bytes');
  t.equal(kernel.bytes, kernel.jitedProgLen);

  // The image again, straight from the kernel: the same length, its functions adding up, our decoder agreeing.
  const loaded = loadIntoKernel(bpf, prog, new Instance(object), clock);
  t.teardown(() => loaded.close());
  const info = bpf.progInfo!(loaded.progFd, true);
  if (typeof info === 'number') { t.fail(`BPF_OBJ_GET_INFO_BY_FD: errno ${-info}`); return; }
  t.equal(info.jitedProgLen, kernel.jitedProgLen, 'the same program JITs to the same length');
  t.equal(info.jitedImage?.length, info.jitedProgLen);
  t.equal(info.jitedFuncLens?.reduce((s, n) => s + n, 0), info.jitedProgLen, 'function lengths add up to the image');
  t.same(dis.disassemble(info.jitedImage!), { insns: kernel.insns, decodedBytes: kernel.jitedProgLen });
  const ours = disassemble(info.jitedImage!);
  if (ours.end === info.jitedProgLen) t.equal(ours.count, kernel.insns, 'our x86-64 decoder counts the same instructions');
  else t.comment(`our decoder stops at ${ours.end} of ${info.jitedProgLen} bytes; LLVM's count stands alone`);
});
