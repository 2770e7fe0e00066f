/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the libxshm unit tests: temporary file-backed regions
 * (real files on tmpfs, mapped by the real library), a monotonic clock and
 * raw access to the mapping for tests that play a hostile peer.
 *
 * Include after kselftest_harness.h.
 */
#ifndef XSHM_TEST_H
#define XSHM_TEST_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "xshm.h"

#define TEST_PATH_MAX 128

/* Where region files live: tmpfs (/dev/shm) like the real use, else $TMPDIR. */
static inline const char *test_tmp_dir(void)
{
	const char *dir = getenv("XSHM_TEST_DIR");

	if (dir && *dir)
		return dir;
	if (access("/dev/shm", W_OK) == 0)
		return "/dev/shm";
	dir = getenv("TMPDIR");
	return dir && *dir ? dir : "/tmp";
}

/*
 * Make an empty, uniquely named file and return 0, or -errno.  The caller
 * unlinks it.  An empty file is what a fresh region file looks like before
 * XSHM_OPEN_CREATE sizes it.
 */
static inline int test_tmp_file(char path[TEST_PATH_MAX])
{
	int fd;

	snprintf(path, TEST_PATH_MAX, "%s/xshm-test-XXXXXX", test_tmp_dir());
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * A fixture fx on a fresh region laid out with chans[nchans]: a producer
 * and a consumer attached to the ring variant->name, whose full policy the
 * variant also names (tests branch on it).  A file declares one fixture
 * per set of variants its tests apply to.
 */
#define TEST_RING_PAIR_FIXTURE(fx, region_size, chans, nchans)		\
FIXTURE(fx) {								\
	char path[TEST_PATH_MAX];					\
	struct xshm_region *r;						\
	struct xshm_ring *prod, *cons;					\
};									\
FIXTURE_VARIANT(fx) {							\
	const char *name;						\
	enum xshm_full_policy policy;					\
};									\
FIXTURE_SETUP(fx)							\
{									\
	ASSERT_EQ(0, test_region_create(self->path, region_size, &self->r)); \
	ASSERT_EQ(0, xshm_layout_init(self->r, chans, nchans, 0));	\
	ASSERT_EQ(0, xshm_ring_attach(self->r, variant->name, XSHM_PRODUCER, \
				      &self->prod));			\
	ASSERT_EQ(0, xshm_ring_attach(self->r, variant->name, XSHM_CONSUMER, \
				      &self->cons));			\
}									\
FIXTURE_TEARDOWN(fx)							\
{									\
	xshm_ring_detach(self->prod);					\
	xshm_ring_detach(self->cons);					\
	xshm_region_close(self->r);					\
	unlink(self->path);						\
}

/* Create a fresh region of size bytes on a new file. */
static inline int test_region_create(char path[TEST_PATH_MAX], size_t size,
				     struct xshm_region **out)
{
	int ret = test_tmp_file(path);

	if (ret)
		return ret;
	ret = xshm_region_open_path(path, XSHM_OPEN_CREATE, size, out);
	if (ret)
		unlink(path);
	return ret;
}

/*
 * fork() for tests: the child dies with its parent, so a test that fails
 * (or is killed by a timeout) never leaves a peer process spinning on a
 * ring, nor holding the output pipe of whoever runs the tests.
 */
static inline pid_t test_fork(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(99);
	}
	return pid;
}

static inline uint64_t test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t test_ms_since(uint64_t start_ns)
{
	return (test_now_ns() - start_ns) / 1000000u;
}

static inline void test_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Little-endian accessors into the mapping, as a hostile peer writes it. */
static inline uint8_t *test_at(struct xshm_region *r, uint64_t off)
{
	return (uint8_t *)xshm_region_base(r) + off;
}

static inline uint32_t test_get32(struct xshm_region *r, uint64_t off)
{
	uint32_t v;

	memcpy(&v, test_at(r, off), sizeof(v));
	return v;
}

static inline uint64_t test_get64(struct xshm_region *r, uint64_t off)
{
	uint64_t v;

	memcpy(&v, test_at(r, off), sizeof(v));
	return v;
}

static inline void test_put32(struct xshm_region *r, uint64_t off, uint32_t v)
{
	memcpy(test_at(r, off), &v, sizeof(v));
}

static inline void test_put64(struct xshm_region *r, uint64_t off, uint64_t v)
{
	memcpy(test_at(r, off), &v, sizeof(v));
}

/*
 * The wire format, as Documentation/wire-format.md documents it: written
 * here independently of xshm-peer.h, so a test fails if the library and
 * the document drift apart.
 */
#define W_MAGIC		0x4d485358u
#define W_STATE_INIT	0x54494e49u
#define W_STATE_READY	0x59444552u
#define W_OFF_MAGIC	0u
#define W_OFF_STATE	4u
#define W_OFF_CHECKSUM	8u
#define W_VMAJOR	3u	/* format version this document describes */
#define W_OFF_VMAJOR	16u
#define W_OFF_VMINOR	18u
#define W_OFF_HDRSIZE	20u
#define W_OFF_NCHANS	24u
#define W_OFF_LAYOUTSZ	32u
#define W_OFF_GEN	40u
#define W_CHAN(i)	(64u + 64u * (i))	/* table entry i */
#define W_CHAN_TYPE	32u
#define W_CHAN_POLICY	36u
#define W_CHAN_ELEM	40u
#define W_CHAN_CAP	44u
#define W_CHAN_OFFSET	48u
#define W_CHAN_SIZE	56u
/* rings, from the channel's offset */
#define W_HEAD		0u
#define W_OLDEST	8u
#define W_PRODUCED	16u
#define W_DROPPED	24u
#define W_PROD_SEQ	32u
#define W_PROD_OWNER	40u	/* owner words: generation, ~generation busy */
#define W_CONS_OWNER	(128u + 24u)
#define W_TAIL		128u
#define W_LOST		136u
#define W_CONS_SEQ	144u
#define W_DATA		256u
#define W_REC_PAD	0x80000000u
/*
 * value channels: seq at +0, LWW stamp at +8; copy 0 at +16 when the
 * copies, each rounded up to 8, take at most 48 bytes (then one copy
 * follows the other), else at +128 (copies rounded up to 128 apart)
 */
#define W_SEQ		0u
#define W_STAMP		8u
#define W_PAYLOAD_SMALL	16u
#define W_PAYLOAD	128u

/* CRC32C: reflected 0x82f63b78, init and final xor 0xffffffff */
static inline uint32_t test_crc32c(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffffu;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* The checksum the header should hold: CRC32C of [16, header_size). */
static inline uint32_t test_layout_crc(struct xshm_region *r)
{
	uint32_t hsize = test_get32(r, W_OFF_HDRSIZE);

	if (hsize < 16 || hsize > xshm_region_size(r))
		return 0;
	return test_crc32c(test_at(r, 16), hsize - 16);
}

/* After patching the header or table as a peer would: a valid checksum. */
static inline void test_reseal(struct xshm_region *r)
{
	test_put32(r, W_OFF_CHECKSUM, test_layout_crc(r));
}

/* Offset of a channel, from the (validated) listing. */
static inline uint64_t test_chan_offset(struct xshm_region *r,
					const char *name)
{
	struct xshm_chan_info info[XSHM_CHAN_MAX];
	int i, n = xshm_layout_list(r, info, XSHM_CHAN_MAX);

	for (i = 0; i < n; i++)
		if (!strcmp(info[i].name, name))
			return info[i].offset;
	return 0;
}

/* Fill a buffer with bytes derived from a record number, to check contents. */
static inline void test_pattern(void *buf, size_t len, uint32_t n)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(n * 31u + i * 7u + 1u);
}

static inline int test_pattern_ok(const void *buf, size_t len, uint32_t n)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(n * 31u + i * 7u + 1u))
			return 0;
	return 1;
}

#endif /* XSHM_TEST_H */
