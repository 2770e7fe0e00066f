// SPDX-License-Identifier: GPL-2.0-or-later
/* The regions the driver bound, as /sys/class/xshm/xshm<N>/ describes them. */
#define _GNU_SOURCE
#include "sysfs-regions.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* one attribute file's first line, without the newline */
static bool read_attr(const char *root, const char *dev, const char *attr,
		      char *buf, size_t len)
{
	char path[512];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s/%s", root, dev, attr);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static bool read_num(const char *root, const char *dev, const char *attr,
		     uint64_t *v)
{
	char buf[64];

	return read_attr(root, dev, attr, buf, sizeof(buf)) && parse_u64(buf, v);
}

static int by_index(const void *a, const void *b)
{
	const struct sysfs_region *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

int sysfs_regions(const char *root, struct sysfs_region **out)
{
	struct sysfs_region *list = NULL;
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(root);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct sysfs_region *grown, *r;
		uint64_t idx;

		if (strncmp(de->d_name, "xshm", 4) ||
		    !parse_u64(de->d_name + 4, &idx) || idx > UINT32_MAX)
			continue;
		grown = realloc(list, (size_t)(n + 1) * sizeof(*list));
		if (!grown) {
			free(list);
			closedir(d);
			return -ENOMEM;
		}
		list = grown;
		r = &list[n++];
		memset(r, 0, sizeof(*r));
		r->index = (unsigned int)idx;
		read_attr(root, de->d_name, "name", r->name, sizeof(r->name));
		r->have_size = read_num(root, de->d_name, "size", &r->size);
		r->have_phys = read_num(root, de->d_name, "phys_addr",
					&r->phys_addr);
		r->have_offset = read_num(root, de->d_name, "offset",
					  &r->offset);
	}
	closedir(d);
	if (n)
		qsort(list, (size_t)n, sizeof(*list), by_index);
	*out = list;
	return n;
}
