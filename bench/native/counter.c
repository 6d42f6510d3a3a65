/* Native form of bench/progs/counter.c: one CPU's slot of the counters. */
#include "bench.h"

struct stats {
	uint64_t packets;
	uint64_t bytes;
};

static struct stats counters[1];

uint32_t bench_run(const uint8_t *data, const uint8_t *end)
{
	struct stats *s = &counters[0];
	__asm__ volatile("" : "+r"(s));
	s->packets++;
	s->bytes += (uint64_t)(end - data);
	return 2;
}
