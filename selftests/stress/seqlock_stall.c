// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A seqlock writer that dies mid-update, made deterministic: the writer
 * process passes xshm_seqlock_write() a value whose second half lies in a
 * PROT_NONE page.  The library marks the update in progress, starts copying,
 * faults on the guard page, and the SIGSEGV handler stops the process
 * (SIGSTOP): the writer is now frozen mid-update, exactly as if it had been
 * preempted forever, and we then SIGKILL it.  Checked, for each type:
 *   SEQLOCK  reads time out with -EBUSY (after about timeout_ms, not never),
 *            before and after the kill;
 *   LATCH    reads return the last complete value, before and after;
 *   LWW      (2 writers, one frozen) reads return a complete value from a
 *            writer or -EBUSY, never a torn one;
 * and a new writer incarnation repairs the channel: its next value is read.
 *
 * The sequence word of the frozen writer's block (wire format: the u64 at
 * the start of the block, see xshm-peer.h) is checked to be odd, to prove
 * the writer really stopped inside the update.
 *
 * usage: seqlock_stall -t seqlock|latch|lww
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "stress_common.h"

#define VALUE_SIZE	256u
#define REGION_SIZE	(64u * 1024u)
#define TIMEOUT_MS	50

static void make_value(uint8_t *buf, uint64_t id)
{
	uint64_t sum;

	memcpy(buf, &id, 8);
	stress_body(buf + 8, VALUE_SIZE - 16, id, 20);
	sum = stress_sum(buf, VALUE_SIZE - 8, id);
	memcpy(buf + VALUE_SIZE - 8, &sum, 8);
}

/* the id of a complete value, or 0 if buf is torn/corrupt */
static uint64_t value_id(const uint8_t *buf)
{
	uint8_t want[VALUE_SIZE];
	uint64_t id;

	memcpy(&id, buf, 8);
	make_value(want, id);
	return memcmp(want, buf, VALUE_SIZE) ? 0 : id;
}

static void on_segv(int sig)
{
	(void)sig;
	/* frozen mid-update until the test kills us */
	raise(SIGSTOP);
}

/*
 * Writer process: write value first_id completely (if non-zero), tell the
 * parent, then (if freeze) start writing another and freeze inside it.
 */
static void writer(const char *path, unsigned int slot, uint64_t first_id,
		   int freeze, int ready_fd)
{
	long page = sysconf(_SC_PAGESIZE);
	struct sigaction sa = { 0 };
	struct xshm_seqlock *sl;
	struct xshm_region *r;
	uint8_t *pages, *val;

	STRESS_CHECK(xshm_region_open_path(path, 0, 0, &r));
	STRESS_CHECK(xshm_seqlock_attach(r, "v", XSHM_PRODUCER, slot, &sl));
	pages = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		stress_die("mmap: %s", strerror(errno));
	val = pages + page - VALUE_SIZE / 2;
	if (first_id) {
		make_value(val, first_id);
		STRESS_CHECK(xshm_seqlock_write(sl, val, VALUE_SIZE, 0));
	}
	if (write(ready_fd, "r", 1) != 1)
		stress_die("ready pipe: %s", strerror(errno));
	if (!freeze)
		exit(0);
	/* the value's second half becomes unreadable */
	make_value(val, first_id + 1000);
	if (mprotect(pages + page, (size_t)page, PROT_NONE))
		stress_die("mprotect: %s", strerror(errno));
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	xshm_seqlock_write(sl, val, VALUE_SIZE, 0);
	stress_die("the write of a half-unreadable value returned");
}

static pid_t spawn_writer(const char *path, unsigned int slot, uint64_t id,
			  int freeze)
{
	int fds[2], status;
	pid_t pid;
	char c;

	if (pipe(fds))
		stress_die("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = stress_fork();
	if (pid < 0)
		stress_die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		writer(path, slot, id, freeze, fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1)
		stress_die("writer %u died before its first value", slot);
	close(fds[0]);
	if (freeze) {
		if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status))
			stress_die("writer %u did not freeze (status 0x%x)", slot,
				   status);
	} else if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		   WEXITSTATUS(status)) {
		stress_die("writer %u failed (status 0x%x)", slot, status);
	}
	return pid;
}

static uint64_t block_seq(struct xshm_region *r, unsigned int slot)
{
	struct xshm_chan_info info;
	uint64_t off, seq;

	if (xshm_layout_list(r, &info, 1) != 1)
		stress_die("layout_list");
	off = info.offset;
	if (info.type == XSHM_CHAN_LWW)
		off += (uint64_t)slot * (128 + ((VALUE_SIZE + 127) / 128) * 128);
	memcpy(&seq, (uint8_t *)xshm_region_base(r) + off, 8);
	return seq;
}

/*
 * Read once; returns the value's id, or 0 for -EBUSY (after checking that
 * the wait was bounded by the timeout).
 */
static uint64_t read_once(struct xshm_seqlock *sl, const char *when,
			  struct xshm_value_info *info)
{
	uint8_t buf[VALUE_SIZE];
	uint64_t t0 = stress_now_ns(), ms, id;
	int ret = xshm_seqlock_read(sl, buf, VALUE_SIZE, info, TIMEOUT_MS);

	ms = (stress_now_ns() - t0) / 1000000u;
	if (ret == -EBUSY) {
		if (ms + 5 < TIMEOUT_MS || ms > 10u * TIMEOUT_MS + 2000u)
			stress_die("%s: -EBUSY after %llu ms, timeout %d ms",
				   when, (unsigned long long)ms, TIMEOUT_MS);
		return 0;
	}
	STRESS_CHECK(ret);
	id = value_id(buf);
	if (!id)
		stress_die("%s: read returned a torn value", when);
	return id;
}

int main(int argc, char **argv)
{
	struct xshm_chan_spec spec = { "v", 0, 0, VALUE_SIZE, 0 };
	unsigned int frozen_slot = 0;
	char path[STRESS_PATH_MAX];
	struct xshm_value_info info;
	struct xshm_seqlock *sl;
	struct xshm_region *r;
	const char *t = argc == 3 && !strcmp(argv[1], "-t") ? argv[2] : "";
	uint64_t id, seq;
	int status, phase;
	pid_t pid;

	if (!strcmp(t, "seqlock"))
		spec.type = XSHM_CHAN_SEQLOCK;
	else if (!strcmp(t, "latch"))
		spec.type = XSHM_CHAN_LATCH;
	else if (!strcmp(t, "lww"))
		spec.type = XSHM_CHAN_LWW, spec.capacity = 2, frozen_slot = 1;
	else
		stress_die("usage: %s -t seqlock|latch|lww", argv[0]);

	stress_tmp_file(path, "stall");
	STRESS_CHECK(xshm_region_open_path(path, XSHM_OPEN_CREATE, REGION_SIZE,
					   &r));
	STRESS_CHECK(xshm_layout_init(r, &spec, 1, 0));
	STRESS_CHECK(xshm_seqlock_attach(r, "v", XSHM_CONSUMER, 0, &sl));

	if (spec.type == XSHM_CHAN_LWW)
		spawn_writer(path, 0, 7, 0);	/* a healthy writer's value */
	pid = spawn_writer(path, frozen_slot, 42, 1);
	seq = block_seq(r, frozen_slot);
	if (!(seq & 1))
		stress_die("writer frozen but its sequence %llu is even: the write did not start the update before reading the value",
			   (unsigned long long)seq);
	printf("# %s: writer %u frozen mid-update (seq %llu)\n", t, frozen_slot,
	       (unsigned long long)seq);

	for (phase = 0; phase < 2; phase++) {
		const char *when = phase ? "after SIGKILL" : "while frozen";

		id = read_once(sl, when, &info);
		if (spec.type == XSHM_CHAN_SEQLOCK && id)
			stress_die("%s: read returned value %llu, expected -EBUSY",
				   when, (unsigned long long)id);
		if (spec.type == XSHM_CHAN_LATCH && id != 42)
			stress_die("%s: read gave %s %llu, expected the last complete value 42",
				   when, id ? "value" : "-EBUSY",
				   (unsigned long long)id);
		if (spec.type == XSHM_CHAN_LWW && id && id != 7 && id != 42)
			stress_die("%s: read returned value %llu, expected 7, 42 or -EBUSY",
				   when, (unsigned long long)id);
		printf("# %s %s: %s %llu\n", t, when,
		       id ? "value" : "-EBUSY", (unsigned long long)id);
		if (!phase) {
			kill(pid, SIGKILL);
			if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status))
				stress_die("frozen writer did not die");
		}
	}

	/* a restarted writer completes the interrupted update */
	spawn_writer(path, frozen_slot, 99, 0);
	id = read_once(sl, "after a new writer", &info);
	if (id != 99)
		stress_die("after a new writer wrote 99: read %s %llu",
			   id ? "value" : "-EBUSY", (unsigned long long)id);
	if (block_seq(r, frozen_slot) & 1)
		stress_die("sequence still odd after the new writer's write");
	printf("# %s: new writer's value 99 read back, writer slot %u\n", t,
	       info.writer);

	xshm_seqlock_detach(sl);
	xshm_region_close(r);
	unlink(path);
	return 0;
}
