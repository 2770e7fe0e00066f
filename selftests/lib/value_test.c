// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Seqlock, latch and last-writer-wins values: read/write, write counts and
 * stamps, newest value wins, argument checks, no torn value while a
 * writer in another process rewrites the value as fast as it can, and the
 * calls' names before XSHM_1.3 (xshm_seqlock_*) are the same calls.
 */
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (64u * 1024u)
#define VAL 256u	/* large enough that a torn copy is likely if unprotected */
#define WRITERS 3u

static const struct xshm_chan_spec chans[] = {
	{ "seq", XSHM_CHAN_SEQLOCK, 0, VAL, 0 },
	{ "latch", XSHM_CHAN_LATCH, 0, VAL, 0 },
	{ "lww", XSHM_CHAN_LWW, 0, VAL, WRITERS },
};

FIXTURE(value) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
	struct xshm_value *w, *rd;
};

FIXTURE_VARIANT(value) {
	const char *name;
	enum xshm_chan_type type;
};

FIXTURE_VARIANT_ADD(value, seqlock) { "seq", XSHM_CHAN_SEQLOCK };
FIXTURE_VARIANT_ADD(value, latch) { "latch", XSHM_CHAN_LATCH };
FIXTURE_VARIANT_ADD(value, lww) { "lww", XSHM_CHAN_LWW };

FIXTURE_SETUP(value)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, 3, 0));
	ASSERT_EQ(0, xshm_value_attach(self->r, variant->name, XSHM_PRODUCER,
				       0, &self->w));
	ASSERT_EQ(0, xshm_value_attach(self->r, variant->name, XSHM_CONSUMER,
				       0, &self->rd));
}

FIXTURE_TEARDOWN(value)
{
	xshm_value_detach(self->w);
	xshm_value_detach(self->rd);
	xshm_region_close(self->r);
	unlink(self->path);
}

/* A value whose every 64-bit word is n: any mix of two writes shows. */
static void make_value(uint64_t val[VAL / 8], uint64_t n)
{
	unsigned int i;

	for (i = 0; i < VAL / 8; i++)
		val[i] = n;
}

static int value_whole(const uint64_t val[VAL / 8])
{
	unsigned int i;

	for (i = 1; i < VAL / 8; i++)
		if (val[i] != val[0])
			return 0;
	return 1;
}

TEST_F(value, write_then_read_with_counts)
{
	uint64_t val[VAL / 8], out[VAL / 8];
	struct xshm_value_info info;
	uint64_t i;

	for (i = 1; i <= 3; i++) {
		make_value(val, 1000 + i);
		ASSERT_EQ(0, xshm_value_write(self->w, val, VAL, 0));
		memset(&info, 0xff, sizeof(info));
		ASSERT_EQ(0, xshm_value_read(self->rd, out, VAL, &info, 100));
		EXPECT_EQ(0, memcmp(val, out, VAL));
		/* write count, or the LWW stamp that 0 chose: also i */
		EXPECT_EQ(i, info.stamp);
		EXPECT_EQ(0u, info.writer);
		EXPECT_EQ(0u, info.retries);
	}
	/* info is optional; reading does not consume */
	ASSERT_EQ(0, xshm_value_read(self->rd, out, VAL, NULL, 100));
	EXPECT_EQ(1003u, out[0]);
	EXPECT_TRUE(value_whole(out));
}

TEST_F(value, old_names_are_the_same_calls)
{
	uint64_t val[VAL / 8], out[VAL / 8];
	struct xshm_value_info info;
	struct xshm_seqlock *old;	/* the same type as struct xshm_value */

	ASSERT_EQ(0, xshm_seqlock_attach(self->r, variant->name, XSHM_CONSUMER,
					 0, &old));
	make_value(val, 7);
	ASSERT_EQ(0, xshm_seqlock_write(self->w, val, VAL, 0));
	ASSERT_EQ(0, xshm_value_read(self->rd, out, VAL, &info, 0));
	ASSERT_EQ(7, out[0]);
	make_value(val, 8);
	ASSERT_EQ(0, xshm_value_write(self->w, val, VAL, 0));
	ASSERT_EQ(0, xshm_seqlock_read(old, out, VAL, &info, 0));
	ASSERT_EQ(8, out[0]);
	ASSERT_TRUE(value_whole(out));
	xshm_seqlock_set_wait(old, NULL);
	xshm_seqlock_detach(old);
	/* one function under two names, not a wrapper */
	ASSERT_TRUE(xshm_seqlock_attach == xshm_value_attach);
	ASSERT_TRUE(xshm_seqlock_detach == xshm_value_detach);
	ASSERT_TRUE(xshm_seqlock_set_wait == xshm_value_set_wait);
	ASSERT_TRUE(xshm_seqlock_write == xshm_value_write);
	ASSERT_TRUE(xshm_seqlock_read == xshm_value_read);
	ASSERT_TRUE(xshm_seqlock_doorbell == xshm_value_doorbell);
	ASSERT_TRUE(xshm_seqlock_wait == xshm_value_wait);
	ASSERT_TRUE(xshm_seqlock_fd == xshm_value_fd);
	ASSERT_TRUE(xshm_seqlock_arm == xshm_value_arm);
	ASSERT_TRUE(xshm_seqlock_disarm == xshm_value_disarm);
	ASSERT_TRUE(xshm_seqlock_doorbell_stats == xshm_value_doorbell_stats);
}

TEST_F(value, length_must_equal_the_value_size)
{
	uint8_t buf[VAL + 1] = { 0 };

	EXPECT_EQ(-EINVAL, xshm_value_write(self->w, buf, VAL - 1, 0));
	EXPECT_EQ(-EINVAL, xshm_value_write(self->w, buf, VAL + 1, 0));
	EXPECT_EQ(-EINVAL, xshm_value_read(self->rd, buf, VAL - 1, NULL, 10));
	EXPECT_EQ(-EINVAL, xshm_value_read(self->rd, buf, VAL + 1, NULL, 10));
}

TEST_F(value, nothing_written_yet_is_enodata)
{
	uint8_t buf[VAL];
	uint64_t t0 = test_now_ns();

	EXPECT_EQ(-ENODATA, xshm_value_read(self->rd, buf, VAL, NULL, 5000));
	/* no writer is mid-update: no reason to wait for the timeout */
	EXPECT_GT(4000u, test_ms_since(t0));
}

TEST_F(value, readers_do_not_write)
{
	uint8_t buf[VAL] = { 0 };

	EXPECT_EQ(-EPERM, xshm_value_write(self->rd, buf, VAL, 0));
	/* and writers do not read: a writer has no reader state */
	EXPECT_EQ(-EPERM, xshm_value_read(self->w, buf, VAL, NULL, 0));
}

TEST_F(value, writer_slot_is_checked)
{
	struct xshm_value *sl = NULL;
	unsigned int slots = variant->type == XSHM_CHAN_LWW ? WRITERS : 1;

	EXPECT_EQ(-EINVAL, xshm_value_attach(self->r, variant->name,
					     XSHM_PRODUCER, slots, &sl));
	EXPECT_EQ(-EINVAL, xshm_value_attach(self->r, variant->name,
					     XSHM_PRODUCER, 1000, &sl));
	ASSERT_EQ(0, xshm_value_attach(self->r, variant->name, XSHM_PRODUCER,
				       slots - 1, &sl));
	xshm_value_detach(sl);
	EXPECT_EQ(-EINVAL, xshm_value_attach(self->r, variant->name, 0, 0,
					     &sl));
}

/*
 * A writer process rewrites the value as fast as it can; every value the
 * reader gets must be whole, and successive values never go back in time.
 */
TEST_F(value, no_torn_value_under_a_concurrent_writer)
{
	uint64_t out[VAL / 8], last = 0, reads = 0, newer = 0;
	struct xshm_value_info info;
	uint64_t t0;
	int status, ret;
	pid_t pid;

	pid = test_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint64_t val[VAL / 8], n;
		struct xshm_region *r = NULL;
		struct xshm_value *w = NULL;

		if (xshm_region_open_path(self->path, 0, 0, &r) ||
		    xshm_value_attach(r, variant->name, XSHM_PRODUCER,
				      variant->type == XSHM_CHAN_LWW ? 1 : 0,
				      &w))
			_exit(1);
		for (n = 1; ; n++) {
			make_value(val, n);
			if (xshm_value_write(w, val, VAL, 0))
				_exit(2);
		}
	}
	/*
	 * At least 300 ms, 20 reads and 2 newer values (a loaded machine may
	 * preempt the writer mid-update for a while), at most 10 s.
	 */
	t0 = test_now_ns();
	while ((test_ms_since(t0) < 300 || reads < 20 || newer < 2) &&
	       test_ms_since(t0) < 10000) {
		ret = xshm_value_read(self->rd, out, VAL, &info, 1000);
		if (ret == -EBUSY)
			continue;	/* a preempted writer: allowed, not torn */
		if (ret == -ENODATA && !reads)
			continue;	/* the writer has not written yet */
		ASSERT_EQ(0, ret);
		reads++;
		ASSERT_TRUE(value_whole(out)) {
			TH_LOG("torn value: word 0 = %ju", (uintmax_t)out[0]);
		}
		ASSERT_LE(last, out[0]);
		newer += out[0] > last;
		last = out[0];
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_LE(20u, reads);
	EXPECT_LE(2u, newer);
}

/* Readers need no write access: a read-only mapping serves them. */
TEST_F(value, readers_work_on_a_read_only_region)
{
	struct xshm_region *ro = NULL;
	struct xshm_value *rd = NULL, *w = NULL;
	uint64_t val[VAL / 8], out[VAL / 8];

	make_value(val, 77);
	ASSERT_EQ(0, xshm_value_write(self->w, val, VAL, 0));
	ASSERT_EQ(0, xshm_region_open_path(self->path, XSHM_OPEN_RDONLY, 0, &ro));
	ASSERT_EQ(0, xshm_value_attach(ro, variant->name, XSHM_CONSUMER, 0,
				       &rd));
	ASSERT_EQ(0, xshm_value_read(rd, out, VAL, NULL, 100));
	EXPECT_EQ(77u, out[0]);
	EXPECT_TRUE(value_whole(out));
	EXPECT_EQ(-EACCES, xshm_value_attach(ro, variant->name,
					     XSHM_PRODUCER, 0, &w));
	xshm_value_detach(rd);
	xshm_region_close(ro);
}

/* LWW: the highest stamp wins, whichever slot wrote it and when. */
static const struct {
	unsigned int writer;
	uint64_t fill, stamp;			/* what it writes */
	uint64_t want, want_stamp;		/* what a read gives then */
	unsigned int want_writer;
} steps[] = {
	{ 0, 0xa, 10, 0xa, 10, 0 },
	{ 1, 0xb, 5, 0xa, 10, 0 },	/* older stamp written later: loses */
	{ 2, 0xc, 0, 0xc, 11, 2 },	/* stamp 0: newest present + 1 */
	{ 1, 0xd, 20, 0xd, 20, 1 },
	{ 1, 0xe, 3, 0xc, 11, 2 },	/* a slot's next value replaces its own */
};

TEST(lww_newest_stamp_wins)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	struct xshm_value *w[WRITERS], *rd = NULL;
	struct xshm_value_info info;
	uint64_t val[VAL / 8], out[VAL / 8];
	unsigned int i;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &r));
	ASSERT_EQ(0, xshm_layout_init(r, chans, 3, 0));
	for (i = 0; i < WRITERS; i++)
		ASSERT_EQ(0, xshm_value_attach(r, "lww", XSHM_PRODUCER, i,
					       &w[i]));
	ASSERT_EQ(0, xshm_value_attach(r, "lww", XSHM_CONSUMER, 0, &rd));

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		make_value(val, steps[i].fill);
		ASSERT_EQ(0, xshm_value_write(w[steps[i].writer], val, VAL,
					      steps[i].stamp));
		ASSERT_EQ(0, xshm_value_read(rd, out, VAL, &info, 100));
		EXPECT_EQ(steps[i].want, out[0]);
		EXPECT_EQ(steps[i].want_stamp, info.stamp);
		EXPECT_EQ(steps[i].want_writer, info.writer);
		EXPECT_TRUE(value_whole(out));
	}

	for (i = 0; i < WRITERS; i++)
		xshm_value_detach(w[i]);
	xshm_value_detach(rd);
	xshm_region_close(r);
	unlink(path);
}

/* Redundant producers in separate processes: the reader follows the newest. */
TEST(lww_redundant_writer_processes)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	struct xshm_value *rd = NULL;
	struct xshm_value_info info;
	uint64_t out[VAL / 8];
	pid_t pid[2];
	unsigned int i;
	int status;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &r));
	ASSERT_EQ(0, xshm_layout_init(r, chans, 3, 0));
	for (i = 0; i < 2; i++) {
		pid[i] = test_fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			struct xshm_region *cr = NULL;
			struct xshm_value *w = NULL;
			uint64_t val[VAL / 8];

			if (xshm_region_open_path(path, 0, 0, &cr) ||
			    xshm_value_attach(cr, "lww", XSHM_PRODUCER, i, &w))
				_exit(1);
			/* writer 0 stamps 100, writer 1 stamps 200 */
			make_value(val, 100 * (i + 1));
			_exit(xshm_value_write(w, val, VAL, 100 * (i + 1)) ? 2 : 0);
		}
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_EQ(0, status);
	}
	ASSERT_EQ(0, xshm_value_attach(r, "lww", XSHM_CONSUMER, 0, &rd));
	ASSERT_EQ(0, xshm_value_read(rd, out, VAL, &info, 100));
	EXPECT_EQ(200u, out[0]);
	EXPECT_EQ(200u, info.stamp);
	EXPECT_EQ(1u, info.writer);
	xshm_value_detach(rd);
	xshm_region_close(r);
	unlink(path);
}

TEST_HARNESS_MAIN
