/**
 * @file `bpf_tail_call(ctx, prog_array, index)` (helper 12): replace the
 * running program by the one in slot `index` of a program array, with the
 * same context and a fresh stack; the caller never resumes.
 *
 * The helper cannot transfer control itself — each backend runs programs its
 * own way. A backend that can end the program where it stands (compiled
 * WebAssembly returns from every frame when the module's tail flag is set)
 * takes the target through `HelperEnv.tailCall` and reports it in its
 * `Execution`; on the others a successful tail call throws a `TailCall`
 * naming the target, which unwinds the caller (interpreter loop, emulated
 * CPU). Either way the host's run loop (`src/host/backend.ts`) loads the
 * target on the same backend and runs it. A call that cannot be made returns and
 * the caller goes on, as in the kernel (`bpf_tail_call` in
 * kernel/bpf/core.c `___bpf_prog_run`, `JMP_TAIL_CALL`): an index past
 * `max_entries`, an empty slot, or the 34th tail call of one run
 * (`MAX_TAIL_CALL_CNT` = 33). The kernel leaves r0 as it was then; here the
 * helper returns `-ENOENT` (the verifier treats r0 as unknown after the call
 * either way).
 */

import type { HelperEnv, HelperFn } from '../../abi/helper-env.js';
import { FdArrayMap } from '../maps/fd-maps.js';
import { ENOENT } from '../maps/errno.js';
import { MapType } from '../../abi/map-types.js';
import { errno } from './access.js';
import type { HelperHost } from './host.js';

/** `MAX_TAIL_CALL_CNT` (include/linux/bpf.h). */
export const MAX_TAIL_CALLS = 33;

/** Helper id of `bpf_tail_call`. */
export const TAIL_CALL = 12;

/** Thrown by a successful `bpf_tail_call`: the run goes on with `target`. */
export class TailCall {
  constructor(readonly target: unknown) {}
}

/** Tail calls made so far in the current run (the run loop resets it). */
export interface TailCallCounter {
  count: number;
}

/** The tail-call helper over `counter`. */
export function tailCallHelpers(host: HelperHost, counter: TailCallCounter): Map<number, HelperFn> {
  const fail = errno(-ENOENT);
  const tailCall: HelperFn = (env: HelperEnv, _ctx, r2, r3) => {
    const m = host.map(r2);
    if (!(m instanceof FdArrayMap) || m.spec.type !== MapType.PROG_ARRAY) return fail;
    const index = Number(BigInt.asUintN(32, r3));
    const target = m.get(index);
    if (target === undefined || counter.count >= MAX_TAIL_CALLS) return fail;
    counter.count++;
    if (env.tailCall === undefined) throw new TailCall(target);
    env.tailCall(target);
    return 0n;
  };
  return new Map([[TAIL_CALL, tailCall]]);
}
