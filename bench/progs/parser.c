/* A packet parser with bounds checks: Ethernet, up to two VLAN tags, IPv4 (with options) or IPv6, TCP or UDP; returns (protocol << 16) | destination port. */
#include "common.h"
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

SEC("xdp")
int parser(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return 0;
	__u16 proto = eth->h_proto;
	void *l3 = eth + 1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *v = l3;
		if ((void *)(v + 1) > end)
			return 0;
		proto = v->proto;
		l3 = v + 1;
	}
	__u8 l4proto;
	void *l4;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > end)
			return 0;
		if (ip->ihl < 5 || ip->version != 4)
			return 1;
		l4 = (__u8 *)ip + ip->ihl * 4;
		l4proto = ip->protocol;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > end)
			return 0;
		l4 = ip6 + 1;
		l4proto = ip6->nexthdr;
	} else {
		return 2;
	}
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > end)
			return 0;
		if (tcp->doff < 5)
			return 3;
		return (IPPROTO_TCP << 16) | bpf_ntohs(tcp->dest);
	}
	if (l4proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > end)
			return 0;
		return (IPPROTO_UDP << 16) | bpf_ntohs(udp->dest);
	}
	return 4;
}

char LICENSE[] SEC("license") = "GPL";
