/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What xshm-logd writes into a log: each record as a line, and marker
 * lines ("#xshm-logd ...") where records were lost, data was corrupt or
 * the layout was re-initialised, so the log itself shows every gap.
 */
#ifndef XSHM_TOOLS_LOGD_FORMAT_H
#define XSHM_TOOLS_LOGD_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define LOGD_MARKER		"#xshm-logd "
#define LOGD_MARKER_MAX		160	/* longest marker line */

/* a batch being built: buf has room for cap bytes */
struct logd_batch {
	char *buf;
	size_t cap, used;
};

/* append a record (copied from data) and a newline unless it ends one */
void logd_put_record(struct logd_batch *b, const void *data, size_t len);
void logd_put_lost(struct logd_batch *b, const char *ring, uint64_t lost,
		   uint32_t seq);
void logd_put_corrupt(struct logd_batch *b, const char *ring, uint64_t total);
void logd_put_generation(struct logd_batch *b, const char *ring,
			 uint64_t generation);
void logd_put_unwritten(struct logd_batch *b, const char *ring, uint64_t lost);

#endif /* XSHM_TOOLS_LOGD_FORMAT_H */
