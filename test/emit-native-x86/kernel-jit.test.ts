/**
 * @file The decoder reads the Linux kernel's x86-64 JIT output: programs covering
 * every eBPF instruction class are loaded with `bpf(BPF_PROG_LOAD)`, their JIT
 * image fetched with `BPF_OBJ_GET_INFO_BY_FD` (`jited_prog_insns`), and the
 * whole image must decode, which is what counting the kernel JIT's
 * instructions for the code-quality comparison needs (the images call kernel
 * addresses, so they are decoded, not run). Skips, saying why, without root,
 * koffi or a working bpf().
 */
import t from 'tap';
import { assemble } from '../../src/isa/asm.js';
import { encode } from '../../src/isa/insn.js';
import { disassemble } from '../../src/emit-native-x86/listing.js';

const BPF_PROG_LOAD = 5, BPF_OBJ_GET_INFO_BY_FD = 15, BPF_PROG_TYPE_XDP = 6, SYS_BPF = 321;

type Koffi = {
  load(name: string): { func(sig: string): (...args: unknown[]) => unknown };
  address(b: Buffer): bigint | number;
  errno(): number;
};

let koffi: Koffi | undefined;
try { koffi = ((await import('koffi')) as unknown as { default: Koffi }).default; } catch { koffi = undefined; }

/** A bpf() caller, or the reason there is none. */
function bpfCaller(): ((cmd: number, attr: Buffer) => { ret: number; errno: number }) | string {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'needs Linux on x86-64';
  if (process.getuid?.() !== 0) return 'needs root for bpf()';
  if (koffi === undefined) return 'koffi not installed';
  const k = koffi;
  const syscall = k.load('libc.so.6').func('long syscall(long, ...)');
  return (cmd, attr) => {
    const ret = Number(syscall(SYS_BPF, 'int', cmd, 'uint8_t *', attr, 'unsigned int', attr.length));
    return { ret, errno: ret < 0 ? k.errno() : 0 };
  };
}

/** The address of a Buffer's bytes. */
function koffiAddress(b: Buffer): bigint | number { return koffi!.address(b); }

const bpf = bpfCaller();

/** Programs in the conformance assembler syntax; together they use every instruction class the kernel JITs. */
const PROGRAMS: Record<string, string> = {
  alu: `
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]
    mov %r0, 0
    mov %r4, %r2
    add %r4, 16
    jgt %r4, %r3, out
    ldxb %r5, [%r2+0]
    ldxh %r6, [%r2+2]
    ldxw %r7, [%r2+4]
    ldxdw %r8, [%r2+8]
    add %r5, %r6
    add32 %r5, 100000
    sub %r5, %r7
    sub32 %r5, -5
    mul %r5, %r8
    mul32 %r5, 13
    mul %r6, %r7
    div %r5, 7
    div32 %r5, %r7
    div %r6, %r8
    mod %r5, 3
    mod32 %r5, %r8
    mod %r7, %r5
    sdiv %r5, -3
    smod32 %r6, %r7
    or %r5, 0x100
    or32 %r5, %r6
    and %r5, -256
    and32 %r6, %r5
    xor %r5, %r8
    xor32 %r5, 0x7fffffff
    lsh %r5, 3
    lsh32 %r5, %r6
    rsh %r5, 60
    rsh32 %r6, %r5
    arsh %r5, 2
    arsh32 %r7, %r6
    lsh %r8, %r7
    neg %r5
    neg32 %r6
    mov32 %r7, %r5
    movsx864 %r8, %r5
    movsx1632 %r8, %r6
    movsx3264 %r9, %r7
    be16 %r5
    be32 %r6
    be64 %r7
    le16 %r8
    le32 %r9
    le64 %r5
    bswap16 %r5
    bswap32 %r6
    bswap64 %r7
    lddw %r9, 0x123456789abcdef0
    add %r5, %r6
    add %r5, %r7
    add %r5, %r8
    add %r5, %r9
    mov %r0, %r5
    and %r0, 3
  out:
    exit`,
  memory: `
    mov %r6, %r1
    stdw [%r10-8], 0
    stw [%r10-16], 7
    sth [%r10-18], -1
    stb [%r10-19], 3
    mov %r1, 99
    stxdw [%r10-32], %r1
    stxw [%r10-40], %r1
    stxh [%r10-42], %r1
    stxb [%r10-43], %r1
    ldxdw %r2, [%r10-32]
    ldxw %r3, [%r10-40]
    ldxh %r4, [%r10-42]
    ldxb %r5, [%r10-43]
    ldxsw %r2, [%r10-40]
    ldxsh %r3, [%r10-42]
    ldxsb %r4, [%r10-43]
    lock add [%r10-8], %r1
    lock add32 [%r10-16], %r1
    lock or [%r10-8], %r2
    lock and [%r10-8], %r3
    lock xor [%r10-8], %r4
    lock fetch add [%r10-8], %r1
    lock fetch add32 [%r10-16], %r1
    lock fetch or [%r10-8], %r2
    lock fetch and [%r10-8], %r3
    lock fetch xor [%r10-8], %r4
    lock xchg [%r10-8], %r5
    lock xchg32 [%r10-16], %r5
    mov %r0, 99
    lock cmpxchg [%r10-8], %r2
    lock cmpxchg32 [%r10-16], %r3
    ldxdw %r0, [%r10-8]
    and %r0, 3
    exit`,
  branches: `
    mov %r6, %r1
    call 5
    mov %r7, %r0
    call 7
    mov %r8, %r0
    mov %r0, 0
    jeq %r7, 0, a
    jne %r7, %r8, a
    add %r0, 1
  a:
    jgt %r7, 1000, b
    jge %r7, %r8, b
    add %r0, 1
  b:
    jlt %r7, -1, c
    jle %r7, %r8, c
    add %r0, 1
  c:
    jsgt %r7, -1, d
    jsge %r7, %r8, d
    jslt %r7, 5, d
    jsle %r7, %r8, d
    jset %r7, 0x80, d
    jset %r7, %r8, d
    add %r0, 1
  d:
    jeq32 %r7, 5, e
    jne32 %r7, %r8, e
    jgt32 %r7, 5, e
    jslt32 %r7, %r8, e
    jset32 %r7, 1, e
    add %r0, 1
  e:
    mov %r1, %r7
    mov %r2, %r8
    call local f
    jne %r0, 7, h
    ja g
  h:
    add %r0, 1
  g:
    and %r0, 3
    exit
  f:
    mov %r0, %r1
    add %r0, %r2
    exit`,
};

t.test('the decoder reads every instruction of the kernel JIT image', { skip: typeof bpf === 'string' ? bpf : false }, async (t) => {
  if (typeof bpf === 'string') return;
  for (const [name, text] of Object.entries(PROGRAMS)) {
    const asm = assemble(text);
    t.same(asm.diagnostics.map((d) => d.message), [], `${name} assembles`);
    if (asm.diagnostics.length > 0) continue;
    const insns = Buffer.from(encode(asm.insns));
    const license = Buffer.from('GPL\0');
    const log = Buffer.alloc(1 << 16);
    const attr = Buffer.alloc(128);
    attr.writeUInt32LE(BPF_PROG_TYPE_XDP, 0);
    attr.writeUInt32LE(insns.length / 8, 4);
    attr.writeBigUInt64LE(BigInt(koffiAddress(insns)), 8);
    attr.writeBigUInt64LE(BigInt(koffiAddress(license)), 16);
    attr.writeUInt32LE(1, 24);
    attr.writeUInt32LE(log.length, 28);
    attr.writeBigUInt64LE(BigInt(koffiAddress(log)), 32);
    const load = bpf(BPF_PROG_LOAD, attr);
    if (load.ret < 0) {
      const why = log.toString('utf8', 0, log.indexOf(0)).split('\n').slice(-6).join('\n');
      if (load.errno === 1 || load.errno === 38) { t.comment(`skipped: bpf() refused (errno ${load.errno})`); return; }
      t.fail(`${name}: kernel rejects the program (errno ${load.errno}):\n${why}`);
      continue;
    }
    const info = Buffer.alloc(256);
    const get = Buffer.alloc(16);
    get.writeUInt32LE(load.ret, 0);
    get.writeUInt32LE(info.length, 4);
    get.writeBigUInt64LE(BigInt(koffiAddress(info)), 8);
    t.equal(bpf(BPF_OBJ_GET_INFO_BY_FD, get).ret, 0, `${name}: info`);
    const len = info.readUInt32LE(16);
    if (len === 0) { t.comment('skipped: the kernel JIT is off'); return; }
    const image = Buffer.alloc(len);
    info.fill(0);
    info.writeUInt32LE(len, 16);
    info.writeBigUInt64LE(BigInt(koffiAddress(image)), 24);
    t.equal(bpf(BPF_OBJ_GET_INFO_BY_FD, get).ret, 0, `${name}: jited image`);
    const listing = disassemble(new Uint8Array(image));
    const next = image.subarray(listing.end, listing.end + 8).toString('hex');
    t.equal(listing.end, len, `${name}: all ${len} bytes decode (stopped at ${listing.end}: ${next})`);
    t.comment(`kernel JIT ${name}: ${asm.insns.length} eBPF instructions -> ${len} bytes, ${listing.count} x86-64 instructions`);
  }
});
