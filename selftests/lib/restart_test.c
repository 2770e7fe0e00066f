// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Restart and re-initialisation: either side of a ring detaches (or is
 * killed) and a new incarnation resumes from the shared cursors; a forced
 * re-initialisation by the peer makes old handles fail with -ESTALE.
 */
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (64u * 1024u)

static const struct xshm_chan_spec chans[] = {
	{ "log", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 64, 4096 },
	{ "fifo", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, 256 },
	{ "cfg", XSHM_CHAN_SEQLOCK, 0, 32, 0 },
	{ "latch", XSHM_CHAN_LATCH, 0, 32, 0 },
	{ "lww", XSHM_CHAN_LWW, 0, 32, 2 },
	{ "drops", XSHM_CHAN_RING_VAR, XSHM_FULL_DROP, 64, 256 },
};
#define NCHANS (sizeof(chans) / sizeof(chans[0]))

FIXTURE(restart) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
};

FIXTURE_SETUP(restart)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, NCHANS, 0));
}

FIXTURE_TEARDOWN(restart)
{
	xshm_region_close(self->r);
	unlink(self->path);
}

/* What a restarted program does: open, run the initialiser, attach. */
static int reincarnate(const char *path, const char *name, enum xshm_role role,
		       struct xshm_region **r, struct xshm_ring **ring)
{
	int ret = xshm_region_open_path(path, 0, 0, r);

	if (ret)
		return ret;
	ret = xshm_layout_init(*r, chans, NCHANS, 0);
	if (ret != 1)
		return ret < 0 ? ret : -EPROTO;
	return xshm_ring_attach(*r, name, role, ring);
}

static int send_n(struct xshm_ring *p, uint32_t from, uint32_t n)
{
	uint8_t buf[64];
	uint32_t i;
	int ret;

	for (i = from; i < from + n; i++) {
		test_pattern(buf, 8 + i % 50, i);
		ret = xshm_ring_send(p, buf, 8 + i % 50);
		if (ret)
			return ret;
	}
	return 0;
}

/* Receive n records; 0 if they are exactly records from..from+n-1. */
static int recv_n(struct xshm_ring *c, uint32_t from, uint32_t n)
{
	struct xshm_record rec;
	uint8_t buf[64];
	uint32_t i;
	ssize_t len;

	for (i = from; i < from + n; i++) {
		len = xshm_ring_recv(c, buf, sizeof(buf), &rec);
		if (len < 0)
			return (int)len;
		if (rec.seq != i || rec.lost || len != 8 + i % 50 ||
		    !test_pattern_ok(buf, (size_t)len, i))
			return -EBADMSG;
	}
	return 0;
}

TEST_F(restart, producer_resumes_its_sequence)
{
	struct xshm_ring *p = NULL, *c = NULL, *p2 = NULL;
	struct xshm_region *r2 = NULL;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_CONSUMER, &c));
	ASSERT_EQ(0, send_n(p, 0, 5));
	xshm_ring_detach(p);
	ASSERT_EQ(0, reincarnate(self->path, "log", XSHM_PRODUCER, &r2, &p2));
	EXPECT_EQ(5u, xshm_ring_next_seq(p2));
	ASSERT_EQ(0, send_n(p2, 5, 5));
	EXPECT_EQ(0, recv_n(c, 0, 10));
	xshm_ring_detach(p2);
	xshm_region_close(r2);
	xshm_ring_detach(c);
}

TEST_F(restart, consumer_resumes_after_what_it_released)
{
	struct xshm_ring *p = NULL, *c = NULL, *c2 = NULL;
	struct xshm_region *r2 = NULL;
	struct xshm_record rec;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_CONSUMER, &c));
	ASSERT_EQ(0, send_n(p, 0, 8));
	ASSERT_EQ(0, recv_n(c, 0, 3));
	/* peeked but not released: seen again after the restart */
	ASSERT_EQ(0, xshm_ring_peek(c, &rec));
	ASSERT_EQ(0, xshm_ring_peek(c, &rec));
	EXPECT_EQ(4u, rec.seq);
	xshm_ring_detach(c);
	ASSERT_EQ(0, reincarnate(self->path, "log", XSHM_CONSUMER, &r2, &c2));
	EXPECT_EQ(0, recv_n(c2, 3, 5));
	EXPECT_EQ(-EAGAIN, xshm_ring_peek(c2, &rec));
	xshm_ring_detach(c2);
	xshm_region_close(r2);
	xshm_ring_detach(p);
}

TEST_F(restart, uncommitted_reservation_vanishes_with_its_producer)
{
	struct xshm_ring *p = NULL, *c = NULL, *p2 = NULL;
	struct xshm_record rec;
	void *buf;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_CONSUMER, &c));
	ASSERT_EQ(0, send_n(p, 0, 2));
	ASSERT_EQ(0, xshm_ring_reserve(p, 40, &buf));
	memset(buf, 0xee, 40);
	xshm_ring_detach(p);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_PRODUCER, &p2));
	EXPECT_EQ(2u, xshm_ring_next_seq(p2));
	ASSERT_EQ(0, send_n(p2, 2, 1));
	EXPECT_EQ(0, recv_n(c, 0, 3));
	EXPECT_EQ(-EAGAIN, xshm_ring_peek(c, &rec));
	xshm_ring_detach(p2);
	xshm_ring_detach(c);
}

/*
 * DROP with reservations pending: the full ring says -EAGAIN (commit
 * first) instead of dropping, so a producer that dies before its commit
 * leaves neither its records nor a drop behind; the drop happens, and is
 * counted, on the next reservation after the commit.
 */
TEST_F(restart, drop_waits_for_pending_reservations)
{
	struct xshm_ring *p = NULL, *c = NULL, *p2 = NULL;
	struct xshm_ring_stats st;
	struct xshm_record rec;
	uint8_t buf[64] = { 0 };
	void *b;
	int i;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "drops", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "drops", XSHM_CONSUMER, &c));
	/* 3 x 72 bytes of 256, then 16: 24 bytes left */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, xshm_ring_send(p, buf, 64));
	ASSERT_EQ(0, xshm_ring_reserve(p, 8, &b));
	EXPECT_EQ(-EAGAIN, xshm_ring_reserve(p, 64, &b));
	ASSERT_EQ(0, xshm_ring_stats(p, &st));
	EXPECT_EQ(0u, st.dropped);
	/* dies before its commit */
	xshm_ring_detach(p);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "drops", XSHM_PRODUCER, &p2));
	EXPECT_EQ(3u, xshm_ring_next_seq(p2));
	ASSERT_EQ(0, xshm_ring_reserve(p2, 8, &b));
	EXPECT_EQ(-EAGAIN, xshm_ring_reserve(p2, 64, &b));
	EXPECT_EQ(1, xshm_ring_commit(p2));
	EXPECT_EQ(-ENOBUFS, xshm_ring_reserve(p2, 64, &b));
	ASSERT_EQ(0, xshm_ring_stats(p2, &st));
	EXPECT_EQ(1u, st.dropped);
	EXPECT_EQ(4u, st.produced);
	for (i = 0; i < 4; i++) {
		ASSERT_LE(0, xshm_ring_recv(c, buf, sizeof(buf), &rec));
		EXPECT_EQ((uint32_t)i, rec.seq);
		EXPECT_EQ(0u, rec.lost);
	}
	ASSERT_EQ(0, xshm_ring_send(p2, buf, 8));
	ASSERT_EQ(8, xshm_ring_recv(c, buf, sizeof(buf), &rec));
	EXPECT_EQ(5u, rec.seq);
	EXPECT_EQ(1u, rec.lost);
	xshm_ring_detach(p2);
	xshm_ring_detach(c);
}

/*
 * A producer killed between the stores of a drop (dropped, then
 * next_seq) or of a commit (head, next_seq, then produced): the block it
 * left is reproduced by hand, and its successor repairs the counters so
 * that the consumer's losses still equal the drop counter.
 */
TEST_F(restart, counters_cut_short_are_repaired_at_attach)
{
	struct xshm_ring *p = NULL, *c = NULL;
	struct xshm_ring_stats st;
	struct xshm_record rec;
	uint8_t buf[64] = { 0 };
	uint64_t off = test_chan_offset(self->r, "drops");

	ASSERT_EQ(0, xshm_ring_attach(self->r, "drops", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "drops", XSHM_CONSUMER, &c));
	ASSERT_EQ(0, xshm_ring_send(p, buf, 8));
	ASSERT_EQ(0, xshm_ring_send(p, buf, 8));
	xshm_ring_detach(p);
	ASSERT_EQ(2u, test_get32(self->r, off + W_PROD_SEQ));

	/* a drop cut short: dropped stored, next_seq not */
	test_put64(self->r, off + W_DROPPED, 1);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "drops", XSHM_PRODUCER, &p));
	EXPECT_EQ(3u, xshm_ring_next_seq(p));
	EXPECT_EQ(3u, test_get32(self->r, off + W_PROD_SEQ));
	ASSERT_EQ(0, xshm_ring_send(p, buf, 8));
	xshm_ring_detach(p);

	/* a commit cut short: head and next_seq stored, produced not */
	test_put64(self->r, off + W_PRODUCED, 2);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "drops", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_stats(p, &st));
	EXPECT_EQ(3u, st.produced);
	EXPECT_EQ(1u, st.dropped);
	EXPECT_EQ(4u, xshm_ring_next_seq(p));
	xshm_ring_detach(p);

	/* a commit cut short earlier: head stored, next_seq and produced not */
	test_put32(self->r, off + W_PROD_SEQ, 3);
	test_put64(self->r, off + W_PRODUCED, 2);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "drops", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_stats(p, &st));
	EXPECT_EQ(3u, st.produced);
	EXPECT_EQ(4u, xshm_ring_next_seq(p));

	ASSERT_EQ(8, xshm_ring_recv(c, buf, sizeof(buf), &rec));
	EXPECT_EQ(0u, rec.seq);
	ASSERT_EQ(8, xshm_ring_recv(c, buf, sizeof(buf), &rec));
	EXPECT_EQ(1u, rec.seq);
	ASSERT_EQ(8, xshm_ring_recv(c, buf, sizeof(buf), &rec));
	EXPECT_EQ(3u, rec.seq);
	/* the one loss the consumer sees is the one drop counted */
	EXPECT_EQ(1u, rec.lost);
	ASSERT_EQ(0, xshm_ring_stats(c, &st));
	EXPECT_EQ(1u, st.dropped);
	xshm_ring_detach(p);
	xshm_ring_detach(c);
}

/* A producer killed mid-stream, holding a reservation. */
TEST_F(restart, killed_producer_is_replaced_without_loss)
{
	struct xshm_ring *c = NULL, *p2 = NULL;
	int status;
	pid_t pid;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_CONSUMER, &c));
	pid = test_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct xshm_region *r = NULL;
		struct xshm_ring *p = NULL;
		void *buf;

		if (reincarnate(self->path, "log", XSHM_PRODUCER, &r, &p) ||
		    send_n(p, 0, 40) || xshm_ring_reserve(p, 30, &buf))
			_exit(1);
		memset(buf, 0xdd, 30);
		raise(SIGKILL);
		_exit(2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, recv_n(c, 0, 10));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_PRODUCER, &p2));
	EXPECT_EQ(40u, xshm_ring_next_seq(p2));
	ASSERT_EQ(0, send_n(p2, 40, 5));
	EXPECT_EQ(0, recv_n(c, 10, 35));
	xshm_ring_detach(p2);
	xshm_ring_detach(c);
}

/* A consumer killed mid-stream: the next one starts at its last release. */
TEST_F(restart, killed_consumer_is_replaced_without_loss)
{
	struct xshm_ring *p = NULL, *c2 = NULL;
	int status;
	pid_t pid;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, send_n(p, 0, 30));
	pid = test_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct xshm_region *r = NULL;
		struct xshm_ring *c = NULL;
		struct xshm_record rec;

		if (reincarnate(self->path, "log", XSHM_CONSUMER, &r, &c) ||
		    recv_n(c, 0, 12) || xshm_ring_peek(c, &rec))
			_exit(1);
		raise(SIGKILL);
		_exit(2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_CONSUMER, &c2));
	EXPECT_EQ(0, recv_n(c2, 12, 18));
	xshm_ring_detach(c2);
	xshm_ring_detach(p);
}

TEST_F(restart, fixed_ring_resumes_on_both_sides)
{
	struct xshm_ring *p = NULL, *c = NULL;
	uint64_t v;
	uint32_t i;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "fifo", XSHM_PRODUCER, &p));
	for (v = 0; v < 10; v++)
		ASSERT_EQ(0, xshm_ring_push(p, &v));
	xshm_ring_detach(p);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "fifo", XSHM_CONSUMER, &c));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, xshm_ring_pop(c, &v));
		EXPECT_EQ((uint64_t)i, v);
	}
	xshm_ring_detach(c);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "fifo", XSHM_PRODUCER, &p));
	for (v = 10; v < 12; v++)
		ASSERT_EQ(0, xshm_ring_push(p, &v));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "fifo", XSHM_CONSUMER, &c));
	for (i = 4; i < 12; i++) {
		ASSERT_EQ(0, xshm_ring_pop(c, &v));
		EXPECT_EQ((uint64_t)i, v);
	}
	EXPECT_EQ(-EAGAIN, xshm_ring_pop(c, &v));
	xshm_ring_detach(c);
	xshm_ring_detach(p);
}

TEST_F(restart, values_survive_a_restart)
{
	struct xshm_seqlock *w = NULL, *rd = NULL;
	uint8_t val[32], out[32];

	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "cfg", XSHM_PRODUCER, 0, &w));
	test_pattern(val, sizeof(val), 9);
	ASSERT_EQ(0, xshm_seqlock_write(w, val, sizeof(val), 0));
	xshm_seqlock_detach(w);
	xshm_region_close(self->r);
	ASSERT_EQ(0, xshm_region_open_path(self->path, 0, 0, &self->r));
	ASSERT_EQ(1, xshm_layout_init(self->r, chans, NCHANS, 0));
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "cfg", XSHM_CONSUMER, 0, &rd));
	ASSERT_EQ(0, xshm_seqlock_read(rd, out, sizeof(out), NULL, 100));
	EXPECT_TRUE(test_pattern_ok(out, sizeof(out), 9));
	xshm_seqlock_detach(rd);
}

/* The peer re-initialises: every old handle says -ESTALE, re-attach works. */
TEST_F(restart, reinitialised_layout_makes_handles_stale)
{
	struct xshm_ring *vp = NULL, *vc = NULL, *fp = NULL, *fc = NULL;
	struct xshm_seqlock *sw = NULL, *sr = NULL;
	struct xshm_region *peer = NULL;
	struct xshm_ring_stats st;
	struct xshm_record rec;
	uint8_t buf[64];
	void *p;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_PRODUCER, &vp));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_CONSUMER, &vc));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "fifo", XSHM_PRODUCER, &fp));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "fifo", XSHM_CONSUMER, &fc));
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "cfg", XSHM_PRODUCER, 0, &sw));
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "cfg", XSHM_CONSUMER, 0, &sr));
	ASSERT_EQ(0, xshm_ring_send(vp, "x", 1));
	ASSERT_EQ(0, xshm_ring_push(fp, buf));

	/* the peer, through its own mapping */
	ASSERT_EQ(0, xshm_region_open_path(self->path, 0, 0, &peer));
	ASSERT_EQ(0, xshm_layout_init(peer, chans, NCHANS, XSHM_INIT_FORCE));

	EXPECT_EQ(-ESTALE, xshm_ring_send(vp, "y", 1));
	EXPECT_EQ(-ESTALE, xshm_ring_reserve(vp, 1, &p));
	EXPECT_EQ(-ESTALE, xshm_ring_peek(vc, &rec));
	EXPECT_EQ(-ESTALE, xshm_ring_recv(vc, buf, sizeof(buf), NULL));
	EXPECT_EQ(-ESTALE, xshm_ring_peek_wait(vc, &rec, 10));
	EXPECT_EQ(-ESTALE, xshm_ring_push(fp, buf));
	EXPECT_EQ(-ESTALE, xshm_ring_push_batch(fp, buf, 1));
	EXPECT_EQ(-ESTALE, xshm_ring_pop(fc, buf));
	EXPECT_EQ(-ESTALE, xshm_ring_pop_batch(fc, buf, 1));
	EXPECT_EQ(-ESTALE, xshm_ring_pop_wait(fc, buf, 10));
	EXPECT_EQ(-ESTALE, xshm_ring_stats(fc, &st));
	EXPECT_EQ(-ESTALE, xshm_seqlock_write(sw, buf, 32, 0));
	EXPECT_EQ(-ESTALE, xshm_seqlock_read(sr, buf, 32, NULL, 10));
	/* the layout itself is fine and the region handle follows it */
	EXPECT_EQ(0, xshm_layout_check(self->r));
	EXPECT_EQ(xshm_layout_generation(peer), xshm_layout_generation(self->r));

	xshm_ring_detach(vp);
	xshm_ring_detach(vc);
	xshm_ring_detach(fp);
	xshm_ring_detach(fc);
	xshm_seqlock_detach(sw);
	xshm_seqlock_detach(sr);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "log", XSHM_CONSUMER, &vc));
	EXPECT_EQ(-EAGAIN, xshm_ring_peek(vc, &rec));
	xshm_ring_detach(vc);
	xshm_region_close(peer);
}

TEST_HARNESS_MAIN
