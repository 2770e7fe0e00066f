// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Doorbells on value channels (SEQLOCK, LATCH): a reader waits for a new
 * value asleep, the writer rings it only when it announced the wait.
 * The protocol is the rings' (xshm-doorbell.h), on the words of the
 * control block; the position re-checked is the sequence word.  LWW has
 * one writer per slot, possibly in as many domains: not supported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>

#include "doorbell.h"

void xshm__db_value_written(struct xshm_value *sl)
{
	if (xshm_peer_bell_should_ring(&sl->bell) &&
	    xshm__doorbell_ring(sl->db) == 0)
		xshm_peer_bell_rang(&sl->bell);
}

void xshm__db_value_detach(struct xshm_value *sl)
{
	if (!sl->db)
		return;
	xshm_peer_bell_off(&sl->bell);
	if (sl->db_owned)
		xshm_doorbell_close(sl->db);
	sl->db = NULL;
	sl->db_owned = false;
}

static struct xshm_wire_bell *bell_at(struct xshm_value *sl, uint32_t off)
{
	return (struct xshm_wire_bell *)(void *)(sl->v.block + off);
}

XSHM_API int xshm_value_doorbell(struct xshm_value *sl,
				 struct xshm_doorbell *db)
{
	bool owned = false;
	int err;

	if (!sl)
		return -EINVAL;
	if (sl->v.type == XSHM_WIRE_LWW)
		return -EOPNOTSUPP;
	if (!db) {
		err = xshm_doorbell_open(xshm_region_name(sl->region),
					 sl->chan.name, &db);
		if (err) {
			fprintf(stderr, "libxshm: no doorbell for channel %s "
				"(%s): waits poll\n", sl->chan.name,
				xshm_strerror(err));
			return err;
		}
		owned = true;
	}
	xshm__db_value_detach(sl);
	sl->db = db;
	sl->db_owned = owned;
	if (sl->role == XSHM_PRODUCER) {
		xshm_peer_bell_value_writer(&sl->bell, &sl->v, xshm__now_ns());
		xshm__db_value_written(sl);	/* it may sleep already */
	} else {
		xshm_peer_bell_init(&sl->bell,
				    bell_at(sl, XSHM_WIRE_VALUE_BELL_R_OFF),
				    bell_at(sl, XSHM_WIRE_VALUE_BELL_W_OFF),
				    xshm__now_ns());
	}
	return 0;
}

/* the sequence word; its low bit set while a write is on */
static uint64_t load_seq(struct xshm_value *sl)
{
	/* LMM_DB_VALUE_RECHECK_LOAD: pairs with LMM_SEQ_WRITE_END */
	return atomic_load_explicit(xshm_wire_u64(sl->v.block,
						  XSHM_WIRE_SEQ_OFF),
				    memory_order_acquire);
}

XSHM_API int xshm_value_wait(struct xshm_value *sl, uint64_t *seq,
			     int timeout_ms)
{
	uint64_t deadline = 0, now, s;
	struct xshm_waiter w;
	struct pollfd pfd;
	int ms;

	if (!sl || !seq)
		return -EINVAL;
	if (sl->role != XSHM_CONSUMER)
		return -EPERM;
	if (sl->v.type == XSHM_WIRE_LWW)
		return -EOPNOTSUPP;
	if (timeout_ms >= 0)
		deadline = xshm__now_ns() + (uint64_t)timeout_ms * 1000000u;
	xshm__waiter_start(&w, &sl->wait, timeout_ms);
	for (;;) {
		s = load_seq(sl);
		if (s != *seq) {
			*seq = s;
			return xshm__stale(sl->region, sl->generation);
		}
		if (!sl->db || !xshm_peer_bell_announce(&sl->bell)) {
			if (xshm__waiter_next(&w))
				return -ETIMEDOUT;
			continue;
		}
		s = load_seq(sl);	/* the re-check */
		if (s != *seq) {
			xshm_peer_bell_awake(&sl->bell);
			*seq = s;
			return xshm__stale(sl->region, sl->generation);
		}
		xshm_peer_bell_slept(&sl->bell);
		ms = -1;
		if (deadline) {
			now = xshm__now_ns();
			ms = now >= deadline ? 0 :
			     (int)((deadline - now + 999999u) / 1000000u);
		}
		pfd.fd = xshm_doorbell_fd(sl->db);
		pfd.events = POLLIN;
		poll(&pfd, 1, ms);
		xshm_doorbell_ack(sl->db);
		xshm_peer_bell_awake(&sl->bell);
		if (deadline && xshm__now_ns() >= deadline &&
		    load_seq(sl) == *seq)
			return -ETIMEDOUT;
	}
}

/* the names these calls had on the way to XSHM_1.3 */
XSHM_ALIAS(xshm_seqlock_doorbell, xshm_value_doorbell);
XSHM_ALIAS(xshm_seqlock_wait, xshm_value_wait);
