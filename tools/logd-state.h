/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xshm-logd's progress file (<log>.state): what has been written so far,
 * so a restarted daemon neither duplicates nor loses records.  It is a
 * fixed-size text block rewritten in place after each completed write.
 */
#ifndef XSHM_TOOLS_LOGD_STATE_H
#define XSHM_TOOLS_LOGD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGD_STATE_SIZE	256

struct logd_state {
	uint64_t generation;	/* layout generation the seq belongs to */
	uint32_t seq;		/* seq of the last record written */
	bool have_seq;
	uint64_t size;		/* log file bytes after that write */
	uint64_t written;	/* records written, all time */
	uint64_t lost;		/* records reported lost, all time */
	uint64_t corrupt;	/* corrupt-data events, all time */
	uint32_t ahead;		/* losses after seq already announced */
};

/* fill buf with exactly LOGD_STATE_SIZE bytes */
void logd_state_format(const struct logd_state *st, char *buf);
/* 0, or -EBADMSG if buf is not a state block */
int logd_state_parse(const char *buf, size_t len, struct logd_state *st);
/* read from fd: 0, -ENOENT if the file is empty, -EBADMSG, -errno */
int logd_state_load(int fd, struct logd_state *st);
/* synchronous rewrite: 0 or -errno */
int logd_state_store(int fd, const struct logd_state *st);

#endif /* XSHM_TOOLS_LOGD_STATE_H */
