// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xshm-logd: drain log rings (variable-length records) of a shared region
 * into files.
 *
 * Each ring has one batch in flight at a time: records are peeked and
 * copied into a buffer, the buffer is written with one io_uring write
 * linked to the rewrite of the progress file, and only when both have
 * completed are the records released in the ring.  A crash at any point
 * therefore loses nothing (unreleased records are read again) and
 * duplicates nothing (the progress file says which seq was written last;
 * bytes written past the recorded progress are cut at start-up).  The
 * writes of all rings are submitted together.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <liburing.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chan-spec.h"
#include "cli.h"
#include "logd-doorbell.h"
#include "logd-format.h"
#include "logd-journal.h"
#include "logd-sink.h"
#include "logd-state.h"
#include "region-error.h"
#include "sd-notify.h"
#include "util.h"
#include "xshm.h"

/* an idle ring's next seq must stay put this long before drops are announced */
#define IDLE_SETTLE_NS	(20 * 1000000ull)

/* a failed rotation is tried again after 100 ms, doubling up to 30 s */
#define ROT_BACKOFF_MIN_MS	100u
#define ROT_BACKOFF_MAX_MS	30000u

/* SIGTERM: what the rings hold is stored for up to this long, then exit */
#define STOP_DRAIN_NS	(5 * 1000000000ull)

/* how often a ring stuck on corrupt data is looked at again */
#define STUCK_RETRY_NS	(200 * 1000000ull)

enum op { OP_DATA, OP_SYNC, OP_STATE };

struct lring {
	char name[XSHM_NAME_MAX + 1];
	bool default_path;		/* no =FILE given: DIR/RING.log */
	struct xshm_ring *ring;
	struct xshm_chan_info ci;
	uint64_t generation;
	struct sink sink;
	struct logd_journal j;		/* --journal: the batch's entries */
	bool journal_failing;		/* said once per episode */

	struct logd_batch b;
	struct logd_state pending;	/* progress once the batch is stored */
	char state_buf[LOGD_STATE_SIZE];
	char hdr[LOGD_HEADER_MAX];
	uint64_t nrecs;			/* records in the batch */
	bool have_batch;		/* b holds bytes to write */
	bool headed;			/* b starts with a file header */
	bool holding;			/* records peeked, not yet released */
	bool dedup;			/* after a restart: skip seqs <= st.seq */
	bool reattach;			/* layout re-initialised */
	bool drained;			/* last fill found the ring empty */
	bool stuck;			/* corrupt data at our cursor */
	bool waiting;			/* for a re-initialised layout to be valid */
	bool seq_valid;			/* pending.seq is of this layout */
	bool after_full;		/* a failed write episode just ended */
	bool idle_seen;			/* idle_next was read at an idle poll */
	uint32_t idle_next;		/* the producer's next seq then */
	uint64_t idle_at;		/* when it was first read */
	uint64_t stuck_retry;		/* when to look at a stuck ring again */
	uint64_t rot_retry_at;		/* a failed rotation is tried again then */
	uint64_t rot_fails;		/* failed rotations in a row */
	unsigned int rot_backoff_ms;

	unsigned int inflight;		/* io_uring ops outstanding */
	int res[3];			/* results by enum op */
	bool failing;			/* in a storage failure episode */
	uint64_t retry_at;

	/* counters of this run */
	uint64_t written, bytes, writes, lost, corrupt, skipped;
};

struct opts {
	const char *region, *dir;
	uint64_t max_size, batch;
	unsigned int keep;
	long long wait_ms, retry_ms, poll_max_us;
	bool fsync, once, stats, wait_given, per_region, doorbell, journal;
	struct xshm_chan_spec specs[XSHM_CHAN_MAX];
	char names[XSHM_CHAN_MAX][XSHM_NAME_MAX + 1];
	unsigned int nspecs;
};

static volatile sig_atomic_t stop, reopen;
static bool use_doorbell;	/* --doorbell: each attached ring gets its own */
static bool use_journal;	/* --journal: a copy of each entry in the journal */
static const char *region_name;	/* as given, for the file headers */

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen = 1;
	else
		stop = 1;
}

/* SIGHUP: an external logrotate moved the logs away; start new ones */
static int reopen_all(struct lring *rings, unsigned int n)
{
	reopen = 0;
	for (unsigned int i = 0; i < n; i++) {
		int err = sink_reopen(&rings[i].sink);

		if (err) {
			msg("%s: reopen: %s", rings[i].sink.path, strerror(-err));
			return EXIT_RUNTIME;
		}
	}
	note("reopened %u log file%s", n, n == 1 ? "" : "s");
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: xshm-logd [OPTIONS] REGION RING[=FILE]...\n"
"Drain log rings (variable-length records) of a shared region into files.\n"
"REGION is /dev/xshmN, N, a xen,id or a plain file; FILE defaults to\n"
"DIR/RING.log.  Progress is kept in FILE.state.\n"
"\n"
"  -d, --dir DIR         directory of the default log files (default .)\n"
"  -n, --per-region      default log files in DIR/NAME/, NAME the region's\n"
"                        xen,id (a plain file's base name); made if missing\n"
"  -m, --max-size BYTES  rotate a log before it grows past BYTES (K/M/G)\n"
"  -k, --keep N          rotated logs kept, FILE.1 .. FILE.N (default 5)\n"
"  -B, --batch BYTES     bytes gathered per write (default 256K)\n"
"  -c, --init SPEC       initialise the region with these channels if it\n"
"                        holds no layout (repeatable; see xshm-ring init)\n"
"  -w, --wait MS         wait up to MS for a layout (default -1: forever;\n"
"                        with --once 0: exit 4 at once)\n"
"      --retry-ms MS     retry a failed write after MS (default 1000)\n"
"      --poll-max-us US  longest sleep while the rings are idle (default 10000)\n"
"      --fsync           fdatasync each batch before recording progress\n"
"      --once            drain what is in the rings now, then exit\n"
"      --doorbell        sleep on the rings' doorbells while idle (the Xen\n"
"                        static event channels of /etc/xshm/doorbells)\n"
"                        instead of polling; without one, poll\n"
"      --journal         also send each record and marker to systemd's\n"
"                        journal once it is stored in its log file, with\n"
"                        fields XSHM_REGION, XSHM_RING, XSHM_GENERATION,\n"
"                        XSHM_SEQ (see xshm-logd(1))\n"
"  -s, --stats           counters on stderr every second\n"
CLI_HELP
"Here 3 is: stopped with records not yet stored (left in the ring); 5 a ring\n"
"was stuck on corrupt data.\n"
"SIGTERM/SIGINT: what the rings hold is stored (5 s at most), the totals\n"
"printed, then exit.  SIGHUP reopens the logs.  Under systemd (Type=notify)\n"
"it says READY=1 and its totals in STATUS=.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "per-region", no_argument, NULL, 'n' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "keep", required_argument, NULL, 'k' },
		{ "batch", required_argument, NULL, 'B' },
		{ "init", required_argument, NULL, 'c' },
		{ "wait", required_argument, NULL, 'w' },
		{ "retry-ms", required_argument, NULL, 'R' },
		{ "poll-max-us", required_argument, NULL, 'P' },
		{ "fsync", no_argument, NULL, 'F' },
		{ "once", no_argument, NULL, 'O' },
		{ "doorbell", no_argument, NULL, 'D' },
		{ "journal", no_argument, NULL, 'J' },
		{ "stats", no_argument, NULL, 's' },
		CLI_LONGOPTS,
		{ 0 }
	};
	long long v;
	char err[300];
	int c;

	while ((c = getopt_long(argc, argv, "d:nm:k:B:c:w:s" CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dir = optarg;
			break;
		case 'n':
			o->per_region = true;
			break;
		case 'm':
			if (!parse_size(optarg, &o->max_size) || !o->max_size)
				return usage_error("--max-size needs a size, not \"%s\"", optarg);
			break;
		case 'k':
			if (!parse_int(optarg, 0, &v) || v > 1000)
				return usage_error("--keep needs 0..1000, not \"%s\"", optarg);
			o->keep = (unsigned int)v;
			break;
		case 'B':
			if (!parse_size(optarg, &o->batch) || o->batch < 64 ||
			    o->batch > (64u << 20))
				return usage_error("--batch needs 64 bytes to 64M, not \"%s\"", optarg);
			break;
		case 'c':
			if (o->nspecs == XSHM_CHAN_MAX)
				return usage_error("at most %d channels", XSHM_CHAN_MAX);
			if (chan_spec_parse(optarg, &o->specs[o->nspecs],
					    o->names[o->nspecs], err, sizeof(err)))
				return usage_error("%s", err);
			o->nspecs++;
			break;
		case 'w':
			if (!parse_int(optarg, -1, &o->wait_ms) || o->wait_ms > INT32_MAX)
				return usage_error("--wait needs milliseconds or -1, not \"%s\"", optarg);
			o->wait_given = true;
			break;
		case 'R':
			if (!parse_int(optarg, 1, &o->retry_ms))
				return usage_error("--retry-ms needs a positive number, not \"%s\"", optarg);
			break;
		case 'P':
			if (!parse_int(optarg, 1, &o->poll_max_us) ||
			    o->poll_max_us > 1000000)
				return usage_error("--poll-max-us needs 1..1000000, not \"%s\"", optarg);
			break;
		case 'F':
			o->fsync = true;
			break;
		case 'O':
			o->once = true;
			break;
		case 'D':
			o->doorbell = true;
			use_doorbell = true;
			break;
		case 'J':
			o->journal = true;
			use_journal = true;
			break;
		case 's':
			o->stats = true;
			break;
		default:
			if (!cli_common_option(c, usage))
				return EXIT_USAGE;
			break;
		}
	}
	if (argc - optind < 2)
		return usage_error(argc - optind ? "no RING given" : "no REGION given");
	o->region = argv[optind++];
	return -1;
}

/* RING[=FILE] -> channel name and log path */
static int ring_arg(const struct opts *o, const char *arg, struct lring *lr,
		    char **path)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);

	if (len == 0 || len > XSHM_NAME_MAX || (eq && !eq[1]))
		return usage_error("bad ring argument \"%s\": RING[=FILE] expected", arg);
	memcpy(lr->name, arg, len);
	lr->name[len] = '\0';
	lr->default_path = !eq;
	if (eq)
		*path = strdup(eq + 1);
	else if (asprintf(path, "%s/%s.log", o->dir, lr->name) < 0)
		*path = NULL;
	return *path ? -1 : EXIT_RUNTIME;
}

static int attach(struct xshm_region *r, struct lring *lr)
{
	struct xshm_chan_info info[XSHM_CHAN_MAX];
	int n, err;

	n = xshm_layout_list(r, info, XSHM_CHAN_MAX);
	if (n < 0)
		return n;
	for (int i = 0; i < n && i < XSHM_CHAN_MAX; i++)
		if (!strcmp(info[i].name, lr->name))
			lr->ci = info[i];
	if (strcmp(lr->ci.name, lr->name))
		return -ENOENT;
	if (lr->ci.type != XSHM_CHAN_RING_VAR)
		return -EMEDIUMTYPE;
	err = xshm_ring_attach(r, lr->name, XSHM_CONSUMER, &lr->ring);
	if (err)
		return err;
	if (use_doorbell)	/* else, or failing, the idle loop polls */
		xshm_ring_doorbell(lr->ring, NULL);
	lr->generation = xshm_layout_generation(r);
	return 0;
}

/* room for a full batch, then one more record of the largest size, and markers */
static int alloc_batch(struct lring *lr, uint64_t batch)
{
	size_t cap = (size_t)batch + LOGD_RECORD_MAX(lr->ci.capacity) +
		     8 * LOGD_MARKER_MAX + LOGD_HEADER_MAX;
	char *buf = realloc(lr->b.buf, cap);

	if (!buf)
		return -ENOMEM;
	lr->b.buf = buf;
	lr->b.cap = cap;
	return 0;
}

/* seq a is after b, in 32-bit serial arithmetic */
static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* the batch's entries: into the log file's text and, with --journal, the journal's */
static void put_lost(struct lring *lr, uint64_t lost, enum logd_where where,
		     enum logd_seq_key key, uint32_t seq)
{
	logd_put_lost(&lr->b, lr->name, lost, where, key, seq);
	if (use_journal)
		journal_put_lost(&lr->j, lr->generation, lost, where, key, seq);
}

static void put_record(struct lring *lr, const struct xshm_record *rec)
{
	logd_put_record(&lr->b, rec->data, rec->len);
	if (use_journal)
		journal_put_record(&lr->j, lr->generation, rec->seq, rec->data,
				   rec->len);
}

static void put_corrupt(struct lring *lr)
{
	logd_put_corrupt(&lr->b, lr->name, lr->pending.corrupt);
	if (use_journal)
		journal_put_corrupt(&lr->j, lr->generation, lr->pending.corrupt);
}

static void put_generation(struct lring *lr)
{
	logd_put_generation(&lr->b, lr->name, lr->generation);
	if (use_journal)
		journal_put_generation(&lr->j, lr->generation);
}

static void start_batch(struct lring *lr)
{
	lr->b.used = 0;
	journal_clear(&lr->j);
	lr->headed = false;
	lr->nrecs = 0;
	lr->pending = lr->sink.st;
	lr->pending.generation = lr->generation;
}

/*
 * The ring is empty: records the producer dropped after the last one
 * stored show only in its next seq.  Announce them (where=after-last once
 * the same next seq was seen at idle polls IDLE_SETTLE_NS apart, so that a
 * commit in progress is not taken for a loss; where=exit at once, after
 * checking that no record came) and remember them as announced ahead of
 * seq.  Drops since a failed write episode say where=disk-full.
 */
static void losses_ahead(struct lring *lr, enum logd_where where)
{
	uint32_t next = xshm_ring_next_seq(lr->ring);
	uint32_t gap = next - (lr->pending.seq + 1);
	struct xshm_record rec;

	if (!lr->seq_valid || gap >= 0x80000000u || gap <= lr->pending.ahead) {
		lr->idle_seen = false;
		if (lr->seq_valid)
			lr->after_full = false;	/* idle, nothing lost: over */
		return;
	}
	if (where == LOGD_AFTER_LAST && (!lr->idle_seen || lr->idle_next != next)) {
		lr->idle_seen = true;
		lr->idle_next = next;
		lr->idle_at = now_ns();
		return;
	}
	if (where == LOGD_AFTER_LAST && now_ns() - lr->idle_at < IDLE_SETTLE_NS)
		return;
	/* a record committed since: it carries the gap itself */
	if (where == LOGD_EXIT && xshm_ring_peek(lr->ring, &rec) != -EAGAIN)
		return;
	/* dropped while a write kept failing: say so */
	if (lr->after_full)
		where = LOGD_DISK_FULL;
	lr->after_full = false;
	put_lost(lr, gap - lr->pending.ahead, where, LOGD_AFTER_SEQ,
		 lr->pending.seq);
	lr->lost += gap - lr->pending.ahead;
	lr->pending.lost += gap - lr->pending.ahead;
	lr->pending.ahead = gap;
	lr->idle_seen = false;
	lr->have_batch = true;
}

/*
 * Gather records into the batch, up to batch bytes.  Returns 0, or a
 * fatal negative errno.
 */
static int fill(struct lring *lr, uint64_t batch)
{
	while (lr->b.used < batch && !lr->reattach) {
		struct xshm_record rec;
		int ret = xshm_ring_peek(lr->ring, &rec);

		if (ret == -EAGAIN) {
			lr->drained = true;
			losses_ahead(lr, LOGD_AFTER_LAST);
			break;
		}
		lr->drained = false;
		if (ret == -ESTALE) {
			lr->reattach = true;
			break;
		}
		if (ret == -ENOBUFS)
			break;	/* overwrite rings: copy buffer full, release first */
		if (ret == -EBADMSG) {
			/*
			 * The library never follows a bad record header or
			 * cursor, so the ring is stuck here until its layout
			 * is re-initialised.  Say so once, in the log and on
			 * stderr; the records before it are still stored.
			 */
			lr->stuck_retry = now_ns() + STUCK_RETRY_NS;
			if (!lr->stuck) {
				lr->stuck = true;
				lr->corrupt++;
				lr->pending.corrupt++;
				put_corrupt(lr);
				msg("ring \"%s\": corrupt record or cursor after seq %" PRIu32
				    "; nothing past it can be read until the layout is re-initialised",
				    lr->name, lr->pending.seq);
			}
			break;
		}
		if (ret < 0)
			return ret;
		if (lr->stuck)
			note("ring \"%s\": readable again", lr->name);
		lr->stuck = false;
		lr->holding = true;
		if (rec.len > lr->ci.capacity)
			return -EBADMSG;	/* the library's job; never trust */
		if (lr->dedup) {
			/* written before a restart but not released: skip */
			if (lr->sink.st.have_seq &&
			    !seq_after(rec.seq, lr->sink.st.seq)) {
				lr->skipped++;
				continue;
			}
			lr->dedup = false;
		}
		if (rec.lost) {
			/* some may have been announced after the last record */
			uint64_t news = lr->seq_valid && rec.lost > lr->pending.ahead ?
					rec.lost - lr->pending.ahead :
					lr->seq_valid ? 0 : rec.lost;

			if (news) {
				put_lost(lr, news,
					 lr->after_full ? LOGD_DISK_FULL : LOGD_BETWEEN,
					 LOGD_BEFORE_SEQ, rec.seq);
				lr->lost += news;
				lr->pending.lost += news;
				lr->after_full = false;
			}
		}
		lr->idle_seen = false;
		lr->pending.ahead = 0;
		lr->seq_valid = true;
		put_record(lr, &rec);
		lr->nrecs++;
		lr->pending.seq = rec.seq;
		lr->pending.have_seq = true;
		lr->pending.written++;
	}
	lr->have_batch = lr->b.used > 0;
	return 0;
}

/* the batch is stored (or was empty): free its records in the ring */
static int release(struct lring *lr)
{
	int ret = 0;

	if (lr->holding) {
		ret = xshm_ring_release(lr->ring);
		lr->holding = false;
		/* overwritten while held: the library counts it, the next record shows it */
		if (ret == -ESTALE)
			ret = 0;
	}
	return ret;
}

static void submit(struct io_uring *uring, struct lring *lr, unsigned int idx,
		   bool fsync)
{
	struct io_uring_sqe *sqe;

	if (lr->sink.st.size == 0 && !lr->headed) {
		/* a new file: its header line first */
		struct logd_batch h = lr->b;
		size_t hlen;

		h.used = 0;
		h.cap = LOGD_HEADER_MAX;
		h.buf = lr->hdr;
		logd_put_header(&h, region_name, lr->name);
		hlen = h.used;
		memmove(lr->b.buf + hlen, lr->b.buf, lr->b.used);
		memcpy(lr->b.buf, lr->hdr, hlen);
		lr->b.used += hlen;
		lr->headed = true;
	}
	lr->pending.size = lr->sink.st.size + lr->b.used;
	logd_state_format(&lr->pending, lr->state_buf);
	lr->inflight = 0;
	memset(lr->res, 0, sizeof(lr->res));

	sqe = io_uring_get_sqe(uring);
	io_uring_prep_write(sqe, lr->sink.fd, lr->b.buf, (unsigned int)lr->b.used,
			    lr->sink.st.size);
	/* a failed or short write cancels the progress update linked to it */
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, (uint64_t)idx << 2 | OP_DATA);
	lr->inflight++;
	if (fsync) {
		sqe = io_uring_get_sqe(uring);
		io_uring_prep_fsync(sqe, lr->sink.fd, IORING_FSYNC_DATASYNC);
		sqe->flags |= IOSQE_IO_LINK;
		io_uring_sqe_set_data64(sqe, (uint64_t)idx << 2 | OP_SYNC);
		lr->inflight++;
	}
	sqe = io_uring_get_sqe(uring);
	io_uring_prep_write(sqe, lr->sink.state_fd, lr->state_buf,
			    LOGD_STATE_SIZE, 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)idx << 2 | OP_STATE);
	lr->inflight++;
	lr->writes++;
}

static const char *failure_text(const struct lring *lr, bool fsync)
{
	static char buf[128];
	int res = lr->res[OP_DATA];

	if (res < 0)
		return strerror(-res);
	if ((size_t)res < lr->b.used) {
		snprintf(buf, sizeof(buf), "short write (%d of %zu bytes; disk full?)",
			 res, lr->b.used);
		return buf;
	}
	if (fsync && lr->res[OP_SYNC] < 0)
		return strerror(-lr->res[OP_SYNC]);
	res = lr->res[OP_STATE];
	return res < 0 ? strerror(-res) : "short write of the progress file";
}

/* the batch is in its log file: its copy to the journal, failures said once */
static void journal_copy(struct lring *lr)
{
	int err = journal_send(&lr->j);

	if (err && !lr->journal_failing)
		msg("journal (%s): %s; ring \"%s\" is stored in %s only until sending works again",
		    LOGD_JOURNAL_SOCKET, strerror(-err), lr->name, lr->sink.path);
	else if (!err && lr->journal_failing)
		note("journal: sending ring \"%s\" again", lr->name);
	lr->journal_failing = err != 0;
}

/* all ops of the batch completed: commit or roll back */
static int finish(struct lring *lr, const struct opts *o)
{
	bool ok = lr->res[OP_DATA] == (int)lr->b.used &&
		  (!o->fsync || lr->res[OP_SYNC] == 0) &&
		  lr->res[OP_STATE] == LOGD_STATE_SIZE;
	int err;

	if (!ok) {
		if (!lr->failing)
			msg("%s: write failed: %s; %" PRIu64 " records (%zu bytes) kept in ring \"%s\", retrying every %lld ms",
			    lr->sink.path, failure_text(lr, o->fsync), lr->nrecs,
			    lr->b.used, lr->name, o->retry_ms);
		lr->failing = true;
		lr->retry_at = now_ns() + (uint64_t)o->retry_ms * 1000000u;
		err = sink_rollback(&lr->sink);
		if (err)
			msg("%s: cannot roll back the failed write: %s",
			    lr->sink.path, strerror(-err));
		return 0;
	}
	if (lr->failing) {
		note("%s: writing again; %" PRIu64 " kept records stored",
		    lr->sink.path, lr->nrecs);
		/* what the producer dropped meanwhile shows up next */
		lr->after_full = true;
	}
	lr->failing = false;
	if (use_journal)
		journal_copy(lr);
	lr->sink.st = lr->pending;
	lr->written += lr->nrecs;
	lr->bytes += lr->b.used;
	lr->have_batch = false;
	start_batch(lr);
	return release(lr);
}

static int reattach(struct xshm_region *r, struct lring *lr, uint64_t batch)
{
	int err;

	xshm_ring_detach(lr->ring);
	lr->ring = NULL;
	lr->holding = false;
	err = xshm_layout_check(r);
	if (err)
		return err;
	memset(&lr->ci, 0, sizeof(lr->ci));
	err = attach(r, lr);
	if (err)
		return err;
	err = alloc_batch(lr, batch);
	if (err)
		return err;
	lr->reattach = false;
	lr->stuck = false;
	lr->dedup = false;	/* a new layout numbers records afresh */
	lr->seq_valid = false;
	lr->idle_seen = false;
	note("ring \"%s\": layout re-initialised (generation %" PRIu64 "), re-attached",
	    lr->name, lr->generation);
	start_batch(lr);
	put_generation(lr);
	return 0;
}

/*
 * Rotate before the write.  A rotation that fails (renames refused, no
 * room for a new file) leaves the current file open: the batch goes
 * there, and the rotation is tried again after 100 ms, doubling up to
 * 30 s.  Said once per episode, not once per try.
 */
static void rotate(struct lring *lr, uint64_t now)
{
	int err = sink_rotate(&lr->sink);

	if (err) {
		lr->rot_backoff_ms = lr->rot_backoff_ms ?
			(lr->rot_backoff_ms * 2 > ROT_BACKOFF_MAX_MS ?
			 ROT_BACKOFF_MAX_MS : lr->rot_backoff_ms * 2) :
			ROT_BACKOFF_MIN_MS;
		lr->rot_retry_at = now + (uint64_t)lr->rot_backoff_ms * 1000000u;
		lr->rot_fails++;
		if (lr->rot_fails == 1)
			msg("%s: rotation failed: %s; logging on to the current file, retrying after %u ms, backing off to %u s",
			    lr->sink.path, strerror(-err), ROT_BACKOFF_MIN_MS,
			    ROT_BACKOFF_MAX_MS / 1000);
		return;
	}
	if (lr->rot_fails)
		note("%s: rotated after %" PRIu64 " failed tries", lr->sink.path,
		     lr->rot_fails);
	lr->rot_fails = 0;
	lr->rot_backoff_ms = 0;
	lr->rot_retry_at = 0;
}

static void print_stats(const struct lring *rings, unsigned int n,
			const char *when)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct lring *lr = &rings[i];

		fprintf(stderr,
			"%s: %s ring \"%s\" -> %s: written %" PRIu64 " records %" PRIu64
			" bytes in %" PRIu64 " writes, lost %" PRIu64 " corrupt %" PRIu64
			" duplicates-skipped %" PRIu64 " rotations %" PRIu64 "%s\n",
			progname, when, lr->name, lr->sink.path ? lr->sink.path : "-",
			lr->written, lr->bytes, lr->writes, lr->lost, lr->corrupt,
			lr->skipped, lr->sink.rotations,
			lr->have_batch ? " (records not yet stored, kept in ring)" : "");
		if (use_journal)
			fprintf(stderr, "%s: %s ring \"%s\" -> journal: sent %" PRIu64
				" entries, not sent %" PRIu64 "\n", progname, when,
				lr->name, lr->j.sent, lr->j.failed);
	}
}

/* the region's xen,id, or a plain file's base name */
static const char *region_base_name(struct xshm_region *r)
{
	const char *name = xshm_region_name(r);
	const char *slash = strrchr(name, '/');

	return slash ? slash + 1 : name;
}

static int open_all(const struct opts *o, struct xshm_region *r,
		    struct lring *rings, unsigned int n, char **paths)
{
	for (unsigned int i = 0; i < n; i++) {
		struct lring *lr = &rings[i];
		int err = attach(r, lr);

		if (err == -ENOENT) {
			msg("%s: no channel \"%s\"", o->region, lr->name);
			return EXIT_RUNTIME;
		}
		if (err == -EMEDIUMTYPE)
			return usage_error("\"%s\" is a %s channel; xshm-logd drains var rings",
					   lr->name, chan_type_name(lr->ci.type));
		if (err) {
			msg("attach \"%s\": %s", lr->name, xshm_strerror(err));
			return err == -EBADMSG ? EXIT_CORRUPT :
			       err == -EPROTO ? EXIT_LAYOUT : EXIT_RUNTIME;
		}
		err = sink_open(&lr->sink, paths[i], o->max_size, o->keep);
		if (err == -EBUSY) {
			msg("%s: another xshm-logd is writing it", paths[i]);
			return EXIT_RUNTIME;
		}
		if (err) {
			msg("%s: %s", paths[i], strerror(-err));
			return EXIT_RUNTIME;
		}
		if (lr->sink.discarded)
			msg("%s: cut %" PRIu64 " bytes written after the last recorded progress; their records are read again",
			    paths[i], lr->sink.discarded);
		/* only the same layout's seqs identify records already stored */
		lr->dedup = lr->sink.had_state &&
			    lr->sink.st.generation == lr->generation;
		lr->seq_valid = lr->dedup && lr->sink.st.have_seq;
		if (alloc_batch(lr, o->batch)) {
			msg("out of memory");
			return EXIT_RUNTIME;
		}
		lr->j.region = region_base_name(r);
		lr->j.ring = lr->name;
		start_batch(lr);
		if (!lr->dedup)
			put_generation(lr);
	}
	return -1;
}

/*
 * --per-region: the default logs go to DIR/NAME/, NAME the region's
 * xen,id or a plain file's base name; the directory is made if missing.
 */
static int per_region_dir(const struct opts *o, struct xshm_region *r,
			  struct lring *rings, unsigned int n, char **paths)
{
	const char *name = region_base_name(r);
	char *dir;
	int rc = -1;

	if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..")) {
		msg("%s: no region name to make a directory of", o->region);
		return EXIT_RUNTIME;
	}
	if (asprintf(&dir, "%s/%s", o->dir, name) < 0)
		return EXIT_RUNTIME;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		msg("%s: %s", dir, strerror(errno));
		free(dir);
		return EXIT_RUNTIME;
	}
	for (unsigned int i = 0; i < n && rc < 0; i++) {
		if (!rings[i].default_path)
			continue;
		free(paths[i]);
		if (asprintf(&paths[i], "%s/%s.log", dir, rings[i].name) < 0) {
			paths[i] = NULL;
			rc = EXIT_RUNTIME;
		}
	}
	free(dir);
	return rc;
}

/* systemd's status line: this run's totals */
static void notify_totals(const struct lring *rings, unsigned int n)
{
	uint64_t written = 0, lost = 0, corrupt = 0;

	for (unsigned int i = 0; i < n; i++) {
		written += rings[i].written;
		lost += rings[i].lost;
		corrupt += rings[i].corrupt;
	}
	notify_manager("STATUS=storing %u ring%s of %s: %" PRIu64 " records stored, %" PRIu64
		       " lost, %" PRIu64 " corrupt", n, n == 1 ? "" : "s", region_name,
		       written, lost, corrupt);
}

/* the library's -ENODATA text also covers values; here it means no layout */
static const char *no_layout_why(int err)
{
	return err == -ENODATA ? "the region holds none" : xshm_strerror(err);
}

static int wait_layout(const struct opts *o, struct xshm_region *r)
{
	uint64_t deadline = now_ns() + (uint64_t)o->wait_ms * 1000000u;
	int err;

	if (o->nspecs) {
		err = xshm_layout_init(r, o->specs, o->nspecs, 0);
		if (err == -EEXIST)
			msg("%s: holds a different layout; using it as it is", o->region);
		else if (err == -ENOSPC)
			return region_too_small(o->region, xshm_region_size(r),
						o->specs, o->nspecs);
		else if (err < 0) {
			msg("%s: init: %s", o->region, xshm_strerror(err));
			return err == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		}
	}
	err = xshm_layout_check(r);
	if (err && o->wait_ms) {
		/* once, and before waiting: a silent wait looks like a hang */
		if (o->wait_ms < 0)
			msg("%s: no valid layout yet (%s); waiting for the peer to create one",
			    o->region, no_layout_why(err));
		else
			msg("%s: no valid layout yet (%s); waiting up to %lld ms for one",
			    o->region, no_layout_why(err), o->wait_ms);
		/* ready: the records will be stored once the peer writes them */
		notify_manager("READY=1\nSTATUS=waiting for the peer to create a layout in %s",
			       o->region);
		err = -ETIMEDOUT;
	}
	/* in slices, so that a signal ends the wait */
	while (err == -ETIMEDOUT) {
		err = xshm_layout_wait(r, 200);
		if (err != -ETIMEDOUT)
			break;
		if (stop)
			return EXIT_OK;
		if (o->wait_ms >= 0 && now_ns() >= deadline)
			break;
	}
	if (err)
		return layout_error(o->region, r, err);
	return -1;
}

/* 1: slept on the doorbells (or records came), 0: poll, < 0: io_uring error */
static int idle_on_doorbells(struct io_uring *uring, struct lring *rings,
			     unsigned int n)
{
	struct xshm_ring *db[XSHM_CHAN_MAX];

	for (unsigned int i = 0; i < n; i++) {
		/* a ring being re-attached, stuck or failing: keep polling */
		if (rings[i].reattach || rings[i].stuck || rings[i].failing ||
		    rings[i].have_batch || !rings[i].ring)
			return 0;
		db[i] = rings[i].ring;
	}
	/* wake at least each second: stats, and signals between the checks */
	return logd_doorbell_idle(uring, db, n, 1000);
}

static int run(const struct opts *o, struct xshm_region *r, struct lring *rings,
	       unsigned int n)
{
	struct io_uring uring;
	uint64_t last_stats = now_ns(), last_status = last_stats, status_sum = 0;
	unsigned int idle_us = 1;
	uint64_t drain_until = 0;	/* after SIGTERM: store until then at most */
	bool finishing = false;	/* the next pass is the last */
	bool fatal = false;
	int err, rc = EXIT_OK;

	err = io_uring_queue_init(4 * n, &uring, 0);
	if (err) {
		msg("io_uring: %s", strerror(-err));
		return EXIT_RUNTIME;
	}
	for (;;) {
		unsigned int inflight = 0, submitted = 0;
		bool all_drained = true, last = finishing;
		uint64_t now = now_ns();

		/* nothing is in flight here: every batch completed below */
		if (reopen) {
			rc = reopen_all(rings, n);
			if (rc >= 0)
				goto out;
			rc = EXIT_OK;
		}

		for (unsigned int i = 0; i < n; i++) {
			struct lring *lr = &rings[i];

			if (lr->inflight) {
				inflight += lr->inflight;
				continue;
			}
			if (lr->reattach && !lr->have_batch) {
				err = reattach(r, lr, o->batch);
				if ((err == -ENODATA || err == -ESTALE ||
				     err == -EBADMSG || err == -EAGAIN) && !o->once) {
					/* being re-initialised: poll until it is valid */
					if (!lr->waiting)
						msg("ring \"%s\": waiting for a valid layout (%s)",
						    lr->name, no_layout_why(err));
					lr->waiting = true;
					all_drained = false;
					continue;
				}
				lr->waiting = false;
				if (err) {
					msg("ring \"%s\": cannot re-attach: %s",
					    lr->name, xshm_strerror(err));
					rc = EXIT_CORRUPT;
					goto out;
				}
			}
			if (!lr->have_batch && !fatal && !last &&
			    (!lr->stuck || now >= lr->stuck_retry)) {
				/* appends to markers already waiting in the batch */
				err = fill(lr, o->batch);
				if (err) {
					msg("ring \"%s\": %s; stopping", lr->name,
					    err == -EBADMSG ? "record longer than the ring" :
					    xshm_strerror(err));
					rc = err == -EBADMSG ? EXIT_CORRUPT : EXIT_RUNTIME;
					fatal = true;
				}
				if (!lr->have_batch && release(lr)) {
					/* only duplicates were peeked */
					rc = EXIT_RUNTIME;
					goto out;
				}
			}
			/* the last pass: drops after the last record */
			if (last && !lr->have_batch && !lr->failing &&
			    !lr->stuck && !lr->reattach && !lr->holding)
				losses_ahead(lr, LOGD_EXIT);
			if ((!lr->drained && !lr->stuck) || lr->have_batch ||
			    lr->reattach)
				all_drained = false;
			if (!lr->have_batch || now < lr->retry_at)
				continue;
			if (lr->failing && (stop || o->once))
				continue;
			err = sink_check_size(&lr->sink);
			if (err > 0)
				note("%s: cut to %" PRIu64 " bytes by someone else (copytruncate); appending",
				     lr->sink.path, lr->sink.st.size);
			if (now >= lr->rot_retry_at &&
			    sink_needs_rotation(&lr->sink, lr->b.used))
				rotate(lr, now);
			submit(&uring, lr, i, o->fsync);
			inflight += lr->inflight;
			submitted++;
		}
		if (submitted) {
			err = io_uring_submit(&uring);
			if (err < 0) {
				msg("io_uring submit: %s", strerror(-err));
				rc = EXIT_RUNTIME;
				goto out;
			}
		}
		while (inflight) {
			struct io_uring_cqe *cqe;
			struct lring *lr;
			uint64_t ud;

			err = io_uring_wait_cqe(&uring, &cqe);
			if (err == -EINTR)
				continue;
			if (err) {
				msg("io_uring wait: %s", strerror(-err));
				rc = EXIT_RUNTIME;
				goto out;
			}
			ud = io_uring_cqe_get_data64(cqe);
			lr = &rings[ud >> 2];
			lr->res[ud & 3] = cqe->res;
			io_uring_cqe_seen(&uring, cqe);
			inflight--;
			if (--lr->inflight == 0) {
				err = finish(lr, o);
				if (err == -ESTALE || err == -ENODATA) {
					lr->reattach = true;
				} else if (err) {
					msg("ring \"%s\": release: %s", lr->name,
					    xshm_strerror(err));
					rc = EXIT_CORRUPT;
					goto out;
				}
			}
		}
		if (now_ns() - last_status >= 1000000000u) {
			uint64_t sum = 0;

			for (unsigned int i = 0; i < n; i++)
				sum += rings[i].written + rings[i].lost + rings[i].corrupt;
			if (sum != status_sum)
				notify_totals(rings, n);
			status_sum = sum;
			last_status = now_ns();
		}
		if (o->stats && now_ns() - last_stats >= 1000000000u) {
			print_stats(rings, n, "running:");
			last_stats = now_ns();
		}
		if (last)
			break;
		if (fatal) {
			finishing = true;
			continue;
		}
		if (stop && !drain_until) {
			drain_until = now_ns() + STOP_DRAIN_NS;
			notify_manager("STOPPING=1\nSTATUS=stopping: storing what the rings hold");
		}
		/*
		 * --once, and SIGTERM: store what the rings hold, then stop
		 * (SIGTERM waits STOP_DRAIN_NS at most, for a producer faster
		 * than the disk); a failing write ends it at once.
		 */
		if (o->once || stop) {
			bool failing = false;

			for (unsigned int i = 0; i < n; i++)
				failing |= rings[i].failing;
			if (all_drained || failing ||
			    (drain_until && now_ns() >= drain_until)) {
				finishing = true;
				continue;
			}
		}
		if (submitted) {
			idle_us = 1;
		} else if (o->doorbell && !reopen && !stop &&
			   (err = idle_on_doorbells(&uring, rings, n)) != 0) {
			if (err < 0) {
				msg("io_uring (doorbells): %s", strerror(-err));
				rc = EXIT_RUNTIME;
				goto out;
			}
			idle_us = 1;
		} else {
			sleep_us(idle_us);
			if (idle_us < o->poll_max_us)
				idle_us = idle_us * 2 > o->poll_max_us ?
					  (unsigned int)o->poll_max_us : idle_us * 2;
		}
	}
out:
	io_uring_queue_exit(&uring);
	for (unsigned int i = 0; i < n && rc == EXIT_OK; i++)
		if (rings[i].have_batch && rings[i].nrecs)
			rc = EXIT_SHORT;
	for (unsigned int i = 0; i < n && rc == EXIT_OK; i++)
		if (rings[i].stuck)
			rc = EXIT_CORRUPT;
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.dir = ".", .batch = 256 * 1024, .keep = 5, .wait_ms = -1,
		.retry_ms = 1000, .poll_max_us = 10000,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct xshm_region *r = NULL;
	struct lring *rings;
	char **paths;
	unsigned int n;
	int rc, err;

	tool_init(argv);
	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	region_name = o.region;
	/* --once never waits forever: not at all unless --wait says so */
	if (o.once && !o.wait_given)
		o.wait_ms = 0;
	n = (unsigned int)(argc - optind);
	rings = calloc(n, sizeof(*rings));
	paths = calloc(n, sizeof(*paths));
	if (!rings || !paths)
		return EXIT_RUNTIME;
	for (unsigned int i = 0; i < n; i++) {
		rc = ring_arg(&o, argv[optind + (int)i], &rings[i], &paths[i]);
		if (rc >= 0)
			goto out;
		for (unsigned int k = 0; k < i; k++) {
			if (!strcmp(rings[k].name, rings[i].name) ||
			    !strcmp(paths[k], paths[i])) {
				rc = usage_error("ring \"%s\" or file %s given twice",
				    rings[i].name, paths[i]);
				goto out;
			}
		}
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	err = xshm_region_open(o.region, 0, 0, &r);
	if (err) {
		rc = region_open_error(o.region, err);
		goto out;
	}
	if (o.per_region) {
		rc = per_region_dir(&o, r, rings, n, paths);
		if (rc >= 0)
			goto out;
	}
	rc = wait_layout(&o, r);
	if (rc >= 0)
		goto out;
	rc = open_all(&o, r, rings, n, paths);
	if (rc >= 0)
		goto out;
	notify_manager("READY=1");
	notify_totals(rings, n);
	rc = run(&o, r, rings, n);
	if (verbosity >= 0)
		print_stats(rings, n, "stopped:");
out:
	for (unsigned int i = 0; i < n; i++) {
		if (rings[i].ring)
			xshm_ring_detach(rings[i].ring);
		sink_close(&rings[i].sink);
		journal_free(&rings[i].j);
		free(rings[i].b.buf);
		free(paths[i]);
	}
	free(rings);
	free(paths);
	if (r)
		xshm_region_close(r);
	return rc;
}
