/** @file Batched calls to llvm-mc for the AArch64 tests (assemble text, read back words and llvm's own text). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The llvm-mc command found on this machine, if any. */
export const LLVM_MC: string | undefined = ['llvm-mc', 'llvm-mc-14'].find(
  (c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);

/** One assembled line: the word (hex, most significant first) and llvm's printed text. */
export interface Assembled { readonly hex: string; readonly text: string }

/**
 * Assemble lines of AArch64 text in one llvm-mc run; throws with llvm-mc's
 * message when a line does not assemble.
 */
export function assemble(lines: readonly string[]): Assembled[] {
  if (LLVM_MC === undefined) throw new Error('llvm-mc is not installed');
  const r = spawnSync(LLVM_MC, ['-triple=aarch64', '-mattr=+lse', '--show-encoding'],
    { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`llvm-mc failed: ${r.stderr.split('\n').slice(0, 6).join('\n')}`);
  return r.stdout.split('\n').filter((l) => l.includes('encoding: [')).map((l) => {
    const bytes = /encoding: \[([^\]]*)\]/.exec(l)![1]!.split(',');
    return {
      hex: bytes.reverse().map((b) => b.trim().slice(2).padStart(2, '0')).join(''),
      text: l.trim().split('//')[0]!.trim().replace(/\s+/g, ' '),
    };
  });
}

/** The llvm-objcopy command found on this machine, if any. */
export const LLVM_OBJCOPY: string | undefined = ['llvm-objcopy', 'llvm-objcopy-14'].find(
  (c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);

/**
 * Assemble a listing (labels allowed) to an object file and return its
 * `.text` bytes, with branches to labels resolved by the assembler.
 */
export function assembleToBytes(text: string): Uint8Array {
  if (LLVM_MC === undefined || LLVM_OBJCOPY === undefined) throw new Error('llvm-mc or llvm-objcopy is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'arm64-mc-'));
  try {
    const obj = join(dir, 'a.o'), bin = join(dir, 'a.bin');
    const r = spawnSync(LLVM_MC, ['-triple=aarch64', '-mattr=+lse', '-filetype=obj', '-o', obj], { input: text, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`llvm-mc failed: ${r.stderr.split('\n').slice(0, 6).join('\n')}`);
    const c = spawnSync(LLVM_OBJCOPY, ['-O', 'binary', '--only-section=.text', obj, bin], { encoding: 'utf8' });
    if (c.status !== 0) throw new Error(`llvm-objcopy failed: ${c.stderr}`);
    return new Uint8Array(readFileSync(bin));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Disassemble words with llvm-mc, one entry per word: llvm's text (comments
 * dropped), or '' when llvm rejects the word. Words are separated by NOPs in
 * the input so that rejected words (reported on stderr only) keep the
 * alignment; a word must not itself be a NOP.
 */
export function disassemble(words: readonly number[]): string[] {
  if (LLVM_MC === undefined) throw new Error('llvm-mc is not installed');
  const NOP = 0xd503201f;
  const bytes = (w: number): string => [0, 8, 16, 24].map((s) => `0x${((w >>> s) & 0xff).toString(16)}`).join(' ');
  const input = words.map((w) => `${bytes(w)}\n${bytes(NOP)}`).join('\n') + '\n';
  const r = spawnSync(LLVM_MC, ['--disassemble', '-triple=aarch64', '-mattr=+lse'], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  const out: string[] = [''];
  for (const line of r.stdout.split('\n')) {
    const t = line.split('//')[0]!.trim().replace(/\s+/g, ' ');
    if (t === '' || t.startsWith('.text')) continue;
    if (t === 'nop') out.push(''); else out[out.length - 1] = out[out.length - 1] === '' ? t : `${out[out.length - 1]} | ${t}`;
  }
  return out.slice(0, words.length);
}
