// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xshm-bench: how fast libxshm's rings run on a given region (a driver
 * region or a plain file), between two processes here or between two
 * domains.  The sender lays out two identical rings, "bench.out" (sender
 * to receiver) and "bench.back"; streams --count messages for throughput,
 * timed by the receiver, then bounces --rounds messages for latency.
 * Every message carries its sequence number at both ends, and the receiver
 * checks each one: a lost, reordered or torn message fails the run.
 * (bench/ compares libxshm with other rings; this measures a deployment.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "region-error.h"
#include "util.h"
#include "xshm.h"

/* cli.h's codes: 3 the other side did not answer in time, 4 the region
 * holds another layout, 5 a message was lost, reordered or torn */
#define EXIT_TIMEOUT	EXIT_SHORT
#define EXIT_CHECK	EXIT_CORRUPT

#define OUT_CHAN	"bench.out"
#define BACK_CHAN	"bench.back"
#define BATCH_MAX	256
#define RING_BYTES_MAX	(1u << 20)	/* per ring */
#define TAIL_MAGIC	0x5a5a5a5a5a5a5a5aull

enum role { ROLE_BOTH, ROLE_SEND, ROLE_RECV };
enum wait_mode { WAIT_SPIN, WAIT_POLL, WAIT_DOORBELL };

struct opts {
	const char *region;
	enum role role;
	bool var, json, force;
	uint64_t create;
	long long size, batch, count, rounds, timeout_ms;
	int cpu[2];			/* -1: not pinned */
	enum wait_mode wait;
	long long idle_s;		/* receiver idle this long first */
	long long gap_us;		/* between round trips */
};

/*
 * --wait doorbell with --role both: two connected doorbell pairs made
 * before the fork, [0] the sender's end, [1] the receiver's.
 */
static struct xshm_doorbell *db_out[2], *db_back[2];
static pid_t receiver_pid = -1;	/* role both: the child */

/* CPU time (user + system) of pid from /proc/<pid>/stat, in ms; < 0: none */
static double proc_cpu_ms(pid_t pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command may hold spaces */
	/* after ")": state, then fields 4..13, then utime (14) and stime (15) */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u"
			 " %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* one side's two rings and its message buffer */
struct side {
	struct xshm_region *r;
	struct xshm_ring *out, *in;	/* out: this side produces */
	const struct opts *o;
	size_t stride;			/* bytes between messages in buf */
	unsigned char *buf;
	struct xshm_record recs[BATCH_MAX];
	uint64_t deadline_ns;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: xshm-bench [OPTIONS] REGION\n"
"Measure libxshm ring throughput and latency on REGION (/dev/xshmN, N,\n"
"a xen,id or a plain file).  It lays out its own two rings: the region's\n"
"layout is replaced (a different one only with --force).\n"
"\n"
"  -r, --ring TYPE      fixed (default) or var\n"
"  -s, --size BYTES     message size, 8..65536 (default 64)\n"
"  -b, --batch N        messages per call, 1..%d (default 1)\n"
"  -n, --count N        messages for throughput (default 1000000)\n"
"  -l, --rounds N       round trips for latency (default 10000)\n"
"  -c, --cpus A[,B]     pin the sender to CPU A and the receiver to CPU B\n"
"                       (default: the first two CPUs we may use)\n"
"      --role ROLE      both (default): sender here, receiver in a child\n"
"                       process; send or recv: one side, the other runs in\n"
"                       another domain (start either first).  The receiver\n"
"                       takes --ring, --size, --batch, --count and --rounds\n"
"                       from the sender\n"
"  -t, --timeout MS     longest wait for the other side (default 10000)\n"
"  -C, --create SIZE    REGION is a plain file: create or extend it to SIZE\n"
"  -f, --force          replace a layout that is not xshm-bench's\n"
"  -j, --json           JSON output\n"
"  -w, --wait MODE      how a side waits for the other: spin (default),\n"
"                       poll (the library's default backoff) or doorbell\n"
"                       (role both: an eventfd pair; else the configured\n"
"                       Xen static event channel, see xshm_ring_doorbell(3))\n"
"      --idle S         role both: first leave the receiver idle S seconds\n"
"                       and report its CPU time (/proc/PID/stat)\n"
"      --gap US         sleep US between round trips, so that the receiver\n"
"                       is asleep when each one starts (wake-up latency)\n"
CLI_HELP
"Here 3 is: the other side did not answer in time; 4 the region holds\n"
"another layout; 5 a message was lost, reordered or torn.\n", BATCH_MAX);
}

/* bytes between messages in a buffer: var records sit at 8-byte offsets */
static size_t msg_stride(const struct opts *o)
{
	return o->var ? ((size_t)o->size + 7) & ~(size_t)7 : (size_t)o->size;
}

static int pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		msg("cannot run on CPU %d: %s", cpu, strerror(errno));
		return -1;
	}
	return 0;
}

static void fill(unsigned char *m, size_t size, uint64_t seq)
{
	uint64_t tail = seq ^ TAIL_MAGIC;

	memcpy(m, &seq, 8);
	if (size >= 16)
		memcpy(m + size - 8, &tail, 8);
}

/* 0 if m is message seq, intact */
static int check(const unsigned char *m, size_t len, size_t size, uint64_t seq)
{
	uint64_t head, tail;

	if (len != size)
		return -1;
	memcpy(&head, m, 8);
	if (head != seq)
		return -1;
	if (size >= 16) {
		memcpy(&tail, m + size - 8, 8);
		if (tail != (seq ^ TAIL_MAGIC))
			return -1;
	}
	return 0;
}

static bool expired(struct side *s, unsigned long *spins)
{
	if (++*spins % 4096)
		return false;
	return now_ns() > s->deadline_ns;
}

/*
 * Nothing to do on ring: spin (--wait spin), or wait in the library,
 * polling with its default backoff or sleeping on the doorbell.
 */
static bool wait_ring(struct side *s, struct xshm_ring *ring,
		      unsigned long *spins)
{
	uint64_t now;

	if (s->o->wait == WAIT_SPIN)
		return expired(s, spins);
	now = now_ns();
	if (now > s->deadline_ns)
		return true;
	xshm_ring_wait(ring, (int)((s->deadline_ns - now) / 1000000u) + 1);
	return false;
}

static void arm(struct side *s)
{
	s->deadline_ns = now_ns() + (uint64_t)s->o->timeout_ms * 1000000u;
}

/* send n messages from s->buf, spinning while the ring is full */
static int send_n(struct side *s, unsigned int n)
{
	size_t size = (size_t)s->o->size;
	unsigned long spins = 0;
	unsigned int done = 0;

	arm(s);
	while (done < n) {
		int ret;

		if (!s->o->var) {
			ret = xshm_ring_push_batch(s->out, s->buf + done * size,
						   n - done);
		} else {
			struct iovec iov[BATCH_MAX];

			for (unsigned int i = done; i < n; i++) {
				iov[i - done].iov_base = s->buf + i * s->stride;
				iov[i - done].iov_len = size;
			}
			ret = xshm_ring_sendv(s->out, iov, n - done);
		}
		if (ret > 0) {
			done += (unsigned int)ret;
		} else if (ret == 0 || ret == -EAGAIN) {
			if (wait_ring(s, s->out, &spins))
				return -ETIMEDOUT;
		} else {
			return ret;
		}
	}
	return 0;
}

/* receive up to max messages into s->buf; their count, -ETIMEDOUT or -errno */
static int recv_some(struct side *s, unsigned int max)
{
	unsigned long spins = 0;
	int ret;

	arm(s);
	for (;;) {
		if (!s->o->var)
			ret = xshm_ring_pop_batch(s->in, s->buf, max);
		else
			ret = xshm_ring_recv_batch(s->in, s->buf,
						   max * s->stride, s->recs, max);
		if (ret != 0 && ret != -EAGAIN)
			return ret;
		if (wait_ring(s, s->in, &spins))
			return -ETIMEDOUT;
	}
}

static const unsigned char *msg_at(struct side *s, unsigned int i, size_t *len)
{
	if (!s->o->var) {
		*len = (size_t)s->o->size;
		return s->buf + i * (size_t)s->o->size;
	}
	*len = s->recs[i].len;
	return s->recs[i].data;
}

/* receive exactly n messages numbered first.. and check them */
static int recv_n(struct side *s, uint64_t first, uint64_t n,
		  uint64_t *t_first, uint64_t *t_last)
{
	unsigned int batch = (unsigned int)s->o->batch;
	uint64_t got = 0;

	while (got < n) {
		unsigned int want = n - got < batch ? (unsigned int)(n - got) : batch;
		int ret = recv_some(s, want);

		if (ret < 0)
			return ret;
		if (t_first && !got)
			*t_first = now_ns();
		for (int i = 0; i < ret; i++) {
			size_t len;
			const unsigned char *m = msg_at(s, (unsigned int)i, &len);

			if (check(m, len, (size_t)s->o->size, first + got + i)) {
				msg("message %" PRIu64 " lost, reordered or torn",
				    first + got + i);
				return -EILSEQ;
			}
		}
		got += (unsigned int)ret;
	}
	if (t_last)
		*t_last = now_ns();
	return 0;
}

static int send_one(struct side *s, uint64_t seq)
{
	fill(s->buf, (size_t)s->o->size, seq);
	return send_n(s, 1);
}

static int exit_for(int err, const char *what)
{
	switch (err) {
	case -EILSEQ:
		return EXIT_CHECK;
	case -EEXIST:
		msg("the region holds another layout; --force replaces it");
		return EXIT_LAYOUT;
	default:
		msg("%s: %s", what, xshm_strerror(err));
		return EXIT_RUNTIME;
	}
}

static bool is_bench_layout(struct xshm_region *r)
{
	struct xshm_chan_info info[2];

	return xshm_layout_list(r, info, 2) == 2 &&
	       !strcmp(info[0].name, OUT_CHAN) && !strcmp(info[1].name, BACK_CHAN);
}

/* the two rings, as large as fit (at most 1 MiB each); 0 or -errno */
static int lay_out(struct xshm_region *r, const struct opts *o)
{
	size_t stride = msg_stride(o);
	struct xshm_chan_spec spec[2] = {
		{ .name = OUT_CHAN, .policy = XSHM_FULL_FAIL },
		{ .name = BACK_CHAN, .policy = XSHM_FULL_FAIL },
	};
	uint32_t cap;
	int ret;

	if (o->var) {
		cap = 1;
		while (cap < RING_BYTES_MAX && cap < 1024 * stride)
			cap <<= 1;
	} else {
		cap = 1024;
		while (cap > 2 && cap * (uint64_t)o->size > RING_BYTES_MAX)
			cap >>= 1;
	}
	for (;;) {
		for (int i = 0; i < 2; i++) {
			spec[i].type = o->var ? XSHM_CHAN_RING_VAR :
						XSHM_CHAN_RING_FIXED;
			spec[i].elem_size = (uint32_t)o->size;
			spec[i].capacity = cap;
		}
		ret = xshm_layout_init(r, spec, 2, o->force ? XSHM_INIT_FORCE : 0);
		/* ours from an earlier run: start afresh, no stale message */
		if (ret == 1 || (ret == -EEXIST && is_bench_layout(r)))
			ret = xshm_layout_init(r, spec, 2, XSHM_INIT_FORCE);
		if (ret != -ENOSPC)
			return ret < 0 ? ret : 0;
		/* too small a region: halve the rings while they can hold a batch */
		if ((o->var ? cap / 2 < 2 * o->batch * stride :
			      cap / 2 < (uint64_t)o->batch))
			return -ENOSPC;
		cap >>= 1;
	}
}

static int attach(struct side *s, bool sender)
{
	int ret = xshm_ring_attach(s->r, OUT_CHAN, sender ? XSHM_PRODUCER :
					     XSHM_CONSUMER, sender ? &s->out : &s->in);

	if (!ret)
		ret = xshm_ring_attach(s->r, BACK_CHAN, sender ? XSHM_CONSUMER :
					     XSHM_PRODUCER, sender ? &s->in : &s->out);
	if (!ret && s->o->wait == WAIT_DOORBELL) {
		/* the pairs (role both), or the configured channels */
		xshm_ring_doorbell(s->out, sender ? db_out[0] : db_back[1]);
		xshm_ring_doorbell(s->in, sender ? db_back[0] : db_out[1]);
	}
	return ret;
}

static void detach(struct side *s)
{
	if (s->out)
		xshm_ring_detach(s->out);
	if (s->in)
		xshm_ring_detach(s->in);
	s->out = s->in = NULL;
}

/* one number in a message's sequence field, checked like the others */
static int recv_value(struct side *s, uint64_t *v)
{
	size_t len;
	const unsigned char *m;
	int ret = recv_some(s, 1);

	if (ret < 0)
		return ret;
	m = msg_at(s, 0, &len);
	if (len != (size_t)s->o->size)
		return -EILSEQ;
	memcpy(v, m, 8);
	return check(m, len, len, *v) ? -EILSEQ : 0;
}

/*
 * The receiver takes the message size and ring type from the layout, and
 * the counts and batch from the sender (its own options do not matter).
 */
static int learn_layout(struct side *s, struct opts *ro)
{
	struct xshm_chan_info info[2];
	unsigned char *buf;

	if (xshm_layout_list(s->r, info, 2) != 2 ||
	    strcmp(info[0].name, OUT_CHAN) || strcmp(info[1].name, BACK_CHAN) ||
	    (info[0].type != XSHM_CHAN_RING_FIXED &&
	     info[0].type != XSHM_CHAN_RING_VAR) ||
	    info[0].elem_size < 8 || info[0].elem_size > 65536)
		return -ENOENT;
	ro->var = info[0].type == XSHM_CHAN_RING_VAR;
	ro->size = info[0].elem_size;
	s->stride = msg_stride(ro);
	buf = realloc(s->buf, BATCH_MAX * s->stride);
	if (!buf)
		return -ENOMEM;
	s->buf = buf;
	return 0;
}

/*
 * The receiver: say hello (on whatever bench layout is there; if the
 * sender lays out a new one, attach again), learn the run's parameters,
 * take the stream and report its time, then echo the rounds.
 */
static int receiver(struct side *s)
{
	struct opts ro = *s->o;
	uint64_t t_first = 0, t_last = 0, deadline, count = 0, rounds, batch;
	int ret;

	s->o = &ro;
	deadline = now_ns() + (uint64_t)ro.timeout_ms * 1000000u;
	for (;;) {
		uint64_t left = deadline > now_ns() ? deadline - now_ns() : 0;

		ret = xshm_layout_wait(s->r, (int)(left / 1000000u));
		if (!ret)
			ret = learn_layout(s, &ro);
		if (!ret)
			ret = attach(s, false);
		if (!ret)
			ret = send_one(s, UINT64_MAX);	/* hello */
		/* the first answer tells whether the layout stayed */
		if (!ret)
			ret = recv_value(s, &count);
		/*
		 * A layout the sender rewrites under us reads as stale,
		 * absent or, caught half-written, as torn (-EBADMSG, -EINVAL):
		 * before the first answer, all of these mean "try again".
		 */
		if (ret != -ESTALE && ret != -ENOENT && ret != -ENODATA &&
		    ret != -EBADMSG && ret != -EINVAL)
			break;
		detach(s);
		if (now_ns() > deadline)
			return ret == -EBADMSG || ret == -EINVAL ? ret : -ETIMEDOUT;
		sleep_us(1000);
	}
	if (!ret)
		ret = recv_value(s, &rounds);
	if (!ret)
		ret = recv_value(s, &batch);
	if (!ret && (!count || count > INT64_MAX || !rounds ||
		     rounds > 100000000 || !batch || batch > BATCH_MAX)) {
		msg("the sender asks for %" PRIu64 " messages, %" PRIu64
		    " rounds, batch %" PRIu64 ": out of range", count, rounds,
		    batch);
		ret = -EILSEQ;
	}
	if (ret)
		return ret;
	ro.count = (long long)count;
	ro.rounds = (long long)rounds;
	ro.batch = (long long)batch;
	ret = recv_n(s, 0, 1, &t_first, NULL);
	if (!ret)
		ret = recv_n(s, 1, count - 1, NULL, &t_last);
	if (!ret)
		ret = send_one(s, t_last - t_first);	/* the stream's time */
	for (uint64_t i = 0; !ret && i < rounds; i++) {
		ret = recv_n(s, count + i, 1, NULL, NULL);
		if (!ret)
			ret = send_n(s, 1);	/* the same message back */
	}
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct results {
	double idle_cpu_ms;	/* < 0: not measured */
	uint64_t stream_ns;
	uint64_t *rtt;		/* sorted round trips */
	long long nrtt;
};

static int sender(struct side *s, struct results *res)
{
	const struct opts *o = s->o;
	unsigned int batch = (unsigned int)o->batch;
	uint64_t seq = 0;
	int ret;

	/* hello: the receiver is attached to this layout; then the run */
	ret = recv_n(s, UINT64_MAX, 1, NULL, NULL);
	res->idle_cpu_ms = -1;
	if (!ret && o->idle_s && receiver_pid > 0) {
		/* the receiver now waits for the run: measure it idle */
		double before;

		sleep(1);
		before = proc_cpu_ms(receiver_pid);
		sleep((unsigned int)o->idle_s);
		if (before >= 0)
			res->idle_cpu_ms = proc_cpu_ms(receiver_pid) - before;
	}
	if (!ret)
		ret = send_one(s, (uint64_t)o->count);
	if (!ret)
		ret = send_one(s, (uint64_t)o->rounds);
	if (!ret)
		ret = send_one(s, batch);
	while (!ret && seq < (uint64_t)o->count) {
		unsigned int n = o->count - seq < batch ?
				 (unsigned int)(o->count - seq) : batch;

		for (unsigned int i = 0; i < n; i++)
			fill(s->buf + i * s->stride, (size_t)o->size, seq + i);
		ret = send_n(s, n);
		seq += n;
	}
	if (!ret) {
		size_t len;

		ret = recv_some(s, 1);
		if (ret == 1) {
			memcpy(&res->stream_ns, msg_at(s, 0, &len), 8);
			ret = 0;
		} else if (ret >= 0) {
			ret = -EIO;
		}
	}
	for (long long i = 0; !ret && i < o->rounds; i++) {
		uint64_t t0;

		if (o->gap_us)	/* let the receiver fall asleep */
			usleep((useconds_t)o->gap_us);
		t0 = now_ns();

		ret = send_one(s, (uint64_t)(o->count + i));
		if (!ret)
			ret = recv_n(s, (uint64_t)(o->count + i), 1, NULL, NULL);
		res->rtt[i] = now_ns() - t0;
	}
	if (!ret)
		qsort(res->rtt, (size_t)o->rounds, sizeof(*res->rtt), cmp_u64);
	res->nrtt = o->rounds;
	return ret;
}

static double pct(const struct results *res, double p)
{
	long long i = (long long)(p * (double)(res->nrtt - 1) + 0.5);

	return res->rtt[i] / 2.0;	/* one way: half the round trip */
}

static void report(const struct opts *o, const struct side *s,
		   const struct results *res)
{
	double secs = res->stream_ns / 1e9;
	/* the receiver times from its first to its last message */
	double rate = o->count > 1 && secs > 0 ? (o->count - 1) / secs : 0;
	struct xshm_ring_stats st;
	struct xshm_doorbell_stats db;
	static const char *const wait_name[] = { "spin", "poll", "doorbell" };

	xshm_ring_stats(s->out, &st);
	xshm_ring_doorbell_stats(s->out, &db);
	if (o->json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_str(&j, "region", xshm_region_name(s->r));
		json_str(&j, "ring", o->var ? "var" : "fixed");
		json_u64(&j, "capacity", st.capacity);
		json_u64(&j, "msg_size", (uint64_t)o->size);
		json_u64(&j, "batch", (uint64_t)o->batch);
		json_obj_begin(&j, "throughput");
		json_u64(&j, "messages", (uint64_t)o->count);
		json_f64(&j, "seconds", secs);
		json_f64(&j, "msgs_per_s", rate);
		json_f64(&j, "bytes_per_s", rate * (double)o->size);
		json_obj_end(&j);
		json_obj_begin(&j, "latency_ns");
		json_u64(&j, "rounds", (uint64_t)res->nrtt);
		json_f64(&j, "p50", pct(res, 0.5));
		json_f64(&j, "p99", pct(res, 0.99));
		json_f64(&j, "p999", pct(res, 0.999));
		json_f64(&j, "max", pct(res, 1.0));
		json_obj_end(&j);
		json_str(&j, "wait", wait_name[o->wait]);
		json_obj_begin(&j, "doorbell");
		json_u64(&j, "records", st.produced);
		json_u64(&j, "notifications", db.prod_notified);
		json_u64(&j, "receiver_sleeps", db.cons_sleeps);
		json_f64(&j, "notifications_per_record", st.produced ?
			 (double)db.prod_notified / (double)st.produced : 0);
		json_obj_end(&j);
		if (res->idle_cpu_ms >= 0)
			json_f64(&j, "idle_receiver_cpu_ms", res->idle_cpu_ms);
		json_obj_end(&j);
		json_finish(&j);
		return;
	}
	printf("region %s: %s ring of %" PRIu64 " %s, %lld-byte messages, batch %lld\n",
	       xshm_region_name(s->r), o->var ? "variable-length" : "fixed-slot",
	       st.capacity, o->var ? "data bytes" : "slots", o->size, o->batch);
	printf("throughput: %lld messages in %.3f s: %.2f M msgs/s, %.1f MB/s\n",
	       o->count, secs, rate / 1e6, rate * (double)o->size / 1e6);
	printf("latency, one way (half a round trip), %lld rounds: p50 %.0f ns, p99 %.0f ns, p99.9 %.0f ns, max %.0f ns\n",
	       res->nrtt, pct(res, 0.5), pct(res, 0.99), pct(res, 0.999),
	       pct(res, 1.0));
	printf("wait %s: %" PRIu64 " notifications for %" PRIu64
	       " records (%.5f per record), receiver slept %" PRIu64 " times\n",
	       wait_name[o->wait], db.prod_notified, st.produced,
	       st.produced ? (double)db.prod_notified / (double)st.produced : 0,
	       db.cons_sleeps);
	if (res->idle_cpu_ms >= 0)
		printf("idle receiver: %.1f ms of CPU in %lld s\n",
		       res->idle_cpu_ms, o->idle_s);
}

static int run_side(const struct opts *o, struct xshm_region *r, bool is_sender,
		    int cpu)
{
	struct side s = { .r = r, .o = o };
	struct results res = { 0 };
	int ret, rc = EXIT_OK;

	s.stride = msg_stride(o);
	s.buf = calloc((size_t)o->batch, s.stride);
	res.rtt = calloc((size_t)o->rounds, sizeof(*res.rtt));
	if (!s.buf || !res.rtt) {
		msg("out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (pin(cpu)) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (is_sender) {
		ret = attach(&s, true);
		if (!ret)
			ret = sender(&s, &res);
		if (!ret)
			report(o, &s, &res);
	} else {
		ret = receiver(&s);
	}
	if (ret == -ETIMEDOUT) {
		msg("%s: no answer from the %s within %lld ms",
		    is_sender ? "sender" : "receiver",
		    is_sender ? "receiver" : "sender", o->timeout_ms);
		rc = EXIT_TIMEOUT;
	} else if (ret) {
		rc = exit_for(ret, is_sender ? "sender" : "receiver");
	}
out:
	detach(&s);
	free(s.buf);
	free(res.rtt);
	return rc;
}

static int parse_cpus(const char *arg, int cpu[2])
{
	long long a, b = -1;
	char first[32];
	const char *comma = strchr(arg, ',');

	if (comma) {
		if ((size_t)(comma - arg) >= sizeof(first))
			return -1;
		memcpy(first, arg, (size_t)(comma - arg));
		first[comma - arg] = '\0';
		if (!parse_int(comma + 1, 0, &b) || b >= CPU_SETSIZE)
			return -1;
	} else {
		snprintf(first, sizeof(first), "%s", arg);
	}
	if (!parse_int(first, 0, &a) || a >= CPU_SETSIZE)
		return -1;
	cpu[0] = (int)a;
	cpu[1] = (int)b;
	return 0;
}

/* the first two CPUs we may run on (-1 where there is none) */
static void default_cpus(int cpu[2])
{
	cpu_set_t set;
	int n = 0;

	cpu[0] = cpu[1] = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	if (n < 2)
		cpu[0] = cpu[1] = -1;	/* one CPU: let the scheduler share it */
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "ring", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'l' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "role", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 't' },
		{ "create", required_argument, NULL, 'C' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "wait", required_argument, NULL, 'w' },
		{ "idle", required_argument, NULL, 'I' },
		{ "gap", required_argument, NULL, 'g' },
		CLI_LONGOPTS,
		{ 0 }
	};
	bool cpus_given = false;
	int c;

	while ((c = getopt_long(argc, argv, "r:s:b:n:l:c:t:C:fjw:" CLI_SHORTOPTS, longopts,
				NULL)) != -1) {
		switch (c) {
		case 'r':
			if (strcmp(optarg, "fixed") && strcmp(optarg, "var"))
				return usage_error("--ring is fixed or var, not \"%s\"", optarg);
			o->var = !strcmp(optarg, "var");
			break;
		case 's':
			if (!parse_int(optarg, 8, &o->size) || o->size > 65536)
				return usage_error("--size needs 8..65536, not \"%s\"", optarg);
			break;
		case 'b':
			if (!parse_int(optarg, 1, &o->batch) || o->batch > BATCH_MAX)
				return usage_error("--batch needs 1..%d, not \"%s\"", BATCH_MAX, optarg);
			break;
		case 'n':
			if (!parse_int(optarg, 1, &o->count))
				return usage_error("--count needs a positive number, not \"%s\"", optarg);
			break;
		case 'l':
			if (!parse_int(optarg, 1, &o->rounds) || o->rounds > 100000000)
				return usage_error("--rounds needs 1..1e8, not \"%s\"", optarg);
			break;
		case 'c':
			if (parse_cpus(optarg, o->cpu))
				return usage_error("--cpus needs A or A,B (CPU numbers), not \"%s\"", optarg);
			cpus_given = true;
			break;
		case 'R':
			if (!strcmp(optarg, "both")) {
				o->role = ROLE_BOTH;
			} else if (!strcmp(optarg, "send")) {
				o->role = ROLE_SEND;
			} else if (!strcmp(optarg, "recv")) {
				o->role = ROLE_RECV;
			} else {
				return usage_error("--role is both, send or recv, not \"%s\"", optarg);
			}
			break;
		case 't':
			if (!parse_int(optarg, 1, &o->timeout_ms) ||
			    o->timeout_ms > INT32_MAX)
				return usage_error("--timeout needs positive milliseconds, not \"%s\"", optarg);
			break;
		case 'C':
			if (!parse_size(optarg, &o->create) || !o->create)
				return usage_error("--create needs a size, not \"%s\"", optarg);
			break;
		case 'f':
			o->force = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'w':
			if (!strcmp(optarg, "spin"))
				o->wait = WAIT_SPIN;
			else if (!strcmp(optarg, "poll"))
				o->wait = WAIT_POLL;
			else if (!strcmp(optarg, "doorbell"))
				o->wait = WAIT_DOORBELL;
			else
				return usage_error("--wait is spin, poll or doorbell, not \"%s\"", optarg);
			break;
		case 'I':
			if (!parse_int(optarg, 1, &o->idle_s) || o->idle_s > 3600)
				return usage_error("--idle needs 1..3600 seconds, not \"%s\"", optarg);
			break;
		case 'g':
			if (!parse_int(optarg, 1, &o->gap_us) || o->gap_us > 1000000)
				return usage_error("--gap needs 1..1000000 us, not \"%s\"", optarg);
			break;
		default:
			if (!cli_common_option(c, usage))
				return EXIT_USAGE;
			break;
		}
	}
	if (argc - optind != 1)
		return usage_error("one REGION expected");
	o->region = argv[optind];
	if (!cpus_given && o->role == ROLE_BOTH)
		default_cpus(o->cpu);
	/* one side here: --cpus A pins it */
	if (o->role == ROLE_RECV)
		o->cpu[1] = o->cpu[0];
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.size = 64, .batch = 1, .count = 1000000, .rounds = 10000,
		.timeout_ms = 10000, .cpu = { -1, -1 },
	};
	struct xshm_region *r;
	int rc, err, status;
	pid_t pid = -1;

	tool_init(argv);
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	err = xshm_region_open(o.region, o.create ? XSHM_OPEN_CREATE : 0,
			       o.create, &r);
	if (err)
		return region_open_error(o.region, err);
	if (o.role == ROLE_RECV) {
		rc = run_side(&o, r, false, o.cpu[1]);
		xshm_region_close(r);
		return rc;
	}
	err = lay_out(r, &o);
	if (err) {
		if (err == -ENOSPC) {
			msg("%s: too small for two rings of %lld-byte messages",
			    o.region, o.size);
			rc = EXIT_RUNTIME;
		} else {
			rc = exit_for(err, "layout");
		}
		xshm_region_close(r);
		return rc;
	}
	if (o.idle_s)	/* the receiver waits through the idle time */
		o.timeout_ms += o.idle_s * 1000;
	if (o.role == ROLE_BOTH && o.wait == WAIT_DOORBELL &&
	    (xshm_doorbell_pair(&db_out[0], &db_out[1]) ||
	     xshm_doorbell_pair(&db_back[0], &db_back[1]))) {
		msg("cannot make doorbells: %s", strerror(errno));
		xshm_region_close(r);
		return EXIT_RUNTIME;
	}
	if (o.role == ROLE_BOTH) {
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			msg("fork: %s", strerror(errno));
			xshm_region_close(r);
			return EXIT_RUNTIME;
		}
		if (pid == 0)
			_exit(run_side(&o, r, false, o.cpu[1]));
		receiver_pid = pid;
	}
	rc = run_side(&o, r, true, o.cpu[0]);
	if (pid > 0) {
		if (rc != EXIT_OK)
			kill(pid, SIGTERM);
		if (waitpid(pid, &status, 0) != pid)
			status = EXIT_RUNTIME << 8;
		if (rc == EXIT_OK && (!WIFEXITED(status) || WEXITSTATUS(status)))
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_RUNTIME;
	}
	xshm_region_close(r);
	return rc;
}
