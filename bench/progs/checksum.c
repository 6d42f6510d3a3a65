/* Internet checksum (RFC 1071) over the whole frame, 16 bits at a time, with a bounds check per word. */
#include "common.h"

SEC("xdp")
int checksum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u64 sum = 0;
	for (int i = 0; i < 1800; i++) {
		if ((void *)(p + 2) > end)
			break;
		sum += *(__u16 *)p;
		p += 2;
	}
	if ((void *)(p + 1) <= end)
		sum += *p;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

char LICENSE[] SEC("license") = "GPL";
