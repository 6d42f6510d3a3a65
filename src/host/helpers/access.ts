/**
 * @file Checked access to the linear memory for helpers: a pointer argument
 * must name `size` bytes inside one region (writable ones for output
 * buffers). The verifier proves this for verified programs; for unverified
 * ones a bad pointer ends the run with `HOST_HELPER_FAULT` at the call's pc,
 * never a silent out-of-bounds access.
 */

import type { HelperEnv } from '../../abi/helper-env.js';
import { helperName } from '../../abi/helpers.js';
import { fail } from '../../diag/diagnostic.js';

/** The address of `size` bytes at pointer `ptr`, checked; faults with a diagnostic. */
export function at(env: HelperEnv, helper: number, ptr: bigint, size: number, write = false): number {
  const a = Number(ptr);
  if (size === 0) return a;
  const r = ptr < 0x100000000n ? env.memory.find(a, size) : undefined;
  if (r === undefined || (write && !r.writable)) {
    fail('HOST_HELPER_FAULT', { helper: helperName(helper), size, address: ptr.toString(16) }, { pc: env.pc });
  }
  return a;
}

/** Whether `size` bytes at `ptr` are readable (probe helpers return `-EFAULT` instead of faulting). */
export function readable(env: HelperEnv, ptr: bigint, size: number): boolean {
  return ptr < 0x100000000n && env.memory.find(Number(ptr), size) !== undefined;
}

/** The bytes at a checked pointer (a view: copy before the memory can grow). */
export function bytesAt(env: HelperEnv, helper: number, ptr: bigint, size: number): Uint8Array {
  const a = at(env, helper, ptr, size);
  return env.memory.bytes.subarray(a, a + size);
}

/** Negative errno as the unsigned 64-bit r0 a helper returns. */
export function errno(e: number): bigint {
  return BigInt.asUintN(64, BigInt(e));
}

/** Sign-extend a helper's 32-bit argument (`int`/`u32` arguments arrive zero- or sign-extended). */
export function s32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** A helper's `u32` argument. */
export function u32(v: bigint): number {
  return Number(v & 0xffffffffn);
}
