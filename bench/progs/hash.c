/* Hashes over the packet bytes: FNV-1a (one byte at a time) and Bob Jenkins' lookup3 jhash (12 bytes at a time). */
#include "common.h"

SEC("xdp")
int fnv1a(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 h = 2166136261u;
	for (int i = 0; i < 3000; i++) {
		if ((void *)(p + 1) > end)
			break;
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

#define rol32(x, k) (((x) << (k)) | ((x) >> (32 - (k))))
#define jmix(a, b, c) { \
	a -= c; a ^= rol32(c, 4); c += b; b -= a; b ^= rol32(a, 6); a += c; \
	c -= b; c ^= rol32(b, 8); b += a; a -= c; a ^= rol32(c, 16); c += b; \
	b -= a; b ^= rol32(a, 19); a += c; c -= b; c ^= rol32(b, 4); b += a; }
#define jfinal(a, b, c) { \
	c ^= b; c -= rol32(b, 14); a ^= c; a -= rol32(c, 11); b ^= a; b -= rol32(a, 25); \
	c ^= b; c -= rol32(b, 16); a ^= c; a -= rol32(c, 4); b ^= a; b -= rol32(a, 14); \
	c ^= b; c -= rol32(b, 24); }

SEC("xdp")
int jhash(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 len = (__u32)(end - (void *)p);
	__u32 a, b, c;
	a = b = c = 0xdeadbeef + len;
	for (int i = 0; i < 300; i++) {
		if ((void *)(p + 24) > end)
			break;
		a += *(__u32 *)p;
		b += *(__u32 *)(p + 4);
		c += *(__u32 *)(p + 8);
		jmix(a, b, c);
		p += 12;
	}
	if ((void *)(p + 12) <= end) {
		a += *(__u32 *)p;
		b += *(__u32 *)(p + 4);
		c += *(__u32 *)(p + 8);
		jfinal(a, b, c);
	}
	return c;
}

char LICENSE[] SEC("license") = "GPL";
