// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Doorbells: notification suppression without lost wake-ups.
 *
 * round_trips and space_waits are the long randomized proof: two threads
 * with random delays, each side sleeping on its doorbell whenever it finds
 * nothing to do; a lost wake-up leaves a side asleep and the wait times
 * out.  XSHM_DB_TRIALS sets the round trips / records (default 20000).
 * The race_window tests drive the announce/re-check protocol step by step
 * through xshm_ring_arm() and xshm_seqlock_arm(): an announcement made
 * before a publish is rung, one made after is not needed and not rung
 * (the library's own re-check finds it: removing that re-check fails
 * them).  doorbell_race_test.c walks every interleaving of the steps.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (64u * 1024u)
#define WAIT_MS 10000	/* a lost wake-up shows as a timeout */

static const struct xshm_chan_spec chans[] = {
	{ "ping", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, 4 },
	{ "pong", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 32, 256 },
	{ "tiny", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, 2 },
	{ "value", XSHM_CHAN_SEQLOCK, 0, 8, 0 },
	{ "latch", XSHM_CHAN_LATCH, 0, 8, 0 },
	{ "lww", XSHM_CHAN_LWW, 0, 8, 2 },
};

static unsigned long trials(void)
{
	const char *s = getenv("XSHM_DB_TRIALS");
	unsigned long n = s ? strtoul(s, NULL, 0) : 0;

	return n ? n : 20000;
}

struct side {
	struct xshm_ring *tx, *rx;
	struct xshm_doorbell *tx_db, *rx_db;
	uint64_t seed;
	unsigned long n;
	int err;		/* first failure */
	unsigned long at;	/* at which record */
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* mostly nothing, sometimes a spin, sometimes a sleep: both sides race */
static void jitter(uint64_t *s)
{
	uint64_t r = rnd(s) % 16, i;

	if (r < 10)
		return;
	if (r < 14) {
		for (i = rnd(s) % 2000; i; i--)
			atomic_signal_fence(memory_order_seq_cst);
		return;
	}
	usleep((useconds_t)(rnd(s) % 50));
}

/* no spinning: every empty ring goes straight to announce/re-check/sleep */
static const struct xshm_wait_policy eager = { .spin_iters = 0,
					       .max_sleep_us = 1000 };

static void fail(struct side *s, int err, unsigned long i)
{
	if (!s->err) {
		s->err = err ? err : -EBADMSG;
		s->at = i;
	}
}

/* side A: send i on ping (fixed), wait for i back on pong (var) */
static void *side_a(void *arg)
{
	struct side *s = arg;
	uint64_t v, back;
	unsigned long i;
	ssize_t len;

	for (i = 0; i < s->n && !s->err; i++) {
		v = i;
		jitter(&s->seed);
		if (xshm_ring_push(s->tx, &v)) {
			fail(s, -ENOSPC, i);
			break;
		}
		len = xshm_ring_recv_wait(s->rx, &back, sizeof(back), NULL,
					  WAIT_MS);
		if (len != sizeof(back) || back != i)
			fail(s, len < 0 ? (int)len : -EBADMSG, i);
	}
	return NULL;
}

/* side B: echo every ping back on pong */
static void *side_b(void *arg)
{
	struct side *s = arg;
	unsigned long i;
	uint64_t v;
	int err;

	for (i = 0; i < s->n && !s->err; i++) {
		err = xshm_ring_pop_wait(s->rx, &v, WAIT_MS);
		if (err || v != i) {
			fail(s, err, i);
			break;
		}
		jitter(&s->seed);
		if (xshm_ring_send(s->tx, &v, sizeof(v))) {
			fail(s, -ENOSPC, i);
			break;
		}
	}
	return NULL;
}

/* side A of space_waits: a stream into a 2-slot ring, sleeping when full */
static void *stream_tx(void *arg)
{
	struct side *s = arg;
	unsigned long i;
	uint64_t v;
	int err;

	for (i = 0; i < s->n && !s->err; i++) {
		v = i;
		jitter(&s->seed);
		while ((err = xshm_ring_push(s->tx, &v)) == -EAGAIN) {
			err = xshm_ring_wait(s->tx, WAIT_MS);
			if (err)
				break;
		}
		if (err)
			fail(s, err, i);
	}
	return NULL;
}

static void *stream_rx(void *arg)
{
	struct side *s = arg;
	unsigned long i;
	uint64_t v;
	int err;

	for (i = 0; i < s->n && !s->err; i++) {
		jitter(&s->seed);
		err = xshm_ring_pop_wait(s->rx, &v, WAIT_MS);
		if (err || v != i)
			fail(s, err, i);
	}
	return NULL;
}

FIXTURE(db) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
	struct xshm_ring *ping_p, *ping_c, *pong_p, *pong_c;
	struct xshm_doorbell *ping_pdb, *ping_cdb, *pong_pdb, *pong_cdb;
};

FIXTURE_SETUP(db)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, 6, 0));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "ping", XSHM_PRODUCER,
				      &self->ping_p));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "ping", XSHM_CONSUMER,
				      &self->ping_c));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "pong", XSHM_PRODUCER,
				      &self->pong_p));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "pong", XSHM_CONSUMER,
				      &self->pong_c));
	ASSERT_EQ(0, xshm_doorbell_pair(&self->ping_pdb, &self->ping_cdb));
	ASSERT_EQ(0, xshm_doorbell_pair(&self->pong_pdb, &self->pong_cdb));
}

FIXTURE_TEARDOWN(db)
{
	xshm_ring_detach(self->ping_p);
	xshm_ring_detach(self->ping_c);
	xshm_ring_detach(self->pong_p);
	xshm_ring_detach(self->pong_c);
	xshm_doorbell_close(self->ping_pdb);
	xshm_doorbell_close(self->ping_cdb);
	xshm_doorbell_close(self->pong_pdb);
	xshm_doorbell_close(self->pong_cdb);
	xshm_region_close(self->r);
	unlink(self->path);
}

static void bell_all(struct _test_data_db *self,
		     struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, xshm_ring_doorbell(self->ping_p, self->ping_pdb));
	ASSERT_EQ(0, xshm_ring_doorbell(self->ping_c, self->ping_cdb));
	ASSERT_EQ(0, xshm_ring_doorbell(self->pong_p, self->pong_pdb));
	ASSERT_EQ(0, xshm_ring_doorbell(self->pong_c, self->pong_cdb));
	xshm_ring_set_wait(self->ping_p, &eager);
	xshm_ring_set_wait(self->ping_c, &eager);
	xshm_ring_set_wait(self->pong_p, &eager);
	xshm_ring_set_wait(self->pong_c, &eager);
}

TEST_F_TIMEOUT(db, round_trips, 600)
{
	struct side a = { self->ping_p, self->pong_c, NULL, NULL,
			  0x9e3779b97f4a7c15u ^ (uint64_t)time(NULL), trials(),
			  0, 0 };
	struct side b = { self->pong_p, self->ping_c, NULL, NULL,
			  0xd1b54a32d192ed03u ^ (uint64_t)getpid(), trials(),
			  0, 0 };
	struct xshm_doorbell_stats ping, pong;
	pthread_t ta, tb;

	bell_all(self, _metadata);
	ASSERT_EQ(0, pthread_create(&ta, NULL, side_a, &a));
	ASSERT_EQ(0, pthread_create(&tb, NULL, side_b, &b));
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	if (a.err || b.err)
		TH_LOG("side A: %s at %lu, side B: %s at %lu",
		       xshm_strerror(a.err), a.at, xshm_strerror(b.err), b.at);
	ASSERT_EQ(0, a.err);
	ASSERT_EQ(0, b.err);
	ASSERT_EQ(0, xshm_ring_doorbell_stats(self->ping_c, &ping));
	ASSERT_EQ(0, xshm_ring_doorbell_stats(self->pong_c, &pong));
	TH_LOG("%lu round trips: ping consumer slept %llu times, rung %llu; "
	       "pong consumer slept %llu times, rung %llu", trials(),
	       (unsigned long long)ping.cons_sleeps,
	       (unsigned long long)ping.prod_notified,
	       (unsigned long long)pong.cons_sleeps,
	       (unsigned long long)pong.prod_notified);
	/*
	 * The waits really slept and were rung; at most one ring per record
	 * (a ring may answer an announcement whose re-check then found the
	 * record, so rings are not bounded by sleeps).
	 */
	ASSERT_GT(ping.cons_sleeps, 0);
	ASSERT_GT(pong.cons_sleeps, 0);
	ASSERT_GT(ping.prod_notified, 0);
	ASSERT_LE(ping.prod_notified, trials());
	ASSERT_LE(pong.prod_notified, trials());
}

TEST_F_TIMEOUT(db, space_waits, 600)
{
	struct xshm_ring *tp, *tc;
	struct xshm_doorbell *pdb, *cdb;
	struct xshm_doorbell_stats st;
	struct side tx = { 0 }, rx = { 0 };
	pthread_t t1, t2;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "tiny", XSHM_PRODUCER, &tp));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "tiny", XSHM_CONSUMER, &tc));
	ASSERT_EQ(0, xshm_doorbell_pair(&pdb, &cdb));
	ASSERT_EQ(0, xshm_ring_doorbell(tp, pdb));
	ASSERT_EQ(0, xshm_ring_doorbell(tc, cdb));
	xshm_ring_set_wait(tp, &eager);
	xshm_ring_set_wait(tc, &eager);
	tx.tx = tp;
	tx.seed = 0x2545f4914f6cdd1du ^ (uint64_t)time(NULL);
	tx.n = trials();
	rx.rx = tc;
	rx.seed = 0x9e3779b97f4a7c15u ^ (uint64_t)getpid();
	rx.n = trials();
	ASSERT_EQ(0, pthread_create(&t1, NULL, stream_tx, &tx));
	ASSERT_EQ(0, pthread_create(&t2, NULL, stream_rx, &rx));
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	ASSERT_EQ(0, tx.err);
	ASSERT_EQ(0, rx.err);
	ASSERT_EQ(0, xshm_ring_doorbell_stats(tc, &st));
	TH_LOG("%lu records: producer slept %llu times (rung %llu), consumer "
	       "slept %llu times (rung %llu)", trials(),
	       (unsigned long long)st.prod_sleeps,
	       (unsigned long long)st.cons_notified,
	       (unsigned long long)st.cons_sleeps,
	       (unsigned long long)st.prod_notified);
	/* both directions slept: the producer for room, the consumer for data */
	ASSERT_GT(st.prod_sleeps, 0);
	ASSERT_GT(st.cons_sleeps, 0);
	xshm_ring_detach(tp);
	xshm_ring_detach(tc);
	xshm_doorbell_close(pdb);
	xshm_doorbell_close(cdb);
}

/* values: the writer writes i, the reader waits for it asleep, acks on pong */
struct vside {
	struct xshm_seqlock *sl;
	struct xshm_ring *ack;
	uint64_t seed;
	unsigned long n;
	int err;
	unsigned long at;
};

static void *value_writer(void *arg)
{
	struct vside *s = arg;
	uint64_t v, back;
	unsigned long i;
	ssize_t len;

	for (i = 1; i <= s->n && !s->err; i++) {
		v = i;
		jitter(&s->seed);
		if (xshm_seqlock_write(s->sl, &v, sizeof(v), 0))
			s->err = -EIO;
		len = xshm_ring_recv_wait(s->ack, &back, sizeof(back), NULL,
					  WAIT_MS);
		if (!s->err && (len != sizeof(back) || back != i)) {
			s->err = len < 0 ? (int)len : -EBADMSG;
			s->at = i;
		}
	}
	return NULL;
}

static void *value_reader(void *arg)
{
	struct vside *s = arg;
	uint64_t seq = 0, v = 0;
	unsigned long i;
	int err;

	for (i = 1; i <= s->n && !s->err; i++) {
		do {
			err = xshm_seqlock_wait(s->sl, &seq, WAIT_MS);
			if (!err)
				err = xshm_seqlock_read(s->sl, &v, sizeof(v),
							NULL, WAIT_MS);
		} while (!err && v != i);
		jitter(&s->seed);
		if (err || xshm_ring_send(s->ack, &v, sizeof(v))) {
			s->err = err ? err : -EIO;
			s->at = i;
		}
	}
	return NULL;
}

static void value_round_trips(struct _test_data_db *self,
			      struct __test_metadata *_metadata,
			      const char *name)
{
	struct xshm_seqlock *w, *r;
	struct xshm_doorbell *wdb, *rdb;
	struct vside ws = { 0 }, rs = { 0 };
	unsigned long n = trials() / 4;
	pthread_t t1, t2;

	ASSERT_EQ(0, xshm_seqlock_attach(self->r, name, XSHM_PRODUCER, 0, &w));
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, name, XSHM_CONSUMER, 0, &r));
	ASSERT_EQ(0, xshm_doorbell_pair(&wdb, &rdb));
	ASSERT_EQ(0, xshm_seqlock_doorbell(w, wdb));
	ASSERT_EQ(0, xshm_seqlock_doorbell(r, rdb));
	xshm_seqlock_set_wait(r, &eager);
	bell_all(self, _metadata);
	ws = (struct vside){ w, self->pong_c, 0x9e3779b97f4a7c15u ^
			     (uint64_t)time(NULL), n, 0, 0 };
	rs = (struct vside){ r, self->pong_p, 0xd1b54a32d192ed03u ^
			     (uint64_t)getpid(), n, 0, 0 };
	ASSERT_EQ(0, pthread_create(&t1, NULL, value_writer, &ws));
	ASSERT_EQ(0, pthread_create(&t2, NULL, value_reader, &rs));
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	if (ws.err || rs.err)
		TH_LOG("writer: %s at %lu, reader: %s at %lu",
		       xshm_strerror(ws.err), ws.at, xshm_strerror(rs.err), rs.at);
	ASSERT_EQ(0, ws.err);
	ASSERT_EQ(0, rs.err);
	/* the reader slept and the writer rang: shared words of the block */
	TH_LOG("%s: %lu values, reader slept %llu times, writer rang %llu",
	       name, n, (unsigned long long)test_get64(self->r,
		       test_chan_offset(self->r, name) + 120),
	       (unsigned long long)test_get64(self->r,
		       test_chan_offset(self->r, name) + 88));
	ASSERT_GT(test_get64(self->r, test_chan_offset(self->r, name) + 120), 0);
	ASSERT_GT(test_get64(self->r, test_chan_offset(self->r, name) + 88), 0);
	xshm_seqlock_detach(w);
	xshm_seqlock_detach(r);
	xshm_doorbell_close(wdb);
	xshm_doorbell_close(rdb);
}

TEST_F_TIMEOUT(db, value_round_trips_seqlock, 600)
{
	value_round_trips(self, _metadata, "value");
}

TEST_F_TIMEOUT(db, value_round_trips_latch, 600)
{
	value_round_trips(self, _metadata, "latch");
}

TEST_F(db, value_doorbell_not_on_lww)
{
	struct xshm_seqlock *sl;
	uint64_t seq = 0;

	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "lww", XSHM_CONSUMER, 0, &sl));
	ASSERT_EQ(-EOPNOTSUPP, xshm_seqlock_doorbell(sl, self->ping_cdb));
	ASSERT_EQ(-EOPNOTSUPP, xshm_seqlock_wait(sl, &seq, 0));
	xshm_seqlock_detach(sl);
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* armed (announced, re-checked empty), then a publish: it must ring */
TEST_F(db, race_window_publish_after_announce_rings)
{
	struct xshm_doorbell_stats st;
	uint64_t v = 7;

	bell_all(self, _metadata);
	ASSERT_EQ(0, xshm_ring_arm(self->ping_c));
	ASSERT_FALSE(readable(xshm_ring_fd(self->ping_c)));
	ASSERT_EQ(0, xshm_ring_push(self->ping_p, &v));
	ASSERT_TRUE(readable(xshm_ring_fd(self->ping_c)));
	/* a second publish for the same announcement does not ring again */
	ASSERT_EQ(0, xshm_ring_push(self->ping_p, &v));
	ASSERT_EQ(0, xshm_ring_doorbell_stats(self->ping_c, &st));
	ASSERT_EQ(1, st.prod_notified);
	ASSERT_EQ(1, st.cons_sleeps);
	ASSERT_EQ(0, xshm_ring_disarm(self->ping_c));
	ASSERT_FALSE(readable(xshm_ring_fd(self->ping_c)));
	ASSERT_EQ(0, xshm_ring_pop(self->ping_c, &v));
	ASSERT_EQ(7, v);
}

/*
 * A publish before the announcement: the re-check sees it, nothing rings.
 * xshm_ring_arm() does not look before it announces, so this is the
 * library's re-check at work (without it, arm would answer 0 and sleep).
 */
TEST_F(db, race_window_publish_before_announce_is_seen)
{
	struct xshm_doorbell_stats st;
	uint64_t v = 9;

	bell_all(self, _metadata);
	ASSERT_EQ(0, xshm_ring_push(self->ping_p, &v));
	ASSERT_EQ(1, xshm_ring_arm(self->ping_c));
	ASSERT_EQ(0, xshm_ring_doorbell_stats(self->ping_c, &st));
	ASSERT_EQ(0, st.prod_notified);
	ASSERT_EQ(0, st.cons_sleeps);
	ASSERT_FALSE(readable(xshm_ring_fd(self->ping_c)));
}

/* the same for a value reader: a write before xshm_seqlock_arm() */
TEST_F(db, race_window_value_written_before_announce_is_seen)
{
	struct xshm_seqlock *w, *r;
	struct xshm_doorbell *wdb, *rdb;
	struct xshm_doorbell_stats st;
	uint64_t v = 5, seq = 0;

	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "value", XSHM_PRODUCER, 0, &w));
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "value", XSHM_CONSUMER, 0, &r));
	ASSERT_EQ(0, xshm_doorbell_pair(&wdb, &rdb));
	ASSERT_EQ(0, xshm_seqlock_doorbell(w, wdb));
	ASSERT_EQ(0, xshm_seqlock_doorbell(r, rdb));
	/* armed on an unchanged sequence, then a write: it rings */
	ASSERT_EQ(0, xshm_seqlock_arm(r, seq));
	ASSERT_FALSE(readable(xshm_seqlock_fd(r)));
	ASSERT_EQ(0, xshm_seqlock_write(w, &v, sizeof(v), 0));
	ASSERT_TRUE(readable(xshm_seqlock_fd(r)));
	ASSERT_EQ(0, xshm_seqlock_disarm(r));
	ASSERT_EQ(0, xshm_seqlock_wait(r, &seq, 0));
	/* a write before the announcement: seen, not rung */
	ASSERT_EQ(0, xshm_seqlock_write(w, &v, sizeof(v), 0));
	ASSERT_EQ(1, xshm_seqlock_arm(r, seq));
	ASSERT_FALSE(readable(xshm_seqlock_fd(r)));
	ASSERT_EQ(0, xshm_seqlock_doorbell_stats(r, &st));
	ASSERT_EQ(1, st.prod_notified);
	ASSERT_EQ(1, st.cons_sleeps);
	xshm_seqlock_detach(w);
	xshm_seqlock_detach(r);
	xshm_doorbell_close(wdb);
	xshm_doorbell_close(rdb);
}

/* suppression: a consumer that did not announce is never rung */
TEST_F(db, busy_ring_sends_no_notification)
{
	struct xshm_doorbell_stats st;
	uint64_t v;
	int i;

	bell_all(self, _metadata);
	for (i = 0; i < 1000; i++) {
		v = (uint64_t)i;
		ASSERT_EQ(0, xshm_ring_push(self->ping_p, &v));
		ASSERT_EQ(0, xshm_ring_pop_wait(self->ping_c, &v, 0));
		ASSERT_EQ((uint64_t)i, v);
	}
	ASSERT_EQ(0, xshm_ring_doorbell_stats(self->ping_c, &st));
	ASSERT_EQ(0, st.prod_notified);
	ASSERT_EQ(1, st.prod_rings);
	ASSERT_EQ(1, st.cons_rings);
}

/* a doorbell on one side only: waits poll, and the record still arrives */
static void *late_push(void *arg)
{
	uint64_t v = 42;

	usleep(20000);
	xshm_ring_push(arg, &v);
	return NULL;
}

TEST_F(db, peer_without_doorbell_falls_back_to_polling)
{
	struct xshm_doorbell_stats st;
	pthread_t t;
	uint64_t v = 0;

	ASSERT_EQ(0, xshm_ring_doorbell(self->ping_c, self->ping_cdb));
	ASSERT_EQ(-ENODEV, xshm_ring_arm(self->ping_c));
	ASSERT_EQ(0, pthread_create(&t, NULL, late_push, self->ping_p));
	ASSERT_EQ(0, xshm_ring_pop_wait(self->ping_c, &v, WAIT_MS));
	pthread_join(t, NULL);
	ASSERT_EQ(42, v);
	ASSERT_EQ(0, xshm_ring_doorbell_stats(self->ping_c, &st));
	ASSERT_EQ(0, st.cons_sleeps);
	ASSERT_EQ(0, st.prod_rings);
}

/* the configuration file: lookup, errors, and the polling fallback */
TEST_F(db, configuration_file)
{
	char conf[TEST_PATH_MAX];
	struct xshm_doorbell *d = NULL;
	FILE *f;

	ASSERT_EQ(-ENODEV, xshm_ring_fd(self->ping_c));
	ASSERT_EQ(0, test_tmp_file(conf));
	setenv("XSHM_DOORBELLS", conf, 1);
	ASSERT_EQ(-ENOENT, xshm_doorbell_open("r", "ping", &d));
	f = fopen(conf, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "# region channel local-port\n\nr ping 5 # comment\n"
		"r pong\n");
	fclose(f);
	/* a malformed line is reported to every lookup, not skipped */
	ASSERT_EQ(-EINVAL, xshm_doorbell_open("r", "pong", &d));
	ASSERT_EQ(-EINVAL, xshm_doorbell_open("r", "other", &d));
	f = fopen(conf, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "r ping 5\nr pong 0x6\n");
	fclose(f);
	/* found: binding needs /dev/xen/evtchn (absent outside Xen) */
	if (access("/dev/xen/evtchn", F_OK) != 0)
		ASSERT_EQ(-ENODEV, xshm_doorbell_open("r", "ping", &d));
	ASSERT_EQ(-ENOENT, xshm_doorbell_open("r", "other", &d));
	/* no doorbell configured for this region: the ring keeps polling */
	ASSERT_GT(0, xshm_ring_doorbell(self->ping_c, NULL));
	ASSERT_EQ(-ENODEV, xshm_ring_fd(self->ping_c));
	unsetenv("XSHM_DOORBELLS");
	unlink(conf);
	ASSERT_EQ(NULL, d);
}

TEST_HARNESS_MAIN
