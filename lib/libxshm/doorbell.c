// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Doorbells on rings: notification suppression without lost wake-ups;
 * the protocol itself is xshm-doorbell.h's, shared with freestanding peers.
 *
 * A side that must wait (consumer: ring empty; producer: ring full)
 * announces it in its own block (bell.sleep = a new ticket), re-checks,
 * and only then sleeps on its doorbell.  The other side, after each
 * store the waiter waits for (producer: head, consumer: tail), reads the
 * waiter's bell.sleep and rings only for a ticket it has not rung yet.
 * A busy ring therefore rings almost never.
 *
 * No lost wake-up, the store-buffering (Dekker) shape:
 *   waiter:   store sleep=t; FENCE; load head/tail (re-check)
 *   notifier: store head/tail;  FENCE; load sleep
 * With both fences seq_cst, at least one side sees the other's store:
 * either the re-check sees the new position (no sleep), or the notifier
 * sees the ticket (it rings, and the doorbell keeps the event until the
 * waiter reads its fd).  selftests/memory-model/litmus/doorbell.*.litmus
 * check the shape; the sites are labelled LMM_DB_*.
 *
 * The waiter sleeps only if the other side set bell.ring (it has a
 * doorbell and rings); otherwise it polls with the ring's wait policy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "doorbell.h"

/* ring the other side if it announced a sleep we have not rung for */
static void notify_peer(struct xshm_ring *ring)
{
	if (xshm_peer_bell_should_ring(&ring->bell) &&
	    xshm__doorbell_ring(ring->db) == 0)
		xshm_peer_bell_rang(&ring->bell);
}

void xshm__db_after_publish(struct xshm_ring *ring)
{
	notify_peer(ring);
}

void xshm__db_after_consume(struct xshm_ring *ring)
{
	notify_peer(ring);
}

void xshm__db_say(bool *said, const char *what, const char *chan, int err)
{
	if (*said)
		return;
	*said = true;
	fprintf(stderr, "libxshm: %s for channel %s (%s): waits poll\n",
		what, chan, xshm_strerror(err));
}

XSHM_API int xshm_ring_doorbell(struct xshm_ring *ring,
				struct xshm_doorbell *db)
{
	bool owned = false;
	int err;

	if (!ring)
		return -EINVAL;
	if (!db) {
		err = xshm_doorbell_open(xshm_region_name(ring->region),
					 ring->chan.name, &db);
		if (err) {
			xshm__db_say(&ring->db_said, "no doorbell",
				     ring->chan.name, err);
			return err;
		}
		owned = true;
	}
	xshm__db_detach(ring);
	ring->db = db;
	ring->db_owned = owned;
	ring->db_said = false;	/* a new doorbell: say anew if it cannot ring */
	if (ring->role == XSHM_CONSUMER)
		xshm_peer_bell_init(&ring->bell, &ring->cons->bell,
				    &ring->prod->bell, xshm__now_ns());
	else
		xshm_peer_bell_init(&ring->bell, &ring->prod->bell,
				    &ring->cons->bell, xshm__now_ns());
	/* the other side may have gone to sleep before we rang: ring now */
	notify_peer(ring);
	return 0;
}

void xshm__db_detach(struct xshm_ring *ring)
{
	if (!ring->db)
		return;
	xshm_peer_bell_off(&ring->bell);
	if (ring->db_owned)
		xshm_doorbell_close(ring->db);
	ring->db = NULL;
	ring->db_owned = false;
}

XSHM_API int xshm_ring_fd(const struct xshm_ring *ring)
{
	if (!ring)
		return -EINVAL;
	return ring->db ? xshm_doorbell_fd(ring->db) : -ENODEV;
}

/*
 * Announce, then re-check with try(): 1 if the peer rings and try() still
 * says -EAGAIN (sleep now), 0 otherwise with *err = try()'s answer (or
 * -EAGAIN when the peer does not ring: poll instead).
 */
static int announce(struct xshm_ring *ring, int (*try)(void *), void *arg,
		    int *err)
{
	if (!xshm_peer_bell_announce(&ring->bell)) {
		*err = -EAGAIN;
		return 0;
	}
	*err = try(arg);	/* the re-check: loads head/tail acquire */
	if (*err != -EAGAIN) {
		xshm_peer_bell_awake(&ring->bell);
		return 0;
	}
	xshm_peer_bell_slept(&ring->bell);
	return 1;
}

static void wake(struct xshm_ring *ring)
{
	xshm_doorbell_ack(ring->db);
	xshm_peer_bell_awake(&ring->bell);
}

int xshm__ring_wait(struct xshm_ring *ring, int timeout_ms,
		    int (*try)(void *arg), void *arg)
{
	struct xshm_waiter w;
	struct pollfd pfd;
	uint64_t deadline = 0, now, since = 0;
	uint32_t spins;
	int err = try(arg), ms;

	if (err != -EAGAIN)
		return err;
	if (!ring->db)
		return xshm__poll(&ring->wait, timeout_ms, try, arg);
	if (timeout_ms >= 0)
		deadline = xshm__now_ns() + (uint64_t)timeout_ms * 1000000u;
	/* a short spin first: a record due within microseconds costs no sleep */
	for (spins = 0; spins < ring->wait.spin_iters; spins++) {
		xshm__cpu_relax();
		err = try(arg);
		if (err != -EAGAIN)
			return err;
	}
	xshm__waiter_start(&w, &ring->wait, timeout_ms);
	w.spins = w.wp.spin_iters;
	pfd.fd = xshm_doorbell_fd(ring->db);
	pfd.events = POLLIN;
	for (;;) {
		if (!announce(ring, try, arg, &err)) {
			if (err != -EAGAIN)
				return err;
			/* the other side does not ring (yet): poll */
			if (!since)
				since = xshm__now_ns();
			else if (xshm__now_ns() - since > 1000000000u)
				xshm__db_say(&ring->db_said,
					     "peer has no doorbell",
					     ring->chan.name, -ENODEV);
			if (xshm__waiter_next(&w))
				return -ETIMEDOUT;
			err = try(arg);
			if (err != -EAGAIN)
				return err;
			continue;
		}
		ms = -1;
		if (deadline) {
			now = xshm__now_ns();
			ms = now >= deadline ? 0 :
			     (int)((deadline - now + 999999u) / 1000000u);
		}
		poll(&pfd, 1, ms);
		wake(ring);
		err = try(arg);
		if (err != -EAGAIN)
			return err;
		if (deadline && xshm__now_ns() >= deadline)
			return -ETIMEDOUT;
	}
}

/* ---- waits on either side, and event-loop integration ---------------- */

/* consumer: a record (or something to report) is there; producer: room */
static int ring_ready(void *arg)
{
	struct xshm_ring *ring = arg;
	uint64_t head, tail;

	if (ring->role == XSHM_CONSUMER) {
		/* LMM_DB_RECHECK_LOAD: pairs with LMM_FIXED_HEAD_PUB,
		 * LMM_FIXED_BATCH_PUB, LMM_VAR_HEAD_PUB (the producer's head;
		 * after LMM_DB_ANNOUNCE_FENCE) */
		head = atomic_load_explicit(&ring->prod->head,
					    memory_order_acquire);
		return head != ring->tail ? 0 : -EAGAIN;
	}
	/* LMM_DB_SPACE_RECHECK_LOAD: pairs with LMM_FIXED_TAIL_PUB,
	 * LMM_VAR_TAIL_PUB (the consumer's tail; after LMM_DB_ANNOUNCE_FENCE) */
	tail = atomic_load_explicit(&ring->cons->tail, memory_order_acquire);
	head = ring->chan.type == XSHM_WIRE_RING_VAR ? ring->p.pos :
						       ring->p.head;
	if (ring->chan.policy == XSHM_WIRE_FULL_OVERWRITE)
		return 0;	/* never waits for room */
	/* an invalid tail is for the next push to report */
	return head - tail < ring->cap || head - tail > ring->cap ? 0 : -EAGAIN;
}

XSHM_API int xshm_ring_wait(struct xshm_ring *ring, int timeout_ms)
{
	int err;

	if (!ring)
		return -EINVAL;
	err = xshm__stale(ring->region, ring->generation);
	if (err)
		return err;
	return xshm__ring_wait(ring, timeout_ms, ring_ready, ring);
}

XSHM_API int xshm_ring_arm(struct xshm_ring *ring)
{
	int err;

	if (!ring)
		return -EINVAL;
	if (!ring->db)
		return -ENODEV;
	/*
	 * Announce first, then check: no check before the announcement, so
	 * that a record already there is found by the re-check itself (the
	 * race-window tests rely on that).
	 */
	if (announce(ring, ring_ready, ring, &err))
		return 0;
	if (err != -EAGAIN)
		return 1;
	/* the other side does not ring */
	return ring_ready(ring) != -EAGAIN ? 1 : -ENODEV;
}

XSHM_API int xshm_ring_disarm(struct xshm_ring *ring)
{
	if (!ring)
		return -EINVAL;
	if (!ring->db)
		return -ENODEV;
	wake(ring);
	return 0;
}

XSHM_API int xshm_ring_doorbell_stats(const struct xshm_ring *ring,
				      struct xshm_doorbell_stats *st)
{
	const struct xshm_wire_bell *p, *c;

	if (!ring || !st)
		return -EINVAL;
	p = &ring->prod->bell;
	c = &ring->cons->bell;
	st->doorbell = ring->db != NULL;
	st->prod_rings = atomic_load_explicit(&p->ring, memory_order_relaxed) == 1;
	st->cons_rings = atomic_load_explicit(&c->ring, memory_order_relaxed) == 1;
	st->prod_notified = atomic_load_explicit(&p->notified,
						 memory_order_relaxed);
	st->prod_sleeps = atomic_load_explicit(&p->sleeps, memory_order_relaxed);
	st->cons_notified = atomic_load_explicit(&c->notified,
						 memory_order_relaxed);
	st->cons_sleeps = atomic_load_explicit(&c->sleeps, memory_order_relaxed);
	return 0;
}
