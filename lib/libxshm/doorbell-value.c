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
#include <stdatomic.h>

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
			xshm__db_say(&sl->db_said, "no doorbell", sl->chan.name,
				     err);
			return err;
		}
		owned = true;
	}
	xshm__db_value_detach(sl);
	sl->db = db;
	sl->db_owned = owned;
	sl->db_said = false;	/* a new doorbell: say anew if it cannot ring */
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

/* a reader that may wait: 0, or why not */
static int reader(const struct xshm_value *sl)
{
	if (!sl)
		return -EINVAL;
	if (sl->role != XSHM_CONSUMER)
		return -EPERM;
	return sl->v.type == XSHM_WIRE_LWW ? -EOPNOTSUPP : 0;
}

/*
 * Announce, then re-check the sequence: 1 armed (sleep), 0 it moved
 * (*seq updated), -ENODEV the writer does not ring (poll).
 */
static int announce(struct xshm_value *sl, uint64_t *seq)
{
	uint64_t s;

	if (!xshm_peer_bell_announce(&sl->bell))
		return -ENODEV;
	s = load_seq(sl);	/* the re-check */
	if (s != *seq) {
		xshm_peer_bell_awake(&sl->bell);
		*seq = s;
		return 0;
	}
	xshm_peer_bell_slept(&sl->bell);
	return 1;
}

XSHM_API int xshm_value_wait(struct xshm_value *sl, uint64_t *seq,
			       int timeout_ms)
{
	uint64_t deadline = 0, now, s, since = 0;
	struct xshm_waiter w;
	struct pollfd pfd;
	int err = reader(sl), ms;

	if (err)
		return err;
	if (!seq)
		return -EINVAL;
	if (timeout_ms >= 0)
		deadline = xshm__now_ns() + (uint64_t)timeout_ms * 1000000u;
	xshm__waiter_start(&w, &sl->wait, timeout_ms);
	for (;;) {
		s = load_seq(sl);
		if (s != *seq) {
			*seq = s;
			return xshm__stale(sl->region, sl->generation);
		}
		if (timeout_ms == 0)	/* a check, not a wait */
			return -ETIMEDOUT;
		err = sl->db ? announce(sl, seq) : -ENODEV;
		if (err == 0)
			return xshm__stale(sl->region, sl->generation);
		if (err < 0) {
			/* no doorbell, or the writer does not ring: poll */
			if (sl->db && !since) {
				since = xshm__now_ns();
			} else if (sl->db &&
				   xshm__now_ns() - since > 1000000000u) {
				xshm__db_say(&sl->db_said,
					     "writer has no doorbell",
					     sl->chan.name, -ENODEV);
			}
			if (xshm__waiter_next(&w))
				return -ETIMEDOUT;
			continue;
		}
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

/* ---- event loops ------------------------------------------------------ */

XSHM_API int xshm_value_fd(const struct xshm_value *sl)
{
	if (!sl)
		return -EINVAL;
	return sl->db ? xshm_doorbell_fd(sl->db) : -ENODEV;
}

XSHM_API int xshm_value_arm(struct xshm_value *sl, uint64_t seq)
{
	int err = reader(sl);

	if (err)
		return err;
	if (!sl->db)
		return -ENODEV;
	/* announce first: the re-check alone finds a value already there */
	err = announce(sl, &seq);
	if (err >= 0)
		return !err;
	/* the writer does not ring */
	return load_seq(sl) != seq ? 1 : -ENODEV;
}

XSHM_API int xshm_value_disarm(struct xshm_value *sl)
{
	int err = reader(sl);

	if (err)
		return err;
	if (!sl->db)
		return -ENODEV;
	xshm_doorbell_ack(sl->db);
	xshm_peer_bell_awake(&sl->bell);
	return 0;
}

/*
 * The writer's words (+72: ring, -, notified) and the reader's (+96:
 * ring, sleep, -, sleeps); the writer never sleeps (its sleeps word
 * would be the reader's ring word).
 */
XSHM_API int xshm_value_doorbell_stats(const struct xshm_value *sl,
					 struct xshm_doorbell_stats *st)
{
	const struct xshm_wire_bell *w, *r;

	if (!sl || !st)
		return -EINVAL;
	if (sl->v.type == XSHM_WIRE_LWW)
		return -EOPNOTSUPP;
	w = (const struct xshm_wire_bell *)(const void *)
	    (sl->v.block + XSHM_WIRE_VALUE_BELL_W_OFF);
	r = (const struct xshm_wire_bell *)(const void *)
	    (sl->v.block + XSHM_WIRE_VALUE_BELL_R_OFF);
	st->doorbell = sl->db != NULL;
	st->prod_rings = atomic_load_explicit(&w->ring, memory_order_relaxed) == 1;
	st->cons_rings = atomic_load_explicit(&r->ring, memory_order_relaxed) == 1;
	st->prod_notified = atomic_load_explicit(&w->notified,
						 memory_order_relaxed);
	st->prod_sleeps = 0;
	st->cons_notified = 0;	/* the reader never rings */
	st->cons_sleeps = atomic_load_explicit(&r->sleeps, memory_order_relaxed);
	return 0;
}

/* the names these calls had on the way to XSHM_1.3 */
XSHM_ALIAS(xshm_seqlock_doorbell, xshm_value_doorbell);
XSHM_ALIAS(xshm_seqlock_wait, xshm_value_wait);
XSHM_ALIAS(xshm_seqlock_fd, xshm_value_fd);
XSHM_ALIAS(xshm_seqlock_arm, xshm_value_arm);
XSHM_ALIAS(xshm_seqlock_disarm, xshm_value_disarm);
XSHM_ALIAS(xshm_seqlock_doorbell_stats, xshm_value_doorbell_stats);
