// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The log path's producer for xshm: logpath-line.h's records, each one
 * xshm_ring_send() into a var ring, as xshm-rtsim does (same lines, same
 * pacing; a full ring drops and the ring counts the loss, which
 * xshm-logd writes into the log as a lost= marker).
 *
 * A loss is announced by xshm-logd with the next record that gets
 * through (the gap in the sequence numbers, "lost=N before-seq=S"), so
 * records dropped at the very end would stay unannounced until the
 * producer logs again.  To make every loss of the run countable, the
 * producer ends with one record "logpath end", retried every
 * millisecond until it fits; every retry that did not fit is a drop the
 * ring counts too, so they are printed ("end-drops N").
 *
 * usage: xshm-producer SIZE RATE COUNT REGION RING   (RATE 0: full rate)
 */
#define _GNU_SOURCE
#include <errno.h>

#include "logpath-line.h"
#include "xshm.h"

static int emit(void *ctx, const char *rec, unsigned int len)
{
	int err = xshm_ring_send(ctx, rec, len);

	if (err >= 0)
		return 0;
	if (err == -ENOBUFS || err == -EAGAIN)
		return 1;
	fprintf(stderr, "xshm-producer: send: %s\n", xshm_strerror(err));
	return -1;
}

int main(int argc, char **argv)
{
	unsigned long long v[3];
	struct xshm_region *r;
	struct xshm_ring *ring;
	unsigned int end_drops;
	int err, rc;

	if (logpath_args(argc, argv, 2, v))
		return 2;
	err = xshm_region_open(argv[4], 0, 0, &r);
	if (!err)
		err = xshm_layout_wait(r, 1000);
	if (!err)
		err = xshm_ring_attach(r, argv[5], XSHM_PRODUCER, &ring);
	if (err) {
		fprintf(stderr, "xshm-producer: %s %s: %s\n", argv[4], argv[5],
			xshm_strerror(err));
		return 1;
	}
	rc = logpath_produce(v[0], v[1], v[2], emit, ring);
	for (end_drops = 0; !rc; end_drops++) {
		const struct timespec pause = { 0, 1000000 };

		err = emit(ring, "logpath end", 11);
		if (!err) {
			printf("end-drops %u\n", end_drops);
			break;
		}
		if (err < 0 || end_drops == 10000) {
			fprintf(stderr, "xshm-producer: end record not taken\n");
			rc = 1;
		}
		nanosleep(&pause, NULL);
	}
	xshm_ring_detach(ring);
	xshm_region_close(r);
	return rc;
}
