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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
