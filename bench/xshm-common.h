/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the three libxshm transports share: the file is opened through
 * libxshm by path in each process (its own mapping, as a peer domain
 * would have), channels are named c0, c1, ... and laid out by
 * xshm_layout_init() in the creating process.
 */
#ifndef BENCH_XSHM_COMMON_H
#define BENCH_XSHM_COMMON_H

#include <stdio.h>

#include "xshm.h"

/* room for libxshm's region and channel headers next to the channels */
#define XSHM_BENCH_OVERHEAD	(64u * 1024)

static inline size_t xb_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static inline void xb_name(char *name, size_t len, unsigned int chan)
{
	snprintf(name, len, "c%u", chan);
}

/* create nchan channels of one kind and close the region again */
static inline int xb_setup(const char *path, struct xshm_chan_spec *spec,
			   unsigned int nchan)
{
	struct xshm_chan_spec specs[XSHM_CHAN_MAX];
	char names[XSHM_CHAN_MAX][8];
	struct xshm_region *r;
	unsigned int i;
	int err;

	if (nchan > XSHM_CHAN_MAX)
		return -22;
	for (i = 0; i < nchan; i++) {
		xb_name(names[i], sizeof(names[i]), i);
		specs[i] = *spec;
		specs[i].name = names[i];
	}
	err = xshm_region_open_path(path, 0, 0, &r);
	if (err)
		return err;
	err = xshm_layout_init(r, specs, nchan, XSHM_INIT_FORCE);
	xshm_region_close(r);
	return err < 0 ? err : 0;
}

#endif /* BENCH_XSHM_COMMON_H */
