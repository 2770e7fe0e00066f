// SPDX-License-Identifier: GPL-2.0-or-later
/* Describe a region's layout and channels (fill levels, counters). */
#include "chan-report.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "chan-spec.h"
#include "cli.h"
#include "region-error.h"

struct chan_state {
	int err;			/* attach/stats error, 0 if fine */
	struct xshm_ring_stats st;	/* rings */
	struct xshm_value_info vi;	/* seqlock family */
	uint32_t next_seq;
};

static void probe_ring(struct xshm_region *r, const struct xshm_chan_info *ci,
		       struct chan_state *cs)
{
	struct xshm_ring *ring;

	/* stats only read the shared counters: any role will do */
	cs->err = xshm_ring_attach(r, ci->name, XSHM_CONSUMER, &ring);
	if (cs->err)
		return;
	cs->err = xshm_ring_stats(ring, &cs->st);
	cs->next_seq = xshm_ring_next_seq(ring);
	xshm_ring_detach(ring);
}

static void probe_value(struct xshm_region *r, const struct xshm_chan_info *ci,
			struct chan_state *cs)
{
	struct xshm_seqlock *sl;
	unsigned char val[4096];

	cs->err = xshm_seqlock_attach(r, ci->name, XSHM_CONSUMER, 0, &sl);
	if (cs->err)
		return;
	if (ci->elem_size <= sizeof(val))
		cs->err = xshm_seqlock_read(sl, val, ci->elem_size, &cs->vi, 10);
	else
		cs->err = -EFBIG;	/* value too large to show: no stamp */
	xshm_seqlock_detach(sl);
}

static void text_channel(FILE *out, const struct xshm_chan_info *ci,
			 const struct chan_state *cs)
{
	fprintf(out, "  %-16s %-8s", ci->name, chan_type_name(ci->type));
	if (chan_is_ring(ci->type)) {
		const char *unit = ci->type == XSHM_CHAN_RING_VAR ? "B" : "slots";

		fprintf(out, " %-9s", chan_policy_name(ci->policy));
		if (cs->err) {
			fprintf(out, " capacity %" PRIu32 " %s: %s\n",
				ci->capacity, unit, xshm_strerror(cs->err));
			return;
		}
		fprintf(out,
			" fill %" PRIu64 "/%" PRIu64 " %s (%.1f%%) produced %" PRIu64
			" dropped %" PRIu64 " overwritten %" PRIu64
			" corrupt %" PRIu64 " next-seq %" PRIu32 "\n",
			cs->st.fill, cs->st.capacity, unit,
			cs->st.capacity ? 100.0 * (double)cs->st.fill /
					  (double)cs->st.capacity : 0.0,
			cs->st.produced, cs->st.dropped, cs->st.overwritten,
			cs->st.corrupt, cs->next_seq);
		return;
	}
	fprintf(out, " value %" PRIu32 " B", ci->elem_size);
	if (ci->type == XSHM_CHAN_LWW)
		fprintf(out, " writers %" PRIu32, ci->capacity);
	if (cs->err == -ENODATA)
		fprintf(out, ": no value written yet\n");
	else if (cs->err)
		fprintf(out, ": %s\n", xshm_strerror(cs->err));
	else
		fprintf(out, " stamp %" PRIu64 " writer %" PRIu32 "\n",
			cs->vi.stamp, cs->vi.writer);
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
	if (cs->err) {
		json_str(j, "error", xshm_strerror(cs->err));
	} else if (chan_is_ring(ci->type)) {
		json_u64(j, "fill", cs->st.fill);
		json_u64_str(j, "produced", cs->st.produced);
		json_u64_str(j, "dropped", cs->st.dropped);
		json_u64_str(j, "overwritten", cs->st.overwritten);
		json_u64_str(j, "corrupt", cs->st.corrupt);
		json_u64(j, "next_seq", cs->next_seq);
	} else {
		json_u64_str(j, "stamp", cs->vi.stamp);
		json_u64(j, "writer", cs->vi.writer);
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
		if (cs.err == -EBADMSG || cs.err == -EPROTO || cs.st.corrupt)
			bad = EXIT_CORRUPT;
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
