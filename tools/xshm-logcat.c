// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xshm-logcat: print the records of logs written by xshm-logd (format 2,
 * Documentation/logd-format.md) as the producer sent them, unescaped;
 * markers and file headers only on request.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "logd-format.h"
#include "util.h"

struct opts {
	bool markers, times;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: xshm-logcat [OPTIONS] [FILE...]\n"
"Print the records of xshm-logd logs (format 2) unescaped, one per line,\n"
"in the order given (oldest rotated file first); no FILE or - reads stdin.\n"
"\n"
"  -m, --markers         also print markers (losses, generations) and file\n"
"                        headers, as they are in the log\n"
"  -t, --time            prefix each record with its receive time\n"
CLI_HELP
"Here 5 is: a line that is not in format 2 (reported with its line number).\n");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* unescape s (len bytes) in place; returns the new length or -1 if malformed */
static long unescape(char *s, size_t len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		if (s[i] != '\\') {
			s[o++] = s[i++];
			continue;
		}
		if (i + 3 >= len || s[i + 1] != 'x' || hexval(s[i + 2]) < 0 ||
		    hexval(s[i + 3]) < 0)
			return -1;
		s[o++] = (char)(hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
		i += 4;
	}
	return (long)o;
}

static bool is_stamp(const char *s, size_t len)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";

	if (len < LOGD_TS_LEN)
		return false;
	for (size_t i = 0; i < LOGD_TS_LEN; i++)
		if (pat[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != pat[i])
			return false;
	return true;
}

/* one line without its newline; false if it is not a format-2 line */
static bool line(const struct opts *o, char *s, size_t len)
{
	size_t ml = strlen(LOGD_MARKER);
	long n;

	if (len >= ml && !memcmp(s, LOGD_MARKER, ml)) {
		if (len < ml + 9 || memcmp(s + ml, "format=2 ", 9))
			return false;
		if (o->markers)
			printf("%.*s\n", (int)len, s);
		return true;
	}
	if (!is_stamp(s, len) || len < LOGD_TS_LEN + 1)
		return false;
	if (len >= LOGD_TS_LEN + 3 && !memcmp(s + LOGD_TS_LEN, " | ", 3)) {
		n = unescape(s + LOGD_TS_LEN + 3, len - LOGD_TS_LEN - 3);
		if (n < 0)
			return false;
		if (o->times)
			printf("%.*s ", LOGD_TS_LEN, s);
		fwrite(s + LOGD_TS_LEN + 3, 1, (size_t)n, stdout);
		putchar('\n');
		return true;
	}
	if (len > LOGD_TS_LEN + 1 + ml && s[LOGD_TS_LEN] == ' ' &&
	    !memcmp(s + LOGD_TS_LEN + 1, LOGD_MARKER, ml)) {
		if (o->markers)
			printf("%.*s\n", (int)len, s);
		return true;
	}
	return false;
}

static int cat(const struct opts *o, const char *path)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	unsigned long no = 0, bad = 0;
	ssize_t len;
	int rc = EXIT_OK;

	if (!f) {
		msg("%s: %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	while ((len = getline(&buf, &cap, f)) >= 0) {
		no++;
		if (len && buf[len - 1] == '\n')
			len--;
		if (!line(o, buf, (size_t)len)) {
			if (bad++ < 10)
				msg("%s:%lu: not a format-2 xshm-logd line", path, no);
			rc = EXIT_CORRUPT;
		}
	}
	if (ferror(f)) {
		msg("%s: %s", path, strerror(errno));
		rc = EXIT_RUNTIME;
	}
	free(buf);
	if (!is_stdin)
		fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "markers", no_argument, NULL, 'm' },
		{ "time", no_argument, NULL, 't' },
		CLI_LONGOPTS,
		{ 0 }
	};
	struct opts o = { 0 };
	int c, rc = EXIT_OK;

	tool_init(argv);
	while ((c = getopt_long(argc, argv, "mt" CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.markers = true;
			break;
		case 't':
			o.times = true;
			break;
		default:
			if (!cli_common_option(c, usage))
				return EXIT_USAGE;
			break;
		}
	}
	if (optind == argc)
		rc = cat(&o, "-");
	for (int i = optind; i < argc; i++)
		rc = exit_worst(rc, cat(&o, argv[i]));
	if (fflush(stdout)) {
		msg("stdout: %s", strerror(errno));
		rc = EXIT_RUNTIME;
	}
	return rc;
}
