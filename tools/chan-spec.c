// SPDX-License-Identifier: GPL-2.0-or-later
/* Channel specs on the command line ("log:var:64K:drop") and type names. */
#define _GNU_SOURCE
#include "chan-spec.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "xshm-peer.h"

static const char *const type_names[] = {
	[XSHM_CHAN_RING_FIXED] = "fixed",
	[XSHM_CHAN_RING_VAR] = "var",
	[XSHM_CHAN_SEQLOCK] = "seqlock",
	[XSHM_CHAN_LATCH] = "latch",
	[XSHM_CHAN_LWW] = "lww",
};

static const char *const policy_names[] = {
	[XSHM_FULL_FAIL] = "fail",
	[XSHM_FULL_DROP] = "drop",
	[XSHM_FULL_OVERWRITE] = "overwrite",
};

const char *chan_type_name(uint32_t type)
{
	if (type < sizeof(type_names) / sizeof(type_names[0]) &&
	    type_names[type])
		return type_names[type];
	return "unknown";
}

const char *chan_policy_name(uint32_t policy)
{
	if (policy < sizeof(policy_names) / sizeof(policy_names[0]))
		return policy_names[policy];
	return "unknown";
}

int chan_is_ring(uint32_t type)
{
	return type == XSHM_CHAN_RING_FIXED || type == XSHM_CHAN_RING_VAR;
}

#define FIELDS_MAX 6

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int fail(char *err, size_t errlen, const char *text, const char *why)
{
	snprintf(err, errlen, "bad channel spec \"%s\": %s", text, why);
	return -1;
}

static bool get_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!parse_size(s, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool get_policy(const char *s, uint32_t *out)
{
	for (uint32_t p = 0; p < sizeof(policy_names) / sizeof(policy_names[0]); p++) {
		if (!strcmp(s, policy_names[p])) {
			*out = p;
			return true;
		}
	}
	return false;
}

/* the wire format's own limits, so a bad spec is a usage error up front */
static int check_limits(const struct xshm_chan_spec *spec, const char *text,
			char *err, size_t errlen)
{
	uint32_t elem = spec->elem_size;
	uint64_t size;

	if (spec->type == XSHM_CHAN_RING_VAR) {
		if (spec->capacity < XSHM_WIRE_VAR_MIN || spec->capacity > XSHM_WIRE_VAR_MAX)
			return fail(err, errlen, text, "BYTES must be 64 to 1G");
		if (!elem)
			elem = spec->capacity / 4;	/* the library's default */
		if (xshm_wire_rec_size(elem) > spec->capacity / 2)
			return fail(err, errlen, text,
				    "MAXREC + 8 (rounded up to 8) must be at most BYTES / 2");
	}
	if (xshm_wire_chan_size(spec->type, spec->policy, elem, spec->capacity,
				&size))
		return fail(err, errlen, text,
			    "outside the wire format's limits (sizes up to 16M, 2^30 slots, 256 writers)");
	return 0;
}

int chan_spec_parse(const char *text, struct xshm_chan_spec *spec,
		    char *name, char *err, size_t errlen)
{
	char buf[256], *f[FIELDS_MAX], *save = NULL, *tok;
	unsigned int n = 0;

	if (strlen(text) >= sizeof(buf))
		return fail(err, errlen, text, "too long");
	strcpy(buf, text);
	/* strtok would merge empty fields: split by hand */
	tok = buf;
	while (tok && n < FIELDS_MAX) {
		f[n++] = tok;
		save = strchr(tok, ':');
		if (save)
			*save++ = '\0';
		tok = save;
	}
	if (tok)
		return fail(err, errlen, text, "too many fields");
	if (n < 3)
		return fail(err, errlen, text, "expected NAME:TYPE:SIZE[...]");
	if (!*f[0] || strlen(f[0]) > XSHM_NAME_MAX)
		return fail(err, errlen, text, "name must have 1 to 31 characters");
	strcpy(name, f[0]);
	memset(spec, 0, sizeof(*spec));
	spec->name = name;
	spec->policy = XSHM_FULL_DROP;

	if (!strcmp(f[1], "var")) {
		spec->type = XSHM_CHAN_RING_VAR;
		if (n > 5)
			return fail(err, errlen, text, "too many fields for var");
		if (!get_u32(f[2], &spec->capacity) || !is_pow2(spec->capacity))
			return fail(err, errlen, text, "BYTES must be a power of two");
		if (n > 3 && !get_policy(f[3], &spec->policy))
			return fail(err, errlen, text, "POLICY is fail, drop or overwrite");
		if (n > 4 && (!get_u32(f[4], &spec->elem_size) ||
			      spec->elem_size > spec->capacity))
			return fail(err, errlen, text, "MAXREC must be at most BYTES");
	} else if (!strcmp(f[1], "fixed")) {
		spec->type = XSHM_CHAN_RING_FIXED;
		if (n < 4 || n > 5)
			return fail(err, errlen, text, "expected NAME:fixed:SLOTS:SLOTSIZE[:POLICY]");
		if (!get_u32(f[2], &spec->capacity) || !is_pow2(spec->capacity))
			return fail(err, errlen, text, "SLOTS must be a power of two");
		if (!get_u32(f[3], &spec->elem_size) || !spec->elem_size)
			return fail(err, errlen, text, "SLOTSIZE must be a positive number");
		if (n > 4 && !get_policy(f[4], &spec->policy))
			return fail(err, errlen, text, "POLICY is fail, drop or overwrite");
	} else if (!strcmp(f[1], "seqlock") || !strcmp(f[1], "latch")) {
		spec->type = f[1][0] == 's' ? XSHM_CHAN_SEQLOCK : XSHM_CHAN_LATCH;
		spec->policy = 0;
		if (n != 3)
			return fail(err, errlen, text, "expected NAME:seqlock|latch:SIZE");
		if (!get_u32(f[2], &spec->elem_size) || !spec->elem_size)
			return fail(err, errlen, text, "SIZE must be a positive number");
	} else if (!strcmp(f[1], "lww")) {
		spec->type = XSHM_CHAN_LWW;
		spec->policy = 0;
		if (n != 4)
			return fail(err, errlen, text, "expected NAME:lww:SIZE:WRITERS");
		if (!get_u32(f[2], &spec->elem_size) || !spec->elem_size)
			return fail(err, errlen, text, "SIZE must be a positive number");
		if (!get_u32(f[3], &spec->capacity) || !spec->capacity)
			return fail(err, errlen, text, "WRITERS must be a positive number");
	} else {
		return fail(err, errlen, text,
			    "TYPE is var, fixed, seqlock, latch or lww");
	}
	return check_limits(spec, text, err, errlen);
}

int chan_specs_size(const struct xshm_chan_spec *chans, unsigned int n,
		    uint64_t *size)
{
	uint64_t total = xshm_wire_data_start(XSHM_WIRE_HDR_SIZE +
					      n * XSHM_WIRE_CHAN_SIZE);

	for (unsigned int i = 0; i < n; i++) {
		uint32_t elem = chans[i].elem_size;
		uint64_t one;

		/* as xshm_layout_init(): a var ring's default largest record */
		if (chans[i].type == XSHM_CHAN_RING_VAR && !elem)
			elem = chans[i].capacity / 4;
		if (xshm_wire_chan_size(chans[i].type, chans[i].policy, elem,
					chans[i].capacity, &one))
			return -1;
		total += one;
	}
	*size = total;
	return 0;
}
