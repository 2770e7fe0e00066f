// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fixed-slot SPSC rings: order, batches, wrap-around, the three full
 * policies with exact shared counters, waiting and role checks.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (64u * 1024u)
#define SLOT 16u
#define SLOTS 8u

static const struct xshm_chan_spec chans[] = {
	{ "fail", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, SLOT, SLOTS },
	{ "drop", XSHM_CHAN_RING_FIXED, XSHM_FULL_DROP, SLOT, SLOTS },
	{ "over", XSHM_CHAN_RING_FIXED, XSHM_FULL_OVERWRITE, SLOT, SLOTS },
	{ "var", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 64, 1024 },
};

/* A slot carries its record number in its first word, a pattern after. */
static void make_slot(uint8_t slot[SLOT], uint32_t n)
{
	test_pattern(slot, SLOT, n);
	memcpy(slot, &n, sizeof(n));
}

static int64_t slot_number(const uint8_t slot[SLOT])
{
	uint8_t want[SLOT];
	uint32_t n;

	memcpy(&n, slot, sizeof(n));
	make_slot(want, n);
	return memcmp(want, slot, SLOT) ? -1 : (int64_t)n;
}

/* One ring of each policy; a fixture per set of policies a test covers. */
#define RING_FIXTURE(fx) \
	TEST_RING_PAIR_FIXTURE(fx, REGION_SIZE, chans, \
			       sizeof(chans) / sizeof(chans[0]))

RING_FIXTURE(ring)
FIXTURE_VARIANT_ADD(ring, fail) { "fail", XSHM_FULL_FAIL };
FIXTURE_VARIANT_ADD(ring, drop) { "drop", XSHM_FULL_DROP };
FIXTURE_VARIANT_ADD(ring, overwrite) { "over", XSHM_FULL_OVERWRITE };

RING_FIXTURE(over)
FIXTURE_VARIANT_ADD(over, only) { "over", XSHM_FULL_OVERWRITE };

TEST_F(ring, push_pop_keeps_order_and_bytes)
{
	struct xshm_ring_stats st;
	uint8_t slot[SLOT];
	uint32_t i;

	ASSERT_EQ(-EAGAIN, xshm_ring_pop(self->cons, slot));
	for (i = 0; i < 5; i++) {
		make_slot(slot, i);
		ASSERT_EQ(0, xshm_ring_push(self->prod, slot));
	}
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_EQ((uint64_t)SLOTS, st.capacity);
	EXPECT_EQ(5u, st.fill);
	EXPECT_EQ(5u, st.produced);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, xshm_ring_pop(self->cons, slot));
		EXPECT_EQ((int64_t)i, slot_number(slot));
	}
	EXPECT_EQ(-EAGAIN, xshm_ring_pop(self->cons, slot));
	ASSERT_EQ(0, xshm_ring_stats(self->prod, &st));
	EXPECT_EQ(0u, st.fill);
	EXPECT_EQ(5u, st.produced);
	EXPECT_EQ(0u, st.dropped);
	EXPECT_EQ(0u, st.overwritten);
	EXPECT_EQ(0u, st.corrupt);
}

/* Positions are free-running: many laps through the ring stay in order. */
TEST_F(ring, wraps_around_many_times)
{
	uint8_t slots[5 * SLOT];
	uint32_t next_in = 0, next_out = 0, k;
	int got, i;

	while (next_out < 1000) {
		for (k = 0; k < 5; k++)
			make_slot(slots + k * SLOT, next_in + k);
		ASSERT_EQ(5, xshm_ring_push_batch(self->prod, slots, 5));
		next_in += 5;
		got = xshm_ring_pop_batch(self->cons, slots, 5);
		ASSERT_EQ(5, got);
		for (i = 0; i < got; i++)
			ASSERT_EQ((int64_t)next_out++, slot_number(slots + i * SLOT));
	}
}

TEST_F(ring, pop_batch_returns_what_is_there)
{
	uint8_t slots[SLOTS * SLOT];
	uint32_t i;

	EXPECT_EQ(0, xshm_ring_pop_batch(self->cons, slots, SLOTS));
	for (i = 0; i < 3; i++) {
		make_slot(slots, i);
		ASSERT_EQ(0, xshm_ring_push(self->prod, slots));
	}
	memset(slots, 0, sizeof(slots));
	ASSERT_EQ(2, xshm_ring_pop_batch(self->cons, slots, 2));
	EXPECT_EQ(0, slot_number(slots));
	EXPECT_EQ(1, slot_number(slots + SLOT));
	ASSERT_EQ(1, xshm_ring_pop_batch(self->cons, slots, SLOTS));
	EXPECT_EQ(2, slot_number(slots));
	EXPECT_EQ(0, xshm_ring_pop_batch(self->cons, slots, SLOTS));
	EXPECT_EQ(0, xshm_ring_pop_batch(self->cons, slots, 0));
}

/* The ring holds exactly capacity slots; then the policy decides. */
TEST_F(ring, full_ring_follows_policy_with_exact_counters)
{
	struct xshm_ring_stats st;
	uint8_t slot[SLOT];
	uint32_t i, first;
	int ret;

	for (i = 0; i < SLOTS; i++) {
		make_slot(slot, i);
		ASSERT_EQ(0, xshm_ring_push(self->prod, slot));
	}
	for (i = SLOTS; i < SLOTS + 3; i++) {
		make_slot(slot, i);
		ret = xshm_ring_push(self->prod, slot);
		switch (variant->policy) {
		case XSHM_FULL_FAIL:
			EXPECT_EQ(-EAGAIN, ret);
			break;
		case XSHM_FULL_DROP:
			EXPECT_EQ(-ENOBUFS, ret);
			break;
		case XSHM_FULL_OVERWRITE:
			EXPECT_EQ(0, ret);
			break;
		}
	}
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_EQ((uint64_t)SLOTS, st.fill);
	EXPECT_EQ(variant->policy == XSHM_FULL_DROP ? 3u : 0u, st.dropped);
	EXPECT_EQ(variant->policy == XSHM_FULL_OVERWRITE ? SLOTS + 3u : SLOTS,
		  st.produced);

	/* FAIL and DROP keep the oldest records, OVERWRITE the newest */
	first = variant->policy == XSHM_FULL_OVERWRITE ? 3 : 0;
	for (i = 0; i < SLOTS; i++) {
		ASSERT_EQ(0, xshm_ring_pop(self->cons, slot));
		EXPECT_EQ((int64_t)(first + i), slot_number(slot));
	}
	EXPECT_EQ(-EAGAIN, xshm_ring_pop(self->cons, slot));
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_EQ(0u, st.fill);
	EXPECT_EQ(variant->policy == XSHM_FULL_DROP ? 3u : 0u, st.dropped);
	EXPECT_EQ(variant->policy == XSHM_FULL_OVERWRITE ? 3u : 0u,
		  st.overwritten);

	/* room again: pushing works under every policy */
	make_slot(slot, 99);
	ASSERT_EQ(0, xshm_ring_push(self->prod, slot));
	ASSERT_EQ(0, xshm_ring_pop(self->cons, slot));
	EXPECT_EQ(99, slot_number(slot));
	ASSERT_EQ(0, xshm_ring_stats(self->prod, &st));
	EXPECT_EQ(0u, st.corrupt);
}

TEST_F(ring, push_batch_into_a_full_ring_follows_policy)
{
	uint8_t slots[(SLOTS + 2) * SLOT];
	struct xshm_ring_stats st;
	uint32_t i, first;
	int ret;

	for (i = 0; i < SLOTS + 2; i++)
		make_slot(slots + i * SLOT, i);
	ret = xshm_ring_push_batch(self->prod, slots, SLOTS + 2);
	ASSERT_EQ(0, xshm_ring_stats(self->prod, &st));
	switch (variant->policy) {
	case XSHM_FULL_FAIL:
		/* fewer: exactly what fits */
		EXPECT_EQ((int)SLOTS, ret);
		EXPECT_EQ(0u, st.dropped);
		break;
	case XSHM_FULL_DROP:
		EXPECT_EQ((int)SLOTS, ret);
		EXPECT_EQ(2u, st.dropped);
		break;
	case XSHM_FULL_OVERWRITE:
		EXPECT_EQ((int)SLOTS + 2, ret);
		break;
	}
	first = variant->policy == XSHM_FULL_OVERWRITE ? 2 : 0;
	memset(slots, 0, sizeof(slots));
	ASSERT_EQ((int)SLOTS, xshm_ring_pop_batch(self->cons, slots, SLOTS + 2));
	for (i = 0; i < SLOTS; i++)
		EXPECT_EQ((int64_t)(first + i), slot_number(slots + i * SLOT));
	ASSERT_EQ(0, xshm_ring_stats(self->prod, &st));
	EXPECT_EQ(variant->policy == XSHM_FULL_OVERWRITE ? 2u : 0u,
		  st.overwritten);
}

/*
 * The counters are shared and exact at any moment: records overwritten
 * are counted as soon as they are gone, not when a reader notices.
 */
TEST_F(over, overwritten_counted_before_the_consumer_reads)
{
	struct xshm_ring_stats st;
	uint8_t slot[SLOT];
	uint32_t i;

	for (i = 0; i < SLOTS + 5; i++) {
		make_slot(slot, i);
		ASSERT_EQ(0, xshm_ring_push(self->prod, slot));
	}
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_EQ((uint64_t)SLOTS + 5, st.produced);
	EXPECT_EQ((uint64_t)SLOTS, st.fill);
	EXPECT_EQ(5u, st.overwritten);
}

TEST_F(ring, batch_of_zero_is_a_no_op)
{
	uint8_t slot[SLOT];
	struct xshm_ring_stats st;

	EXPECT_EQ(0, xshm_ring_push_batch(self->prod, slot, 0));
	ASSERT_EQ(0, xshm_ring_stats(self->prod, &st));
	EXPECT_EQ(0u, st.produced);
	EXPECT_EQ(0u, st.fill);
}

TEST_F(ring, pop_wait_times_out_within_bounds)
{
	struct xshm_wait_policy wp = { .spin_iters = 10, .max_sleep_us = 500 };
	uint8_t slot[SLOT];
	uint64_t t0;

	t0 = test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, xshm_ring_pop_wait(self->cons, slot, 80));
	EXPECT_LE(80u, test_ms_since(t0));
	EXPECT_GT(5000u, test_ms_since(t0));

	xshm_ring_set_wait(self->cons, &wp);
	t0 = test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, xshm_ring_pop_wait(self->cons, slot, 30));
	EXPECT_LE(30u, test_ms_since(t0));
	EXPECT_GT(5000u, test_ms_since(t0));

	t0 = test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, xshm_ring_pop_wait(self->cons, slot, 0));
	EXPECT_GT(5000u, test_ms_since(t0));

	/* back to the defaults; a policy that never sleeps still times out */
	xshm_ring_set_wait(self->cons, NULL);
	t0 = test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, xshm_ring_pop_wait(self->cons, slot, 20));
	EXPECT_LE(20u, test_ms_since(t0));
	wp = (struct xshm_wait_policy){ .spin_iters = 0xffffffffu };
	xshm_ring_set_wait(self->cons, &wp);
	t0 = test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, xshm_ring_pop_wait(self->cons, slot, 20));
	EXPECT_LE(20u, test_ms_since(t0));
	EXPECT_GT(5000u, test_ms_since(t0));
}

TEST_F(ring, pop_wait_returns_data_already_there)
{
	uint8_t slot[SLOT];

	make_slot(slot, 7);
	ASSERT_EQ(0, xshm_ring_push(self->prod, slot));
	memset(slot, 0, sizeof(slot));
	ASSERT_EQ(0, xshm_ring_pop_wait(self->cons, slot, 0));
	EXPECT_EQ(7, slot_number(slot));
}

/* Another process pushes while we wait. */
TEST_F(ring, pop_wait_sees_a_push_from_another_process)
{
	uint8_t slot[SLOT];
	uint64_t t0;
	int status;
	pid_t pid;

	pid = test_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct xshm_region *r = NULL;
		struct xshm_ring *p = NULL;

		test_sleep_ms(100);
		if (xshm_region_open_path(self->path, 0, 0, &r) ||
		    xshm_ring_attach(r, variant->name, XSHM_PRODUCER, &p))
			_exit(1);
		make_slot(slot, 42);
		_exit(xshm_ring_push(p, slot) ? 2 : 0);
	}
	t0 = test_now_ns();
	ASSERT_EQ(0, xshm_ring_pop_wait(self->cons, slot, 20000));
	EXPECT_LE(50u, test_ms_since(t0));
	EXPECT_EQ(42, slot_number(slot));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

TEST_F(ring, each_side_does_only_its_part)
{
	uint8_t slot[SLOT] = { 0 };
	struct xshm_record rec;
	void *buf;

	EXPECT_EQ(-EPERM, xshm_ring_push(self->cons, slot));
	EXPECT_EQ(-EPERM, xshm_ring_push_batch(self->cons, slot, 1));
	EXPECT_EQ(-EPERM, xshm_ring_pop(self->prod, slot));
	EXPECT_EQ(-EPERM, xshm_ring_pop_batch(self->prod, slot, 1));
	EXPECT_EQ(-EPERM, xshm_ring_pop_wait(self->prod, slot, 0));
	/* variable-record calls on a fixed ring */
	EXPECT_EQ(-EINVAL, xshm_ring_send(self->prod, slot, 4));
	EXPECT_EQ(-EINVAL, xshm_ring_reserve(self->prod, 4, &buf));
	EXPECT_EQ(-EINVAL, xshm_ring_peek(self->cons, &rec));
	EXPECT_EQ(-EINVAL, xshm_ring_recv(self->cons, slot, sizeof(slot), NULL));
}

TEST_F(ring, fixed_calls_on_a_var_ring_are_einval)
{
	struct xshm_ring *vp = NULL, *vc = NULL;
	uint8_t slot[SLOT] = { 0 };

	ASSERT_EQ(0, xshm_ring_attach(self->r, "var", XSHM_PRODUCER, &vp));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "var", XSHM_CONSUMER, &vc));
	EXPECT_EQ(-EINVAL, xshm_ring_push(vp, slot));
	EXPECT_EQ(-EINVAL, xshm_ring_push_batch(vp, slot, 1));
	EXPECT_EQ(-EINVAL, xshm_ring_pop(vc, slot));
	EXPECT_EQ(-EINVAL, xshm_ring_pop_batch(vc, slot, 1));
	EXPECT_EQ(-EINVAL, xshm_ring_pop_wait(vc, slot, 0));
	xshm_ring_detach(vc);
	xshm_ring_detach(vp);
}

/*
 * Every slot shape a batch copies differently: packed small slots go in
 * runs (one copy up to the wrap), padded or larger ones slot by slot.
 * Odd batch sizes over a 7-slot-per-lap pattern cross the wrap at every
 * offset.
 */
TEST(batches_of_every_slot_shape_wrap_intact)
{
	static const uint32_t sizes[] = { 1, 4, 8, 12, 16, 20, 24, 64 };
	uint8_t in[7 * 64], out[7 * 64];
	struct xshm_chan_spec spec = { "s", XSHM_CHAN_RING_FIXED,
				       XSHM_FULL_FAIL, 0, 8 };
	struct xshm_ring *p, *c;
	struct xshm_region *r;
	char path[TEST_PATH_MAX];
	uint32_t k, n = 0, m = 0, es, b, i, j;
	int got;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &r));
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		es = sizes[k];
		spec.elem_size = es;
		ASSERT_EQ(0, xshm_layout_init(r, &spec, 1, XSHM_INIT_FORCE));
		ASSERT_EQ(0, xshm_ring_attach(r, "s", XSHM_PRODUCER, &p));
		ASSERT_EQ(0, xshm_ring_attach(r, "s", XSHM_CONSUMER, &c));
		for (b = 1; b <= 7; b++) {
			for (j = 0; j < 9; j++) {
				for (i = 0; i < b * es; i++)
					in[i] = (uint8_t)(n * es + i);
				ASSERT_EQ((int)b,
					  xshm_ring_push_batch(p, in, b));
				got = xshm_ring_pop_batch(c, out, 7);
				ASSERT_EQ((int)b, got);
				for (i = 0; i < b * es; i++)
					ASSERT_EQ((uint8_t)(m * es + i),
						  out[i]) TH_LOG("size %u batch %u",
								 es, b);
				n += b;
				m += b;
			}
		}
		xshm_ring_detach(p);
		xshm_ring_detach(c);
	}
	xshm_region_close(r);
	unlink(path);
}

TEST_HARNESS_MAIN
