/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Records on stdin/stdout for xshm-ring: text lines, or with --binary
 * length-prefixed records (a 32-bit little-endian length, then the bytes).
 */
#ifndef XSHM_TOOLS_RING_IO_H
#define XSHM_TOOLS_RING_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define REC_EOF		(-1)	/* clean end of input */
#define REC_ERROR	(-2)	/* read error (errno) or truncated record */
#define REC_TOO_BIG	(-3)	/* binary length beyond the reader's limit */

struct rec_reader {
	FILE *f;
	bool binary;
	size_t max;		/* largest record accepted (binary) */
	char *buf;
	size_t cap;
	bool truncated;		/* REC_ERROR came from a short record */
};

void rec_reader_init(struct rec_reader *rd, FILE *f, bool binary, size_t max);
void rec_reader_free(struct rec_reader *rd);
/* next record (a line without its newline); returns its length or REC_* */
ssize_t rec_read(struct rec_reader *rd, const char **data);

/* one record: text gets a newline unless it ends with one; 0 or -1 */
int rec_write(FILE *f, bool binary, const void *data, size_t len);

/* a short, printable, quoted rendering of data for humans */
void rec_quote(FILE *f, const void *data, size_t len, size_t max);

#endif /* XSHM_TOOLS_RING_IO_H */
