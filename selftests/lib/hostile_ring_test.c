// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A hostile or buggy peer on the other side of a ring writes impossible
 * positions and record headers into the mapping.  Each bad value must give
 * -EBADMSG, be counted, leave the victim where it was, and never be
 * followed (no read or write outside the region, no crash).  Offsets are
 * those of Documentation/wire-format.md.
 */
#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (64u * 1024u)
#define SLOTS 8u
#define MAXREC 120u
#define DATA 256u

static const struct xshm_chan_spec chans[] = {
	{ "fixed", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, SLOTS },
	{ "fover", XSHM_CHAN_RING_FIXED, XSHM_FULL_OVERWRITE, 8, SLOTS },
	{ "var", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, MAXREC, DATA },
	{ "vover", XSHM_CHAN_RING_VAR, XSHM_FULL_OVERWRITE, MAXREC, DATA },
};

/* The same setup for every ring kind; a fixture per set of kinds. */
#define HOSTILE_FIXTURE(fx)						\
FIXTURE(fx) {								\
	char path[TEST_PATH_MAX];					\
	struct xshm_region *r;						\
	struct xshm_ring *prod, *cons;					\
	uint64_t off;	/* the ring's blocks in the region */		\
};									\
FIXTURE_VARIANT(fx) {							\
	const char *name;						\
};									\
FIXTURE_SETUP(fx)							\
{									\
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r)); \
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, 4, 0));		\
	self->off = test_chan_offset(self->r, variant->name);		\
	ASSERT_NE(0u, self->off);					\
	ASSERT_EQ(0, xshm_ring_attach(self->r, variant->name, XSHM_PRODUCER, \
				      &self->prod));			\
	ASSERT_EQ(0, xshm_ring_attach(self->r, variant->name, XSHM_CONSUMER, \
				      &self->cons));			\
}									\
FIXTURE_TEARDOWN(fx)							\
{									\
	xshm_ring_detach(self->prod);					\
	xshm_ring_detach(self->cons);					\
	xshm_region_close(self->r);					\
	unlink(self->path);						\
}

/* every ring */
HOSTILE_FIXTURE(hostile)
FIXTURE_VARIANT_ADD(hostile, fixed) { "fixed" };
FIXTURE_VARIANT_ADD(hostile, fixed_overwrite) { "fover" };
FIXTURE_VARIANT_ADD(hostile, var) { "var" };
FIXTURE_VARIANT_ADD(hostile, var_overwrite) { "vover" };

/* rings whose producer reads the consumer's tail (not OVERWRITE) */
HOSTILE_FIXTURE(bounded)
FIXTURE_VARIANT_ADD(bounded, fixed) { "fixed" };
FIXTURE_VARIANT_ADD(bounded, var) { "var" };

/* variable-record rings: byte positions, record headers, seq */
HOSTILE_FIXTURE(records)
FIXTURE_VARIANT_ADD(records, var) { "var" };
FIXTURE_VARIANT_ADD(records, var_overwrite) { "vover" };

static int is_var(const char *name)
{
	return name[0] == 'v';
}

/* One record/slot through whichever API the ring has. */
static int put(struct xshm_ring *p, const char *name, uint32_t len)
{
	uint8_t buf[MAXREC];

	memset(buf, (int)len, sizeof(buf));
	return is_var(name) ? xshm_ring_send(p, buf, len) : xshm_ring_push(p, buf);
}

static int get(struct xshm_ring *c, const char *name)
{
	uint8_t buf[MAXREC];
	ssize_t n;

	if (!is_var(name))
		return xshm_ring_pop(c, buf);
	n = xshm_ring_recv(c, buf, sizeof(buf), NULL);
	return n < 0 ? (int)n : 0;
}

static uint64_t corrupt_count(struct xshm_ring *ring)
{
	struct xshm_ring_stats st;

	return xshm_ring_stats(ring, &st) ? ~0ull : st.corrupt;
}

/* The producer's head claims more than the ring holds (XSA-86). */
TEST_F(hostile, head_beyond_capacity_is_ebadmsg)
{
	uint64_t cap = is_var(variant->name) ? DATA : SLOTS;
	uint64_t head, bad[] = { cap + 8, 1ull << 40, ~0ull - 7 };
	unsigned int i;

	ASSERT_EQ(0, put(self->prod, variant->name, 16));
	ASSERT_EQ(0, get(self->cons, variant->name));
	head = test_get64(self->r, self->off + W_HEAD);
	for (i = 0; i < 3; i++) {
		test_put64(self->r, self->off + W_HEAD, head + bad[i]);
		EXPECT_EQ(-EBADMSG, get(self->cons, variant->name)) {
			TH_LOG("head + %ju", (uintmax_t)bad[i]);
		}
	}
	EXPECT_LE(3u, corrupt_count(self->cons));
	/* the consumer stayed put: an honest head works again */
	test_put64(self->r, self->off + W_HEAD, head);
	ASSERT_EQ(0, put(self->prod, variant->name, 24));
	EXPECT_EQ(0, get(self->cons, variant->name));
}

/* The head moves backwards behind what was already consumed. */
TEST_F(hostile, head_moving_backwards_is_ebadmsg)
{
	uint64_t head;

	ASSERT_EQ(0, put(self->prod, variant->name, 16));
	ASSERT_EQ(0, put(self->prod, variant->name, 16));
	ASSERT_EQ(0, get(self->cons, variant->name));
	ASSERT_EQ(0, get(self->cons, variant->name));
	head = test_get64(self->r, self->off + W_HEAD);
	test_put64(self->r, self->off + W_HEAD, head - (is_var(variant->name) ? 24 : 1));
	EXPECT_EQ(-EBADMSG, get(self->cons, variant->name));
	EXPECT_LE(1u, corrupt_count(self->cons));
}

TEST_F(hostile, pop_wait_reports_corruption_at_once)
{
	struct xshm_record rec;
	uint8_t buf[MAXREC];
	uint64_t t0;

	test_put64(self->r, self->off + W_HEAD, 1ull << 50);
	t0 = test_now_ns();
	if (is_var(variant->name)) {
		EXPECT_EQ(-EBADMSG, xshm_ring_peek_wait(self->cons, &rec, 3000));
	} else {
		EXPECT_EQ(-EBADMSG, xshm_ring_pop_wait(self->cons, buf, 3000));
	}
	/* not a timeout: the first poll saw it */
	EXPECT_GT(2500u, test_ms_since(t0));
}

/* A hostile consumer: its tail ahead of the producer's head. */
TEST_F(bounded, tail_ahead_of_head_is_ebadmsg_for_the_producer)
{
	unsigned int i;
	int ret = 0;

	/* fill the ring so the producer must look at the tail */
	for (i = 0; i < 64 && ret == 0; i++)
		ret = put(self->prod, variant->name, 64);
	ASSERT_EQ(-EAGAIN, ret);
	test_put64(self->r, self->off + W_TAIL,
		   test_get64(self->r, self->off + W_HEAD) + 64);
	EXPECT_EQ(-EBADMSG, put(self->prod, variant->name, 64));
	EXPECT_LE(1u, corrupt_count(self->prod));
	/* a tail that would make the ring look empty far ahead: same */
	test_put64(self->r, self->off + W_TAIL, 1ull << 62);
	EXPECT_EQ(-EBADMSG, put(self->prod, variant->name, 64));
}

TEST_F(records, unaligned_var_positions_are_ebadmsg)
{
	uint64_t head;

	ASSERT_EQ(0, put(self->prod, variant->name, 16));
	head = test_get64(self->r, self->off + W_HEAD);
	test_put64(self->r, self->off + W_HEAD, head + 4);
	EXPECT_EQ(-EBADMSG, get(self->cons, variant->name));
}

/* Attaching to a ring whose positions are impossible fails cleanly. */
TEST_F(hostile, attach_to_impossible_positions_is_ebadmsg)
{
	struct xshm_ring *ring = NULL;

	test_put64(self->r, self->off + W_HEAD, 1000000);
	test_put64(self->r, self->off + W_OLDEST, 0);
	test_put64(self->r, self->off + W_TAIL, 0);
	EXPECT_EQ(-EBADMSG, xshm_ring_attach(self->r, variant->name,
					     XSHM_PRODUCER, &ring));
	if (variant->name[1] != 'o') {
		EXPECT_EQ(-EBADMSG, xshm_ring_attach(self->r, variant->name,
						     XSHM_CONSUMER, &ring));
	}
	/* the consumer's tail ahead of the head */
	test_put64(self->r, self->off + W_HEAD, 64);
	test_put64(self->r, self->off + W_OLDEST, 64);
	test_put64(self->r, self->off + W_TAIL, 128);
	EXPECT_EQ(-EBADMSG, xshm_ring_attach(self->r, variant->name,
					     XSHM_CONSUMER, &ring));
}

/*
 * Var record headers that lie.  The ring is 256 bytes; records of len
 * L take 8 + round_up(L, 8).  Each case writes one honest record, patches
 * its header, and expects -EBADMSG with the consumer staying put.
 */
TEST_F(records, lying_record_headers_are_ebadmsg)
{
	struct xshm_record rec;
	uint64_t pos, hdr_off, honest;
	uint8_t buf[MAXREC];
	unsigned int i;
	const struct { const char *what; uint32_t lenf; uint32_t seq; } lies[] = {
		{ "longer than elem_size", MAXREC + 8, 0 },
		{ "longer than committed", 100, 0 },
		{ "huge", 0x7fffffffu, 0 },
		{ "padding not to the end", W_REC_PAD | 8, 0 },
		{ "padding with a seq", W_REC_PAD | (DATA - 8), 5 },
	};

	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		pos = test_get64(self->r, self->off + W_HEAD);
		ASSERT_EQ(0, put(self->prod, variant->name, 16));
		hdr_off = self->off + W_DATA + (pos % DATA);
		/* a record of 16 at pos: the padding, if any, came before */
		if (test_get32(self->r, hdr_off) & W_REC_PAD)
			hdr_off = self->off + W_DATA;
		honest = test_get64(self->r, hdr_off);
		test_put32(self->r, hdr_off, lies[i].lenf);
		test_put32(self->r, hdr_off + 4, lies[i].seq);
		EXPECT_EQ(-EBADMSG, xshm_ring_peek(self->cons, &rec)) {
			TH_LOG("%s: accepted", lies[i].what);
		}
		EXPECT_EQ(-EBADMSG, xshm_ring_recv(self->cons, buf, sizeof(buf),
						   &rec));
		/* fixed by the peer: the same record is delivered */
		test_put64(self->r, hdr_off, honest);
		ASSERT_EQ(16, xshm_ring_recv(self->cons, buf, sizeof(buf), &rec)) {
			TH_LOG("%s: consumer did not stay put", lies[i].what);
		}
	}
	EXPECT_LE(5u, corrupt_count(self->cons));
}

/* A record near the ring end claims to run past it: records never wrap. */
TEST_F(records, record_running_past_the_end_is_ebadmsg)
{
	uint8_t buf[MAXREC];
	uint64_t pos;

	/* 100 + 100 (224 bytes), then 16 at 224: 32 bytes to the end */
	ASSERT_EQ(0, put(self->prod, variant->name, 100));
	ASSERT_EQ(0, put(self->prod, variant->name, 100));
	ASSERT_EQ(100, xshm_ring_recv(self->cons, buf, sizeof(buf), NULL));
	ASSERT_EQ(100, xshm_ring_recv(self->cons, buf, sizeof(buf), NULL));
	pos = test_get64(self->r, self->off + W_HEAD);
	ASSERT_EQ(224u, pos % DATA);
	ASSERT_EQ(0, put(self->prod, variant->name, 16));
	/* 24 would fit (8 + 24 = 32); 32 is 8 bytes past the end */
	test_put32(self->r, self->off + W_DATA + 224, 32);
	test_put64(self->r, self->off + W_HEAD, pos + 32);
	EXPECT_EQ(-EBADMSG, xshm_ring_recv(self->cons, buf, sizeof(buf), NULL));
}

/* A peer jumping its seq forward: reported as lost records, no error. */
TEST_F(records, seq_jump_is_reported_as_lost)
{
	struct xshm_record rec;
	uint8_t buf[MAXREC];
	uint64_t pos;

	ASSERT_EQ(0, put(self->prod, variant->name, 16));
	ASSERT_EQ(16, xshm_ring_recv(self->cons, buf, sizeof(buf), &rec));
	pos = test_get64(self->r, self->off + W_HEAD);
	ASSERT_EQ(0, put(self->prod, variant->name, 16));
	test_put32(self->r, self->off + W_DATA + pos % DATA + 4, 1001);
	ASSERT_EQ(16, xshm_ring_recv(self->cons, buf, sizeof(buf), &rec));
	EXPECT_EQ(1001u, rec.seq);
	EXPECT_EQ(1000u, rec.lost);
}

/*
 * Random writes into the ring's blocks and data while the consumer reads
 * and the producer writes: every result is a documented one, every record
 * is within its limits, and the process survives.
 */
TEST_F(hostile, random_ring_contents_never_crash)
{
	const uint64_t span = 256 + (is_var(variant->name) ? DATA : SLOTS * 8);
	uint8_t *base = xshm_region_base(self->r);
	size_t rsize = xshm_region_size(self->r);
	struct xshm_ring *c = self->cons;
	struct xshm_record rec;
	uint8_t buf[MAXREC];
	uint32_t x = 0x2545f491u;
	unsigned int iter, bad = 0;
	uint64_t word;
	int ret;

	for (iter = 0; iter < 20000; iter++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (x % 3 == 0 && (x % span & ~7u) != W_PROD_OWNER &&
		    (x % span & ~7u) != W_CONS_OWNER) {
			/*
			 * a random 64-bit word, or a small nudge, anywhere
			 * but the owner words (owner_words_not_ours covers
			 * those)
			 */
			word = x & 1 ? ((uint64_t)x << 32 | x) :
				test_get64(self->r, self->off + (x % span & ~7u)) +
				(x >> 28) - 8;
			test_put64(self->r, self->off + (x % span & ~7u), word);
		}
		ret = put(self->prod, variant->name, x % (MAXREC + 1));
		ASSERT_TRUE(ret == 0 || ret == -EAGAIN || ret == -EBADMSG) {
			TH_LOG("put: %d", ret);
		}
		if (is_var(variant->name) && (x & 4)) {
			ret = xshm_ring_peek(c, &rec);
			if (ret == 0) {
				ASSERT_GE(MAXREC, rec.len);
				ASSERT_NE(NULL, rec.data);
				/* in the region, or a private copy (overwrite) */
				if ((const uint8_t *)rec.data >= base &&
				    (const uint8_t *)rec.data < base + rsize) {
					ASSERT_GE(base + rsize,
						  (const uint8_t *)rec.data + rec.len);
				}
				memcpy(buf, rec.data, rec.len);
				ret = xshm_ring_release(c);
			}
		} else {
			ret = get(c, variant->name);
		}
		ASSERT_TRUE(ret == 0 || ret == -EAGAIN || ret == -EBADMSG ||
			    ret == -ESTALE || ret == -ENOBUFS) {
			TH_LOG("get: %d", ret);
		}
		bad += ret == -EBADMSG;
		/* now and then the peer starts over honestly */
		if (x % 97 == 0) {
			xshm_ring_detach(self->prod);
			xshm_ring_detach(self->cons);
			self->prod = self->cons = NULL;
			ASSERT_EQ(0, xshm_layout_init(self->r, chans, 4,
						      XSHM_INIT_FORCE));
			ASSERT_EQ(0, xshm_ring_attach(self->r, variant->name,
						      XSHM_PRODUCER, &self->prod));
			ASSERT_EQ(0, xshm_ring_attach(self->r, variant->name,
						      XSHM_CONSUMER, &self->cons));
			c = self->cons;
		}
	}
	/* the garbage was noticed, not silently accepted every time */
	EXPECT_LT(0u, bad);
}

/* An owner word that is not ours: the side stops, with -ESTALE, storing nothing. */
TEST_F(hostile, owner_words_not_ours)
{
	uint8_t buf[MAXREC] = { 0 };
	struct xshm_record rec;
	uint64_t head, tail;

	ASSERT_EQ(0, put(self->prod, variant->name, 8));
	tail = test_get64(self->r, self->off + W_TAIL);
	test_put64(self->r, self->off + W_CONS_OWNER, 0x1234);
	EXPECT_EQ(-ESTALE, is_var(variant->name) ?
		  (int)xshm_ring_recv(self->cons, buf, sizeof(buf), &rec) :
		  xshm_ring_pop(self->cons, buf));
	EXPECT_EQ(tail, test_get64(self->r, self->off + W_TAIL));

	head = test_get64(self->r, self->off + W_HEAD);
	test_put64(self->r, self->off + W_PROD_OWNER, 0x1234);
	EXPECT_EQ(-ESTALE, put(self->prod, variant->name, 8));
	EXPECT_EQ(head, test_get64(self->r, self->off + W_HEAD));
}

TEST_HARNESS_MAIN
