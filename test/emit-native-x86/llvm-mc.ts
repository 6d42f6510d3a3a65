/** @file Run llvm-mc once over many lines of x86-64 assembly and recover each line's bytes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The llvm-mc executable, or undefined when none is installed. */
export function findLlvmMc(): string | undefined {
  for (const cmd of ['llvm-mc', 'llvm-mc-14', 'llvm-mc-15', 'llvm-mc-16', 'llvm-mc-17', 'llvm-mc-18']) {
    const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return cmd;
  }
  return undefined;
}

/** Result of assembling: bytes per input line, and llvm-mc's error lines (with 1-based line numbers). */
export interface Assembled {
  readonly bytes: number[][];
  readonly errors: { line: number; message: string }[];
}

/**
 * Assemble `lines` (one instruction each) with `llvm-mc --show-encoding` in
 * one process. PC-relative fixups (`.+N` targets) are resolved from the
 * fixup lines llvm-mc prints: value `(.LtmpK+N)-S` at field offset `o` means
 * the field holds `N - S - o`.
 */
export function assemble(llvmMc: string, lines: readonly string[]): Assembled {
  const r = spawnSync(llvmMc, ['-triple=x86_64', '--show-encoding'], {
    input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28,
  });
  const errors: { line: number; message: string }[] = [];
  for (const m of r.stderr.matchAll(/<stdin>:(\d+):\d+: error: (.*)/g)) errors.push({ line: Number(m[1]), message: m[2]! });
  const bytes: number[][] = [];
  let fixupBase: (number | 'A')[] | undefined;
  const flush = (): void => {
    if (fixupBase !== undefined) bytes.push(fixupBase.map((b) => (b === 'A' ? -1 : b)));
    fixupBase = undefined;
  };
  for (const line of r.stdout.split('\n')) {
    const enc = /# encoding: \[([^\]]*)\]/.exec(line);
    if (enc) {
      flush();
      fixupBase = enc[1]!.split(',').map((x) => (x === 'A' ? 'A' : parseInt(x, 16)));
      continue;
    }
    const fx = /fixup A - offset: (\d+), value: \(?\.Ltmp\d+(?:([+-]\d+)\))?-(\d+), kind: FK_PCRel_(\d)/.exec(line);
    if (fx && fixupBase !== undefined) {
      const offset = Number(fx[1]);
      const value = Number(fx[2] ?? 0) - Number(fx[3]) - offset;
      const n = Number(fx[4]);
      for (let i = 0; i < n; i++) fixupBase[offset + i] = (n === 4 ? value >>> (8 * i) : value >> (8 * i)) & 0xff;
    }
  }
  flush();
  return { bytes, errors };
}

/** Hex string of bytes, lower-case, no separators. */
export function hex(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 0 ? '??' : bytes[i]!.toString(16).padStart(2, '0'));
  return s;
}

/**
 * Assemble a whole source with labels into an object and return its .text
 * bytes (llvm-mc, then llvm-objcopy), or llvm-mc's error text.
 */
export function assembleText(llvmMc: string, source: string): Uint8Array | string {
  const dir = mkdtempSync(join(tmpdir(), 'x86-mc-'));
  const obj = join(dir, 'out.o'), bin = join(dir, 'out.bin');
  const r = spawnSync(llvmMc, ['-triple=x86_64', '-filetype=obj', '-o', obj], { input: source, encoding: 'utf8' });
  if (r.status !== 0) return r.stderr;
  const objcopy = llvmMc.replace('llvm-mc', 'llvm-objcopy');
  const c = spawnSync(objcopy, ['-O', 'binary', '--only-section=.text', obj, bin], { encoding: 'utf8' });
  if (c.status !== 0) return c.stderr;
  return new Uint8Array(readFileSync(bin));
}
