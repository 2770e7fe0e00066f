/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What xshm-logd writes into a log (format 2, Documentation/logd-format.md):
 *
 *   #xshm-logd format=2 region=R ring=N              first line of each file
 *   2026-12-05T03:10:00.123456Z | escaped payload    a record
 *   2026-12-05T03:10:00.123456Z #xshm-logd ring=N k=v ...   a marker
 *
 * The payload is escaped (backslash, control bytes, DEL and bytes >= 0x80
 * as \xHH; a trailing newline dropped), so a record is always one line and
 * can never be mistaken for a marker.  Loss markers say where= (between,
 * after-last, disk-full, exit).
 */
#ifndef XSHM_TOOLS_LOGD_FORMAT_H
#define XSHM_TOOLS_LOGD_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LOGD_FORMAT		2
#define LOGD_MARKER		"#xshm-logd "
#define LOGD_TS_LEN		27	/* 2026-12-05T03:10:00.123456Z */
#define LOGD_MARKER_MAX		200	/* longest marker line */
#define LOGD_HEADER_MAX		1200	/* longest header line */
#define LOGD_REGION_MAX		255	/* region bytes kept in the header */
/* the longest line a record of len bytes becomes */
#define LOGD_RECORD_MAX(len)	(LOGD_TS_LEN + 3 + 4 * (size_t)(len) + 1)

/* where records were lost, as written in a lost= marker */
enum logd_where {
	LOGD_BETWEEN,		/* before the record that follows */
	LOGD_AFTER_LAST,	/* after the last stored record, ring idle */
	LOGD_DISK_FULL,		/* taken from the ring, could not be stored */
	LOGD_EXIT,		/* found at exit */
};

/* a batch being built: buf has room for cap bytes */
struct logd_batch {
	char *buf;
	size_t cap, used;
	time_t ts_sec;		/* second of ts_prefix */
	char ts_prefix[21];	/* "2026-12-05T03:10:00." */
};

/* escape len bytes of src into dst (room for 4 * len); returns bytes written */
size_t logd_escape(char *dst, const void *src, size_t len);
/* the first line of a new log file */
void logd_put_header(struct logd_batch *b, const char *region, const char *ring);
/* a record, stamped with the time now */
void logd_put_record(struct logd_batch *b, const void *data, size_t len);
/* which record a lost= marker names */
enum logd_seq_key {
	LOGD_NO_SEQ,
	LOGD_BEFORE_SEQ,	/* the record that follows the loss */
	LOGD_AFTER_SEQ,		/* the last record stored before it */
};

/* "between", "after-last", "disk-full" or "exit" */
const char *logd_where_name(enum logd_where where);
void logd_put_lost(struct logd_batch *b, const char *ring, uint64_t lost,
		   enum logd_where where, enum logd_seq_key key, uint32_t seq);
void logd_put_corrupt(struct logd_batch *b, const char *ring, uint64_t total);
void logd_put_generation(struct logd_batch *b, const char *ring,
			 uint64_t generation);

#endif /* XSHM_TOOLS_LOGD_FORMAT_H */
