// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one-time initialiser and the layout header: garbage versus a valid
 * layout, keep/force/-EEXIST, channel listing, spec validation and waiting
 * for a peer to initialise.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (256u * 1024u)

static const struct xshm_chan_spec five_chans[] = {
	{ "log", XSHM_CHAN_RING_VAR, XSHM_FULL_DROP, 256, 4096 },
	{ "fifo", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 16, 64 },
	{ "config", XSHM_CHAN_SEQLOCK, 0, 128, 0 },
	{ "state", XSHM_CHAN_LATCH, 0, 64, 0 },
	{ "vote", XSHM_CHAN_LWW, 0, 32, 3 },
};
#define NFIVE (sizeof(five_chans) / sizeof(five_chans[0]))

static const struct xshm_chan_spec other_chans[] = {
	{ "fifo", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 16, 128 },
};

FIXTURE(region) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
};

FIXTURE_SETUP(region)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r));
}

FIXTURE_TEARDOWN(region)
{
	xshm_region_close(self->r);
	unlink(self->path);
}

TEST_F(region, zeroed_region_has_no_layout)
{
	struct xshm_ring *ring = NULL;
	struct xshm_seqlock *sl = NULL;

	EXPECT_EQ(-ENODATA, xshm_layout_check(self->r));
	EXPECT_EQ(-ENODATA, xshm_layout_list(self->r, NULL, 0));
	EXPECT_EQ(-ENODATA, xshm_ring_attach(self->r, "fifo", XSHM_CONSUMER,
					     &ring));
	EXPECT_EQ(-ENODATA, xshm_seqlock_attach(self->r, "config",
						XSHM_CONSUMER, 0, &sl));
}

TEST_F(region, garbage_is_not_a_layout_and_gets_initialised)
{
	uint8_t *p = xshm_region_base(self->r);
	uint32_t x = 0x12345678u;
	size_t i;

	/* what a region holds at first boot: anything */
	for (i = 0; i < REGION_SIZE; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	EXPECT_EQ(-ENODATA, xshm_layout_check(self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	EXPECT_EQ(0, xshm_layout_check(self->r));
}

TEST_F(region, init_lists_every_channel)
{
	struct xshm_chan_info info[NFIVE + 1];
	unsigned int i, j;

	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	EXPECT_EQ(0, xshm_layout_check(self->r));
	ASSERT_EQ((int)NFIVE, xshm_layout_list(self->r, info, NFIVE + 1));
	for (i = 0; i < NFIVE; i++) {
		EXPECT_STREQ(five_chans[i].name, info[i].name);
		EXPECT_EQ(five_chans[i].type, info[i].type);
		EXPECT_EQ(five_chans[i].policy, info[i].policy);
		EXPECT_EQ(five_chans[i].elem_size, info[i].elem_size);
		EXPECT_EQ(five_chans[i].capacity, info[i].capacity);
		EXPECT_LT(0u, info[i].size);
		EXPECT_GE((uint64_t)REGION_SIZE, info[i].offset + info[i].size);
		/* no channel overlaps another */
		for (j = 0; j < i; j++)
			EXPECT_TRUE(info[i].offset >= info[j].offset + info[j].size ||
				    info[j].offset >= info[i].offset + info[i].size);
	}
	/* a fixed ring holds at least its slots, a var ring its data bytes */
	EXPECT_LE((uint64_t)16 * 64, info[1].size);
	EXPECT_LE((uint64_t)4096, info[0].size);
}

TEST_F(region, list_fills_at_most_max)
{
	struct xshm_chan_info info[3];

	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	memset(info, 0x7e, sizeof(info));
	EXPECT_EQ((int)NFIVE, xshm_layout_list(self->r, info, 2));
	EXPECT_STREQ("log", info[0].name);
	EXPECT_STREQ("fifo", info[1].name);
	EXPECT_EQ(0x7e, (uint8_t)info[2].name[0]);
	EXPECT_EQ(0x7e7e7e7eu, info[2].type);
	EXPECT_EQ((int)NFIVE, xshm_layout_list(self->r, NULL, 0));
}

TEST_F(region, same_layout_is_kept_with_its_data)
{
	struct xshm_ring *prod = NULL, *cons = NULL;
	uint8_t slot[16], out[16];
	uint64_t gen;

	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	gen = xshm_layout_generation(self->r);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "fifo", XSHM_PRODUCER, &prod));
	test_pattern(slot, sizeof(slot), 1);
	ASSERT_EQ(0, xshm_ring_push(prod, slot));
	xshm_ring_detach(prod);

	/* a restarted side runs its initialiser again: nothing is lost */
	EXPECT_EQ(1, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	EXPECT_EQ(gen, xshm_layout_generation(self->r));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "fifo", XSHM_CONSUMER, &cons));
	ASSERT_EQ(0, xshm_ring_pop(cons, out));
	EXPECT_TRUE(test_pattern_ok(out, sizeof(out), 1));
	xshm_ring_detach(cons);
}

TEST_F(region, kept_across_close_and_reopen)
{
	uint64_t gen;

	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	gen = xshm_layout_generation(self->r);
	xshm_region_close(self->r);
	ASSERT_EQ(0, xshm_region_open_path(self->path, 0, 0, &self->r));
	EXPECT_EQ(0, xshm_layout_check(self->r));
	EXPECT_EQ(gen, xshm_layout_generation(self->r));
	EXPECT_EQ(1, xshm_layout_init(self->r, five_chans, NFIVE, 0));
}

TEST_F(region, different_layout_is_eexist_unless_forced)
{
	struct xshm_chan_info info[NFIVE];
	uint64_t gen;

	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	gen = xshm_layout_generation(self->r);
	EXPECT_EQ(-EEXIST, xshm_layout_init(self->r, other_chans, 1, 0));
	/* a refused init leaves the layout alone */
	EXPECT_EQ(gen, xshm_layout_generation(self->r));
	EXPECT_EQ((int)NFIVE, xshm_layout_list(self->r, info, NFIVE));
	/* a subset or a changed capacity is different too */
	EXPECT_EQ(-EEXIST, xshm_layout_init(self->r, five_chans, NFIVE - 1, 0));

	ASSERT_EQ(0, xshm_layout_init(self->r, other_chans, 1,
				      XSHM_INIT_FORCE));
	EXPECT_NE(gen, xshm_layout_generation(self->r));
	ASSERT_EQ(1, xshm_layout_list(self->r, info, NFIVE));
	EXPECT_STREQ("fifo", info[0].name);
	EXPECT_EQ(128u, info[0].capacity);
}

TEST_F(region, force_reinitialises_same_layout)
{
	struct xshm_ring *prod = NULL, *cons = NULL;
	uint8_t slot[16] = { 1 };
	uint64_t gen1, gen2;

	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	gen1 = xshm_layout_generation(self->r);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "fifo", XSHM_PRODUCER, &prod));
	ASSERT_EQ(0, xshm_ring_push(prod, slot));
	xshm_ring_detach(prod);

	EXPECT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE,
				      XSHM_INIT_FORCE));
	gen2 = xshm_layout_generation(self->r);
	EXPECT_NE(gen1, gen2);
	/* wiped: the pushed slot is gone */
	ASSERT_EQ(0, xshm_ring_attach(self->r, "fifo", XSHM_CONSUMER, &cons));
	EXPECT_EQ(-EAGAIN, xshm_ring_pop(cons, slot));
	xshm_ring_detach(cons);
	/* and every forced init is a new generation */
	EXPECT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE,
				      XSHM_INIT_FORCE));
	EXPECT_NE(gen2, xshm_layout_generation(self->r));
	EXPECT_NE(gen1, xshm_layout_generation(self->r));
}

TEST_F(region, generation_is_per_initialisation_not_per_region)
{
	char path2[TEST_PATH_MAX];
	struct xshm_region *r2 = NULL;

	/* two regions initialised the same way still differ: epochs, not counters from 0 */
	ASSERT_EQ(0, test_region_create(path2, REGION_SIZE, &r2));
	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	ASSERT_EQ(0, xshm_layout_init(r2, five_chans, NFIVE, 0));
	EXPECT_NE(xshm_layout_generation(self->r), xshm_layout_generation(r2));
	xshm_region_close(r2);
	unlink(path2);
}

TEST_F(region, a_second_mapping_sees_the_layout)
{
	struct xshm_region *r2 = NULL;

	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	ASSERT_EQ(0, xshm_region_open_path(self->path, XSHM_OPEN_RDONLY, 0, &r2));
	EXPECT_EQ(0, xshm_layout_check(r2));
	EXPECT_EQ((int)NFIVE, xshm_layout_list(r2, NULL, 0));
	EXPECT_EQ(xshm_layout_generation(self->r), xshm_layout_generation(r2));
	xshm_region_close(r2);
}

TEST_F(region, longest_name_and_most_channels)
{
	struct xshm_chan_spec many[XSHM_CHAN_MAX];
	char names[XSHM_CHAN_MAX][XSHM_NAME_MAX + 1];
	struct xshm_chan_info info[XSHM_CHAN_MAX];
	struct xshm_ring *ring = NULL;
	unsigned int i;

	for (i = 0; i < XSHM_CHAN_MAX; i++) {
		/* 31 characters, unique in the last two */
		snprintf(names[i], sizeof(names[i]),
			 "channel-with-a-long-name-....%02u", i);
		ASSERT_EQ((size_t)XSHM_NAME_MAX, strlen(names[i]));
		many[i] = (struct xshm_chan_spec){ names[i],
			XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, 16 };
	}
	ASSERT_EQ(0, xshm_layout_init(self->r, many, XSHM_CHAN_MAX, 0));
	ASSERT_EQ((int)XSHM_CHAN_MAX,
		  xshm_layout_list(self->r, info, XSHM_CHAN_MAX));
	for (i = 0; i < XSHM_CHAN_MAX; i++)
		EXPECT_STREQ(names[i], info[i].name);
	ASSERT_EQ(0, xshm_ring_attach(self->r, names[XSHM_CHAN_MAX - 1],
				      XSHM_PRODUCER, &ring));
	xshm_ring_detach(ring);
}

/* Every malformed spec is refused and leaves the region untouched. */
TEST_F(region, invalid_specs_are_einval)
{
	char longname[XSHM_NAME_MAX + 2];
	struct xshm_chan_spec many[XSHM_CHAN_MAX + 1];
	const struct xshm_chan_spec bad[][2] = {
		/* capacities must be powers of two */
		{ { "a", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, 48 } },
		{ { "a", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 0, 1000 } },
		{ { "a", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, 0 } },
		{ { "a", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 0, 16 } },
		/* a var ring holds at least two largest records, and 64 bytes */
		{ { "a", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 200, 256 } },
		{ { "a", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 0, 32 } },
		/* unknown type and policy */
		{ { "a", 0, XSHM_FULL_FAIL, 8, 16 } },
		{ { "a", 6, XSHM_FULL_FAIL, 8, 16 } },
		{ { "a", XSHM_CHAN_RING_FIXED, 3, 8, 16 } },
		/* values need a size, LWW needs writers, no policy */
		{ { "a", XSHM_CHAN_SEQLOCK, 0, 0, 0 } },
		{ { "a", XSHM_CHAN_SEQLOCK, XSHM_FULL_DROP, 8, 0 } },
		{ { "a", XSHM_CHAN_LWW, 0, 8, 0 } },
		/* names: empty, missing, duplicated */
		{ { "", XSHM_CHAN_SEQLOCK, 0, 8, 0 } },
		{ { NULL, XSHM_CHAN_SEQLOCK, 0, 8, 0 } },
		{ { "a", XSHM_CHAN_SEQLOCK, 0, 8, 0 },
		  { "a", XSHM_CHAN_LATCH, 0, 8, 0 } },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned int n = bad[i][1].name ? 2 : 1;

		EXPECT_EQ(-EINVAL, xshm_layout_init(self->r, bad[i], n, 0)) {
			TH_LOG("bad spec #%u accepted or wrong error", i);
		}
	}
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	many[0] = (struct xshm_chan_spec){ longname, XSHM_CHAN_SEQLOCK, 0, 8, 0 };
	EXPECT_EQ(-EINVAL, xshm_layout_init(self->r, many, 1, 0));

	for (i = 0; i <= XSHM_CHAN_MAX; i++)
		many[i] = (struct xshm_chan_spec){ "x", XSHM_CHAN_SEQLOCK, 0, 8, 0 };
	EXPECT_EQ(-EINVAL, xshm_layout_init(self->r, many, XSHM_CHAN_MAX + 1, 0));
	EXPECT_EQ(-EINVAL, xshm_layout_init(self->r, NULL, 1, 0));
	EXPECT_EQ(-EINVAL, xshm_layout_init(self->r, many, 0, 0));
	EXPECT_EQ(-EINVAL, xshm_layout_init(self->r, many, 1, 0x10));

	/* nothing was written */
	EXPECT_EQ(-ENODATA, xshm_layout_check(self->r));
}

TEST_F(region, channels_larger_than_region_do_not_fit)
{
	const struct xshm_chan_spec huge = {
		"huge", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 64, 1u << 16 };

	EXPECT_EQ(-ENOSPC, xshm_layout_init(self->r, &huge, 1, 0));
	EXPECT_EQ(-ENODATA, xshm_layout_check(self->r));
}

/* A region smaller than a header: no layout, and none fits. */
TEST(tiny_region_holds_no_layout)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	const struct xshm_chan_spec one = {
		"v", XSHM_CHAN_SEQLOCK, 0, 8, 0 };

	ASSERT_EQ(0, test_region_create(path, 40, &r));
	EXPECT_EQ(-ENODATA, xshm_layout_check(r));
	EXPECT_EQ(-ETIMEDOUT, xshm_layout_wait(r, 0));
	EXPECT_EQ(-ENOSPC, xshm_layout_init(r, &one, 1, 0));
	xshm_region_close(r);
	unlink(path);
}

TEST_F(region, attach_checks_name_and_type)
{
	struct xshm_ring *ring = NULL;
	struct xshm_seqlock *sl = NULL;

	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	EXPECT_EQ(-ENOENT, xshm_ring_attach(self->r, "nope", XSHM_PRODUCER,
					    &ring));
	EXPECT_EQ(-ENOENT, xshm_seqlock_attach(self->r, "nope", XSHM_CONSUMER,
					       0, &sl));
	/* a name matches whole: a prefix is not a channel */
	EXPECT_EQ(-ENOENT, xshm_ring_attach(self->r, "fif", XSHM_PRODUCER,
					    &ring));
	EXPECT_EQ(-EINVAL, xshm_ring_attach(self->r, "config", XSHM_PRODUCER,
					    &ring));
	EXPECT_EQ(-EINVAL, xshm_seqlock_attach(self->r, "fifo", XSHM_CONSUMER,
					       0, &sl));
	EXPECT_EQ(-EINVAL, xshm_ring_attach(self->r, "fifo", 0, &ring));
	EXPECT_EQ(-EINVAL, xshm_ring_attach(self->r, "fifo", 3, &ring));
}

TEST_F(region, rdonly_region_cannot_be_initialised_or_produced_into)
{
	struct xshm_region *ro = NULL;
	struct xshm_ring *ring = NULL;
	struct xshm_seqlock *sl = NULL;
	int ret;

	ASSERT_EQ(0, xshm_region_open_path(self->path, XSHM_OPEN_RDONLY, 0, &ro));
	/* refused, not a SIGSEGV on the read-only mapping */
	ret = xshm_layout_init(ro, five_chans, NFIVE, 0);
	EXPECT_EQ(-EACCES, ret);
	EXPECT_EQ(-ENODATA, xshm_layout_check(self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	EXPECT_EQ(-EACCES, xshm_layout_init(ro, five_chans, NFIVE, 0));
	EXPECT_EQ(-EACCES, xshm_ring_attach(ro, "fifo", XSHM_PRODUCER, &ring));
	EXPECT_EQ(-EACCES, xshm_seqlock_attach(ro, "config", XSHM_PRODUCER, 0,
					       &sl));
	xshm_region_close(ro);
}

TEST_F(region, wait_times_out_on_an_empty_region)
{
	uint64_t t0 = test_now_ns();

	EXPECT_EQ(-ETIMEDOUT, xshm_layout_wait(self->r, 100));
	EXPECT_LE(100u, test_ms_since(t0));
	EXPECT_GT(5000u, test_ms_since(t0));
	t0 = test_now_ns();
	EXPECT_EQ(-ETIMEDOUT, xshm_layout_wait(self->r, 0));
	EXPECT_GT(5000u, test_ms_since(t0));
}

TEST_F(region, wait_returns_at_once_on_a_valid_layout)
{
	ASSERT_EQ(0, xshm_layout_init(self->r, five_chans, NFIVE, 0));
	EXPECT_EQ(0, xshm_layout_wait(self->r, 0));
	EXPECT_EQ(0, xshm_layout_wait(self->r, -1));
}

/* The owner initialises from another process while we wait. */
TEST_F(region, wait_sees_a_peer_initialise)
{
	uint64_t t0;
	int status;
	pid_t pid;

	pid = test_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct xshm_region *peer = NULL;

		test_sleep_ms(150);
		if (xshm_region_open_path(self->path, 0, 0, &peer))
			_exit(1);
		_exit(xshm_layout_init(peer, five_chans, NFIVE, 0) ? 2 : 0);
	}
	t0 = test_now_ns();
	EXPECT_EQ(0, xshm_layout_wait(self->r, 20000));
	EXPECT_LE(100u, test_ms_since(t0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ((int)NFIVE, xshm_layout_list(self->r, NULL, 0));
}

TEST_HARNESS_MAIN
