/**
 * @file What a pass may know beyond its function: the program's maps (by
 * the map index `map_addr` names), whether the verifier accepted it, and
 * choices that depend on the target. Passes that need none of these ignore it.
 */

/** The parts of a map definition passes use. */
export interface MapShape {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}

/** Context shared by every pass of one pipeline run. */
export interface PassContext {
  /** The object's maps by index; absent: nothing is known about them. */
  readonly maps?: readonly MapShape[];
  /** The verifier accepted the program: helper arguments are proven valid. */
  readonly verified?: boolean;
  /**
   * Unroll small innermost loops by this factor (`unroll-loops`); absent or
   * below 2: no unrolling. The WebAssembly backend asks for 4: V8 checks its
   * stack guard on every back edge of a loop.
   */
  readonly unroll?: number;
}
