/**
 * @file A thin wrapper over the Linux `bpf()` system call through koffi, so
 * tests can use the kernel as an oracle: create maps, operate on them, load
 * BTF and programs, and run them with `BPF_PROG_TEST_RUN`.
 *
 * Every call returns a number: the result (an fd, or 0) when it is ≥ 0, else
 * the negated errno, like the maps in `src/host/maps`. `bpf_attr` layouts are
 * those of include/uapi/linux/bpf.h.
 */

import { createRequire } from 'node:module';

/** `enum bpf_cmd` values used here. */
export const BpfCmd = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  PROG_TEST_RUN: 10,
  OBJ_GET_INFO_BY_FD: 15,
  BTF_LOAD: 18,
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  MAP_FREEZE: 22,
} as const;

/** `sizeof(union bpf_attr)` we pass: large enough for every command used, zero-padded. */
const ATTR_SIZE = 144;

/** The `bpf` system call number per architecture. */
const SYS_BPF: Record<string, number> = { x64: 321, arm64: 280 };

interface Koffi {
  load(path: string): { func(decl: string): (...args: unknown[]) => unknown };
  alloc(type: string, n: number): unknown;
  free(p: unknown): void;
  address(p: unknown): bigint;
  view(p: unknown, len: number): ArrayBuffer;
  errno(): number;
}

interface Native {
  koffi: Koffi;
  syscall: (...args: unknown[]) => unknown;
  close: (fd: number) => number;
  setaffinity: (pid: number, size: number, mask: unknown) => number;
  mmap: (addr: null, len: number, prot: number, flags: number, fd: number, off: number) => unknown;
  munmap: (addr: unknown, len: number) => number;
  nr: number;
}

let native: Native | undefined;
let nativeError: string | undefined;

function load(): Native | undefined {
  if (native !== undefined || nativeError !== undefined) return native;
  try {
    if (process.platform !== 'linux') throw new Error(`bpf() needs Linux, this is ${process.platform}`);
    const nr = SYS_BPF[process.arch];
    if (nr === undefined) throw new Error(`no bpf() syscall number known for ${process.arch}`);
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as Koffi;
    const libc = koffi.load('libc.so.6');
    const syscall = libc.func('long syscall(long number, ...)');
    const close = libc.func('int close(int fd)') as (fd: number) => number;
    const setaffinity = libc.func('int sched_setaffinity(int pid, size_t size, void *mask)') as Native['setaffinity'];
    const mmap = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)') as Native['mmap'];
    const munmap = libc.func('int munmap(void *addr, size_t len)') as Native['munmap'];
    native = { koffi, syscall, close, setaffinity, mmap, munmap, nr };
  } catch (e) {
    nativeError = e instanceof Error ? e.message : String(e);
  }
  return native;
}

/** Native scratch memory for one call: bytes we can fill and whose address goes into `bpf_attr`. */
class Scratch {
  readonly ptr: unknown;
  readonly bytes: Uint8Array;
  readonly addr: bigint;
  constructor(private readonly n: Native, size: number) {
    this.ptr = n.koffi.alloc('uint8', Math.max(8, size));
    this.bytes = new Uint8Array(n.koffi.view(this.ptr, Math.max(8, size)));
    this.bytes.fill(0);
    this.addr = n.koffi.address(this.ptr);
  }
  free(): void { this.n.koffi.free(this.ptr); }
}

/** Run `f` with scratch buffers of the given sizes, freeing them after. */
function withScratch<T>(n: Native, sizes: number[], f: (s: Scratch[]) => T): T {
  const s = sizes.map((size) => new Scratch(n, size));
  try { return f(s); } finally { for (const x of s) x.free(); }
}

/** Call `bpf(cmd, attr, ATTR_SIZE)`; returns the result or `-errno`. */
function bpf(n: Native, cmd: number, attr: Scratch): number {
  const r = Number(n.syscall(n.nr, 'int', cmd, 'void *', attr.ptr, 'uint32', ATTR_SIZE));
  return r < 0 ? -n.koffi.errno() : r;
}

function need(): Native {
  const n = load();
  if (n === undefined) throw new Error(`bpf() unavailable: ${nativeError}`);
  return n;
}

let probed: { ok: boolean; reason: string } | undefined;

/** Whether the `bpf()` syscall works here, and why not when it does not. */
export function available(): { ok: boolean; reason: string } {
  if (probed !== undefined) return probed;
  const n = load();
  if (n === undefined) {
    probed = { ok: false, reason: nativeError ?? 'unknown' };
    return probed;
  }
  const fd = mapCreate({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
  if (fd < 0) {
    const why = fd === -1 || fd === -13 ? 'permission denied (needs root or CAP_BPF; check kernel.unprivileged_bpf_disabled)'
      : fd === -38 ? 'the kernel has no bpf() (CONFIG_BPF_SYSCALL off)' : `BPF_MAP_CREATE failed with errno ${-fd}`;
    probed = { ok: false, reason: why };
  } else {
    close(fd);
    probed = { ok: true, reason: 'bpf() works' };
  }
  return probed;
}

/** Attributes of `BPF_MAP_CREATE`. */
export interface MapCreateAttr {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly innerMapFd?: number;
  readonly mapExtra?: bigint;
  readonly name?: string;
}

/** `BPF_MAP_CREATE`: a map fd or `-errno`. */
export function mapCreate(a: MapCreateAttr): number {
  const n = need();
  return withScratch(n, [ATTR_SIZE], ([attr]) => {
    const v = new DataView(attr!.bytes.buffer);
    v.setUint32(0, a.type, true);
    v.setUint32(4, a.keySize, true);
    v.setUint32(8, a.valueSize, true);
    v.setUint32(12, a.maxEntries, true);
    v.setUint32(16, a.flags ?? 0, true);
    v.setUint32(20, a.innerMapFd ?? 0, true);
    const name = new TextEncoder().encode((a.name ?? '').slice(0, 15));
    attr!.bytes.set(name, 28);
    v.setBigUint64(64, a.mapExtra ?? 0n, true);
    return bpf(n, BpfCmd.MAP_CREATE, attr!);
  });
}

/** A map element command: key and value (or next key) buffers, copied in and out. */
function elemCmd(cmd: number, fd: number, key: Uint8Array | undefined, value: Uint8Array | undefined, flags: number): number {
  const n = need();
  return withScratch(n, [ATTR_SIZE, key?.length ?? 0, value?.length ?? 0], ([attr, k, val]) => {
    const v = new DataView(attr!.bytes.buffer);
    v.setUint32(0, fd, true);
    if (key !== undefined) { k!.bytes.set(key); v.setBigUint64(8, k!.addr, true); }
    if (value !== undefined) { val!.bytes.set(value); v.setBigUint64(16, val!.addr, true); }
    v.setBigUint64(24, BigInt(flags), true);
    const r = bpf(n, cmd, attr!);
    if (value !== undefined) value.set(val!.bytes.subarray(0, value.length));
    return r;
  });
}

/** `BPF_MAP_LOOKUP_ELEM` into `out` (bloom filter: `out` holds the probed value). */
export function mapLookup(fd: number, key: Uint8Array | undefined, out: Uint8Array, flags = 0): number {
  return elemCmd(BpfCmd.MAP_LOOKUP_ELEM, fd, key, out, flags);
}

/** `BPF_MAP_UPDATE_ELEM` (queue, stack, bloom: `key` undefined pushes). */
export function mapUpdate(fd: number, key: Uint8Array | undefined, value: Uint8Array, flags = 0): number {
  return elemCmd(BpfCmd.MAP_UPDATE_ELEM, fd, key, value.slice(), flags);
}

/** `BPF_MAP_DELETE_ELEM`. */
export function mapDelete(fd: number, key: Uint8Array | undefined): number {
  return elemCmd(BpfCmd.MAP_DELETE_ELEM, fd, key, undefined, 0);
}

/** `BPF_MAP_GET_NEXT_KEY` into `out`; `key` undefined asks for the first key. */
export function mapGetNextKey(fd: number, key: Uint8Array | undefined, out: Uint8Array): number {
  return elemCmd(BpfCmd.MAP_GET_NEXT_KEY, fd, key, out, 0);
}

/** `BPF_MAP_LOOKUP_AND_DELETE_ELEM` into `out` (queue/stack: pop). */
export function mapLookupAndDelete(fd: number, key: Uint8Array | undefined, out: Uint8Array, flags = 0): number {
  return elemCmd(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, fd, key, out, flags);
}

/** Attributes of `BPF_PROG_LOAD`. */
export interface ProgLoadAttr {
  readonly type: number;
  /** Raw instructions, 8 bytes each. */
  readonly insns: Uint8Array;
  readonly license?: string;
  /** Verifier log level (0 = no log; 1 or 2 fill `log`). */
  readonly logLevel?: number;
  readonly logSize?: number;
  readonly name?: string;
  readonly expectedAttachType?: number;
  /** BTF fd (`BPF_BTF_LOAD`) the `funcInfo` records' type ids refer to. */
  readonly progBtfFd?: number;
  /** `struct bpf_func_info` records (`insn_off`, `type_id`), packed. */
  readonly funcInfo?: Uint8Array;
  /** Size of one `funcInfo` record (default 8, `sizeof(struct bpf_func_info)`). */
  readonly funcInfoRecSize?: number;
}

/** `BPF_PROG_LOAD` attribute offsets past `expected_attach_type` (include/uapi/linux/bpf.h). */
const PL = { progBtfFd: 72, funcInfoRecSize: 76, funcInfo: 80, funcInfoCnt: 88 } as const;

/** The NUL-terminated text a `bpf()` command wrote into its log buffer (empty without one). */
function logText(log: { bytes: Uint8Array } | undefined, logSize: number): string {
  if (logSize === 0 || log === undefined) return '';
  const end = log.bytes.indexOf(0);
  return new TextDecoder().decode(log.bytes.subarray(0, end < 0 ? logSize : end));
}

/** `BPF_PROG_LOAD`: the program fd or `-errno`, and the verifier log. */
export function progLoad(a: ProgLoadAttr): { fd: number; log: string } {
  const n = need();
  const logSize = a.logLevel ? (a.logSize ?? 1 << 20) : 0;
  const license = new TextEncoder().encode(`${a.license ?? 'GPL'}\0`);
  const funcInfo = a.funcInfo ?? new Uint8Array(0);
  const recSize = a.funcInfoRecSize ?? 8;
  return withScratch(n, [ATTR_SIZE, a.insns.length, license.length, logSize, funcInfo.length], ([attr, ins, lic, log, fi]) => {
    const v = new DataView(attr!.bytes.buffer);
    ins!.bytes.set(a.insns);
    if (a.progBtfFd !== undefined && funcInfo.length > 0) {
      fi!.bytes.set(funcInfo);
      v.setUint32(PL.progBtfFd, a.progBtfFd, true);
      v.setUint32(PL.funcInfoRecSize, recSize, true);
      v.setBigUint64(PL.funcInfo, fi!.addr, true);
      v.setUint32(PL.funcInfoCnt, funcInfo.length / recSize, true);
    }
    lic!.bytes.set(license);
    v.setUint32(0, a.type, true);
    v.setUint32(4, a.insns.length / 8, true);
    v.setBigUint64(8, ins!.addr, true);
    v.setBigUint64(16, lic!.addr, true);
    if (logSize > 0) {
      v.setUint32(24, a.logLevel ?? 0, true);
      v.setUint32(28, logSize, true);
      v.setBigUint64(32, log!.addr, true);
    }
    attr!.bytes.set(new TextEncoder().encode((a.name ?? '').slice(0, 15)), 48);
    v.setUint32(68, a.expectedAttachType ?? 0, true);
    const fd = bpf(n, BpfCmd.PROG_LOAD, attr!);
    return { fd, log: logText(log, logSize) };
  });
}

/** Attributes of `BPF_BTF_LOAD`. */
export interface BtfLoadAttr {
  /** The BTF blob: header, type section, string section. */
  readonly btf: Uint8Array;
  /** BTF log level (0 = no log; 1 fills `log`). */
  readonly logLevel?: number;
  readonly logSize?: number;
}

/** `BPF_BTF_LOAD`: the BTF fd or `-errno`, and the kernel's BTF log. */
export function btfLoad(a: BtfLoadAttr): { fd: number; log: string } {
  const n = need();
  const logSize = a.logLevel ? (a.logSize ?? 1 << 16) : 0;
  return withScratch(n, [ATTR_SIZE, a.btf.length, logSize], ([attr, blob, log]) => {
    const v = new DataView(attr!.bytes.buffer);
    blob!.bytes.set(a.btf);
    v.setBigUint64(0, blob!.addr, true);
    v.setUint32(16, a.btf.length, true);
    if (logSize > 0) {
      v.setBigUint64(8, log!.addr, true);
      v.setUint32(20, logSize, true);
      v.setUint32(24, a.logLevel ?? 0, true);
    }
    const fd = bpf(n, BpfCmd.BTF_LOAD, attr!);
    return { fd, log: logText(log, logSize) };
  });
}

/** Input of `BPF_PROG_TEST_RUN`. */
export interface TestRunAttr {
  readonly data?: Uint8Array;
  /** Room for the output packet (default: the input's size + 256). */
  readonly dataOutSize?: number;
  readonly ctx?: Uint8Array;
  readonly ctxOutSize?: number;
  readonly repeat?: number;
  readonly flags?: number;
  readonly cpu?: number;
}

/** Result of `BPF_PROG_TEST_RUN`. */
export interface TestRunResult {
  /** 0 or `-errno` of the syscall itself. */
  readonly err: number;
  readonly retval: number;
  readonly dataOut: Uint8Array;
  readonly ctxOut: Uint8Array;
  /** Average ns per run, as the kernel measured. */
  readonly duration: number;
}

/** `BPF_PROG_TEST_RUN` on a loaded program. */
export function progTestRun(progFd: number, a: TestRunAttr): TestRunResult {
  const n = need();
  const data = a.data ?? new Uint8Array(0);
  const outSize = a.dataOutSize ?? data.length + 256;
  const ctx = a.ctx;
  const ctxOut = a.ctxOutSize ?? ctx?.length ?? 0;
  return withScratch(n, [ATTR_SIZE, data.length, outSize, ctx?.length ?? 0, ctxOut], ([attr, din, dout, cin, cout]) => {
    const v = new DataView(attr!.bytes.buffer);
    v.setUint32(0, progFd, true);
    din!.bytes.set(data);
    v.setUint32(8, data.length, true);
    v.setUint32(12, outSize, true);
    v.setBigUint64(16, data.length ? din!.addr : 0n, true);
    v.setBigUint64(24, outSize ? dout!.addr : 0n, true);
    v.setUint32(32, a.repeat ?? 1, true);
    if (ctx !== undefined) {
      cin!.bytes.set(ctx);
      v.setUint32(40, ctx.length, true);
      v.setBigUint64(48, cin!.addr, true);
    }
    if (ctxOut > 0) {
      v.setUint32(44, ctxOut, true);
      v.setBigUint64(56, cout!.addr, true);
    }
    v.setUint32(64, a.flags ?? 0, true);
    v.setUint32(68, a.cpu ?? 0, true);
    const err = bpf(n, BpfCmd.PROG_TEST_RUN, attr!);
    const outLen = Math.min(v.getUint32(12, true), outSize);
    const ctxLen = Math.min(v.getUint32(44, true), ctxOut);
    return {
      err: Math.min(err, 0),
      retval: v.getUint32(4, true),
      dataOut: dout!.bytes.slice(0, outLen),
      ctxOut: ctxLen > 0 ? cout!.bytes.slice(0, ctxLen) : new Uint8Array(0),
      duration: v.getUint32(36, true),
    };
  });
}

/** What `BPF_OBJ_GET_INFO_BY_FD` tells about a map (`struct bpf_map_info`). */
export interface MapInfo {
  readonly type: number;
  readonly id: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
}

/** `BPF_OBJ_GET_INFO_BY_FD`: the raw info bytes (up to `size`) or `-errno`. */
export function objGetInfo(fd: number, size = 256): Uint8Array | number {
  const n = need();
  return withScratch(n, [ATTR_SIZE, size], ([attr, info]) => {
    const r = getInfo(n, attr!, info!, fd, size);
    return r < 0 ? r : info!.bytes.slice(0, r);
  });
}

/** `BPF_OBJ_GET_INFO_BY_FD` of `fd` into `info` (`size` bytes): the length the kernel filled in, or `-errno`. */
function getInfo(n: Native, attr: Scratch, info: Scratch, fd: number, size: number): number {
  const v = new DataView(attr.bytes.buffer);
  v.setUint32(0, fd, true);
  v.setUint32(4, size, true);
  v.setBigUint64(8, info.addr, true);
  const r = bpf(n, BpfCmd.OBJ_GET_INFO_BY_FD, attr);
  return r < 0 ? r : v.getUint32(4, true);
}

/** A map's info, decoded from `objGetInfo`, or `-errno`. */
export function mapInfo(fd: number): MapInfo | number {
  const b = objGetInfo(fd, 88);
  if (typeof b === 'number') return b;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    type: v.getUint32(0, true), id: v.getUint32(4, true), keySize: v.getUint32(8, true),
    valueSize: v.getUint32(12, true), maxEntries: v.getUint32(16, true), flags: v.getUint32(20, true),
    name: objName(b.subarray(24, 40)),
  };
}

/** A NUL-padded `BPF_OBJ_NAME_LEN` name. */
function objName(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(b.subarray(0, end < 0 ? b.length : end));
}

/** What `BPF_OBJ_GET_INFO_BY_FD` tells about a program (`struct bpf_prog_info`). */
export interface ProgInfo {
  readonly type: number;
  readonly id: number;
  readonly name: string;
  /** Bytes of JIT-compiled code, all functions together (0 when the JIT is off). */
  readonly jitedProgLen: number;
  /** Bytes of the program as the verifier rewrote it. */
  readonly xlatedProgLen: number;
  /** Instructions the verifier processed. */
  readonly verifiedInsns: number;
  /** The JIT image (functions one after the other, as the kernel copies them), when asked for and shown. */
  readonly jitedImage?: Uint8Array;
  /** Byte length of each function's image, when the image was asked for. */
  readonly jitedFuncLens?: readonly number[];
}

/** `sizeof(struct bpf_prog_info)` in the UAPI this reads (up to `attach_btf_id` and its padding). */
const PROG_INFO_SIZE = 232;
/** `struct bpf_prog_info` offsets. */
const PI = {
  type: 0, id: 4, jitedProgLen: 16, xlatedProgLen: 20, jitedProgInsns: 24, name: 64,
  nrJitedFuncLens: 108, jitedFuncLens: 120, verifiedInsns: 216,
} as const;

/**
 * A program's info, or `-errno`. With `withImage`, a second call fetches the
 * JIT image into a buffer of `jited_prog_len` bytes and the per-function
 * lengths; the image is left out when the kernel hides it (`bpf_dump_raw_ok`:
 * without `CAP_SYS_ADMIN` or under `kernel.kptr_restrict`).
 */
export function progInfo(fd: number, withImage = false): ProgInfo | number {
  const n = need();
  const call = (len: number, funcs: number): { bytes: Uint8Array; image?: Uint8Array; lens?: number[] } | number =>
    withScratch(n, [ATTR_SIZE, PROG_INFO_SIZE, len, funcs * 4], ([attr, info, image, lens]) => {
      const iv = new DataView(info!.bytes.buffer, info!.bytes.byteOffset, PROG_INFO_SIZE);
      if (len > 0) {
        iv.setUint32(PI.jitedProgLen, len, true);
        iv.setBigUint64(PI.jitedProgInsns, image!.addr, true);
        iv.setUint32(PI.nrJitedFuncLens, funcs, true);
        iv.setBigUint64(PI.jitedFuncLens, lens!.addr, true);
      }
      const r = getInfo(n, attr!, info!, fd, PROG_INFO_SIZE);
      if (r < 0) return r;
      const bytes = info!.bytes.slice(0, PROG_INFO_SIZE);
      if (len === 0 || iv.getBigUint64(PI.jitedProgInsns, true) === 0n) return { bytes };
      const lv = new DataView(lens!.bytes.buffer, lens!.bytes.byteOffset, funcs * 4);
      const got = Math.min(funcs, iv.getUint32(PI.nrJitedFuncLens, true));
      return {
        bytes, image: image!.bytes.slice(0, Math.min(len, iv.getUint32(PI.jitedProgLen, true))),
        lens: Array.from({ length: got }, (_, k) => lv.getUint32(4 * k, true)),
      };
    });
  const first = call(0, 0);
  if (typeof first === 'number') return first;
  const fv = new DataView(first.bytes.buffer);
  const jitedProgLen = fv.getUint32(PI.jitedProgLen, true);
  const funcs = Math.max(1, fv.getUint32(PI.nrJitedFuncLens, true));
  const second = withImage && jitedProgLen > 0 ? call(jitedProgLen, funcs) : undefined;
  if (typeof second === 'number') return second;
  return {
    type: fv.getUint32(PI.type, true), id: fv.getUint32(PI.id, true), name: objName(first.bytes.subarray(PI.name, PI.name + 16)),
    jitedProgLen, xlatedProgLen: fv.getUint32(PI.xlatedProgLen, true), verifiedInsns: fv.getUint32(PI.verifiedInsns, true),
    ...(second?.image !== undefined ? { jitedImage: second.image, jitedFuncLens: second.lens ?? [] } : {}),
  };
}

/** `BPF_MAP_FREEZE`: make a map read-only for user space (programs may then treat it as constant). */
export function mapFreeze(fd: number): number {
  const n = need();
  return withScratch(n, [ATTR_SIZE], ([attr]) => {
    new DataView(attr!.bytes.buffer).setUint32(0, fd, true);
    return bpf(n, BpfCmd.MAP_FREEZE, attr!);
  });
}

/**
 * Pin the calling thread to one CPU (`sched_setaffinity`), so per-CPU map
 * values written by `BPF_PROG_TEST_RUN` land on a known CPU. 0 or `-errno`.
 */
export function pinCpu(cpu: number): number {
  const n = need();
  return withScratch(n, [128], ([mask]) => {
    mask!.bytes[cpu >> 3] = 1 << (cpu & 7);
    const r = n.setaffinity(0, 128, mask!.ptr);
    return r < 0 ? -n.koffi.errno() : 0;
  });
}

/** A shared mapping of a map's memory (ring buffers, mmapable arrays). */
export interface MapMapping {
  /** The mapped bytes, live: they change as the kernel writes. */
  readonly bytes: Uint8Array;
  unmap(): void;
}

/**
 * `mmap(NULL, length, PROT_READ[|PROT_WRITE], MAP_SHARED, fd, offset)` of a
 * map, as libbpf maps a ring buffer (consumer page at 0, producer page and
 * twice the data at one page). A negated errno when it fails.
 */
export function mapMmap(fd: number, length: number, offset: number, writable: boolean): MapMapping | number {
  const n = need();
  const PROT_READ = 1;
  const PROT_WRITE = 2;
  const MAP_SHARED = 1;
  const p = n.mmap(null, length, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, offset);
  const addr = n.koffi.address(p);
  if (addr === 0xffffffffffffffffn || addr === 0n) return -n.koffi.errno();
  return { bytes: new Uint8Array(n.koffi.view(p, length)), unmap: () => { n.munmap(p, length); } };
}

/** `close(fd)`. */
export function close(fd: number): void {
  need().close(fd);
}

/** Number of possible CPUs (per-CPU map values have one slot per possible CPU). */
export function possibleCpus(text: string): number {
  // "0-3" or "0,2-5": the highest CPU number + 1, as libbpf's libbpf_num_possible_cpus
  let max = -1;
  for (const part of text.trim().split(',')) {
    const [a, b] = part.split('-');
    max = Math.max(max, Number(b ?? a));
  }
  return max + 1;
}
