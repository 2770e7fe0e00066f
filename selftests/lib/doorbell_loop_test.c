// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Doorbells from an application's point of view: each channel's fd in the
 * application's own epoll loop, and the polling fallback that says so once.
 *
 * epoll_loop: two real processes on a file region.  The child sends
 * numbered items, each either a record on ring "ping" or a new value of
 * seqlock "cfg", and after each one sleeps until the parent acknowledges
 * it through the value channel "ack" (xshm_seqlock_wait on its doorbell).
 * The parent has no wait of its own: one epoll set holds the fds of
 * "ping" and "cfg", armed with xshm_ring_arm()/xshm_seqlock_arm() before
 * each epoll_wait().  A lost wake-up shows as an epoll_wait() that times
 * out.  Values therefore ring in both directions (cfg child to parent,
 * ack parent to child), rings from the child to the parent.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (64u * 1024u)
#define WAIT_MS 10000

static const struct xshm_chan_spec chans[] = {
	{ "ping", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, 4 },
	{ "cfg", XSHM_CHAN_SEQLOCK, 0, 8, 0 },
	{ "ack", XSHM_CHAN_LATCH, 0, 8, 0 },
};

static unsigned long items(void)
{
	const char *s = getenv("XSHM_DB_TRIALS");
	unsigned long n = s ? strtoul(s, NULL, 0) : 0;

	return n ? n : 5000;
}

FIXTURE(loop) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
};

FIXTURE_SETUP(loop)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, 3, 0));
}

FIXTURE_TEARDOWN(loop)
{
	xshm_region_close(self->r);
	unlink(self->path);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* the child: item i on ping (odd) or cfg (even), then wait for ack == i */
static int child(const char *path, struct xshm_doorbell *ping_db,
		 struct xshm_doorbell *cfg_db, struct xshm_doorbell *ack_db,
		 unsigned long n)
{
	struct xshm_region *r;
	struct xshm_ring *ping;
	struct xshm_seqlock *cfg, *ack;
	uint64_t seed = 0x9e3779b97f4a7c15u ^ (uint64_t)getpid(), v, a, seq = 0;
	unsigned long i;
	int err;

	if (xshm_region_open_path(path, 0, 0, &r) ||
	    xshm_ring_attach(r, "ping", XSHM_PRODUCER, &ping) ||
	    xshm_seqlock_attach(r, "cfg", XSHM_PRODUCER, 0, &cfg) ||
	    xshm_seqlock_attach(r, "ack", XSHM_CONSUMER, 0, &ack) ||
	    xshm_ring_doorbell(ping, ping_db) ||
	    xshm_seqlock_doorbell(cfg, cfg_db) ||
	    xshm_seqlock_doorbell(ack, ack_db))
		return 2;
	for (i = 1; i <= n; i++) {
		if (rnd(&seed) % 4 == 0)	/* let the parent fall asleep */
			usleep((useconds_t)(rnd(&seed) % 200));
		v = i;
		err = i & 1 ? xshm_ring_push(ping, &v) :
			      xshm_seqlock_write(cfg, &v, sizeof(v), 0);
		if (err)
			return 3;
		do {	/* asleep until the parent acknowledges */
			err = xshm_seqlock_wait(ack, &seq, WAIT_MS);
			if (!err)
				err = xshm_seqlock_read(ack, &a, sizeof(a),
							NULL, WAIT_MS);
		} while (!err && a != i);
		if (err)
			return 4;
	}
	xshm_ring_detach(ping);
	xshm_seqlock_detach(cfg);
	xshm_seqlock_detach(ack);
	xshm_region_close(r);
	return 0;
}

TEST_F_TIMEOUT(loop, epoll_loop_sleeps_on_ring_and_value_fds, 300)
{
	struct xshm_doorbell *ping_p, *ping_c, *cfg_w, *cfg_r, *ack_w, *ack_r;
	struct xshm_ring *ping;
	struct xshm_seqlock *cfg, *ack;
	struct xshm_doorbell_stats ps, cs, as;
	struct epoll_event ev[2];
	unsigned long n = items(), got = 0, sleeps = 0, timeouts = 0;
	uint64_t cfg_seq = 0, v, last_cfg = 0;
	int ep, st, ret, armed_ring, armed_cfg;
	pid_t pid;

	ASSERT_EQ(0, xshm_doorbell_pair(&ping_p, &ping_c));
	ASSERT_EQ(0, xshm_doorbell_pair(&cfg_w, &cfg_r));
	ASSERT_EQ(0, xshm_doorbell_pair(&ack_w, &ack_r));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(child(self->path, ping_p, cfg_w, ack_r, n));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "ping", XSHM_CONSUMER, &ping));
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "cfg", XSHM_CONSUMER, 0,
					 &cfg));
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "ack", XSHM_PRODUCER, 0,
					 &ack));
	ASSERT_EQ(0, xshm_ring_doorbell(ping, ping_c));
	ASSERT_EQ(0, xshm_seqlock_doorbell(cfg, cfg_r));
	ASSERT_EQ(0, xshm_seqlock_doorbell(ack, ack_w));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev[0] = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 0 };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, xshm_ring_fd(ping), &ev[0]));
	ev[0] = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 1 };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, xshm_seqlock_fd(cfg),
			       &ev[0]));
	while (got < n && !timeouts) {
		/* arm both (1: ready already), sleep only if both armed */
		armed_ring = xshm_ring_arm(ping);
		armed_cfg = armed_ring == 0 ? xshm_seqlock_arm(cfg, cfg_seq) : 1;
		ASSERT_TRUE(armed_ring >= 0 || armed_ring == -ENODEV);
		ASSERT_TRUE(armed_cfg >= 0 || armed_cfg == -ENODEV);
		if (armed_ring == 0 && armed_cfg == 0) {
			ret = epoll_wait(ep, ev, 2, WAIT_MS);
			ASSERT_LE(0, ret);
			if (ret == 0)
				timeouts++;
			else
				sleeps++;
		} else if (armed_ring < 0 || armed_cfg < 0) {
			/* the child has not rung its doorbells yet: poll */
			ASSERT_EQ(0, got);
			usleep(100);
		}
		if (armed_ring == 0)
			ASSERT_EQ(0, xshm_ring_disarm(ping));
		if (armed_cfg == 0)
			ASSERT_EQ(0, xshm_seqlock_disarm(cfg));
		/* drain: every odd item on the ring, the even ones as values */
		while ((ret = xshm_ring_pop(ping, &v)) == 0) {
			ASSERT_EQ(got + 1, v);
			got = v;
			ASSERT_EQ(0, xshm_seqlock_write(ack, &v, sizeof(v), 0));
		}
		ASSERT_EQ(-EAGAIN, ret);
		if (xshm_seqlock_wait(cfg, &cfg_seq, 0) == 0 &&
		    xshm_seqlock_read(cfg, &v, sizeof(v), NULL, WAIT_MS) == 0 &&
		    v != last_cfg) {
			ASSERT_EQ(got + 1, v);
			got = last_cfg = v;
			ASSERT_EQ(0, xshm_seqlock_write(ack, &v, sizeof(v), 0));
		}
	}
	if (timeouts)
		kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, timeouts);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(n, got);
	ASSERT_EQ(0, xshm_ring_doorbell_stats(ping, &ps));
	ASSERT_EQ(0, xshm_seqlock_doorbell_stats(cfg, &cs));
	ASSERT_EQ(0, xshm_seqlock_doorbell_stats(ack, &as));
	TH_LOG("%lu items: epoll_wait slept %lu times; rung by ping %llu, "
	       "cfg %llu; the child slept on ack %llu times, rung %llu",
	       n, sleeps, (unsigned long long)ps.prod_notified,
	       (unsigned long long)cs.prod_notified,
	       (unsigned long long)as.cons_sleeps,
	       (unsigned long long)as.prod_notified);
	/* the loop slept and both kinds of channel woke it */
	ASSERT_GT(sleeps, 0);
	ASSERT_GT(ps.prod_notified, 0);
	ASSERT_GT(cs.prod_notified, 0);
	ASSERT_GT(as.cons_sleeps, 0);
	ASSERT_GT(as.prod_notified, 0);
	ASSERT_EQ(1, cs.doorbell);
	close(ep);
	xshm_ring_detach(ping);
	xshm_seqlock_detach(cfg);
	xshm_seqlock_detach(ack);
	xshm_doorbell_close(ping_p);
	xshm_doorbell_close(ping_c);
	xshm_doorbell_close(cfg_w);
	xshm_doorbell_close(cfg_r);
	xshm_doorbell_close(ack_w);
	xshm_doorbell_close(ack_r);
}

/* ---- the fallback says so once --------------------------------------- */

struct late_wait {
	struct xshm_ring *ring;
	struct xshm_seqlock *sl;
	int err[2];
};

/* two waits of 1.2 s each on a channel whose other side has no doorbell */
static void *wait_twice(void *arg)
{
	struct late_wait *w = arg;
	uint64_t v, seq = 0;
	int i;

	for (i = 0; i < 2; i++)
		w->err[i] = w->ring ? xshm_ring_pop_wait(w->ring, &v, 1200) :
				      xshm_seqlock_wait(w->sl, &seq, 1200);
	return NULL;
}

/* in a child whose stderr is a pipe: every fallback, each twice */
static int fallbacks(struct xshm_region *r, const char *conf)
{
	struct xshm_doorbell *a, *b, *c, *d;
	struct xshm_ring *ping;
	struct xshm_seqlock *cfg, *rcfg;
	struct late_wait wr = { 0 }, wv = { 0 };
	pthread_t t1, t2;

	setenv("XSHM_DOORBELLS", conf, 1);	/* no such file */
	if (xshm_ring_attach(r, "ping", XSHM_CONSUMER, &ping) ||
	    xshm_seqlock_attach(r, "cfg", XSHM_PRODUCER, 0, &cfg) ||
	    xshm_seqlock_attach(r, "cfg", XSHM_CONSUMER, 0, &rcfg))
		return 10;
	/* nothing configured: -ENOENT, said once per handle */
	if (xshm_ring_doorbell(ping, NULL) != -ENOENT ||
	    xshm_ring_doorbell(ping, NULL) != -ENOENT ||
	    xshm_seqlock_doorbell(cfg, NULL) != -ENOENT ||
	    xshm_seqlock_doorbell(cfg, NULL) != -ENOENT)
		return 11;
	/* a doorbell here, none at the other side: said after 1 s, once */
	if (xshm_doorbell_pair(&a, &b) || xshm_doorbell_pair(&c, &d) ||
	    xshm_ring_doorbell(ping, a) || xshm_seqlock_doorbell(rcfg, c))
		return 12;
	xshm_seqlock_detach(cfg);	/* the writer has no doorbell now */
	if (xshm_ring_arm(ping) != -ENODEV ||
	    xshm_seqlock_arm(rcfg, 0) != -ENODEV)
		return 13;
	wr.ring = ping;
	wv.sl = rcfg;
	pthread_create(&t1, NULL, wait_twice, &wr);
	pthread_create(&t2, NULL, wait_twice, &wv);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	if (wr.err[0] != -ETIMEDOUT || wr.err[1] != -ETIMEDOUT ||
	    wv.err[0] != -ETIMEDOUT || wv.err[1] != -ETIMEDOUT)
		return 14;
	xshm_ring_detach(ping);
	xshm_seqlock_detach(rcfg);
	return 0;
}

static int count(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

TEST_F_TIMEOUT(loop, polling_fallback_says_so_once_per_channel, 60)
{
	char conf[TEST_PATH_MAX + 16], text[4096];
	size_t len = 0;
	ssize_t k;
	int pfd[2], st;
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s.none", self->path);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		dup2(pfd[1], 2);
		close(pfd[0]);
		_exit(fallbacks(self->r, conf));
	}
	close(pfd[1]);
	while (len < sizeof(text) - 1 &&
	       (k = read(pfd[0], text + len, sizeof(text) - 1 - len)) > 0)
		len += (size_t)k;
	text[len] = '\0';
	close(pfd[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	TH_LOG("stderr:\n%s", text);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(1, count(text, "libxshm: no doorbell for channel ping"));
	ASSERT_EQ(1, count(text, "libxshm: no doorbell for channel cfg"));
	ASSERT_EQ(1, count(text, "libxshm: peer has no doorbell for channel "
			   "ping"));
	ASSERT_EQ(1, count(text, "libxshm: writer has no doorbell for channel "
			   "cfg"));
	ASSERT_EQ(4, count(text, "waits poll\n"));
}

TEST_HARNESS_MAIN
