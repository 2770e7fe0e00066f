// SPDX-License-Identifier: GPL-2.0-or-later
/* Describe a region's layout and channels (fill levels, counters). */
#include "chan-report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chan-spec.h"
#include "cli.h"
#include "region-error.h"
#include "util.h"

/* how long a value's writer may stay mid-update before it counts as stalled */
#define STALL_MS	100

struct chan_state {
	int err;			/* attach/stats error, 0 if fine */
	struct xshm_ring_stats st;	/* rings */
	struct xshm_doorbell_stats db;	/* doorbell words (3.1) */
	bool has_db;			/* db was read (not lww) */
	struct xshm_value_info vi;	/* seqlock family */
	uint32_t next_seq;
	const char *health;		/* ok, empty, stalled, stuck, corrupt */
	const char *problem;		/* why, unless ok or empty */
	char why[128];			/* room for a problem with a count */
	int rc;				/* the health's exit code */
};

static void set_health(struct chan_state *cs, const char *health,
		       const char *problem, int rc)
{
	cs->health = health;
	cs->problem = problem;
	cs->rc = rc;
}

/*
 * A corrupt record header stops every consumer at it.  Peeks walk the
 * unread records and write nothing to shared memory (only a release
 * would), so this reads what a consumer would, without moving it.
 */
static void check_records(struct xshm_ring *ring, struct chan_state *cs)
{
	struct xshm_record rec;
	uint64_t good = 0;
	int err;

	while (!(err = xshm_ring_peek(ring, &rec)))
		good++;
	if (err != -EBADMSG)
		return;
	if (!good) {
		set_health(cs, "stuck",
			   "a corrupt record at the read position: no consumer can pass it until the layout is re-initialised",
			   EXIT_CORRUPT);
		return;
	}
	snprintf(cs->why, sizeof(cs->why),
		 "a corrupt record after %" PRIu64 " readable one%s: a consumer will stop there",
		 good, good == 1 ? "" : "s");
	set_health(cs, "corrupt", cs->why, EXIT_CORRUPT);
}

static void probe_ring(struct xshm_region *r, const struct xshm_chan_info *ci,
		       struct chan_state *cs)
{
	uint64_t gen = xshm_layout_generation(r);
	struct xshm_ring *ring;
	int tries = 0;

	/*
	 * Stats only read the shared counters: any role will do.  Attaching
	 * takes the consumer's owner word for an instant, so another
	 * consumer inside a call (another xshm-info, say) makes it -ESTALE
	 * although the layout is the same: try again for up to a second.
	 */
	while ((cs->err = xshm_ring_attach(r, ci->name, XSHM_CONSUMER,
					   &ring)) == -ESTALE &&
	       xshm_layout_generation(r) == gen && ++tries < 100)
		sleep_us(10000);
	if (cs->err)
		return;
	cs->err = xshm_ring_stats(ring, &cs->st);
	if (!cs->err)
		cs->err = xshm_ring_doorbell_stats(ring, &cs->db);
	cs->has_db = !cs->err;
	cs->next_seq = xshm_ring_next_seq(ring);
	if (!cs->err && ci->type == XSHM_CHAN_RING_VAR)
		check_records(ring, cs);
	xshm_ring_detach(ring);
}

static void probe_value(struct xshm_region *r, const struct xshm_chan_info *ci,
			struct chan_state *cs)
{
	struct xshm_seqlock *sl;
	unsigned char *val = malloc(ci->elem_size);

	cs->err = val ? xshm_seqlock_attach(r, ci->name, XSHM_CONSUMER, 0, &sl) :
			-ENOMEM;
	if (!cs->err) {
		cs->has_db = ci->type != XSHM_CHAN_LWW &&
			     xshm_seqlock_doorbell_stats(sl, &cs->db) == 0;
		cs->err = xshm_seqlock_read(sl, val, ci->elem_size, &cs->vi,
					    STALL_MS);
		xshm_seqlock_detach(sl);
	}
	free(val);
	if (cs->err == -ENODATA)
		set_health(cs, "empty", NULL, EXIT_OK);
	else if (cs->err == -EBUSY)
		set_health(cs, "stalled",
			   ci->type == XSHM_CHAN_LWW ?
			   "every writer that wrote a value is stalled mid-update" :
			   "the writer is stalled mid-update (killed, or stopped)",
			   EXIT_SHORT);
}

/* what the attach/stats error says about the channel's health */
static void error_health(struct chan_state *cs)
{
	if (cs->health)
		return;
	if (cs->err == -EBADMSG || cs->st.corrupt)
		set_health(cs, "corrupt",
			   "its positions or counters in shared memory are corrupt",
			   EXIT_CORRUPT);
	else if (cs->err)
		set_health(cs, "unknown", NULL, EXIT_OK);	/* e.g. read-only */
	else
		set_health(cs, "ok", NULL, EXIT_OK);
}

/* a 3.0 side leaves every doorbell word 0: say nothing about them */
static bool doorbell_in_use(const struct xshm_doorbell_stats *db)
{
	return db->prod_rings || db->cons_rings || db->prod_notified ||
	       db->prod_sleeps || db->cons_notified || db->cons_sleeps;
}

static void text_channel(FILE *out, const struct xshm_chan_info *ci,
			 const struct chan_state *cs)
{
	fprintf(out, "  %-16s %-8s", ci->name, chan_type_name(ci->type));
	if (chan_is_ring(ci->type)) {
		const char *unit = ci->type == XSHM_CHAN_RING_VAR ? "B" : "slots";

		fprintf(out, " %-9s", chan_policy_name(ci->policy));
		if (cs->err)
			fprintf(out, " capacity %" PRIu32 " %s: %s",
				ci->capacity, unit, xshm_strerror(cs->err));
		else
			fprintf(out,
				" fill %" PRIu64 "/%" PRIu64 " %s (%.1f%%) produced %" PRIu64
				" dropped %" PRIu64 " overwritten %" PRIu64
				" corrupt %" PRIu64 " next-seq %" PRIu32,
				cs->st.fill, cs->st.capacity, unit,
				cs->st.capacity ? 100.0 * (double)cs->st.fill /
						  (double)cs->st.capacity : 0.0,
				cs->st.produced, cs->st.dropped, cs->st.overwritten,
				cs->st.corrupt, cs->next_seq);
	} else {
		fprintf(out, " value %" PRIu32 " B", ci->elem_size);
		if (ci->type == XSHM_CHAN_LWW)
			fprintf(out, " writers %" PRIu32, ci->capacity);
		if (cs->err == -ENODATA)
			fprintf(out, ": no value written yet");
		else if (cs->err)
			fprintf(out, ": %s", xshm_strerror(cs->err));
		else
			fprintf(out, " stamp %" PRIu64 " writer %" PRIu32,
				cs->vi.stamp, cs->vi.writer);
	}
	fprintf(out, "  health %s\n", cs->health);
	if (cs->has_db && doorbell_in_use(&cs->db) && chan_is_ring(ci->type))
		fprintf(out, "    doorbell: producer %s, notified %" PRIu64
			", slept %" PRIu64 "; consumer %s, notified %" PRIu64
			", slept %" PRIu64 "\n",
			cs->db.prod_rings ? "rings" : "does not ring",
			cs->db.prod_notified, cs->db.prod_sleeps,
			cs->db.cons_rings ? "rings" : "does not ring",
			cs->db.cons_notified, cs->db.cons_sleeps);
	else if (cs->has_db && doorbell_in_use(&cs->db))
		fprintf(out, "    doorbell: writer %s, notified %" PRIu64
			"; reader %s, slept %" PRIu64 "\n",
			cs->db.prod_rings ? "rings" : "does not ring",
			cs->db.prod_notified,
			cs->db.cons_rings ? "has a doorbell" : "has none",
			cs->db.cons_sleeps);
	if (cs->problem)
		fprintf(out, "    %s: %s\n", cs->health, cs->problem);
}

static void json_channel(struct json *j, const struct xshm_chan_info *ci,
			 const struct chan_state *cs)
{
	json_obj_begin(j, NULL);
	json_str(j, "name", ci->name);
	json_str(j, "type", chan_type_name(ci->type));
	if (chan_is_ring(ci->type))
		json_str(j, "policy", chan_policy_name(ci->policy));
	json_u64(j, "elem_size", ci->elem_size);
	json_u64(j, "capacity", ci->capacity);
	json_u64(j, "offset", ci->offset);
	json_u64(j, "size", ci->size);
	json_str(j, "health", cs->health);
	if (cs->problem)
		json_str(j, "problem", cs->problem);
	if (cs->err) {
		json_str(j, "error", xshm_strerror(cs->err));
	} else if (chan_is_ring(ci->type)) {
		json_u64(j, "fill", cs->st.fill);
		json_u64_str(j, "produced", cs->st.produced);
		json_u64_str(j, "dropped", cs->st.dropped);
		json_u64_str(j, "overwritten", cs->st.overwritten);
		json_u64_str(j, "corrupt", cs->st.corrupt);
		json_u64(j, "next_seq", cs->next_seq);
		json_obj_begin(j, "doorbell");
		json_bool(j, "producer_rings", cs->db.prod_rings);
		json_u64_str(j, "producer_notified", cs->db.prod_notified);
		json_u64_str(j, "producer_sleeps", cs->db.prod_sleeps);
		json_bool(j, "consumer_rings", cs->db.cons_rings);
		json_u64_str(j, "consumer_notified", cs->db.cons_notified);
		json_u64_str(j, "consumer_sleeps", cs->db.cons_sleeps);
		json_obj_end(j);
	} else {
		json_u64_str(j, "stamp", cs->vi.stamp);
		json_u64(j, "writer", cs->vi.writer);
	}
	if (cs->has_db && !chan_is_ring(ci->type)) {
		json_obj_begin(j, "doorbell");
		json_bool(j, "writer_rings", cs->db.prod_rings);
		json_u64_str(j, "writer_notified", cs->db.prod_notified);
		json_bool(j, "reader_doorbell", cs->db.cons_rings);
		json_u64_str(j, "reader_sleeps", cs->db.cons_sleeps);
		json_obj_end(j);
	}
	json_obj_end(j);
}

int report_region(struct xshm_region *r, const char *only, FILE *out,
		  struct json *j)
{
	struct xshm_chan_info info[XSHM_CHAN_MAX];
	int n, bad = 0, found = 0;

	n = xshm_layout_list(r, info, XSHM_CHAN_MAX);
	if (n < 0) {
		char why[REGION_WHY_MAX];
		int rc = layout_why(xshm_region_name(r), r, n, why, sizeof(why));

		if (j) {
			json_obj_begin(j, "layout");
			json_bool(j, "valid", false);
			json_str(j, "error", why);
			json_obj_end(j);
		} else {
			fprintf(out, "  layout: %s\n", why);
		}
		return rc;
	}
	if (n > XSHM_CHAN_MAX)
		n = XSHM_CHAN_MAX;
	if (j) {
		json_obj_begin(j, "layout");
		json_bool(j, "valid", true);
		json_u64_str(j, "generation", xshm_layout_generation(r));
		json_u64(j, "channels", (uint64_t)n);
		json_obj_end(j);
		json_arr_begin(j, "channels");
	} else {
		fprintf(out, "  layout: generation %" PRIu64 ", %d channel%s\n",
			xshm_layout_generation(r), n, n == 1 ? "" : "s");
	}
	for (int i = 0; i < n; i++) {
		struct chan_state cs;

		if (only && strcmp(only, info[i].name))
			continue;
		found++;
		memset(&cs, 0, sizeof(cs));
		if (chan_is_ring(info[i].type))
			probe_ring(r, &info[i], &cs);
		else
			probe_value(r, &info[i], &cs);
		error_health(&cs);
		bad = exit_worst(bad, cs.rc);
		if (j)
			json_channel(j, &info[i], &cs);
		else
			text_channel(out, &info[i], &cs);
	}
	if (j)
		json_arr_end(j);
	if (only && !found)
		return -ENOENT;
	return bad;
}
