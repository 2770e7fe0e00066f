// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxshm variable-length ring: a message is xshm_ring_send (reserve,
 * copy, commit); a batch is n reserves and copies and one commit.  The
 * consumer uses xshm_ring_recv for one message and, for a batch, peeks up
 * to max records, copies them and releases them all at once.
 */
#include <stdlib.h>
#include <string.h>

#include "bench-transport.h"
#include "xshm-common.h"

/* bytes a record may take besides its payload (header, alignment) */
#define XV_RECORD_EXTRA	16u

struct xv_end {
	struct xshm_region *r;
	struct xshm_ring *ring;
	size_t msg;
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
		free(e);
		return NULL;
	}
	return e;
}

static unsigned int xv_send(void *h, const void *msgs, unsigned int n)
{
	struct xv_end *e = h;
	unsigned int i;
	void *buf;

	if (n == 1)
		return xshm_ring_send(e->ring, msgs, e->msg) == 0;
	for (i = 0; i < n; i++) {
		if (xshm_ring_reserve(e->ring, e->msg, &buf))
			break;
		memcpy(buf, (const char *)msgs + i * e->msg, e->msg);
	}
	if (i && xshm_ring_commit(e->ring) < 0)
		return 0;
	return i;
}

static unsigned int xv_recv(void *h, void *msgs, unsigned int max)
{
	struct xv_end *e = h;
	struct xshm_record rec;
	unsigned int i;

	if (max == 1)
		return xshm_ring_recv(e->ring, msgs, e->msg, NULL) ==
		       (ssize_t)e->msg;
	for (i = 0; i < max; i++) {
		if (xshm_ring_peek(e->ring, &rec) || rec.len != e->msg)
			break;
		memcpy((char *)msgs + i * e->msg, rec.data, e->msg);
	}
	if (i && xshm_ring_release(e->ring) < 0)
		return 0;
	return i;
}

static void xv_close(void *h)
{
	struct xv_end *e = h;

	xshm_ring_detach(e->ring);
	xshm_region_close(e->r);
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
