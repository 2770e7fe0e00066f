// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one-time initialiser on memory that starts as garbage, with both
 * sides booting at once: exactly one initialises (returns 0), the other
 * waits and keeps its layout (returns 1), and every record the producer
 * was told is committed reaches the consumer.  Half of the trials use
 * xshm-peer.h's initialiser on one side (an RTOS that boots first).  And
 * an initialiser killed (SIGKILL) in the middle is taken over.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"
#include "xshm-peer.h"

#define TRIALS 200u
#define RECORDS 200u

static const struct xshm_chan_spec chans[] = {
	{ "log", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 32, 4096 },
	{ "cfg", XSHM_CHAN_LATCH, 0, 16, 0 },
};

static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	return test_now_ns() / 1000000u;
}

static void nap(void *ctx)
{
	(void)ctx;
	usleep(100);
}

/* xshm-peer.h's initialiser, as a freestanding peer would call it */
static int peer_init(struct xshm_region *r, uint64_t random)
{
	struct xshm_peer_chan_spec spec[2];
	struct xshm_peer_init_env env = { now_ms, nap, NULL, random, 0 };
	struct xshm_peer_layout lay;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		spec[i].name = chans[i].name;
		spec[i].type = chans[i].type;
		spec[i].policy = chans[i].policy;
		spec[i].elem_size = chans[i].elem_size;
		spec[i].capacity = chans[i].capacity;
	}
	return xshm_peer_layout_init(&lay, xshm_region_base(r),
				     xshm_region_size(r), spec, 2, 0, &env);
}

/* one booting side: wait for the start line, init, then play its role */
static int side(const char *path, volatile int *start, int consumer,
		int use_peer, uint64_t random)
{
	struct xshm_region *r;
	struct xshm_ring *ring;
	char buf[32];
	uint32_t i;
	int ret, init;
	ssize_t n;

	if (xshm_region_open_path(path, 0, 0, &r))
		return 100;
	while (!__atomic_load_n(start, __ATOMIC_ACQUIRE))
		;
	init = use_peer ? peer_init(r, random) :
	       xshm_layout_init(r, chans, 2, 0);
	if (init != 0 && init != 1)
		return 101;
	if (xshm_ring_attach(r, "log", consumer ? XSHM_CONSUMER : XSHM_PRODUCER,
			     &ring))
		return 102;
	for (i = 0; i < RECORDS; i++) {
		if (!consumer) {
			while ((ret = xshm_ring_send(ring, &i, sizeof(i))) ==
			       -EAGAIN)
				;
			if (ret)
				return 103;
			continue;
		}
		n = xshm_ring_recv_wait(ring, buf, sizeof(buf), NULL, 10000);
		if (n != sizeof(i) || memcmp(buf, &i, sizeof(i)))
			return 104;
	}
	xshm_ring_detach(ring);
	xshm_region_close(r);
	return 10 + init;	/* 10: initialised, 11: kept */
}

static void fill_garbage(struct xshm_region *r, uint64_t seed)
{
	uint64_t *w = (uint64_t *)xshm_region_base(r);
	size_t i;

	for (i = 0; i < xshm_region_size(r) / 8; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		w[i] = seed;
	}
}

TEST(both_sides_boot_at_once_on_garbage)
{
	volatile int *start = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
	unsigned int trial, fail = 0, peer_won = 0, lib_won = 0;
	int st[2], k;
	pid_t pid[2];

	ASSERT_NE(MAP_FAILED, (void *)start);
	ASSERT_EQ(0, test_region_create(path, 64u * 1024u, &r));
	for (trial = 0; trial < TRIALS; trial++) {
		int use_peer = trial & 1;

		fill_garbage(r, 0x9e3779b97f4a7c15ull * (trial + 1));
		*start = 0;
		for (k = 0; k < 2; k++) {
			pid[k] = test_fork();
			ASSERT_LE(0, pid[k]);
			if (pid[k] == 0)
				_exit(side(path, start, k, use_peer && k == 0,
					   ((uint64_t)getpid() << 32) ^ trial));
		}
		__atomic_store_n(start, 1, __ATOMIC_RELEASE);
		for (k = 0; k < 2; k++) {
			ASSERT_EQ(pid[k], waitpid(pid[k], &st[k], 0));
			st[k] = WIFEXITED(st[k]) ? WEXITSTATUS(st[k]) : 200;
		}
		/* exactly one initialised, the other kept it */
		if (!((st[0] == 10 && st[1] == 11) ||
		      (st[0] == 11 && st[1] == 10))) {
			fail++;
			TH_LOG("trial %u: sides exited %d and %d", trial, st[0],
			       st[1]);
		}
		if (use_peer && st[0] == 10)
			peer_won++;
		else if (st[0] == 10 || st[1] == 10)
			lib_won++;
	}
	TH_LOG("%u trials, %u failures (the xshm-peer.h side initialised %u times, libxshm %u)",
	       TRIALS, fail, peer_won, lib_won);
	EXPECT_EQ(0u, fail);
	EXPECT_LT(0u, peer_won);
	xshm_region_close(r);
	unlink(path);
}

/*
 * SIGKILL while initialising a large region (the claim is in word 0):
 * the next initialiser takes the claim over once it stayed unchanged for
 * XSHM_WIRE_TAKEOVER_MS and builds a valid layout.
 */
TEST(initialiser_killed_half_way_is_taken_over)
{
	const size_t size = 64u << 20;
	static const struct xshm_chan_spec big[] = {
		{ "big", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 0, 32u << 20 },
		{ "log", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 32, 4096 },
	};
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
	unsigned int killed_mid = 0, tries;
	uint64_t w, t0;
	pid_t pid;
	int status;

	ASSERT_EQ(0, test_region_create(path, size, &r));
	for (tries = 0; tries < 40 && killed_mid < 3; tries++) {
		fill_garbage(r, 0x1234567ull + tries);
		pid = test_fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			for (;;)
				xshm_layout_init(r, big, 2, XSHM_INIT_FORCE);
		}
		test_sleep_ms(20 + tries % 7);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		w = test_get64(r, 0);
		if (w >> 32 != W_STATE_INIT)
			continue;	/* it was between two inits */
		killed_mid++;
		t0 = test_now_ns();
		ASSERT_EQ(0, xshm_layout_init(r, big, 2, 0));
		EXPECT_LE(XSHM_WIRE_TAKEOVER_MS - 5, test_ms_since(t0));
		EXPECT_EQ(0, xshm_layout_check(r));
		EXPECT_EQ(1, xshm_layout_init(r, big, 2, 0));
	}
	TH_LOG("%u kills landed mid-initialisation (of %u)", killed_mid, tries);
	EXPECT_LE(3u, killed_mid);
	xshm_region_close(r);
	unlink(path);
}

TEST_HARNESS_MAIN
