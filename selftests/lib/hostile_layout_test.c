// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A peer that writes nonsense into the layout header and channel table:
 * wrong magic or state, an incompatible version (-EPROTO), a bad checksum,
 * and checksummed but impossible tables (-EBADMSG).  The byte offsets come
 * from Documentation/wire-format.md, not from the library's headers.
 */
#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (64u * 1024u)

static const struct xshm_chan_spec chans[] = {
	{ "ring", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, 16 },
	{ "log", XSHM_CHAN_RING_VAR, XSHM_FULL_DROP, 64, 1024 },
	{ "val", XSHM_CHAN_SEQLOCK, 0, 16, 0 },
};
#define NCHANS 3u

FIXTURE(layout) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
};

FIXTURE_SETUP(layout)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, NCHANS, 0));
}

FIXTURE_TEARDOWN(layout)
{
	xshm_region_close(self->r);
	unlink(self->path);
}

/* Every reader-side call agrees on the verdict. */
#define EXPECT_LAYOUT_ERR(err) do {					\
	struct xshm_ring *_ring = NULL;					\
	struct xshm_seqlock *_sl = NULL;				\
	EXPECT_EQ(err, xshm_layout_check(self->r));			\
	EXPECT_EQ(err, xshm_layout_list(self->r, NULL, 0));		\
	EXPECT_EQ(err == -ENODATA ? -ETIMEDOUT : err,			\
		  xshm_layout_wait(self->r, 0));			\
	EXPECT_EQ(err, xshm_ring_attach(self->r, "ring", XSHM_CONSUMER, \
					&_ring));			\
	EXPECT_EQ(err, xshm_seqlock_attach(self->r, "val",		\
					   XSHM_CONSUMER, 0, &_sl));	\
} while (0)

TEST(crc32c_matches_the_documented_check_value)
{
	EXPECT_EQ(0xe3069283u, test_crc32c("123456789", 9));
}

/* What the library writes is what the document describes. */
TEST_F(layout, header_matches_the_document)
{
	unsigned int i;

	EXPECT_EQ(W_MAGIC, test_get32(self->r, W_OFF_MAGIC));
	EXPECT_EQ(W_STATE_READY, test_get32(self->r, W_OFF_STATE));
	EXPECT_EQ(W_VMAJOR, test_get32(self->r, W_OFF_VMAJOR) & 0xffff);
	EXPECT_EQ(64u + 64u * NCHANS, test_get32(self->r, W_OFF_HDRSIZE));
	EXPECT_EQ(NCHANS, test_get32(self->r, W_OFF_NCHANS));
	EXPECT_EQ(xshm_layout_generation(self->r),
		  test_get64(self->r, W_OFF_GEN));
	EXPECT_NE(0u, test_get64(self->r, W_OFF_GEN));
	EXPECT_EQ(test_layout_crc(self->r), test_get32(self->r, W_OFF_CHECKSUM));
	for (i = 0; i < NCHANS; i++) {
		EXPECT_STREQ(chans[i].name, (char *)test_at(self->r, W_CHAN(i)));
		EXPECT_EQ(chans[i].type,
			  test_get32(self->r, W_CHAN(i) + W_CHAN_TYPE));
		EXPECT_EQ(0u, test_get64(self->r, W_CHAN(i) + W_CHAN_OFFSET) % 128);
	}
	/* sizes per the document's table */
	EXPECT_EQ(256u + 16u * 8u, test_get64(self->r, W_CHAN(0) + W_CHAN_SIZE));
	EXPECT_EQ(256u + 1024u, test_get64(self->r, W_CHAN(1) + W_CHAN_SIZE));
	/* a 16-byte value lives in its control block's first line */
	EXPECT_EQ(128u, test_get64(self->r, W_CHAN(2) + W_CHAN_SIZE));
	EXPECT_LE(test_get64(self->r, W_CHAN(2) + W_CHAN_OFFSET) + 128u,
		  test_get64(self->r, W_OFF_LAYOUTSZ));
}

TEST_F(layout, wrong_magic_or_state_is_not_a_layout)
{
	test_put32(self->r, W_OFF_MAGIC, W_MAGIC ^ 1);
	EXPECT_LAYOUT_ERR(-ENODATA);
	test_put32(self->r, W_OFF_MAGIC, W_MAGIC);
	EXPECT_EQ(0, xshm_layout_check(self->r));
	/* a peer caught mid-initialisation */
	test_put32(self->r, W_OFF_STATE, W_STATE_INIT);
	EXPECT_LAYOUT_ERR(-ENODATA);
	test_put32(self->r, W_OFF_STATE, 0);
	EXPECT_LAYOUT_ERR(-ENODATA);
	test_put32(self->r, W_OFF_STATE, W_STATE_READY);
	EXPECT_EQ(0, xshm_layout_check(self->r));
}

/* A newer major version: refused as incompatible, checksum or not. */
TEST_F(layout, other_major_version_is_eproto)
{
	test_put32(self->r, W_OFF_VMAJOR, W_VMAJOR + 1);	/* minor 0 */
	EXPECT_LAYOUT_ERR(-EPROTO);
	test_reseal(self->r);
	EXPECT_LAYOUT_ERR(-EPROTO);
	/* version 1 kept values at +128 whatever their size */
	test_put32(self->r, W_OFF_VMAJOR, W_VMAJOR - 1);
	test_reseal(self->r);
	EXPECT_LAYOUT_ERR(-EPROTO);
	test_put32(self->r, W_OFF_VMAJOR, 0);
	test_reseal(self->r);
	EXPECT_LAYOUT_ERR(-EPROTO);
	/* a wait does not wait for an incompatible layout to go away */
	EXPECT_EQ(-EPROTO, xshm_layout_wait(self->r, 5000));
}

/* A newer minor of the same major is compatible. */
TEST_F(layout, newer_minor_version_is_accepted)
{
	test_put32(self->r, W_OFF_VMAJOR, W_VMAJOR | (7u << 16));
	test_reseal(self->r);
	EXPECT_EQ(0, xshm_layout_check(self->r));
}

/*
 * The initialiser must not wipe a layout it cannot read because it is
 * newer: the peer that wrote it is alive.  Only XSHM_INIT_FORCE may.
 */
TEST_F(layout, init_refuses_to_overwrite_an_incompatible_layout)
{
	test_put32(self->r, W_OFF_VMAJOR, W_VMAJOR + 1);
	test_reseal(self->r);
	EXPECT_EQ(-EPROTO, xshm_layout_init(self->r, chans, NCHANS, 0));
	EXPECT_EQ(W_VMAJOR + 1, test_get32(self->r, W_OFF_VMAJOR) & 0xffff);
	EXPECT_EQ(0, xshm_layout_init(self->r, chans, NCHANS, XSHM_INIT_FORCE));
	EXPECT_EQ(0, xshm_layout_check(self->r));
}

TEST_F(layout, bad_checksum_is_ebadmsg)
{
	uint32_t sum = test_get32(self->r, W_OFF_CHECKSUM);

	test_put32(self->r, W_OFF_CHECKSUM, sum ^ 0x100);
	EXPECT_LAYOUT_ERR(-EBADMSG);
	test_put32(self->r, W_OFF_CHECKSUM, sum);
	EXPECT_EQ(0, xshm_layout_check(self->r));
	/* a flipped name byte, or a changed capacity, breaks it too */
	*test_at(self->r, W_CHAN(1) + 1) ^= 0x20;
	EXPECT_LAYOUT_ERR(-EBADMSG);
	*test_at(self->r, W_CHAN(1) + 1) ^= 0x20;
	test_put32(self->r, W_CHAN(0) + W_CHAN_CAP, 32);
	EXPECT_LAYOUT_ERR(-EBADMSG);
}

/* A corrupt layout is garbage: the initialiser replaces it. */
TEST_F(layout, init_replaces_a_corrupt_layout)
{
	uint64_t gen = xshm_layout_generation(self->r);

	test_put32(self->r, W_OFF_CHECKSUM,
		   test_get32(self->r, W_OFF_CHECKSUM) ^ 1);
	EXPECT_EQ(0, xshm_layout_init(self->r, chans, NCHANS, 0));
	EXPECT_EQ(0, xshm_layout_check(self->r));
	EXPECT_NE(gen, xshm_layout_generation(self->r));
}

/*
 * Tables a peer checksummed correctly but that describe impossible
 * things.  Each case patches one field (then reseals), checks, restores.
 */
struct patch {
	const char *what;
	uint32_t off;
	int width;	/* 4 or 8 */
	uint64_t val;
};

TEST_F(layout, impossible_tables_are_ebadmsg)
{
	const uint64_t c1 = test_get64(self->r, W_CHAN(1) + W_CHAN_OFFSET);
	const uint64_t c0 = test_get64(self->r, W_CHAN(0) + W_CHAN_OFFSET);
	const struct patch patches[] = {
		{ "nchans 0", W_OFF_NCHANS, 4, 0 },
		{ "nchans 33", W_OFF_NCHANS, 4, 33 },
		{ "nchans without header_size", W_OFF_NCHANS, 4, 2 },
		{ "header_size", W_OFF_HDRSIZE, 4, 64 + 64 * 4 },
		{ "layout_size past the region", W_OFF_LAYOUTSZ, 8,
		  REGION_SIZE + 128 },
		{ "layout_size inside the table", W_OFF_LAYOUTSZ, 8, 64 },
		{ "generation 0", W_OFF_GEN, 8, 0 },
		{ "channel offset past the end", W_CHAN(1) + W_CHAN_OFFSET, 8,
		  REGION_SIZE - 128 },
		{ "channel offset huge", W_CHAN(1) + W_CHAN_OFFSET, 8,
		  0xffffffffffffff80ull },
		{ "channel offset unaligned", W_CHAN(1) + W_CHAN_OFFSET, 8,
		  c1 + 8 },
		{ "channel offset in the header", W_CHAN(1) + W_CHAN_OFFSET, 8,
		  0 },
		{ "channels overlap", W_CHAN(1) + W_CHAN_OFFSET, 8, c0 },
		{ "size not the one implied", W_CHAN(1) + W_CHAN_SIZE, 8,
		  256 + 2048 },
		{ "unknown type", W_CHAN(0) + W_CHAN_TYPE, 4, 9 },
		{ "unknown policy", W_CHAN(0) + W_CHAN_POLICY, 4, 7 },
		{ "elem_size 0", W_CHAN(0) + W_CHAN_ELEM, 4, 0 },
		{ "elem_size huge", W_CHAN(0) + W_CHAN_ELEM, 4, 0x80000000u },
		{ "capacity not a power of two", W_CHAN(0) + W_CHAN_CAP, 4, 15 },
		{ "var record larger than half", W_CHAN(1) + W_CHAN_ELEM, 4,
		  1000 },
		{ "policy on a value", W_CHAN(2) + W_CHAN_POLICY, 4, 1 },
	};
	uint8_t saved[64 + 64 * NCHANS];
	unsigned int i;

	memcpy(saved, test_at(self->r, 0), sizeof(saved));
	for (i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
		const struct patch *p = &patches[i];

		if (p->width == 4)
			test_put32(self->r, p->off, (uint32_t)p->val);
		else
			test_put64(self->r, p->off, p->val);
		test_reseal(self->r);
		EXPECT_EQ(-EBADMSG, xshm_layout_check(self->r)) {
			TH_LOG("%s: not refused", p->what);
		}
		EXPECT_EQ(-EBADMSG, xshm_layout_list(self->r, NULL, 0)) {
			TH_LOG("%s: listed", p->what);
		}
		memcpy(test_at(self->r, 0), saved, sizeof(saved));
		ASSERT_EQ(0, xshm_layout_check(self->r));
	}
}

TEST_F(layout, bad_names_are_ebadmsg)
{
	uint8_t saved[64];

	memcpy(saved, test_at(self->r, W_CHAN(1)), sizeof(saved));
	/* no NUL in 32 bytes */
	memset(test_at(self->r, W_CHAN(1)), 'x', 32);
	test_reseal(self->r);
	EXPECT_EQ(-EBADMSG, xshm_layout_check(self->r));
	/* empty */
	memset(test_at(self->r, W_CHAN(1)), 0, 32);
	test_reseal(self->r);
	EXPECT_EQ(-EBADMSG, xshm_layout_check(self->r));
	/* the same name twice */
	memcpy(test_at(self->r, W_CHAN(1)), "ring", 5);
	test_reseal(self->r);
	EXPECT_EQ(-EBADMSG, xshm_layout_check(self->r));
	memcpy(test_at(self->r, W_CHAN(1)), saved, sizeof(saved));
	test_reseal(self->r);
	EXPECT_EQ(0, xshm_layout_check(self->r));
}

/* The peer changed the generation (a re-initialisation we missed). */
TEST_F(layout, changed_generation_makes_handles_stale)
{
	struct xshm_ring *ring = NULL;
	uint8_t slot[8] = { 0 };

	struct xshm_chan_info info[NCHANS];
	uint64_t gen;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "ring", XSHM_PRODUCER, &ring));
	gen = test_get64(self->r, W_OFF_GEN) + 1;
	test_put64(self->r, W_OFF_GEN, gen);
	test_reseal(self->r);
	EXPECT_EQ(0, xshm_layout_check(self->r));
	EXPECT_EQ(-ESTALE, xshm_ring_push(ring, slot));
	xshm_ring_detach(ring);
	/* the producer's owner word still names the old generation */
	EXPECT_EQ(-ESTALE, xshm_ring_attach(self->r, "ring", XSHM_PRODUCER,
					    &ring));
	ASSERT_LT(0, xshm_layout_list(self->r, info, NCHANS));
	ASSERT_STREQ("ring", info[0].name);
	test_put64(self->r, info[0].offset + W_PROD_OWNER, gen);
	ASSERT_EQ(0, xshm_ring_attach(self->r, "ring", XSHM_PRODUCER, &ring));
	EXPECT_EQ(0, xshm_ring_push(ring, slot));
	/* state INIT: the peer is re-initialising right now */
	test_put32(self->r, W_OFF_STATE, W_STATE_INIT);
	EXPECT_EQ(-ESTALE, xshm_ring_push(ring, slot));
	xshm_ring_detach(ring);
}

/*
 * Random bytes over the header and table, many times: every verdict is
 * one of the documented ones, and a layout that passes is self-consistent.
 */
TEST_F(layout, random_headers_never_crash)
{
	struct xshm_chan_info info[XSHM_CHAN_MAX];
	uint8_t saved[64 + 64 * NCHANS];
	uint32_t x = 0x9e3779b9u;
	unsigned int iter, k, nbytes;
	int ret, i, seen_ok = 0;

	memcpy(saved, test_at(self->r, 0), sizeof(saved));
	for (iter = 0; iter < 20000; iter++) {
		memcpy(test_at(self->r, 0), saved, sizeof(saved));
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		nbytes = 1 + x % 4;
		for (k = 0; k < nbytes; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			*test_at(self->r, 8 + x % (sizeof(saved) - 8)) = (uint8_t)(x >> 8);
		}
		/* half the time the peer also fixes the checksum up */
		if (x & 0x10000)
			test_reseal(self->r);
		ret = xshm_layout_check(self->r);
		ASSERT_TRUE(ret == 0 || ret == -ENODATA || ret == -EPROTO ||
			    ret == -EBADMSG) {
			TH_LOG("iteration %u: %d", iter, ret);
		}
		if (ret)
			continue;
		seen_ok++;
		ret = xshm_layout_list(self->r, info, XSHM_CHAN_MAX);
		ASSERT_LT(0, ret);
		for (i = 0; i < ret; i++) {
			ASSERT_GE((uint64_t)REGION_SIZE,
				  info[i].offset + info[i].size);
			/* and no sum wrapped around */
			ASSERT_LE(info[i].offset, info[i].offset + info[i].size);
		}
	}
	/* harmless changes (reserved bytes, a resealed name) still pass */
	EXPECT_LT(0, seen_ok);
}

TEST_HARNESS_MAIN
