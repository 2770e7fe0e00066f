// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Quick end-to-end smoke check of libxshm used while developing it (the
 * real unit suite is selftests/lib).  Uses a real file region and threads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xshm.h"
#include "xshm-peer.h"

static int failures, checks;

#define CHECK(cond) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__,	\
			__LINE__, #cond);				\
	}								\
} while (0)

#define EQ(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);		\
	checks++;							\
	if (_a != _b) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: FAILED: %s == %s (%lld != %lld)\n", \
			__FILE__, __LINE__, #a, #b, _a, _b);		\
	}								\
} while (0)

static const struct xshm_chan_spec chans[] = {
	{ "fixed", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 12, 8 },
	{ "fdrop", XSHM_CHAN_RING_FIXED, XSHM_FULL_DROP, 8, 4 },
	{ "fover", XSHM_CHAN_RING_FIXED, XSHM_FULL_OVERWRITE, 8, 4 },
	{ "log", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 0, 256 },
	{ "ldrop", XSHM_CHAN_RING_VAR, XSHM_FULL_DROP, 0, 256 },
	{ "lover", XSHM_CHAN_RING_VAR, XSHM_FULL_OVERWRITE, 0, 256 },
	{ "big", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 1000, 4096 },
	{ "cfg", XSHM_CHAN_SEQLOCK, 0, 40, 0 },
	{ "latch", XSHM_CHAN_LATCH, 0, 24, 0 },
	{ "lww", XSHM_CHAN_LWW, 0, 16, 3 },
	{ "bigover", XSHM_CHAN_RING_VAR, XSHM_FULL_OVERWRITE, 200, 4096 },
	{ "fover2", XSHM_CHAN_RING_FIXED, XSHM_FULL_OVERWRITE, 24, 64 },
};
#define NCHANS (sizeof(chans) / sizeof(chans[0]))

static struct xshm_region *reg;

static void test_fixed(void)
{
	struct xshm_ring *p, *c;
	unsigned char in[12], out[12], many[20 * 8];
	struct xshm_ring_stats st;
	uint64_t v;
	int i;

	EQ(xshm_ring_attach(reg, "fixed", XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_attach(reg, "fixed", XSHM_CONSUMER, &c), 0);
	EQ(xshm_ring_pop(c, out), -EAGAIN);
	for (i = 0; i < 8; i++) {
		memset(in, i, sizeof(in));
		EQ(xshm_ring_push(p, in), 0);
	}
	memset(in, 99, sizeof(in));
	EQ(xshm_ring_push(p, in), -EAGAIN);
	for (i = 0; i < 8; i++) {
		EQ(xshm_ring_pop(c, out), 0);
		EQ(out[0], i);
		EQ(out[11], i);
	}
	EQ(xshm_ring_pop(c, out), -EAGAIN);
	EQ(xshm_ring_stats(c, &st), 0);
	EQ(st.produced, 8);
	EQ(st.fill, 0);
	xshm_ring_detach(p);
	xshm_ring_detach(c);

	EQ(xshm_ring_attach(reg, "fdrop", XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_attach(reg, "fdrop", XSHM_CONSUMER, &c), 0);
	for (v = 0; v < 20; v++)
		memcpy(many + v * 8, &v, 8);
	EQ(xshm_ring_push_batch(p, many, 20), 4);
	v = 77;
	EQ(xshm_ring_push(p, &v), -ENOBUFS);
	EQ(xshm_ring_stats(p, &st), 0);
	EQ(st.dropped, 17);
	EQ(xshm_ring_pop_batch(c, many, 20), 4);
	memcpy(&v, many + 24, 8);
	EQ(v, 3);
	xshm_ring_detach(p);
	xshm_ring_detach(c);

	EQ(xshm_ring_attach(reg, "fover", XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_attach(reg, "fover", XSHM_CONSUMER, &c), 0);
	for (v = 0; v < 10; v++)
		EQ(xshm_ring_push(p, &v), 0);
	EQ(xshm_ring_pop(c, &v), 0);
	EQ(v, 6);
	EQ(xshm_ring_stats(c, &st), 0);
	EQ(st.overwritten, 6);
	for (v = 100; v < 120; v++)
		memcpy(many + (v - 100) * 8, &v, 8);
	EQ(xshm_ring_push_batch(p, many, 20), 20);
	EQ(xshm_ring_pop_batch(c, many, 20), 4);
	memcpy(&v, many, 8);
	EQ(v, 116);
	EQ(xshm_ring_stats(c, &st), 0);
	EQ(st.overwritten, 6 + 3 + 16);
	xshm_ring_detach(p);
	xshm_ring_detach(c);
}

static void test_var(void)
{
	struct xshm_ring *p, *c;
	struct xshm_record rec;
	char buf[256], msg[80];
	struct xshm_ring_stats st;
	void *b1, *b2;
	int i, n, got;
	ssize_t len;

	EQ(xshm_ring_attach(reg, "log", XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_attach(reg, "log", XSHM_CONSUMER, &c), 0);
	EQ(xshm_ring_send(p, "hello", 5), 0);
	EQ(xshm_ring_reserve(p, 3, &b1), 0);
	EQ(xshm_ring_reserve(p, 4, &b2), 0);
	memcpy(b1, "abc", 3);
	memcpy(b2, "defg", 4);
	EQ(xshm_ring_recv(c, buf, sizeof(buf), &rec), 5);
	CHECK(!memcmp(buf, "hello", 5));
	EQ(rec.seq, 0);
	EQ(xshm_ring_peek(c, &rec), -EAGAIN);	/* not committed yet */
	EQ(xshm_ring_commit(p), 2);
	EQ(xshm_ring_peek(c, &rec), 0);
	EQ(rec.len, 3);
	EQ(rec.seq, 1);
	EQ(xshm_ring_peek(c, &rec), 0);
	EQ(rec.len, 4);
	CHECK(!memcmp(rec.data, "defg", 4));
	EQ(xshm_ring_release(c), 0);
	EQ(xshm_ring_recv(c, buf, 1, NULL), -EAGAIN);
	EQ(xshm_ring_send(p, buf, 65), -EMSGSIZE);	/* max 64 */
	/* many wraps, each record a different length */
	for (i = 0, got = 0; i < 500; i++) {
		n = snprintf(msg, sizeof(msg), "message %d %.*s", i, i % 40,
			     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		while (xshm_ring_send(p, msg, (size_t)n) == -EAGAIN) {
			len = xshm_ring_recv(c, buf, sizeof(buf), &rec);
			EQ(rec.lost, 0);
			CHECK(len > 0);
			got++;
		}
	}
	while (xshm_ring_recv(c, buf, sizeof(buf), &rec) > 0)
		got++;
	EQ(got, 500);
	CHECK(!memcmp(buf, "message 499 ", 12));
	EQ(xshm_ring_next_seq(p), 503);
	xshm_ring_detach(p);
	xshm_ring_detach(c);

	/* drop: seq gaps reported as lost */
	EQ(xshm_ring_attach(reg, "ldrop", XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_attach(reg, "ldrop", XSHM_CONSUMER, &c), 0);
	for (i = 0; i < 20; i++) {
		memset(msg, 'a' + i, 40);
		n = xshm_ring_send(p, msg, 40);
		CHECK(n == 0 || n == -ENOBUFS);
	}
	EQ(xshm_ring_stats(p, &st), 0);
	EQ(st.dropped + st.produced, 20);
	got = 0;
	while ((len = xshm_ring_recv(c, buf, sizeof(buf), &rec)) > 0)
		got++;
	EQ(got, st.produced);
	EQ(xshm_ring_send(p, "z", 1), 0);
	EQ(xshm_ring_recv(c, buf, sizeof(buf), &rec), 1);
	EQ(rec.lost, st.dropped);
	EQ(rec.seq, 20);
	xshm_ring_detach(p);
	xshm_ring_detach(c);

	/* overwrite: never fails, loss counted exactly */
	EQ(xshm_ring_attach(reg, "lover", XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_attach(reg, "lover", XSHM_CONSUMER, &c), 0);
	for (i = 0; i < 100; i++) {
		n = snprintf(msg, sizeof(msg), "%d-%.*s", i, i % 30,
			     "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
		EQ(xshm_ring_send(p, msg, (size_t)n), 0);
	}
	{
		uint64_t lost = 0;
		int last = -1, first = -1;

		while ((len = xshm_ring_recv(c, buf, sizeof(buf), &rec)) > 0) {
			buf[len] = 0;
			lost += rec.lost;
			if (first < 0)
				first = atoi(buf);
			last = atoi(buf);
			EQ(atoi(buf), rec.seq);
		}
		EQ(last, 99);
		EQ(lost, (uint64_t)first);
		EQ(xshm_ring_stats(c, &st), 0);
		EQ(st.overwritten, lost);
	}
	xshm_ring_detach(p);
	xshm_ring_detach(c);
}

/* threads: producer and consumer concurrently, every record checked */
struct thr {
	const char *chan;
	int n;
	int overwrite;
	int maxw;	/* largest record in 32-bit words */
	int done;	/* producer finished (atomic access) */
	uint32_t base;	/* seq of the first record */
	uint64_t lost, got;
	int bad;
};

static void *producer(void *arg)
{
	struct thr *t = arg;
	struct xshm_ring *p;
	uint32_t rec[64];
	int i, k, err;

	if (xshm_ring_attach(reg, t->chan, XSHM_PRODUCER, &p))
		return NULL;
	for (i = 0; i < t->n; i++) {
		k = 1 + i % t->maxw;
		for (int j = 0; j < k; j++)
			rec[j] = (uint32_t)i * 7 + (uint32_t)j;
		while ((err = xshm_ring_send(p, rec, (size_t)k * 4)) == -EAGAIN)
			sched_yield();
		if (err && err != -ENOBUFS) {
			fprintf(stderr, "# %s: send %d\n", t->chan, err);
			t->bad++;
		}
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	xshm_ring_detach(p);
	return NULL;
}

static void *consumer(void *arg)
{
	struct thr *t = arg;
	struct xshm_ring *c;
	struct xshm_record rec;
	uint32_t buf[64];
	uint32_t i;
	ssize_t len;
	int j, drained = 0;

	if (xshm_ring_attach(reg, t->chan, XSHM_CONSUMER, &c))
		return NULL;
	for (;;) {
		len = xshm_ring_recv(c, buf, sizeof(buf), &rec);
		if (len == -EAGAIN) {
			if (drained)
				break;
			drained = __atomic_load_n(&t->done, __ATOMIC_ACQUIRE);
			sched_yield();
			continue;
		}
		if (len < 0) {
			fprintf(stderr, "# %s: recv %zd\n", t->chan, len);
			t->bad++;
			break;
		}
		t->got++;
		t->lost += rec.lost;
		i = rec.seq - t->base;
		if ((size_t)len != (1 + i % (uint32_t)t->maxw) * 4) {
			if (!t->bad)
				fprintf(stderr, "# %s: seq %u len %zd\n",
					t->chan, i, len);
			t->bad++;
		}
		for (j = 0; j < len / 4; j++)
			if (buf[j] != i * 7 + (uint32_t)j)
				t->bad++;
	}
	xshm_ring_detach(c);
	return NULL;
}

static void test_threads(const char *chan, int maxw, int policy)
{
	struct thr t = { .chan = chan, .n = 200000, .maxw = maxw };
	struct xshm_ring_stats st, st0;
	struct xshm_ring *p;
	pthread_t a, b;

	EQ(xshm_ring_attach(reg, chan, XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_stats(p, &st0), 0);
	t.base = xshm_ring_next_seq(p);
	xshm_ring_detach(p);
	pthread_create(&b, NULL, consumer, &t);
	pthread_create(&a, NULL, producer, &t);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("# %s: bad %d\n", chan, t.bad);
	EQ(t.bad, 0);
	EQ(xshm_ring_attach(reg, chan, XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_stats(p, &st), 0);
	xshm_ring_detach(p);
	if (policy == XSHM_FULL_DROP) {
		EQ(t.got + st.dropped - st0.dropped, t.n);
		CHECK(t.lost <= st.dropped - st0.dropped);
	} else {
		EQ(t.got + t.lost, t.n);
	}
	if (policy == XSHM_FULL_FAIL)
		EQ(t.lost, 0);
	printf("# %s: %llu delivered, %llu lost\n", chan,
	       (unsigned long long)t.got, (unsigned long long)t.lost);
}

/* fixed OVERWRITE across threads: slots intact, in order, losses exact */
static int fover_done;

static void *fover_producer(void *arg)
{
	struct xshm_ring *p;
	uint64_t slot[3 * 8], i;
	int k;

	(void)arg;
	if (xshm_ring_attach(reg, "fover2", XSHM_PRODUCER, &p))
		return NULL;
	for (i = 0; i < 300000; i += 8) {
		for (k = 0; k < 8; k++) {
			slot[3 * k] = slot[3 * k + 1] = i + (uint64_t)k;
			slot[3 * k + 2] = ~(i + (uint64_t)k);
		}
		if (i % 16)
			xshm_ring_push_batch(p, slot, 8);
		else
			for (k = 0; k < 8; k++)
				xshm_ring_push(p, &slot[3 * k]);
	}
	__atomic_store_n(&fover_done, 1, __ATOMIC_RELEASE);
	xshm_ring_detach(p);
	return NULL;
}

static void test_fixed_overwrite_threads(void)
{
	struct xshm_ring_stats st;
	struct xshm_ring *c;
	uint64_t slot[3 * 4], next = 0, got = 0, lost = 0, bad = 0;
	int n, k, drained = 0;
	pthread_t t;

	EQ(xshm_ring_attach(reg, "fover2", XSHM_CONSUMER, &c), 0);
	pthread_create(&t, NULL, fover_producer, NULL);
	for (;;) {
		n = xshm_ring_pop_batch(c, slot, 4);
		if (n < 0) {
			bad++;
			break;
		}
		if (n == 0) {
			if (drained)
				break;
			drained = __atomic_load_n(&fover_done, __ATOMIC_ACQUIRE);
			continue;
		}
		for (k = 0; k < n; k++) {
			if (slot[3 * k] != slot[3 * k + 1] ||
			    slot[3 * k + 2] != ~slot[3 * k] || slot[3 * k] < next)
				bad++;
			lost += slot[3 * k] - next;
			next = slot[3 * k] + 1;
			got++;
		}
	}
	pthread_join(t, NULL);
	EQ(bad, 0);
	EQ(got + lost, 300000);
	EQ(xshm_ring_stats(c, &st), 0);
	EQ(st.overwritten, lost);
	printf("# fover2: %llu delivered, %llu lost\n",
	       (unsigned long long)got, (unsigned long long)lost);
	xshm_ring_detach(c);
}

/* the freestanding peer API on a layout the library made */
static void test_peer_api(void)
{
	static unsigned char staging[256];
	unsigned char *base = xshm_region_base(reg);
	size_t size = xshm_region_size(reg);
	struct xshm_peer_layout lay;
	struct xshm_peer_ring pr;
	struct xshm_peer_value pv;
	struct xshm_wire_chan chan;
	struct xshm_seqlock *r;
	struct xshm_ring *c;
	struct xshm_record rec;
	char buf[64], val[24];
	uint32_t save;
	void *b;

	EQ(xshm_peer_layout_attach(&lay, base, size), 0);
	EQ(xshm_peer_layout_find(&lay, "nope", &chan), -ENOENT);
	EQ(xshm_peer_layout_find(&lay, "lover", &chan), 0);
	EQ(chan.type, XSHM_WIRE_RING_VAR);
	EQ(xshm_peer_ring_attach(&lay, "lover", &pr), 0);
	EQ(xshm_peer_ring_reserve(&pr, 4, &b), -EINVAL);	/* no staging */
	xshm_peer_ring_set_staging(&pr, staging, sizeof(staging));
	EQ(xshm_ring_attach(reg, "lover", XSHM_CONSUMER, &c), 0);
	while (xshm_ring_recv(c, buf, sizeof(buf), &rec) > 0)
		;
	EQ(xshm_peer_ring_send(&pr, "from-rtos", 9), 0);
	EQ(xshm_ring_recv(c, buf, sizeof(buf), &rec), 9);
	CHECK(!memcmp(buf, "from-rtos", 9));
	EQ(rec.seq, xshm_ring_next_seq(c) - 1);
	xshm_ring_detach(c);

	EQ(xshm_peer_value_attach(&lay, "latch", 0, &pv), 0);
	memset(val, 7, sizeof(val));
	EQ(xshm_peer_value_write(&pv, val, sizeof(val), 0), 0);
	EQ(xshm_seqlock_attach(reg, "latch", XSHM_CONSUMER, 0, &r), 0);
	memset(val, 0, sizeof(val));
	EQ(xshm_seqlock_read(r, val, sizeof(val), NULL, 0), 0);
	EQ(val[23], 7);
	xshm_seqlock_detach(r);
	EQ(xshm_peer_value_attach(&lay, "lww", 3, &pv), -EINVAL);

	/* not ready, then a bad checksum */
	save = atomic_load(xshm_wire_u32(base, 4));
	atomic_store(xshm_wire_u32(base, 4), XSHM_WIRE_STATE_INIT);
	EQ(xshm_peer_layout_attach(&lay, base, size), -ENODATA);
	EQ(xshm_peer_layout_stale(&lay), -ESTALE);
	atomic_store(xshm_wire_u32(base, 4), save);
	base[XSHM_WIRE_HDR_SIZE + 40] ^= 1;	/* a channel's elem_size */
	EQ(xshm_peer_layout_attach(&lay, base, size), -EBADMSG);
	EQ(xshm_layout_check(reg), -EBADMSG);
	base[XSHM_WIRE_HDR_SIZE + 40] ^= 1;
	EQ(xshm_peer_layout_attach(&lay, base, 100), -EBADMSG);	/* too small */
	EQ(xshm_peer_layout_attach(&lay, base, size), 0);
}

static void test_corrupt(void)
{
	struct xshm_ring *p, *c;
	struct xshm_record rec;
	struct xshm_ring_stats st;
	unsigned char *base = xshm_region_base(reg);
	struct xshm_chan_info info[XSHM_CHAN_MAX];
	uint64_t *headp, *data, off;
	int i, n;

	n = xshm_layout_list(reg, info, XSHM_CHAN_MAX);
	EQ(n, NCHANS);
	for (i = 0; i < n && strcmp(info[i].name, "big"); i++)
		;
	headp = (uint64_t *)(base + info[i].offset);
	EQ(xshm_ring_attach(reg, "big", XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_attach(reg, "big", XSHM_CONSUMER, &c), 0);
	off = *headp;
	EQ(xshm_ring_send(p, "12345678", 8), 0);
	data = (uint64_t *)(base + info[i].offset + 256 + (off & 4095));
	data[0] = 0x7fff0000;	/* hostile length */
	EQ(xshm_ring_peek(c, &rec), -EBADMSG);
	data[0] = 8 | (data[0] & ~0xffffffffull);
	*headp = off + (1u << 20);	/* hostile head: XSA-86 */
	EQ(xshm_ring_peek(c, &rec), 0);	/* cached head still good */
	EQ(xshm_ring_peek(c, &rec), -EBADMSG);
	EQ(xshm_ring_stats(c, &st), 0);
	CHECK(st.corrupt >= 2);
	*headp = off + 16;
	EQ(xshm_ring_release(c), 0);
	xshm_ring_detach(p);
	xshm_ring_detach(c);
}

static void test_restart(void)
{
	struct xshm_ring *p, *c;
	char buf[64];
	struct xshm_record rec;
	void *b;

	EQ(xshm_ring_attach(reg, "big", XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_send(p, "one", 3), 0);
	EQ(xshm_ring_reserve(p, 5, &b), 0);	/* "killed" before commit */
	xshm_ring_detach(p);
	EQ(xshm_ring_attach(reg, "big", XSHM_PRODUCER, &p), 0);
	EQ(xshm_ring_send(p, "two", 3), 0);
	EQ(xshm_ring_attach(reg, "big", XSHM_CONSUMER, &c), 0);
	EQ(xshm_ring_peek(c, &rec), 0);
	EQ(rec.len, 3);
	xshm_ring_detach(c);	/* crashed before release: seen again */
	EQ(xshm_ring_attach(reg, "big", XSHM_CONSUMER, &c), 0);
	EQ(xshm_ring_recv(c, buf, sizeof(buf), &rec), 3);
	CHECK(!memcmp(buf, "one", 3));
	EQ(xshm_ring_recv(c, buf, sizeof(buf), &rec), 3);
	CHECK(!memcmp(buf, "two", 3));
	EQ(rec.lost, 0);	/* the uncommitted record left no trace */
	EQ(xshm_ring_recv(c, buf, sizeof(buf), &rec), -EAGAIN);
	xshm_ring_detach(c);
	xshm_ring_detach(p);
}

static void test_values(void)
{
	struct xshm_seqlock *w, *r, *w1, *w2;
	struct xshm_value_info vi;
	char v[40], out[40];
	uint64_t *seqp;
	struct xshm_chan_info info[XSHM_CHAN_MAX];
	unsigned char *base = xshm_region_base(reg);
	int i, n;

	EQ(xshm_seqlock_attach(reg, "cfg", XSHM_PRODUCER, 0, &w), 0);
	EQ(xshm_seqlock_attach(reg, "cfg", XSHM_CONSUMER, 0, &r), 0);
	EQ(xshm_seqlock_read(r, out, sizeof(out), &vi, 10), -ENODATA);
	memset(v, 'q', sizeof(v));
	EQ(xshm_seqlock_write(w, v, sizeof(v), 0), 0);
	EQ(xshm_seqlock_read(r, out, sizeof(out), &vi, 10), 0);
	CHECK(!memcmp(v, out, sizeof(v)));
	EQ(vi.stamp, 1);
	/* a writer killed mid-update: bounded wait then -EBUSY */
	n = xshm_layout_list(reg, info, XSHM_CHAN_MAX);
	for (i = 0; i < n && strcmp(info[i].name, "cfg"); i++)
		;
	seqp = (uint64_t *)(base + info[i].offset);
	*seqp += 1;
	EQ(xshm_seqlock_read(r, out, sizeof(out), &vi, 20), -EBUSY);
	xshm_seqlock_detach(w);
	EQ(xshm_seqlock_attach(reg, "cfg", XSHM_PRODUCER, 0, &w), 0);
	EQ(xshm_seqlock_write(w, v, sizeof(v), 0), 0);
	EQ(xshm_seqlock_read(r, out, sizeof(out), &vi, 20), 0);
	xshm_seqlock_detach(w);
	xshm_seqlock_detach(r);

	/* latch: the odd state still reads the last complete copy */
	EQ(xshm_seqlock_attach(reg, "latch", XSHM_PRODUCER, 0, &w), 0);
	EQ(xshm_seqlock_attach(reg, "latch", XSHM_CONSUMER, 0, &r), 0);
	memset(v, 1, 24);
	EQ(xshm_seqlock_write(w, v, 24, 0), 0);
	for (i = 0; i < n && strcmp(info[i].name, "latch"); i++)
		;
	seqp = (uint64_t *)(base + info[i].offset);
	*seqp += 1;	/* writer "died" writing copy 0 */
	memset(base + info[i].offset + 128, 0xee, 24);
	EQ(xshm_seqlock_read(r, out, 24, &vi, 0), 0);
	EQ(out[0], 1);
	EQ(out[23], 1);
	xshm_seqlock_detach(w);
	EQ(xshm_seqlock_attach(reg, "latch", XSHM_PRODUCER, 0, &w), 0);
	memset(v, 2, 24);
	EQ(xshm_seqlock_write(w, v, 24, 0), 0);
	EQ(xshm_seqlock_read(r, out, 24, &vi, 0), 0);
	EQ(out[5], 2);
	EQ(vi.stamp, 2);
	xshm_seqlock_detach(w);
	xshm_seqlock_detach(r);

	/* LWW */
	EQ(xshm_seqlock_attach(reg, "lww", XSHM_PRODUCER, 0, &w1), 0);
	EQ(xshm_seqlock_attach(reg, "lww", XSHM_PRODUCER, 2, &w2), 0);
	EQ(xshm_seqlock_attach(reg, "lww", XSHM_PRODUCER, 3, &w), -EINVAL);
	EQ(xshm_seqlock_attach(reg, "lww", XSHM_CONSUMER, 0, &r), 0);
	EQ(xshm_seqlock_read(r, out, 16, &vi, 0), -ENODATA);
	memset(v, 'a', 16);
	EQ(xshm_seqlock_write(w1, v, 16, 0), 0);
	memset(v, 'b', 16);
	EQ(xshm_seqlock_write(w2, v, 16, 0), 0);
	EQ(xshm_seqlock_read(r, out, 16, &vi, 0), 0);
	EQ(out[0], 'b');
	EQ(vi.writer, 2);
	EQ(vi.stamp, 2);
	memset(v, 'c', 16);
	EQ(xshm_seqlock_write(w1, v, 16, 100), 0);
	memset(v, 'd', 16);
	EQ(xshm_seqlock_write(w2, v, 16, 50), 0);
	EQ(xshm_seqlock_read(r, out, 16, &vi, 0), 0);
	EQ(out[0], 'c');
	EQ(vi.stamp, 100);
	xshm_seqlock_detach(w1);
	xshm_seqlock_detach(w2);
	xshm_seqlock_detach(r);
}

/* a reader must never see a torn value while a writer hammers it */
static volatile int stop_writer;

static void *value_writer(void *arg)
{
	struct xshm_seqlock *w;
	uint64_t v[5], i;

	if (xshm_seqlock_attach(reg, arg, XSHM_PRODUCER, 0, &w))
		return NULL;
	for (i = 0; !__atomic_load_n(&stop_writer, __ATOMIC_RELAXED); i++) {
		for (int k = 0; k < 5; k++)
			v[k] = i;
		xshm_seqlock_write(w, v, sizeof(v) < 40 ? sizeof(v) : 40, 0);
	}
	xshm_seqlock_detach(w);
	return NULL;
}

static void test_value_threads(void)
{
	struct xshm_seqlock *r;
	struct xshm_value_info vi;
	uint64_t out[5];
	pthread_t t;
	int i, torn = 0, ok = 0;

	__atomic_store_n(&stop_writer, 0, __ATOMIC_RELAXED);
	pthread_create(&t, NULL, value_writer, "cfg");
	EQ(xshm_seqlock_attach(reg, "cfg", XSHM_CONSUMER, 0, &r), 0);
	for (i = 0; i < 100000; i++) {
		if (xshm_seqlock_read(r, out, sizeof(out), &vi, 100))
			continue;
		ok++;
		for (int k = 1; k < 5; k++)
			if (out[k] != out[0])
				torn++;
	}
	__atomic_store_n(&stop_writer, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	xshm_seqlock_detach(r);
	EQ(torn, 0);
	CHECK(ok > 0);
}

int main(void)
{
	char path[] = "/tmp/xshm-smoke-XXXXXX";
	uint64_t gen;
	int fd = mkstemp(path);

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(fd >= 0);
	close(fd);
	EQ(xshm_wire_crc32c(0, "123456789", 9), 0xe3069283u);
	EQ(xshm_region_open_path(path, XSHM_OPEN_CREATE, 1 << 20, &reg), 0);
	EQ(xshm_layout_check(reg), -ENODATA);
	EQ(xshm_layout_init(reg, chans, NCHANS, 0), 0);
	EQ(xshm_layout_check(reg), 0);
	gen = xshm_layout_generation(reg);
	EQ(xshm_layout_init(reg, chans, NCHANS, 0), 1);
	EQ(xshm_layout_generation(reg), gen);
	EQ(xshm_layout_init(reg, chans, 2, 0), -EEXIST);

	test_fixed();
	test_var();
	test_threads("big", 50, XSHM_FULL_FAIL);
	test_threads("ldrop", 16, XSHM_FULL_DROP);
	test_threads("bigover", 50, XSHM_FULL_OVERWRITE);
	test_fixed_overwrite_threads();
	test_corrupt();
	test_restart();
	test_values();
	test_value_threads();
	test_peer_api();

	{
		struct xshm_ring *c;
		struct xshm_record rec;

		EQ(xshm_ring_attach(reg, "log", XSHM_CONSUMER, &c), 0);
		EQ(xshm_layout_init(reg, chans, NCHANS, XSHM_INIT_FORCE), 0);
		CHECK(xshm_layout_generation(reg) != gen);
		EQ(xshm_ring_peek(c, &rec), -ESTALE);
		xshm_ring_detach(c);
	}
	xshm_region_close(reg);
	unlink(path);
	printf("%s: %d checks, %d failed\n", failures ? "FAIL" : "PASS",
	       checks, failures);
	return failures ? 1 : 0;
}
