// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A producer that never waits (the real-time side) against a slower
 * consumer, in two processes, on a small ring with a lossy full policy:
 *   -p drop       full ring: the new record is dropped and counted
 *   -p overwrite  full ring: the oldest records are overwritten and counted
 * on either ring shape (-t fixed | -t var).  Every record carries its
 * number and a checksum.  The consumer must see strictly increasing record
 * numbers, intact contents, and gaps that add up exactly to the shared
 * loss counter (and, for DROP, to the producer's own count of -ENOBUFS);
 * on variable rings each record's "lost" field must equal the gap before it.
 *
 * usage: lossy_stress -p drop|overwrite -t fixed|var [-n records]
 */
#include <sys/wait.h>

#include "stress_common.h"

#define SLOT_SIZE	64u
#define SLOT_BODY	(SLOT_SIZE - 16u)
#define FIXED_SLOTS	64u
#define VAR_MAX		256u
#define VAR_BODY_MAX	(VAR_MAX - 16u)
#define VAR_BYTES	4096u
#define REGION_SIZE	(64u * 1024u)

struct hdr {
	uint64_t n;
	uint64_t sum;
};

/* the producer's final word, published through a seqlock channel */
struct done_msg {
	uint64_t done;
	uint64_t attempts;
	uint64_t enobufs;
};

static int is_var, policy;

static void fill_record(void *buf, size_t body_len, uint64_t n)
{
	struct hdr h;

	stress_body((uint8_t *)buf + sizeof(h), body_len, n, 2);
	h.n = n;
	h.sum = stress_sum((uint8_t *)buf + sizeof(h), body_len, n);
	memcpy(buf, &h, sizeof(h));
}

static uint64_t check_record(const void *buf, size_t len)
{
	uint8_t want[VAR_MAX];
	struct hdr h;

	if (len < sizeof(h) || len > VAR_MAX)
		stress_die("record of %zu bytes", len);
	memcpy(&h, buf, sizeof(h));
	if (h.sum != stress_sum((const uint8_t *)buf + sizeof(h),
				len - sizeof(h), h.n))
		stress_die("record %llu checksum mismatch (torn or corrupt)",
			   (unsigned long long)h.n);
	fill_record(want, len - sizeof(h), h.n);
	if (memcmp(want, buf, len))
		stress_die("record %llu body differs", (unsigned long long)h.n);
	return h.n;
}

static size_t record_len(uint64_t n)
{
	return is_var ? 16 + stress_var_len(n, VAR_BODY_MAX) : SLOT_SIZE;
}

static void producer(const char *path, uint64_t n)
{
	struct done_msg msg = { 0 };
	struct xshm_seqlock *done;
	struct xshm_region *r;
	struct xshm_ring *ring;
	uint8_t buf[VAR_MAX];
	uint64_t i;
	size_t len;
	int ret;

	STRESS_CHECK(xshm_region_open_path(path, 0, 0, &r));
	STRESS_CHECK(xshm_ring_attach(r, "data", XSHM_PRODUCER, &ring));
	STRESS_CHECK(xshm_seqlock_attach(r, "done", XSHM_PRODUCER, 0, &done));
	for (i = 0; i < n; i++) {
		/* bursts with pauses: the consumer keeps up with most */
		if ((i & 63) == 63)
			stress_sleep_us(30);
		len = record_len(i);
		fill_record(buf, len - 16, i);
		ret = is_var ? xshm_ring_send(ring, buf, len) :
			       xshm_ring_push(ring, buf);
		if (ret == -ENOBUFS && policy == XSHM_FULL_DROP) {
			msg.enobufs++;
			continue;
		}
		STRESS_CHECK(ret);
	}
	msg.done = 1;
	msg.attempts = n;
	STRESS_CHECK(xshm_seqlock_write(done, &msg, sizeof(msg), 0));
	xshm_seqlock_detach(done);
	xshm_ring_detach(ring);
	xshm_region_close(r);
}

/* Take one record: returns 1 and its number, 0 if the ring is empty. */
static int take(struct xshm_ring *ring, uint64_t *num, uint64_t *lost)
{
	uint8_t buf[VAR_MAX];
	struct xshm_record rec;
	ssize_t len;
	int ret;

	if (is_var) {
		len = xshm_ring_recv(ring, buf, sizeof(buf), &rec);
		if (len == -EAGAIN)
			return 0;
		STRESS_CHECK((int)len);
		*num = check_record(buf, (size_t)len);
		*lost = rec.lost;
		if (rec.seq != (uint32_t)*num)
			stress_die("record %llu has seq %u",
				   (unsigned long long)*num, rec.seq);
		return 1;
	}
	ret = xshm_ring_pop(ring, buf);
	if (ret == -EAGAIN)
		return 0;
	STRESS_CHECK(ret);
	*num = check_record(buf, SLOT_SIZE);
	*lost = 0;
	return 1;
}

/*
 * Stop taking records until the producer has tried more records than the
 * ring holds (or has finished): a loss then happens whatever the timing,
 * even under TSan, where a fixed pause let the consumer keep up.
 */
static void stall_until_overflow(struct xshm_ring *ring,
				 struct xshm_seqlock *done)
{
	struct xshm_value_info info;
	struct xshm_ring_stats st;
	struct done_msg msg = { 0 };
	uint64_t start;
	int ret;

	STRESS_CHECK(xshm_ring_stats(ring, &st));
	start = st.produced + st.dropped;
	for (;;) {
		STRESS_CHECK(xshm_ring_stats(ring, &st));
		if (st.produced + st.dropped - start > st.capacity)
			return;
		ret = xshm_seqlock_read(done, &msg, sizeof(msg), &info, 5000);
		if (ret != -ENODATA)
			STRESS_CHECK(ret);
		if (msg.done == 1)
			return;
		stress_sleep_us(5);
	}
}

static void consumer(const char *path, uint64_t n)
{
	uint64_t num, lost, received = 0, gaps = 0, expect = 0, counted;
	uint64_t lost_field = 0, slow = 0;
	struct xshm_value_info info;
	struct done_msg msg = { 0 };
	struct xshm_ring_stats st;
	struct xshm_seqlock *done;
	struct xshm_region *r;
	struct xshm_ring *ring;
	int ret, finished = 0;

	STRESS_CHECK(xshm_region_open_path(path, 0, 0, &r));
	STRESS_CHECK(xshm_ring_attach(r, "data", XSHM_CONSUMER, &ring));
	STRESS_CHECK(xshm_seqlock_attach(r, "done", XSHM_CONSUMER, 0, &done));
	for (;;) {
		if (!take(ring, &num, &lost)) {
			if (finished)
				break;
			ret = xshm_seqlock_read(done, &msg, sizeof(msg), &info,
						5000);
			if (ret != -ENODATA)	/* -ENODATA: not written yet */
				STRESS_CHECK(ret);
			/* records pushed before "done" are visible: drain them */
			finished = msg.done == 1;
			stress_sleep_us(5);
			continue;
		}
		if (num < expect || num >= n)
			stress_die("record %llu after %llu (duplicate/reordered)",
				   (unsigned long long)num,
				   (unsigned long long)expect);
		if (is_var && lost != num - expect)
			stress_die("record %llu: lost field %llu, gap %llu",
				   (unsigned long long)num,
				   (unsigned long long)lost,
				   (unsigned long long)(num - expect));
		lost_field += lost;
		gaps += num - expect;
		expect = num + 1;
		received++;
		/* a slower consumer, so that the ring really overflows */
		if ((received & 8191) == 0) {
			slow++;
			stall_until_overflow(ring, done);
		}
	}
	if (msg.attempts != n)
		stress_die("producer reports %llu attempts, expected %llu",
			   (unsigned long long)msg.attempts,
			   (unsigned long long)n);
	printf("# consumer paused %llu times; lost fields add up to %llu\n",
	       (unsigned long long)slow, (unsigned long long)lost_field);
	gaps += n - expect;	/* the tail nobody saw */
	STRESS_CHECK(xshm_ring_stats(ring, &st));
	counted = policy == XSHM_FULL_DROP ? st.dropped : st.overwritten;
	printf("# %s %s: %llu records, %llu received, %llu lost by gaps, counter %llu (dropped %llu overwritten %llu), producer -ENOBUFS %llu, corrupt %llu\n",
	       is_var ? "var" : "fixed",
	       policy == XSHM_FULL_DROP ? "drop" : "overwrite",
	       (unsigned long long)n, (unsigned long long)received,
	       (unsigned long long)gaps, (unsigned long long)counted,
	       (unsigned long long)st.dropped,
	       (unsigned long long)st.overwritten,
	       (unsigned long long)msg.enobufs, (unsigned long long)st.corrupt);
	if (gaps != counted)
		stress_die("gaps %llu != loss counter %llu",
			   (unsigned long long)gaps, (unsigned long long)counted);
	if (policy == XSHM_FULL_DROP && (msg.enobufs != gaps || st.overwritten))
		stress_die("drop: producer saw %llu -ENOBUFS, gaps %llu, overwritten %llu",
			   (unsigned long long)msg.enobufs,
			   (unsigned long long)gaps,
			   (unsigned long long)st.overwritten);
	if (policy == XSHM_FULL_OVERWRITE && st.dropped)
		stress_die("overwrite ring counted %llu drops",
			   (unsigned long long)st.dropped);
	if (st.corrupt)
		stress_die("%llu corrupt values seen", (unsigned long long)st.corrupt);
	if (received + gaps != n)
		stress_die("received %llu + lost %llu != %llu",
			   (unsigned long long)received,
			   (unsigned long long)gaps, (unsigned long long)n);
	/* a test of losses must actually lose something */
	if (!gaps || !received)
		stress_die("no loss happened (%llu received): the test proved nothing",
			   (unsigned long long)received);
	xshm_seqlock_detach(done);
	xshm_ring_detach(ring);
	xshm_region_close(r);
}

int main(int argc, char **argv)
{
	struct xshm_chan_spec chans[2] = {
		{ "data", 0, 0, 0, 0 },
		{ "done", XSHM_CHAN_SEQLOCK, 0, sizeof(struct done_msg), 0 },
	};
	char path[STRESS_PATH_MAX];
	struct xshm_region *r;
	uint64_t n = 1000000;
	int opt, status;
	pid_t pid;

	policy = -1;
	is_var = -1;
	while ((opt = getopt(argc, argv, "p:t:n:")) != -1) {
		if (opt == 'p' && !strcmp(optarg, "drop"))
			policy = XSHM_FULL_DROP;
		else if (opt == 'p' && !strcmp(optarg, "overwrite"))
			policy = XSHM_FULL_OVERWRITE;
		else if (opt == 't' && !strcmp(optarg, "fixed"))
			is_var = 0;
		else if (opt == 't' && !strcmp(optarg, "var"))
			is_var = 1;
		else if (opt == 'n')
			n = stress_count(optarg);
		else
			policy = -2;
	}
	if (policy < 0 || is_var < 0)
		stress_die("usage: %s -p drop|overwrite -t fixed|var [-n records]",
			   argv[0]);
	chans[0].type = is_var ? XSHM_CHAN_RING_VAR : XSHM_CHAN_RING_FIXED;
	chans[0].policy = (uint32_t)policy;
	chans[0].elem_size = is_var ? VAR_MAX : SLOT_SIZE;
	chans[0].capacity = is_var ? VAR_BYTES : FIXED_SLOTS;

	stress_tmp_file(path, "lossy");
	STRESS_CHECK(xshm_region_open_path(path, XSHM_OPEN_CREATE, REGION_SIZE,
					   &r));
	STRESS_CHECK(xshm_layout_init(r, chans, 2, 0));
	xshm_region_close(r);

	fflush(stdout);
	pid = stress_fork();
	if (pid < 0)
		stress_die("fork: %s", strerror(errno));
	if (pid == 0) {
		producer(path, n);
		exit(0);
	}
	consumer(path, n);
	if (waitpid(pid, &status, 0) != pid)
		stress_die("waitpid: %s", strerror(errno));
	unlink(path);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		stress_die("producer failed (status 0x%x)", status);
	return 0;
}
