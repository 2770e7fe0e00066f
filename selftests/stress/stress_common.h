/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the libxshm stress programs: deterministic record
 * contents (a record's bytes are a pure function of its number, so any
 * process, or any incarnation of a restarted one, can build or check it),
 * a checksum, region files on tmpfs, clocks and failure reporting.
 *
 * The programs print "# ..." figures and "FAIL: ..." diagnostics on stdout
 * and exit non-zero on any failure; run.sh turns that into TAP lines.
 */
#ifndef STRESS_COMMON_H
#define STRESS_COMMON_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "xshm.h"

#define STRESS_PATH_MAX 256

/* splitmix64 finaliser: cheap, and every input bit affects every output bit */
static inline uint64_t stress_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Fill len bytes with the body of record n (a stream keyed by n and salt). */
static inline void stress_body(void *buf, size_t len, uint64_t n, uint64_t salt)
{
	uint8_t *p = buf;
	uint64_t s = stress_mix(n ^ (salt << 40));
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		s = stress_mix(s);
		memcpy(p + i, &s, 8);
	}
	s = stress_mix(s);
	for (; i < len; i++, s >>= 8)
		p[i] = (uint8_t)s;
}

/* Checksum of a byte range keyed by a record number (FNV-1a, then mixed). */
static inline uint64_t stress_sum(const void *buf, size_t len, uint64_t n)
{
	const uint8_t *p = buf;
	uint64_t h = 0xcbf29ce484222325ull ^ n;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return stress_mix(h);
}

/* Body length of variable record n: 0..max, biased to small, sometimes max. */
static inline size_t stress_var_len(uint64_t n, size_t max)
{
	uint64_t r = stress_mix(n * 7 + 3);

	if ((r & 15) == 0)
		return max;
	return (size_t)((r >> 8) % (max / 4 + 1));
}

static inline uint64_t stress_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void stress_sleep_us(unsigned long us)
{
	struct timespec ts = { (time_t)(us / 1000000ul),
			       (long)(us % 1000000ul) * 1000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Fail the whole program: print why (one line, for the TAP diagnostics). */
static inline __attribute__((noreturn, format(printf, 1, 2)))
void stress_die(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

#define STRESS_CHECK(call) do {						\
	int stress_ret_ = (call);					\
	if (stress_ret_ < 0)						\
		stress_die("%s:%d: %s = %d (%s)", __FILE__, __LINE__,	\
			   #call, stress_ret_, xshm_strerror(stress_ret_)); \
} while (0)

/*
 * fork() whose child dies with its parent: a failing test never leaves a
 * spinning peer behind (and never keeps the runner's output pipe open).
 */
static inline pid_t stress_fork(void)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);	/* the parent is already gone */
	}
	return pid;
}

/* Where region files live: tmpfs like the real use, overridable for tests. */
static inline const char *stress_tmp_dir(void)
{
	const char *dir = getenv("XSHM_TEST_DIR");

	if (dir && *dir)
		return dir;
	if (access("/dev/shm", W_OK) == 0)
		return "/dev/shm";
	dir = getenv("TMPDIR");
	return dir && *dir ? dir : "/tmp";
}

#define STRESS_TMP_MAX 4
static char stress_tmp_paths[STRESS_TMP_MAX][STRESS_PATH_MAX];
static unsigned int stress_tmp_count;
static pid_t stress_tmp_owner;

/*
 * At exit of the process that made them (forked children exit too), remove
 * the temporary files and their side files, also after a failure, unless
 * XSHM_STRESS_KEEP is set (to look at a failed run's region).
 */
static inline void stress_tmp_cleanup(void)
{
	char side[STRESS_PATH_MAX + 16];
	unsigned int i;

	if (getpid() != stress_tmp_owner || getenv("XSHM_STRESS_KEEP"))
		return;
	for (i = 0; i < stress_tmp_count; i++) {
		unlink(stress_tmp_paths[i]);
		snprintf(side, sizeof(side), "%s.dedup", stress_tmp_paths[i]);
		unlink(side);
		snprintf(side, sizeof(side), "%s.retract", stress_tmp_paths[i]);
		unlink(side);
	}
}

/* Make a uniquely named empty file, removed when this process exits. */
static inline void stress_tmp_file(char path[STRESS_PATH_MAX], const char *tag)
{
	int fd;

	snprintf(path, STRESS_PATH_MAX, "%s/xshm-%s-XXXXXX", stress_tmp_dir(),
		 tag);
	fd = mkstemp(path);
	if (fd < 0)
		stress_die("mkstemp %s: %s", path, strerror(errno));
	close(fd);
	if (!stress_tmp_count) {
		stress_tmp_owner = getpid();
		atexit(stress_tmp_cleanup);
	}
	if (stress_tmp_count < STRESS_TMP_MAX)
		memcpy(stress_tmp_paths[stress_tmp_count++], path,
		       STRESS_PATH_MAX);
}

/* Parse a count argument such as 10000000, 1e7 or 10M. */
static inline uint64_t stress_count(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end == 'k' || *end == 'K')
		v *= 1e3, end++;
	else if (*end == 'M')
		v *= 1e6, end++;
	else if (*end == 'G')
		v *= 1e9, end++;
	if (*end || v < 0 || v > 1e15)
		stress_die("bad count '%s'", s);
	return (uint64_t)v;
}

#endif /* STRESS_COMMON_H */
