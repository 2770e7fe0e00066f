/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Explain the xen,shared-memory-v1 nodes of a flattened device tree and
 * what is wrong with each, by the rules the xshm driver applies.
 */
#ifndef XSHM_TOOLS_DT_CHECK_H
#define XSHM_TOOLS_DT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_COMPATIBLE		"xen,shared-memory-v1"
#define DT_ID_MAX		128	/* longest xen,id the driver accepts */
#define DT_ID_XEN_MAX		15	/* longest xen,id Xen itself writes */
#define DT_REGIONS_XEN_MAX	32	/* Xen's limit of regions per domain */
#define DT_XEN_PAGE		4096ull	/* Xen aligns regions to its 4 KiB pages */
#define DT_SIZE_ABSURD		(1ull << 40)	/* 1 TiB, the driver's limit */
#define DT_PROBLEMS_MAX		10
#define DT_DEPTH_MAX		63	/* Linux's unflatten skips deeper nodes */
#define DT_REGIONS_MAX		1024	/* nodes examined; more are refused */
#define DT_RAM_RANGES_MAX	4096	/* /memory ranges checked against */

enum dt_severity { DT_NOTE, DT_WARNING, DT_ERROR };

struct dt_problem {
	enum dt_severity sev;
	char text[200];
};

struct dt_region {
	char path[256];
	uint64_t base, size, offset;
	unsigned int addr_cells, size_cells;
	bool has_reg, has_id, has_offset, no_map, disabled;
	char id[DT_ID_MAX + 2];	/* one byte more to show over-long ids */
	unsigned int nproblems;
	struct dt_problem problems[DT_PROBLEMS_MAX];
};

struct dt_report {
	unsigned int nregions;
	struct dt_region *regions;	/* malloc'd; dt_report_free() */
	unsigned int regions_skipped;	/* past DT_REGIONS_MAX, not checked */
	unsigned int nglobal;
	struct dt_problem global[DT_PROBLEMS_MAX];
	unsigned int nerrors, nwarnings;
};

/*
 * Check the tree in blob (size bytes).  page_size is the alignment a
 * region's base and size need; a region must end within phys_bits of
 * physical address space (the driver's MAX_PHYSMEM_BITS; 64: no limit).  Returns 0, or -EINVAL if blob is not a
 * valid device tree (explained in rep->global).
 */
int dt_check(const void *blob, size_t size, uint64_t page_size,
	     unsigned int phys_bits, struct dt_report *rep);
void dt_report_free(struct dt_report *rep);
const char *dt_severity_name(enum dt_severity sev);

/* read a whole file (a .dtb or /sys/firmware/fdt) into a malloc'd buffer */
int dt_load(const char *path, void **blob, size_t *size);

#endif /* XSHM_TOOLS_DT_CHECK_H */
