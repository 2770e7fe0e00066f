// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Quick restart check used while developing libxshm: producer and
 * consumer processes are killed with SIGKILL at random moments and
 * restarted; every record must arrive exactly once, in order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xshm.h"

#define TOTAL 300000ull

struct shared_state {
	_Atomic unsigned long long released;	/* last value released + 1 */
	_Atomic int bad;
};

static const char *path;
static struct shared_state *st;

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void run_producer(const char *chan)
{
	struct xshm_region *r;
	struct xshm_ring *p;
	unsigned long long v;
	void *buf;
	int err, k;

	if (xshm_region_open_path(path, 0, 0, &r) ||
	    xshm_ring_attach(r, chan, XSHM_PRODUCER, &p))
		_exit(2);
	/* FAIL ring without drops: seq == records committed == next value */
	v = xshm_ring_next_seq(p);
	while (v < TOTAL) {
		for (k = 0; k < 4 && v + (unsigned long long)k < TOTAL; k++) {
			err = xshm_ring_reserve(p, 8 + (v + k) % 24, &buf);
			if (err)
				break;
			memset(buf, 0, 8 + (v + k) % 24);
			*(unsigned long long *)buf = v + (unsigned long long)k;
		}
		if (k)
			xshm_ring_commit(p);
		else if (err != -EAGAIN)
			_exit(3);
		v += (unsigned long long)k;
	}
	_exit(0);
}

static void run_consumer(const char *chan)
{
	struct xshm_region *r;
	struct xshm_ring *c;
	struct xshm_record rec;
	unsigned long long v, want;
	bool first = true;
	int err;

	if (xshm_region_open_path(path, 0, 0, &r) ||
	    xshm_ring_attach(r, chan, XSHM_CONSUMER, &c))
		_exit(2);
	want = atomic_load(&st->released);
	while (want < TOTAL) {
		err = xshm_ring_peek(c, &rec);
		if (err == -EAGAIN)
			continue;
		if (err || rec.lost) {
			atomic_fetch_add(&st->bad, 1);
			_exit(4);
		}
		memcpy(&v, rec.data, 8);
		if (rec.len != 8 + v % 24) {
			atomic_fetch_add(&st->bad, 1);
			_exit(6);
		}
		/* killed between release and noting it: that one is gone */
		if (first && v == want + 1)
			want++;
		first = false;
		if (v != want) {
			fprintf(stderr, "got %llu want %llu\n", v, want);
			atomic_fetch_add(&st->bad, 1);
			_exit(5);
		}
		/* "process" then release; the state update follows release */
		xshm_ring_release(c);
		want++;
		atomic_store(&st->released, want);
	}
	_exit(0);
}

static pid_t spawn(void (*fn)(const char *), const char *chan)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* never outlive the test, even if it is killed */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(7);
		fn(chan);
	}
	return pid;
}

int main(int argc, char **argv)
{
	static const struct xshm_chan_spec spec[] = {
		{ "r", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 64, 1024 },
	};
	struct xshm_region *r;
	pid_t prod, cons, pid;
	int status, kills = 0, done = 0;
	unsigned int seed = (unsigned int)time(NULL);

	path = argc > 1 ? argv[1] : "/tmp/xshm-restart";
	alarm(600);	/* a bound on the whole run */
	st = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unlink(path);
	if (xshm_region_open_path(path, XSHM_OPEN_CREATE, 65536, &r) ||
	    xshm_layout_init(r, spec, 1, 0) != 0)
		return 1;
	xshm_region_close(r);
	prod = spawn(run_producer, "r");
	cons = spawn(run_consumer, "r");
	while (done != 2) {
		sleep_us(200 + rand_r(&seed) % 3000);
		if (rand_r(&seed) % 2 == 0 && prod > 0) {
			kill(prod, SIGKILL);
		} else if (cons > 0) {
			kill(cons, SIGKILL);
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			bool clean = WIFEXITED(status) &&
				     WEXITSTATUS(status) == 0;

			if (WIFEXITED(status) && WEXITSTATUS(status) > 0) {
				fprintf(stderr, "child exit %d\n",
					WEXITSTATUS(status));
				return 1;
			}
			if (!clean)
				kills++;
			if (pid == prod)
				prod = clean ? 0 : spawn(run_producer, "r");
			if (pid == cons)
				cons = clean ? 0 : spawn(run_consumer, "r");
			done += clean;
		}
	}
	printf("%s: %llu records exactly once across %d kills, bad %d\n",
	       atomic_load(&st->bad) ? "FAIL" : "PASS",
	       (unsigned long long)atomic_load(&st->released), kills,
	       atomic_load(&st->bad));
	unlink(path);
	return atomic_load(&st->bad) || atomic_load(&st->released) != TOTAL;
}
