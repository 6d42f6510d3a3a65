/* Native form of bench/progs/parser.c (header layouts written out; network byte order read explicitly). */
#include "bench.h"

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

uint32_t bench_run(const uint8_t *data, const uint8_t *end)
{
	if (data + 14 > end)
		return 0;
	uint16_t proto = be16(data + 12);
	const uint8_t *l3 = data + 14;
	for (int i = 0; i < 2; i++) {
		if (proto != 0x8100 && proto != 0x88a8)
			break;
		if (l3 + 4 > end)
			return 0;
		proto = be16(l3 + 2);
		l3 += 4;
	}
	uint8_t l4proto;
	const uint8_t *l4;
	if (proto == 0x0800) {
		if (l3 + 20 > end)
			return 0;
		unsigned ihl = l3[0] & 15, version = l3[0] >> 4;
		if (ihl < 5 || version != 4)
			return 1;
		l4 = l3 + ihl * 4;
		l4proto = l3[9];
	} else if (proto == 0x86dd) {
		if (l3 + 40 > end)
			return 0;
		l4 = l3 + 40;
		l4proto = l3[6];
	} else {
		return 2;
	}
	if (l4proto == 6) {
		if (l4 + 20 > end)
			return 0;
		if ((l4[12] >> 4) < 5)
			return 3;
		return (6u << 16) | be16(l4 + 2);
	}
	if (l4proto == 17) {
		if (l4 + 8 > end)
			return 0;
		return (17u << 16) | be16(l4 + 2);
	}
	return 4;
}
