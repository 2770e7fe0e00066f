// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Value channels against a stalled, killed or hostile writer: a sequence
 * left odd by hand (a writer dead mid-update) gives -EBUSY within the
 * timeout for a SEQLOCK, never a hang; a LATCH reader still gets the last
 * complete value; an LWW reader skips the stalled slot.  Restarted writers
 * repair what their predecessor left.  Offsets per wire-format.md.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (64u * 1024u)
#define VAL 24u
/* small: both latch copies fit the seq word's line, one after the other */
#define SPAN VAL
#define PAYLOAD W_PAYLOAD_SMALL

static const struct xshm_chan_spec chans[] = {
	{ "seq", XSHM_CHAN_SEQLOCK, 0, VAL, 0 },
	{ "latch", XSHM_CHAN_LATCH, 0, VAL, 0 },
	{ "lww", XSHM_CHAN_LWW, 0, VAL, 2 },
};

/* A writer and a reader of one value channel; a fixture per set of types. */
#define VALUE_FIXTURE(fx)						\
FIXTURE(fx) {								\
	char path[TEST_PATH_MAX];					\
	struct xshm_region *r;						\
	struct xshm_seqlock *w, *rd;					\
	uint64_t off;							\
};									\
FIXTURE_VARIANT(fx) {							\
	const char *name;						\
	enum xshm_chan_type type;					\
};									\
FIXTURE_SETUP(fx)							\
{									\
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r)); \
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, 3, 0));		\
	self->off = test_chan_offset(self->r, variant->name);		\
	ASSERT_NE(0u, self->off);					\
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, variant->name,	\
					 XSHM_PRODUCER, 0, &self->w));	\
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, variant->name,	\
					 XSHM_CONSUMER, 0, &self->rd));	\
}									\
FIXTURE_TEARDOWN(fx)							\
{									\
	xshm_seqlock_detach(self->w);					\
	xshm_seqlock_detach(self->rd);					\
	xshm_region_close(self->r);					\
	unlink(self->path);						\
}

VALUE_FIXTURE(stall)
FIXTURE_VARIANT_ADD(stall, seqlock) { "seq", XSHM_CHAN_SEQLOCK };
FIXTURE_VARIANT_ADD(stall, latch) { "latch", XSHM_CHAN_LATCH };
FIXTURE_VARIANT_ADD(stall, lww) { "lww", XSHM_CHAN_LWW };

/* latch readers never wait: they read the other copy */
VALUE_FIXTURE(waiting)
FIXTURE_VARIANT_ADD(waiting, seqlock) { "seq", XSHM_CHAN_SEQLOCK };
FIXTURE_VARIANT_ADD(waiting, lww) { "lww", XSHM_CHAN_LWW };

VALUE_FIXTURE(latch)
FIXTURE_VARIANT_ADD(latch, only) { "latch", XSHM_CHAN_LATCH };

static void value(uint8_t v[VAL], uint32_t n)
{
	test_pattern(v, VAL, n);
}

TEST_F(stall, sequence_matches_the_document)
{
	uint8_t v[VAL];

	value(v, 1);
	ASSERT_EQ(0, xshm_seqlock_write(self->w, v, VAL, 0));
	ASSERT_EQ(0, xshm_seqlock_write(self->w, v, VAL, 0));
	/* two complete writes: seq / 2 == 2, even */
	EXPECT_EQ(4u, test_get64(self->r, self->off + W_SEQ));
	EXPECT_EQ(0, memcmp(v, test_at(self->r, self->off + PAYLOAD), VAL));
	if (variant->type == XSHM_CHAN_LATCH) {
		EXPECT_EQ(0, memcmp(v, test_at(self->r, self->off + PAYLOAD +
					       SPAN), VAL));
	}
	if (variant->type == XSHM_CHAN_LWW) {
		EXPECT_EQ(2u, test_get64(self->r, self->off + W_STAMP));
	}
}

/* The writer died with its sequence odd. */
TEST_F(stall, dead_writer_mid_update)
{
	static const uint8_t zero[VAL];
	struct xshm_value_info info;
	uint8_t v[VAL], out[VAL];
	uint64_t t0, seq;

	value(v, 7);
	ASSERT_EQ(0, xshm_seqlock_write(self->w, v, VAL, 0));
	seq = test_get64(self->r, self->off + W_SEQ);
	test_put64(self->r, self->off + W_SEQ, seq + 1);
	/* and it had scribbled half of the copy it was writing */
	memset(test_at(self->r, self->off + PAYLOAD), 0xee, VAL / 2);

	t0 = test_now_ns();
	memset(out, 0, sizeof(out));
	if (variant->type == XSHM_CHAN_LATCH) {
		/* the other copy is complete: no waiting at all */
		ASSERT_EQ(0, xshm_seqlock_read(self->rd, out, VAL, &info, 5000));
		EXPECT_EQ(0, memcmp(v, out, VAL));
		EXPECT_GT(4000u, test_ms_since(t0));
	} else {
		EXPECT_EQ(-EBUSY, xshm_seqlock_read(self->rd, out, VAL, &info,
						    200));
		EXPECT_LE(200u, test_ms_since(t0));
		EXPECT_GT(5000u, test_ms_since(t0));
		/* a failed read hands out nothing, torn or not */
		EXPECT_EQ(0, memcmp(out, zero, VAL));
	}
	/* timeout 0 still answers at once */
	t0 = test_now_ns();
	if (variant->type != XSHM_CHAN_LATCH) {
		EXPECT_EQ(-EBUSY, xshm_seqlock_read(self->rd, out, VAL, NULL, 0));
	}
	EXPECT_GT(1000u, test_ms_since(t0));
}

static long voluntary_switches(void)
{
	struct rusage ru;

	/* this thread only: a sanitizer's helper thread sleeps on its own */
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

/*
 * The handle's wait policy decides how a reader waits out a writer that
 * is mid-update: spinning only (it never sleeps, so it never gives up
 * the CPU voluntarily) or spinning then sleeping (the default).
 */
TEST_F(waiting, reader_waits_as_its_policy_says)
{
	const struct xshm_wait_policy spin = { 0xffffffffu, 1000 };
	const struct xshm_wait_policy nap = { 0, 1000 };
	uint8_t v[VAL], out[VAL];
	uint64_t seq;
	long before;

	value(v, 3);
	ASSERT_EQ(0, xshm_seqlock_write(self->w, v, VAL, 0));
	seq = test_get64(self->r, self->off + W_SEQ);
	test_put64(self->r, self->off + W_SEQ, seq + 1);

	xshm_seqlock_set_wait(self->rd, &spin);
	before = voluntary_switches();
	EXPECT_EQ(-EBUSY, xshm_seqlock_read(self->rd, out, VAL, NULL, 30));
	EXPECT_EQ(0, voluntary_switches() - before);

	xshm_seqlock_set_wait(self->rd, &nap);
	before = voluntary_switches();
	EXPECT_EQ(-EBUSY, xshm_seqlock_read(self->rd, out, VAL, NULL, 30));
	EXPECT_LE(10, voluntary_switches() - before);

	/* NULL: back to the defaults, which sleep after 1000 spins */
	xshm_seqlock_set_wait(self->rd, NULL);
	before = voluntary_switches();
	EXPECT_EQ(-EBUSY, xshm_seqlock_read(self->rd, out, VAL, NULL, 30));
	EXPECT_LE(5, voluntary_switches() - before);

	/* the writer completes: every policy reads the value */
	test_put64(self->r, self->off + W_SEQ, seq);
	xshm_seqlock_set_wait(self->rd, &spin);
	ASSERT_EQ(0, xshm_seqlock_read(self->rd, out, VAL, NULL, 30));
	EXPECT_EQ(0, memcmp(v, out, VAL));
}

/*
 * Both value shapes as the document gives them, at the size boundaries:
 * small values in the seq word's line (copy 0 at +16, copies one after
 * the other, 128-byte blocks), larger ones after the control block (copy
 * 0 at +128, copies rounded up to 128 apart).
 */
TEST(value_blocks_match_the_document)
{
	static const struct {
		struct xshm_chan_spec spec;
		uint64_t payload, span, size;
	} c[] = {
		{ { "s48", XSHM_CHAN_SEQLOCK, 0, 48, 0 }, 16, 48, 128 },
		{ { "s49", XSHM_CHAN_SEQLOCK, 0, 49, 0 }, 128, 128, 256 },
		{ { "l24", XSHM_CHAN_LATCH, 0, 24, 0 }, 16, 24, 128 },
		{ { "l25", XSHM_CHAN_LATCH, 0, 25, 0 }, 128, 128, 384 },
		{ { "w20", XSHM_CHAN_LWW, 0, 20, 3 }, 16, 24, 3 * 128 },
		{ { "w200", XSHM_CHAN_LWW, 0, 200, 2 }, 128, 256, 2 * 384 },
	};
	enum { N = sizeof(c) / sizeof(c[0]) };
	struct xshm_chan_spec specs[N];
	struct xshm_chan_info info[N];
	struct xshm_seqlock *w;
	struct xshm_region *r;
	char path[TEST_PATH_MAX];
	uint8_t v[256], out[256];
	uint64_t off;
	unsigned int i, slot;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &r));
	for (i = 0; i < N; i++)
		specs[i] = c[i].spec;
	ASSERT_EQ(0, xshm_layout_init(r, specs, N, 0));
	ASSERT_EQ((int)N, xshm_layout_list(r, info, N));
	for (i = 0; i < N; i++) {
		uint32_t es = c[i].spec.elem_size;

		EXPECT_EQ(c[i].size, info[i].size) TH_LOG("%s", info[i].name);
		slot = c[i].spec.type == XSHM_CHAN_LWW ? c[i].spec.capacity - 1 : 0;
		ASSERT_EQ(0, xshm_seqlock_attach(r, c[i].spec.name, XSHM_PRODUCER,
						 slot, &w));
		test_pattern(v, es, i);
		ASSERT_EQ(0, xshm_seqlock_write(w, v, es, 5));
		xshm_seqlock_detach(w);
		off = info[i].offset + slot * (c[i].size /
			(c[i].spec.type == XSHM_CHAN_LWW ? c[i].spec.capacity : 1));
		EXPECT_EQ(2u, test_get64(r, off + W_SEQ)) TH_LOG("%s", info[i].name);
		EXPECT_EQ(0, memcmp(v, test_at(r, off + c[i].payload), es))
			TH_LOG("%s: copy 0 not at +%llu", info[i].name,
			       (unsigned long long)c[i].payload);
		if (c[i].spec.type == XSHM_CHAN_LATCH) {
			EXPECT_EQ(0, memcmp(v, test_at(r, off + c[i].payload +
						       c[i].span), es))
				TH_LOG("%s: copy 1 not at +%llu", info[i].name,
				       (unsigned long long)(c[i].payload + c[i].span));
		}
		if (c[i].spec.type == XSHM_CHAN_LWW) {
			EXPECT_EQ(5u, test_get64(r, off + W_STAMP));
		}
		/* and a reader finds it there */
		ASSERT_EQ(0, xshm_seqlock_attach(r, c[i].spec.name, XSHM_CONSUMER,
						 0, &w));
		ASSERT_EQ(0, xshm_seqlock_read(w, out, es, NULL, 0));
		EXPECT_EQ(0, memcmp(v, out, es));
		xshm_seqlock_detach(w);
	}
	xshm_region_close(r);
	unlink(path);
}

/* A restarted writer completes what its predecessor left. */
TEST_F(stall, restarted_writer_recovers)
{
	struct xshm_seqlock *w2 = NULL;
	uint8_t v[VAL], out[VAL];
	uint64_t seq;

	value(v, 1);
	ASSERT_EQ(0, xshm_seqlock_write(self->w, v, VAL, 0));
	seq = test_get64(self->r, self->off + W_SEQ);
	test_put64(self->r, self->off + W_SEQ, seq + 1);
	xshm_seqlock_detach(self->w);
	self->w = NULL;

	ASSERT_EQ(0, xshm_seqlock_attach(self->r, variant->name, XSHM_PRODUCER,
					 0, &w2));
	value(v, 2);
	ASSERT_EQ(0, xshm_seqlock_write(w2, v, VAL, 0));
	EXPECT_EQ(0u, test_get64(self->r, self->off + W_SEQ) & 1);
	ASSERT_EQ(0, xshm_seqlock_read(self->rd, out, VAL, NULL, 200));
	EXPECT_EQ(0, memcmp(v, out, VAL));
	xshm_seqlock_detach(w2);
}

/*
 * LATCH: a writer that died while writing copy 1 (seq even) left copy 1
 * torn.  Its successor must repair copy 1 before its next odd sequence
 * sends readers there.
 */
TEST_F(latch, successor_repairs_the_second_copy)
{
	struct xshm_seqlock *w2 = NULL;
	uint8_t v[VAL], out[VAL];
	uint64_t seq;

	value(v, 3);
	ASSERT_EQ(0, xshm_seqlock_write(self->w, v, VAL, 0));
	memset(test_at(self->r, self->off + PAYLOAD + SPAN), 0xdd, VAL);
	xshm_seqlock_detach(self->w);
	self->w = NULL;
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, variant->name, XSHM_PRODUCER,
					 0, &w2));
	/* the successor dies at once, mid-update: readers use copy 1 */
	seq = test_get64(self->r, self->off + W_SEQ);
	test_put64(self->r, self->off + W_SEQ, seq + 1);
	ASSERT_EQ(0, xshm_seqlock_read(self->rd, out, VAL, NULL, 200));
	EXPECT_EQ(0, memcmp(v, out, VAL));
	xshm_seqlock_detach(w2);
}

/* LWW: a stalled slot is skipped; the other writer's value is returned. */
TEST(lww_skips_a_stalled_slot)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	struct xshm_seqlock *w0 = NULL, *w1 = NULL, *rd = NULL;
	struct xshm_value_info info;
	uint8_t v[VAL], out[VAL];
	uint64_t off, t0;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &r));
	ASSERT_EQ(0, xshm_layout_init(r, chans, 3, 0));
	off = test_chan_offset(r, "lww");
	ASSERT_EQ(0, xshm_seqlock_attach(r, "lww", XSHM_PRODUCER, 0, &w0));
	ASSERT_EQ(0, xshm_seqlock_attach(r, "lww", XSHM_PRODUCER, 1, &w1));
	ASSERT_EQ(0, xshm_seqlock_attach(r, "lww", XSHM_CONSUMER, 0, &rd));
	value(v, 10);
	ASSERT_EQ(0, xshm_seqlock_write(w0, v, VAL, 10));
	value(v, 20);
	ASSERT_EQ(0, xshm_seqlock_write(w1, v, VAL, 20));
	/* slot 1 (128 bytes per slot: VAL is small) stalls holding the newest stamp */
	test_put64(r, off + 128 + W_SEQ, test_get64(r, off + 128 + W_SEQ) + 1);
	t0 = test_now_ns();
	ASSERT_EQ(0, xshm_seqlock_read(rd, out, VAL, &info, 100));
	EXPECT_LE(100u, test_ms_since(t0));
	EXPECT_EQ(0u, info.writer);
	EXPECT_EQ(10u, info.stamp);
	value(v, 10);
	EXPECT_EQ(0, memcmp(v, out, VAL));
	/* both stalled: -EBUSY */
	test_put64(r, off + W_SEQ, test_get64(r, off + W_SEQ) + 1);
	EXPECT_EQ(-EBUSY, xshm_seqlock_read(rd, out, VAL, &info, 50));
	xshm_seqlock_detach(w0);
	xshm_seqlock_detach(w1);
	xshm_seqlock_detach(rd);
	xshm_region_close(r);
	unlink(path);
}

/*
 * Eight stalled writers cost a read its timeout once, not once per slot
 * (eight times 200 ms before).
 */
TEST(lww_wait_is_bounded_per_call)
{
	static const struct xshm_chan_spec many[] = {
		{ "lww", XSHM_CHAN_LWW, 0, VAL, 8 },
	};
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	struct xshm_seqlock *w = NULL, *rd = NULL;
	uint8_t v[VAL], out[VAL];
	uint64_t off, t0, ms;
	unsigned int i;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &r));
	ASSERT_EQ(0, xshm_layout_init(r, many, 1, 0));
	off = test_chan_offset(r, "lww");
	ASSERT_EQ(0, xshm_seqlock_attach(r, "lww", XSHM_CONSUMER, 0, &rd));
	value(v, 1);
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, xshm_seqlock_attach(r, "lww", XSHM_PRODUCER, i, &w));
		ASSERT_EQ(0, xshm_seqlock_write(w, v, VAL, 1 + i));
		xshm_seqlock_detach(w);
		/* 128 bytes per slot (VAL is small): stall every writer */
		test_put64(r, off + 128 * i + W_SEQ,
			   test_get64(r, off + 128 * i + W_SEQ) + 1);
	}
	t0 = test_now_ns();
	EXPECT_EQ(-EBUSY, xshm_seqlock_read(rd, out, VAL, NULL, 200));
	ms = test_ms_since(t0);
	EXPECT_LE(200u, ms);
	EXPECT_GT(800u, ms);
	/* one slot completes: its value, still within one timeout */
	test_put64(r, off + 128 * 5 + W_SEQ,
		   test_get64(r, off + 128 * 5 + W_SEQ) + 1);
	ASSERT_EQ(0, xshm_seqlock_read(rd, out, VAL, NULL, 200));
	xshm_seqlock_detach(rd);
	xshm_region_close(r);
	unlink(path);
}

/* A peer that rewrites the sequence endlessly cannot hang a reader. */
TEST_F(stall, churning_sequence_cannot_hang_a_reader)
{
	uint8_t v[VAL], out[VAL];
	uint64_t t0;
	int status, ret;
	pid_t pid;

	value(v, 5);
	ASSERT_EQ(0, xshm_seqlock_write(self->w, v, VAL, 0));
	pid = test_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		volatile uint64_t *seq = (volatile uint64_t *)
			test_at(self->r, self->off + W_SEQ);
		uint64_t n = *seq;

		for (;;)
			*seq = ++n;	/* odd and even, never stable */
	}
	t0 = test_now_ns();
	ret = xshm_seqlock_read(self->rd, out, VAL, NULL, 200);
	EXPECT_GT(5000u, test_ms_since(t0));
	/* LATCH may catch a stable moment; the value is then whole */
	if (ret == 0) {
		EXPECT_EQ(0, memcmp(v, out, VAL));
	} else {
		EXPECT_EQ(-EBUSY, ret);
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
}

TEST_HARNESS_MAIN
