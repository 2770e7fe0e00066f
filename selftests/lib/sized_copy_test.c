// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lengths on every copy: the fixed-slot calls take the caller's slot size
 * and refuse one that is not the channel's (the peer chose the channel's,
 * e.g. 4096-byte slots for a caller's 16-byte buffer) without touching the
 * buffer; the XSHM_1.0 calls still work; recv_wait waits for one record
 * and takes each record exactly once.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define BIG 4096u

static const struct xshm_chan_spec chans[] = {
	{ "big", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, BIG, 4 },
	{ "small", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 16, 8 },
	{ "log", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 64, 1024 },
};

TEST_RING_PAIR_FIXTURE(big, 256u * 1024u, chans, 3)
FIXTURE_VARIANT_ADD(big, fixed) { "big", XSHM_FULL_FAIL };

/* A 16-byte buffer and guard bytes around it: nothing may be written. */
TEST_F(big, hostile_slot_size_is_refused_not_copied)
{
	uint8_t guard[64 + 16 + 64];
	uint8_t *buf = guard + 64;
	static uint8_t slot[BIG];
	size_t i;

	memset(slot, 0xa5, sizeof(slot));
	ASSERT_EQ(0, xshm_ring_push_sized(self->prod, slot, BIG));
	EXPECT_EQ(-EMSGSIZE, xshm_ring_push_sized(self->prod, buf, 16));
	EXPECT_EQ(-EMSGSIZE, xshm_ring_push_batch_sized(self->prod, buf, 16, 1));

	memset(guard, 0x11, sizeof(guard));
	EXPECT_EQ(-EMSGSIZE, xshm_ring_pop_sized(self->cons, buf, 16));
	EXPECT_EQ(-EMSGSIZE, xshm_ring_pop_batch_sized(self->cons, buf, 16, 1));
	EXPECT_EQ(-EMSGSIZE, xshm_ring_pop_wait_sized(self->cons, buf, 16, 0));
	for (i = 0; i < sizeof(guard); i++)
		ASSERT_EQ(0x11, guard[i]);
	/* the record is still there for a buffer of the right size */
	memset(slot, 0, sizeof(slot));
	ASSERT_EQ(0, xshm_ring_pop_sized(self->cons, slot, BIG));
	EXPECT_EQ(0xa5, slot[BIG - 1]);
	EXPECT_EQ(-EAGAIN, xshm_ring_pop_sized(self->cons, slot, BIG));
	EXPECT_EQ(-ETIMEDOUT, xshm_ring_pop_wait_sized(self->cons, slot, BIG,
						       10));
}

TEST_RING_PAIR_FIXTURE(small, 256u * 1024u, chans, 3)
FIXTURE_VARIANT_ADD(small, fixed) { "small", XSHM_FULL_FAIL };

/* The XSHM_1.0 calls and the sized ones move the same slots. */
TEST_F(small, old_and_sized_calls_agree)
{
	uint8_t in[3 * 16], out[3 * 16];

	test_pattern(in, sizeof(in), 7);
	ASSERT_EQ(0, xshm_ring_push(self->prod, in));
	ASSERT_EQ(2, xshm_ring_push_batch_sized(self->prod, in + 16, 16, 2));
	ASSERT_EQ(0, xshm_ring_pop_wait_sized(self->cons, out, 16, 0));
	ASSERT_EQ(1, xshm_ring_pop_batch(self->cons, out + 16, 1));
	ASSERT_EQ(0, xshm_ring_pop_wait(self->cons, out + 32, 0));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	EXPECT_EQ(-EINVAL, xshm_ring_pop_sized(NULL, out, 16));
	EXPECT_EQ(-EPERM, xshm_ring_pop_sized(self->prod, out, 16));
}

TEST_RING_PAIR_FIXTURE(var, 256u * 1024u, chans, 3)
FIXTURE_VARIANT_ADD(var, log) { "log", XSHM_FULL_FAIL };

struct late_sender {
	struct xshm_ring *prod;
	int n;
};

static void *send_late(void *arg)
{
	struct late_sender *s = arg;
	char msg[32];
	int i, len;

	for (i = 0; i < s->n; i++) {
		test_sleep_ms(1);
		len = snprintf(msg, sizeof(msg), "record %d", i);
		while (xshm_ring_send(s->prod, msg, (size_t)len) == -EAGAIN)
			test_sleep_ms(1);
	}
	return NULL;
}

/* Every record exactly once, in order, each one waited for. */
TEST_F(var, recv_wait_takes_every_record_once)
{
	struct late_sender s = { self->prod, 50 };
	struct xshm_record rec;
	char buf[64], want[32];
	pthread_t t;
	ssize_t n;
	int i;

	EXPECT_EQ(-ETIMEDOUT, xshm_ring_recv_wait(self->cons, buf, sizeof(buf),
						  &rec, 5));
	ASSERT_EQ(0, pthread_create(&t, NULL, send_late, &s));
	for (i = 0; i < s.n; i++) {
		n = xshm_ring_recv_wait(self->cons, buf, sizeof(buf), &rec,
					10000);
		ASSERT_EQ((ssize_t)snprintf(want, sizeof(want), "record %d", i),
			  n);
		EXPECT_EQ(0, memcmp(want, buf, (size_t)n));
		EXPECT_EQ((uint32_t)i, rec.seq);
		EXPECT_EQ(0u, rec.lost);
	}
	pthread_join(t, NULL);
	EXPECT_EQ(-ETIMEDOUT, xshm_ring_recv_wait(self->cons, buf, sizeof(buf),
						  NULL, 0));
	EXPECT_EQ(-EMSGSIZE, (xshm_ring_send(self->prod, "x", 1),
			      xshm_ring_recv_wait(self->cons, buf, 0, NULL, 0)));
}

TEST_HARNESS_MAIN
