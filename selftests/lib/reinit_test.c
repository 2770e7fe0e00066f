// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Re-initialisation that no stale side can corrupt.  The interleaving of
 * issue 11 is forced: one side re-initialises (XSHM_INIT_FORCE) while the
 * producer sits between reserve and commit, or while a fixed-ring producer
 * or a value writer is inside its write.  The initialiser waits for it,
 * retires the old layout, and the stale side then stores nothing into the
 * new one: its calls give -ESTALE, and the new consumer sees exactly the
 * records sent to the new layout.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "xshm_test.h"
#include "xshm-peer.h"

#define REGION (256u * 1024u)

static const struct xshm_chan_spec chans[] = {
	{ "var", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 64, 1024 },
	{ "fixed", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 16, 8 },
	{ "value", XSHM_CHAN_SEQLOCK, 0, 24, 0 },
	{ "lww", XSHM_CHAN_LWW, 0, 24, 4 },
};
#define NCH (sizeof(chans) / sizeof(chans[0]))

struct reinit {
	struct xshm_region *r;
	int ret;
	volatile int done;
	uint64_t ms;
};

static void *force_init(void *arg)
{
	struct reinit *ri = arg;
	uint64_t t0 = test_now_ns();

	ri->ret = xshm_layout_init(ri->r, chans, NCH, XSHM_INIT_FORCE);
	ri->ms = test_ms_since(t0);
	__atomic_store_n(&ri->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int init_done(struct reinit *ri)
{
	return __atomic_load_n(&ri->done, __ATOMIC_ACQUIRE);
}

FIXTURE(reinit) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
	struct xshm_peer_layout lay;
};

FIXTURE_SETUP(reinit)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION, &self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, NCH, 0));
	ASSERT_EQ(0, xshm_peer_layout_attach(&self->lay,
					     xshm_region_base(self->r),
					     xshm_region_size(self->r)));
}

FIXTURE_TEARDOWN(reinit)
{
	xshm_region_close(self->r);
	unlink(self->path);
}

/* the new layout's ring is untouched: positions 0, nothing to read */
static void expect_fresh_var_ring(struct __test_metadata *_metadata,
				  struct xshm_region *r)
{
	struct xshm_ring *p, *c;
	struct xshm_record rec;
	char buf[64];
	int i;

	ASSERT_EQ(0, xshm_ring_attach(r, "var", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_attach(r, "var", XSHM_CONSUMER, &c));
	EXPECT_EQ(-EAGAIN, xshm_ring_recv(c, buf, sizeof(buf), &rec));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, xshm_ring_send(p, "new", 3));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(3, xshm_ring_recv(c, buf, sizeof(buf), &rec));
		EXPECT_EQ((uint32_t)i, rec.seq);
		EXPECT_EQ(0u, rec.lost);
	}
	EXPECT_EQ(-EAGAIN, xshm_ring_recv(c, buf, sizeof(buf), &rec));
	xshm_ring_detach(p);
	xshm_ring_detach(c);
}

/* Issue 11's interleaving: force-init while reserve .. commit is open. */
TEST_F(reinit, var_producer_between_reserve_and_commit)
{
	struct reinit ri = { .r = self->r };
	struct xshm_ring *p, *c;
	pthread_t t;
	void *buf;
	char out[64];

	ASSERT_EQ(0, xshm_ring_attach(self->r, "var", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "var", XSHM_CONSUMER, &c));
	ASSERT_EQ(0, xshm_ring_send(p, "old", 3));
	ASSERT_EQ(0, xshm_ring_reserve(p, 8, &buf));
	ASSERT_EQ(0, xshm_ring_reserve(p, 8, &buf));
	ASSERT_EQ(0, pthread_create(&t, NULL, force_init, &ri));
	test_sleep_ms(200);
	/* the initialiser waits for the open write path */
	EXPECT_EQ(0, init_done(&ri));
	memcpy(buf, "stale!!!", 8);
	EXPECT_EQ(2, xshm_ring_commit(p));	/* into the old layout */
	pthread_join(t, NULL);
	EXPECT_EQ(0, ri.ret);
	EXPECT_GT(900u, ri.ms);		/* it did not need the takeover */
	/* the stale sides: nothing stored, -ESTALE */
	EXPECT_EQ(-ESTALE, xshm_ring_send(p, "x", 1));
	EXPECT_EQ(-ESTALE, xshm_ring_recv(c, out, sizeof(out), NULL));
	xshm_ring_detach(p);
	xshm_ring_detach(c);
	expect_fresh_var_ring(_metadata, self->r);
}

/*
 * A producer that keeps its reservation past the takeover time is presumed
 * dead: the initialiser goes on, and the late commit publishes nothing.
 */
TEST_F(reinit, var_reservation_held_past_takeover_publishes_nothing)
{
	struct reinit ri = { .r = self->r };
	struct xshm_ring *p;
	pthread_t t;
	void *buf;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "var", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_reserve(p, 8, &buf));
	ASSERT_EQ(0, pthread_create(&t, NULL, force_init, &ri));
	pthread_join(t, NULL);
	EXPECT_EQ(0, ri.ret);
	EXPECT_LE(XSHM_WIRE_TAKEOVER_MS - 5, ri.ms);
	EXPECT_EQ(-ESTALE, xshm_ring_commit(p));
	xshm_ring_detach(p);
	expect_fresh_var_ring(_metadata, self->r);
}

/*
 * Fixed ring and values, through xshm-peer.h's handles (which never look
 * at the header, only at their owner words): the test holds the owner
 * word as push or write does while copying, the initialiser waits, and
 * afterwards the stale handles store nothing into the new layout.
 */
TEST_F(reinit, fixed_producer_and_value_writers_inside_their_write)
{
	struct reinit ri = { .r = self->r };
	struct xshm_peer_ring ring;
	struct xshm_peer_value val, slot;
	struct xshm_wire_chan c;
	uint8_t bytes[24] = { 1 };
	struct xshm_chan_info info[NCH];
	pthread_t t;
	unsigned int i;

	ASSERT_EQ(0, xshm_peer_ring_attach(&self->lay, "fixed", &ring));
	ASSERT_EQ(0, xshm_peer_value_attach(&self->lay, "value", 0, &val));
	ASSERT_EQ(0, xshm_peer_value_attach(&self->lay, "lww", 2, &slot));
	ASSERT_EQ(0, xshm_peer_ring_push(&ring, bytes));
	ASSERT_EQ(0, xshm_peer_layout_find(&self->lay, "fixed", &c));

	ASSERT_EQ(0, xshm_peer_owner_enter(ring.owner, ring.gen));
	ASSERT_EQ(0, xshm_peer_owner_enter(val.owner, val.gen));
	ASSERT_EQ(0, xshm_peer_owner_enter(slot.owner, slot.gen));
	ASSERT_EQ(0, pthread_create(&t, NULL, force_init, &ri));
	test_sleep_ms(100);
	EXPECT_EQ(0, init_done(&ri));
	ASSERT_EQ(0, xshm_peer_owner_exit(ring.owner, ring.gen));
	test_sleep_ms(50);
	EXPECT_EQ(0, init_done(&ri));	/* still waits for the values */
	ASSERT_EQ(0, xshm_peer_owner_exit(val.owner, val.gen));
	ASSERT_EQ(0, xshm_peer_owner_exit(slot.owner, slot.gen));
	pthread_join(t, NULL);
	EXPECT_EQ(0, ri.ret);
	EXPECT_GT(900u, ri.ms);

	EXPECT_EQ(-ESTALE, xshm_peer_ring_push(&ring, bytes));
	EXPECT_EQ(-ESTALE, xshm_peer_ring_push_batch(&ring, bytes, 1));
	EXPECT_EQ(-ESTALE, xshm_peer_value_write(&val, bytes, 24, 0));
	EXPECT_EQ(-ESTALE, xshm_peer_value_write(&slot, bytes, 24, 7));
	/* every byte of the new layout's channels is as initialised */
	ASSERT_EQ((int)NCH, xshm_layout_list(self->r, info, NCH));
	for (i = 0; i < NCH; i++) {
		uint64_t o, gen = xshm_layout_generation(self->r);
		const uint8_t *b = test_at(self->r, info[i].offset);

		for (o = 0; o < info[i].size; o += 8) {
			uint64_t w;

			memcpy(&w, b + o, 8);
			if (w == gen)
				continue;	/* an owner word */
			ASSERT_EQ(0u, w) {
				TH_LOG("%s +%llu", info[i].name,
				       (unsigned long long)o);
			}
		}
	}
}

TEST_HARNESS_MAIN
