// SPDX-License-Identifier: GPL-2.0
/*
 * One side of the Xen end-to-end exchange: a producer in one domU sends
 * numbered, checksummed records through a libxshm ring in a static shared
 * memory region; a consumer in another domU checks every one of them.
 *
 *   xen-exchange produce REGION COUNT [FIRST]  send records FIRST.. (default 0)
 *   xen-exchange consume REGION COUNT [FIRST]  receive and verify them
 *   xen-exchange expect COUNT [FIRST]          the digest a consumer must get
 *
 * The layout is initialised once and kept; a side that stops and runs again
 * with FIRST = where it stopped must resume seamlessly, the other side
 * undisturbed (the restart rule of the design).
 *
 * REGION is anything xshm_region_open() takes (a xen,id name in the
 * guests, a plain file on the host).  Each side prints key=value lines;
 * the consumer's digest is compared on the host with "expect", computed
 * natively by the same generator, so nothing is hard-coded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xshm.h"

#define CHANNEL		"xen-e2e"
#define RING_BYTES	65536u
#define HDR_BYTES	12u	/* u64 seq + u32 length */
#define SUM_BYTES	8u	/* trailing FNV-1a 64 of everything before */
#define MAX_PAYLOAD	240u
#define MAX_RECORD	(HDR_BYTES + MAX_PAYLOAD + SUM_BYTES)
#define WAIT_MS		120000	/* generous: TCG under Xen is slow */

static const struct xshm_chan_spec spec = {
	.name = CHANNEL,
	.type = XSHM_CHAN_RING_VAR,
	.policy = XSHM_FULL_FAIL,
	.elem_size = MAX_RECORD,
	.capacity = RING_BYTES,
};

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ull

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Record number seq, deterministic in length and content; returns its size. */
static size_t make_record(uint64_t seq, unsigned char *buf)
{
	uint32_t len = (uint32_t)((seq * 7919u) % (MAX_PAYLOAD + 1));
	uint64_t x = seq * 0x9e3779b97f4a7c15ull + 1;
	uint64_t sum;
	uint32_t i;

	memcpy(buf, &seq, 8);
	memcpy(buf + 8, &len, 4);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[HDR_BYTES + i] = (unsigned char)x;
	}
	sum = fnv1a(FNV_INIT, buf, HDR_BYTES + len);
	memcpy(buf + HDR_BYTES + len, &sum, SUM_BYTES);
	return HDR_BYTES + len + SUM_BYTES;
}

static int fail(const char *what, int err)
{
	printf("error=%s:%s\n", what, xshm_strerror(err));
	return 1;
}

static int produce(const char *name, uint64_t first, uint64_t count)
{
	unsigned char rec[MAX_RECORD];
	struct xshm_region *r = NULL;
	struct xshm_ring *ring = NULL;
	uint64_t seq, full = 0;
	double t0, deadline;
	int rc = 1, ret;

	ret = xshm_region_open(name, 0, 0, &r);
	if (ret) {
		r = NULL;
		rc = fail("open", ret);
		goto out;
	}
	ret = xshm_layout_init(r, &spec, 1, 0);
	if (ret < 0) {
		rc = fail("layout_init", ret);
		goto out;
	}
	printf("layout=%s generation=%" PRIu64 "\n", ret ? "kept" : "fresh",
	       xshm_layout_generation(r));
	ret = xshm_ring_attach(r, CHANNEL, XSHM_PRODUCER, &ring);
	if (ret) {
		ring = NULL;
		rc = fail("attach", ret);
		goto out;
	}

	t0 = now();
	deadline = t0 + WAIT_MS / 1000.0;
	for (seq = first; seq < first + count; seq++) {
		size_t n = make_record(seq, rec);

		/* The consumer polls; a full ring just means it is behind. */
		while ((ret = xshm_ring_send(ring, rec, n)) == -EAGAIN) {
			full++;
			if (now() > deadline) {
				rc = fail("send-timeout", -ETIMEDOUT);
				goto out;
			}
			usleep(100);
		}
		if (ret) {
			rc = fail("send", ret);
			goto out;
		}
	}
	printf("produced=%" PRIu64 " next=%" PRIu64 " full_waits=%" PRIu64
	       " seconds=%.3f\n", seq - first, seq, full, now() - t0);
	rc = 0;
out:
	if (ring)
		xshm_ring_detach(ring);
	if (r)
		xshm_region_close(r);
	return rc;
}

/* Checks one received record against what the producer must have sent. */
static int check_record(uint64_t want, const unsigned char *got, size_t n)
{
	unsigned char exp[MAX_RECORD];
	size_t en = make_record(want, exp);

	return n == en && memcmp(got, exp, n) == 0;
}

static int consume(const char *name, uint64_t first, uint64_t count)
{
	unsigned char buf[MAX_RECORD];
	struct xshm_ring_stats st;
	struct xshm_region *r = NULL;
	struct xshm_ring *ring = NULL;
	struct xshm_record rec;
	uint64_t seq, bad = 0, lost = 0, digest = FNV_INIT;
	double t0;
	int rc = 1, ret;

	ret = xshm_region_open(name, 0, 0, &r);
	if (ret) {
		r = NULL;
		rc = fail("open", ret);
		goto out;
	}
	ret = xshm_layout_wait(r, WAIT_MS);
	if (ret) {
		rc = fail("layout_wait", ret);
		goto out;
	}
	ret = xshm_ring_attach(r, CHANNEL, XSHM_CONSUMER, &ring);
	if (ret) {
		ring = NULL;
		rc = fail("attach", ret);
		goto out;
	}

	t0 = now();
	for (seq = first; seq < first + count; seq++) {
		uint32_t n;

		ret = xshm_ring_peek_wait(ring, &rec, WAIT_MS);
		if (ret) {
			rc = fail("peek_wait", ret);
			goto out;
		}
		lost += rec.lost;
		/* Copy out of shared memory once, then judge only the copy. */
		n = rec.len;
		if (n > sizeof(buf)) {
			bad++;
			n = 0;
		}
		memcpy(buf, rec.data, n);
		ret = xshm_ring_release(ring);
		if (ret) {
			rc = fail("release", ret);
			goto out;
		}
		if (!check_record(seq, buf, n))
			bad++;
		digest = fnv1a(digest, buf, n);
	}
	ret = xshm_ring_stats(ring, &st);
	if (ret) {
		rc = fail("stats", ret);
		goto out;
	}
	printf("consumed=%" PRIu64 " bad=%" PRIu64 " lost=%" PRIu64
	       " corrupt=%" PRIu64 " digest=%016" PRIx64 " seconds=%.3f\n",
	       seq - first, bad, lost, st.corrupt, digest, now() - t0);
	rc = bad || lost || st.corrupt;
out:
	if (ring)
		xshm_ring_detach(ring);
	if (r)
		xshm_region_close(r);
	return rc;
}

static int expect(uint64_t first, uint64_t count)
{
	unsigned char buf[MAX_RECORD];
	uint64_t seq, digest = FNV_INIT;

	for (seq = first; seq < first + count; seq++)
		digest = fnv1a(digest, buf, make_record(seq, buf));
	printf("digest=%016" PRIx64 "\n", digest);
	return 0;
}

/* Optional FIRST argument; 0 when absent. */
static uint64_t arg_first(int argc, char **argv, int i)
{
	return i < argc ? strtoull(argv[i], NULL, 0) : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "expect"))
		return expect(arg_first(argc, argv, 3), strtoull(argv[2], NULL, 0));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "produce"))
		return produce(argv[2], arg_first(argc, argv, 4),
			       strtoull(argv[3], NULL, 0));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "consume"))
		return consume(argv[2], arg_first(argc, argv, 4),
			       strtoull(argv[3], NULL, 0));
	fprintf(stderr, "usage: %s produce|consume REGION COUNT [FIRST] | expect COUNT [FIRST]\n",
		argv[0]);
	return 2;
}
