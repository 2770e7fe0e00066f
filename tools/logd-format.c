// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What xshm-logd writes into a log: format 2 (see logd-format.h and
 * Documentation/logd-format.md).
 */
#define _GNU_SOURCE
#include "logd-format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char hex[] = "0123456789abcdef";

#define ONES	0x0101010101010101ull
#define HIGHS	0x8080808080808080ull

/* any byte zero (exact as a yes/no answer) */
static inline uint64_t has_zero(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

/* all 8 bytes printable ASCII other than backslash: copied as they are */
static inline bool plain8(uint64_t v)
{
	uint64_t below_space = (v - ONES * 0x20) & ~v & HIGHS;

	return !(below_space | (v & HIGHS) | has_zero(v ^ (ONES * 0x7f)) |
		 has_zero(v ^ (ONES * '\\')));
}

static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\\';
}

size_t logd_escape(char *dst, const void *src, size_t len)
{
	const unsigned char *s = src;
	char *d = dst;
	size_t i = 0;

	/* 16 bytes at a time while they need no escape */
	while (i + 16 <= len) {
		uint64_t a, b;

		memcpy(&a, s + i, 8);
		memcpy(&b, s + i + 8, 8);
		if (plain8(a) && plain8(b)) {
			memcpy(d, s + i, 16);
			d += 16;
			i += 16;
			continue;
		}
		for (size_t end = i + 16; i < end; i++) {
			if (plain(s[i])) {
				*d++ = (char)s[i];
			} else {
				d[0] = '\\'; d[1] = 'x';
				d[2] = hex[s[i] >> 4]; d[3] = hex[s[i] & 15];
				d += 4;
			}
		}
	}
	for (; i < len; i++) {
		if (plain(s[i])) {
			*d++ = (char)s[i];
		} else {
			d[0] = '\\'; d[1] = 'x';
			d[2] = hex[s[i] >> 4]; d[3] = hex[s[i] & 15];
			d += 4;
		}
	}
	return (size_t)(d - dst);
}

/* the receive time, UTC with microseconds, into dst (LOGD_TS_LEN bytes) */
static void stamp(struct logd_batch *b, char *dst)
{
	struct timespec ts;
	unsigned long us;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != b->ts_sec || !b->ts_prefix[0]) {
		struct tm tm;

		gmtime_r(&ts.tv_sec, &tm);
		strftime(b->ts_prefix, sizeof(b->ts_prefix), "%Y-%m-%dT%H:%M:%S.", &tm);
		b->ts_sec = ts.tv_sec;
	}
	memcpy(dst, b->ts_prefix, 20);
	us = (unsigned long)ts.tv_nsec / 1000;
	for (int k = 25; k >= 20; k--, us /= 10)
		dst[k] = (char)('0' + us % 10);
	dst[26] = 'Z';
}

/* callers size buffers for a record plus markers: never truncates then */
static void put_marker(struct logd_batch *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put_marker(struct logd_batch *b, const char *fmt, ...)
{
	size_t room = b->cap - b->used;
	va_list ap;
	int n;

	if (room < LOGD_TS_LEN + 2)
		return;
	stamp(b, b->buf + b->used);
	b->buf[b->used + LOGD_TS_LEN] = ' ';
	b->used += LOGD_TS_LEN + 1;
	room -= LOGD_TS_LEN + 1;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->used, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n < room ? (size_t)n : room - 1;
}

void logd_put_header(struct logd_batch *b, const char *region, const char *ring)
{
	char r[4 * LOGD_REGION_MAX + 1], n[4 * 64 + 1];
	size_t rl = strlen(region), nl = strlen(ring);
	int len;

	/* values are escaped like payloads, space too: one word each */
	rl = rl > LOGD_REGION_MAX ? LOGD_REGION_MAX : rl;
	nl = nl > 64 ? 64 : nl;
	r[logd_escape(r, region, rl)] = '\0';
	n[logd_escape(n, ring, nl)] = '\0';
	len = snprintf(b->buf + b->used, b->cap - b->used,
		       LOGD_MARKER "format=%d region=%s ring=%s\n", LOGD_FORMAT, r, n);
	if (len > 0 && (size_t)len < b->cap - b->used)
		b->used += (size_t)len;
}

void logd_put_record(struct logd_batch *b, const void *data, size_t len)
{
	char *d;

	if (len && ((const char *)data)[len - 1] == '\n')
		len--;
	if (b->cap - b->used < LOGD_RECORD_MAX(len))
		return;	/* callers size buffers so that this does not happen */
	d = b->buf + b->used;
	stamp(b, d);
	memcpy(d + LOGD_TS_LEN, " | ", 3);
	d += LOGD_TS_LEN + 3;
	d += logd_escape(d, data, len);
	*d++ = '\n';
	b->used = (size_t)(d - b->buf);
}

static const char *const where_name[] = {
	[LOGD_BETWEEN] = "between",
	[LOGD_AFTER_LAST] = "after-last",
	[LOGD_DISK_FULL] = "disk-full",
	[LOGD_EXIT] = "exit",
};

const char *logd_where_name(enum logd_where where)
{
	return where_name[where];
}

void logd_put_lost(struct logd_batch *b, const char *ring, uint64_t lost,
		   enum logd_where where, enum logd_seq_key key, uint32_t seq)
{
	if (key == LOGD_NO_SEQ)
		put_marker(b, LOGD_MARKER "ring=%s lost=%" PRIu64 " where=%s\n",
			   ring, lost, where_name[where]);
	else
		put_marker(b, LOGD_MARKER "ring=%s lost=%" PRIu64 " where=%s %s=%" PRIu32 "\n",
			   ring, lost, where_name[where],
			   key == LOGD_BEFORE_SEQ ? "before-seq" : "after-seq", seq);
}

void logd_put_corrupt(struct logd_batch *b, const char *ring, uint64_t total)
{
	put_marker(b, LOGD_MARKER "ring=%s corrupt-data=%" PRIu64 "\n", ring, total);
}

void logd_put_generation(struct logd_batch *b, const char *ring,
			 uint64_t generation)
{
	put_marker(b, LOGD_MARKER "ring=%s layout-generation=%" PRIu64 "\n",
		   ring, generation);
}
