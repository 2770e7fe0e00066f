// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Randomized re-initialisation: a producer process (var ring, fixed ring,
 * SEQLOCK writer) and a consumer process (both rings, reader) run while a
 * third process re-initialises the layout (XSHM_INIT_FORCE) at random
 * moments.  Every record and value carries the generation its sender
 * attached to and its number in that generation.  The consumer checks that
 * it never gets a record of another layout (a stale side writing into the
 * new one), never a gap or a repeat within a layout, never a corrupt byte
 * and never -EBADMSG.
 *
 *   reinit_stress -n REINITS [-s SEED]
 */
#include <getopt.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "stress_common.h"

#define VAL 24u

static const struct xshm_chan_spec chans[] = {
	{ "var", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 64, 1024 },
	{ "fixed", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 24, 16 },
	{ "val", XSHM_CHAN_SEQLOCK, 0, VAL, 0 },
};
#define NCH 3

/* a record: generation, number in that generation, then a checked body */
struct rec {
	uint64_t gen, k, sum;
};

static void make(struct rec *r, uint64_t gen, uint64_t k)
{
	r->gen = gen;
	r->k = k;
	r->sum = stress_mix(gen ^ stress_mix(k));
}

static int good(const struct rec *r)
{
	return r->sum == stress_mix(r->gen ^ stress_mix(r->k));
}

struct shared {
	volatile int stop;
	uint64_t records, values, generations, stale;
};

struct side {
	struct xshm_region *r;
	struct xshm_ring *var, *fixed;
	struct xshm_seqlock *val;
	uint64_t gen;
};

static void detach(struct side *s)
{
	xshm_ring_detach(s->var);
	xshm_ring_detach(s->fixed);
	xshm_seqlock_detach(s->val);
	s->var = s->fixed = NULL;
	s->val = NULL;
}

/* attach all three within one generation; 0, or -1 to try again */
static int attach(struct side *s, enum xshm_role role)
{
	uint64_t g = xshm_layout_generation(s->r);
	int err;

	if (!g)
		return -1;
	err = xshm_ring_attach(s->r, "var", role, &s->var);
	if (!err)
		err = xshm_ring_attach(s->r, "fixed", role, &s->fixed);
	if (!err)
		err = xshm_seqlock_attach(s->r, "val", role, 0, &s->val);
	if (err == -EBADMSG)
		stress_die("attach: corrupt layout");
	if (err || xshm_layout_generation(s->r) != g) {
		detach(s);
		return -1;
	}
	s->gen = g;
	return 0;
}

static int stale_or_busy(int err)
{
	if (err == -EBADMSG)
		stress_die("producer: -EBADMSG");
	return err == -ESTALE || err == -ENODATA;
}

static void produce(const char *path, struct shared *sh)
{
	struct side s = { 0 };
	uint64_t kv = 0, kf = 0, kval = 0;
	struct rec rc;
	int err;

	STRESS_CHECK(xshm_region_open_path(path, 0, 0, &s.r));
	while (!sh->stop) {
		if (!s.var) {
			if (attach(&s, XSHM_PRODUCER)) {
				stress_sleep_us(50);
				continue;
			}
			kv = kf = kval = 0;
		}
		make(&rc, s.gen, kv);
		err = xshm_ring_send(s.var, &rc, sizeof(rc));
		if (!err)
			kv++;
		else if (stale_or_busy(err))
			goto stale;
		make(&rc, s.gen, kf);
		err = xshm_ring_push_sized(s.fixed, &rc, sizeof(rc));
		if (!err)
			kf++;
		else if (stale_or_busy(err))
			goto stale;
		make(&rc, s.gen, kval);
		err = xshm_seqlock_write(s.val, &rc, VAL, 0);
		if (!err)
			kval++;
		else if (stale_or_busy(err))
			goto stale;
		continue;
stale:
		detach(&s);
	}
	detach(&s);
	xshm_region_close(s.r);
}

/* a record of the consumer's ring: its layout's, next in order, intact */
static void check(const char *what, const struct rec *rc, uint64_t gen,
		  uint64_t *k)
{
	if (!good(rc))
		stress_die("%s: corrupt record", what);
	if (rc->gen != gen)
		stress_die("%s: record of generation %llx in layout %llx",
			   what, (unsigned long long)rc->gen,
			   (unsigned long long)gen);
	if (rc->k != *k)
		stress_die("%s: record %llu, expected %llu", what,
			   (unsigned long long)rc->k, (unsigned long long)*k);
	(*k)++;
}

static void consume(const char *path, struct shared *sh)
{
	struct side s = { 0 };
	uint64_t kv = 0, kf = 0, records = 0, values = 0, gens = 0;
	struct rec rc;
	ssize_t n;
	int err;

	STRESS_CHECK(xshm_region_open_path(path, 0, 0, &s.r));
	while (!sh->stop) {
		if (!s.var) {
			if (attach(&s, XSHM_CONSUMER)) {
				stress_sleep_us(50);
				continue;
			}
			kv = kf = 0;
			gens++;
		}
		n = xshm_ring_recv(s.var, &rc, sizeof(rc), NULL);
		if (n == sizeof(rc)) {
			check("var", &rc, s.gen, &kv);
			records++;
		} else if (n != -EAGAIN) {
			if (n == -EBADMSG || n >= 0)
				stress_die("var: recv %zd", n);
			goto stale;
		}
		err = xshm_ring_pop_sized(s.fixed, &rc, sizeof(rc));
		if (!err) {
			check("fixed", &rc, s.gen, &kf);
			records++;
		} else if (err != -EAGAIN) {
			if (err == -EBADMSG)
				stress_die("fixed: -EBADMSG");
			goto stale;
		}
		err = xshm_seqlock_read(s.val, &rc, VAL, NULL, 100);
		if (!err) {
			if (!good(&rc) || rc.gen != s.gen)
				stress_die("value: of generation %llx in %llx%s",
					   (unsigned long long)rc.gen,
					   (unsigned long long)s.gen,
					   good(&rc) ? "" : ", corrupt");
			values++;
		} else if (err != -ENODATA && err != -EBUSY) {
			if (err == -EBADMSG)
				stress_die("value: -EBADMSG");
			goto stale;
		}
		continue;
stale:
		detach(&s);
	}
	detach(&s);
	xshm_region_close(s.r);
	__atomic_add_fetch(&sh->records, records, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sh->values, values, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sh->generations, gens, __ATOMIC_RELAXED);
}

int main(int argc, char **argv)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t reinits = 300, seed = (uint64_t)getpid(), i;
	char path[STRESS_PATH_MAX];
	struct xshm_region *r;
	pid_t pid[2];
	int opt, st, k, failed = 0;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		if (opt == 'n')
			reinits = stress_count(optarg);
		else if (opt == 's')
			seed = strtoull(optarg, NULL, 0);
		else
			stress_die("usage: reinit_stress -n REINITS [-s SEED]");
	}
	if (sh == MAP_FAILED)
		stress_die("mmap");
	stress_tmp_file(path, "reinit");
	STRESS_CHECK(xshm_region_open_path(path, XSHM_OPEN_CREATE, 65536, &r));
	STRESS_CHECK(xshm_layout_init(r, chans, NCH, 0));
	for (k = 0; k < 2; k++) {
		pid[k] = stress_fork();
		if (pid[k] < 0)
			stress_die("fork");
		if (pid[k] == 0) {
			if (k == 0)
				produce(path, sh);
			else
				consume(path, sh);
			exit(0);
		}
	}
	printf("# seed %llu\n", (unsigned long long)seed);
	for (i = 0; i < reinits; i++) {
		seed = stress_mix(seed);
		stress_sleep_us(seed % 3000);
		STRESS_CHECK(xshm_layout_init(r, chans, NCH, XSHM_INIT_FORCE));
	}
	stress_sleep_us(20000);
	sh->stop = 1;
	for (k = 0; k < 2; k++) {
		if (waitpid(pid[k], &st, 0) != pid[k] || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			failed = 1;
	}
	printf("# %llu forced re-initialisations while both sides ran: %llu records and %llu values checked across %llu layouts the consumer attached to\n",
	       (unsigned long long)reinits, (unsigned long long)sh->records,
	       (unsigned long long)sh->values,
	       (unsigned long long)sh->generations);
	xshm_region_close(r);
	if (failed || sh->records == 0 || sh->generations < 2)
		stress_die("a side failed, or nothing was exchanged");
	return 0;
}
