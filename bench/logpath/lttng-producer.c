// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The log path's producer for LTTng-UST: logpath-line.h's records, each
 * one tracepoint.  A tracepoint never waits either: when the session's
 * sub-buffers are full LTTng discards the event and counts it in the
 * packet (discard mode, LTTng's default), so this producer cannot see
 * a drop: it reports every record as sent, and the driver takes LTTng's
 * own counts from the trace.
 *
 * usage: lttng-producer SIZE RATE COUNT      (RATE 0: as fast as it can)
 */
#define _GNU_SOURCE
#include "logpath-line.h"

#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "lttng-tp.h"

static int emit(void *ctx, const char *rec, unsigned int len)
{
	(void)ctx;
	lttng_ust_tracepoint(xshm_bench, line, rec, len);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long v[3];

	if (logpath_args(argc, argv, 0, v))
		return 2;
	return logpath_produce(v[0], v[1], v[2], emit, NULL);
}
