/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What both log-path producers share, so that xshm and LTTng get the
 * same records at the same pace: the line xshm-rtsim writes
 * ("rtsim seq=<n> t=<ns> " padded with a..z to SIZE bytes; the padding
 * copied, as a logger copies its message, not built byte by byte) and
 * xshm-rtsim's pacing (every millisecond, the records owed at RATE; a
 * record that does not fit is dropped, never waited for).  Includers
 * define _GNU_SOURCE first (clock_nanosleep in strict C11).
 */
#ifndef LOGPATH_LINE_H
#define LOGPATH_LINE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOGPATH_MAX	4096
#define LOGPATH_TICK_NS	1000000ull

/* emit one record: 0 stored in the channel, 1 dropped, < 0 error */
typedef int (*logpath_emit)(void *ctx, const char *rec, unsigned int len);

static uint64_t logpath_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}

/*
 * count records of size bytes at rate records/s (0: as fast as emit
 * takes them); prints "sent N dropped D seconds S".  Returns 0 or 1.
 */
static int logpath_produce(unsigned long long size, unsigned long long rate,
			   unsigned long long count, logpath_emit emit,
			   void *ctx)
{
	static char pad[LOGPATH_MAX];
	unsigned long long done = 0, sent = 0, ticks = 0, due, i;
	struct timespec next;
	uint64_t t0 = logpath_now_ns();
	char rec[LOGPATH_MAX];

	if (!size || size >= LOGPATH_MAX || !count)
		return 1;
	for (i = 0; i < LOGPATH_MAX; i++)
		pad[i] = (char)('a' + i % 26);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (done < count) {
		ticks++;
		due = rate ? ticks * rate * LOGPATH_TICK_NS / 1000000000ull : count;
		for (; done < due && done < count; done++) {
			struct timespec now;
			unsigned int len;
			int err;

			clock_gettime(CLOCK_MONOTONIC, &now);
			len = snprintf(rec, sizeof(rec), "rtsim seq=%llu t=%lld.%09ld ",
				       done, (long long)now.tv_sec, now.tv_nsec);
			if (len < size) {
				memcpy(rec + len, pad + len, size - len);
				len = size;
			}
			err = emit(ctx, rec, len);
			if (err < 0)
				return 1;
			sent += !err;
		}
		next.tv_nsec += (long)LOGPATH_TICK_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		if (rate)
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	printf("sent %llu dropped %llu seconds %.6f\n", sent, count - sent,
	       (logpath_now_ns() - t0) / 1e9);
	return 0;
}

/* usage: PROG SIZE RATE COUNT [ARGS...] */
static int logpath_args(int argc, char **argv, int extra,
			unsigned long long v[3])
{
	int i;

	if (argc != 4 + extra) {
		fprintf(stderr, "usage: %s SIZE RATE COUNT%s\n", argv[0],
			extra ? " REGION RING" : "");
		return -1;
	}
	for (i = 0; i < 3; i++)
		v[i] = strtoull(argv[1 + i], NULL, 0);
	return 0;
}

#endif /* LOGPATH_LINE_H */
