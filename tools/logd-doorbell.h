/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xshm-logd: sleeping on the rings' doorbells in the io_uring loop */
#ifndef LOGD_DOORBELL_H
#define LOGD_DOORBELL_H

#include <liburing.h>

#include "xshm.h"

/*
 * With nothing in flight: arm every ring's doorbell and sleep in uring
 * until one rings or timeout_ms passes.  1: woken, or a ring already had
 * records (go and drain); 0: a ring has no doorbell here or at its
 * producer (poll instead); < 0: an io_uring error.
 */
int logd_doorbell_idle(struct io_uring *uring, struct xshm_ring *const *rings,
		       unsigned int n, unsigned int timeout_ms);

#endif
