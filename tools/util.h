/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by the xshm command-line tools. */
#ifndef XSHM_TOOLS_UTIL_H
#define XSHM_TOOLS_UTIL_H

#include <stdbool.h>
#include <stdint.h>

extern const char *progname;

/* progname from argv[0], which becomes the bare name too (getopt uses it) */
void tool_init(char **argv);
/* "prog: message" on stderr (printf style) */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* decimal or 0x hex, whole string, no sign */
bool parse_u64(const char *s, uint64_t *out);
/* like parse_u64 but accepts a K, M or G suffix (powers of 1024) */
bool parse_size(const char *s, uint64_t *out);
/* decimal int >= min */
bool parse_int(const char *s, long long min, long long *out);

/* monotonic clock in nanoseconds */
uint64_t now_ns(void);
void sleep_us(unsigned int us);

#endif /* XSHM_TOOLS_UTIL_H */
