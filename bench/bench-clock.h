/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Clocks for the benchmarks.  Round trips are ~100 ns, so they are timed
 * with the TSC where there is one (a few ns per read, constant rate on
 * this class of CPU) and converted to ns with a rate measured against
 * CLOCK_MONOTONIC; elsewhere CLOCK_MONOTONIC is used directly.
 */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline uint64_t bench_ticks(void)
{
	/* lfence: do not let the read float above earlier loads */
	_mm_lfence();
	return __rdtsc();
}

static inline void bench_relax(void)
{
	_mm_pause();
}
#else
static inline uint64_t bench_ticks(void)
{
	return bench_now_ns();
}

static inline void bench_relax(void)
{
#if defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}
#endif

/* ticks per ns of bench_ticks(), measured over about 50 ms */
static inline double bench_ticks_per_ns(void)
{
	uint64_t n0, n1, t0, t1;

	n0 = bench_now_ns();
	t0 = bench_ticks();
	do
		n1 = bench_now_ns();
	while (n1 - n0 < 50000000u);
	t1 = bench_ticks();
	return (double)(t1 - t0) / (double)(n1 - n0);
}

#endif /* BENCH_CLOCK_H */
