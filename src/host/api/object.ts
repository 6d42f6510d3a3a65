/**
 * @file The user-space API, in the spirit of libbpf and cilium/ebpf:
 * `openObject(bytes)` makes an ELF object or a compiled `.wasm` live, and
 * the result hands out its programs (loaded once, ready to attach to hooks),
 * its maps, and consumers of its ring buffers.
 *
 * ```
 *   bytes ─┬─ ELF (\x7fELF) ── loadObject ── programs run on options.backend (default wasm, compiled per program)
 *          └─ .wasm (\0asm) ── loadCompiled ── programs run as compiled
 *                                 │
 *          new Instance(object, { memory: pins.memory, reuseMap }) ── maps shared through the pin registry
 * ```
 *
 * Maps declared `LIBBPF_PIN_BY_NAME` are taken from the pin registry when a
 * map of that name is pinned there (and must match it), and are pinned
 * there otherwise, as libbpf does under `/sys/fs/bpf`. `reuseMaps` gives
 * other definitions an existing map, like `bpf_map__reuse_fd`.
 */

import { fail } from '../../diag/index.js';
import { loadObject } from '../../elf/index.js';
import type { BpfObject, MapSpec as ObjectMapSpec } from '../../elf/types.js';
import { backendByName, type Backend } from '../backend.js';
import { loadCompiled } from '../compiled.js';
import { Instance, type InstanceOptions } from '../instance.js';
import type { BpfMap } from '../maps/map.js';
import { RingbufMap } from '../maps/ringbuf.js';
import { testRun, type TestRunInput, type TestRunResult } from '../test-run.js';
import { loadProgram, type HookProgram } from '../hooks/program.js';
import { ObjectMap } from './map.js';
import { checkReusable, LIBBPF_PIN_BY_NAME, PinRegistry, processPins } from './pins.js';
import { ringbufRecords, type RingbufOptions } from './ringbuf.js';

/** Options of `openObject`. */
export interface OpenOptions extends Omit<InstanceOptions, 'memory' | 'reuseMap'> {
  /** Backend for an ELF object's programs, by name or as a backend (default `wasm`); a `.wasm` runs as compiled. */
  readonly backend?: string | Backend;
  /** File name for diagnostics. */
  readonly file?: string;
  /** Where pinned maps are shared (default the process-wide registry); the object lives in its memory. */
  readonly pins?: PinRegistry;
  /** Existing maps to use for definitions of these names instead of creating them. */
  readonly reuseMaps?: Readonly<Record<string, BpfMap | ObjectMap>>;
}

const isElf = (b: Uint8Array): boolean => b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
const isWasm = (b: Uint8Array): boolean => b[0] === 0x00 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;

/** An object made live. */
export class OpenedObject {
  private readonly programs = new Map<string, HookProgram>();
  private readonly mapHandles = new Map<string, ObjectMap>();

  constructor(
    readonly object: BpfObject,
    readonly instance: Instance,
    readonly backend: Backend,
    readonly pins: PinRegistry,
  ) {}

  /** A program by function name, loaded on the object's backend on first use. */
  program(name: string): HookProgram {
    let p = this.programs.get(name);
    if (p === undefined) {
      p = loadProgram(this.instance, name, this.backend);
      this.programs.set(name, p);
    }
    return p;
  }

  /** A map by name. */
  map(name: string): ObjectMap {
    let m = this.mapHandles.get(name);
    if (m === undefined) {
      const map = this.instance.maps.get(name);
      if (map === undefined) fail('API_NO_MAP', { name, available: [...this.instance.maps.keys()].join(', ') || 'none' });
      m = new ObjectMap(name, map);
      this.mapHandles.set(name, m);
    }
    return m;
  }

  /** The records of a ring buffer map, as an async iterator that ends when `signal` aborts. */
  ringbuf(name: string, options: RingbufOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    const m = this.map(name);
    if (!(m.map instanceof RingbufMap)) fail('API_MAP_KIND', { name, type: m.type, op: 'ringbuf', need: 'a ringbuf map' });
    return ringbufRecords(m.map, options);
  }

  /** Pin one of the object's maps (under its own name by default). */
  pin(mapName: string, as: string = mapName): void {
    this.pins.pin(as, this.map(mapName).map);
  }

  /** One `BPF_PROG_TEST_RUN`-style run of a program (see `testRun`). */
  testRun(name: string, input: TestRunInput = {}): TestRunResult {
    return testRun(this.instance, this.instance.program(name), this.backend, input);
  }

  /** Release the loaded programs (their stacks); detach them from hooks first. */
  close(): void {
    for (const p of this.programs.values()) p.executable.dispose?.();
    this.programs.clear();
  }
}

/**
 * Open an ELF object (`clang -target bpf`) or a `.wasm` from `ebpf2wasm
 * compile`. Bytes that are neither fail with `API_NOT_OBJECT`; a malformed
 * object with its own diagnostic.
 */
export function openObject(bytes: Uint8Array, options: OpenOptions = {}): OpenedObject {
  const pins = options.pins ?? processPins();
  let object: BpfObject;
  let backend: Backend;
  const file = options.file !== undefined ? { file: options.file } : {};
  if (isElf(bytes)) {
    object = loadObject(bytes, file);
    backend = typeof options.backend === 'object' ? options.backend : backendByName(options.backend ?? 'wasm');
  } else if (isWasm(bytes)) {
    const set = loadCompiled(bytes, file);
    object = set.object;
    backend = set.backend;
  } else {
    fail('API_NOT_OBJECT', { magic: [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ') || 'nothing' }, file);
  }
  const nCpus = options.nCpus ?? 1;
  const reused = new Set<string>();
  const reuseMap = (spec: ObjectMapSpec): BpfMap | undefined => {
    const given = options.reuseMaps?.[spec.name];
    const map = given instanceof ObjectMap ? given.map : given
      ?? (spec.pinning === LIBBPF_PIN_BY_NAME && pins.has(spec.name) ? pins.openPinned(spec.name) : undefined);
    if (map === undefined) return undefined;
    if (!pins.holds(map)) fail('PIN_MEMORY', { name: spec.name });
    checkReusable(spec, map, nCpus);
    reused.add(spec.name);
    return map;
  };
  const { backend: _b, file: _f, pins: _p, reuseMaps: _r, ...instanceOptions } = options;
  const instance = new Instance(object, { ...instanceOptions, memory: pins.memory, reuseMap });
  for (const spec of object.maps) {
    if (spec.pinning === LIBBPF_PIN_BY_NAME && !reused.has(spec.name)) pins.pin(spec.name, instance.maps.get(spec.name)!);
  }
  return new OpenedObject(object, instance, backend, pins);
}
