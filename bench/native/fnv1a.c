/* Native form of the fnv1a program of bench/progs/hash.c. */
#include "bench.h"

uint32_t bench_run(const uint8_t *data, const uint8_t *end)
{
	const uint8_t *p = data;
	uint32_t h = 2166136261u;
	for (int i = 0; i < 3000; i++) {
		if (p + 1 > end)
			break;
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}
