/*
 * Ring buffer output: a 16-byte record per IPv4 packet (addresses, length,
 * protocol, TTL, sequence number) reserved in a 1 MiB ring and submitted
 * without waking the consumer. When the ring is full the record is dropped
 * and counted; the benchmark empties the ring between batches, so it never
 * fills. Returns (total length << 8) | protocol, whether or not the record fit.
 */
#include "common.h"
#include <linux/ip.h>

struct event {
	__u32 saddr;
	__u32 daddr;
	__u16 len;
	__u8 proto;
	__u8 ttl;
	__u32 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

__u64 sent;
__u64 dropped;

SEC("xdp")
int ringbuf(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	__u32 len = bpf_ntohs(ip->tot_len);
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		dropped++;
		return (len << 8) | ip->protocol;
	}
	e->saddr = ip->saddr;
	e->daddr = ip->daddr;
	e->len = len;
	e->proto = ip->protocol;
	e->ttl = ip->ttl;
	e->seq = sent++;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return (len << 8) | ip->protocol;
}

char LICENSE[] SEC("license") = "GPL";
