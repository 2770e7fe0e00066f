// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Messages for the errors libxshm returns, in its own words where the
 * errno name would mislead (EBADMSG here means a hostile/corrupt region).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "internal.h"

/* the Makefile's VERSION, also in the soname's file name and libxshm.pc */
#ifndef XSHM_VERSION_STRING
#error "build with the Makefile: it defines XSHM_VERSION_STRING"
#endif

XSHM_API const char *xshm_strerror(int err)
{
	/* INT_MIN has no positive counterpart: it is no errno anyway */
	if (err == INT_MIN)
		return "unknown error";
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case EAGAIN:
		return "ring empty or full, try again";
	case ENOBUFS:
		return "ring full, record dropped and counted";
	case ETIMEDOUT:
		return "timed out waiting";
	case EBADMSG:
		return "shared memory holds a corrupt or hostile value";
	case ENODATA:
		return "region holds no initialised layout (or no value yet)";
	case EPROTO:
		return "layout from an incompatible format version";
	case ESTALE:
		return "the layout was re-initialised, attach again";
	case EBUSY:
		return "writer stalled mid-update";
	case ENOENT:
		return "no such channel or region";
	case EMSGSIZE:
		return "record larger than the channel or buffer allows";
	case EEXIST:
		return "region holds a different valid layout";
	case EPERM:
		return "operation not allowed for this side (producer/consumer)";
	default:
		return strerror(err);
	}
}

XSHM_API const char *xshm_version(void)
{
	return XSHM_VERSION_STRING;
}
