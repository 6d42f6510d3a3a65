/*
 * Native form of bench/progs/firewall.c with the maps of bench/packets.ts
 * firewallMaps(): blocked source addresses in an open-addressing hash table
 * (hit counts as values), destination prefixes in a trie of one level per
 * address byte with prefixes expanded to whole bytes (a longer prefix wins a
 * slot), so the longest match takes at most four steps. Both are filled on
 * the first call.
 */
#include <string.h>
#include "bench.h"

#define XDP_DROP 1
#define XDP_PASS 2
#define HASH_SLOTS 1024
#define TRIE_NODES 256

struct slot {
	uint32_t key;
	uint32_t used;
	uint64_t hits;
};

/* One level of the trie: a slot per value of the next address byte. */
struct slot8 {
	uint16_t child; /* node index, 0: none */
	uint8_t len;    /* length of the prefix that set `action`, 0: none */
	uint8_t action;
};

struct node {
	struct slot8 s[256];
};

static struct slot blocked_src[HASH_SLOTS];
static struct node dst_rules[TRIE_NODES];
static int nodes;
static int ready;

static uint32_t hash32(uint32_t k) { return (k * 0x9e3779b1u) >> 22; }

static struct slot *src_lookup(uint32_t key, int insert)
{
	for (uint32_t i = hash32(key);; i = (i + 1) & (HASH_SLOTS - 1)) {
		struct slot *s = &blocked_src[i];
		if (s->used && s->key == key)
			return s;
		if (!s->used) {
			if (!insert)
				return 0;
			s->used = 1;
			s->key = key;
			return s;
		}
	}
}

static void trie_insert(const uint8_t *addr, int len, uint8_t action)
{
	int n = 0;
	int level = 0;
	for (; (level + 1) * 8 < len; level++) {
		struct slot8 *sl = &dst_rules[n].s[addr[level]];
		if (!sl->child)
			sl->child = (uint16_t)nodes++;
		n = sl->child;
	}
	int free_bits = (level + 1) * 8 - len;
	int first = addr[level] & (0xff << free_bits) & 0xff;
	for (int v = first; v < first + (1 << free_bits); v++) {
		struct slot8 *sl = &dst_rules[n].s[v];
		if (sl->len <= len) {
			sl->len = (uint8_t)len;
			sl->action = action;
		}
	}
}

static int32_t trie_lookup(const uint8_t *addr)
{
	int32_t best = -1;
	int n = 0;
	for (int level = 0; level < 4; level++) {
		const struct slot8 *sl = &dst_rules[n].s[addr[level]];
		if (sl->len)
			best = sl->action;
		n = sl->child;
		if (!n)
			break;
	}
	return best;
}

static void fill(void)
{
	nodes = 1;
	for (int i = 0; i < 200; i++) {
		uint8_t a[4] = { 10, 9, (uint8_t)(i >> 8), (uint8_t)i };
		uint32_t k;
		memcpy(&k, a, 4);
		src_lookup(k, 1);
	}
	for (int i = 0; i < 100; i++) {
		uint8_t a[4] = { 172, (uint8_t)(16 + i % 16), (uint8_t)i, 0 };
		trie_insert(a, 8 + i % 17, 1);
	}
	uint8_t tx[4] = { 192, 168, 0, 0 };
	trie_insert(tx, 16, 3);
	ready = 1;
}

uint32_t bench_run(const uint8_t *data, const uint8_t *end)
{
	if (!ready)
		fill();
	if (data + 14 > end || data[12] != 0x08 || data[13] != 0x00)
		return XDP_PASS;
	const uint8_t *ip = data + 14;
	if (ip + 20 > end)
		return XDP_PASS;
	uint32_t src;
	memcpy(&src, ip + 12, 4);
	struct slot *s = src_lookup(src, 0);
	if (s) {
		__atomic_fetch_add(&s->hits, 1, __ATOMIC_RELAXED);
		return XDP_DROP;
	}
	int32_t action = trie_lookup(ip + 16);
	return action >= 0 ? (uint32_t)action : XDP_PASS;
}
