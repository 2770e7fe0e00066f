// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Limit: single-core memcpy bandwidth, the byte-throughput ceiling of any
 * ring that copies.  Copies msg-byte chunks from a small hot buffer into
 * a destination as large as the benchmarks' rings (4096 slots, at most
 * 1 MiB), cycling, on one pinned CPU.  Prints the harness's CSV rows.
 *
 * The copy has a compile-time size for the benchmark's sizes, as the
 * peers' typed copies do: a libc call per 8-byte message measures the
 * call, not the copy, and rings with typed 8-byte moves beat it.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-clock.h"
#include "bench-transport.h"

/* inlined into each case of the switch, msg a constant there */
static inline __attribute__((always_inline)) void
copy_loop(unsigned char *dst, const unsigned char *src, size_t msg,
	  size_t slots, unsigned long count)
{
	unsigned long n;
	size_t i;

	for (n = 0, i = 0; n < count; n++) {
		memcpy(dst + i * msg, src, msg);
		/* keep the copy: the compiler must not fold repeated stores */
		__asm__ __volatile__("" : : "r"(dst) : "memory");
		if (++i == slots)
			i = 0;
	}
}

int main(int argc, char **argv)
{
	size_t msg, slots, i;
	unsigned long count;
	unsigned int rep;
	unsigned char *src, *dst;
	uint64_t t0, t1;
	cpu_set_t set;
	int cpu;

	if (argc != 5) {
		fprintf(stderr, "usage: %s MSG COUNT CPU REP\n", argv[0]);
		return 2;
	}
	msg = strtoul(argv[1], NULL, 0);
	count = strtoul(argv[2], NULL, 0);
	cpu = atoi(argv[3]);
	rep = strtoul(argv[4], NULL, 0);
	if (!msg || count < 10)
		return 2;
	slots = bench_ring_slots(msg);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
	src = aligned_alloc(64, (msg + 63) & ~(size_t)63);
	dst = aligned_alloc(64, slots * msg);
	if (!src || !dst)
		return 2;
	memset(src, 0x5a, msg);
	memset(dst, 0, slots * msg);

	/* warm up one pass, then time */
	for (i = 0; i < slots; i++)
		memcpy(dst + i * msg, src, msg);
	t0 = bench_now_ns();
	switch (msg) {
	case 8: copy_loop(dst, src, 8, slots, count); break;
	case 64: copy_loop(dst, src, 64, slots, count); break;
	case 4096: copy_loop(dst, src, 4096, slots, count); break;
	default: copy_loop(dst, src, msg, slots, count); break;
	}
	t1 = bench_now_ns();
	printf("memcpy,tput,%zu,1,%u,msgs_per_s,%.6g\n", msg, rep,
	       count / ((t1 - t0) / 1e9));
	printf("memcpy,tput,%zu,1,%u,bytes_per_s,%.6g\n", msg, rep,
	       count * msg / ((t1 - t0) / 1e9));
	free(src);
	free(dst);
	return 0;
}
