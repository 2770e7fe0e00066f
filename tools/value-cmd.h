/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xshm-ring get/set: seqlock, latch and LWW values from the shell. */
#ifndef XSHM_TOOLS_VALUE_CMD_H
#define XSHM_TOOLS_VALUE_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "xshm.h"

struct value_opts {
	const char *region;	/* as the user wrote it, for messages */
	bool binary;		/* raw bytes instead of text */
	bool json;		/* get: a JSON object */
	int timeout_ms;		/* get: longest wait for a stalled writer */
	unsigned int writer;	/* set: LWW writer slot */
	uint64_t stamp;		/* set: LWW stamp, 0 = newest + 1 */
	const char *value;	/* set: the value; NULL reads stdin */
};

/* both return an exit code (cli.h) */
int value_get(struct xshm_region *r, const struct xshm_chan_info *ci,
	      const struct value_opts *vo);
int value_set(struct xshm_region *r, const struct xshm_chan_info *ci,
	      const struct value_opts *vo);

#endif /* XSHM_TOOLS_VALUE_CMD_H */
