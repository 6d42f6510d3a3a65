/* The native form of a benchmark program: the same logic as bench/progs/NAME.c over [data, end). */
#ifndef BENCH_NATIVE_H
#define BENCH_NATIVE_H
#include <stdint.h>
uint32_t bench_run(const uint8_t *data, const uint8_t *end);
#endif
