/* Native form of bench/progs/trivial.c: a call through the driver's loop. */
#include "bench.h"

__attribute__((noinline)) uint32_t bench_run(const uint8_t *data, const uint8_t *end)
{
	(void)data;
	(void)end;
	return 2;
}
