// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Variable-length record rings: send/recv, zero-copy reserve/commit in
 * batches, peek/release, wrap-around with padding, -EMSGSIZE, sequence
 * numbers and `lost` under DROP and OVERWRITE.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (64u * 1024u)
#define MAXREC 120u
#define DATA 256u

static const struct xshm_chan_spec chans[] = {
	{ "fail", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, MAXREC, DATA },
	{ "drop", XSHM_CHAN_RING_VAR, XSHM_FULL_DROP, MAXREC, DATA },
	{ "over", XSHM_CHAN_RING_VAR, XSHM_FULL_OVERWRITE, MAXREC, DATA },
	{ "big", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 1000, 8192 },
	{ "dflt", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 0, 1024 },
};
#define NCHANS (sizeof(chans) / sizeof(chans[0]))

/*
 * One ring of each policy: a fixture per set of policies a test applies
 * to, all with the same setup (so no test has to skip itself).
 */
#define VAR_FIXTURE(fx) TEST_RING_PAIR_FIXTURE(fx, REGION_SIZE, chans, NCHANS)

VAR_FIXTURE(var)
FIXTURE_VARIANT_ADD(var, fail) { "fail", XSHM_FULL_FAIL };
FIXTURE_VARIANT_ADD(var, drop) { "drop", XSHM_FULL_DROP };
FIXTURE_VARIANT_ADD(var, overwrite) { "over", XSHM_FULL_OVERWRITE };

VAR_FIXTURE(drop)
FIXTURE_VARIANT_ADD(drop, only) { "drop", XSHM_FULL_DROP };

VAR_FIXTURE(over)
FIXTURE_VARIANT_ADD(over, only) { "over", XSHM_FULL_OVERWRITE };

/* Is [p, p + len) inside the region's mapping? */
static int in_region(struct xshm_region *r, const void *p, size_t len)
{
	const uint8_t *b = xshm_region_base(r);

	return (const uint8_t *)p >= b &&
	       (const uint8_t *)p + len <= b + xshm_region_size(r);
}

TEST_F(var, send_recv_keeps_bytes_lengths_and_seq)
{
	static const uint32_t lens[] = { 1, 7, 8, 9, 64, MAXREC };
	uint8_t buf[MAXREC], out[MAXREC];
	struct xshm_record rec;
	uint32_t i;
	ssize_t n;

	EXPECT_EQ(0u, xshm_ring_next_seq(self->prod));
	EXPECT_EQ(-EAGAIN, xshm_ring_recv(self->cons, out, sizeof(out), &rec));
	for (i = 0; i < 6; i++) {
		test_pattern(buf, lens[i], i);
		ASSERT_EQ(0, xshm_ring_send(self->prod, buf, lens[i]));
		EXPECT_EQ(i + 1, xshm_ring_next_seq(self->prod));
		n = xshm_ring_recv(self->cons, out, sizeof(out), &rec);
		ASSERT_EQ((ssize_t)lens[i], n);
		EXPECT_EQ(lens[i], rec.len);
		EXPECT_EQ(i, rec.seq);
		EXPECT_EQ(0u, rec.lost);
		EXPECT_EQ((const void *)out, rec.data);
		EXPECT_TRUE(test_pattern_ok(out, lens[i], i));
	}
	/* rec is optional */
	test_pattern(buf, 5, 77);
	ASSERT_EQ(0, xshm_ring_send(self->prod, buf, 5));
	ASSERT_EQ(5, xshm_ring_recv(self->cons, out, sizeof(out), NULL));
	EXPECT_TRUE(test_pattern_ok(out, 5, 77));
	EXPECT_EQ(-EAGAIN, xshm_ring_recv(self->cons, out, sizeof(out), NULL));
}

TEST_F(var, empty_record_is_a_record)
{
	struct xshm_record rec;
	uint8_t out[8];

	ASSERT_EQ(0, xshm_ring_send(self->prod, NULL, 0));
	ASSERT_EQ(0, xshm_ring_recv(self->cons, out, sizeof(out), &rec));
	EXPECT_EQ(0u, rec.len);
	EXPECT_EQ(0u, rec.seq);
	EXPECT_EQ(-EAGAIN, xshm_ring_recv(self->cons, out, sizeof(out), &rec));
}

TEST_F(var, longer_than_max_record_is_emsgsize)
{
	uint8_t buf[MAXREC + 1] = { 0 };
	struct xshm_ring_stats st;
	void *p;

	EXPECT_EQ(-EMSGSIZE, xshm_ring_send(self->prod, buf, MAXREC + 1));
	EXPECT_EQ(-EMSGSIZE, xshm_ring_reserve(self->prod, MAXREC + 1, &p));
	EXPECT_EQ(-EMSGSIZE, xshm_ring_reserve(self->prod, (size_t)1 << 40, &p));
	ASSERT_EQ(0, xshm_ring_stats(self->prod, &st));
	EXPECT_EQ(0u, st.produced);
	EXPECT_EQ(0u, st.dropped);
	EXPECT_EQ(0u, st.fill);
	EXPECT_EQ(0u, xshm_ring_next_seq(self->prod));
}

TEST_F(var, recv_into_a_small_buffer_leaves_the_record)
{
	uint8_t buf[50], out[64];
	struct xshm_record rec;

	test_pattern(buf, sizeof(buf), 3);
	ASSERT_EQ(0, xshm_ring_send(self->prod, buf, sizeof(buf)));
	EXPECT_EQ(-EMSGSIZE, xshm_ring_recv(self->cons, out, 10, &rec));
	EXPECT_EQ(-EMSGSIZE, xshm_ring_recv(self->cons, out, 49, NULL));
	ASSERT_EQ(50, xshm_ring_recv(self->cons, out, sizeof(out), &rec));
	EXPECT_EQ(0u, rec.seq);
	EXPECT_TRUE(test_pattern_ok(out, 50, 3));
}

/* Several reserves, one commit: nothing is visible until the commit. */
TEST_F(var, reserve_batch_is_published_by_one_commit)
{
	struct xshm_record rec;
	uint8_t out[MAXREC];
	void *p[3];
	uint32_t i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, xshm_ring_reserve(self->prod, 10 + 20 * i, &p[i]));
		if (variant->policy != XSHM_FULL_OVERWRITE) {
			ASSERT_TRUE(in_region(self->r, p[i], 10 + 20 * i));
		}
		test_pattern(p[i], 10 + 20 * i, 100 + i);
	}
	EXPECT_EQ(-EAGAIN, xshm_ring_peek(self->cons, &rec));
	/* the resume point moves on commit only, seen alike by both sides */
	EXPECT_EQ(0u, xshm_ring_next_seq(self->prod));
	EXPECT_EQ(0u, xshm_ring_next_seq(self->cons));
	EXPECT_EQ(3, xshm_ring_commit(self->prod));
	EXPECT_EQ(3u, xshm_ring_next_seq(self->prod));
	EXPECT_EQ(3u, xshm_ring_next_seq(self->cons));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ((ssize_t)(10 + 20 * i),
			  xshm_ring_recv(self->cons, out, sizeof(out), &rec));
		EXPECT_EQ(i, rec.seq);
		EXPECT_TRUE(test_pattern_ok(out, 10 + 20 * i, 100 + i));
	}
	EXPECT_EQ(-EAGAIN, xshm_ring_peek(self->cons, &rec));
}

TEST_F(var, commit_without_reserve_publishes_nothing)
{
	struct xshm_ring_stats st;
	struct xshm_record rec;

	EXPECT_EQ(0, xshm_ring_commit(self->prod));
	EXPECT_EQ(-EAGAIN, xshm_ring_peek(self->cons, &rec));
	ASSERT_EQ(0, xshm_ring_stats(self->prod, &st));
	EXPECT_EQ(0u, st.produced);
}

/* A batch of reservations can never outgrow the ring: commit first. */
TEST_F(var, reserve_batch_larger_than_the_ring_is_eagain)
{
	struct xshm_ring_stats st;
	struct xshm_record rec;
	uint32_t i, got = 0;
	void *p;
	int ret = 0;

	for (i = 0; i < 10; i++) {
		ret = xshm_ring_reserve(self->prod, 60, &p);
		if (ret)
			break;
		memset(p, (int)i, 60);
		got++;
	}
	/* under every policy: dropping or overwriting would not help */
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_LE(2u, got);
	EXPECT_GT(5u, got);
	EXPECT_EQ((int)got, xshm_ring_commit(self->prod));
	ASSERT_EQ(0, xshm_ring_stats(self->prod, &st));
	EXPECT_EQ((uint64_t)got, st.produced);
	EXPECT_EQ(0u, st.dropped);
	for (i = 0; i < got; i++) {
		ASSERT_EQ(0, xshm_ring_peek(self->cons, &rec));
		EXPECT_EQ(60u, rec.len);
		EXPECT_EQ(i, ((const uint8_t *)rec.data)[59]);
	}
	EXPECT_EQ(-EAGAIN, xshm_ring_peek(self->cons, &rec));
	EXPECT_EQ(0, xshm_ring_release(self->cons));
}

/* Committed records fill the ring; the next reserve follows the policy. */
TEST_F(var, reserve_on_a_full_ring_follows_policy)
{
	struct xshm_ring_stats st;
	uint8_t buf[60] = { 0 };
	uint32_t i;
	void *p;
	int ret;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, xshm_ring_send(self->prod, buf, sizeof(buf)));
	ret = xshm_ring_reserve(self->prod, 60, &p);
	ASSERT_EQ(0, xshm_ring_stats(self->prod, &st));
	switch (variant->policy) {
	case XSHM_FULL_FAIL:
		EXPECT_EQ(-EAGAIN, ret);
		EXPECT_EQ(0u, st.dropped);
		break;
	case XSHM_FULL_DROP:
		EXPECT_EQ(-ENOBUFS, ret);
		EXPECT_EQ(1u, st.dropped);
		/* the dropped record used up a number */
		EXPECT_EQ(4u, xshm_ring_next_seq(self->prod));
		break;
	case XSHM_FULL_OVERWRITE:
		ASSERT_EQ(0, ret);
		EXPECT_EQ(1, xshm_ring_commit(self->prod));
		break;
	}
	EXPECT_EQ(3u + (variant->policy == XSHM_FULL_OVERWRITE),
		  xshm_ring_stats(self->prod, &st) ? 0 : st.produced);
}

TEST_F(var, peek_walks_forward_and_release_frees_all)
{
	struct xshm_ring_stats st;
	struct xshm_record rec[3];
	uint8_t buf[30];
	uint64_t fill3;
	uint32_t i;

	for (i = 0; i < 3; i++) {
		test_pattern(buf, 20 + i, i);
		ASSERT_EQ(0, xshm_ring_send(self->prod, buf, 20 + i));
	}
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	fill3 = st.fill;
	EXPECT_LE(20u + 21u + 22u, fill3);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, xshm_ring_peek(self->cons, &rec[i]));
		EXPECT_EQ(i, rec[i].seq);
		EXPECT_EQ(20 + i, rec[i].len);
		if (variant->policy != XSHM_FULL_OVERWRITE) {
			EXPECT_TRUE(in_region(self->r, rec[i].data, rec[i].len));
		}
		EXPECT_TRUE(test_pattern_ok(rec[i].data, rec[i].len, i));
	}
	/* peeked records still occupy the ring and stay readable */
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_EQ(fill3, st.fill);
	EXPECT_TRUE(test_pattern_ok(rec[0].data, rec[0].len, 0));

	ASSERT_EQ(0, xshm_ring_release(self->cons));
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_GT(fill3, st.fill);
	EXPECT_LT(0u, st.fill);
	ASSERT_EQ(0, xshm_ring_peek(self->cons, &rec[2]));
	EXPECT_EQ(2u, rec[2].seq);
	EXPECT_TRUE(test_pattern_ok(rec[2].data, 22, 2));
	EXPECT_EQ(-EAGAIN, xshm_ring_peek(self->cons, &rec[0]));
	ASSERT_EQ(0, xshm_ring_release(self->cons));
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_EQ(0u, st.fill);
}

TEST_F(var, release_without_peek_is_harmless)
{
	uint8_t buf[8] = { 1 };
	uint8_t out[8];

	EXPECT_EQ(0, xshm_ring_release(self->cons));
	ASSERT_EQ(0, xshm_ring_send(self->prod, buf, 8));
	EXPECT_EQ(0, xshm_ring_release(self->cons));
	/* the unpeeked record was not freed */
	EXPECT_EQ(8, xshm_ring_recv(self->cons, out, sizeof(out), NULL));
}

/*
 * Records of 100 bytes in a 256-byte ring: the third never fits before the
 * end, so the producer pads to the end and wraps.  The consumer never sees
 * the padding, and every record is contiguous in memory.
 */
TEST_F(var, wrap_around_pads_and_keeps_records_whole)
{
	struct xshm_ring_stats st;
	struct xshm_record rec;
	uint8_t buf[100];
	uint32_t i;

	for (i = 0; i < 40; i++) {
		test_pattern(buf, sizeof(buf), i);
		ASSERT_EQ(0, xshm_ring_send(self->prod, buf, sizeof(buf)));
		if (i == 2) {
			/* wire-format.md: PAD | (32 bytes to the end - 8) at 224 */
			uint64_t off = test_chan_offset(self->r, variant->name);

			EXPECT_EQ(W_REC_PAD | 24u,
				  test_get32(self->r, off + W_DATA + 224));
		}
		ASSERT_EQ(0, xshm_ring_peek(self->cons, &rec));
		EXPECT_EQ(i, rec.seq);
		EXPECT_EQ(0u, rec.lost);
		ASSERT_EQ(100u, rec.len);
		if (variant->policy != XSHM_FULL_OVERWRITE) {
			EXPECT_TRUE(in_region(self->r, rec.data, rec.len));
		}
		EXPECT_TRUE(test_pattern_ok(rec.data, rec.len, i));
		ASSERT_EQ(0, xshm_ring_release(self->cons));
		EXPECT_EQ(-EAGAIN, xshm_ring_peek(self->cons, &rec));
	}
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_EQ(0u, st.fill);
	EXPECT_EQ(40u, st.produced);
	EXPECT_EQ(0u, st.dropped);
	EXPECT_EQ(0u, st.overwritten);
	EXPECT_EQ(0u, st.corrupt);
}

/* Mixed lengths, producer ahead by a varying amount, many laps. */
TEST_F(var, mixed_lengths_over_many_laps)
{
	uint8_t buf[MAXREC], out[MAXREC];
	uint32_t x = 2463534242u, sent = 0, recvd = 0, len;
	struct xshm_record rec;
	ssize_t n;
	int ret;

	while (recvd < 3000) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		len = x % (MAXREC + 1);
		if (x & 0x100) {
			test_pattern(buf, len, sent);
			ret = xshm_ring_send(self->prod, buf, len);
			if (ret == 0) {
				sent++;
				continue;
			}
			/* only a full ring may refuse */
			ASSERT_TRUE(ret == -EAGAIN || ret == -ENOBUFS);
			if (variant->policy == XSHM_FULL_DROP)
				sent++;
		}
		n = xshm_ring_recv(self->cons, out, sizeof(out), &rec);
		if (n == -EAGAIN)
			continue;
		ASSERT_LE(0, n);
		ASSERT_EQ(recvd + rec.lost, rec.seq);
		recvd = rec.seq + 1;
		ASSERT_TRUE(test_pattern_ok(out, (size_t)n, rec.seq));
	}
}

/* next_seq is the committed resume point: reservations do not count. */
TEST_F(var, next_seq_counts_commits)
{
	uint8_t buf[4] = { 0 };
	void *p;

	ASSERT_EQ(0, xshm_ring_send(self->prod, buf, 4));
	EXPECT_EQ(1u, xshm_ring_next_seq(self->prod));
	EXPECT_EQ(1u, xshm_ring_next_seq(self->cons));
	ASSERT_EQ(0, xshm_ring_reserve(self->prod, 4, &p));
	ASSERT_EQ(0, xshm_ring_reserve(self->prod, 4, &p));
	EXPECT_EQ(1u, xshm_ring_next_seq(self->prod));
	EXPECT_EQ(1u, xshm_ring_next_seq(self->cons));
	EXPECT_EQ(2, xshm_ring_commit(self->prod));
	EXPECT_EQ(3u, xshm_ring_next_seq(self->prod));
	EXPECT_EQ(3u, xshm_ring_next_seq(self->cons));
}

TEST_F(var, peek_wait_times_out_within_bounds)
{
	struct xshm_record rec;
	uint64_t t0 = test_now_ns();

	EXPECT_EQ(-ETIMEDOUT, xshm_ring_peek_wait(self->cons, &rec, 60));
	EXPECT_LE(60u, test_ms_since(t0));
	EXPECT_GT(5000u, test_ms_since(t0));
}

TEST_F(var, peek_wait_sees_a_send_from_another_process)
{
	struct xshm_record rec;
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
		_exit(xshm_ring_send(p, "hello", 5) ? 2 : 0);
	}
	ASSERT_EQ(0, xshm_ring_peek_wait(self->cons, &rec, 20000));
	ASSERT_EQ(5u, rec.len);
	EXPECT_EQ(0, memcmp(rec.data, "hello", 5));
	EXPECT_EQ(0, xshm_ring_release(self->cons));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

TEST_F(var, each_side_does_only_its_part)
{
	struct xshm_record rec;
	uint8_t buf[8] = { 0 };
	void *p;

	EXPECT_EQ(-EPERM, xshm_ring_send(self->cons, buf, 8));
	EXPECT_EQ(-EPERM, xshm_ring_reserve(self->cons, 8, &p));
	EXPECT_EQ(-EPERM, xshm_ring_commit(self->cons));
	EXPECT_EQ(-EPERM, xshm_ring_peek(self->prod, &rec));
	EXPECT_EQ(-EPERM, xshm_ring_peek_wait(self->prod, &rec, 0));
	EXPECT_EQ(-EPERM, xshm_ring_release(self->prod));
	EXPECT_EQ(-EPERM, xshm_ring_recv(self->prod, buf, sizeof(buf), NULL));
}

/* DROP: refused records are counted and reported as `lost` to the reader. */
TEST_F(drop, drop_counts_lost_records_and_seq_gap)
{
	struct xshm_ring_stats st;
	struct xshm_record rec;
	uint8_t buf[60], out[MAXREC];
	uint32_t i, kept = 0;
	int ret;

	for (i = 0; i < 10; i++) {
		test_pattern(buf, sizeof(buf), i);
		ret = xshm_ring_send(self->prod, buf, sizeof(buf));
		if (ret == 0)
			kept++;
		else
			ASSERT_EQ(-ENOBUFS, ret);
	}
	ASSERT_LT(0u, kept);
	ASSERT_GT(10u, kept);
	/* dropped records still used up their numbers */
	EXPECT_EQ(10u, xshm_ring_next_seq(self->prod));
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_EQ((uint64_t)kept, st.produced);
	EXPECT_EQ((uint64_t)(10 - kept), st.dropped);
	EXPECT_EQ(0u, st.overwritten);
	for (i = 0; i < kept; i++) {
		ASSERT_EQ(60, xshm_ring_recv(self->cons, out, sizeof(out), &rec));
		EXPECT_EQ(i, rec.seq);
		EXPECT_EQ(0u, rec.lost);
		EXPECT_TRUE(test_pattern_ok(out, 60, i));
	}
	test_pattern(buf, sizeof(buf), 10);
	ASSERT_EQ(0, xshm_ring_send(self->prod, buf, sizeof(buf)));
	ASSERT_EQ(60, xshm_ring_recv(self->cons, out, sizeof(out), &rec));
	EXPECT_EQ(10u, rec.seq);
	EXPECT_EQ((uint64_t)(10 - kept), rec.lost);
	EXPECT_TRUE(test_pattern_ok(out, 60, 10));
	/* the loss is reported once */
	ASSERT_EQ(0, xshm_ring_send(self->prod, buf, 8));
	ASSERT_EQ(8, xshm_ring_recv(self->cons, out, sizeof(out), &rec));
	EXPECT_EQ(0u, rec.lost);
	EXPECT_EQ(11u, rec.seq);
}

/* OVERWRITE: the producer never fails; the reader sees the newest records. */
TEST_F(over, overwrite_keeps_newest_and_reports_lost)
{
	struct xshm_ring_stats st;
	struct xshm_record rec;
	uint8_t buf[40], out[MAXREC];
	uint32_t i, first;
	ssize_t n;

	for (i = 0; i < 20; i++) {
		test_pattern(buf, sizeof(buf), i);
		ASSERT_EQ(0, xshm_ring_send(self->prod, buf, sizeof(buf)));
	}
	EXPECT_EQ(20u, xshm_ring_next_seq(self->prod));
	n = xshm_ring_recv(self->cons, out, sizeof(out), &rec);
	ASSERT_EQ(40, n);
	first = rec.seq;
	/* 256 bytes hold a handful of 40-byte records, never all 20 */
	EXPECT_LT(10u, first);
	EXPECT_GT(19u, first);
	EXPECT_EQ((uint64_t)first, rec.lost);
	EXPECT_TRUE(test_pattern_ok(out, 40, first));
	for (i = first + 1; i < 20; i++) {
		ASSERT_EQ(40, xshm_ring_recv(self->cons, out, sizeof(out), &rec));
		EXPECT_EQ(i, rec.seq);
		EXPECT_EQ(0u, rec.lost);
		EXPECT_TRUE(test_pattern_ok(out, 40, i));
	}
	EXPECT_EQ(-EAGAIN, xshm_ring_recv(self->cons, out, sizeof(out), &rec));
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_EQ(20u, st.produced);
	EXPECT_EQ((uint64_t)first, st.overwritten);
	EXPECT_EQ(0u, st.dropped);
}

/*
 * OVERWRITE: a held (peeked) record is a private copy, intact even after
 * the producer overwrote its bytes in the ring; the records overwritten
 * meanwhile show up as `lost` on the next one.
 */
TEST_F(over, overwrite_under_a_held_record_keeps_the_copy)
{
	struct xshm_ring_stats st;
	struct xshm_record rec, held;
	uint8_t buf[40], out[MAXREC];
	uint32_t i;

	test_pattern(buf, sizeof(buf), 0);
	ASSERT_EQ(0, xshm_ring_send(self->prod, buf, sizeof(buf)));
	ASSERT_EQ(0, xshm_ring_peek(self->cons, &held));
	EXPECT_EQ(0u, held.seq);
	for (i = 1; i < 20; i++) {
		test_pattern(buf, sizeof(buf), i);
		ASSERT_EQ(0, xshm_ring_send(self->prod, buf, sizeof(buf)));
	}
	EXPECT_TRUE(test_pattern_ok(held.data, held.len, 0));
	EXPECT_EQ(0, xshm_ring_release(self->cons));
	/* reading goes on with the oldest record still there */
	ASSERT_EQ(40, xshm_ring_recv(self->cons, out, sizeof(out), &rec));
	EXPECT_LT(1u, rec.seq);
	EXPECT_EQ((uint64_t)rec.seq - 1, rec.lost);
	EXPECT_TRUE(test_pattern_ok(out, 40, rec.seq));
	ASSERT_EQ(0, xshm_ring_stats(self->cons, &st));
	EXPECT_EQ((uint64_t)rec.seq - 1, st.overwritten);
}

/* OVERWRITE: held copies are bounded by the ring's size, then -ENOBUFS. */
TEST_F(over, overwrite_holds_at_most_a_ring_of_copies)
{
	struct xshm_record rec;
	uint8_t buf[40] = { 0 };
	uint32_t i, held = 0;
	int ret = 0;

	/* keep the producer ahead so there is always a record to peek */
	for (i = 0; i < 20 && ret == 0; i++) {
		ASSERT_EQ(0, xshm_ring_send(self->prod, buf, sizeof(buf)));
		ret = xshm_ring_peek(self->cons, &rec);
		held += ret == 0;
	}
	EXPECT_EQ(-ENOBUFS, ret);
	/* 40-byte payloads: 6 fit in 256 bytes of copies, not 7 */
	EXPECT_EQ(DATA / 40, held);
	EXPECT_EQ(0, xshm_ring_release(self->cons));
	EXPECT_EQ(0, xshm_ring_peek(self->cons, &rec));
}

TEST_F(var, default_max_record_is_a_quarter)
{
	struct xshm_ring *p = NULL;
	uint8_t buf[257] = { 0 };

	ASSERT_EQ(0, xshm_ring_attach(self->r, "dflt", XSHM_PRODUCER, &p));
	EXPECT_EQ(0, xshm_ring_send(p, buf, 256));
	EXPECT_EQ(-EMSGSIZE, xshm_ring_send(p, buf, 257));
	xshm_ring_detach(p);
}

TEST_F(var, large_records_in_a_large_ring)
{
	static uint8_t buf[1000], out[1000];
	struct xshm_ring *p = NULL, *c = NULL;
	uint32_t i;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "big", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "big", XSHM_CONSUMER, &c));
	for (i = 0; i < 100; i++) {
		test_pattern(buf, 1000 - i, i);
		ASSERT_EQ(0, xshm_ring_send(p, buf, 1000 - i));
		if (i % 3 == 2) {
			ASSERT_EQ((ssize_t)(1000 - i + 2),
				  xshm_ring_recv(c, out, sizeof(out), NULL));
			ASSERT_TRUE(test_pattern_ok(out, 1000 - i + 2, i - 2));
			ASSERT_EQ((ssize_t)(1000 - i + 1),
				  xshm_ring_recv(c, out, sizeof(out), NULL));
			ASSERT_EQ((ssize_t)(1000 - i),
				  xshm_ring_recv(c, out, sizeof(out), NULL));
			ASSERT_TRUE(test_pattern_ok(out, 1000 - i, i));
		}
	}
	xshm_ring_detach(c);
	xshm_ring_detach(p);
}

TEST_HARNESS_MAIN
