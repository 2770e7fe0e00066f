// SPDX-License-Identifier: GPL-2.0-or-later
/* xshm-ring get/set: seqlock, latch and LWW values from the shell. */
#define _GNU_SOURCE
#include "value-cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan-spec.h"
#include "cli.h"
#include "json.h"
#include "util.h"

static int read_error(const struct value_opts *vo,
		      const struct xshm_chan_info *ci, int err)
{
	switch (err) {
	case -ENODATA:
		msg("%s: \"%s\" holds no value yet", vo->region, ci->name);
		return EXIT_SHORT;
	case -EBUSY:
		msg("%s: the writer of \"%s\" stalled mid-update: no consistent value within %d ms",
		    vo->region, ci->name, vo->timeout_ms);
		return EXIT_SHORT;
	case -EBADMSG:
		msg("%s: \"%s\" holds corrupt data", vo->region, ci->name);
		return EXIT_CORRUPT;
	default:
		msg("%s: \"%s\": %s", vo->region, ci->name, xshm_strerror(err));
		return EXIT_RUNTIME;
	}
}

static void json_value(const struct xshm_chan_info *ci,
		       const unsigned char *val, const struct xshm_value_info *vi)
{
	static const char digits[] = "0123456789abcdef";
	char *hex = malloc(2 * (size_t)ci->elem_size + 1);
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "channel", ci->name);
	json_str(&j, "type", chan_type_name(ci->type));
	json_u64(&j, "size", ci->elem_size);
	json_u64_str(&j, "stamp", vi->stamp);
	if (ci->type == XSHM_CHAN_LWW)
		json_u64(&j, "writer", vi->writer);
	/* as text up to the first NUL, and every byte in hex */
	json_strn(&j, "value", (const char *)val,
		  strnlen((const char *)val, ci->elem_size));
	if (hex) {
		for (uint32_t i = 0; i < ci->elem_size; i++) {
			hex[2 * i] = digits[val[i] >> 4];
			hex[2 * i + 1] = digits[val[i] & 15];
		}
		hex[2 * (size_t)ci->elem_size] = '\0';
		json_str(&j, "hex", hex);
		free(hex);
	}
	json_obj_end(&j);
	json_finish(&j);
}

int value_get(struct xshm_region *r, const struct xshm_chan_info *ci,
	      const struct value_opts *vo)
{
	struct xshm_value_info vi;
	struct xshm_seqlock *sl;
	unsigned char *val;
	int err, rc = EXIT_OK;

	val = malloc(ci->elem_size);
	if (!val) {
		msg("out of memory");
		return EXIT_RUNTIME;
	}
	err = xshm_seqlock_attach(r, ci->name, XSHM_CONSUMER, 0, &sl);
	if (err) {
		free(val);
		return read_error(vo, ci, err);
	}
	err = xshm_seqlock_read(sl, val, ci->elem_size, &vi, vo->timeout_ms);
	xshm_seqlock_detach(sl);
	if (err) {
		rc = read_error(vo, ci, err);
	} else if (vo->json) {
		json_value(ci, val, &vi);
	} else {
		size_t len = vo->binary ? ci->elem_size :
			     strnlen((char *)val, ci->elem_size);

		detail("\"%s\": stamp %" PRIu64 " writer %" PRIu32, ci->name,
		       vi.stamp, vi.writer);
		if (fwrite(val, 1, len, stdout) != len ||
		    (!vo->binary && putchar('\n') == EOF) || fflush(stdout)) {
			msg("writing stdout: %s", strerror(errno));
			rc = EXIT_RUNTIME;
		}
	}
	free(val);
	return rc;
}

/* the new value from stdin: raw bytes, or text without its last newline */
static int read_stdin(const struct value_opts *vo, unsigned char *buf,
		      size_t cap, size_t *len)
{
	size_t n = fread(buf, 1, cap, stdin);

	if (ferror(stdin)) {
		msg("reading stdin: %s", strerror(errno));
		return -1;
	}
	if (!vo->binary && n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	*len = n;
	return 0;
}

int value_set(struct xshm_region *r, const struct xshm_chan_info *ci,
	      const struct value_opts *vo)
{
	/* one byte more than fits, to tell a value that is too long */
	size_t cap = (size_t)ci->elem_size + 1, len;
	struct xshm_seqlock *sl;
	unsigned char *val;
	int err, rc = EXIT_OK;

	if (ci->type == XSHM_CHAN_LWW && vo->writer >= ci->capacity)
		return usage_error("\"%s\" has writer slots 0..%" PRIu32 ", not %u",
				   ci->name, ci->capacity - 1, vo->writer);
	val = calloc(1, cap);
	if (!val) {
		msg("out of memory");
		return EXIT_RUNTIME;
	}
	if (vo->value) {
		len = strlen(vo->value);
		memcpy(val, vo->value, len < cap ? len : cap);
	} else if (read_stdin(vo, val, cap, &len)) {
		free(val);
		return EXIT_RUNTIME;
	}
	if (len > ci->elem_size) {
		msg("%s: a value of %s%zu bytes is larger than \"%s\" holds (%" PRIu32 " bytes)",
		    vo->region, len == cap && !vo->value ? "at least " : "", len,
		    ci->name, ci->elem_size);
		free(val);
		return EXIT_RUNTIME;
	}
	/* the rest stays zero: a text value reads back up to its end */
	err = xshm_seqlock_attach(r, ci->name, XSHM_PRODUCER,
				  ci->type == XSHM_CHAN_LWW ? vo->writer : 0, &sl);
	if (!err) {
		err = xshm_seqlock_write(sl, val, ci->elem_size,
					 ci->type == XSHM_CHAN_LWW ? vo->stamp : 0);
		xshm_seqlock_detach(sl);
	}
	if (err) {
		msg("%s: writing \"%s\": %s", vo->region, ci->name,
		    err == -EBADMSG ? "it holds corrupt data" : xshm_strerror(err));
		rc = err == -EBADMSG ? EXIT_CORRUPT : EXIT_RUNTIME;
	} else {
		detail("\"%s\": %zu bytes written", ci->name, len);
	}
	free(val);
	return rc;
}
