// SPDX-License-Identifier: GPL-2.0-or-later
/* Messages that name the cause and the region, and their exit codes. */
#define _GNU_SOURCE
#include "region-error.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "chan-spec.h"
#include "cli.h"
#include "util.h"
#include "xshm-peer.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* "region file" for a plain file, else "region" */
static const char *kind(const char *spec)
{
	struct stat st;

	return !stat(spec, &st) && S_ISREG(st.st_mode) ? "region file" : "region";
}

int region_open_why(const char *spec, int err, char *buf, size_t len)
{
	struct stat st;

	/* how xshm_region_open() reads spec decides what was not found */
	if (err == -ENOENT) {
		if (all_digits(spec))
			snprintf(buf, len, "/dev/xshm%s: no such device (is the xshm driver loaded? see xshm-info)",
				 spec);
		else if (!strncmp(spec, "name:", 5))
			snprintf(buf, len, "no region with xen,id \"%s\" (see xshm-info)",
				 spec + 5);
		else if (strchr(spec, '/'))
			snprintf(buf, len, "%s: no such file", spec);
		else
			snprintf(buf, len, "%s: no region with that xen,id and no such file",
				 spec);
		return EXIT_RUNTIME;
	}
	if (err == -ENODATA && !stat(spec, &st) && S_ISREG(st.st_mode) &&
	    st.st_size == 0) {
		snprintf(buf, len, "region file %s is 0 bytes and holds no xshm layout (run 'xshm-ring --create SIZE init %s --chan SPEC...' first)",
			 spec, spec);
		return EXIT_LAYOUT;
	}
	if (err == -ENODEV) {
		snprintf(buf, len, "%s is neither a plain file nor an xshm device", spec);
		return EXIT_RUNTIME;
	}
	snprintf(buf, len, "%s: %s", spec,
		 err == -EINVAL ? "not a region (bad number, name or size)" : strerror(-err));
	return EXIT_RUNTIME;
}

int region_open_error(const char *spec, int err)
{
	char why[REGION_WHY_MAX];
	int rc = region_open_why(spec, err, why, sizeof(why));

	msg("%s", why);
	return rc;
}

int layout_why(const char *spec, const struct xshm_region *r, int err,
	       char *buf, size_t len)
{
	size_t size = r ? xshm_region_size(r) : 0;

	switch (err) {
	case -ENODATA:
		if (r && size < XSHM_WIRE_HDR_SIZE)
			snprintf(buf, len, "%s %s is %zu bytes, a layout needs at least %u",
				 kind(spec), spec, size, XSHM_WIRE_HDR_SIZE);
		else
			snprintf(buf, len, "%s holds no xshm layout (run 'xshm-ring init %s --chan SPEC...' first)",
				 spec, spec);
		return EXIT_LAYOUT;
	case -EPROTO:
		snprintf(buf, len, "%s holds a layout of a format version this libxshm %s cannot read",
			 spec, xshm_version());
		return EXIT_LAYOUT;
	case -ESTALE:
		snprintf(buf, len, "%s: the layout was re-initialised meanwhile", spec);
		return EXIT_LAYOUT;
	case -EBADMSG:
		snprintf(buf, len, "%s: the layout header is corrupt (bad checksum or bounds)",
			 spec);
		return EXIT_CORRUPT;
	case -ETIMEDOUT:
		snprintf(buf, len, "%s: no layout appeared in time (see --wait)", spec);
		return EXIT_SHORT;
	default:
		snprintf(buf, len, "%s: %s", spec, xshm_strerror(err));
		return EXIT_RUNTIME;
	}
}

int layout_error(const char *spec, const struct xshm_region *r, int err)
{
	char why[REGION_WHY_MAX];
	int rc = layout_why(spec, r, err, why, sizeof(why));

	msg("%s", why);
	return rc;
}

int region_too_small(const char *spec, uint64_t size,
		     const struct xshm_chan_spec *chans, unsigned int n)
{
	uint64_t need;

	if (chan_specs_size(chans, n, &need))
		msg("%s: the channels do not fit any region", spec);
	else
		msg("%s %s is %" PRIu64 " bytes, the layout needs at least %" PRIu64,
		    kind(spec), spec, size, need);
	return EXIT_RUNTIME;
}
