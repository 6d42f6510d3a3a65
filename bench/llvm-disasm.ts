/**
 * @file Counting the instructions of raw x86-64 machine code (a kernel JIT
 * image) with Debian's LLVM 14 tools: the bytes are wrapped in an ELF object
 * as the `.text` section (`llvm-objcopy -I binary -O elf64-x86-64
 * --rename-section .data=.text,code`) and disassembled with `llvm-objdump -d`.
 * Every listed instruction's offset and bytes are read back, so the caller
 * can check that the decoder consumed exactly the image, with nothing left
 * over and nothing it could not decode (`<unknown>`).
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Disassembler } from '../src/host/bench/code-quality.js';

/** Candidate names of a tool, the versioned one first. */
const names = (tool: string): string[] => [`${tool}-14`, tool];

/** The first of `candidates` that runs `--version`, or undefined. */
function findTool(candidates: readonly string[]): string | undefined {
  for (const c of candidates) {
    try {
      execFileSync(c, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
      return c;
    } catch { /* next */ }
  }
  return undefined;
}

/** One line of `llvm-objdump -d`: offset, then the bytes, a tab and the instruction text. */
const LINE = /^\s*([0-9a-f]+):\s([0-9a-f ]+)\t(.*)$/;

/** Prefixes `llvm-objdump` prints on a line of their own (`f0` as `lock`): part of the next instruction. */
const PREFIX = /^(lock|rep|repe|repz|repne|repnz|data16|data32|addr32|cs|ds|es|fs|gs|ss|notrack|xacquire|xrelease)$/;

/**
 * Parse `llvm-objdump -d` output: the instructions and the bytes they cover,
 * from offset 0 up to the first gap or the first byte it could not decode.
 * A prefix listed on its own line counts with the instruction it prefixes.
 */
export function parseObjdump(text: string): { insns: number; decodedBytes: number } {
  let insns = 0;
  let next = 0;
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m === null) continue;
    const at = parseInt(m[1]!, 16);
    if (at !== next || m[3]!.trim() === '<unknown>' || m[3]!.trim() === '') break;
    if (!PREFIX.test(m[3]!.trim())) insns++;
    next = at + m[2]!.trim().split(/ +/).length;
  }
  return { insns, decodedBytes: next };
}

/** The LLVM 14 disassembler of x86-64 images, or why it is unavailable. */
export function llvmX86Disassembler(): Disassembler | string {
  const objcopy = findTool(names('llvm-objcopy'));
  const objdump = findTool(names('llvm-objdump'));
  if (objcopy === undefined || objdump === undefined) return `${objcopy === undefined ? 'llvm-objcopy' : 'llvm-objdump'} not found`;
  return {
    name: `${objdump} -d (raw bytes wrapped as .text by ${objcopy} -I binary -O elf64-x86-64)`,
    disassemble(code) {
      const dir = mkdtempSync(join(tmpdir(), 'ebpf2wasm-jit-'));
      try {
        const bin = join(dir, 'image.bin');
        const obj = join(dir, 'image.o');
        writeFileSync(bin, code);
        execFileSync(objcopy, ['-I', 'binary', '-O', 'elf64-x86-64', '--rename-section', '.data=.text,code', bin, obj]);
        return parseObjdump(execFileSync(objdump, ['-d', obj], { encoding: 'utf8', maxBuffer: 64 << 20 }));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
