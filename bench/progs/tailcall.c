/* Tail calls: a packet pipeline in three programs chained through a program
 * array (Ethernet, then IPv4, then the transport header); returns
 * (protocol << 16) | destination port, or the stage that gave up. */
#include "common.h"
#include <linux/ip.h>
#include <linux/udp.h>

int stage_ip(struct xdp_md *ctx);
int stage_l4(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} stages SEC(".maps") = {
	.values = { [0] = (void *)&stage_ip, [1] = (void *)&stage_l4 },
};

SEC("xdp")
int stage_l4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > end)
		return 0;
	/* TCP and UDP both start with the ports */
	struct udphdr *l4 = (void *)ip + ip->ihl * 4;
	if ((void *)(l4 + 1) > end)
		return 0;
	return (ip->protocol << 16) | bpf_ntohs(l4->dest);
}

SEC("xdp")
int stage_ip(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > end)
		return 0;
	if (ip->version != 4 || ip->ihl < 5)
		return 1;
	if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP)
		bpf_tail_call(ctx, &stages, 1);
	return 2;
}

SEC("xdp")
int tailcall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(ctx, &stages, 0);
	return 3;
}

char LICENSE[] SEC("license") = "GPL";
