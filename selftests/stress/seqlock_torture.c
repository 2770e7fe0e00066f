// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Seqlock torture: writer processes rewrite a value as fast as they can
 * while this process reads it R times.  Each value carries a counter, its
 * writer's number, a body derived from both and a checksum over all of it,
 * so a torn value (half old, half new) cannot pass.  Also checked: each
 * writer's counter never goes backwards, the library's stamp/write count
 * never goes backwards, and an LWW value comes from the slot info names.
 *
 * usage: seqlock_torture -t seqlock|latch|lww [-r reads] [-e value_bytes]
 *                        [-T max_seconds]
 * -T stops early, after at least 2^16 reads, if the reads take longer than
 * that (an oversubscribed machine preempts writers mid-update and readers
 * then wait): every read done is still checked, the figure says how many.
 */
#include <sched.h>
#include <sys/wait.h>

#include "stress_common.h"

#define REGION_SIZE	(64u * 1024u)
#define MAX_VALUE	4096u
#define MAX_WRITERS	2

struct value_hdr {
	uint64_t counter;
	uint32_t writer;
	uint32_t len;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* value = header, body, and the checksum of both in the last 8 bytes */
static void make_value(uint8_t *buf, size_t len, uint64_t counter,
		       uint32_t writer)
{
	struct value_hdr h = { counter, writer, (uint32_t)len };
	size_t body = len - sizeof(h) - 8;
	uint64_t sum;

	memcpy(buf, &h, sizeof(h));
	stress_body(buf + sizeof(h), body, counter, writer + 10);
	sum = stress_sum(buf, len - 8, counter);
	memcpy(buf + len - 8, &sum, 8);
}

static int value_ok(const uint8_t *buf, size_t len, struct value_hdr *h)
{
	uint8_t want[MAX_VALUE];

	memcpy(h, buf, sizeof(*h));
	if (h->len != len || h->writer >= MAX_WRITERS)
		return 0;
	make_value(want, len, h->counter, h->writer);
	return !memcmp(want, buf, len);
}

/*
 * Reader on one CPU, writers on another, so that reads and writes really
 * overlap instead of taking turns on one CPU.  Best effort.
 */
static void pin(int which)
{
	cpu_set_t all, one;
	int cpu, n = 0;

	if (sched_getaffinity(0, sizeof(all), &all))
		return;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &all))
			continue;
		if (n++ == which) {
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			sched_setaffinity(0, sizeof(one), &one);
			return;
		}
	}
}

static void writer(const char *path, unsigned int slot, size_t len, int ready_fd)
{
	struct xshm_seqlock *sl;
	struct xshm_region *r;
	uint8_t buf[MAX_VALUE];
	uint64_t counter = 0, pause;

	signal(SIGTERM, on_term);
	pin(1);
	STRESS_CHECK(xshm_region_open_path(path, 0, 0, &r));
	STRESS_CHECK(xshm_seqlock_attach(r, "v", XSHM_PRODUCER, slot, &sl));
	make_value(buf, len, ++counter, slot);
	STRESS_CHECK(xshm_seqlock_write(sl, buf, len, 0));
	if (write(ready_fd, "r", 1) != 1)
		stress_die("ready pipe: %s", strerror(errno));
	close(ready_fd);
	while (!stop) {
		make_value(buf, len, ++counter, slot);
		STRESS_CHECK(xshm_seqlock_write(sl, buf, len, 0));
		/*
		 * A varying pause of 0-2 us between writes (a real writer
		 * does other work): readers then find quiet windows of every
		 * length, instead of starving behind back-to-back writes.
		 */
		pause = stress_now_ns() + (stress_mix(counter) & 2047);
		while (stress_now_ns() < pause)
			;
	}
	printf("# writer %u: %llu writes\n", slot, (unsigned long long)counter);
	fflush(stdout);
	xshm_seqlock_detach(sl);
	xshm_region_close(r);
	exit(0);
}

int main(int argc, char **argv)
{
	struct xshm_chan_spec spec = { "v", 0, 0, 128, 0 };
	uint64_t last_counter[MAX_WRITERS] = { 0 }, last_stamp = 0;
	uint64_t reads = 10000000, i, retries = 0, changes = 0, t0, cap_s = 0;
	uint64_t per_writer[MAX_WRITERS] = { 0 };
	char path[STRESS_PATH_MAX];
	struct xshm_value_info info;
	struct xshm_seqlock *sl;
	struct xshm_region *r;
	uint8_t buf[MAX_VALUE];
	struct value_hdr h, prev = { 0, 0, 0 };
	pid_t pid[MAX_WRITERS];
	unsigned int nw = 1, w;
	int opt, fds[2], status, ret, failed = 0;
	const char *tname = NULL;
	double secs;
	char c;

	while ((opt = getopt(argc, argv, "t:r:e:T:")) != -1) {
		if (opt == 't')
			tname = optarg;
		else if (opt == 'r')
			reads = stress_count(optarg);
		else if (opt == 'e')
			spec.elem_size = (uint32_t)stress_count(optarg);
		else if (opt == 'T')
			cap_s = stress_count(optarg);
		else
			tname = NULL, optind = argc;
	}
	if (tname && !strcmp(tname, "seqlock"))
		spec.type = XSHM_CHAN_SEQLOCK;
	else if (tname && !strcmp(tname, "latch"))
		spec.type = XSHM_CHAN_LATCH;
	else if (tname && !strcmp(tname, "lww"))
		spec.type = XSHM_CHAN_LWW, spec.capacity = nw = 2;
	if (!spec.type || spec.elem_size < sizeof(h) + 8 ||
	    spec.elem_size > MAX_VALUE || spec.elem_size % 8)
		stress_die("usage: %s -t seqlock|latch|lww [-r reads] [-e bytes (multiple of 8, 24..%u)]",
			   argv[0], MAX_VALUE);

	stress_tmp_file(path, "seqlock");
	STRESS_CHECK(xshm_region_open_path(path, XSHM_OPEN_CREATE, REGION_SIZE,
					   &r));
	STRESS_CHECK(xshm_layout_init(r, &spec, 1, 0));
	if (pipe(fds))
		stress_die("pipe: %s", strerror(errno));
	for (w = 0; w < nw; w++) {
		fflush(stdout);
		pid[w] = stress_fork();
		if (pid[w] < 0)
			stress_die("fork: %s", strerror(errno));
		if (pid[w] == 0) {
			close(fds[0]);
			xshm_region_close(r);
			writer(path, w, spec.elem_size, fds[1]);
		}
	}
	close(fds[1]);
	/* every writer has published a first value before we read */
	for (w = 0; w < nw; w++)
		if (read(fds[0], &c, 1) != 1)
			stress_die("a writer died before its first write");
	close(fds[0]);

	STRESS_CHECK(xshm_seqlock_attach(r, "v", XSHM_CONSUMER, 0, &sl));
	pin(0);
	t0 = stress_now_ns();
	for (i = 0; i < reads; i++) {
		if (cap_s && (i & 0xffff) == 0xffff &&
		    stress_now_ns() - t0 > cap_s * 1000000000ull) {
			printf("# time cap of %llu s reached: stopped after %llu of %llu reads\n",
			       (unsigned long long)cap_s, (unsigned long long)i,
			       (unsigned long long)reads);
			break;
		}
		ret = xshm_seqlock_read(sl, buf, spec.elem_size, &info, 5000);
		if (ret < 0) {
			printf("FAIL: read %llu: %d (%s)\n", (unsigned long long)i,
			       ret, xshm_strerror(ret));
			failed = 1;
			break;
		}
		if (!value_ok(buf, spec.elem_size, &h)) {
			printf("FAIL: read %llu returned a torn/corrupt value (counter %llu writer %u)\n",
			       (unsigned long long)i,
			       (unsigned long long)h.counter, h.writer);
			failed = 1;
			break;
		}
		if (h.counter < last_counter[h.writer]) {
			printf("FAIL: read %llu: writer %u counter went back from %llu to %llu\n",
			       (unsigned long long)i, h.writer,
			       (unsigned long long)last_counter[h.writer],
			       (unsigned long long)h.counter);
			failed = 1;
			break;
		}
		if (info.stamp < last_stamp) {
			printf("FAIL: read %llu: stamp went back from %llu to %llu (writer %u)\n",
			       (unsigned long long)i,
			       (unsigned long long)last_stamp,
			       (unsigned long long)info.stamp, info.writer);
			failed = 1;
			break;
		}
		if (spec.type == XSHM_CHAN_LWW && info.writer != h.writer) {
			printf("FAIL: read %llu: info says writer %u, value is writer %u's\n",
			       (unsigned long long)i, info.writer, h.writer);
			failed = 1;
			break;
		}
		last_counter[h.writer] = h.counter;
		last_stamp = info.stamp;
		retries += info.retries;
		if (h.counter != prev.counter || h.writer != prev.writer)
			changes++;
		per_writer[h.writer]++;
		prev = h;
	}
	secs = (double)(stress_now_ns() - t0) / 1e9;
	for (w = 0; w < nw; w++)
		kill(pid[w], SIGTERM);
	for (w = 0; w < nw; w++) {
		if (waitpid(pid[w], &status, 0) != pid[w] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("FAIL: writer %u ended with status 0x%x\n", w,
			       status);
			failed = 1;
		}
	}
	printf("# %s, %u-byte value, %u writer(s): %llu reads in %.2f s (%.1f M/s), %llu saw a new value, %llu retries",
	       tname, spec.elem_size, nw, (unsigned long long)i, secs,
	       (double)i / secs / 1e6, (unsigned long long)changes,
	       (unsigned long long)retries);
	if (spec.type == XSHM_CHAN_LWW)
		printf(", values from writer 0/1: %llu/%llu",
		       (unsigned long long)per_writer[0],
		       (unsigned long long)per_writer[1]);
	printf("\n");
	xshm_seqlock_detach(sl);
	xshm_region_close(r);
	unlink(path);
	/* reads that never overlapped a write would prove nothing */
	if (!failed && changes < 2) {
		printf("FAIL: the value never changed during the reads\n");
		failed = 1;
	}
	return failed;
}
