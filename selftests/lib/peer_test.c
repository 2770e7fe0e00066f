// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The freestanding peer API end to end: peer_side.c, built from
 * xshm-peer.h alone with -ffreestanding -nostdlib, plays an RTOS that
 * creates the layout, sends records, pushes slots and writes a value into
 * a real file region; libxshm, as the Linux side, reads what it wrote.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xshm_test.h"
#include "xshm.h"

/* peer_side.c, compiled freestanding */
int peer_create(void *base, uint64_t size, uint64_t random);
int peer_log(void *base, uint64_t size, const void *msg, size_t len);
int peer_sendv(void *base, uint64_t size, const char *const *msgs,
	       const size_t *lens, unsigned int n);
int peer_slots(void *base, uint64_t size, const void *slots, unsigned int n);
int peer_value(void *base, uint64_t size, const void *val, size_t len);

#define REGION (64 * 1024)

FIXTURE(peer) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
	void *base;
	uint64_t size;
};

FIXTURE_SETUP(peer)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION, &self->r));
	self->base = xshm_region_base(self->r);
	self->size = xshm_region_size(self->r);
}

FIXTURE_TEARDOWN(peer)
{
	xshm_region_close(self->r);
	unlink(self->path);
}

TEST_F(peer, waits_while_the_region_holds_no_layout)
{
	EXPECT_EQ(-ENODATA, peer_log(self->base, self->size, "x", 1));
}

TEST_F(peer, creates_a_layout_that_libxshm_accepts_and_keeps_it_on_a_rerun)
{
	struct xshm_chan_info info[4];

	ASSERT_EQ(0, peer_create(self->base, self->size, 12345));
	EXPECT_EQ(0, xshm_layout_check(self->r));
	ASSERT_EQ(3, xshm_layout_list(self->r, info, 4));
	EXPECT_STREQ("log", info[0].name);
	EXPECT_EQ(XSHM_CHAN_RING_VAR, info[0].type);
	EXPECT_STREQ("state", info[1].name);
	EXPECT_EQ(XSHM_CHAN_LWW, info[1].type);
	EXPECT_STREQ("slots", info[2].name);
	/* the same channels again: the layout and its generation stay */
	uint64_t gen = xshm_layout_generation(self->r);

	EXPECT_EQ(1, peer_create(self->base, self->size, 999));
	EXPECT_EQ(gen, xshm_layout_generation(self->r));
}

TEST_F(peer, records_it_sends_arrive_whole_in_order_with_consecutive_seqs)
{
	static const char *const msgs[] = { "a", "from the rtos", "" };
	struct xshm_record rec;
	struct xshm_ring *c;
	char buf[64];
	unsigned int i;
	uint32_t seq0 = 0;

	ASSERT_EQ(0, peer_create(self->base, self->size, 1));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_CONSUMER, &c));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, peer_log(self->base, self->size, msgs[i],
				      strlen(msgs[i])));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ((ssize_t)strlen(msgs[i]),
			  xshm_ring_recv(c, buf, sizeof(buf), &rec));
		EXPECT_EQ(0, memcmp(buf, msgs[i], strlen(msgs[i])));
		if (i == 0)
			seq0 = rec.seq;
		EXPECT_EQ(seq0 + i, rec.seq);
		EXPECT_EQ(0, rec.lost);
	}
	EXPECT_EQ(-EAGAIN, xshm_ring_recv(c, buf, sizeof(buf), &rec));
	xshm_ring_detach(c);
}

TEST_F(peer, a_batch_it_sends_arrives_whole)
{
	static const char *const msgs[] = { "one", "two", "three", "four" };
	static const size_t lens[] = { 3, 3, 5, 4 };
	struct xshm_record recs[8];
	struct xshm_ring *c;
	char buf[256];
	int i;

	ASSERT_EQ(0, peer_create(self->base, self->size, 2));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_CONSUMER, &c));
	ASSERT_EQ(4, peer_sendv(self->base, self->size, msgs, lens, 4));
	ASSERT_EQ(4, xshm_ring_recv_batch(c, buf, sizeof(buf), recs, 8));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(lens[i], recs[i].len);
		EXPECT_EQ(0, memcmp(recs[i].data, msgs[i], lens[i]));
	}
	xshm_ring_detach(c);
}

TEST_F(peer, a_full_drop_ring_counts_each_record_it_drops)
{
	char msg[64] = "filler";
	struct xshm_ring_stats st;
	struct xshm_ring *c;
	int sent = 0, err;

	ASSERT_EQ(0, peer_create(self->base, self->size, 3));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_CONSUMER, &c));
	while ((err = peer_log(self->base, self->size, msg, sizeof(msg))) == 0)
		sent++;
	EXPECT_EQ(-ENOBUFS, err);
	EXPECT_EQ(-ENOBUFS, peer_log(self->base, self->size, msg, sizeof(msg)));
	ASSERT_EQ(0, xshm_ring_stats(c, &st));
	EXPECT_EQ((uint64_t)sent, st.produced);
	EXPECT_EQ(2, st.dropped);
	EXPECT_GT(sent, 0);
	xshm_ring_detach(c);
}

TEST_F(peer, slots_it_pushes_one_by_one_and_in_a_batch_arrive_in_order)
{
	uint64_t in[4] = { 11, 22, 33, 44 }, out[8];
	struct xshm_ring *c;

	ASSERT_EQ(0, peer_create(self->base, self->size, 4));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "slots", XSHM_CONSUMER, &c));
	/* one push of in[0], then a batch of all four */
	ASSERT_EQ(4, peer_slots(self->base, self->size, in, 4));
	ASSERT_EQ(5, xshm_ring_pop_batch_sized(c, out, sizeof(out[0]), 8));
	EXPECT_EQ(11, out[0]);
	EXPECT_EQ(11, out[1]);
	EXPECT_EQ(22, out[2]);
	EXPECT_EQ(33, out[3]);
	EXPECT_EQ(44, out[4]);
	xshm_ring_detach(c);
}

TEST_F(peer, a_value_it_writes_in_its_lww_slot_is_the_one_read)
{
	unsigned char val[16], got[16];
	struct xshm_value_info vi;
	struct xshm_seqlock *sl;

	memset(val, 0x5a, sizeof(val));
	val[15] = 7;
	ASSERT_EQ(0, peer_create(self->base, self->size, 5));
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "state", XSHM_CONSUMER, 0,
					 &sl));
	EXPECT_EQ(-ENODATA, xshm_seqlock_read(sl, got, sizeof(got), &vi, 0));
	ASSERT_EQ(0, peer_value(self->base, self->size, val, sizeof(val)));
	ASSERT_EQ(0, xshm_seqlock_read(sl, got, sizeof(got), &vi, 0));
	EXPECT_EQ(0, memcmp(val, got, sizeof(val)));
	EXPECT_EQ(1, vi.writer);
	/* a value of another size is refused, and nothing changes */
	EXPECT_EQ(-EINVAL, peer_value(self->base, self->size, val, 8));
	xshm_seqlock_detach(sl);
}

TEST_F(peer, refuses_a_layout_whose_table_was_corrupted)
{
	unsigned char *elem;

	ASSERT_EQ(0, peer_create(self->base, self->size, 6));
	elem = test_at(self->r, W_CHAN(0) + W_CHAN_ELEM);
	*elem ^= 1;
	EXPECT_EQ(-EBADMSG, peer_log(self->base, self->size, "x", 1));
	EXPECT_EQ(-EBADMSG, xshm_layout_check(self->r));
	*elem ^= 1;
	EXPECT_EQ(0, peer_log(self->base, self->size, "x", 1));
}

TEST_HARNESS_MAIN
