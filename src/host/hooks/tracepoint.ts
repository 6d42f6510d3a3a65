/**
 * @file Tracepoints an application declares and fires. A tracepoint has a
 * record layout like the kernel's (`/sys/kernel/tracing/events/<cat>/<name>/format`):
 * the 8-byte common header (`common_type` u16 at 0, `common_flags` u8 at 2,
 * `common_preempt_count` u8 at 3, `common_pid` s32 at 4), then the declared
 * fields at their offsets. `fire(name, record)` lays the record out in each
 * attached program's memory and runs the program with its context pointing
 * at the record's first byte, as `perf_trace_run_bpf_submit` does; programs
 * may read from offset 8 on (`tp_prog_is_valid_access`).
 *
 * The result is what the kernel's `trace_call_bpf` returns: the programs'
 * 32-bit results ANDed together starting from 1 (`bpf_prog_run_array`:
 * `ret &= run_prog(...)`), so it is 1 only when every program returned an odd
 * value, and 1 when no program is attached. The kernel uses it to decide
 * whether the event also goes on to the perf buffer (0: discard); here it
 * decides whether the tracepoint's listeners (`onEvent`) receive the record.
 * Every attached program runs whatever the others returned.
 */

import type { Region } from '../../abi/memory.js';
import { ProgType } from '../../abi/program-types.js';
import { fail } from '../../diag/index.js';
import { LinkRegions } from './context.js';
import { Hook } from './hook.js';
import type { HookProgram } from './program.js';

const UTF8 = new TextEncoder();

/** Size of the common header every record starts with. */
export const COMMON_HEADER_SIZE = 8;
/** `PERF_MAX_TRACE_SIZE`: the largest record. */
const MAX_RECORD = 8192;

/** One field of a record, as a line of a tracepoint's `format` file. */
export interface TracepointField {
  readonly name: string;
  /** Byte offset from the record's start (the common header counts). */
  readonly offset: number;
  readonly size: number;
  /** Whether a number is written as signed (only matters for reading it back). */
  readonly signed?: boolean;
}

/** A tracepoint's record layout: the fields after the common header. */
export interface TracepointFormat {
  readonly fields: readonly TracepointField[];
  /** Record size (default: the end of the last field, rounded up to 8). */
  readonly size?: number;
}

/** A field's value: numbers and bigints are stored little-endian in the field's size; bytes and strings (UTF-8) are copied and zero-padded. */
export type FieldValue = number | bigint | boolean | string | Uint8Array;

/** What `fire` returns. */
export interface FireResult {
  /** `trace_call_bpf`'s result: 1 when every program returned an odd value (or none ran), else 0. */
  readonly result: number;
  /** How many programs ran. */
  readonly ran: number;
}

/** Options of one firing. */
export interface FireOptions {
  /** `common_pid` (default 0). */
  readonly pid?: number;
}

interface TracepointState {
  readonly regions: LinkRegions;
  readonly record: Region;
}

/**
 * Read a tracepoint's `format` file: the `field:` lines after the common
 * fields, e.g. `field:unsigned int status;	offset:12;	size:4;	signed:0;`.
 */
export function parseTracepointFormat(text: string): TracepointFormat {
  const fields: TracepointField[] = [];
  for (const line of text.split('\n')) {
    const m = /field:(.*?);\s*offset:(\d+);\s*size:(\d+);(?:\s*signed:(\d);)?/.exec(line);
    if (m === null) continue;
    const name = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$/.exec(m[1]!)?.[1] ?? m[1]!.trim();
    if (name.startsWith('common_')) continue;
    fields.push({ name, offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1' });
  }
  return { fields };
}

/** One declared tracepoint: programs attach to it; `fire` runs them. */
export class Tracepoint extends Hook<TracepointState, object> {
  readonly kind = 'tracepoint' as const;
  protected readonly programTypes = [ProgType.TRACEPOINT];
  /** The record's size in bytes. */
  readonly size: number;
  private readonly fields: ReadonlyMap<string, TracepointField>;
  private readonly listeners = new Set<(record: Uint8Array) => void>();

  /** `id` is the tracepoint's `common_type`. */
  constructor(name: string, readonly format: TracepointFormat, readonly id: number) {
    super(name);
    const bad = (detail: string): never => fail('HOOK_RECORD', { name, detail });
    let end = COMMON_HEADER_SIZE;
    const byName = new Map<string, TracepointField>();
    for (const f of format.fields) {
      if (!Number.isInteger(f.offset) || !Number.isInteger(f.size) || f.size <= 0) bad(`field "${f.name}" needs a whole offset and a positive size`);
      if (f.offset < COMMON_HEADER_SIZE) bad(`field "${f.name}" at offset ${f.offset} overlaps the ${COMMON_HEADER_SIZE}-byte common header`);
      if (byName.has(f.name)) bad(`field "${f.name}" is declared twice`);
      byName.set(f.name, f);
      end = Math.max(end, f.offset + f.size);
    }
    this.size = format.size ?? (end + 7) & ~7;
    if (this.size < end || this.size > MAX_RECORD) bad(`a record of ${this.size} bytes cannot hold its fields within ${MAX_RECORD} bytes`);
    this.fields = byName;
  }

  protected setup(program: HookProgram): TracepointState {
    const regions = new LinkRegions(program);
    return { regions, record: regions.map(`tracepoint:${this.name}`, 'ctx', this.size, false) };
  }

  protected teardown(_program: HookProgram, state: TracepointState): void { state.regions.release(); }
  protected defaults(): object { return {}; }

  /** Call `listener` with each record the programs keep (result 1); returns a function that removes it. */
  onEvent(listener: (record: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** The record's bytes: fields by name, or the whole record as bytes (its common header is rewritten). */
  encode(record: Readonly<Record<string, FieldValue>> | Uint8Array, options: FireOptions = {}): Uint8Array {
    const out = new Uint8Array(this.size);
    const view = new DataView(out.buffer);
    if (record instanceof Uint8Array) {
      out.set(record.subarray(0, this.size));
    } else {
      for (const [name, value] of Object.entries(record)) {
        const f = this.fields.get(name);
        if (f === undefined) fail('HOOK_RECORD', { name: this.name, detail: `no field "${name}" (fields: ${[...this.fields.keys()].join(', ') || 'none'})` });
        if (typeof value === 'number' && !Number.isFinite(value)) fail('HOOK_RECORD', { name: this.name, detail: `field "${name}" cannot hold ${value}` });
        writeField(out, view, f, value);
      }
    }
    view.setUint16(0, this.id & 0xffff, true);
    view.setUint16(2, 0, true);
    view.setInt32(4, options.pid ?? 0, true);
    return out;
  }

  /** Fire the tracepoint: run every attached program on the record. */
  fire(record: Readonly<Record<string, FieldValue>> | Uint8Array, options: FireOptions = {}): FireResult {
    const bytes = this.encode(record, options);
    let result = 1;
    let ran = 0;
    for (const link of this.links) {
      const mem = link.program.instance.memory;
      const at = link.state.record.start;
      mem.bytes.set(bytes, at);
      result &= Number(link.program.executable.run(at).r0 & 0xffffffffn);
      ran++;
    }
    if (result !== 0) for (const l of this.listeners) l(bytes);
    return { result, ran };
  }
}

/** Store one field's value in a record. */
function writeField(out: Uint8Array, view: DataView, f: TracepointField, value: FieldValue): void {
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const b = typeof value === 'string' ? UTF8.encode(value) : value;
    out.set(b.subarray(0, f.size), f.offset);
    return;
  }
  const n = BigInt.asUintN(64, typeof value === 'bigint' ? value : BigInt(typeof value === 'boolean' ? Number(value) : Math.trunc(value)));
  for (let i = 0; i < f.size && i < 8; i++) view.setUint8(f.offset + i, Number((n >> BigInt(8 * i)) & 0xffn));
}

/** Tracepoints by name: declare them, attach programs, fire them. */
export class TracepointRegistry {
  private readonly points = new Map<string, Tracepoint>();

  /** Declare a tracepoint (`category/name`, like the kernel's) with its record layout or `format` text. */
  declare(name: string, format: TracepointFormat | string): Tracepoint {
    if (this.points.has(name)) fail('HOOK_TRACEPOINT_EXISTS', { name });
    const tp = new Tracepoint(name, typeof format === 'string' ? parseTracepointFormat(format) : format, this.points.size + 1);
    this.points.set(name, tp);
    return tp;
  }

  /** A declared tracepoint. */
  get(name: string): Tracepoint {
    const tp = this.points.get(name);
    if (tp === undefined) fail('HOOK_NO_TRACEPOINT', { name, declared: [...this.points.keys()].join(', ') || 'none' });
    return tp;
  }

  /** Fire a declared tracepoint. */
  fire(name: string, record: Readonly<Record<string, FieldValue>> | Uint8Array, options: FireOptions = {}): FireResult {
    return this.get(name).fire(record, options);
  }
}
