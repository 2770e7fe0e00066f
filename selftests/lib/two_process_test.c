// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Two processes, one file mapping: a producer and a consumer in separate
 * processes exchange a stream through each ring type and a value, and see
 * each other's data in both directions.
 */
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (128u * 1024u)
#define COUNT 20000u

static const struct xshm_chan_spec chans[] = {
	{ "up", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, 200, 4096 },
	{ "down", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, 8, 64 },
	{ "cfg", XSHM_CHAN_SEQLOCK, 0, 64, 0 },
};

FIXTURE(pair) {
	char path[TEST_PATH_MAX];
	struct xshm_region *r;
};

FIXTURE_SETUP(pair)
{
	ASSERT_EQ(0, test_region_create(self->path, REGION_SIZE, &self->r));
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, 3, 0));
}

FIXTURE_TEARDOWN(pair)
{
	xshm_region_close(self->r);
	unlink(self->path);
}

/*
 * Child: opens the file itself (not the inherited mapping), sends COUNT
 * records on "up", and echoes each number it pops from "down" back as a
 * slot.  Exit status says what failed.
 */
static int child(const char *path)
{
	struct xshm_region *r = NULL;
	struct xshm_ring *up = NULL, *down = NULL;
	uint8_t buf[200];
	uint32_t i, len;
	uint64_t v, t0;
	int ret;

	if (xshm_region_open_path(path, 0, 0, &r) ||
	    xshm_layout_init(r, chans, 3, 0) != 1 ||
	    xshm_ring_attach(r, "up", XSHM_PRODUCER, &up) ||
	    xshm_ring_attach(r, "down", XSHM_CONSUMER, &down))
		return 10;
	for (i = 0; i < COUNT; i++) {
		len = 1 + (i * 37u) % 200u;
		test_pattern(buf, len, i);
		/* the consumer drains in bursts: retry, but not forever */
		t0 = test_now_ns();
		while ((ret = xshm_ring_send(up, buf, len)) == -EAGAIN &&
		       test_ms_since(t0) < 20000)
			sched_yield();
		if (ret)
			return 11;
	}
	for (i = 0; i < 100; i++) {
		ret = xshm_ring_pop_wait(down, &v, 20000);
		if (ret)
			return 12;
		if (v != i * 3u)
			return 13;
	}
	return 0;
}

TEST_F(pair, stream_crosses_processes_both_ways)
{
	struct xshm_ring *up = NULL, *down = NULL;
	struct xshm_record rec;
	uint8_t buf[200];
	uint32_t i;
	uint64_t v;
	ssize_t n;
	int status;
	pid_t pid;

	ASSERT_EQ(0, xshm_ring_attach(self->r, "up", XSHM_CONSUMER, &up));
	ASSERT_EQ(0, xshm_ring_attach(self->r, "down", XSHM_PRODUCER, &down));
	pid = test_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(child(self->path));
	for (i = 0; i < COUNT; i++) {
		ASSERT_EQ(0, xshm_ring_peek_wait(up, &rec, 20000));
		n = rec.len;
		ASSERT_EQ((ssize_t)(1 + (i * 37u) % 200u), n);
		ASSERT_EQ(i, rec.seq);
		ASSERT_EQ(0u, rec.lost);
		/* copy before checking: the peer could still change it */
		memcpy(buf, rec.data, (size_t)n);
		ASSERT_EQ(0, xshm_ring_release(up));
		ASSERT_TRUE(test_pattern_ok(buf, (size_t)n, i));
	}
	for (i = 0; i < 100; i++) {
		v = i * 3u;
		while (xshm_ring_push(down, &v) == -EAGAIN)
			test_sleep_ms(1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	xshm_ring_detach(up);
	xshm_ring_detach(down);
}

/* Plain bytes written by one process are read by the other, via the file. */
TEST_F(pair, raw_bytes_and_values_are_shared)
{
	struct xshm_seqlock *rd = NULL;
	uint8_t val[64];
	volatile uint8_t *base = xshm_region_base(self->r);
	struct xshm_chan_info info[3];
	uint64_t spare = 0;
	unsigned int i;
	int status;
	pid_t pid;

	/* a byte past every channel, that no library call touches */
	ASSERT_EQ(3, xshm_layout_list(self->r, info, 3));
	for (i = 0; i < 3; i++)
		if (info[i].offset + info[i].size > spare)
			spare = info[i].offset + info[i].size;
	ASSERT_GT((uint64_t)REGION_SIZE, spare);

	pid = test_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct xshm_region *r = NULL;
		struct xshm_seqlock *w = NULL;
		uint8_t v[64];

		if (xshm_region_open_path(self->path, 0, 0, &r) ||
		    xshm_seqlock_attach(r, "cfg", XSHM_PRODUCER, 0, &w))
			_exit(1);
		test_pattern(v, sizeof(v), 5);
		if (xshm_seqlock_write(w, v, sizeof(v), 0))
			_exit(2);
		((volatile uint8_t *)xshm_region_base(r))[spare] = 0x6b;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	EXPECT_EQ(0x6b, base[spare]);
	ASSERT_EQ(0, xshm_seqlock_attach(self->r, "cfg", XSHM_CONSUMER, 0, &rd));
	ASSERT_EQ(0, xshm_seqlock_read(rd, val, sizeof(val), NULL, 1000));
	EXPECT_TRUE(test_pattern_ok(val, sizeof(val), 5));
	xshm_seqlock_detach(rd);
}

TEST_HARNESS_MAIN
