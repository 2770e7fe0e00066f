/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The regions the driver bound, as /sys/class/xshm/xshm<N>/ describes them. */
#ifndef XSHM_TOOLS_SYSFS_REGIONS_H
#define XSHM_TOOLS_SYSFS_REGIONS_H

#include <stdbool.h>
#include <stdint.h>

#define SYSFS_XSHM_DEFAULT	"/sys/class/xshm"
#define SYSFS_NAME_MAX		128

struct sysfs_region {
	unsigned int index;		/* N of /dev/xshm<N> */
	char name[SYSFS_NAME_MAX + 1];	/* xen,id, "" if none */
	uint64_t size, phys_addr, offset;
	bool have_size, have_phys, have_offset;
};

/*
 * List the regions under root (normally SYSFS_XSHM_DEFAULT), sorted by
 * index, into a malloc'd array.  Returns the count, or -errno (-ENOENT
 * when the class does not exist: driver not loaded).
 */
int sysfs_regions(const char *root, struct sysfs_region **out);

#endif /* XSHM_TOOLS_SYSFS_REGIONS_H */
