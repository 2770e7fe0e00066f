/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command-line convention every xshm tool follows (man/man7/xshm.7):
 * common options, one-line usage errors, and exit codes that mean the
 * same thing in every tool.
 */
#ifndef XSHM_TOOLS_CLI_H
#define XSHM_TOOLS_CLI_H

#include <getopt.h>
#include <stdio.h>

#define EXIT_OK		0	/* done as asked */
#define EXIT_RUNTIME	1	/* system error: no such file, permission, I/O */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_SHORT	3	/* incomplete: timed out, dropped, stalled, fewer records */
#define EXIT_LAYOUT	4	/* no layout, an incompatible or a different one */
#define EXIT_CORRUPT	5	/* corrupt data: record, cursor, layout, tree node */

/* getopt strings and long options of -h, -V, -q, -v and --json */
#define CLI_SHORTOPTS	"hVqv"
#define CLI_LONGOPTS						\
	{ "help", no_argument, NULL, 'h' },			\
	{ "version", no_argument, NULL, 'V' },			\
	{ "quiet", no_argument, NULL, 'q' },			\
	{ "verbose", no_argument, NULL, 'v' }
#define CLI_JSON_LONGOPT	{ "json", no_argument, NULL, 'j' }

/* the end of every --help: the common options and the exit codes */
#define CLI_HELP							\
"  -q, --quiet          errors only: no progress or summary messages\n"	\
"  -v, --verbose        more detail on stderr\n"				\
"  -h, --help           this help\n"					\
"  -V, --version        the version of xshm\n"				\
"\n"									\
"Exit status (xshm(7)): 0 ok, 1 runtime error, 2 usage error, 3 incomplete\n"	\
"or timed out, 4 no layout or another one, 5 corrupt data.\n"

/* -1 with -q, 0 by default, one more per -v */
extern int verbosity;

/*
 * Handle option c if it is one of the common ones: -h prints usage on
 * stdout and exits 0, -V the version and exits 0, '?' (getopt already
 * said why) the hint and exits 2; -q and -v set verbosity.  Returns true
 * if c was handled.
 */
int cli_common_option(int c, void (*usage)(FILE *));
/* "prog: message" and "Try 'prog --help'..." on stderr; returns EXIT_USAGE */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* progress and summaries on stderr, silenced by -q */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* details on stderr with -v */
void detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the worse of two exit codes: a runtime error first, then the highest */
int exit_worst(int a, int b);

#endif /* XSHM_TOOLS_CLI_H */
