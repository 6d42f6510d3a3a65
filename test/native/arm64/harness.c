/*
 * @file Runs AArch64 code bytes on a real (or qemu-emulated) CPU, for the
 * differential test against the TypeScript emulator.
 *
 * Usage: harness INPUT. INPUT is little-endian binary:
 *   header:   u32 magic 0x48343641 ("A64H"), u32 cases, u32 memory size,
 *             u32 base register (its initial value is an offset into the block)
 *   per case: u32 words, u32 code[words], u64 x[29] (X0..X28), u64 nzcv (4 bits),
 *             u8 memory[memory size]
 * For each case it copies the code into an executable mapping, the memory
 * into a read/write block, loads X0..X28 and NZCV, calls the code (which
 * must not touch X29, X30 or SP and must end with RET), and prints one line:
 *   X0..X28 (the base register as an offset into the block again) and NZCV
 *   in hex, then the memory block in hex.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct state {
  uint64_t x[29];
  uint64_t nzcv; /* offset 232: NZCV in bits 31..28 */
  void *code;    /* offset 240 */
};

void run_case(struct state *s);

/* Load X0..X28 and NZCV from the state, call the code, store them back. */
__asm__(
  ".text\n"
  ".global run_case\n"
  "run_case:\n"
  "  stp x29, x30, [sp, #-96]!\n"
  "  stp x19, x20, [sp, #16]\n"
  "  stp x21, x22, [sp, #32]\n"
  "  stp x23, x24, [sp, #48]\n"
  "  stp x25, x26, [sp, #64]\n"
  "  stp x27, x28, [sp, #80]\n"
  "  mov x29, x0\n"
  "  ldr x0, [x29, #232]\n"
  "  msr nzcv, x0\n"
  "  ldr x30, [x29, #240]\n"
  "  ldp x0, x1, [x29, #0]\n"
  "  ldp x2, x3, [x29, #16]\n"
  "  ldp x4, x5, [x29, #32]\n"
  "  ldp x6, x7, [x29, #48]\n"
  "  ldp x8, x9, [x29, #64]\n"
  "  ldp x10, x11, [x29, #80]\n"
  "  ldp x12, x13, [x29, #96]\n"
  "  ldp x14, x15, [x29, #112]\n"
  "  ldp x16, x17, [x29, #128]\n"
  "  ldp x18, x19, [x29, #144]\n"
  "  ldp x20, x21, [x29, #160]\n"
  "  ldp x22, x23, [x29, #176]\n"
  "  ldp x24, x25, [x29, #192]\n"
  "  ldp x26, x27, [x29, #208]\n"
  "  ldr x28, [x29, #224]\n"
  "  blr x30\n"
  "  stp x0, x1, [x29, #0]\n"
  "  stp x2, x3, [x29, #16]\n"
  "  stp x4, x5, [x29, #32]\n"
  "  stp x6, x7, [x29, #48]\n"
  "  stp x8, x9, [x29, #64]\n"
  "  stp x10, x11, [x29, #80]\n"
  "  stp x12, x13, [x29, #96]\n"
  "  stp x14, x15, [x29, #112]\n"
  "  stp x16, x17, [x29, #128]\n"
  "  stp x18, x19, [x29, #144]\n"
  "  stp x20, x21, [x29, #160]\n"
  "  stp x22, x23, [x29, #176]\n"
  "  stp x24, x25, [x29, #192]\n"
  "  stp x26, x27, [x29, #208]\n"
  "  str x28, [x29, #224]\n"
  "  mrs x0, nzcv\n"
  "  str x0, [x29, #232]\n"
  "  ldp x19, x20, [sp, #16]\n"
  "  ldp x21, x22, [sp, #32]\n"
  "  ldp x23, x24, [sp, #48]\n"
  "  ldp x25, x26, [sp, #64]\n"
  "  ldp x27, x28, [sp, #80]\n"
  "  ldp x29, x30, [sp], #96\n"
  "  ret\n");

static void need(FILE *f, void *p, size_t n) {
  if (fread(p, 1, n, f) != n) { fprintf(stderr, "harness: truncated input\n"); exit(2); }
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: harness INPUT\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 2; }
  uint32_t hdr[4];
  need(f, hdr, sizeof hdr);
  if (hdr[0] != 0x48343641u) { fprintf(stderr, "harness: bad magic\n"); return 2; }
  uint32_t cases = hdr[1], memsize = hdr[2], base = hdr[3];
  const size_t code_cap = 1 << 20;
  uint32_t *code = mmap(NULL, code_cap, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint8_t *mem = mmap(NULL, memsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED || mem == MAP_FAILED) { perror("mmap"); return 2; }
  for (uint32_t c = 0; c < cases; c++) {
    uint32_t words;
    need(f, &words, 4);
    if ((size_t)words * 4 > code_cap) { fprintf(stderr, "harness: code too long\n"); return 2; }
    need(f, code, (size_t)words * 4);
    __builtin___clear_cache((char *)code, (char *)(code + words));
    struct state s;
    need(f, s.x, sizeof s.x);
    need(f, &s.nzcv, 8);
    s.nzcv <<= 28;
    need(f, mem, memsize);
    s.x[base] += (uint64_t)(uintptr_t)mem;
    s.code = code;
    run_case(&s);
    s.x[base] -= (uint64_t)(uintptr_t)mem;
    for (int k = 0; k < 29; k++) printf("%llx ", (unsigned long long)s.x[k]);
    printf("%llx ", (unsigned long long)((s.nzcv >> 28) & 15));
    for (uint32_t k = 0; k < memsize; k++) printf("%02x", mem[k]);
    printf("\n");
  }
  return 0;
}
