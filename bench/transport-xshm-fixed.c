// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxshm fixed-slot ring: xshm_ring_push/pop for single messages,
 * xshm_ring_push_batch/pop_batch for batches.
 */
#include <stdlib.h>

#include "bench-transport.h"
#include "xshm-common.h"

struct xf_end {
	struct xshm_region *r;
	struct xshm_ring *ring;
};

static size_t xf_shm_size(size_t msg, unsigned int slots, unsigned int nchan)
{
	return XSHM_BENCH_OVERHEAD + nchan * bench_align(msg * slots);
}

static int xf_setup(const char *path, void *base, size_t msg,
		    unsigned int slots, unsigned int nchan)
{
	struct xshm_chan_spec spec = {
		.type = XSHM_CHAN_RING_FIXED, .policy = XSHM_FULL_FAIL,
		.elem_size = msg, .capacity = slots,
	};

	(void)base;
	return xb_setup(path, &spec, nchan);
}

static void *xf_open(const char *path, void *base, size_t msg,
		     unsigned int slots, unsigned int chan, int producer)
{
	struct xf_end *e = calloc(1, sizeof(*e));
	char name[8];
	int err;

	(void)base, (void)msg, (void)slots;
	if (!e)
		return NULL;
	xb_name(name, sizeof(name), chan);
	err = xshm_region_open_path(path, 0, 0, &e->r);
	if (!err)
		err = xshm_ring_attach(e->r, name,
				       producer ? XSHM_PRODUCER : XSHM_CONSUMER,
				       &e->ring);
	if (err) {
		fprintf(stderr, "xshm fixed ring %s: %s\n", name,
			xshm_strerror(err));
		if (e->r)
			xshm_region_close(e->r);
		free(e);
		return NULL;
	}
	return e;
}

static unsigned int xf_send(void *h, const void *msgs, unsigned int n)
{
	struct xf_end *e = h;
	int k;

	if (n == 1)
		return xshm_ring_push(e->ring, msgs) == 0;
	k = xshm_ring_push_batch(e->ring, msgs, n);
	return k > 0 ? (unsigned int)k : 0;
}

static unsigned int xf_recv(void *h, void *msgs, unsigned int max)
{
	struct xf_end *e = h;
	int k;

	if (max == 1)
		return xshm_ring_pop(e->ring, msgs) == 0;
	k = xshm_ring_pop_batch(e->ring, msgs, max);
	return k > 0 ? (unsigned int)k : 0;
}

static void xf_close(void *h)
{
	struct xf_end *e = h;

	xshm_ring_detach(e->ring);
	xshm_region_close(e->r);
	free(e);
}

const struct bench_transport bench_transport = {
	.name = "xshm_fixed",
	.placement = "two processes; libxshm region on the shared file",
	.shm_size = xf_shm_size,
	.setup = xf_setup,
	.open = xf_open,
	.send = xf_send,
	.recv = xf_recv,
	.close = xf_close,
};
