// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Benchmark harness: two processes, each pinned to its own CPU, talk over
 * channels laid out in one /dev/shm file by the linked transport.  The
 * child maps the file again at an address of its own, as a peer domain
 * would.  One invocation measures one figure once and prints CSV rows
 *   impl,test,msg,batch,rep,metric,value
 * so that bench/run.sh can interleave repetitions of every implementation.
 *
 *   tput: process A pushes count messages in batches; B pops and checks
 *         the sequence numbers; B times everything after a warm-up tenth.
 *   lat:  A sends one message on channel 0, B echoes it on channel 1;
 *         one-way latency is half of each round trip.
 *   inproc: one process, one CPU, pushes a batch then pops it, count
 *         messages in all: the instruction path alone, for callgrind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-clock.h"
#include "bench-transport.h"

#define MAX_BATCH	256u

struct opts {
	const char *test;
	size_t msg;
	unsigned int batch;
	unsigned long count;
	unsigned int slots;
	int cpu[2];
	unsigned int rep;
	unsigned int timeout;
	const char *dir;
};

/* harness-only state shared by the two processes; never on the measured path */
struct control {
	atomic_uint ready;
	atomic_uint abort;
	atomic_uint writer_done;
	uint64_t errors;
	uint64_t elapsed_ns;
	uint64_t measured;
	uint64_t reads;
	uint64_t distinct;
	uint64_t child_preempted;
	uint64_t child_slept;
	double steady_rate;
};

/*
 * Context switches so far.  Involuntary: the scheduler cut in (noise
 * from the rest of the machine).  Voluntary: the process slept, which a
 * spinning peer never does unless the channel's own wait backs off to
 * sleeping.
 */
static uint64_t preemptions(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : (uint64_t)ru.ru_nivcsw;
}

static uint64_t sleeps(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : (uint64_t)ru.ru_nvcsw;
}

static char shm_path[256];

/* timed out or killed: leave no file behind in /dev/shm */
static void on_signal(int sig)
{
	static const char msg[] = "bench: timed out (peer stuck or message lost)\n";

	if (sig == SIGALRM && write(2, msg, sizeof(msg) - 1) < 0)
		sig = 0;
	unlink(shm_path);
	_exit(3);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", bench_transport.name, what,
		strerror(err));
	if (shm_path[0])
		unlink(shm_path);
	exit(2);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity", errno);
}

static void *map_file(size_t size)
{
	int fd = open(shm_path, O_RDWR);
	void *p;

	if (fd < 0)
		die("open shm file", errno);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		 fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		die("mmap shm file", errno);
	return p;
}

static void barrier(struct control *ctl)
{
	atomic_fetch_add_explicit(&ctl->ready, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&ctl->ready, memory_order_acquire) < 2)
		bench_relax();
}

/* every message carries its sequence number in its first and last word */
static void stamp(unsigned char *m, size_t msg, uint64_t seq)
{
	memcpy(m, &seq, sizeof(seq));
	if (msg >= 2 * sizeof(seq))
		memcpy(m + msg - sizeof(seq), &seq, sizeof(seq));
}

static int check(const unsigned char *m, size_t msg, uint64_t seq)
{
	uint64_t a, b = seq;

	memcpy(&a, m, sizeof(a));
	if (msg >= 2 * sizeof(seq))
		memcpy(&b, m + msg - sizeof(b), sizeof(b));
	return a == seq && b == seq;
}

static uint64_t first_word(const unsigned char *m)
{
	uint64_t a;

	memcpy(&a, m, sizeof(a));
	return a;
}

/*
 * Polling: the throughput test backs off with a pause when the channel is
 * full or empty, as a real polling peer would (spinning flat out on the
 * other side's index line steals it from the side doing the work); the
 * round trip spins flat out, because the floor is what it measures.
 * Every implementation is polled the same way.
 */
static void send_all(void *h, const unsigned char *buf, size_t msg,
		     unsigned int n, int backoff, struct control *ctl)
{
	unsigned int done = 0;

	while (done < n) {
		unsigned int k = bench_transport.send(h, buf + done * msg,
						      n - done);

		done += k;
		if (k)
			continue;
		if (atomic_load_explicit(&ctl->abort, memory_order_relaxed))
			_exit(4);
		if (backoff)
			bench_relax();
	}
}

static void tput_producer(const struct opts *o, void *h, unsigned char *buf,
			  struct control *ctl)
{
	unsigned long sent = 0;
	uint64_t t0 = bench_now_ns();

	while (sent < o->count) {
		unsigned int n = o->batch, i;

		if (n > o->count - sent)
			n = o->count - sent;
		for (i = 0; i < n; i++)
			stamp(buf + i * o->msg, o->msg, sent + i);
		send_all(h, buf, o->msg, n, 1, ctl);
		sent += n;
	}
	if (bench_transport.flags & BT_LOSSY) {
		ctl->elapsed_ns = bench_now_ns() - t0;
		ctl->measured = sent;
	}
	/* everything sent is now visible: a consumer that finds less lost some */
	atomic_store_explicit(&ctl->writer_done, 1, memory_order_release);
}

/*
 * Steady rate: the measured part is cut into STEADY_WINDOWS windows and
 * the median window rate is reported next to the whole-run rate.  On a
 * shared machine a window in which either process was preempted is an
 * outlier; the median window is the channel running on two cores.
 */
#define STEADY_WINDOWS	64

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_rate(const uint64_t *at, const uint64_t *ns,
			  unsigned int n)
{
	double rate[STEADY_WINDOWS];
	unsigned int i, k = 0;

	for (i = 1; i < n; i++)
		if (ns[i] > ns[i - 1])
			rate[k++] = (at[i] - at[i - 1]) * 1e9 /
				    (double)(ns[i] - ns[i - 1]);
	if (!k)
		return 0;
	qsort(rate, k, sizeof(rate[0]), cmp_double);
	return rate[k / 2];
}

static void tput_consumer(const struct opts *o, void *h, unsigned char *buf,
			  struct control *ctl)
{
	unsigned long got = 0, warm = o->count / 10, from = 0, next = 0, win;
	uint64_t at[STEADY_WINDOWS + 1], ns[STEADY_WINDOWS + 1];
	uint64_t t0 = 0, t1;
	unsigned int marks = 0;
	int drained = 0;

	/* windows much longer than a full ring, or draining one would count */
	win = (o->count - warm) / STEADY_WINDOWS;
	if (win < 4ul * o->slots)
		win = 4ul * o->slots;
	while (got < o->count) {
		unsigned int k = bench_transport.recv(h, buf, o->batch), i;

		for (i = 0; i < k; i++)
			if (!check(buf + i * o->msg, o->msg, got + i))
				ctl->errors++;
		got += k;
		if (k) {
			if (!t0 && got >= warm) {
				t0 = bench_now_ns();
				from = got;
				next = got;
			}
			if (t0 && got >= next && marks <= STEADY_WINDOWS) {
				at[marks] = got;
				ns[marks] = marks ? bench_now_ns() : t0;
				marks++;
				next += win;
			}
			continue;
		}
		/* empty after the producer finished: the rest is lost */
		if (drained) {
			ctl->errors += o->count - got;
			break;
		}
		drained = atomic_load_explicit(&ctl->writer_done,
					       memory_order_acquire);
		bench_relax();
	}
	t1 = bench_now_ns();
	ctl->elapsed_ns = t1 - t0;
	ctl->measured = got - from;
	ctl->steady_rate = median_rate(at, ns, marks);
}

/*
 * Seqlocks: every recv is one read attempt and reports 1 only for a new
 * value; each new value must be whole and newer than the last.
 */
static void tput_reader(const struct opts *o, void *h, unsigned char *buf,
			struct control *ctl)
{
	uint64_t reads = 0, distinct = 0, last = 0, v;

	while (!atomic_load_explicit(&ctl->writer_done, memory_order_acquire)) {
		reads++;
		if (!bench_transport.recv(h, buf, 1))
			continue;
		v = first_word(buf);
		if (!check(buf, o->msg, v) || (distinct && v <= last))
			ctl->errors++;
		distinct++;
		last = v;
	}
	ctl->reads = reads;
	ctl->distinct = distinct;
}

/* wait for the message numbered seq; for lossy channels older values are skipped */
static void recv_seq(void *h, unsigned char *buf, size_t msg, uint64_t seq,
		     struct control *ctl)
{
	for (;;) {
		if (bench_transport.recv(h, buf, 1)) {
			if (check(buf, msg, seq))
				return;
			if (!(bench_transport.flags & BT_LOSSY) ||
			    first_word(buf) > seq) {
				ctl->errors++;
				return;
			}
		}
		if (atomic_load_explicit(&ctl->abort, memory_order_relaxed))
			_exit(4);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_row(const struct opts *o, const char *metric, double v)
{
	printf("%s,%s,%zu,%u,%u,%s,%.6g\n", bench_transport.name, o->test,
	       o->msg, o->batch, o->rep, metric, v);
}

static void lat_initiator(const struct opts *o, void *tx, void *rx,
			  unsigned char *buf, struct control *ctl)
{
	unsigned long warm = o->count / 10 + 100, n = o->count, i;
	uint64_t *rtt = calloc(n, sizeof(*rtt));
	double tpn = bench_ticks_per_ns();

	if (!rtt)
		die("calloc", ENOMEM);
	for (i = 0; i < warm + n; i++) {
		uint64_t t0, t1;

		stamp(buf, o->msg, i);
		t0 = bench_ticks();
		send_all(tx, buf, o->msg, 1, 0, ctl);
		recv_seq(rx, buf, o->msg, i, ctl);
		t1 = bench_ticks();
		if (i >= warm)
			rtt[i - warm] = t1 - t0;
	}
	qsort(rtt, n, sizeof(*rtt), cmp_u64);
	/* one-way latency: half the round trip */
	print_row(o, "p50_ns", rtt[n / 2] / tpn / 2);
	print_row(o, "p99_ns", rtt[n * 99 / 100] / tpn / 2);
	print_row(o, "p999_ns", rtt[n * 999 / 1000] / tpn / 2);
	free(rtt);
}

static void lat_echoer(const struct opts *o, void *rx, void *tx,
		       unsigned char *buf, struct control *ctl)
{
	unsigned long total = o->count / 10 + 100 + o->count, i;

	for (i = 0; i < total; i++) {
		recv_seq(rx, buf, o->msg, i, ctl);
		send_all(tx, buf, o->msg, 1, 0, ctl);
	}
}

/* no second process: both ends of channel 0 here, no sharing, no waiting */
static void inproc(const struct opts *o, void *tx, void *rx,
		   unsigned char *buf, struct control *ctl)
{
	unsigned long done = 0;
	unsigned int n, i, k;
	uint64_t t0 = bench_now_ns();

	while (done < o->count) {
		n = o->batch;
		if (n > o->count - done)
			n = o->count - done;
		for (i = 0; i < n; i++)
			stamp(buf + i * o->msg, o->msg, done + i);
		send_all(tx, buf, o->msg, n, 0, ctl);
		for (i = 0; i < n; i += k) {
			k = bench_transport.recv(rx, buf + i * o->msg, n - i);
			if (!k) {
				ctl->errors++;
				return;
			}
		}
		for (i = 0; i < n; i++)
			if (!check(buf + i * o->msg, o->msg, done + i))
				ctl->errors++;
		done += n;
	}
	ctl->elapsed_ns = bench_now_ns() - t0;
	ctl->measured = done;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s --test tput|lat|inproc --msg BYTES [--batch N] [--count N]\n"
		"          [--slots N] [--cpus A,B] [--rep N] [--timeout S] [--dir DIR]\n"
		"       %s --describe\n", argv0, argv0);
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "test", 1, NULL, 't' }, { "msg", 1, NULL, 'm' },
		{ "batch", 1, NULL, 'b' }, { "count", 1, NULL, 'n' },
		{ "slots", 1, NULL, 's' }, { "cpus", 1, NULL, 'c' },
		{ "rep", 1, NULL, 'r' }, { "timeout", 1, NULL, 'T' },
		{ "dir", 1, NULL, 'd' }, { "describe", 0, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*o = (struct opts){ .test = "tput", .msg = 8, .batch = 1,
			    .count = 1000000, .cpu = { 0, 1 }, .timeout = 60,
			    .dir = "/dev/shm" };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't': o->test = optarg; break;
		case 'm': o->msg = strtoul(optarg, NULL, 0); break;
		case 'b': o->batch = strtoul(optarg, NULL, 0); break;
		case 'n': o->count = strtoul(optarg, NULL, 0); break;
		case 's': o->slots = strtoul(optarg, NULL, 0); break;
		case 'c':
			if (sscanf(optarg, "%d,%d", &o->cpu[0], &o->cpu[1]) != 2)
				usage(argv[0]);
			break;
		case 'r': o->rep = strtoul(optarg, NULL, 0); break;
		case 'T': o->timeout = strtoul(optarg, NULL, 0); break;
		case 'd': o->dir = optarg; break;
		case 'D':
			printf("%s,%s\n", bench_transport.name,
			       bench_transport.placement);
			exit(0);
		default: usage(argv[0]);
		}
	}
	if (strcmp(o->test, "tput") && strcmp(o->test, "lat") &&
	    strcmp(o->test, "inproc"))
		usage(argv[0]);
	if (o->msg < sizeof(uint64_t) || o->msg % sizeof(uint64_t) ||
	    !o->batch || o->batch > MAX_BATCH || o->count < 100)
		usage(argv[0]);
	if (bench_transport.max_msg && o->msg > bench_transport.max_msg)
		usage(argv[0]);
	if (!o->slots)
		o->slots = bench_ring_slots(o->msg);
}

int main(int argc, char **argv)
{
	const struct bench_transport *t = &bench_transport;
	struct control *ctl;
	struct opts o;
	unsigned char *buf;
	void *base, *h0, *h1;
	size_t size;
	uint64_t pre, slept;
	pid_t pid;
	int fd, st, err, lat;

	parse(argc, argv, &o);
	lat = !strcmp(o.test, "lat");
	if (!lat && (t->flags & (BT_LAT_ONLY | BT_LOSSY)) &&
	    !strcmp(o.test, "inproc")) {
		fprintf(stderr, "%s: no in-process queue test\n", t->name);
		return 2;
	}
	if (!lat && (t->flags & BT_LAT_ONLY)) {
		fprintf(stderr, "%s: latency only\n", t->name);
		return 2;
	}
	if (lat && o.batch != 1) {
		fprintf(stderr, "latency is measured with batch 1\n");
		return 2;
	}
	buf = aligned_alloc(64, bench_align(MAX_BATCH * o.msg));
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!buf || ctl == MAP_FAILED)
		die("allocate", ENOMEM);
	memset(buf, 0xa5, MAX_BATCH * o.msg);

	snprintf(shm_path, sizeof(shm_path), "%s/xshm-bench-%s-%d", o.dir,
		 t->name, (int)getpid());
	signal(SIGALRM, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	alarm(o.timeout);
	size = t->shm_size(o.msg, o.slots, 2);
	fd = open(shm_path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die(shm_path, errno);
	if (ftruncate(fd, size))
		die("ftruncate", errno);
	close(fd);
	base = map_file(size);
	err = t->setup(shm_path, base, o.msg, o.slots, 2);
	if (err)
		die("setup", -err);

	if (!strcmp(o.test, "inproc")) {
		pin(o.cpu[0]);
		h0 = t->open(shm_path, base, o.msg, o.slots, 0, 1);
		h1 = t->open(shm_path, base, o.msg, o.slots, 0, 0);
		if (!h0 || !h1)
			die("open channel", EIO);
		inproc(&o, h0, h1, buf, ctl);
		t->close(h0);
		t->close(h1);
		unlink(shm_path);
		print_row(&o, "msgs_per_s", ctl->measured / (ctl->elapsed_ns / 1e9));
		goto out;
	}

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGALRM, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		pin(o.cpu[1]);
		/* a mapping of our own, at another address, like a peer domain */
		void *mine = map_file(size);

		munmap(base, size);
		h0 = t->open(shm_path, mine, o.msg, o.slots, 0, 0);
		h1 = lat ? t->open(shm_path, mine, o.msg, o.slots, 1, 1) : NULL;
		if (!h0 || (lat && !h1)) {
			atomic_store(&ctl->abort, 1);
			_exit(5);
		}
		barrier(ctl);
		pre = preemptions();
		slept = sleeps();
		if (lat)
			lat_echoer(&o, h0, h1, buf, ctl);
		else if (t->flags & BT_LOSSY)
			tput_reader(&o, h0, buf, ctl);
		else
			tput_consumer(&o, h0, buf, ctl);
		ctl->child_preempted = preemptions() - pre;
		ctl->child_slept = sleeps() - slept;
		t->close(h0);
		if (h1)
			t->close(h1);
		_exit(0);
	}

	pin(o.cpu[0]);
	h0 = t->open(shm_path, base, o.msg, o.slots, 0, 1);
	h1 = lat ? t->open(shm_path, base, o.msg, o.slots, 1, 0) : NULL;
	if (!h0 || (lat && !h1)) {
		atomic_store(&ctl->abort, 1);
		waitpid(pid, NULL, 0);
		die("open channel", EIO);
	}
	barrier(ctl);
	pre = preemptions();
	slept = sleeps();
	if (lat)
		lat_initiator(&o, h0, h1, buf, ctl);
	else
		tput_producer(&o, h0, buf, ctl);
	pre = preemptions() - pre;
	slept = sleeps() - slept;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("peer process failed", EPROTO);
	/* noise indicator: a spinning peer that was preempted waited for nothing */
	print_row(&o, "preemptions", pre + ctl->child_preempted);
	print_row(&o, "sleeps", slept + ctl->child_slept);
	t->close(h0);
	if (h1)
		t->close(h1);
	unlink(shm_path);

	if (!lat) {
		double s = ctl->elapsed_ns / 1e9;

		print_row(&o, "msgs_per_s", ctl->measured / s);
		print_row(&o, "bytes_per_s", ctl->measured * o.msg / s);
		if (ctl->steady_rate > 0) {
			print_row(&o, "steady_msgs_per_s", ctl->steady_rate);
			print_row(&o, "steady_bytes_per_s",
				  ctl->steady_rate * o.msg);
		}
		if (t->flags & BT_LOSSY) {
			print_row(&o, "reads_per_s", ctl->reads / s);
			print_row(&o, "distinct_reads", ctl->distinct);
		}
	}
out:
	free(buf);
	if (ctl->errors) {
		fprintf(stderr, "%s: %llu messages out of order or torn\n",
			t->name, (unsigned long long)ctl->errors);
		return 1;
	}
	return 0;
}
