/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xshm-logd --journal: the entries of a batch (records and markers) also
 * go to systemd's journal once the batch is stored in its log file.  The
 * log file stays the store of record (progress, no duplicates, rotation);
 * the journal is a copy to read with journalctl and filter by field:
 *
 *   MESSAGE           the payload, escaped as in the log file; for a
 *                     marker, a sentence
 *   PRIORITY          6 record, 5 layout generation, 4 loss, 3 corrupt data
 *   SYSLOG_IDENTIFIER the region's name (journalctl -t NAME)
 *   XSHM_REGION       the region's name (xen,id or a file's base name)
 *   XSHM_RING         the ring
 *   XSHM_KIND         record, lost, generation or corrupt
 *   XSHM_GENERATION   the layout generation the entry belongs to
 *   XSHM_SEQ          a record's sequence number
 *   XSHM_LOST, XSHM_WHERE, XSHM_BEFORE_SEQ or XSHM_AFTER_SEQ   a loss
 *   XSHM_CORRUPT      the corrupt-data count of this log
 *
 * Sent over journald's native protocol (systemd-journald.service(8)
 * "native protocol"): one datagram of FIELD=value lines per entry to
 * /run/systemd/journal/socket, or, when it is too large for a datagram,
 * a sealed memfd passed over the socket.
 */
#ifndef XSHM_TOOLS_LOGD_JOURNAL_H
#define XSHM_TOOLS_LOGD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "logd-format.h"

#define LOGD_JOURNAL_SOCKET	"/run/systemd/journal/socket"

/* the journal entries of one ring's batch */
struct logd_journal {
	const char *region, *ring;	/* borrowed: outlive the journal */
	char *buf;		/* entries, each a size_t length then the datagram */
	size_t cap, used;
	uint64_t dropped;	/* entries that did not fit in memory */
	uint64_t sent, failed;	/* entries, this run */
};

void journal_put_record(struct logd_journal *j, uint64_t generation,
			uint32_t seq, const void *data, size_t len);
void journal_put_lost(struct logd_journal *j, uint64_t generation,
		      uint64_t lost, enum logd_where where,
		      enum logd_seq_key key, uint32_t seq);
void journal_put_corrupt(struct logd_journal *j, uint64_t generation,
			 uint64_t total);
void journal_put_generation(struct logd_journal *j, uint64_t generation);

/*
 * Send the entries put since the last journal_send/journal_clear, then
 * clear them.  Returns 0 if every one was sent, else the -errno of the
 * first failure, after which the rest are not tried (all counted in
 * j->failed: the log file has those entries, the journal does not).
 */
int journal_send(struct logd_journal *j);
/* forget the entries put (the batch they belong to starts over) */
void journal_clear(struct logd_journal *j);
void journal_free(struct logd_journal *j);

#endif /* XSHM_TOOLS_LOGD_JOURNAL_H */
