// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Batched variable-length records: xshm_ring_sendv() and
 * xshm_ring_recv_batch().  Most tests run the same records through a
 * second ring of the same policy with single send/recv calls and require
 * the batch calls to deliver exactly what recv does (bytes, len, seq,
 * lost).
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (256u * 1024u)
#define MAXREC 120u
#define DATA 256u
#define BIG_MAX 64u
#define BIG_DATA 65536u
#define NBATCH 64u

static const struct xshm_chan_spec chans[] = {
	{ "fail_a", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, MAXREC, DATA },
	{ "fail_b", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, MAXREC, DATA },
	{ "drop_a", XSHM_CHAN_RING_VAR, XSHM_FULL_DROP, MAXREC, DATA },
	{ "drop_b", XSHM_CHAN_RING_VAR, XSHM_FULL_DROP, MAXREC, DATA },
	{ "over_a", XSHM_CHAN_RING_VAR, XSHM_FULL_OVERWRITE, MAXREC, DATA },
	{ "over_b", XSHM_CHAN_RING_VAR, XSHM_FULL_OVERWRITE, MAXREC, DATA },
	{ "big", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, BIG_MAX, BIG_DATA },
};
#define NCHANS (sizeof(chans) / sizeof(chans[0]))

/* a: the batch calls; b: the same records with single calls */
#define BATCH_FIXTURE(fx)						\
FIXTURE(fx) {								\
	char path[TEST_PATH_MAX];					\
	struct xshm_region *r;						\
	struct xshm_ring *pa, *ca, *pb, *cb;				\
	uint64_t off_a;							\
};									\
FIXTURE_VARIANT(fx) {							\
	const char *a, *b;						\
	enum xshm_full_policy policy;					\
};									\
FIXTURE_SETUP(fx)							\
{									\
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r)); \
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, NCHANS, 0));	\
	ASSERT_EQ(0, xshm_ring_attach(self->r, variant->a, XSHM_PRODUCER, \
				      &self->pa));			\
	ASSERT_EQ(0, xshm_ring_attach(self->r, variant->a, XSHM_CONSUMER, \
				      &self->ca));			\
	ASSERT_EQ(0, xshm_ring_attach(self->r, variant->b, XSHM_PRODUCER, \
				      &self->pb));			\
	ASSERT_EQ(0, xshm_ring_attach(self->r, variant->b, XSHM_CONSUMER, \
				      &self->cb));			\
	self->off_a = test_chan_offset(self->r, variant->a);		\
	ASSERT_NE(0, self->off_a);					\
}									\
FIXTURE_TEARDOWN(fx)							\
{									\
	xshm_ring_detach(self->pa);					\
	xshm_ring_detach(self->ca);					\
	xshm_ring_detach(self->pb);					\
	xshm_ring_detach(self->cb);					\
	xshm_region_close(self->r);					\
	unlink(self->path);						\
}

BATCH_FIXTURE(batch)
FIXTURE_VARIANT_ADD(batch, fail) { "fail_a", "fail_b", XSHM_FULL_FAIL };
FIXTURE_VARIANT_ADD(batch, drop) { "drop_a", "drop_b", XSHM_FULL_DROP };
FIXTURE_VARIANT_ADD(batch, overwrite) { "over_a", "over_b",
					XSHM_FULL_OVERWRITE };

/* records whose bytes derive from a number, kept for the senders */
struct recset {
	struct iovec iov[NBATCH];
	uint8_t bytes[NBATCH][MAXREC + 8];
};

static void recset_fill(struct recset *s, unsigned int n, const uint32_t *lens,
			uint32_t tag)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		test_pattern(s->bytes[i], lens[i], tag + i);
		s->iov[i].iov_base = s->bytes[i];
		s->iov[i].iov_len = lens[i];
	}
}

/* send the records with single calls, as a sendv caller would retry */
static int send_each(struct xshm_ring *p, const struct recset *s,
		     unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		err = xshm_ring_send(p, s->iov[i].iov_base, s->iov[i].iov_len);
		if (err == -EAGAIN || err == -EMSGSIZE)
			return (int)i;
		if (err && err != -ENOBUFS)
			return err;
	}
	return (int)n;
}

/*
 * Drain a with recv_batch (batches of up to max into cap bytes) and b with
 * recv; both must deliver the same records.  Returns the number, < 0 on a
 * mismatch (reported).
 */
static int drain_compare(struct __test_metadata *_metadata,
			 struct xshm_ring *a, struct xshm_ring *b,
			 unsigned int max, size_t cap)
{
	uint64_t words[(NBATCH * (MAXREC + 8)) / 8];
	struct xshm_record ra[NBATCH], rb;
	uint8_t one[MAXREC];
	unsigned int i, total = 0;
	ssize_t len;
	int k;

	if (cap > sizeof(words))
		cap = sizeof(words);
	for (;;) {
		k = xshm_ring_recv_batch(a, words, cap, ra, max);
		if (k < 0) {
			TH_LOG("recv_batch: %d", k);
			return -1;
		}
		if (k == 0)
			break;
		for (i = 0; i < (unsigned int)k; i++) {
			len = xshm_ring_recv(b, one, sizeof(one), &rb);
			if (len < 0 || (uint32_t)len != ra[i].len ||
			    rb.seq != ra[i].seq || rb.lost != ra[i].lost ||
			    memcmp(one, ra[i].data, (size_t)len) ||
			    ((const uint8_t *)ra[i].data -
			     (const uint8_t *)words) % 8) {
				TH_LOG("record %u: recv %zd seq %u lost %llu, batch len %u seq %u lost %llu",
				       total + i, len, rb.seq,
				       (unsigned long long)rb.lost, ra[i].len,
				       ra[i].seq,
				       (unsigned long long)ra[i].lost);
				return -1;
			}
		}
		total += (unsigned int)k;
	}
	if (xshm_ring_recv(b, one, sizeof(one), NULL) != -EAGAIN) {
		TH_LOG("recv has records recv_batch did not deliver");
		return -1;
	}
	return (int)total;
}

/*
 * Two records a call: with DROP, sendv drops the rest of a batch once one
 * record does not fit while single sends might still fit a shorter one
 * later; with two, both ways agree.
 */
TEST_F(batch, mixed_lengths_round_trip_as_recv)
{
	uint32_t lens[2];
	struct recset s;
	unsigned int round;
	int got, sent;

	for (round = 0; round < 2 * (MAXREC + 1); round++) {
		lens[0] = round % (MAXREC + 1);
		lens[1] = (round * 37u + 11u) % (MAXREC + 1);
		recset_fill(&s, 2, lens, round * 2u);
		sent = xshm_ring_sendv(self->pa, s.iov, 2);
		ASSERT_GT(sent, 0);
		ASSERT_EQ(sent, send_each(self->pb, &s, 2));
		got = drain_compare(_metadata, self->ca, self->cb, NBATCH,
				    sizeof(uint64_t) * 1024);
		ASSERT_GE(got, 0);
		if (variant->policy == XSHM_FULL_FAIL) {
			ASSERT_EQ(sent, got);
		}
	}
}

/* a batch that wraps, started at every offset of the ring */
TEST_F(batch, wrap_around_at_every_offset)
{
	static const uint32_t lens[] = { 24, 0, 40, 5 };
	struct recset s;
	unsigned int at, pos, k;
	int got;

	for (at = 0; at < DATA; at += 8) {
		/* empty records (8 bytes) move both rings to offset 'at' */
		pos = (unsigned int)(test_get64(self->r, self->off_a + W_HEAD) %
				     DATA);
		for (k = (at - pos + DATA) % DATA; k; k -= 8) {
			ASSERT_EQ(0, xshm_ring_send(self->pa, "", 0));
			ASSERT_EQ(0, xshm_ring_send(self->pb, "", 0));
		}
		ASSERT_GE(drain_compare(_metadata, self->ca, self->cb, 3,
					MAXREC), 0);
		ASSERT_EQ(at, test_get64(self->r, self->off_a + W_HEAD) % DATA);
		recset_fill(&s, 4, lens, at);
		ASSERT_EQ(4, xshm_ring_sendv(self->pa, s.iov, 4));
		ASSERT_EQ(4, send_each(self->pb, &s, 4));
		got = drain_compare(_metadata, self->ca, self->cb, NBATCH,
				    4096);
		ASSERT_EQ(4, got);
	}
}

/* every record position modulo the ring: padding in every place */
TEST_F(batch, padding_at_every_position)
{
	uint32_t lens[3];
	struct recset s;
	unsigned int step, k;
	int got;

	for (step = 0; step < 3 * DATA / 8; step++) {
		lens[0] = (step * 8) % 64;
		lens[1] = 48 + (step % 3) * 8;
		lens[2] = step % 9;
		recset_fill(&s, 3, lens, step * 3);
		ASSERT_EQ(3, xshm_ring_sendv(self->pa, s.iov, 3));
		ASSERT_EQ(3, send_each(self->pb, &s, 3));
		for (k = 0; k < 3; k++) {
			got = drain_compare(_metadata, self->ca, self->cb,
					    1 + (step + k) % 2, 4096);
			ASSERT_GE(got, 0);
		}
	}
}

TEST_F(batch, cap_too_small_leaves_the_record)
{
	static const uint32_t lens[] = { 16, 16, 16 };
	uint64_t buf[8];
	struct xshm_record recs[4];
	struct recset s;

	recset_fill(&s, 3, lens, 7);
	ASSERT_EQ(3, xshm_ring_sendv(self->pa, s.iov, 3));
	ASSERT_EQ(-EMSGSIZE, xshm_ring_recv_batch(self->ca, buf, 15, recs, 4));
	ASSERT_EQ(-EMSGSIZE, xshm_ring_recv_batch(self->ca, NULL, 0, recs, 4));
	/* 16 + 16 bytes fit 40, the third would need 48 */
	ASSERT_EQ(2, xshm_ring_recv_batch(self->ca, buf, 40, recs, 4));
	EXPECT_EQ(0u, recs[0].seq);
	EXPECT_EQ(1u, recs[1].seq);
	EXPECT_EQ((void *)&buf[2], recs[1].data);
	EXPECT_TRUE(test_pattern_ok(recs[1].data, 16, 8));
	/* exactly enough for the last */
	ASSERT_EQ(1, xshm_ring_recv_batch(self->ca, buf, 16, recs, 4));
	EXPECT_EQ(2u, recs[0].seq);
	EXPECT_TRUE(test_pattern_ok(buf, 16, 9));
	ASSERT_EQ(0, xshm_ring_recv_batch(self->ca, buf, sizeof(buf), recs, 4));
}

TEST_F(batch, zero_max_zero_n_and_empty_records)
{
	static const uint32_t lens[] = { 0, 0 };
	struct xshm_record recs[4];
	struct xshm_ring_stats st;
	struct recset s;
	uint64_t buf[4];

	ASSERT_EQ(0, xshm_ring_sendv(self->pa, NULL, 0));
	ASSERT_EQ(0, xshm_ring_sendv(self->pa, s.iov, 0));
	ASSERT_EQ(0u, xshm_ring_next_seq(self->pa));
	ASSERT_EQ(0, xshm_ring_recv_batch(self->ca, buf, sizeof(buf), recs, 4));
	recset_fill(&s, 2, lens, 0);
	ASSERT_EQ(2, xshm_ring_sendv(self->pa, s.iov, 2));
	ASSERT_EQ(0, xshm_ring_recv_batch(self->ca, buf, sizeof(buf), recs, 0));
	ASSERT_EQ(0, xshm_ring_recv_batch(self->ca, NULL, 0, NULL, 0));
	ASSERT_EQ(0, xshm_ring_stats(self->ca, &st));
	EXPECT_EQ(16u, st.fill);
	/* empty records fit an empty buffer */
	ASSERT_EQ(2, xshm_ring_recv_batch(self->ca, NULL, 0, recs, 4));
	EXPECT_EQ(0u, recs[0].len);
	EXPECT_EQ(1u, recs[1].seq);
	ASSERT_EQ(0, xshm_ring_stats(self->ca, &st));
	EXPECT_EQ(0u, st.fill);
}

TEST_F(batch, each_side_and_bad_arguments)
{
	struct xshm_record recs[2];
	struct iovec bad = { NULL, 4 };
	uint64_t buf[2];

	EXPECT_EQ(-EPERM, xshm_ring_sendv(self->ca, NULL, 0));
	EXPECT_EQ(-EPERM, xshm_ring_recv_batch(self->pa, buf, 16, recs, 2));
	EXPECT_EQ(-EINVAL, xshm_ring_sendv(NULL, NULL, 0));
	EXPECT_EQ(-EINVAL, xshm_ring_recv_batch(NULL, buf, 16, recs, 2));
	EXPECT_EQ(-EINVAL, xshm_ring_sendv(self->pa, NULL, 1));
	EXPECT_EQ(-EINVAL, xshm_ring_sendv(self->pa, &bad, 1));
	EXPECT_EQ(-EINVAL, xshm_ring_recv_batch(self->ca, NULL, 16, recs, 2));
	EXPECT_EQ(-EINVAL, xshm_ring_recv_batch(self->ca, buf, 16, NULL, 2));
	EXPECT_EQ(-EINVAL, xshm_ring_recv_batch(self->ca, buf, 16, recs,
						0x80000000u));
	EXPECT_EQ(0u, xshm_ring_next_seq(self->pa));
}

TEST_F(batch, oversized_record_stops_the_batch_before_it)
{
	uint32_t lens[4] = { 8, 9, MAXREC + 1, 3 };
	struct xshm_record recs[4];
	struct xshm_ring_stats st;
	struct recset s;
	uint64_t buf[64];

	recset_fill(&s, 4, lens, 0);
	ASSERT_EQ(2, xshm_ring_sendv(self->pa, s.iov, 4));
	ASSERT_EQ(-EMSGSIZE, xshm_ring_sendv(self->pa, s.iov + 2, 2));
	ASSERT_EQ(1, xshm_ring_sendv(self->pa, s.iov + 3, 1));
	ASSERT_EQ(3, xshm_ring_recv_batch(self->ca, buf, sizeof(buf), recs, 4));
	EXPECT_EQ(2u, recs[2].seq);
	EXPECT_EQ(0u, recs[2].lost);
	EXPECT_EQ(3u, recs[2].len);
	ASSERT_EQ(0, xshm_ring_stats(self->pa, &st));
	EXPECT_EQ(0u, st.dropped);
	EXPECT_EQ(3u, st.produced);
}

/* more than the ring holds, with no consumer: each policy's rule */
TEST_F(batch, full_ring_follows_policy)
{
	uint32_t lens[NBATCH];
	struct xshm_ring_stats st;
	struct recset s;
	unsigned int i, n = 20;
	int sent, got;

	/* one length: DROP then agrees with single sends (see above) */
	for (i = 0; i < n; i++)
		lens[i] = 16;
	recset_fill(&s, n, lens, 0);
	sent = xshm_ring_sendv(self->pa, s.iov, n);
	ASSERT_EQ(sent, send_each(self->pb, &s, n));
	ASSERT_EQ(0, xshm_ring_stats(self->pa, &st));
	switch (variant->policy) {
	case XSHM_FULL_FAIL:
		ASSERT_GT(sent, 0);
		ASSERT_LT(sent, (int)n);
		EXPECT_EQ((uint64_t)sent, st.produced);
		EXPECT_EQ(-EAGAIN, xshm_ring_sendv(self->pa, s.iov + sent,
						   n - (unsigned int)sent));
		break;
	case XSHM_FULL_DROP:
		ASSERT_EQ((int)n, sent);
		EXPECT_GT(st.dropped, 0u);
		EXPECT_EQ((uint64_t)n, st.produced + st.dropped);
		EXPECT_EQ(n, xshm_ring_next_seq(self->pa));
		/* still full: everything is dropped, and counted */
		ASSERT_EQ(2, xshm_ring_sendv(self->pa, s.iov, 2));
		ASSERT_EQ(0, xshm_ring_stats(self->pa, &st));
		EXPECT_EQ((uint64_t)n + 2, st.produced + st.dropped);
		ASSERT_EQ(2, send_each(self->pb, &s, 2));
		break;
	case XSHM_FULL_OVERWRITE:
		ASSERT_EQ((int)n, sent);
		EXPECT_EQ((uint64_t)n, st.produced);
		break;
	}
	got = drain_compare(_metadata, self->ca, self->cb, NBATCH, 4096);
	ASSERT_GT(got, 0);
	if (variant->policy != XSHM_FULL_FAIL) {
		ASSERT_EQ(0, xshm_ring_stats(self->ca, &st));
		/* every record is delivered or counted lost */
		EXPECT_EQ(variant->policy == XSHM_FULL_DROP ? n + 2 : n,
			  (unsigned int)got + st.dropped + st.overwritten);
	}
}

/* losses over many laps, with a consumer behind: lost as recv counts */
TEST_F(batch, lost_counts_match_recv)
{
	uint32_t lens[NBATCH];
	struct recset s;
	unsigned int round, i, n;
	int sent, got, lost_seen = 0;

	for (round = 0; round < 200; round++) {
		n = 1 + round % 13;
		/* one length a batch, for DROP (see above) */
		for (i = 0; i < n; i++)
			lens[i] = variant->policy == XSHM_FULL_DROP ?
				  (round * 7u) % 64 : (round * 7u + i * 29u) % 64;
		recset_fill(&s, n, lens, round);
		sent = xshm_ring_sendv(self->pa, s.iov, n);
		if (sent == -EAGAIN && variant->policy == XSHM_FULL_FAIL)
			sent = 0;	/* FAIL: full */
		ASSERT_EQ(sent, send_each(self->pb, &s, n));
		if (round % 3 == 2) {
			struct xshm_ring_stats st;

			got = drain_compare(_metadata, self->ca, self->cb,
					    1 + round % 5, 4096);
			ASSERT_GE(got, 0);
			ASSERT_EQ(0, xshm_ring_stats(self->ca, &st));
			lost_seen += st.dropped + st.overwritten > 0;
		}
	}
	if (variant->policy != XSHM_FULL_FAIL)
		ASSERT_GT(lost_seen, 0);
}

/* a hand-corrupted header: what comes before it, then -EBADMSG */
TEST_F(batch, corrupt_header_mid_batch)
{
	static const uint32_t lens[] = { 16, 16, 16, 16 };
	struct xshm_record recs[4];
	struct xshm_ring_stats st;
	struct recset s;
	uint64_t buf[32], hdr3 = self->off_a + W_DATA + 2 * 24;
	uint32_t good;

	recset_fill(&s, 4, lens, 0);
	ASSERT_EQ(4, xshm_ring_sendv(self->pa, s.iov, 4));
	good = test_get32(self->r, hdr3);
	ASSERT_EQ(16u, good);
	test_put32(self->r, hdr3, MAXREC + 1);
	memset(recs, 0xee, sizeof(recs));
	ASSERT_EQ(2, xshm_ring_recv_batch(self->ca, buf, sizeof(buf), recs, 4));
	EXPECT_EQ(1u, recs[1].seq);
	/* nothing from the bad record on */
	EXPECT_EQ(0xeeeeeeeeu, recs[2].len);
	ASSERT_EQ(-EBADMSG, xshm_ring_recv_batch(self->ca, buf, sizeof(buf),
						 recs, 4));
	ASSERT_EQ(0, xshm_ring_stats(self->ca, &st));
	EXPECT_EQ(1u, st.corrupt);
	/* a length past what was committed is as bad */
	test_put32(self->r, hdr3, 80);
	ASSERT_EQ(-EBADMSG, xshm_ring_recv_batch(self->ca, buf, sizeof(buf),
						 recs, 4));
	/* a padding record that does not end the ring */
	test_put32(self->r, hdr3, W_REC_PAD | 16);
	ASSERT_EQ(-EBADMSG, xshm_ring_recv_batch(self->ca, buf, sizeof(buf),
						 recs, 4));
	ASSERT_EQ(-EBADMSG, xshm_ring_peek(self->ca, &recs[0]));
	ASSERT_EQ(0, xshm_ring_stats(self->ca, &st));
	EXPECT_EQ(4u, st.corrupt);
	/* the peer repairs it: reading resumes there */
	test_put32(self->r, hdr3, good);
	ASSERT_EQ(2, xshm_ring_recv_batch(self->ca, buf, sizeof(buf), recs, 4));
	EXPECT_EQ(2u, recs[0].seq);
	EXPECT_EQ(0u, recs[0].lost);
	EXPECT_TRUE(test_pattern_ok(recs[1].data, 16, 3));
}

/* a head the producer cannot have written: nothing is delivered */
TEST_F(batch, corrupt_head_is_ebadmsg)
{
	static const uint32_t lens[] = { 16 };
	struct xshm_record recs[2];
	struct recset s;
	uint64_t buf[8], head;

	recset_fill(&s, 1, lens, 0);
	ASSERT_EQ(1, xshm_ring_sendv(self->pa, s.iov, 1));
	head = test_get64(self->r, self->off_a + W_HEAD);
	test_put64(self->r, self->off_a + W_HEAD, head + 4);
	ASSERT_EQ(-EBADMSG, xshm_ring_recv_batch(self->ca, buf, sizeof(buf),
						 recs, 2));
	test_put64(self->r, self->off_a + W_HEAD, head + 2 * DATA);
	ASSERT_EQ(-EBADMSG, xshm_ring_recv_batch(self->ca, buf, sizeof(buf),
						 recs, 2));
	test_put64(self->r, self->off_a + W_HEAD, head);
	ASSERT_EQ(1, xshm_ring_recv_batch(self->ca, buf, sizeof(buf), recs, 2));
}

TEST_F(batch, interleaves_with_peek_recv_and_reserve)
{
	static const uint32_t lens[] = { 1, 2, 3, 4, 5, 6 };
	struct xshm_record rec, recs[8];
	struct recset s;
	uint64_t buf[16];
	uint8_t one[8];
	void *p;

	recset_fill(&s, 6, lens, 0);
	/* a pending reservation goes out with the sendv's commit */
	ASSERT_EQ(0, xshm_ring_reserve(self->pa, 7, &p));
	memset(p, 0x77, 7);
	ASSERT_EQ(6, xshm_ring_sendv(self->pa, s.iov, 6));
	ASSERT_EQ(7u, xshm_ring_next_seq(self->pa));
	ASSERT_EQ(0, xshm_ring_peek(self->ca, &rec));
	EXPECT_EQ(7u, rec.len);
	EXPECT_EQ(0u, rec.seq);
	/* the batch starts after the peeked record and releases it too */
	ASSERT_EQ(2, xshm_ring_recv_batch(self->ca, buf, sizeof(buf), recs, 2));
	EXPECT_EQ(1u, recs[0].seq);
	EXPECT_EQ(1u, recs[0].len);
	EXPECT_TRUE(test_pattern_ok(recs[1].data, 2, 1));
	ASSERT_EQ(3, xshm_ring_recv(self->ca, one, sizeof(one), &rec));
	EXPECT_EQ(3u, rec.seq);
	ASSERT_EQ(0, xshm_ring_peek(self->ca, &rec));
	EXPECT_EQ(4u, rec.seq);
	ASSERT_EQ(2, xshm_ring_recv_batch(self->ca, buf, sizeof(buf), recs, 8));
	EXPECT_EQ(5u, recs[0].seq);
	EXPECT_EQ(6u, recs[1].seq);
	EXPECT_EQ(0u, recs[1].lost);
	EXPECT_TRUE(test_pattern_ok(recs[1].data, 6, 5));
	ASSERT_EQ(-EAGAIN, xshm_ring_peek(self->ca, &rec));
	/* everything was released: a new consumer starts after it all */
	xshm_ring_detach(self->ca);
	ASSERT_EQ(0, xshm_ring_attach(self->r, variant->a, XSHM_CONSUMER,
				      &self->ca));
	ASSERT_EQ(0, xshm_ring_recv_batch(self->ca, buf, sizeof(buf), recs, 8));
}

/* OVERWRITE: many rings' worth in one call, the newest survive */
FIXTURE(over) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
	struct xshm_ring *p, *c;
};
FIXTURE_SETUP(over)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, NCHANS, 0));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "over_a", XSHM_PRODUCER,
				      &self->p));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "over_a", XSHM_CONSUMER,
				      &self->c));
}
FIXTURE_TEARDOWN(over)
{
	xshm_ring_detach(self->p);
	xshm_ring_detach(self->c);
	xshm_region_close(self->r);
	unlink(self->path);
}

TEST_F(over, batch_of_several_rings_keeps_the_newest)
{
	uint32_t lens[NBATCH];
	struct xshm_record recs[NBATCH];
	struct xshm_ring_stats st;
	struct recset s;
	uint64_t buf[512];
	unsigned int i;
	int got;

	for (i = 0; i < NBATCH; i++)
		lens[i] = 24;	/* 32 bytes: 8 per ring */
	recset_fill(&s, NBATCH, lens, 0);
	ASSERT_EQ((int)NBATCH, xshm_ring_sendv(self->p, s.iov, NBATCH));
	got = xshm_ring_recv_batch(self->c, buf, sizeof(buf), recs, NBATCH);
	ASSERT_GT(got, 0);
	ASSERT_LE(got, 8);
	EXPECT_EQ(NBATCH - 1, recs[got - 1].seq);
	EXPECT_EQ(NBATCH - (unsigned int)got, recs[0].lost);
	for (i = 0; i < (unsigned int)got; i++)
		EXPECT_TRUE(test_pattern_ok(recs[i].data, 24, recs[i].seq));
	ASSERT_EQ(0, xshm_ring_stats(self->c, &st));
	EXPECT_EQ(NBATCH - (unsigned int)got, st.overwritten);
}

/* a lapped consumer resumes at the frontier; the gap is its loss */
TEST_F(over, lapped_consumer_counts_the_gap)
{
	static const uint32_t lens[] = { 40, 40, 40, 40 };
	struct xshm_record recs[8];
	struct recset s;
	uint64_t buf[64];
	int got, i;

	recset_fill(&s, 4, lens, 0);
	ASSERT_EQ(4, xshm_ring_sendv(self->p, s.iov, 4));
	ASSERT_EQ(1, xshm_ring_recv_batch(self->c, buf, sizeof(buf), recs, 1));
	EXPECT_EQ(0u, recs[0].lost);
	ASSERT_EQ(4, xshm_ring_sendv(self->p, s.iov, 4));
	ASSERT_EQ(4, xshm_ring_sendv(self->p, s.iov, 4));
	got = xshm_ring_recv_batch(self->c, buf, sizeof(buf), recs, 8);
	ASSERT_GT(got, 0);
	ASSERT_LT(got, 11);
	EXPECT_EQ(11u, recs[got - 1].seq);
	EXPECT_EQ(12u - (unsigned int)got, recs[0].seq);
	EXPECT_EQ(recs[0].seq - 1, recs[0].lost);
	for (i = 1; i < got; i++) {
		EXPECT_EQ(0u, recs[i].lost);
		EXPECT_TRUE(test_pattern_ok(recs[i].data, 40,
					    recs[i].seq % 4));
	}
}

/* two processes, 10^6 records of many lengths, checksummed */
FIXTURE(proc) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
};
FIXTURE_SETUP(proc)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, NCHANS, 0));
}
FIXTURE_TEARDOWN(proc)
{
	xshm_region_close(self->r);
	unlink(self->path);
}

#define NRECS 1000000u

static uint32_t rec_len(uint32_t i)
{
	return (i * 2654435761u >> 7) % (BIG_MAX + 1);
}

/* the bytes of record i, ending with a checksum of the others */
static void rec_make(uint8_t *p, uint32_t i)
{
	uint32_t len = rec_len(i), k;
	uint8_t sum = 0;

	for (k = 0; k < len; k++) {
		p[k] = (uint8_t)(i * 7u + k * 13u);
		sum += p[k];
	}
	if (len)
		p[len - 1] = (uint8_t)(sum - p[len - 1]);
}

static int rec_ok(const uint8_t *p, uint32_t len, uint32_t i)
{
	uint8_t want[BIG_MAX];

	if (len != rec_len(i))
		return 0;
	rec_make(want, i);
	return !memcmp(want, p, len);
}

TEST_F_TIMEOUT(proc, million_records_between_two_processes, 120)
{
	static uint8_t bytes[NBATCH][BIG_MAX];
	struct xshm_record recs[NBATCH];
	struct iovec iov[NBATCH];
	uint64_t buf[NBATCH * BIG_MAX / 8];
	struct xshm_ring *c;
	uint32_t next = 0, bad = 0;
	int status, k, i;
	pid_t pid;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "big", XSHM_CONSUMER, &c));
	pid = test_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct xshm_ring *p;
		uint32_t sent = 0, n, j;

		if (xshm_ring_attach(self->r, "big", XSHM_PRODUCER, &p))
			_exit(2);
		while (sent < NRECS) {
			n = 1 + sent % NBATCH;
			if (n > NRECS - sent)
				n = NRECS - sent;
			for (j = 0; j < n; j++) {
				rec_make(bytes[j], sent + j);
				iov[j].iov_base = bytes[j];
				iov[j].iov_len = rec_len(sent + j);
			}
			for (j = 0; j < n;) {
				k = xshm_ring_sendv(p, iov + j, n - j);
				if (k == -EAGAIN)
					continue;
				if (k <= 0)
					_exit(3);
				j += (uint32_t)k;
			}
			sent += n;
		}
		_exit(0);
	}
	while (next < NRECS) {
		k = xshm_ring_recv_batch(c, buf, sizeof(buf) - 8 * (next % 7),
					 recs, 1 + next % NBATCH);
		if (k < 0) {
			kill(pid, SIGKILL);
			ASSERT_GE(k, 0);
		}
		for (i = 0; i < k; i++, next++)
			if (recs[i].seq != next || recs[i].lost ||
			    !rec_ok(recs[i].data, recs[i].len, next))
				bad++;
		if (bad)
			break;
	}
	if (bad)
		kill(pid, SIGKILL);	/* it may wait for room forever */
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0u, bad);
	ASSERT_EQ(NRECS, next);
	xshm_ring_detach(c);
}

/*
 * OVERWRITE with a producer lapping the consumer all the time: records
 * torn by the producer during the copy must never be delivered.
 */
TEST_F_TIMEOUT(proc, overwrite_race_delivers_no_torn_record, 120)
{
	struct xshm_record recs[NBATCH];
	uint64_t buf[NBATCH * BIG_MAX / 8];
	uint32_t expect = 0, bad = 0, got = 0, lost = 0;
	struct xshm_ring *c;
	int status, k, i;
	pid_t pid;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "over_a", XSHM_CONSUMER, &c));
	pid = test_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		static uint8_t bytes[8][BIG_MAX];
		struct iovec iov[8];
		struct xshm_ring *p;
		uint32_t sent = 0, j;

		if (xshm_ring_attach(self->r, "over_a", XSHM_PRODUCER, &p))
			_exit(2);
		while (sent < 200000) {
			for (j = 0; j < 8; j++) {
				rec_make(bytes[j], sent + j);
				iov[j].iov_base = bytes[j];
				iov[j].iov_len = rec_len(sent + j);
			}
			if (xshm_ring_sendv(p, iov, 8) != 8)
				_exit(3);
			sent += 8;
		}
		/* the end marker: a record of BIG_MAX + 1 bytes */
		memset(bytes, 0, sizeof(bytes));
		if (xshm_ring_send(p, bytes, BIG_MAX + 1))
			_exit(4);
		_exit(0);
	}
	for (;;) {
		k = xshm_ring_recv_batch(c, buf, sizeof(buf), recs, NBATCH);
		if (k == -EAGAIN)
			continue;
		if (k < 0)
			kill(pid, SIGKILL);
		ASSERT_GE(k, 0);
		for (i = 0; i < k; i++) {
			if (recs[i].len == BIG_MAX + 1)
				break;
			if (recs[i].seq - expect != recs[i].lost ||
			    !rec_ok(recs[i].data, recs[i].len, recs[i].seq))
				bad++;
			lost += (uint32_t)recs[i].lost;
			expect = recs[i].seq + 1;
			got++;
		}
		if (i < k || bad)
			break;
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0u, bad);
	ASSERT_EQ(200000u, got + lost);
	TH_LOG("%u records delivered, %u lost", got, lost);
	xshm_ring_detach(c);
}

TEST_HARNESS_MAIN
