/*
 * Times bench_run N times over a packet with
 * clock_gettime(CLOCK_PROCESS_CPUTIME_ID) and prints "<total ns> <retval>".
 * CPU time leaves out the time the process waits descheduled, as the
 * kernel's BPF_PROG_TEST_RUN timer does (it stops around cond_resched,
 * net/bpf/test_run.c bpf_test_timer_continue), so both stay comparable on a
 * loaded machine. The packet pointer passes through an
 * empty asm each iteration so that gcc cannot hoist the work out of the loop.
 * Usage: driver PACKET_FILE N
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench.h"

static uint8_t packet[4096];

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	FILE *f = fopen(argv[1], "rb");
	if (!f)
		return 2;
	size_t len = fread(packet, 1, sizeof packet, f);
	fclose(f);
	long n = atol(argv[2]);
	uint32_t r = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (long i = 0; i < n; i++) {
		const uint8_t *p = packet;
		__asm__ volatile("" : "+r"(p) : : "memory");
		r = bench_run(p, p + len);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	printf("%lld %u\n", ns, r);
	return 0;
}
