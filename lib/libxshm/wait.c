// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Polling waits, for channels without a doorbell (doorbell.c): a waiter
 * spins briefly (lowest latency), then sleeps 1 us doubling up to
 * max_sleep_us (bounded added latency, low idle CPU), until its deadline.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <time.h>

#include "internal.h"

const struct xshm_wait_policy xshm__default_wait = {
	.spin_iters = 1000,
	.max_sleep_us = 1000,
};

uint64_t xshm__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void xshm__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

void xshm__waiter_start(struct xshm_waiter *w, const struct xshm_wait_policy *wp,
			int timeout_ms)
{
	w->wp = *wp;
	if (w->wp.max_sleep_us == 0)
		w->wp.max_sleep_us = 1;
	w->spins = 0;
	w->sleep_us = 1;
	w->timeout_ms = timeout_ms;
	w->deadline_ns = 0;	/* read the clock only if we have to wait */
}

int xshm__waiter_next(struct xshm_waiter *w)
{
	uint64_t now = 0, left_ns, nap_ns;
	struct timespec ts;

	if (w->timeout_ms >= 0 && !w->deadline_ns)
		w->deadline_ns = xshm__now_ns() +
				 (uint64_t)w->timeout_ms * 1000000u;
	if (w->spins < w->wp.spin_iters) {
		w->spins++;
		xshm__cpu_relax();
		/* look at the clock now and then so timeouts hold while spinning */
		if (w->deadline_ns && (w->spins & 63) == 1 &&
		    xshm__now_ns() >= w->deadline_ns)
			return -ETIMEDOUT;
		return 0;
	}
	nap_ns = (uint64_t)w->sleep_us * 1000u;
	if (w->deadline_ns) {
		now = xshm__now_ns();
		if (now >= w->deadline_ns)
			return -ETIMEDOUT;
		left_ns = w->deadline_ns - now;
		if (nap_ns > left_ns)
			nap_ns = left_ns;
	}
	ts.tv_sec = (time_t)(nap_ns / 1000000000u);
	ts.tv_nsec = (long)(nap_ns % 1000000000u);
	nanosleep(&ts, NULL);
	if (w->sleep_us < w->wp.max_sleep_us) {
		w->sleep_us *= 2;
		if (w->sleep_us > w->wp.max_sleep_us)
			w->sleep_us = w->wp.max_sleep_us;
	}
	return 0;
}

int xshm__poll(const struct xshm_wait_policy *wp, int timeout_ms,
	       int (*try)(void *arg), void *arg)
{
	struct xshm_waiter w;
	int err = try(arg);

	if (err != -EAGAIN)
		return err;
	xshm__waiter_start(&w, wp, timeout_ms);
	for (;;) {
		if (xshm__waiter_next(&w))
			return -ETIMEDOUT;
		err = try(arg);
		if (err != -EAGAIN)
			return err;
	}
}
