/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Turn the library's errnos into messages that name the cause and the
 * object (the region as the user wrote it, its size, what is needed),
 * and into the exit codes of cli.h.
 */
#ifndef XSHM_TOOLS_REGION_ERROR_H
#define XSHM_TOOLS_REGION_ERROR_H

#include <stddef.h>
#include <stdint.h>

#include "xshm.h"

/* room for a message naming a path */
#define REGION_WHY_MAX 4352

/*
 * Explain why opening spec failed (err from xshm_region_open*()) into buf,
 * e.g. "r.shm: no such file"; returns the exit code.
 */
int region_open_why(const char *spec, int err, char *buf, size_t len);
/* the same, printed as "prog: ..." */
int region_open_error(const char *spec, int err);
/*
 * Explain a layout errno (-ENODATA, -EPROTO, -EBADMSG, -ESTALE, ...) met
 * in region spec into buf, e.g. "r.shm holds no xshm layout (run ...)";
 * returns the exit code.
 */
int layout_why(const char *spec, const struct xshm_region *r, int err,
	       char *buf, size_t len);
int layout_error(const char *spec, const struct xshm_region *r, int err);
/*
 * "region file X is N bytes, the layout needs at least M": the layout
 * of chans does not fit a region of size bytes (0 for an empty file).
 */
int region_too_small(const char *spec, uint64_t size,
		     const struct xshm_chan_spec *chans, unsigned int n);

#endif /* XSHM_TOOLS_REGION_ERROR_H */
