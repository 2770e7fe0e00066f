// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Two real processes, one shared mapping (a file on /dev/shm that each
 * process opens and maps itself), two rings, one per direction:
 *   "a2b"  fixed 64-byte slots, A produces, B consumes
 *   "b2a"  variable-length records, B produces, A consumes
 * Each side sends N records while receiving N: every record carries its
 * number and a checksum of its body, and the body is a pure function of
 * the number, so the receiver detects loss, duplication, reordering and
 * corruption.  The API entry points alternate by record number so that
 * push/push_batch, pop/pop_batch, send/reserve+commit and recv/peek+release
 * all carry a share of the traffic.  FAIL policy: nothing may be lost.
 *
 * usage: duplex_stress [-n records_each_way] [-k] (-k keeps the file)
 */
#include <sched.h>
#include <sys/wait.h>

#include "stress_common.h"

#define SLOT_SIZE	64u
#define SLOT_BODY	(SLOT_SIZE - 16u)
#define FIXED_SLOTS	1024u
#define VAR_MAX		256u		/* largest record: header + body */
#define VAR_BODY_MAX	(VAR_MAX - 16u)
#define VAR_BYTES	16384u
#define REGION_SIZE	(256u * 1024u)
#define BATCH		16u

static const struct xshm_chan_spec chans[] = {
	{ "a2b", XSHM_CHAN_RING_FIXED, XSHM_FULL_FAIL, SLOT_SIZE, FIXED_SLOTS },
	{ "b2a", XSHM_CHAN_RING_VAR, XSHM_FULL_FAIL, VAR_MAX, VAR_BYTES },
};

struct hdr {
	uint64_t n;
	uint64_t sum;
};

struct side {
	struct xshm_ring *tx, *rx;
	uint64_t n, sent, received;
	uint64_t idle_rounds;
	uint32_t next_rec_seq;	/* expected xshm_record.seq (var ring) */
	int have_rec_seq;
};

static void fill_record(void *buf, size_t body_len, uint64_t n)
{
	struct hdr h;

	stress_body((uint8_t *)buf + sizeof(h), body_len, n, 1);
	h.n = n;
	h.sum = stress_sum((uint8_t *)buf + sizeof(h), body_len, n);
	memcpy(buf, &h, sizeof(h));
}

/* Check one record (copied out of shared memory) against its number. */
static void check_record(const void *buf, size_t len, uint64_t expect,
			 const char *ring)
{
	uint8_t want[VAR_MAX];
	struct hdr h;

	if (len < sizeof(h))
		stress_die("%s: record %llu too short (%zu bytes)", ring,
			   (unsigned long long)expect, len);
	memcpy(&h, buf, sizeof(h));
	if (h.n != expect)
		stress_die("%s: got record %llu, expected %llu (%s)", ring,
			   (unsigned long long)h.n, (unsigned long long)expect,
			   h.n < expect ? "duplicate/reordered" : "loss");
	if (h.sum != stress_sum((const uint8_t *)buf + sizeof(h),
				len - sizeof(h), h.n))
		stress_die("%s: record %llu checksum mismatch", ring,
			   (unsigned long long)h.n);
	fill_record(want, len - sizeof(h), expect);
	if (memcmp(want, buf, len))
		stress_die("%s: record %llu body differs", ring,
			   (unsigned long long)h.n);
}

static void check_var_meta(struct side *s, const struct xshm_record *rec)
{
	if (s->have_rec_seq && rec->seq != s->next_rec_seq)
		stress_die("b2a: record seq %u, expected %u", rec->seq,
			   s->next_rec_seq);
	if (rec->lost)
		stress_die("b2a: %llu records reported lost on a FAIL ring",
			   (unsigned long long)rec->lost);
	s->next_rec_seq = rec->seq + 1;
	s->have_rec_seq = 1;
}

/* A: fixed-slot producer, one by one or in batches */
static int a_produce(struct side *s)
{
	uint8_t slots[BATCH][SLOT_SIZE];
	unsigned int i, want;
	int ret;

	if (s->sent >= s->n)
		return 0;
	if ((s->sent >> 8) & 1) {
		want = s->n - s->sent < BATCH ? (unsigned int)(s->n - s->sent) : BATCH;
		for (i = 0; i < want; i++)
			fill_record(slots[i], SLOT_BODY, s->sent + i);
		ret = xshm_ring_push_batch(s->tx, slots, want);
		STRESS_CHECK(ret);
		if ((unsigned int)ret > want)
			stress_die("push_batch pushed %d of %u", ret, want);
		s->sent += (unsigned int)ret;
		return ret;
	}
	fill_record(slots[0], SLOT_BODY, s->sent);
	ret = xshm_ring_push(s->tx, slots[0]);
	if (ret == -EAGAIN)
		return 0;
	STRESS_CHECK(ret);
	s->sent++;
	return 1;
}

/* B: fixed-slot consumer, one by one or in batches */
static int b_consume(struct side *s)
{
	uint8_t slots[BATCH][SLOT_SIZE];
	int ret, i;

	if (s->received >= s->n)
		return 0;
	if ((s->received >> 9) & 1) {
		ret = xshm_ring_pop_batch(s->rx, slots, BATCH);
		STRESS_CHECK(ret);
		if (ret > (int)BATCH)
			stress_die("pop_batch returned %d > %u", ret, BATCH);
		for (i = 0; i < ret; i++)
			check_record(slots[i], SLOT_SIZE, s->received++, "a2b");
		if (s->received > s->n)
			stress_die("a2b: more than %llu records",
				   (unsigned long long)s->n);
		return ret;
	}
	ret = xshm_ring_pop(s->rx, slots[0]);
	if (ret == -EAGAIN)
		return 0;
	STRESS_CHECK(ret);
	check_record(slots[0], SLOT_SIZE, s->received++, "a2b");
	return 1;
}

/* B: variable-length producer, send or several reserves per commit */
static int b_produce(struct side *s)
{
	uint8_t buf[VAR_MAX];
	unsigned int k, reserved = 0;
	size_t len;
	void *p;
	int ret;

	if (s->sent >= s->n)
		return 0;
	if ((s->sent >> 7) & 1) {
		for (k = 0; k < 4 && s->sent + reserved < s->n; k++) {
			len = 16 + stress_var_len(s->sent + reserved, VAR_BODY_MAX);
			ret = xshm_ring_reserve(s->tx, len, &p);
			if (ret == -EAGAIN)
				break;
			STRESS_CHECK(ret);
			fill_record(buf, len - 16, s->sent + reserved);
			memcpy(p, buf, len);
			reserved++;
		}
		if (!reserved)
			return 0;
		STRESS_CHECK(xshm_ring_commit(s->tx));
		s->sent += reserved;
		return (int)reserved;
	}
	len = 16 + stress_var_len(s->sent, VAR_BODY_MAX);
	fill_record(buf, len - 16, s->sent);
	ret = xshm_ring_send(s->tx, buf, len);
	if (ret == -EAGAIN)
		return 0;
	STRESS_CHECK(ret);
	s->sent++;
	return 1;
}

/* A: variable-length consumer, recv or several peeks per release */
static int a_consume(struct side *s)
{
	uint8_t buf[VAR_MAX];
	struct xshm_record rec;
	ssize_t len;
	int ret, k;

	if (s->received >= s->n)
		return 0;
	if ((s->received >> 8) & 1) {
		for (k = 0; k < 8; k++) {
			ret = xshm_ring_peek(s->rx, &rec);
			if (ret == -EAGAIN)
				break;
			STRESS_CHECK(ret);
			if (rec.len > VAR_MAX)
				stress_die("b2a: peeked %u bytes > %u", rec.len,
					   VAR_MAX);
			memcpy(buf, rec.data, rec.len);
			check_var_meta(s, &rec);
			check_record(buf, rec.len, s->received++, "b2a");
		}
		if (!k)
			return 0;
		STRESS_CHECK(xshm_ring_release(s->rx));
		return k;
	}
	len = xshm_ring_recv(s->rx, buf, sizeof(buf), &rec);
	if (len == -EAGAIN)
		return 0;
	STRESS_CHECK((int)len);
	if ((size_t)len != rec.len || rec.data != buf)
		stress_die("recv returned %zd, rec.len %u", len, rec.len);
	check_var_meta(s, &rec);
	check_record(buf, (size_t)len, s->received++, "b2a");
	return 1;
}

static void check_stats(struct xshm_ring *ring, const char *name, uint64_t n)
{
	struct xshm_ring_stats st;

	STRESS_CHECK(xshm_ring_stats(ring, &st));
	if (st.produced != n || st.dropped || st.overwritten || st.corrupt ||
	    st.fill)
		stress_die("%s stats: produced %llu (want %llu) dropped %llu overwritten %llu corrupt %llu fill %llu",
			   name, (unsigned long long)st.produced,
			   (unsigned long long)n, (unsigned long long)st.dropped,
			   (unsigned long long)st.overwritten,
			   (unsigned long long)st.corrupt,
			   (unsigned long long)st.fill);
}

static void run_side(const char *path, int is_a, uint64_t n)
{
	struct xshm_region *r;
	struct side s = { .n = n };
	int progress;

	STRESS_CHECK(xshm_region_open_path(path, 0, 0, &r));
	STRESS_CHECK(xshm_layout_check(r));
	STRESS_CHECK(xshm_ring_attach(r, is_a ? "a2b" : "b2a", XSHM_PRODUCER,
				      &s.tx));
	STRESS_CHECK(xshm_ring_attach(r, is_a ? "b2a" : "a2b", XSHM_CONSUMER,
				      &s.rx));
	while (s.sent < n || s.received < n) {
		if (is_a)
			progress = a_produce(&s) + a_consume(&s);
		else
			progress = b_produce(&s) + b_consume(&s);
		/* two busy processes on two shared cores: let the peer run */
		if (!progress) {
			s.idle_rounds++;
			sched_yield();
		}
	}
	/* the peer may still be receiving: only our received side is final */
	check_stats(s.rx, is_a ? "b2a" : "a2b", n);
	printf("# side %s: sent %llu received %llu idle rounds %llu\n",
	       is_a ? "A" : "B", (unsigned long long)s.sent,
	       (unsigned long long)s.received,
	       (unsigned long long)s.idle_rounds);
	fflush(stdout);
	xshm_ring_detach(s.tx);
	xshm_ring_detach(s.rx);
	xshm_region_close(r);
}

int main(int argc, char **argv)
{
	char path[STRESS_PATH_MAX];
	struct xshm_region *r;
	uint64_t n = 10000000, t0;
	int opt, keep = 0, status;
	pid_t pid;
	double secs;

	while ((opt = getopt(argc, argv, "n:k")) != -1) {
		if (opt == 'n')
			n = stress_count(optarg);
		else if (opt == 'k')
			setenv("XSHM_STRESS_KEEP", "1", 1), keep = 1;
		else
			stress_die("usage: %s [-n records] [-k]", argv[0]);
	}
	stress_tmp_file(path, "duplex");
	STRESS_CHECK(xshm_region_open_path(path, XSHM_OPEN_CREATE, REGION_SIZE,
					   &r));
	STRESS_CHECK(xshm_layout_init(r, chans, 2, 0));
	xshm_region_close(r);

	t0 = stress_now_ns();
	fflush(stdout);
	pid = stress_fork();
	if (pid < 0)
		stress_die("fork: %s", strerror(errno));
	if (pid == 0) {
		run_side(path, 0, n);
		exit(0);
	}
	run_side(path, 1, n);
	if (waitpid(pid, &status, 0) != pid)
		stress_die("waitpid: %s", strerror(errno));
	if (!keep)
		unlink(path);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		stress_die("side B failed (status 0x%x)", status);
	secs = (double)(stress_now_ns() - t0) / 1e9;
	printf("# %llu records each way (fixed a2b, variable b2a) in %.2f s, %.2f M records/s total\n",
	       (unsigned long long)n, secs, 2.0 * (double)n / secs / 1e6);
	return 0;
}
