// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The EXAMPLES program of xshm(3), extracted and built by run.sh (its path
 * in XSHM_MAN_EXAMPLE), prints every record exactly once, in order, with
 * the losses counted, and carries on after the layout is re-initialised.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

/* the example's channel, as its page declares it */
static const struct xshm_chan_spec chans[] = {
	{ "log", XSHM_CHAN_RING_VAR, XSHM_FULL_DROP, 256, 65536 },
};

/* wait until the file holds want (exactly), up to 10 s */
static int output_is(const char *path, const char *want)
{
	char got[4096];
	uint64_t t0 = test_now_ns();
	ssize_t n = 0;
	int fd;

	while (test_ms_since(t0) < 10000) {
		fd = open(path, O_RDONLY);
		n = fd < 0 ? 0 : read(fd, got, sizeof(got) - 1);
		if (fd >= 0)
			close(fd);
		got[n < 0 ? 0 : n] = '\0';
		if (!strcmp(got, want))
			return 0;
		test_sleep_ms(10);
	}
	fprintf(stderr, "example printed:\n%s\nwanted:\n%s\n", got, want);
	return -1;
}

TEST(example_prints_every_record_once_across_a_reinit)
{
	const char *bin = getenv("XSHM_MAN_EXAMPLE");
	char path[TEST_PATH_MAX], out[TEST_PATH_MAX + 8], want[4096] = "";
	char msg[32];
	struct xshm_region *r;
	struct xshm_ring *p;
	int i, fd, status;
	size_t w = 0;
	pid_t pid;

	if (!bin)
		SKIP(return, "XSHM_MAN_EXAMPLE not set (run.sh sets it)");
	ASSERT_EQ(0, test_region_create(path, 1u << 20, &r));
	snprintf(out, sizeof(out), "%s.out", path);
	pid = test_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
		execl(bin, bin, path, (char *)NULL);
		_exit(127);
	}
	/* the example or we create the layout, whoever is first */
	ASSERT_LE(0, xshm_layout_init(r, chans, 1, 0));
	ASSERT_EQ(0, xshm_ring_attach(r, "log", XSHM_PRODUCER, &p));
	for (i = 0; i < 10; i++) {
		snprintf(msg, sizeof(msg), "record %d", i);
		ASSERT_EQ(0, xshm_ring_send(p, msg, strlen(msg)));
		w += (size_t)snprintf(want + w, sizeof(want) - w, "%d: %s\n",
				      i, msg);
	}
	ASSERT_EQ(0, output_is(out, want));

	/* the peer re-initialises: the example attaches to the new layout */
	xshm_ring_detach(p);
	ASSERT_EQ(0, xshm_layout_init(r, chans, 1, XSHM_INIT_FORCE));
	ASSERT_EQ(0, xshm_ring_attach(r, "log", XSHM_PRODUCER, &p));
	for (i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg), "again %d", i);
		ASSERT_EQ(0, xshm_ring_send(p, msg, strlen(msg)));
		w += (size_t)snprintf(want + w, sizeof(want) - w, "%d: %s\n",
				      i, msg);
	}
	ASSERT_EQ(0, output_is(out, want));

	kill(pid, SIGTERM);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	xshm_ring_detach(p);
	xshm_region_close(r);
	unlink(out);
	unlink(path);
}

TEST_HARNESS_MAIN
