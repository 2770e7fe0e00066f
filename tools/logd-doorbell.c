// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xshm-logd's idle wait on doorbells: one poll per ring's doorbell fd and
 * one timeout, submitted to the daemon's own io_uring, so that an idle
 * daemon sleeps at zero CPU until a producer rings (or the timeout, for
 * stats, retries and signals).  Each ring is armed first (its sleep is
 * announced, then the ring checked again: see xshm_ring_arm(3)).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>

#include "logd-doorbell.h"

#define TAG		(1ull << 63)
#define TAG_REMOVE	(1ull << 62)
#define TIMER		63u	/* bit of the timeout in the pending mask */

static void disarm(struct xshm_ring *const *rings, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		xshm_ring_disarm(rings[i]);
}

int logd_doorbell_idle(struct io_uring *uring, struct xshm_ring *const *rings,
		       unsigned int n, unsigned int timeout_ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
	};
	uint64_t pending = 0;	/* polls (bit i) and the timer not completed */
	unsigned int removing = 0;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int err;

	if (!n || n >= TIMER)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		int r = rings[i] ? xshm_ring_arm(rings[i]) : -ENODEV;

		if (r != 0) {
			disarm(rings, i);
			return r == 1 ? 1 : 0;
		}
	}
	for (unsigned int i = 0; i <= n; i++) {
		sqe = io_uring_get_sqe(uring);
		if (!sqe)
			break;
		if (i < n) {
			io_uring_prep_poll_add(sqe, xshm_ring_fd(rings[i]), POLLIN);
			io_uring_sqe_set_data64(sqe, TAG | i);
			pending |= 1ull << i;
		} else {
			io_uring_prep_timeout(sqe, &ts, 0, 0);
			io_uring_sqe_set_data64(sqe, TAG | TIMER);
			pending |= 1ull << TIMER;
		}
	}
	err = io_uring_submit(uring);
	if (err >= 0) {
		/* a poll, the timer, or a signal (-EINTR: the loop sees stop) */
		err = io_uring_wait_cqe(uring, &cqe);
		err = err == -EINTR ? 0 : err;
	}
	/* take back what is still pending, and reap everything */
	while (pending || removing) {
		while (io_uring_peek_cqe(uring, &cqe) == 0) {
			uint64_t ud = io_uring_cqe_get_data64(cqe);

			if (ud & TAG_REMOVE)
				removing--;
			else if (ud & TAG)
				pending &= ~(1ull << (ud & 63));
			io_uring_cqe_seen(uring, cqe);
		}
		if (!removing && pending) {
			for (unsigned int i = 0; i <= TIMER; i++) {
				if (!(pending & (1ull << i)))
					continue;
				sqe = io_uring_get_sqe(uring);
				if (!sqe)
					break;
				if (i == TIMER)
					io_uring_prep_timeout_remove(sqe, TAG | TIMER, 0);
				else
					io_uring_prep_poll_remove(sqe, TAG | i);
				io_uring_sqe_set_data64(sqe, TAG_REMOVE);
				removing++;
			}
			if (io_uring_submit(uring) < 0)
				break;
		}
		if (pending || removing) {
			int e = io_uring_wait_cqe(uring, &cqe);

			if (e < 0 && e != -EINTR)
				break;
		}
	}
	disarm(rings, n);
	return err < 0 ? err : 1;
}
