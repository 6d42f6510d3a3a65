/**
 * @file The hook registry: a hook holds the programs attached to it, in
 * attach order, as links. `attach` returns the link; `detach` ends it;
 * `replace` swaps the link's program for another, as the kernel's
 * `BPF_LINK_UPDATE` does, without a moment where the hook has no program.
 *
 * ```
 *   hook ── links[0] ── program A (instance 1: maps, memory) + per-link context regions
 *        └─ links[1] ── program B (instance 2)
 *   dispatch(event): each hook kind lays the event out in each program's memory,
 *                    runs the programs in order and combines their results
 * ```
 *
 * Maps live in the program's `Instance`, not in the program: replacing a
 * program by name loads the new one into the same instance, so the maps keep
 * their contents. Each kind of hook (`packet.ts`, `filter.ts`,
 * `tracepoint.ts`, `probe.ts`) says which program types it takes, what it
 * sets up per link (context regions in the program's memory) and how it
 * combines results.
 */

import { progTypeName } from '../../abi/program-types.js';
import { fail } from '../../diag/index.js';
import type { ProgramSpec } from '../../elf/types.js';
import { loadProgram, type HookProgram } from './program.js';

/** The kinds of hook. */
export type HookKind = 'packet' | 'filter' | 'tracepoint' | 'probe';

/** One program attached to one hook. */
export class Link<S = unknown, O = unknown> {
  /** Whether the link still dispatches events. */
  attached = true;

  constructor(
    readonly hook: Hook<S, O>,
    /** The program that runs now (changes on `replace`). */
    public program: HookProgram,
    /** What the link was attached with. */
    readonly options: O,
    /** The hook's per-link state (context regions in the program's memory). */
    public state: S,
    /** Whether the link loaded `program` itself (and so disposes of it). */
    public owned: boolean,
  ) {}

  /** Stop running the program on this hook's events. */
  detach(): void { this.hook.detach(this); }

  /** Run another program in this link's place (see `Hook.replace`). */
  replace(program: HookProgram | ProgramSpec | string): void { this.hook.replace(this, program); }
}

/** A point programs attach to. */
export abstract class Hook<S = unknown, O = unknown> {
  abstract readonly kind: HookKind;
  /** Program types (`ProgType`) the hook runs. */
  protected abstract readonly programTypes: readonly number[];
  private readonly list: Link<S, O>[] = [];

  constructor(readonly name: string) {}

  /** Set up what one program needs to run here (context regions in its memory). */
  protected abstract setup(program: HookProgram, options: O): S;
  /** Release what `setup` took. */
  protected abstract teardown(program: HookProgram, state: S): void;
  /** Options of a link attached without any. */
  protected abstract defaults(): O;

  /** The attached links, in the order their programs run. */
  get links(): readonly Link<S, O>[] { return this.list; }

  /** Attach a program; it runs after those already attached. */
  attach(program: HookProgram, options?: O): Link<S, O> {
    this.check(program);
    const opts = options ?? this.defaults();
    const link = new Link<S, O>(this, program, opts, this.setup(program, opts), false);
    this.list.push(link);
    return link;
  }

  /** Detach a link: its program no longer runs here. Detaching twice does nothing. */
  detach(link: Link<S, O>): void {
    const i = this.list.indexOf(link);
    if (i < 0) return;
    this.list.splice(i, 1);
    link.attached = false;
    this.release(link);
  }

  /**
   * Replace a link's program, keeping its place in the order. A spec or a
   * function name is loaded into the link's current instance on the same
   * backend, so it runs against the same maps (their contents carry over);
   * a loaded program runs against its own instance.
   */
  replace(link: Link<S, O>, program: HookProgram | ProgramSpec | string): void {
    if (!link.attached || !this.list.includes(link)) {
      fail('HOOK_DETACHED', { program: link.program.spec.name, hook: this.describe() });
    }
    const owned = typeof program === 'string' || !('executable' in program);
    const next = owned ? loadProgram(link.program.instance, program, link.program.backend) : program;
    try {
      this.check(next);
    } catch (err) {
      if (owned) next.executable.dispose?.();
      throw err;
    }
    const state = this.setup(next, link.options);
    this.release(link);
    link.program = next;
    link.state = state;
    link.owned = owned;
  }

  /** `packet hook "eth0"`, for messages. */
  describe(): string { return `${this.kind} hook "${this.name}"`; }

  private release(link: Link<S, O>): void {
    this.teardown(link.program, link.state);
    if (link.owned) link.program.executable.dispose?.();
  }

  private check(program: HookProgram): void {
    if (!this.programTypes.includes(program.spec.type)) {
      fail('HOOK_PROG_TYPE', {
        program: program.spec.name, type: progTypeName(program.spec.type), hook: this.kind,
        expected: this.programTypes.map(progTypeName).join(' or '),
      });
    }
  }
}

/** Attach a program to a hook (`hook.attach`). */
export function attach<S, O>(hook: Hook<S, O>, program: HookProgram, options?: O): Link<S, O> {
  return hook.attach(program, options);
}

/** Detach a link (`link.detach`). */
export function detach<S, O>(link: Link<S, O>): void {
  link.detach();
}

/** Replace a link's program (`link.replace`). */
export function replace<S, O>(link: Link<S, O>, program: HookProgram | ProgramSpec | string): void {
  link.replace(program);
}
