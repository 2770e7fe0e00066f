// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xshm-logd --journal: journal entries over journald's native protocol,
 * without libsystemd (the tools are also linked statically for the
 * guests).  Every value is one line (payloads are escaped), so an entry is
 * plain "FIELD=value\n" lines.
 */
#define _GNU_SOURCE
#include "logd-journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* the fields every entry carries: three escaped names and a few numbers */
#define FIXED_MAX	(3 * (4 * LOGD_REGION_MAX + 32) + 200)

static int journal_fd = -1;

/* room for need more bytes; false (entry dropped) if memory ran out */
static bool reserve(struct logd_journal *j, size_t need)
{
	size_t cap = j->cap ? j->cap : 4096;
	char *buf;

	if (j->cap - j->used >= need)
		return true;
	while (cap - j->used < need)
		cap *= 2;
	buf = realloc(j->buf, cap);
	if (!buf) {
		j->dropped++;
		return false;
	}
	j->buf = buf;
	j->cap = cap;
	return true;
}

static void add(struct logd_journal *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* append formatted text (reserved by the caller) to the entry being built */
static void add(struct logd_journal *j, const char *fmt, ...)
{
	size_t room = j->cap - j->used;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->used, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		j->used += (size_t)n < room ? (size_t)n : room - 1;
}

/* escaped value of a name (region or ring): one word, one line */
static void add_name(struct logd_journal *j, const char *field, const char *v)
{
	size_t len = strlen(v);

	if (len > LOGD_REGION_MAX)
		len = LOGD_REGION_MAX;
	add(j, "%s=", field);
	j->used += logd_escape(j->buf + j->used, v, len);
	j->buf[j->used++] = '\n';
}

/*
 * Start an entry with the fields all entries share; extra is what the
 * caller adds after them.  Returns the entry's start, or SIZE_MAX if it
 * does not fit in memory.
 */
static size_t begin(struct logd_journal *j, const char *kind, int priority,
		    uint64_t generation, size_t extra)
{
	size_t start = j->used;

	if (!reserve(j, sizeof(size_t) + FIXED_MAX + extra))
		return SIZE_MAX;
	j->used += sizeof(size_t);
	add(j, "PRIORITY=%d\n", priority);
	add_name(j, "SYSLOG_IDENTIFIER", j->region);
	add_name(j, "XSHM_REGION", j->region);
	add_name(j, "XSHM_RING", j->ring);
	add(j, "XSHM_KIND=%s\nXSHM_GENERATION=%" PRIu64 "\n", kind, generation);
	return start;
}

static void end(struct logd_journal *j, size_t start)
{
	size_t len = j->used - start - sizeof(size_t);

	memcpy(j->buf + start, &len, sizeof(len));
}

void journal_put_record(struct logd_journal *j, uint64_t generation,
			uint32_t seq, const void *data, size_t len)
{
	size_t start;

	if (len && ((const char *)data)[len - 1] == '\n')
		len--;	/* as in the log file */
	start = begin(j, "record", 6, generation, 40 + 4 * len);
	if (start == SIZE_MAX)
		return;
	add(j, "XSHM_SEQ=%" PRIu32 "\nMESSAGE=", seq);
	j->used += logd_escape(j->buf + j->used, data, len);
	j->buf[j->used++] = '\n';
	end(j, start);
}

void journal_put_lost(struct logd_journal *j, uint64_t generation,
		      uint64_t lost, enum logd_where where,
		      enum logd_seq_key key, uint32_t seq)
{
	const char *w = logd_where_name(where);
	size_t start = begin(j, "lost", 4, generation, 300);

	if (start == SIZE_MAX)
		return;
	add(j, "XSHM_LOST=%" PRIu64 "\nXSHM_WHERE=%s\n", lost, w);
	if (key == LOGD_NO_SEQ)
		add(j, "MESSAGE=%" PRIu64 " records lost (where=%s)\n", lost, w);
	else
		add(j, "XSHM_%s_SEQ=%" PRIu32 "\nMESSAGE=%" PRIu64
		    " records lost (where=%s %s seq %" PRIu32 ")\n",
		    key == LOGD_BEFORE_SEQ ? "BEFORE" : "AFTER", seq, lost, w,
		    key == LOGD_BEFORE_SEQ ? "before" : "after", seq);
	end(j, start);
}

void journal_put_corrupt(struct logd_journal *j, uint64_t generation,
			 uint64_t total)
{
	size_t start = begin(j, "corrupt", 3, generation, 200);

	if (start == SIZE_MAX)
		return;
	add(j, "XSHM_CORRUPT=%" PRIu64 "\nMESSAGE=corrupt record or cursor in the ring; nothing past it can be read until the layout is re-initialised\n",
	    total);
	end(j, start);
}

void journal_put_generation(struct logd_journal *j, uint64_t generation)
{
	size_t start = begin(j, "generation", 5, generation, 100);

	if (start == SIZE_MAX)
		return;
	add(j, "MESSAGE=layout generation %" PRIu64 "\n", generation);
	end(j, start);
}

static int open_socket(void)
{
	struct timeval tmo = { .tv_sec = 1 };
	int size = 8 << 20;

	if (journal_fd >= 0)
		return 0;
	journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (journal_fd < 0)
		return -errno;
	/* as large datagrams as allowed (net.core.wmem_max caps it) */
	setsockopt(journal_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	/* a journald that stopped reading delays a batch, never hangs us */
	setsockopt(journal_fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	return 0;
}

static const struct sockaddr_un journal_addr = {
	.sun_family = AF_UNIX, .sun_path = LOGD_JOURNAL_SOCKET,
};

/* an entry too large for a datagram: in a sealed memfd, as journald takes it */
static int send_memfd(const char *data, size_t len)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl = { 0 };
	struct msghdr mh = {
		.msg_name = (void *)&journal_addr,
		.msg_namelen = sizeof(journal_addr),
		.msg_control = &ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c;
	int fd, ret = 0;

	fd = memfd_create("xshm-logd-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			ret = -errno;
			goto out;
		}
		data += n;
		len -= (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
		  F_SEAL_SEAL) < 0) {
		ret = -errno;
		goto out;
	}
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(journal_fd, &mh, MSG_NOSIGNAL) < 0)
		ret = -errno;
out:
	close(fd);
	return ret;
}

static int send_entry(const char *data, size_t len)
{
	if (sendto(journal_fd, data, len, MSG_NOSIGNAL,
		   (const struct sockaddr *)&journal_addr,
		   sizeof(journal_addr)) >= 0)
		return 0;
	if (errno == EMSGSIZE || errno == ENOBUFS)
		return send_memfd(data, len);
	return -errno;
}

/*
 * After the first failure the rest of the batch is not tried: a journald
 * that stopped reading costs one send timeout per batch, not per entry.
 */
int journal_send(struct logd_journal *j)
{
	int err = open_socket();

	for (size_t off = 0; off < j->used;) {
		size_t len;

		memcpy(&len, j->buf + off, sizeof(len));
		off += sizeof(len);
		if (!err)
			err = send_entry(j->buf + off, len);
		off += len;
		if (err)
			j->failed++;
		else
			j->sent++;
	}
	if (j->dropped) {
		j->failed += j->dropped;
		if (!err)
			err = -ENOMEM;
	}
	journal_clear(j);
	return err;
}

void journal_clear(struct logd_journal *j)
{
	j->used = 0;
	j->dropped = 0;
}

void journal_free(struct logd_journal *j)
{
	free(j->buf);
	j->buf = NULL;
	j->cap = j->used = 0;
}
