/* Native form of bench/progs/checksum.c. */
#include <string.h>
#include "bench.h"

uint32_t bench_run(const uint8_t *data, const uint8_t *end)
{
	const uint8_t *p = data;
	uint64_t sum = 0;
	for (int i = 0; i < 1800; i++) {
		if (p + 2 > end)
			break;
		uint16_t w;
		memcpy(&w, p, 2);
		sum += w;
		p += 2;
	}
	if (p + 1 <= end)
		sum += *p;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
