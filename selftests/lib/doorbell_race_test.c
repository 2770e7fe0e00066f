// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * No lost wake-up, deterministically at the race window: every
 * interleaving of the waiter's two steps with the notifier's two, on a
 * real region, for the three waits a doorbell serves.
 *
 *   W1  announce: store a new ticket in its bell, fence
 *   W2  re-check: load the position it waits for (and withdraw if moved)
 *   N1  publish:  store the position (push, release, value write)
 *   N2  fence, load the waiter's ticket, ring its eventfd if not rung yet
 *
 * The steps are xshm-doorbell.h's, which libxshm and freestanding peers
 * run; the other half of each channel is libxshm.  In each of the six
 * orders the waiter sees the new position exactly when N1 came before
 * W2, the notifier rings exactly when W1 came before N2 and the waiter
 * still waited, and one of the two always happens: a waiter that goes to
 * sleep finds its fd readable.  A notifier that published before the
 * announcement rings nothing (suppression).  The memory-model half (the
 * fences order W1/W2 against N1/N2 on arm64) is
 * selftests/memory-model/litmus/doorbell.*.litmus.
 */
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

/* GCC's TSan does not model the header's fences (single-threaded here) */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wtsan"
#endif
#include "xshm-doorbell.h"

#define REGION_SIZE (64u * 1024u)

static const struct xshm_chan_spec chans[] = {
	{ "ring", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, 2 },
	{ "value", XSHM_CHAN_SEQLOCK, 0, 8, 0 },
};

/* the six orders of W1 W2 (in that order) and N1 N2 (in that order) */
static const char *const orders[] = { "WWNN", "WNWN", "WNNW",
				      "NWWN", "NWNW", "NNWW" };

FIXTURE(race) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
	struct xshm_peer_layout lay;
	struct xshm_peer_ring pr;	/* freestanding producer */
	struct xshm_ring *cons;		/* libxshm consumer */
	struct xshm_peer_bell pb, cb;	/* the producer's and consumer's */
	int efd;			/* the waiter's doorbell */
	uint64_t pushed, popped;
};

FIXTURE_SETUP(race)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, 2, 0));
	ASSERT_EQ(0, xshm_peer_layout_attach(&self->lay,
					     xshm_region_base(self->r),
					     xshm_region_size(self->r)));
	ASSERT_EQ(0, xshm_peer_ring_attach(&self->lay, "ring", &self->pr));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "ring", XSHM_CONSUMER,
				      &self->cons));
	xshm_peer_bell_producer(&self->pb, &self->pr, 1);
	xshm_peer_bell_init(&self->cb, &self->pr.cons->bell,
			    &self->pr.prod->bell, 1000);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(race)
{
	close(self->efd);
	xshm_ring_detach(self->cons);
	xshm_region_close(self->r);
	unlink(self->path);
}

/* 1 if the doorbell was rung (and consume it) */
static int take(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, 0) != 1)
		return 0;
	return read(efd, &v, sizeof(v)) == sizeof(v);
}

/* N2: what every notifier does after its publish */
static int notify(struct xshm_peer_bell *b, int efd)
{
	uint64_t one = 1;

	if (!xshm_peer_bell_should_ring(b))
		return 0;
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		return -1;
	xshm_peer_bell_rang(b);
	return 1;
}

struct outcome {
	int seen;	/* W2 saw the new position */
	int rang;	/* N2 rang */
	int want_seen, want_rang;
};

/* a waiter that saw the position withdraws; one that did not sleeps */
static void check(struct __test_metadata *_metadata, const char *order,
		  const struct outcome *o, int efd)
{
	int woken = take(efd);

	TH_LOG("%s: re-check saw it %d, rang %d", order, o->seen, o->rang);
	ASSERT_EQ(o->want_seen, o->seen);
	ASSERT_EQ(o->want_rang, o->rang);
	ASSERT_TRUE(o->seen || o->rang);	/* no lost wake-up */
	ASSERT_EQ(o->rang, woken);	/* the sleeper's fd is readable */
}

/*
 * What the protocol promises for an order: the re-check sees the
 * position iff N1 came before W2; N2 rings iff W1 came before it and the
 * waiter had not already withdrawn (W2 before N2 and saw it).
 */
static void expect(const char *order, struct outcome *o)
{
	int i, w1 = -1, w2 = -1, n1 = -1, n2 = -1;

	for (i = 0; i < 4; i++) {
		if (order[i] == 'W')
			*(w1 < 0 ? &w1 : &w2) = i;
		else
			*(n1 < 0 ? &n1 : &n2) = i;
	}
	o->want_seen = n1 < w2;
	o->want_rang = w1 < n2 && !(w2 < n2 && o->want_seen);
}

/* consumer waits for a record; the producer publishes head */
TEST_F(race, consumer_waits_for_a_record_in_every_order)
{
	unsigned int k, i;

	for (k = 0; k < 6; k++) {
		const char *order = orders[k];
		struct outcome o = { 0 };
		int w = 0, n = 0;
		uint64_t v = k, got;

		expect(order, &o);
		for (i = 0; i < 4; i++) {
			if (order[i] == 'W' && w++ == 0) {
				ASSERT_EQ(1, xshm_peer_bell_announce(&self->cb));
			} else if (order[i] == 'W') {
				o.seen = atomic_load_explicit(
					&self->pr.prod->head,
					memory_order_acquire) != self->popped;
				if (o.seen)
					xshm_peer_bell_awake(&self->cb);
			} else if (n++ == 0) {
				ASSERT_EQ(0, xshm_peer_ring_push(&self->pr, &v));
				self->pushed++;
			} else {
				o.rang = notify(&self->pb, self->efd);
				ASSERT_LE(0, o.rang);
			}
		}
		check(_metadata, order, &o, self->efd);
		xshm_peer_bell_awake(&self->cb);
		ASSERT_EQ(0, xshm_ring_pop(self->cons, &got));
		ASSERT_EQ(v, got);
		self->popped++;
	}
	ASSERT_EQ(6, self->pushed);
}

/* producer waits for room in a full ring; the consumer publishes tail */
TEST_F(race, producer_waits_for_room_in_every_order)
{
	unsigned int k, i;
	uint64_t v = 0, got;

	/* fill it: 2 slots */
	ASSERT_EQ(0, xshm_peer_ring_push(&self->pr, &v));
	ASSERT_EQ(0, xshm_peer_ring_push(&self->pr, &v));
	ASSERT_EQ(-XSHM_PEER_EAGAIN, xshm_peer_ring_push(&self->pr, &v));
	self->pushed = 2;
	for (k = 0; k < 6; k++) {
		const char *order = orders[k];
		struct outcome o = { 0 };
		int w = 0, n = 0;

		expect(order, &o);
		for (i = 0; i < 4; i++) {
			if (order[i] == 'W' && w++ == 0) {
				ASSERT_EQ(1, xshm_peer_bell_announce(&self->pb));
			} else if (order[i] == 'W') {
				o.seen = self->pushed - atomic_load_explicit(
					&self->pr.cons->tail,
					memory_order_acquire) < 2;
				if (o.seen)
					xshm_peer_bell_awake(&self->pb);
			} else if (n++ == 0) {
				ASSERT_EQ(0, xshm_ring_pop(self->cons, &got));
				self->popped++;
			} else {
				o.rang = notify(&self->cb, self->efd);
				ASSERT_LE(0, o.rang);
			}
		}
		check(_metadata, order, &o, self->efd);
		xshm_peer_bell_awake(&self->pb);
		v = self->pushed++;
		ASSERT_EQ(0, xshm_peer_ring_push(&self->pr, &v));
	}
}

/* a reader waits for a new value; the writer publishes the sequence */
TEST_F(race, reader_waits_for_a_value_in_every_order)
{
	struct xshm_peer_value wv;
	struct xshm_peer_bell wb, rb;
	struct xshm_seqlock *rd;
	_Atomic uint64_t *seq;
	unsigned char *blk;
	uint64_t last, v, got;
	unsigned int k, i;

	ASSERT_EQ(0, xshm_peer_value_attach(&self->lay, "value", 0, &wv));
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "value", XSHM_CONSUMER, 0,
					 &rd));
	blk = wv.block;
	seq = xshm_wire_u64(blk, XSHM_WIRE_SEQ_OFF);
	xshm_peer_bell_value_writer(&wb, &wv, 1);
	xshm_peer_bell_init(&rb, (struct xshm_wire_bell *)(void *)
			    (blk + XSHM_WIRE_VALUE_BELL_R_OFF),
			    (struct xshm_wire_bell *)(void *)
			    (blk + XSHM_WIRE_VALUE_BELL_W_OFF), 1000);
	last = atomic_load_explicit(seq, memory_order_acquire);
	for (k = 0; k < 6; k++) {
		const char *order = orders[k];
		struct outcome o = { 0 };
		int w = 0, n = 0;

		v = 100 + k;
		expect(order, &o);
		for (i = 0; i < 4; i++) {
			if (order[i] == 'W' && w++ == 0) {
				ASSERT_EQ(1, xshm_peer_bell_announce(&rb));
			} else if (order[i] == 'W') {
				o.seen = atomic_load_explicit(
					seq, memory_order_acquire) != last;
				if (o.seen)
					xshm_peer_bell_awake(&rb);
			} else if (n++ == 0) {
				ASSERT_EQ(0, xshm_peer_value_write(&wv, &v,
								   sizeof(v), 0));
			} else {
				o.rang = notify(&wb, self->efd);
				ASSERT_LE(0, o.rang);
			}
		}
		check(_metadata, order, &o, self->efd);
		xshm_peer_bell_awake(&rb);
		last = atomic_load_explicit(seq, memory_order_acquire);
		ASSERT_EQ(0, xshm_seqlock_read(rd, &got, sizeof(got), NULL, 0));
		ASSERT_EQ(v, got);
	}
	xshm_seqlock_detach(rd);
}

TEST_HARNESS_MAIN
