// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xshm-rtsim: plays the real-time domain for demos and tests.  It logs
 * numbered records into a ring at a steady rate and never waits for the
 * consumer: a full ring drops (or overwrites) and the ring counts it.
 * Each record reads "rtsim seq=<ring seq> t=<ns> <padding>", so a stored
 * log can be checked line by line against the ring's numbering.
 *
 * It stands in for the real-time domain, so its data path is the one a
 * real-time domain would build: xshm-peer.h alone (attach, initialise,
 * send), on the memory libxshm maps for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "chan-spec.h"
#include "cli.h"
#include "json.h"
#include "region-error.h"
#include "util.h"
#include "xshm.h"
#include "xshm-peer.h"

#define TICK_NS		1000000ull	/* send every millisecond */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* what xshm_peer_layout_init() needs from an RTOS: a clock, a pause, entropy */
static uint64_t now_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void pause_a_little(void *ctx)
{
	struct timespec ts = { 0, 100000 };

	(void)ctx;
	nanosleep(&ts, NULL);
}

static int peer_init(struct xshm_region *r, const struct xshm_chan_spec *specs,
		     unsigned int n)
{
	struct xshm_peer_chan_spec spec[XSHM_CHAN_MAX];
	struct xshm_peer_init_env env = { now_ms, pause_a_little, NULL, 0, 0 };
	struct xshm_peer_layout lay;
	unsigned int i;

	if (getrandom(&env.random, sizeof(env.random), 0) !=
	    (ssize_t)sizeof(env.random))
		env.random = now_ms(NULL) ^ ((uint64_t)getpid() << 32);
	for (i = 0; i < n; i++)
		spec[i] = (struct xshm_peer_chan_spec){ specs[i].name,
			specs[i].type, specs[i].policy, specs[i].elem_size,
			specs[i].capacity };
	return xshm_peer_layout_init(&lay, xshm_region_base(r),
				     xshm_region_size(r), spec, n, 0, &env);
}

/* poll for a layout (-ENODATA: not yet) up to wait_ms (< 0: forever) */
static int peer_wait(struct xshm_region *r, long long wait_ms,
		     struct xshm_peer_layout *lay)
{
	uint64_t start = now_ms(NULL);
	int err;

	for (;;) {
		err = xshm_peer_layout_attach(lay, xshm_region_base(r),
					      xshm_region_size(r));
		if (err != -ENODATA && err != -EAGAIN)
			return err;
		if (wait_ms >= 0 && now_ms(NULL) - start >= (uint64_t)wait_ms)
			return -ETIMEDOUT;
		pause_a_little(NULL);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: xshm-rtsim [OPTIONS] REGION RING\n"
"Log numbered records into a ring at a steady rate, never waiting.\n"
"\n"
"  -r, --rate N      records per second (default 1000)\n"
"  -n, --count N     stop after N records (default: until SIGINT/SIGTERM)\n"
"  -S, --size N      pad each record to about N bytes (default 48)\n"
"  -c, --init SPEC   initialise the region with these channels if it holds\n"
"                    no layout (repeatable; see xshm-ring init)\n"
"  -w, --wait MS     wait up to MS for a layout (default -1: forever)\n"
"  -j, --json        the summary at the end as JSON\n"
CLI_HELP
"At the end it prints \"sent N dropped D first-seq F next-seq S\" on stdout.\n"
"Dropping is what a real-time producer does when the ring is full: drops are\n"
"counted in that summary and do not change the exit status.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'S' },
		{ "init", required_argument, NULL, 'c' },
		{ "wait", required_argument, NULL, 'w' },
		CLI_JSON_LONGOPT,
		CLI_LONGOPTS,
		{ 0 }
	};
	struct xshm_chan_spec specs[XSHM_CHAN_MAX];
	char names[XSHM_CHAN_MAX][XSHM_NAME_MAX + 1], err_text[300];
	long long rate = 1000, count = 0, size = 48, wait_ms = -1;
	unsigned int nspecs = 0;
	bool json = false;
	uint64_t sent = 0, dropped = 0, due = 0, ticks = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct xshm_region *r;
	struct xshm_peer_layout lay;
	struct xshm_peer_ring ring;
	void *staging = NULL;
	struct timespec next;
	uint32_t first_seq;
	char rec[4096];
	int c, err, rc = EXIT_OK;

	tool_init(argv);
	while ((c = getopt_long(argc, argv, "r:n:S:c:w:j" CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (!parse_int(optarg, 1, &rate) || rate > 100000000)
				return usage_error("--rate needs 1..1e8, not \"%s\"", optarg);
			break;
		case 'n':
			if (!parse_int(optarg, 1, &count))
				return usage_error("--count needs a positive number, not \"%s\"", optarg);
			break;
		case 'S':
			if (!parse_int(optarg, 1, &size) || size >= (long long)sizeof(rec))
				return usage_error("--size needs 1..%zu, not \"%s\"", sizeof(rec) - 1, optarg);
			break;
		case 'c':
			if (nspecs == XSHM_CHAN_MAX ||
			    chan_spec_parse(optarg, &specs[nspecs], names[nspecs],
					    err_text, sizeof(err_text)))
				return usage_error("%s", nspecs == XSHM_CHAN_MAX ? "too many channels" : err_text);
			nspecs++;
			break;
		case 'w':
			if (!parse_int(optarg, -1, &wait_ms) || wait_ms > INT32_MAX)
				return usage_error("--wait needs milliseconds or -1, not \"%s\"", optarg);
			break;
		case 'j':
			json = true;
			break;
		default:
			if (!cli_common_option(c, usage))
				return EXIT_USAGE;
			break;
		}
	}
	if (argc - optind != 2)
		return usage_error("REGION and RING expected");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = xshm_region_open(argv[optind], 0, 0, &r);
	if (err)
		return region_open_error(argv[optind], err);
	if (nspecs) {
		err = peer_init(r, specs, nspecs);
		if (err == -ENOSPC)
			rc = region_too_small(argv[optind], xshm_region_size(r),
					      specs, nspecs);
		else if (err < 0 && err != -EEXIST)
			rc = layout_error(argv[optind], r, err);
		if (rc) {
			xshm_region_close(r);
			return rc;
		}
	}
	err = peer_wait(r, wait_ms, &lay);
	if (err) {
		rc = layout_error(argv[optind], r, err);
		xshm_region_close(r);
		return rc;
	}
	err = xshm_peer_ring_attach(&lay, argv[optind + 1], &ring);
	if (!err && ring.type != XSHM_WIRE_RING_VAR)
		err = -EINVAL;		/* records need a RING_VAR channel */
	if (!err && ring.policy == XSHM_WIRE_FULL_OVERWRITE) {
		/* an RTOS would give a static buffer of the ring's size */
		staging = malloc(ring.capacity);
		if (!staging)
			err = -ENOMEM;
		xshm_peer_ring_set_staging(&ring, staging, ring.capacity);
	}
	if (err) {
		free(staging);
		msg("%s: ring \"%s\": %s", argv[optind], argv[optind + 1],
		    err == -ENOENT ? "no such channel" : xshm_strerror(err));
		xshm_region_close(r);
		return EXIT_RUNTIME;
	}
	first_seq = ring.next_seq;
	detail("%s: ring \"%s\" from seq %" PRIu32 ", %lld records/s of %lld bytes",
	       argv[optind], argv[optind + 1], first_seq, rate, size);

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop && (!count || sent + dropped < (uint64_t)count)) {
		/* records owed so far at the configured rate */
		ticks++;
		due = ticks * (uint64_t)rate * TICK_NS / 1000000000ull;
		while (sent + dropped < due && (!count || sent + dropped < (uint64_t)count)) {
			struct timespec now;
			uint32_t seq = ring.next_seq;
			int len;

			clock_gettime(CLOCK_MONOTONIC, &now);
			len = snprintf(rec, sizeof(rec), "rtsim seq=%" PRIu32 " t=%lld.%09ld ",
				       seq, (long long)now.tv_sec, now.tv_nsec);
			for (; len < size; len++)
				rec[len] = (char)('a' + len % 26);
			err = xshm_peer_ring_send(&ring, rec, (size_t)len);
			if (err >= 0) {
				sent++;
			} else if (err == -ENOBUFS || err == -EAGAIN) {
				/* the RT side never waits: count and move on */
				dropped++;
			} else {
				msg("send: %s", xshm_strerror(err));
				rc = EXIT_RUNTIME;
				stop = 1;
				break;
			}
		}
		next.tv_nsec += (long)TICK_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_u64(&j, "sent", sent);
		json_u64(&j, "dropped", dropped);
		json_u64(&j, "first_seq", first_seq);
		json_u64(&j, "next_seq", ring.next_seq);
		json_obj_end(&j);
		json_finish(&j);
	} else {
		printf("sent %" PRIu64 " dropped %" PRIu64 " first-seq %" PRIu32
		       " next-seq %" PRIu32 "\n", sent, dropped, first_seq,
		       ring.next_seq);
	}
	free(staging);
	xshm_region_close(r);
	return rc;
}
