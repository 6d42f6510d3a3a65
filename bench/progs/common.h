/* Shared includes of the benchmark programs (libbpf style, clang -target bpf). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#endif
