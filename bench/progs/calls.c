/* bpf-to-bpf calls doing 64-bit arithmetic: a mixing function, a multiply-shift hash and a bounded gcd, called in a loop seeded from the packet length. */
#include "common.h"

static __attribute__((noinline)) __u64 mix(__u64 a, __u64 b)
{
	a ^= b;
	a *= 0x9E3779B97F4A7C15ULL;
	return a ^ (a >> 29);
}

static __attribute__((noinline)) __u64 gcd(__u64 a, __u64 b)
{
	for (int i = 0; i < 16 && b != 0; i++) {
		__u64 t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static __attribute__((noinline)) __u64 step(__u64 h, __u64 i)
{
	return mix(h, i) + gcd(h | 1, (i * 7) | 1) + (h / (i + 3));
}

SEC("xdp")
int calls(struct xdp_md *ctx)
{
	__u64 h = ctx->data_end - ctx->data;
	for (__u64 i = 0; i < 100; i++)
		h = step(h, i);
	return (__u32)(h ^ (h >> 32));
}

char LICENSE[] SEC("license") = "GPL";
