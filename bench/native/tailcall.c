/* Native form of bench/progs/tailcall.c: the three stages as plain calls. */
#include "bench.h"

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t stage_l4(const uint8_t *data, const uint8_t *end)
{
	const uint8_t *ip = data + 14;
	if (ip + 20 > end)
		return 0;
	const uint8_t *l4 = ip + (ip[0] & 15) * 4;
	if (l4 + 8 > end)
		return 0;
	return ((uint32_t)ip[9] << 16) | be16(l4 + 2);
}

static uint32_t stage_ip(const uint8_t *data, const uint8_t *end)
{
	const uint8_t *ip = data + 14;
	if (ip + 20 > end)
		return 0;
	if ((ip[0] >> 4) != 4 || (ip[0] & 15) < 5)
		return 1;
	if (ip[9] == 6 || ip[9] == 17)
		return stage_l4(data, end);
	return 2;
}

__attribute__((noinline)) uint32_t bench_run(const uint8_t *data, const uint8_t *end)
{
	if (data + 14 > end)
		return 0;
	if (be16(data + 12) == 0x0800)
		return stage_ip(data, end);
	return 3;
}
