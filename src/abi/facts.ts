/**
 * @file What the verifier proves, as the compiler consumes it: per
 * instruction, the register kinds and offset ranges joined over every path
 * that reaches it, and whether its memory access was proven in bounds.
 */

/** Kinds of values a register can hold, as the compiler cares about them. */
export type FactKind =
  | 'uninit' | 'scalar' | 'ctx' | 'stack' | 'packet' | 'packet_end' | 'packet_meta'
  | 'map_value' | 'map_value_or_null' | 'map_ptr' | 'mem' | 'mem_or_null' | 'func' | 'sock' | 'mixed';

/** What is known of one register before an instruction runs. */
export interface RegFact {
  readonly kind: FactKind;
  /**
   * Scalars: the unsigned value range. Pointers: the offset range from the
   * start of the pointed-to object (fixed + variable offset).
   */
  readonly min: bigint;
  readonly max: bigint;
  /** Map index for map pointers and map values. */
  readonly map?: number;
}

/** How a load or store was proven safe. */
export interface AccessFact {
  /** Region kind every path accesses (`mixed` when paths disagree). */
  readonly region: FactKind;
  /** The access stays in bounds on every path (the compiler may drop its check). */
  readonly inBounds: boolean;
}

/** Facts at one instruction (before it runs). */
export interface InsnFacts {
  /** Per register r0..r10. */
  readonly regs: readonly RegFact[];
  /** Loads, stores and atomics only. */
  readonly access?: AccessFact;
}

/** Facts for a whole program: index = instruction slot (pc); unreached instructions are undefined. */
export interface ProgramFacts {
  readonly insns: readonly (InsnFacts | undefined)[];
}

/** Join two register facts: the least fact true of both. */
export function joinRegFact(a: RegFact, b: RegFact): RegFact {
  if (a.kind !== b.kind || a.map !== b.map) return { kind: 'mixed', min: 0n, max: 0xffff_ffff_ffff_ffffn };
  return { kind: a.kind, min: a.min < b.min ? a.min : b.min, max: a.max > b.max ? a.max : b.max, ...(a.map !== undefined ? { map: a.map } : {}) };
}
