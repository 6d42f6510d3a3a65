/**
 * @file The Linux kernel as a contender: the object's maps created with
 * `BPF_MAP_CREATE` (contents copied from a host instance, so preloaded
 * entries and global data match), the program's map references patched from
 * the linker's indexes to fds (`BPF_PSEUDO_MAP_IDX` → `BPF_PSEUDO_MAP_FD`,
 * `BPF_PSEUDO_MAP_IDX_VALUE` → `BPF_PSEUDO_MAP_VALUE`, include/uapi/linux/bpf.h),
 * loaded with `BPF_PROG_LOAD` (verifier and JIT: the compile time) and timed
 * with `BPF_PROG_TEST_RUN`'s `repeat`, whose `duration` is the kernel's own
 * mean ns per run. The system call itself is injected (`runtimes/node`
 * passes its koffi wrapper), so this file stays free of any environment.
 */

import { MapType } from '../../abi/map-types.js';
import type { FuncInfo, ProgramSpec } from '../../elf/types.js';
import { encode, type Insn } from '../../isa/insn.js';
import { LddwSrc } from '../../isa/opcodes.js';
import type { Instance } from '../instance.js';
import type { Contender } from './contender.js';
import type { Clock } from './measure.js';

/** The `bpf()` commands the kernel contender needs (the shape of `runtimes/node/bpf-syscall.ts`). */
/** What `BPF_PROG_LOAD` is given. */
export interface KernelLoadAttr {
  readonly type: number;
  readonly insns: Uint8Array;
  readonly license?: string;
  readonly logLevel?: number;
  readonly name?: string;
  readonly expectedAttachType?: number;
}

export interface KernelBpf {
  available(): { ok: boolean; reason: string };
  mapCreate(a: { type: number; keySize: number; valueSize: number; maxEntries: number; flags?: number; mapExtra?: bigint; name?: string }): number;
  mapUpdate(fd: number, key: Uint8Array | undefined, value: Uint8Array, flags?: number): number;
  progLoad(a: KernelLoadAttr): { fd: number; log: string };
  progTestRun(fd: number, a: { data?: Uint8Array; repeat?: number }): { err: number; retval: number; duration: number };
  /**
   * `progLoad` with the func_info BTF a program with subprograms needs
   * (callbacks are refused without it; `runtimes/node/kernel-btf.ts`); plain
   * `progLoad` is used when absent.
   */
  progLoadWithFuncInfo?(a: KernelLoadAttr, insns: readonly Insn[], funcInfo: readonly FuncInfo[]): { fd: number; log: string };
  close(fd: number): void;
  /** A shared mapping of a map's pages (ring buffers), or `-errno`. */
  mapMmap?(fd: number, length: number, offset: number, writable: boolean): MapMapping | number;
  /** `BPF_OBJ_GET_INFO_BY_FD` on a program, with its JIT image (`runtimes/node/bpf-syscall.ts` `progInfo`). */
  progInfo?(fd: number, withImage?: boolean): KernelProgInfo | number;
}

/** A mapping of a map's memory, live. */
export interface MapMapping {
  readonly bytes: Uint8Array;
  unmap(): void;
}

/** What the kernel says about a loaded program (`struct bpf_prog_info`). */
export interface KernelProgInfo {
  /** Bytes of JIT-compiled code, all functions (0: the JIT is off). */
  readonly jitedProgLen: number;
  /** Bytes of the program after the verifier's rewrites. */
  readonly xlatedProgLen: number;
  /** The JIT image, functions one after the other, when asked for and the kernel shows it. */
  readonly jitedImage?: Uint8Array;
  /** Byte length of each function's image. */
  readonly jitedFuncLens?: readonly number[];
  /** Instructions the verifier processed. */
  readonly verifiedInsns: number;
}

/** A memory page, as `mmap` offsets of a ring buffer count them. */
const PAGE = 4096;

/** Map types whose contents are copied key by key from the host instance. */
const COPIED = new Set<number>([MapType.HASH, MapType.ARRAY, MapType.LPM_TRIE, MapType.LRU_HASH]);

/** The program with map references rewritten to kernel fds. */
export function patchMapFds(insns: readonly Insn[], fds: readonly number[]): Insn[] {
  return insns.map((i) => {
    if (i.imm2 === undefined) return i;
    if (i.src === LddwSrc.MAP_IDX) return { ...i, src: LddwSrc.MAP_FD, imm: fds[i.imm]! };
    if (i.src === LddwSrc.MAP_IDX_VALUE) return { ...i, src: LddwSrc.MAP_VALUE, imm: fds[i.imm]! };
    return i;
  });
}

/** Copy every entry of the host's maps into the kernel's. */
function copyMaps(bpf: KernelBpf, instance: Instance, fds: readonly number[]): void {
  instance.mapList.forEach((map, idx) => {
    if (!COPIED.has(map.spec.type)) return;
    const key = new Uint8Array(map.spec.keySize);
    const next = new Uint8Array(map.spec.keySize);
    const value = new Uint8Array(map.spec.valueSize);
    let cur: Uint8Array | undefined;
    while (map.getNextKey(cur, next) === 0) {
      key.set(next);
      if (map.lookupUser(key, value, 0) === 0) bpf.mapUpdate(fds[idx]!, key, value, 0);
      cur = key;
    }
  });
}

/** `EINTR`: `BPF_PROG_TEST_RUN` gives up on a long `repeat` when a signal is pending (net/bpf/test_run.c). */
export const EINTR = 4;
/** Most `EINTR`s one batch tolerates before it fails. */
const MAX_EINTR = 12;
/** After this many `EINTR`s in a row, the repeat count is cut by four. */
const EINTR_BEFORE_SHRINK = 2;

/**
 * `BPF_PROG_TEST_RUN` `n` times, in as few calls as `repeat` (a u32) allows.
 * A call interrupted by a pending signal (`EINTR`, which the kernel returns
 * mid-run without a result) is retried, with a smaller `repeat` when it keeps
 * happening; the figures of the completed calls are summed.
 */
export function testRunRepeated(bpf: KernelBpf, fd: number, data: Uint8Array, n: number): { r0: bigint; ns: number } {
  let chunk = Math.max(1, Math.min(n, 0xffffffff));
  let done = 0;
  let ns = 0;
  let retval = 0;
  let interrupted = 0;
  let inRow = 0;
  while (done < n) {
    const k = Math.min(chunk, n - done);
    const r = bpf.progTestRun(fd, { data, repeat: k });
    if (r.err === -EINTR) {
      interrupted++;
      inRow++;
      if (interrupted > MAX_EINTR) throw new Error(`BPF_PROG_TEST_RUN interrupted (errno ${EINTR}) ${interrupted} times, last with repeat ${k}`);
      if (inRow >= EINTR_BEFORE_SHRINK) { chunk = Math.max(1, Math.ceil(chunk / 4)); inRow = 0; }
      continue;
    }
    if (r.err < 0) throw new Error(`BPF_PROG_TEST_RUN failed with errno ${-r.err}`);
    inRow = 0;
    // `duration` is the mean ns per run of this call.
    ns += r.duration * k;
    done += k;
    retval = r.retval;
  }
  return { r0: BigInt(retval >>> 0), ns };
}

/** A program loaded into the kernel with its maps. */
export interface KernelProgram {
  readonly progFd: number;
  /** Map fds, by the object's map index. */
  readonly mapFds: readonly number[];
  /** Time `BPF_PROG_LOAD` took (verifier and JIT), ns by `clock`. */
  readonly compileNs: number;
  /** Close every fd. */
  close(): void;
}

/**
 * Create `instance`'s maps in the kernel (contents copied), patch `prog`'s
 * map references and load it. Failures throw an `Error` saying which call
 * failed, with the verifier's last words for a rejected program.
 */
export function loadIntoKernel(bpf: KernelBpf, prog: ProgramSpec, instance: Instance, clock: Clock): KernelProgram {
  const fds: number[] = [];
  const closeAll = (): void => { for (const fd of fds) if (fd >= 0) bpf.close(fd); };
  for (const m of instance.object.maps) {
    const fd = bpf.mapCreate({
      type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags,
      ...(m.mapExtra !== undefined ? { mapExtra: m.mapExtra } : {}), name: m.name.replace(/[^A-Za-z0-9_.]/g, '_'),
    });
    if (fd < 0) { closeAll(); throw new Error(`BPF_MAP_CREATE "${m.name}" failed with errno ${-fd}`); }
    fds.push(fd);
  }
  copyMaps(bpf, instance, fds);
  const mapFds = [...fds];
  fillProgramArrays(bpf, instance, mapFds, fds, closeAll);
  const insns = patchMapFds(prog.insns, fds);
  const load = (a: KernelLoadAttr): { fd: number; log: string } =>
    (bpf.progLoadWithFuncInfo !== undefined ? bpf.progLoadWithFuncInfo(a, insns, prog.funcInfo) : bpf.progLoad(a));
  const t0 = clock();
  const loaded = load({
    type: prog.type, insns: encode(insns), license: instance.object.license || 'GPL',
    name: prog.name.slice(0, 15), logLevel: 0,
    ...(prog.expectedAttachType !== undefined ? { expectedAttachType: prog.expectedAttachType } : {}),
  });
  const compileNs = Number(clock() - t0);
  if (loaded.fd < 0) {
    const again = load({ type: prog.type, insns: encode(insns), license: 'GPL', logLevel: 1 });
    if (again.fd >= 0) bpf.close(again.fd);
    closeAll();
    const last = again.log.trim().split('\n').slice(-2).join(' / ');
    throw new Error(`BPF_PROG_LOAD failed with errno ${-loaded.fd}${last ? `: ${last}` : ''}`);
  }
  fds.push(loaded.fd);
  return { progFd: loaded.fd, mapFds, compileNs, close: closeAll };
}

/**
 * Load the programs that program arrays' `.maps` initialisers name and store
 * their fds in the slots, as libbpf does (tail-call targets); their fds join
 * `fds`, closed with the rest.
 */
function fillProgramArrays(bpf: KernelBpf, instance: Instance, mapFds: readonly number[], fds: number[], closeAll: () => void): void {
  const u32 = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
  instance.object.maps.forEach((m, idx) => {
    if (m.type !== MapType.PROG_ARRAY) return;
    for (const slot of m.initialSlots ?? []) {
      const target = instance.object.programs.find((p) => p.name === slot.symbol);
      if (target === undefined) continue;
      const t = bpf.progLoad({
        type: target.type, insns: encode(patchMapFds(target.insns, mapFds)), license: instance.object.license || 'GPL',
        name: target.name.slice(0, 15), logLevel: 0,
        ...(target.expectedAttachType !== undefined ? { expectedAttachType: target.expectedAttachType } : {}),
      });
      if (t.fd < 0) { closeAll(); throw new Error(`BPF_PROG_LOAD of tail-call target "${target.name}" failed with errno ${-t.fd}`); }
      fds.push(t.fd);
      const rc = bpf.mapUpdate(mapFds[idx]!, u32(slot.index), u32(t.fd), 0);
      if (rc < 0) { closeAll(); throw new Error(`BPF_MAP_UPDATE_ELEM of "${m.name}" slot ${slot.index} failed with errno ${-rc}`); }
    }
  });
}

/** Why `bpf` cannot be used, or undefined when it can. */
export function kernelUnavailable(bpf: KernelBpf | undefined, whyNot: string | undefined): string | undefined {
  const probe = bpf === undefined ? { ok: false, reason: whyNot ?? 'no bpf() wrapper' } : bpf.available();
  return probe.ok ? undefined : probe.reason;
}

/**
 * The kernel contender for `prog`; `makeInstance` gives the host instance
 * whose map contents are copied in. Unavailable, with the reason, where
 * `bpf()` does not work. Ring buffers are emptied before every batch
 * (`ringbufDrainers`), as a consumer keeping up would.
 */
export function kernelContender(bpf: KernelBpf | undefined, whyNot: string | undefined, prog: ProgramSpec, makeInstance: () => Instance): Contender {
  const why = kernelUnavailable(bpf, whyNot);
  if (bpf === undefined || why !== undefined) return { name: 'kernel', unavailable: why ?? 'no bpf() wrapper', prepare() { throw new Error(why); } };
  return {
    name: 'kernel',
    prepare(input, clock) {
      const instance = makeInstance();
      const loaded = loadIntoKernel(bpf, prog, instance, clock);
      let drain: KernelRingDrain;
      try {
        drain = kernelRingDrain(bpf, instance, loaded.mapFds);
      } catch (err) {
        loaded.close();
        throw err;
      }
      const data = input.data;
      return {
        compileNs: loaded.compileNs,
        batch(n) {
          drain.drain();
          return testRunRepeated(bpf, loaded.progFd, data, n);
        },
        dispose() { drain.release(); loaded.close(); },
      };
    },
  };
}

/** Emptying the kernel's ring buffers of a loaded object. */
export interface KernelRingDrain {
  drain(): void;
  release(): void;
}

/**
 * The consumer of each `BPF_MAP_TYPE_RINGBUF` map: its consumer page mapped
 * writable and its producer page read-only (as libbpf maps them); draining
 * moves the consumer position to the producer's.
 */
export function kernelRingDrain(bpf: KernelBpf, instance: Instance, fds: readonly number[]): KernelRingDrain {
  const rings: { consumer: MapMapping; producer: MapMapping }[] = [];
  const release = (): void => { for (const r of rings) { r.consumer.unmap(); r.producer.unmap(); } };
  instance.object.maps.forEach((m, idx) => {
    if (m.type !== MapType.RINGBUF) return;
    if (bpf.mapMmap === undefined) { release(); throw new Error('the bpf() wrapper cannot mmap a ring buffer'); }
    const consumer = bpf.mapMmap(fds[idx]!, PAGE, 0, true);
    const producer = typeof consumer === 'number' ? consumer : bpf.mapMmap(fds[idx]!, PAGE, PAGE, false);
    if (typeof consumer === 'number' || typeof producer === 'number') {
      if (typeof consumer !== 'number') consumer.unmap();
      release();
      throw new Error(`mmap of ring buffer "${m.name}" failed with errno ${-(typeof consumer === 'number' ? consumer : producer as number)}`);
    }
    rings.push({ consumer, producer });
  });
  return {
    drain() {
      for (const r of rings) {
        const prod = new DataView(r.producer.bytes.buffer, r.producer.bytes.byteOffset, 8).getBigUint64(0, true);
        new DataView(r.consumer.bytes.buffer, r.consumer.bytes.byteOffset, 8).setBigUint64(0, prod, true);
      }
    },
    release,
  };
}
