/* Native form of bench/progs/calls.c. */
#include "bench.h"

static __attribute__((noinline)) uint64_t mix(uint64_t a, uint64_t b)
{
	a ^= b;
	a *= 0x9E3779B97F4A7C15ULL;
	return a ^ (a >> 29);
}

static __attribute__((noinline)) uint64_t gcd(uint64_t a, uint64_t b)
{
	for (int i = 0; i < 16 && b != 0; i++) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static __attribute__((noinline)) uint64_t step(uint64_t h, uint64_t i)
{
	return mix(h, i) + gcd(h | 1, (i * 7) | 1) + (h / (i + 3));
}

uint32_t bench_run(const uint8_t *data, const uint8_t *end)
{
	uint64_t h = (uint64_t)(end - data);
	for (uint64_t i = 0; i < 100; i++)
		h = step(h, i);
	return (uint32_t)(h ^ (h >> 32));
}
