// SPDX-License-Identifier: GPL-2.0-or-later
/* The command-line convention every xshm tool follows (man/man7/xshm.7). */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>

#include "util.h"
#include "xshm.h"

int verbosity;

static void vsay(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	return EXIT_USAGE;
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void detail(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

int cli_common_option(int c, void (*usage)(FILE *))
{
	switch (c) {
	case 'h':
		usage(stdout);
		exit(EXIT_OK);
	case 'V':
		/* the tools and the library are released together */
		printf("%s (xshm) %s\n", progname, xshm_version());
		exit(EXIT_OK);
	case 'q':
		verbosity = -1;
		return 1;
	case 'v':
		if (verbosity < 0)
			verbosity = 0;
		verbosity++;
		return 1;
	case '?':
	case ':':
		/* getopt has printed the one line already */
		fprintf(stderr, "Try '%s --help' for more information.\n",
			progname);
		exit(EXIT_USAGE);
	default:
		return 0;
	}
}

int exit_worst(int a, int b)
{
	if (a == EXIT_RUNTIME || b == EXIT_RUNTIME)
		return EXIT_RUNTIME;
	return a > b ? a : b;
}
