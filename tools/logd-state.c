// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xshm-logd's progress file (<log>.state): what has been written so far,
 * so a restarted daemon neither duplicates nor loses records.
 */
#define _GNU_SOURCE
#include "logd-state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STATE_MAGIC "xshm-logd-state 1\n"

void logd_state_format(const struct logd_state *st, char *buf)
{
	int n;

	n = snprintf(buf, LOGD_STATE_SIZE,
		     STATE_MAGIC
		     "generation %" PRIu64 "\n"
		     "seq %" PRIu32 "\n"
		     "have_seq %d\n"
		     "size %" PRIu64 "\n"
		     "written %" PRIu64 "\n"
		     "lost %" PRIu64 "\n"
		     "corrupt %" PRIu64 "\n"
		     "ahead %" PRIu32 "\n",
		     st->generation, st->seq, st->have_seq, st->size,
		     st->written, st->lost, st->corrupt, st->ahead);
	/* pad with blank lines: the block is always rewritten whole */
	if (n < 0)
		n = 0;
	if (n > LOGD_STATE_SIZE - 1)
		n = LOGD_STATE_SIZE - 1;
	memset(buf + n, '\n', (size_t)(LOGD_STATE_SIZE - n));
}

int logd_state_parse(const char *buf, size_t len, struct logd_state *st)
{
	char copy[LOGD_STATE_SIZE + 1];
	unsigned long long gen, size, written, lost, corrupt;
	unsigned int seq, ahead = 0;
	int have, n;

	if (len < strlen(STATE_MAGIC) || len > LOGD_STATE_SIZE)
		return -EBADMSG;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	if (strncmp(copy, STATE_MAGIC, strlen(STATE_MAGIC)))
		return -EBADMSG;
	/* "ahead" is newer: a file without it has announced nothing ahead */
	n = sscanf(copy + strlen(STATE_MAGIC),
		   "generation %llu seq %u have_seq %d size %llu written %llu lost %llu corrupt %llu ahead %u",
		   &gen, &seq, &have, &size, &written, &lost, &corrupt, &ahead);
	if (n != 7 && n != 8)
		return -EBADMSG;
	st->ahead = ahead;
	st->generation = gen;
	st->seq = seq;
	st->have_seq = have != 0;
	st->size = size;
	st->written = written;
	st->lost = lost;
	st->corrupt = corrupt;
	return 0;
}

int logd_state_load(int fd, struct logd_state *st)
{
	char buf[LOGD_STATE_SIZE];
	ssize_t n;

	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENOENT;
	return logd_state_parse(buf, (size_t)n, st);
}

int logd_state_store(int fd, const struct logd_state *st)
{
	char buf[LOGD_STATE_SIZE];
	ssize_t n;

	logd_state_format(st, buf);
	do
		n = pwrite(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(buf) ? 0 : -ENOSPC;
}
