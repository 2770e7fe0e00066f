/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LTTng-UST tracepoint provider of the log-path benchmark: one event, a
 * log line as text of the length the producer formatted.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER xshm_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./lttng-tp.h"

#if !defined(LTTNG_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define LTTNG_TP_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(
	xshm_bench,
	line,
	LTTNG_UST_TP_ARGS(const char *, text, unsigned int, len),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_sequence_text(char, text, text, unsigned int, len)
	)
)

#endif /* LTTNG_TP_H */

#include <lttng/tracepoint-event.h>
