// SPDX-License-Identifier: GPL-2.0
/*
 * Trees with malformed nodes (scripts/vm/dt/malformed.dtsi has every shape,
 * hostile.dtsi the nodes over memory that is not a shared region,
 * one-cell.dtsi the /reserved-memory Linux ignores; each refused node is
 * named "bad-<reason>"): each one gets no device and exactly one error
 * message naming its node and giving its reason, while the well-formed
 * nodes around it still work.  Nodes outside /reserved-memory are found
 * in /proc/device-tree and must get the same treatment.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <endian.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xshm_dt.h"
#include "xshm_pattern.h"
#include "xshm_sys.h"

#define LOG_ERR_LEVEL	3
#define KMSG_MAX	4096

/* Words one of which the message for each malformed shape must contain. */
static const struct {
	const char *node_prefix;
	const char *reason[4];
} reasons[] = {
	{ "bad-no-reg", { "no reg", "missing" } },
	{ "bad-zero-size", { "zero", "empty" } },
	{ "bad-unaligned-size", { "align" } },
	{ "bad-unaligned-base", { "align" } },
	{ "bad-overlap", { "overlap" } },
	{ "bad-reg-cells", { "cells", "bytes", "length" } },
	{ "bad-absurd-size", { "large", "too big", "address space", "absurd" } },
	{ "bad-past-end", { "address space", "large", "overflow" } },
	{ "bad-duplicate-id", { "already", "duplicate" } },
	{ "bad-long-id", { "long" } },
	{ "bad-empty-id", { "empty" } },
	{ "bad-id-chars", { "character", "file name" } },
	{ "bad-id-list", { "string" } },
	{ "bad-offset-cells", { "xen,offset" } },
	{ "bad-straddles-ram", { "partly" } },
	{ "bad-unreserved-ram", { "reserve" } },
	{ "bad-one-cell", { "reserved no memory" } },
	{ "bad-kernel-image", { "Kernel code" } },
	{ "bad-uart", { "another driver claimed" } },
	{ "bad-past-cpu-pa", { "-bit physical address space of this CPU" } },
	{ "bad-in-carveout", { "reserved memory of /reserved-memory/carveout" } },
	{ "bad-id-latin1", { "character 0xe9" } },
	{ "bad-id-udev", { "character 0x21" } },
	{ "bad-offset-one-cell", { "expected 8" } },
	{ "bad-outside", { "not a child of /reserved-memory" } },
};

struct kmsg {
	int level;
	char text[1024];
};

/* Every record of the kernel log, via /dev/kmsg. */
static int read_kmsg(struct kmsg *out, int max)
{
	char rec[2048];
	int fd, n = 0;
	ssize_t len;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	while (n < max) {
		char *semi, *nl;

		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (len <= 0)
			break;
		rec[len] = '\0';
		/* "prio,seq,usec,flags;text\n" then continuation lines. */
		semi = strchr(rec, ';');
		if (!semi)
			continue;
		nl = strchr(semi, '\n');
		if (nl)
			*nl = '\0';
		out[n].level = atoi(rec) & 7;
		snprintf(out[n].text, sizeof(out[n].text), "%s", semi + 1);
		n++;
	}
	close(fd);
	return n;
}

/* Does @text name the node by path, as "<path>:" or "<path>" at the end? */
static bool names_path(const char *text, const char *path, bool as_subject)
{
	const char *p = text;
	size_t len = strlen(path);

	while ((p = strstr(p, path))) {
		char next = p[len];

		if (next == ':' || (!as_subject && (!next || isspace(next) ||
						    next == ',' || next == ')')))
			return true;
		p += len;
	}
	return false;
}

static bool names_node(const char *text, const char *node, bool as_subject)
{
	char path[256];

	snprintf(path, sizeof(path), "/reserved-memory/%s", node);
	return names_path(text, path, as_subject);
}

/*
 * The reason is what follows "<path>:" (the path may hold the words).
 * @node is the node's name, @path its full path.
 */
static bool has_reason(const char *text, const char *node, const char *path)
{
	char subject[256];
	size_t i, j;

	snprintf(subject, sizeof(subject), "%s:", path);
	text = strstr(text, subject);
	if (!text)
		return false;
	text += strlen(subject);

	for (i = 0; i < ARRAY_SIZE(reasons); i++) {
		if (strncmp(node, reasons[i].node_prefix,
			    strlen(reasons[i].node_prefix)))
			continue;
		for (j = 0; j < 4 && reasons[i].reason[j]; j++)
			if (strcasestr(text, reasons[i].reason[j]))
				return true;
		return false;
	}
	return false;
}

FIXTURE(tree)
{
	struct dt_shm dt[DT_SHM_MAX];
	int n;
	int bad;
	struct kmsg *log;
	int nlog;
};

FIXTURE_SETUP(tree)
{
	const char *order = getenv("XSHM_DT_ORDER");
	int i;

	self->n = dt_shm_load(self->dt, DT_SHM_MAX,
			      order ? order : "/etc/xshm/dt-order");
	ASSERT_LT(0, self->n);
	self->bad = 0;
	for (i = 0; i < self->n; i++)
		self->bad += self->dt[i].bad;
	/* Without bad nodes the test is void (each needs a reasons[] entry). */
	ASSERT_LT(0, self->bad);
	self->log = calloc(KMSG_MAX, sizeof(*self->log));
	ASSERT_NE(NULL, self->log);
	self->nlog = read_kmsg(self->log, KMSG_MAX);
	ASSERT_LT(0, self->nlog);
}

FIXTURE_TEARDOWN(tree)
{
	free(self->log);
}

TEST_F(tree, bad_nodes_have_no_device)
{
	struct xshm_sysdev d;
	int i, j;

	for (i = 0; i < self->n; i++) {
		const struct dt_shm *s = &self->dt[i];

		if (!s->bad)
			continue;
		EXPECT_FALSE(xshm_sysdev_load(s->order, &d))
			TH_LOG("%s became xshm%d", s->node, s->order);
		/* Nor did any other device take its place. */
		for (j = 0; j < self->n; j++) {
			if (!xshm_sysdev_load(self->dt[j].order, &d))
				continue;
			EXPECT_FALSE(s->reg_ok && d.phys == s->base &&
				     self->dt[j].bad);
		}
	}
}

TEST_F(tree, bad_nodes_reported_once_with_reason)
{
	char path[256];
	int i, k, count;

	for (i = 0; i < self->n; i++) {
		const struct dt_shm *s = &self->dt[i];
		const struct kmsg *hit = NULL;

		if (!s->bad)
			continue;
		count = 0;
		for (k = 0; k < self->nlog; k++) {
			if (!names_node(self->log[k].text, s->node, true))
				continue;
			count++;
			hit = &self->log[k];
		}
		EXPECT_EQ(1, count) TH_LOG("%s: %d messages", s->node, count);
		if (!hit)
			continue;
		TH_LOG("%s", hit->text);
		EXPECT_EQ(LOG_ERR_LEVEL, hit->level) TH_LOG("%s", hit->text);
		snprintf(path, sizeof(path), "/reserved-memory/%s", s->node);
		EXPECT_TRUE(has_reason(hit->text, s->node, path))
			TH_LOG("no reason in: %s", hit->text);
	}
}

TEST_F(tree, good_nodes_not_reported)
{
	int i, k;

	for (i = 0; i < self->n; i++) {
		if (self->dt[i].bad)
			continue;
		for (k = 0; k < self->nlog; k++)
			EXPECT_FALSE(self->log[k].level <= LOG_ERR_LEVEL &&
				     names_node(self->log[k].text,
						self->dt[i].node, true))
				TH_LOG("%s", self->log[k].text);
	}
}

/* The well-formed neighbours of the bad nodes map, write and read. */
TEST_F(tree, good_nodes_work)
{
	struct xshm_sysdev d;
	char path[32];
	unsigned char *map, page[PAGE];
	int i, fd, good = 0;

	for (i = 0; i < self->n; i++) {
		const struct dt_shm *s = &self->dt[i];

		if (s->bad)
			continue;
		good++;
		ASSERT_TRUE(xshm_sysdev_load(s->order, &d))
			TH_LOG("%s: no xshm%d", s->node, s->order);
		EXPECT_EQ(s->base, d.phys);
		EXPECT_EQ(s->size, d.size);
		EXPECT_STREQ(s->has_id ? s->id : "", d.name);
		if (!dt_shm_mappable(s))
			continue;	/* see xshm_pagesize_test */
		snprintf(path, sizeof(path), "/dev/xshm%d", s->order);
		fd = open(path, O_RDWR);
		ASSERT_LE(0, fd);
		map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		pattern_fill(map, s->size, 9000 + s->order, 0);
		ASSERT_EQ((ssize_t)PAGE, pread(fd, page, PAGE, s->size - PAGE));
		EXPECT_EQ(PAGE, pattern_check(page, PAGE, 9000 + s->order,
					      s->size - PAGE));
		munmap(map, s->size);
		close(fd);
	}
	EXPECT_EQ(good, xshm_sysdev_count());
}

/*
 * xen,shared-memory-v1 nodes outside /reserved-memory, by full path.
 * (/proc/device-tree is a symbolic link, which nftw() would not follow.)
 */
#define DT_ROOT		"/sys/firmware/devicetree/base"
static char outside[16][256];
static int noutside;

static int find_outside(const char *file, const struct stat *st, int type,
			struct FTW *ftw)
{
	static const char want[] = "xen,shared-memory-v1";
	const char *base = file + ftw->base;
	char compat[64] = "";
	const char *path;
	FILE *f;
	size_t len;

	(void)st;
	if (type != FTW_F || strcmp(base, "compatible"))
		return 0;
	f = fopen(file, "r");
	if (!f)
		return 0;
	len = fread(compat, 1, sizeof(compat) - 1, f);
	fclose(f);
	compat[len] = '\0';
	path = file + strlen(DT_ROOT);
	if (strcmp(compat, want) ||
	    !strncmp(path, "/reserved-memory/", strlen("/reserved-memory/")) ||
	    noutside == (int)ARRAY_SIZE(outside))
		return 0;
	snprintf(outside[noutside], sizeof(outside[0]), "%.*s",
		 (int)(base - path - 1), path);
	noutside++;
	return 0;
}

/*
 * A node elsewhere in the tree (even one the OF core made a device for)
 * gets no device and one error naming it.  $XSHM_OUTSIDE_NODES says how
 * many the tree has (each is named bad-outside-...), 0 when unset.
 */
TEST_F(tree, nodes_outside_reserved_memory_refused)
{
	char prop[512];
	uint64_t reg[2];
	struct xshm_sysdev d;
	const char *want = getenv("XSHM_OUTSIDE_NODES");
	const char *name;
	int i, j, k, count;
	FILE *f;

	noutside = 0;
	ASSERT_EQ(0, nftw(DT_ROOT, find_outside, 16, FTW_PHYS));
	EXPECT_EQ(want ? atoi(want) : 0, noutside);
	for (i = 0; i < noutside; i++) {
		const struct kmsg *hit = NULL;

		name = strrchr(outside[i], '/') + 1;
		TH_LOG("%s", outside[i]);
		EXPECT_EQ(0, strncmp(name, "bad-outside", 11));
		count = 0;
		for (k = 0; k < self->nlog; k++) {
			if (!names_path(self->log[k].text, outside[i], true))
				continue;
			count++;
			hit = &self->log[k];
		}
		EXPECT_EQ(1, count) TH_LOG("%s: %d messages", outside[i], count);
		if (hit) {
			TH_LOG("%s", hit->text);
			EXPECT_EQ(LOG_ERR_LEVEL, hit->level);
			EXPECT_TRUE(has_reason(hit->text, name, outside[i]));
		}
		/* No device for its memory. */
		snprintf(prop, sizeof(prop), DT_ROOT "%s/reg", outside[i]);
		f = fopen(prop, "r");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(1, fread(reg, sizeof(reg), 1, f));
		fclose(f);
		for (j = 0; j < 256; j++) {
			if (!xshm_sysdev_load(j, &d))
				continue;
			EXPECT_NE(be64toh(reg[0]), d.phys)
				TH_LOG("%s became xshm%d", outside[i], j);
		}
	}
}

TEST_HARNESS_MAIN
