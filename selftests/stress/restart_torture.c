// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kill -9 the producer or the consumer of a variable-length ring at random
 * points, again and again, restart it, and check at the end that every
 * committed record arrived exactly once and in order (FAIL policy), or
 * that the records missing are exactly those the library counted as lost
 * (DROP, OVERWRITE).
 *
 *   restart_torture -p fail|drop|overwrite [-k kills] [-s seed] [-d max_delay_us]
 *
 * The supervisor (this program without a role) creates the region, then
 * fork/execs itself as "producer" and "consumer", and repeatedly sleeps a
 * random time, SIGKILLs one of them (chosen at random) and starts a new
 * incarnation.  After the kills it asks the producer to stop, waits for the
 * consumer to drain the ring, and checks the consumer's output file.
 *
 * Channels: "log" the ring; "cmd" (LATCH, supervisor -> producer: stop);
 * "done" (SEQLOCK, producer -> consumer: total records numbered).
 *
 * Records: record number n is the ring's seq (the producer starts each
 * batch at xshm_ring_next_seq(), the library's committed resume point, and
 * counts up per reservation and per drop), and its
 * contents are a pure function of n, so whichever incarnation sends n
 * sends the same bytes.  Numbers are 32-bit (the ring's seq): a run stays
 * far below 2^32 records.
 *
 * Exactly-once argument (consumer).  The output file is the consumer's
 * durable state; the ring's released position is the library's.  For each
 * record the consumer (1) peeks it, (2) copies and verifies it, (3) appends
 * its entry to the file with one write() of 16 bytes (an aligned entry
 * within a page: a SIGKILL cannot leave part of it), then (4) releases it.
 * A kill before (3) leaves the record unreleased and unwritten: the next
 * incarnation peeks it again and writes it.  A kill between (3) and (4)
 * leaves it written but unreleased: the next incarnation peeks it again,
 * and since it reads the number of the last entry from the file at start,
 * it sees n <= last and releases it without writing.  Only one record is
 * ever between (3) and (4), so at most the first record after a restart is
 * such a duplicate.  Nothing is released before it is written, so nothing
 * is lost; nothing is written twice, so nothing is duplicated.
 *
 * OVERWRITE adds a third party: the producer may overwrite a record while
 * the consumer holds it.  The copy is then possibly torn, and release
 * returns -ESTALE: the library counts that record as lost.  The consumer
 * writes only copies whose checksum verifies, and if release says -ESTALE
 * it takes the entry back (ftruncate).  A kill between that -ESTALE and
 * the ftruncate would leave an entry for a record counted lost; the next
 * record's "lost" field closes that window: it covers the record numbers
 * [seq - lost, seq), so a restarted consumer that finds its last entry in
 * that range takes it back too.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "stress_common.h"

#define VAR_MAX		256u
#define VAR_BODY_MAX	(VAR_MAX - 16u)
#define RING_BYTES	4096u
#define REGION_SIZE	(64u * 1024u)

struct hdr {
	uint64_t n;
	uint64_t sum;
};

/* one consumer output entry: 16 bytes, aligned, written with one write() */
struct entry {
	uint32_t n;
	uint32_t lost;		/* the record's "lost" field */
	uint64_t sum;
};

struct cmd_msg {
	uint64_t stop;
};

struct done_msg {
	uint64_t done;
	uint64_t total;		/* next_seq when the producer stopped */
};

static int policy;

static const char *policy_name(int p)
{
	return p == XSHM_FULL_FAIL ? "fail" :
	       p == XSHM_FULL_DROP ? "drop" : "overwrite";
}

static size_t record_len(uint32_t n)
{
	return 16 + stress_var_len(n, VAR_BODY_MAX);
}

static void fill_record(void *buf, size_t len, uint32_t n)
{
	struct hdr h;

	stress_body((uint8_t *)buf + sizeof(h), len - sizeof(h), n, 3);
	h.n = n;
	h.sum = stress_sum((uint8_t *)buf + sizeof(h), len - sizeof(h), n);
	memcpy(buf, &h, sizeof(h));
}

/* 1 if buf holds exactly record n as the producer made it */
static int record_ok(const void *buf, size_t len, uint32_t n)
{
	uint8_t want[VAR_MAX];

	if (len != record_len(n))
		return 0;
	fill_record(want, len, n);
	return !memcmp(want, buf, len);
}

static uint64_t record_sum(uint32_t n)
{
	struct hdr h;
	uint8_t buf[VAR_MAX];

	fill_record(buf, record_len(n), n);
	memcpy(&h, buf, sizeof(h));
	return h.sum;
}

/* ---- producer ----------------------------------------------------------- */

static int stop_requested(struct xshm_seqlock *cmd)
{
	struct cmd_msg m;
	int ret = xshm_seqlock_read(cmd, &m, sizeof(m), NULL, 5000);

	if (ret == -ENODATA)	/* never written: no stop yet */
		return 0;
	STRESS_CHECK(ret);
	return m.stop == 1;
}

/*
 * Batches of 1-4 reservations per commit; now and then a pause before the
 * commit, so that kills also land between reserve and commit (those
 * records were never committed: their numbers are reused on restart).
 */
static int run_producer(const char *path)
{
	struct xshm_seqlock *cmd, *done;
	struct done_msg dm = { 0 };
	struct xshm_region *r;
	struct xshm_ring *ring;
	uint64_t batches = 0;
	unsigned int k, want, pending;
	uint32_t n;
	size_t len;
	void *p;
	int ret, full;

	STRESS_CHECK(xshm_region_open_path(path, 0, 0, &r));
	STRESS_CHECK(xshm_ring_attach(r, "log", XSHM_PRODUCER, &ring));
	STRESS_CHECK(xshm_seqlock_attach(r, "cmd", XSHM_CONSUMER, 0, &cmd));
	STRESS_CHECK(xshm_seqlock_attach(r, "done", XSHM_PRODUCER, 0, &done));
	for (;;) {
		if ((batches & 15) == 0 && stop_requested(cmd))
			break;
		batches++;
		want = 1 + (unsigned int)(stress_mix(batches) & 3);
		pending = 0;
		full = 0;
		/* the committed resume point; reservations then count up */
		n = xshm_ring_next_seq(ring);
		for (k = 0; k < want; k++, n++) {
			len = record_len(n);
			ret = xshm_ring_reserve(ring, len, &p);
			if (ret == -EAGAIN) {	/* FAIL: full, no number used */
				full = 1;
				break;
			}
			if (ret == -ENOBUFS && policy == XSHM_FULL_DROP) {
				full = 1;
				continue;	/* dropped: its number is a gap */
			}
			STRESS_CHECK(ret);
			fill_record(p, len, n);
			pending++;
		}
		if (pending && (batches & 31) == 0)
			stress_sleep_us(100);
		ret = xshm_ring_commit(ring);
		STRESS_CHECK(ret);
		if ((unsigned int)ret != pending)
			stress_die("commit published %d of %u records", ret,
				   pending);
		if (full)
			stress_sleep_us(20);
		/* lossy modes: do not lap a live consumer constantly */
		else if (policy != XSHM_FULL_FAIL && (batches & 3) == 0)
			stress_sleep_us(10);
	}
	dm.done = 1;
	dm.total = xshm_ring_next_seq(ring);
	STRESS_CHECK(xshm_seqlock_write(done, &dm, sizeof(dm), 0));
	xshm_seqlock_detach(cmd);
	xshm_seqlock_detach(done);
	xshm_ring_detach(ring);
	xshm_region_close(r);
	return 0;
}

/* ---- consumer ----------------------------------------------------------- */

struct out_file {
	int fd;
	off_t size;		/* whole entries only */
	int have_last;
	struct entry last;
};

static void out_open(struct out_file *o, const char *path)
{
	struct stat st;

	o->fd = open(path, O_RDWR | O_CREAT, 0600);
	if (o->fd < 0 || fstat(o->fd, &st))
		stress_die("%s: %s", path, strerror(errno));
	o->size = st.st_size - st.st_size % (off_t)sizeof(struct entry);
	o->have_last = 0;
	if (o->size) {
		if (pread(o->fd, &o->last, sizeof(o->last),
			  o->size - (off_t)sizeof(o->last)) !=
		    (ssize_t)sizeof(o->last))
			stress_die("read %s: %s", path, strerror(errno));
		o->have_last = 1;
	}
}

static void out_append(struct out_file *o, const struct entry *e)
{
	if (pwrite(o->fd, e, sizeof(*e), o->size) != (ssize_t)sizeof(*e))
		stress_die("write: %s", strerror(errno));
	o->size += (off_t)sizeof(*e);
	o->last = *e;
	o->have_last = 1;
}

/* take back the last entry: the library counted that record as lost */
static void out_retract(struct out_file *o)
{
	o->size -= (off_t)sizeof(struct entry);
	if (ftruncate(o->fd, o->size))
		stress_die("ftruncate: %s", strerror(errno));
	o->have_last = 0;
	if (o->size && pread(o->fd, &o->last, sizeof(o->last),
			     o->size - (off_t)sizeof(o->last)) ==
		       (ssize_t)sizeof(o->last))
		o->have_last = 1;
}

/* count an event by appending one byte to <out>.<what> (survives kills) */
static void note(const char *out_path, const char *what)
{
	char path[STRESS_PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s%s", out_path, what);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1)
		stress_die("%s: %s", path, strerror(errno));
	close(fd);
}

/* how many events were noted (and forget them) */
static uint64_t noted(const char *out_path, const char *what)
{
	char path[STRESS_PATH_MAX + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", out_path, what);
	if (stat(path, &st))
		return 0;
	unlink(path);
	return (uint64_t)st.st_size;
}

static int run_consumer(const char *path, const char *out_path)
{
	struct xshm_seqlock *done;
	struct done_msg dm = { 0 };
	struct xshm_record rec;
	struct xshm_region *r;
	struct xshm_ring *ring;
	struct out_file o;
	uint8_t buf[VAR_MAX];
	struct entry e;
	struct hdr h = { 0, 0 };
	int ret, finished = 0, first = 1;
	uint32_t lost_from;

	out_open(&o, out_path);
	STRESS_CHECK(xshm_region_open_path(path, 0, 0, &r));
	STRESS_CHECK(xshm_ring_attach(r, "log", XSHM_CONSUMER, &ring));
	STRESS_CHECK(xshm_seqlock_attach(r, "done", XSHM_CONSUMER, 0, &done));
	for (;;) {
		ret = xshm_ring_peek(ring, &rec);
		if (ret == -EAGAIN) {
			if (finished)
				break;
			ret = xshm_seqlock_read(done, &dm, sizeof(dm), NULL,
						5000);
			if (ret != -ENODATA)	/* not written yet */
				STRESS_CHECK(ret);
			/* committed before "done": visible to the next peek */
			finished = dm.done == 1;
			if (!finished)
				stress_sleep_us(20);
			continue;
		}
		STRESS_CHECK(ret);
		if (rec.len > VAR_MAX)
			stress_die("peeked a record of %u bytes", rec.len);
		memcpy(buf, rec.data, rec.len);

		/* written by the previous incarnation, not released: skip */
		if (o.have_last && (int32_t)(rec.seq - o.last.n) <= 0) {
			if (!first || rec.seq != o.last.n)
				stress_die("record %u again after %u (first after restart: %d)",
					   rec.seq, o.last.n, first);
			ret = xshm_ring_release(ring);
			if (ret == -ESTALE && policy == XSHM_FULL_OVERWRITE)
				out_retract(&o);
			else
				STRESS_CHECK(ret);
			first = 0;
			note(out_path, ".dedup");
			continue;
		}
		first = 0;
		/* records the library says were lost must not be in the file */
		lost_from = rec.seq - (uint32_t)rec.lost;
		while (rec.lost && o.have_last &&
		       (int32_t)(o.last.n - lost_from) >= 0) {
			if (policy != XSHM_FULL_OVERWRITE)
				stress_die("record %u counted lost (%llu before %u) but was received",
					   o.last.n, (unsigned long long)rec.lost,
					   rec.seq);
			out_retract(&o);
		}
		if (!record_ok(buf, rec.len, rec.seq)) {
			/* only an overwritten record may be torn, and then
			 * release must say so */
			ret = xshm_ring_release(ring);
			if (policy == XSHM_FULL_OVERWRITE && ret == -ESTALE)
				continue;
			memcpy(&h, buf, rec.len < sizeof(h) ? rec.len : sizeof(h));
			printf("# record at region offset %td, consumer file has %lld entries\n",
			       (const uint8_t *)rec.data -
			       (const uint8_t *)xshm_region_base(r),
			       (long long)(o.size / (off_t)sizeof(struct entry)));
			stress_die("record %u (%u bytes, %zu expected) corrupt: it holds record %llu, release %d",
				   rec.seq, rec.len, record_len(rec.seq),
				   (unsigned long long)h.n, ret);
		}
		e.n = rec.seq;
		e.lost = (uint32_t)rec.lost;
		e.sum = record_sum(rec.seq);
		out_append(&o, &e);
		/* now and then a slow step, so kills land here too */
		if ((rec.seq & 7) == 0)
			stress_sleep_us(100);
		ret = xshm_ring_release(ring);
		if (ret == -ESTALE && policy == XSHM_FULL_OVERWRITE) {
			out_retract(&o);
			note(out_path, ".retract");
			continue;
		}
		STRESS_CHECK(ret);
	}
	xshm_seqlock_detach(done);
	xshm_ring_detach(ring);
	xshm_region_close(r);
	close(o.fd);
	return 0;
}

/* ---- supervisor --------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state = stress_mix(rng_state);
	return rng_state;
}

static pid_t spawn(const char *self, const char *role, const char *region,
		   const char *out)
{
	pid_t pid;

	fflush(stdout);
	pid = stress_fork();
	if (pid < 0)
		stress_die("fork: %s", strerror(errno));
	if (pid == 0) {
		execl(self, self, "-r", role, "-p", policy_name(policy),
		      "-f", region, "-o", out, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* the victim must have died of our SIGKILL, nothing else */
static void reap_killed(pid_t pid, const char *role)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		stress_die("waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return;
	stress_die("%s exited with status 0x%x before it was killed", role,
		   status);
}

static void check_alive(pid_t pid, const char *role)
{
	int status;
	pid_t ret = waitpid(pid, &status, WNOHANG);

	if (ret == pid)
		stress_die("%s exited by itself (status 0x%x) during the kill phase",
			   role, status);
}

static void wait_ok(pid_t pid, const char *role, int timeout_s)
{
	uint64_t deadline = stress_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	int status;

	for (;;) {
		pid_t ret = waitpid(pid, &status, WNOHANG);

		if (ret == pid)
			break;
		if (stress_now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			stress_die("%s did not finish in %d s", role, timeout_s);
		}
		stress_sleep_us(2000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		stress_die("%s failed (status 0x%x)", role, status);
}

/* check the consumer's file against what the library counted */
static void verify(const char *region, const char *out, uint32_t base,
		   uint64_t kills[2])
{
	uint64_t received = 0, gaps = 0, counted;
	unsigned int shown = 0, i;
	char where[5][96];
	struct xshm_ring_stats st;
	struct done_msg dm;
	struct xshm_seqlock *done;
	struct xshm_region *r;
	struct xshm_ring *ring;
	struct entry e;
	uint32_t expect = base;
	FILE *f;

	STRESS_CHECK(xshm_region_open_path(region, 0, 0, &r));
	/* both sides are gone: the supervisor may read the shared counters */
	STRESS_CHECK(xshm_ring_attach(r, "log", XSHM_CONSUMER, &ring));
	STRESS_CHECK(xshm_ring_stats(ring, &st));
	STRESS_CHECK(xshm_seqlock_attach(r, "done", XSHM_CONSUMER, 0, &done));
	STRESS_CHECK(xshm_seqlock_read(done, &dm, sizeof(dm), NULL, 1000));
	if (dm.done != 1)
		stress_die("producer never reported done");

	f = fopen(out, "rb");
	if (!f)
		stress_die("%s: %s", out, strerror(errno));
	while (fread(&e, sizeof(e), 1, f) == 1) {
		if ((int32_t)(e.n - expect) < 0)
			stress_die("entry %llu: record %u after %u: duplicate or reordered",
				   (unsigned long long)received, e.n, expect - 1);
		if (e.sum != record_sum(e.n))
			stress_die("entry for record %u has a wrong checksum", e.n);
		if (e.lost != e.n - expect)
			stress_die("record %u: lost field %u but %u missing before it",
				   e.n, e.lost, e.n - expect);
		/* where records went missing, for a failure's diagnosis */
		if (e.n != expect && shown < 5)
			snprintf(where[shown++], sizeof(where[0]),
				 "# records %u..%u missing before record %u (lost field %u)\n",
				 expect, e.n - 1, e.n, e.lost);
		gaps += e.n - expect;
		expect = e.n + 1;
		received++;
	}
	fclose(f);
	if ((int32_t)((uint32_t)dm.total - expect) < 0)
		stress_die("received record %u beyond the total %llu", expect - 1,
			   (unsigned long long)dm.total);
	gaps += (uint32_t)dm.total - expect;
	counted = policy == XSHM_FULL_DROP ? st.dropped :
		  policy == XSHM_FULL_OVERWRITE ? st.overwritten : 0;
	printf("# policy %s: %llu kills (%llu producer, %llu consumer), %llu records numbered, %llu received, %llu missing, counted lost %llu (dropped %llu overwritten %llu), corrupt %llu\n",
	       policy_name(policy), (unsigned long long)(kills[0] + kills[1]),
	       (unsigned long long)kills[0], (unsigned long long)kills[1],
	       (unsigned long long)((uint32_t)dm.total - base),
	       (unsigned long long)received, (unsigned long long)gaps,
	       (unsigned long long)counted, (unsigned long long)st.dropped,
	       (unsigned long long)st.overwritten,
	       (unsigned long long)st.corrupt);
	if (gaps != counted) {
		for (i = 0; i < shown; i++)
			fputs(where[i], stdout);
		stress_die("%llu records missing but %llu counted lost",
			   (unsigned long long)gaps, (unsigned long long)counted);
	}
	if (policy == XSHM_FULL_FAIL && (st.dropped || st.overwritten))
		stress_die("FAIL ring counted losses");
	if (!received)
		stress_die("no record received: the test proved nothing");
	xshm_seqlock_detach(done);
	xshm_ring_detach(ring);
	xshm_region_close(r);
}

static int run_supervisor(const char *self, uint64_t nkills, uint64_t seed,
			  unsigned long max_delay_us)
{
	struct xshm_chan_spec chans[] = {
		{ "log", XSHM_CHAN_RING_VAR, (uint32_t)policy, VAR_MAX, RING_BYTES },
		{ "cmd", XSHM_CHAN_LATCH, 0, sizeof(struct cmd_msg), 0 },
		{ "done", XSHM_CHAN_SEQLOCK, 0, sizeof(struct done_msg), 0 },
	};
	char region[STRESS_PATH_MAX], out[STRESS_PATH_MAX];
	static const char *const roles[2] = { "producer", "consumer" };
	struct cmd_msg cm = { 1 };
	struct xshm_seqlock *cmd;
	struct xshm_region *r;
	struct xshm_ring *ring;
	uint64_t kills[2] = { 0, 0 }, k, t0;
	pid_t pid[2];
	uint32_t base;
	int v;

	rng_state = seed;
	stress_tmp_file(region, "restart");
	stress_tmp_file(out, "restart-out");
	STRESS_CHECK(xshm_region_open_path(region, XSHM_OPEN_CREATE,
					   REGION_SIZE, &r));
	STRESS_CHECK(xshm_layout_init(r, chans, 3, 0));
	STRESS_CHECK(xshm_ring_attach(r, "log", XSHM_PRODUCER, &ring));
	base = xshm_ring_next_seq(ring);
	xshm_ring_detach(ring);
	STRESS_CHECK(xshm_seqlock_attach(r, "cmd", XSHM_PRODUCER, 0, &cmd));

	t0 = stress_now_ns();
	for (v = 0; v < 2; v++)
		pid[v] = spawn(self, roles[v], region, out);
	for (k = 0; k < nkills; k++) {
		stress_sleep_us((unsigned long)(rng() % (max_delay_us + 1)));
		v = (int)(rng() & 1);
		check_alive(pid[!v], roles[!v]);
		if (kill(pid[v], SIGKILL))
			stress_die("kill: %s", strerror(errno));
		reap_killed(pid[v], roles[v]);
		kills[v]++;
		pid[v] = spawn(self, roles[v], region, out);
	}
	/*
	 * The last pair runs 200 ms before it is told to stop: on a loaded
	 * machine a sanitized process can take longer to start than the
	 * longest delay, and then no record would be checked at all.
	 */
	stress_sleep_us(200000);
	STRESS_CHECK(xshm_seqlock_write(cmd, &cm, sizeof(cm), 0));
	wait_ok(pid[0], "producer", 60);
	wait_ok(pid[1], "consumer", 60);
	printf("# %llu kills in %.2f s (seed %llu, delays 0..%lu us)\n",
	       (unsigned long long)nkills,
	       (double)(stress_now_ns() - t0) / 1e9, (unsigned long long)seed,
	       max_delay_us);
	xshm_seqlock_detach(cmd);
	xshm_region_close(r);
	verify(region, out, base, kills);
	printf("# consumer restarts that found their last record unreleased: %llu; entries taken back after -ESTALE: %llu\n",
	       (unsigned long long)noted(out, ".dedup"),
	       (unsigned long long)noted(out, ".retract"));
	unlink(region);
	unlink(out);
	return 0;
}

int main(int argc, char **argv)
{
	const char *role = NULL, *region = NULL, *out = NULL;
	uint64_t kills = 1000, seed = 0;
	unsigned long max_delay = 3000;
	int opt;

	policy = -1;
	while ((opt = getopt(argc, argv, "r:p:f:o:k:s:d:")) != -1) {
		switch (opt) {
		case 'r': role = optarg; break;
		case 'f': region = optarg; break;
		case 'o': out = optarg; break;
		case 'k': kills = stress_count(optarg); break;
		case 's': seed = stress_count(optarg); break;
		case 'd': max_delay = (unsigned long)stress_count(optarg); break;
		case 'p':
			policy = !strcmp(optarg, "fail") ? XSHM_FULL_FAIL :
				 !strcmp(optarg, "drop") ? XSHM_FULL_DROP :
				 !strcmp(optarg, "overwrite") ?
				 XSHM_FULL_OVERWRITE : -1;
			break;
		default:
			policy = -1;
			optind = argc;
		}
	}
	if (policy < 0)
		stress_die("usage: %s -p fail|drop|overwrite [-k kills] [-s seed] [-d max_delay_us]",
			   argv[0]);
	if (!role) {
		if (!seed)
			seed = stress_now_ns();
		return run_supervisor("/proc/self/exe", kills, seed, max_delay);
	}
	if (!region || !out)
		stress_die("role %s needs -f region -o out", role);
	if (!strcmp(role, "producer"))
		return run_producer(region);
	if (!strcmp(role, "consumer"))
		return run_consumer(region, out);
	stress_die("unknown role %s", role);
}
