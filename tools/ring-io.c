// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Records on stdin/stdout for xshm-ring: text lines, or with --binary
 * length-prefixed records (a 32-bit little-endian length, then the bytes).
 */
#define _GNU_SOURCE
#include "ring-io.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

void rec_reader_init(struct rec_reader *rd, FILE *f, bool binary, size_t max)
{
	rd->f = f;
	rd->binary = binary;
	rd->max = max;
	rd->buf = NULL;
	rd->cap = 0;
	rd->truncated = false;
}

void rec_reader_free(struct rec_reader *rd)
{
	free(rd->buf);
	rd->buf = NULL;
}

static ssize_t read_binary(struct rec_reader *rd, const char **data)
{
	unsigned char hdr[4];
	size_t got, len;

	got = fread(hdr, 1, sizeof(hdr), rd->f);
	if (got == 0 && feof(rd->f))
		return REC_EOF;
	if (got != sizeof(hdr)) {
		rd->truncated = !ferror(rd->f);
		return REC_ERROR;
	}
	len = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 |
	      (size_t)hdr[3] << 24;
	if (len > rd->max)
		return REC_TOO_BIG;
	if (len > rd->cap) {
		char *grown = realloc(rd->buf, len);

		if (!grown) {
			errno = ENOMEM;
			return REC_ERROR;
		}
		rd->buf = grown;
		rd->cap = len;
	}
	if (len && fread(rd->buf, 1, len, rd->f) != len) {
		rd->truncated = !ferror(rd->f);
		return REC_ERROR;
	}
	*data = rd->buf;
	return (ssize_t)len;
}

ssize_t rec_read(struct rec_reader *rd, const char **data)
{
	ssize_t n;

	if (rd->binary)
		return read_binary(rd, data);
	errno = 0;
	n = getline(&rd->buf, &rd->cap, rd->f);
	if (n < 0)
		return ferror(rd->f) ? REC_ERROR : REC_EOF;
	if (n > 0 && rd->buf[n - 1] == '\n')
		rd->buf[--n] = '\0';
	*data = rd->buf;
	return n;
}

int rec_write(FILE *f, bool binary, const void *data, size_t len)
{
	if (binary) {
		unsigned char hdr[4] = {
			(unsigned char)len, (unsigned char)(len >> 8),
			(unsigned char)(len >> 16), (unsigned char)(len >> 24),
		};

		if (fwrite(hdr, 1, 4, f) != 4)
			return -1;
	}
	if (len && fwrite(data, 1, len, f) != len)
		return -1;
	if (!binary && (len == 0 || ((const char *)data)[len - 1] != '\n'))
		if (fputc('\n', f) == EOF)
			return -1;
	return 0;
}

void rec_quote(FILE *f, const void *data, size_t len, size_t max)
{
	const unsigned char *p = data;

	fputc('"', f);
	for (size_t i = 0; i < len && i < max; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], f);
		else
			fprintf(f, "\\x%02x", p[i]);
	}
	fputc('"', f);
	if (len > max)
		fputs("...", f);
}
