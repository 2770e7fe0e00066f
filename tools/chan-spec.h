/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Channel specs on the command line ("log:var:64K:drop") and type names. */
#ifndef XSHM_TOOLS_CHAN_SPEC_H
#define XSHM_TOOLS_CHAN_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "xshm.h"

const char *chan_type_name(uint32_t type);
const char *chan_policy_name(uint32_t policy);
/* 1 for the two ring types */
int chan_is_ring(uint32_t type);

/*
 * Parse one spec:
 *   NAME:var:BYTES[:POLICY[:MAXREC]]
 *   NAME:fixed:SLOTS:SLOTSIZE[:POLICY]
 *   NAME:seqlock:SIZE    NAME:latch:SIZE    NAME:lww:SIZE:WRITERS
 * POLICY is fail, drop (default) or overwrite; numbers take K/M/G.
 * spec->name points into name (XSHM_NAME_MAX + 1 bytes).  Returns 0, or
 * -1 with an explanation in err.
 */
int chan_spec_parse(const char *text, struct xshm_chan_spec *spec,
		    char *name, char *err, size_t errlen);

/*
 * Bytes a region needs for a layout of these channels, by the wire
 * format's rules; -1 if a channel's parameters are invalid.
 */
int chan_specs_size(const struct xshm_chan_spec *chans, unsigned int n,
		    uint64_t *size);

#endif /* XSHM_TOOLS_CHAN_SPEC_H */
