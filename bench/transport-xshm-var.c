// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxshm variable-length ring: a message is xshm_ring_send (reserve,
 * copy, commit); a batch is one xshm_ring_sendv.  The consumer uses
 * xshm_ring_recv for one message and xshm_ring_recv_batch for a batch
 * (straight into the harness's buffer when records are 8-byte multiples,
 * which is where recv_batch puts them; else through a scratch buffer).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "bench-transport.h"
#include "xshm-common.h"

/* bytes a record may take besides its payload (header, alignment) */
#define XV_RECORD_EXTRA	16u

/* the harness's largest batch */
#define XV_BATCH_MAX	256u

struct xv_end {
	struct xshm_region *r;
	struct xshm_ring *ring;
	size_t msg;
	struct iovec iov[XV_BATCH_MAX];
	struct xshm_record recs[XV_BATCH_MAX];
	unsigned char *scratch;	/* msg not a multiple of 8 */
};

/* data bytes for at least as many records as the other rings have slots */
static size_t xv_data(size_t msg, unsigned int slots)
{
	return xb_pow2((msg + XV_RECORD_EXTRA) * slots);
}

static size_t xv_shm_size(size_t msg, unsigned int slots, unsigned int nchan)
{
	return XSHM_BENCH_OVERHEAD + nchan * xv_data(msg, slots);
}

static int xv_setup(const char *path, void *base, size_t msg,
		    unsigned int slots, unsigned int nchan)
{
	struct xshm_chan_spec spec = {
		.type = XSHM_CHAN_RING_VAR, .policy = XSHM_FULL_FAIL,
		.elem_size = msg, .capacity = xv_data(msg, slots),
	};

	(void)base;
	return xb_setup(path, &spec, nchan);
}

static void *xv_open(const char *path, void *base, size_t msg,
		     unsigned int slots, unsigned int chan, int producer)
{
	struct xv_end *e = calloc(1, sizeof(*e));
	char name[8];
	int err;

	(void)base, (void)slots;
	if (!e)
		return NULL;
	e->msg = msg;
	if (msg % 8) {
		e->scratch = malloc(XV_BATCH_MAX * ((msg + 7) & ~(size_t)7));
		if (!e->scratch) {
			free(e);
			return NULL;
		}
	}
	xb_name(name, sizeof(name), chan);
	err = xshm_region_open_path(path, 0, 0, &e->r);
	if (!err)
		err = xshm_ring_attach(e->r, name,
				       producer ? XSHM_PRODUCER : XSHM_CONSUMER,
				       &e->ring);
	if (err) {
		fprintf(stderr, "xshm var ring %s: %s\n", name,
			xshm_strerror(err));
		if (e->r)
			xshm_region_close(e->r);
		free(e->scratch);
		free(e);
		return NULL;
	}
	return e;
}

static unsigned int xv_send(void *h, const void *msgs, unsigned int n)
{
	struct xv_end *e = h;
	unsigned int i;
	int k;

	if (n == 1)
		return xshm_ring_send(e->ring, msgs, e->msg) == 0;
	if (n > XV_BATCH_MAX)
		n = XV_BATCH_MAX;
	for (i = 0; i < n; i++) {
		e->iov[i].iov_base = (char *)msgs + i * e->msg;
		e->iov[i].iov_len = e->msg;
	}
	k = xshm_ring_sendv(e->ring, e->iov, n);
	return k > 0 ? (unsigned int)k : 0;
}

static unsigned int xv_recv(void *h, void *msgs, unsigned int max)
{
	struct xv_end *e = h;
	unsigned char *dst = e->scratch ? e->scratch : msgs;
	int i, k;

	if (max == 1)
		return xshm_ring_recv(e->ring, msgs, e->msg, NULL) ==
		       (ssize_t)e->msg;
	if (max > XV_BATCH_MAX)
		max = XV_BATCH_MAX;
	k = xshm_ring_recv_batch(e->ring, dst,
				 e->scratch ? max * ((e->msg + 7) & ~(size_t)7) :
					      max * e->msg, e->recs, max);
	for (i = 0; i < k; i++) {
		if (e->recs[i].len != e->msg)
			break;	/* the harness finds the rest missing */
		if (e->scratch)
			memcpy((char *)msgs + i * e->msg, e->recs[i].data,
			       e->msg);
	}
	return k > 0 ? (unsigned int)i : 0;
}

static void xv_close(void *h)
{
	struct xv_end *e = h;

	xshm_ring_detach(e->ring);
	xshm_region_close(e->r);
	free(e->scratch);
	free(e);
}

const struct bench_transport bench_transport = {
	.name = "xshm_var",
	.placement = "two processes; libxshm region on the shared file",
	.shm_size = xv_shm_size,
	.setup = xv_setup,
	.open = xv_open,
	.send = xv_send,
	.recv = xv_recv,
	.close = xv_close,
};
