/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest's own device tree says about its xen,shared-memory-v1
 * regions, read from /proc/device-tree: the source of every expectation
 * the driver tests compare the driver against.
 */
#ifndef XSHM_DT_H
#define XSHM_DT_H

#include <stdbool.h>
#include <stdint.h>

#include "xshm_sys.h"

#define DT_SHM_MAX	64

struct dt_shm {
	char node[256];		/* node name, e.g. "xen-shmem@80000000" */
	int order;		/* position among compatible nodes, DT order */
	bool reg_ok;		/* reg has exactly one (address, size) pair */
	uint64_t base;
	uint64_t size;
	bool has_id;
	char id[512];
	bool has_offset;
	uint64_t offset;
	bool no_map;
	bool bad;		/* the test trees name refused nodes "bad-..." */
};

/*
 * Fill @v with the compatible children of /reserved-memory, in DT order.
 * The order comes from @order_file (node names, one a line, as fdtget -l
 * lists them on the host); sysfs does not keep it.  Returns the count, or
 * -1 with a message on stderr.
 */
int dt_shm_load(struct dt_shm *v, int max, const char *order_file);

/*
 * Whether mmap reaches all of a well-formed region: the driver maps whole
 * pages from a page-aligned base only, and Xen aligns regions to 4 KiB.
 */
static inline bool dt_shm_mappable(const struct dt_shm *s)
{
	return !s->bad && s->base % PAGE == 0 && s->size % PAGE == 0;
}

#endif
