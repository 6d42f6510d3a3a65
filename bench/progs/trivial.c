/* The smallest program: the per-call overhead of a backend. */
#include "common.h"

SEC("xdp")
int trivial(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
