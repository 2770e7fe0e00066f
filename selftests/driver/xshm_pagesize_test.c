// SPDX-License-Identifier: GPL-2.0
/*
 * Regions aligned to Xen's 4 KiB pages but not to the kernel's (16 KiB on
 * a 16K-page kernel): each is still bound and read and written in full;
 * mmap reaches only the whole kernel pages inside it, counted from a
 * page-aligned base, so no byte of a neighbour is ever mapped; and the
 * kernel log says so once, as a warning naming the node.  On a 4K kernel
 * every well-formed region is aligned and maps whole, with no warning.
 * Runs on any tree (scripts/vm/dt/subpage.dtsi is made for it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xshm_dt.h"
#include "xshm_pattern.h"
#include "xshm_sys.h"

#define SYSLOG_ACTION_READ_ALL	3
#define SYSLOG_ACTION_SIZE_BUFFER	10

FIXTURE(tree)
{
	struct dt_shm dt[DT_SHM_MAX];
	int n;
	char *log;	/* the kernel log, NUL-terminated */
};

FIXTURE_SETUP(tree)
{
	const char *order = getenv("XSHM_DT_ORDER");
	int len;

	self->n = dt_shm_load(self->dt, DT_SHM_MAX,
			      order ? order : "/etc/xshm/dt-order");
	ASSERT_LT(0, self->n);
	len = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	ASSERT_LT(0, len);
	self->log = calloc(1, len + 1);
	ASSERT_NE(NULL, self->log);
	ASSERT_LE(0, klogctl(SYSLOG_ACTION_READ_ALL, self->log, len));
}

FIXTURE_TEARDOWN(tree)
{
	free(self->log);
}

/* Pages mmap may reach: whole ones from a page-aligned base. */
static uint64_t mappable_pages(const struct dt_shm *s)
{
	return s->base % PAGE ? 0 : s->size / PAGE;
}

static int open_region(const struct dt_shm *s)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/xshm%d", s->order);
	return open(path, O_RDWR);
}

/* Bound with its full size; every byte read and written. */
TEST_F(tree, read_write_whole_region)
{
	struct xshm_sysdev d;
	unsigned char *buf;
	struct dt_shm *s;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (s->bad)
			continue;
		ASSERT_TRUE(xshm_sysdev_load(s->order, &d))
			TH_LOG("%s: no xshm%d", s->node, s->order);
		EXPECT_EQ(s->size, d.size);
		fd = open_region(s);
		ASSERT_LE(0, fd) TH_LOG("%s: %m", s->node);
		buf = malloc(s->size);
		ASSERT_NE(NULL, buf);
		pattern_fill(buf, s->size, 11000 + s->order, 0);
		ASSERT_EQ((ssize_t)s->size, pwrite(fd, buf, s->size, 0));
		memset(buf, 0, s->size);
		ASSERT_EQ((ssize_t)s->size, pread(fd, buf, s->size, 0));
		EXPECT_EQ(s->size, pattern_check(buf, s->size,
						 11000 + s->order, 0))
			TH_LOG("%s", s->node);
		free(buf);
		close(fd);
	}
}

/*
 * mmap maps the whole pages and refuses the partial one; what it maps is
 * the region's own bytes, from its base.
 */
TEST_F(tree, mmap_whole_pages_only)
{
	unsigned char *map, *buf;
	uint64_t pages, len;
	struct dt_shm *s;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (s->bad)
			continue;
		pages = mappable_pages(s);
		len = pages * PAGE;
		fd = open_region(s);
		ASSERT_LE(0, fd);
		if (pages) {
			buf = malloc(len);
			ASSERT_NE(NULL, buf);
			pattern_fill(buf, len, 12000 + s->order, 0);
			ASSERT_EQ((ssize_t)len, pwrite(fd, buf, len, 0));
			map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
			ASSERT_NE(MAP_FAILED, map) TH_LOG("%s: %m", s->node);
			EXPECT_EQ(len, pattern_check(map, len,
						     12000 + s->order, 0));
			munmap(map, len);
			free(buf);
		}
		if (len < s->size) {
			/* The page holding the rest (or, unaligned, all). */
			map = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd,
				   (off_t)len);
			EXPECT_EQ(MAP_FAILED, map) TH_LOG("%s: page at 0x%llx mapped",
							  s->node,
							  (unsigned long long)len);
			EXPECT_EQ(EINVAL, errno);
			if (map != MAP_FAILED)
				munmap(map, PAGE);
		}
		close(fd);
	}
}

/* The kernel log line that holds @a and then @b, or NULL. */
static const char *log_line(const char *log, const char *a, const char *b)
{
	const char *hit, *end, *other;

	for (hit = strstr(log, a); hit; hit = strstr(hit + 1, a)) {
		end = strchrnul(hit, '\n');
		other = strstr(hit, b);
		if (other && other < end)
			return hit;
	}
	return NULL;
}

/* A warning names each region mmap cannot reach whole, and only those. */
TEST_F(tree, partial_pages_reported)
{
	char needle[sizeof(self->dt[0].node) + 32];
	struct dt_shm *s;
	bool partial;
	const char *hit;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (s->bad)
			continue;
		partial = mappable_pages(s) * PAGE != s->size;
		snprintf(needle, sizeof(needle), "/reserved-memory/%.255s: reg ",
			 s->node);
		hit = log_line(self->log, needle, "KiB pages");
		if (partial) {
			EXPECT_NE(NULL, hit) TH_LOG("no warning for %s", s->node);
		} else {
			EXPECT_EQ(NULL, hit) TH_LOG("%s", hit);
		}
	}
}

TEST_HARNESS_MAIN
