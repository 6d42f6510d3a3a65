/*
 * Runs x86-64 code bytes on the real CPU, for the differential test against the
 * emulator (test/emit-native-x86/native.test.ts).
 *
 * stdin:  u32 count, then per case:
 *           u32 code_len, code[code_len], u64 regs[16] (rax..r15 in hardware order),
 *           u64 rflags, u8 mem[MEM_SIZE]
 * stdout: per case: u64 regs[16], u64 rflags, u8 mem[MEM_SIZE]
 *
 * The code is placed at CODE_ADDR and the memory block at MEM_ADDR, the same
 * addresses the emulator uses, so address arithmetic (lea, rip-relative) agrees.
 * Every register, rsp included, and the flags are loaded from the case; the
 * code runs to its end, where a `jmp *0(%rip)` appended here leads back to
 * x86h_landing, which stores every register and the flags. A fault prints the
 * case number to stderr and exits with status 3.
 *
 * Build: gcc -O1 -o harness harness.c
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CODE_ADDR 0x200000000ULL
#define CODE_SIZE (1u << 20)
#define MEM_ADDR 0x10000ULL
#define MEM_SIZE 1024u

extern void x86h_enter(uint64_t *in, uint64_t *out, void *code);
extern char x86h_landing[];

__asm__(
    ".data\n"
    "x86h_saved_rsp: .quad 0\n"
    "x86h_out: .quad 0\n"
    "x86h_code: .quad 0\n"
    "x86h_tmp: .quad 0\n"
    ".text\n"
    ".globl x86h_enter\n"
    "x86h_enter:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  mov %rsp, x86h_saved_rsp(%rip)\n"
    "  mov %rsi, x86h_out(%rip)\n"
    "  mov %rdx, x86h_code(%rip)\n"
    "  pushq 128(%rdi)\n"
    "  popfq\n"
    "  mov 0(%rdi), %rax\n  mov 8(%rdi), %rcx\n  mov 16(%rdi), %rdx\n  mov 24(%rdi), %rbx\n"
    "  mov 32(%rdi), %rsp\n  mov 40(%rdi), %rbp\n  mov 48(%rdi), %rsi\n"
    "  mov 64(%rdi), %r8\n  mov 72(%rdi), %r9\n  mov 80(%rdi), %r10\n  mov 88(%rdi), %r11\n"
    "  mov 96(%rdi), %r12\n  mov 104(%rdi), %r13\n  mov 112(%rdi), %r14\n  mov 120(%rdi), %r15\n"
    "  mov 56(%rdi), %rdi\n"
    "  jmp *x86h_code(%rip)\n"
    ".globl x86h_landing\n"
    "x86h_landing:\n"
    "  mov %rax, x86h_tmp(%rip)\n"
    "  mov x86h_out(%rip), %rax\n"
    "  mov %rcx, 8(%rax)\n  mov %rdx, 16(%rax)\n  mov %rbx, 24(%rax)\n  mov %rsp, 32(%rax)\n"
    "  mov %rbp, 40(%rax)\n  mov %rsi, 48(%rax)\n  mov %rdi, 56(%rax)\n"
    "  mov %r8, 64(%rax)\n  mov %r9, 72(%rax)\n  mov %r10, 80(%rax)\n  mov %r11, 88(%rax)\n"
    "  mov %r12, 96(%rax)\n  mov %r13, 104(%rax)\n  mov %r14, 112(%rax)\n  mov %r15, 120(%rax)\n"
    "  mov x86h_tmp(%rip), %rcx\n  mov %rcx, 0(%rax)\n"
    "  mov x86h_saved_rsp(%rip), %rsp\n"
    "  pushfq\n  pop %rcx\n  mov %rcx, 128(%rax)\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n");

static volatile uint32_t current_case;

static void on_fault(int sig) {
  char msg[80];
  int n = snprintf(msg, sizeof msg, "harness: signal %d in case %u\n", sig, current_case);
  (void)!write(2, msg, (size_t)n);
  _exit(3);
}

static void read_all(void *buf, size_t n) {
  if (fread(buf, 1, n, stdin) != n) {
    fprintf(stderr, "harness: short input\n");
    exit(2);
  }
}

int main(void) {
  uint8_t *code = mmap((void *)CODE_ADDR, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  uint8_t *mem = mmap((void *)MEM_ADDR, MEM_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (code != (uint8_t *)CODE_ADDR || mem != (uint8_t *)MEM_ADDR) {
    perror("harness: mmap");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fault;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
  sigaction(SIGTRAP, &sa, NULL);

  uint32_t count;
  read_all(&count, 4);
  for (uint32_t i = 0; i < count; i++) {
    uint32_t len;
    uint64_t in[17], out[17];
    current_case = i;
    read_all(&len, 4);
    if (len + 14 > CODE_SIZE) {
      fprintf(stderr, "harness: code too long\n");
      return 2;
    }
    read_all(code, len);
    /* jmp *0(%rip); .quad x86h_landing */
    uint64_t landing = (uint64_t)(uintptr_t)x86h_landing;
    code[len] = 0xff;
    code[len + 1] = 0x25;
    memset(code + len + 2, 0, 4);
    memcpy(code + len + 6, &landing, 8);
    read_all(in, sizeof in);
    read_all(mem, MEM_SIZE);
    __builtin___clear_cache((char *)code, (char *)code + len + 14);
    x86h_enter(in, out, code);
    fwrite(out, sizeof out, 1, stdout);
    fwrite(mem, MEM_SIZE, 1, stdout);
  }
  return 0;
}
