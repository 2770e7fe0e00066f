// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What xshm-logd writes into a log: each record as a line, and marker
 * lines ("#xshm-logd ...") where records were lost, data was corrupt or
 * the layout was re-initialised.
 */
#include "logd-format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* callers size buffers for a record plus markers: never truncates then */
static void put_marker(struct logd_batch *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put_marker(struct logd_batch *b, const char *fmt, ...)
{
	size_t room = b->cap - b->used;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->used, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n < room ? (size_t)n : room - 1;
}

void logd_put_record(struct logd_batch *b, const void *data, size_t len)
{
	size_t room = b->cap - b->used;

	if (len > room)
		len = room;
	memcpy(b->buf + b->used, data, len);
	b->used += len;
	if ((len == 0 || b->buf[b->used - 1] != '\n') && b->used < b->cap)
		b->buf[b->used++] = '\n';
}

void logd_put_lost(struct logd_batch *b, const char *ring, uint64_t lost,
		   uint32_t seq)
{
	put_marker(b, LOGD_MARKER "ring=%s lost=%" PRIu64 " before-seq=%" PRIu32 "\n",
		   ring, lost, seq);
}

void logd_put_corrupt(struct logd_batch *b, const char *ring, uint64_t total)
{
	put_marker(b, LOGD_MARKER "ring=%s corrupt-data total=%" PRIu64 "\n",
		   ring, total);
}

void logd_put_generation(struct logd_batch *b, const char *ring,
			 uint64_t generation)
{
	put_marker(b, LOGD_MARKER "ring=%s layout-generation=%" PRIu64 "\n",
		   ring, generation);
}

void logd_put_unwritten(struct logd_batch *b, const char *ring, uint64_t lost)
{
	put_marker(b, LOGD_MARKER "ring=%s lost=%" PRIu64 " unwritten\n",
		   ring, lost);
}
