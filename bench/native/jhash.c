/* Native form of the jhash program of bench/progs/hash.c. */
#include <string.h>
#include "bench.h"

#define rol32(x, k) (((x) << (k)) | ((x) >> (32 - (k))))
#define jmix(a, b, c) { \
	a -= c; a ^= rol32(c, 4); c += b; b -= a; b ^= rol32(a, 6); a += c; \
	c -= b; c ^= rol32(b, 8); b += a; a -= c; a ^= rol32(c, 16); c += b; \
	b -= a; b ^= rol32(a, 19); a += c; c -= b; c ^= rol32(b, 4); b += a; }
#define jfinal(a, b, c) { \
	c ^= b; c -= rol32(b, 14); a ^= c; a -= rol32(c, 11); b ^= a; b -= rol32(a, 25); \
	c ^= b; c -= rol32(b, 16); a ^= c; a -= rol32(c, 4); b ^= a; b -= rol32(a, 14); \
	c ^= b; c -= rol32(b, 24); }

static uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

uint32_t bench_run(const uint8_t *data, const uint8_t *end)
{
	const uint8_t *p = data;
	uint32_t len = (uint32_t)(end - p);
	uint32_t a, b, c;
	a = b = c = 0xdeadbeef + len;
	for (int i = 0; i < 300; i++) {
		if (p + 24 > end)
			break;
		a += ld32(p); b += ld32(p + 4); c += ld32(p + 8);
		jmix(a, b, c);
		p += 12;
	}
	if (p + 12 <= end) {
		a += ld32(p); b += ld32(p + 4); c += ld32(p + 8);
		jfinal(a, b, c);
	}
	return c;
}
