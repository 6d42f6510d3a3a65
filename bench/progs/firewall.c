/* A firewall: exact source addresses in a hash map, destination prefixes in an LPM trie, per-rule hit counts in the map values. */
#include "common.h"
#include <linux/ip.h>

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} blocked_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} dst_rules SEC(".maps");

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	__u32 src = ip->saddr;
	__u64 *hits = bpf_map_lookup_elem(&blocked_src, &src);
	if (hits) {
		__sync_fetch_and_add(hits, 1);
		return XDP_DROP;
	}
	struct lpm_key k = { .prefixlen = 32, .addr = ip->daddr };
	__u32 *action = bpf_map_lookup_elem(&dst_rules, &k);
	if (action)
		return *action;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
