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
import type { ProgramSpec } from '../../elf/types.js';
import { encode, type Insn } from '../../isa/insn.js';
import { LddwSrc } from '../../isa/opcodes.js';
import type { Instance } from '../instance.js';
import type { Contender } from './contender.js';

/** The `bpf()` commands the kernel contender needs (the shape of `runtimes/node/bpf-syscall.ts`). */
export interface KernelBpf {
  available(): { ok: boolean; reason: string };
  mapCreate(a: { type: number; keySize: number; valueSize: number; maxEntries: number; flags?: number; mapExtra?: bigint; name?: string }): number;
  mapUpdate(fd: number, key: Uint8Array | undefined, value: Uint8Array, flags?: number): number;
  progLoad(a: { type: number; insns: Uint8Array; license?: string; logLevel?: number; name?: string; expectedAttachType?: number }): { fd: number; log: string };
  progTestRun(fd: number, a: { data?: Uint8Array; repeat?: number }): { err: number; retval: number; duration: number };
  close(fd: number): void;
}

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

/**
 * The kernel contender for `prog`; `makeInstance` gives the host instance
 * whose map contents are copied in. Unavailable, with the reason, where
 * `bpf()` does not work.
 */
export function kernelContender(bpf: KernelBpf | undefined, whyNot: string | undefined, prog: ProgramSpec, makeInstance: () => Instance): Contender {
  const probe = bpf === undefined ? { ok: false, reason: whyNot ?? 'no bpf() wrapper' } : bpf.available();
  if (bpf === undefined || !probe.ok) return { name: 'kernel', unavailable: probe.reason, prepare() { throw new Error(probe.reason); } };
  return {
    name: 'kernel',
    prepare(input, clock) {
      const instance = makeInstance();
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
      const t0 = clock();
      const loaded = bpf.progLoad({
        type: prog.type, insns: encode(patchMapFds(prog.insns, fds)), license: instance.object.license || 'GPL',
        name: prog.name.slice(0, 15), logLevel: 0,
        ...(prog.expectedAttachType !== undefined ? { expectedAttachType: prog.expectedAttachType } : {}),
      });
      const compileNs = Number(clock() - t0);
      if (loaded.fd < 0) {
        const again = bpf.progLoad({ type: prog.type, insns: encode(patchMapFds(prog.insns, fds)), license: 'GPL', logLevel: 1 });
        if (again.fd >= 0) bpf.close(again.fd);
        closeAll();
        const last = again.log.trim().split('\n').slice(-2).join(' / ');
        throw new Error(`BPF_PROG_LOAD failed with errno ${-loaded.fd}${last ? `: ${last}` : ''}`);
      }
      fds.push(loaded.fd);
      const data = input.data;
      return {
        compileNs,
        batch(n) {
          // `repeat` is a u32; the kernel reports the mean ns per run.
          const r = bpf.progTestRun(loaded.fd, { data, repeat: Math.min(n, 0xffffffff) });
          if (r.err < 0) throw new Error(`BPF_PROG_TEST_RUN failed with errno ${-r.err}`);
          return { r0: BigInt(r.retval >>> 0), ns: r.duration * n };
        },
        dispose: closeAll,
      };
    },
  };
}
