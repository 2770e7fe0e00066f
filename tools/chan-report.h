/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Describe a region's layout and channels (fill levels, counters). */
#ifndef XSHM_TOOLS_CHAN_REPORT_H
#define XSHM_TOOLS_CHAN_REPORT_H

#include <stdio.h>

#include "json.h"
#include "xshm.h"

/*
 * Ring counters need a writable mapping (attaching maps both cursors):
 * on a read-only region rings show the attach error instead.
 * Print the layout of r and each channel (only the one named only, if
 * not NULL) as a table on out, or, if j is not NULL, as "layout" and
 * "channels" members of the JSON object being written.  Each channel
 * gets a health: ok, empty (a value never written), stalled (a value's
 * writer stuck mid-update), stuck (a ring whose next record is corrupt),
 * corrupt (its positions or counters are), or unknown (not readable).
 * Returns 0 if all is well, else the worst exit code (cli.h) of the
 * problems explained in the output: the layout is absent or
 * incompatible (4), a channel is stalled (3), the layout or a channel
 * is corrupt or stuck (5); -ENOENT if only names no channel.
 */
int report_region(struct xshm_region *r, const char *only, FILE *out,
		  struct json *j);

#endif /* XSHM_TOOLS_CHAN_REPORT_H */
