// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xshm-ring: create layouts and move records between a ring and
 * stdin/stdout, for scripts, tests and debugging.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan-report.h"
#include "chan-spec.h"
#include "cli.h"
#include "json.h"
#include "region-error.h"
#include "ring-io.h"
#include "util.h"
#include "value-cmd.h"
#include "xshm.h"

struct opts {
	const char *cmd, *region, *chan, *value;
	uint64_t create;
	bool binary, follow, stats, json, force, allow_drops, doorbell;
	long long timeout_ms;		/* -1: not given */
	long long count;		/* 0: unlimited */
	long long wait_ms;		/* layout wait */
	long long writer;		/* set: LWW writer slot */
	uint64_t stamp;			/* set: LWW stamp */
	struct xshm_chan_spec specs[XSHM_CHAN_MAX];
	char names[XSHM_CHAN_MAX][XSHM_NAME_MAX + 1];
	unsigned int nspecs;
};

struct counters {
	uint64_t recs, bytes, dropped, full_waits, lost, corrupt, too_big;
	uint64_t start_ns, last_ns, last_recs, last_bytes;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: xshm-ring [OPTIONS] COMMAND REGION [CHANNEL]\n"
"Move records between a ring and stdin/stdout, read and write values;\n"
"create and inspect layouts.\n"
"REGION is /dev/xshmN, N, a xen,id or a plain file.\n"
"\n"
"Commands:\n"
"  init REGION --chan SPEC...   write a layout (kept if identical)\n"
"  send REGION CHANNEL          stdin lines (or --binary records) to the ring\n"
"  recv REGION CHANNEL          records from the ring to stdout\n"
"  peek REGION CHANNEL          show records without consuming them\n"
"  stat REGION [CHANNEL]        fill levels and counters\n"
"  get REGION CHANNEL           a seqlock, latch or lww value to stdout\n"
"  set REGION CHANNEL [VALUE]   write VALUE (default: stdin), zero-padded\n"
"\n"
"Options:\n"
"  -C, --create SIZE    REGION is a plain file: create or extend it to SIZE\n"
"  -c, --chan SPEC      init: NAME:var:BYTES[:POLICY[:MAXREC]],\n"
"                       NAME:fixed:SLOTS:SLOTSIZE[:POLICY], NAME:seqlock:SIZE,\n"
"                       NAME:latch:SIZE or NAME:lww:SIZE:WRITERS;\n"
"                       POLICY is fail, drop (default) or overwrite\n"
"      --force          init: re-initialise even over a valid layout\n"
"  -b, --binary         records are a 32-bit little-endian length + bytes;\n"
"                       get/set: the value's raw bytes\n"
"  -f, --follow         recv: wait for more records until SIGINT/SIGTERM\n"
"      --allow-drops    send: exit 0 even if a drop-policy ring dropped lines\n"
"      --doorbell       send/recv/peek: sleep on the channel's doorbell\n"
"                       (/etc/xshm/doorbells) instead of polling\n"
"  -t, --timeout MS     recv: wait up to MS for each record (default: stop\n"
"                       when the ring is empty); send: wait up to MS while\n"
"                       a fail-policy ring is full (default: forever);\n"
"                       get: wait up to MS for a writer mid-update (1000)\n"
"      --writer N       set: the lww writer slot to write (default 0)\n"
"      --stamp N        set: the lww stamp (default: newest + 1)\n"
"  -n, --count N        recv/peek: stop after N records\n"
"  -w, --wait MS        wait up to MS for a layout to appear (-1: forever)\n"
"  -s, --stats          rates and counters on stderr (each second and at end)\n"
"  -j, --json           init, peek, stat, get: JSON output\n"
CLI_HELP
"Here 3 is also: records dropped (send), fewer records than --count (recv);\n"
"5 a corrupt record or cursor was met (the records before it were delivered).\n");
}

static int err_exit(int err)
{
	switch (err) {
	case -ENODATA:
	case -EPROTO:
	case -EEXIST:
	case -ESTALE:
		return EXIT_LAYOUT;
	case -EBADMSG:
		return EXIT_CORRUPT;
	default:
		return EXIT_RUNTIME;
	}
}

static void print_stats(const char *what, struct counters *c,
			struct xshm_ring *ring, bool final)
{
	uint64_t now = now_ns();
	double total = (double)(now - c->start_ns) / 1e9;
	double dt = (double)(now - c->last_ns) / 1e9;
	struct xshm_ring_stats st;

	if (final)
		dt = total;
	if (dt <= 0)
		dt = 1e-9;
	if (total <= 0)
		total = 1e-9;
	fprintf(stderr,
		"%s: %s %" PRIu64 " records %" PRIu64 " bytes in %.3f s (%.0f rec/s, %.2f MB/s)",
		progname, what, c->recs, c->bytes, total,
		(double)(final ? c->recs : c->recs - c->last_recs) / dt,
		(double)(final ? c->bytes : c->bytes - c->last_bytes) / dt / 1e6);
	fprintf(stderr, " dropped %" PRIu64 " full-waits %" PRIu64
		" lost %" PRIu64 " corrupt %" PRIu64 " too-big %" PRIu64,
		c->dropped, c->full_waits, c->lost, c->corrupt, c->too_big);
	if (ring && !xshm_ring_stats(ring, &st))
		fprintf(stderr, " | ring fill %" PRIu64 "/%" PRIu64
			" produced %" PRIu64 " dropped %" PRIu64
			" overwritten %" PRIu64 " corrupt %" PRIu64,
			st.fill, st.capacity, st.produced, st.dropped,
			st.overwritten, st.corrupt);
	fputc('\n', stderr);
	c->last_ns = now;
	c->last_recs = c->recs;
	c->last_bytes = c->bytes;
}

static void maybe_stats(const struct opts *o, const char *what,
			struct counters *c, struct xshm_ring *ring)
{
	if (o->stats && now_ns() - c->last_ns >= 1000000000u)
		print_stats(what, c, ring, false);
}

/* the channel's description from the layout */
static int find_chan(struct xshm_region *r, const char *name,
		     struct xshm_chan_info *ci)
{
	struct xshm_chan_info info[XSHM_CHAN_MAX];
	int n = xshm_layout_list(r, info, XSHM_CHAN_MAX);

	if (n < 0)
		return n;
	for (int i = 0; i < n && i < XSHM_CHAN_MAX; i++) {
		if (!strcmp(info[i].name, name)) {
			*ci = info[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int cmd_init(const struct opts *o, struct xshm_region *r)
{
	int ret = xshm_layout_init(r, o->specs, o->nspecs,
				   o->force ? XSHM_INIT_FORCE : 0);

	if (ret == -EEXIST) {
		msg("%s holds a different valid layout; --force replaces it",
		    o->region);
		return EXIT_LAYOUT;
	}
	if (ret == -ENOSPC)
		return region_too_small(o->region, xshm_region_size(r), o->specs,
					o->nspecs);
	if (ret == -EPROTO)
		return layout_error(o->region, r, ret);
	if (ret < 0) {
		msg("init %s: %s", o->region, xshm_strerror(ret));
		return err_exit(ret);
	}
	if (o->json) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_str(&j, "region", xshm_region_name(r));
		json_bool(&j, "kept", ret == 1);
		json_u64_str(&j, "generation", xshm_layout_generation(r));
		json_u64(&j, "channels", o->nspecs);
		json_obj_end(&j);
		json_finish(&j);
	} else if (verbosity >= 0) {
		printf("%s layout generation %" PRIu64 " with %u channel%s\n",
		       ret == 1 ? "kept" : "initialised", xshm_layout_generation(r),
		       o->nspecs, o->nspecs == 1 ? "" : "s");
	}
	return EXIT_OK;
}

static int cmd_stat(const struct opts *o, struct xshm_region *r)
{
	struct json j;
	int ret;

	json_init(&j, stdout);
	if (o->json) {
		json_obj_begin(&j, NULL);
		json_str(&j, "region", xshm_region_name(r));
		json_u64(&j, "size", xshm_region_size(r));
	} else {
		printf("%s: size %zu\n", xshm_region_name(r), xshm_region_size(r));
	}
	ret = report_region(r, o->chan, stdout, o->json ? &j : NULL);
	if (o->json) {
		json_obj_end(&j);
		json_finish(&j);
	}
	if (ret == -ENOENT) {
		msg("no channel \"%s\" in %s", o->chan, o->region);
		return EXIT_RUNTIME;
	}
	/* the worst problem found, explained in the output */
	return ret;
}

/* one record into a fixed slot, zero-padded */
static int push_fixed(struct xshm_ring *ring, const struct xshm_chan_info *ci,
		      char *slot, const char *data, size_t len)
{
	if (len > ci->elem_size)
		return -EMSGSIZE;
	memcpy(slot, data, len);
	memset(slot + len, 0, ci->elem_size - len);
	return xshm_ring_push(ring, slot);
}

static int cmd_send(const struct opts *o, struct xshm_ring *ring,
		    const struct xshm_chan_info *ci)
{
	bool fixed = ci->type == XSHM_CHAN_RING_FIXED;
	struct counters c = { .start_ns = now_ns() };
	struct xshm_ring_stats before, after;
	struct rec_reader rd;
	char *slot = NULL;
	int rc = EXIT_OK;
	const char *data;
	ssize_t len;

	c.last_ns = c.start_ns;
	if (xshm_ring_stats(ring, &before))
		memset(&before, 0, sizeof(before));
	if (fixed && !(slot = malloc(ci->elem_size ? ci->elem_size : 1)))
		return EXIT_RUNTIME;
	rec_reader_init(&rd, stdin, o->binary, ci->capacity ? ci->capacity : 1u << 20);
	while (!stop && (len = rec_read(&rd, &data)) != REC_EOF) {
		uint64_t full_since = 0;
		unsigned int backoff = 1;
		int ret;

		if (len == REC_TOO_BIG) {
			msg("record %" PRIu64 ": longer than the ring; stopping",
			    c.recs + c.dropped + c.too_big + 1);
			rc = EXIT_RUNTIME;
			break;
		}
		if (len < 0) {
			if (errno == EINTR && stop)
				break;
			msg("reading stdin: %s", rd.truncated ?
			    "truncated record at end of input" : strerror(errno));
			rc = EXIT_RUNTIME;
			break;
		}
		for (;;) {
			ret = fixed ? push_fixed(ring, ci, slot, data, (size_t)len) :
				      xshm_ring_send(ring, data, (size_t)len);
			if (ret != -EAGAIN || stop)
				break;
			/* fail policy, ring full: wait for the consumer */
			if (!full_since)
				full_since = now_ns();
			c.full_waits++;
			if (o->timeout_ms >= 0 &&
			    now_ns() - full_since >= (uint64_t)o->timeout_ms * 1000000u)
				break;
			if (xshm_ring_fd(ring) >= 0) {
				/* room, or 200 ms for the timeout and stats */
				xshm_ring_wait(ring, 200);
			} else {
				sleep_us(backoff);
				if (backoff < 1000)
					backoff *= 2;
			}
			maybe_stats(o, "sent", &c, ring);
		}
		if (ret >= 0) {
			c.recs++;
			c.bytes += (uint64_t)len;
		} else if (ret == -ENOBUFS) {
			c.dropped++;
		} else if (ret == -EMSGSIZE) {
			c.too_big++;
			msg("record of %zd bytes is larger than \"%s\" allows; skipped",
			    len, ci->name);
			rc = EXIT_RUNTIME;
		} else if (ret == -EAGAIN) {
			if (stop)
				break;
			msg("ring \"%s\" stayed full for %lld ms", ci->name,
			    o->timeout_ms);
			rc = EXIT_SHORT;
			break;
		} else {
			msg("send to \"%s\": %s", ci->name, xshm_strerror(ret));
			rc = err_exit(ret);
			break;
		}
		maybe_stats(o, "sent", &c, ring);
	}
	if (o->stats)
		print_stats("sent", &c, ring, true);
	/* nothing lost silently: drops fail the run unless accepted */
	if (c.dropped) {
		if (o->allow_drops) {
			note("%" PRIu64 " of %" PRIu64 " records dropped: ring \"%s\" was full",
			     c.dropped, c.recs + c.dropped, ci->name);
		} else {
			msg("%" PRIu64 " of %" PRIu64 " records dropped: ring \"%s\" was full (policy drop; --allow-drops accepts this)",
			    c.dropped, c.recs + c.dropped, ci->name);
			if (rc == EXIT_OK)
				rc = EXIT_SHORT;
		}
	}
	if (!xshm_ring_stats(ring, &after) && after.overwritten > before.overwritten)
		note("%" PRIu64 " older records overwritten in ring \"%s\" before they were read (policy overwrite)",
		     after.overwritten - before.overwritten, ci->name);
	rec_reader_free(&rd);
	free(slot);
	return rc;
}

/*
 * Wait for the next record per the options; 0, -EAGAIN (give up) or an
 * error.  Output is flushed before any wait, so a reader of a pipe or a
 * file sees each record while we follow the ring.
 */
static int next_var(const struct opts *o, struct xshm_ring *ring,
		    struct xshm_record *rec)
{
	int ret = xshm_ring_peek(ring, rec);

	while (ret == -EAGAIN && (o->follow || o->timeout_ms > 0) && !stop) {
		fflush(stdout);
		ret = xshm_ring_peek_wait(ring, rec,
					  o->follow ? 200 : (int)o->timeout_ms);
		if (ret == -ETIMEDOUT)
			ret = -EAGAIN;
		if (!o->follow)
			break;
	}
	return ret;
}

static int next_fixed(const struct opts *o, struct xshm_ring *ring, void *slot)
{
	int ret = xshm_ring_pop(ring, slot);

	while (ret == -EAGAIN && (o->follow || o->timeout_ms > 0) && !stop) {
		fflush(stdout);
		ret = xshm_ring_pop_wait(ring, slot,
					 o->follow ? 200 : (int)o->timeout_ms);
		if (ret == -ETIMEDOUT)
			ret = -EAGAIN;
		if (!o->follow)
			break;
	}
	return ret;
}

static int cmd_recv(const struct opts *o, struct xshm_ring *ring,
		    const struct xshm_chan_info *ci, bool keep)
{
	bool fixed = ci->type == XSHM_CHAN_RING_FIXED;
	size_t cap = fixed ? ci->elem_size : ci->capacity;
	struct counters c = { .start_ns = now_ns() };
	bool json = keep && o->json;
	int rc = EXIT_OK;
	struct json j;
	char *buf;

	c.last_ns = c.start_ns;
	buf = malloc(cap ? cap : 1);
	if (!buf)
		return EXIT_RUNTIME;
	if (json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_str(&j, "channel", ci->name);
		json_arr_begin(&j, "records");
	}
	while (!stop && (!o->count || c.recs < (uint64_t)o->count)) {
		struct xshm_record rec = { 0 };
		size_t len;
		int ret;

		ret = fixed ? next_fixed(o, ring, buf) : next_var(o, ring, &rec);
		if (ret == -EAGAIN)
			break;
		if (ret == -EBADMSG) {
			/* the library never follows a bad header: the ring is stuck here */
			c.corrupt++;
			msg("ring \"%s\": corrupt record or cursor after %" PRIu64
			    " records; nothing past it is read", ci->name, c.recs);
			rc = EXIT_CORRUPT;
			break;
		}
		if (ret < 0) {
			msg("%s \"%s\": %s", keep ? "peek" : "recv", ci->name,
			    xshm_strerror(ret));
			rc = err_exit(ret);
			break;
		}
		if (fixed) {
			len = o->binary ? ci->elem_size : strnlen(buf, ci->elem_size);
		} else {
			/* rec.data is shared memory: copy it once, then use the copy */
			len = rec.len;
			if (len > cap) {
				c.corrupt++;
				msg("record of %zu bytes beyond the ring's %zu", len, cap);
				rc = EXIT_CORRUPT;
				break;
			}
			memcpy(buf, rec.data, len);
			if (rec.lost) {
				c.lost += rec.lost;
				if (!o->binary)
					fprintf(stderr, "%s: %" PRIu64 " records lost before seq %" PRIu32 "\n",
						progname, rec.lost, rec.seq);
			}
			if (!keep) {
				ret = xshm_ring_release(ring);
				if (ret == -ESTALE) {
					/* overwritten while we copied: the copy is torn */
					c.lost++;
					continue;
				}
				if (ret < 0) {
					msg("release: %s", xshm_strerror(ret));
					rc = err_exit(ret);
					break;
				}
			}
		}
		if (json) {
			json_obj_begin(&j, NULL);
			if (!fixed) {
				json_u64(&j, "seq", rec.seq);
				json_u64(&j, "len", rec.len);
				json_u64(&j, "lost", rec.lost);
			}
			json_strn(&j, "data", buf, len);
			json_obj_end(&j);
		} else if (keep && !o->binary) {
			if (fixed)
				printf("slot ");
			else
				printf("seq %" PRIu32 " len %" PRIu32 " lost %" PRIu64 " ",
				       rec.seq, rec.len, rec.lost);
			rec_quote(stdout, buf, len, 200);
			putchar('\n');
		} else if (rec_write(stdout, o->binary, buf, len)) {
			msg("writing stdout: %s", strerror(errno));
			rc = EXIT_RUNTIME;
			break;
		}
		c.recs++;
		c.bytes += len;
		maybe_stats(o, keep ? "peeked" : "received", &c, ring);
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_finish(&j);
	}
	if (fflush(stdout) == EOF && rc == EXIT_OK) {
		msg("writing stdout: %s", strerror(errno));
		rc = EXIT_RUNTIME;
	}
	if (o->stats)
		print_stats(keep ? "peeked" : "received", &c, ring, true);
	if (rc == EXIT_OK && c.corrupt)
		rc = EXIT_CORRUPT;
	if (rc == EXIT_OK && o->count && c.recs < (uint64_t)o->count && !stop)
		rc = EXIT_SHORT;
	free(buf);
	return rc;
}

static int cmd_ring(const struct opts *o, struct xshm_region *r)
{
	enum xshm_role role = strcmp(o->cmd, "send") ? XSHM_CONSUMER : XSHM_PRODUCER;
	struct xshm_chan_info ci;
	struct xshm_ring *ring;
	int ret;

	ret = find_chan(r, o->chan, &ci);
	if (ret == -ENOENT) {
		msg("no channel \"%s\" in %s", o->chan, o->region);
		return EXIT_RUNTIME;
	}
	if (ret < 0)
		return layout_error(o->region, r, ret);
	if (!strcmp(o->cmd, "get") || !strcmp(o->cmd, "set")) {
		struct value_opts vo = {
			.region = o->region, .binary = o->binary, .json = o->json,
			.timeout_ms = o->timeout_ms < 0 ? 1000 : (int)o->timeout_ms,
			.writer = (unsigned int)o->writer, .stamp = o->stamp,
			.value = o->value,
		};

		if (chan_is_ring(ci.type))
			return usage_error("\"%s\" is a %s ring: use send/recv/peek",
					   o->chan, chan_type_name(ci.type));
		return !strcmp(o->cmd, "get") ? value_get(r, &ci, &vo) :
						value_set(r, &ci, &vo);
	}
	if (!chan_is_ring(ci.type))
		return usage_error("\"%s\" is a %s channel, not a ring", o->chan,
				   chan_type_name(ci.type));
	ret = xshm_ring_attach(r, o->chan, role, &ring);
	if (ret < 0) {
		msg("attach \"%s\": %s", o->chan, xshm_strerror(ret));
		return err_exit(ret);
	}
	/* without one, the library says so once and the waits poll */
	if (o->doorbell)
		xshm_ring_doorbell(ring, NULL);
	if (role == XSHM_PRODUCER)
		ret = cmd_send(o, ring, &ci);
	else
		ret = cmd_recv(o, ring, &ci, !strcmp(o->cmd, "peek"));
	xshm_ring_detach(ring);
	return ret;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "create", required_argument, NULL, 'C' },
		{ "chan", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'F' },
		{ "allow-drops", no_argument, NULL, 'A' },
		{ "doorbell", no_argument, NULL, 'D' },
		{ "writer", required_argument, NULL, 'W' },
		{ "stamp", required_argument, NULL, 'T' },
		{ "binary", no_argument, NULL, 'b' },
		{ "follow", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "wait", required_argument, NULL, 'w' },
		{ "stats", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		CLI_LONGOPTS,
		{ 0 }
	};
	static const char *const cmds[] = {
		"init", "send", "recv", "peek", "stat", "get", "set"
	};
	char err[300];
	bool known = false;
	int c, nargs;

	while ((c = getopt_long(argc, argv, "C:c:bft:n:w:sj" CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			if (!parse_size(optarg, &o->create) || !o->create)
				return usage_error("--create needs a size, not \"%s\"", optarg);
			break;
		case 'c':
			if (o->nspecs == XSHM_CHAN_MAX)
				return usage_error("at most %d channels", XSHM_CHAN_MAX);
			if (chan_spec_parse(optarg, &o->specs[o->nspecs],
					    o->names[o->nspecs], err, sizeof(err)))
				return usage_error("%s", err);
			o->nspecs++;
			break;
		case 'F':
			o->force = true;
			break;
		case 'D':
			o->doorbell = true;
			break;
		case 'A':
			o->allow_drops = true;
			break;
		case 'W':
			if (!parse_int(optarg, 0, &o->writer) || o->writer > UINT32_MAX)
				return usage_error("--writer needs a slot number, not \"%s\"", optarg);
			break;
		case 'T':
			if (!parse_u64(optarg, &o->stamp))
				return usage_error("--stamp needs a number, not \"%s\"", optarg);
			break;
		case 'b':
			o->binary = true;
			break;
		case 'f':
			o->follow = true;
			break;
		case 't':
			if (!parse_int(optarg, 0, &o->timeout_ms) || o->timeout_ms > INT32_MAX)
				return usage_error("--timeout needs milliseconds, not \"%s\"", optarg);
			break;
		case 'n':
			if (!parse_int(optarg, 1, &o->count))
				return usage_error("--count needs a positive number, not \"%s\"", optarg);
			break;
		case 'w':
			if (!parse_int(optarg, -1, &o->wait_ms) || o->wait_ms > INT32_MAX)
				return usage_error("--wait needs milliseconds or -1, not \"%s\"", optarg);
			break;
		case 's':
			o->stats = true;
			break;
		case 'j':
			o->json = true;
			break;
		default:
			if (!cli_common_option(c, usage))
				return EXIT_USAGE;
			break;
		}
	}
	nargs = argc - optind;
	if (nargs < 2)
		return usage_error(nargs ? "missing REGION" : "missing COMMAND");
	o->cmd = argv[optind];
	o->region = argv[optind + 1];
	o->chan = nargs > 2 ? argv[optind + 2] : NULL;
	o->value = nargs > 3 ? argv[optind + 3] : NULL;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		known |= !strcmp(o->cmd, cmds[i]);
	if (!known)
		return usage_error("unknown command \"%s\"", o->cmd);
	if (!strcmp(o->cmd, "init") ? nargs != 2 : !strcmp(o->cmd, "stat") ?
	    nargs > 3 : !strcmp(o->cmd, "set") ? nargs < 3 || nargs > 4 : nargs != 3)
		return usage_error("wrong number of arguments for %s", o->cmd);
	if (o->json && (!strcmp(o->cmd, "send") || !strcmp(o->cmd, "recv") ||
			!strcmp(o->cmd, "set")))
		return usage_error("--json is for init, peek, stat and get");
	if (!strcmp(o->cmd, "init") != (o->nspecs > 0))
		return usage_error(o->nspecs ? "--chan is only for init" : "init needs --chan");
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o = { .timeout_ms = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct xshm_region *r;
	int rc, ret;

	tool_init(argv);
	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;

	/* no SA_RESTART: a blocked read of stdin must notice the signal */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (o.create)
		ret = xshm_region_open_path(o.region, XSHM_OPEN_CREATE, o.create, &r);
	else
		ret = xshm_region_open(o.region, 0, 0, &r);
	/* stat works, with fewer details, on a region we may only read */
	if ((ret == -EACCES || ret == -EPERM || ret == -EROFS) && !o.create &&
	    !strcmp(o.cmd, "stat"))
		ret = xshm_region_open(o.region, XSHM_OPEN_RDONLY, 0, &r);
	if (ret == -ENODATA && !strcmp(o.cmd, "init"))
		/* an empty file: say how large it must be */
		return region_too_small(o.region, 0, o.specs, o.nspecs);
	if (ret < 0)
		return region_open_error(o.region, ret);
	detail("%s: %zu bytes, %s", xshm_region_name(r), xshm_region_size(r),
	       xshm_layout_check(r) ? "no valid layout" : "a valid layout");
	if (strcmp(o.cmd, "init") && o.wait_ms) {
		ret = xshm_layout_wait(r, (int)o.wait_ms);
		if (ret < 0) {
			rc = layout_error(o.region, r, ret);
			xshm_region_close(r);
			return rc;
		}
	}
	if (!strcmp(o.cmd, "init"))
		rc = cmd_init(&o, r);
	else if (!strcmp(o.cmd, "stat"))
		rc = cmd_stat(&o, r);
	else
		rc = cmd_ring(&o, r);
	xshm_region_close(r);
	return rc;
}
