// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxshm seqlock: send is xshm_seqlock_write of the message as the
 * value; recv is one xshm_seqlock_read and reports a message only when
 * the write count moved, so the round trip waits for the new value.  In
 * the throughput test the harness counts reads and distinct values seen
 * while the writer overwrites as fast as it can (BT_LOSSY).
 *
 * Built twice: as is for XSHM_CHAN_SEQLOCK (one copy), and with
 * -DXS_LATCH for XSHM_CHAN_LATCH (two copies: readers never wait).
 */
#include <stdlib.h>

#include "bench-transport.h"
#include "xshm-common.h"

#ifdef XS_LATCH
#define XS_TYPE		XSHM_CHAN_LATCH
#define XS_NAME		"xshm_latch"
#else
#define XS_TYPE		XSHM_CHAN_SEQLOCK
#define XS_NAME		"xshm_seqlock"
#endif

/* a writer stalled longer than this is reported by xshm_seqlock_read */
#define XS_STALL_MS	1000

struct xs_end {
	struct xshm_region *r;
	struct xshm_seqlock *sl;
	size_t msg;
	uint64_t stamp;
};

static size_t xs_shm_size(size_t msg, unsigned int slots, unsigned int nchan)
{
	(void)slots;
	return XSHM_BENCH_OVERHEAD + nchan * 2 * bench_align(msg);
}

static int xs_setup(const char *path, void *base, size_t msg,
		    unsigned int slots, unsigned int nchan)
{
	struct xshm_chan_spec spec = {
		.type = XS_TYPE, .elem_size = msg,
	};

	(void)base, (void)slots;
	return xb_setup(path, &spec, nchan);
}

static void *xs_open(const char *path, void *base, size_t msg,
		     unsigned int slots, unsigned int chan, int producer)
{
	struct xs_end *e = calloc(1, sizeof(*e));
	char name[8];
	int err;

	(void)base, (void)slots;
	if (!e)
		return NULL;
	e->msg = msg;
	xb_name(name, sizeof(name), chan);
	err = xshm_region_open_path(path, 0, 0, &e->r);
	if (!err)
		err = xshm_seqlock_attach(e->r, name,
					  producer ? XSHM_PRODUCER :
						     XSHM_CONSUMER,
					  0, &e->sl);
	/*
	 * Like the peers' consumers, a benchmark reader owns its core: it
	 * spins through a write in progress instead of sleeping.
	 */
	if (!err && !producer)
		xshm_seqlock_set_wait(e->sl, &(const struct xshm_wait_policy){
			.spin_iters = 1u << 22, .max_sleep_us = 100 });
	if (err) {
		fprintf(stderr, "%s %s: %s\n", XS_NAME, name,
			xshm_strerror(err));
		if (e->r)
			xshm_region_close(e->r);
		free(e);
		return NULL;
	}
	return e;
}

static unsigned int xs_send(void *h, const void *msgs, unsigned int n)
{
	struct xs_end *e = h;

	if (!n)
		return 0;
	return xshm_seqlock_write(e->sl, msgs, e->msg, 0) == 0;
}

static unsigned int xs_recv(void *h, void *msgs, unsigned int max)
{
	struct xs_end *e = h;
	struct xshm_value_info info;

	if (!max || xshm_seqlock_read(e->sl, msgs, e->msg, &info, XS_STALL_MS))
		return 0;
	if (info.stamp == e->stamp)
		return 0;
	e->stamp = info.stamp;
	return 1;
}

static void xs_close(void *h)
{
	struct xs_end *e = h;

	xshm_seqlock_detach(e->sl);
	xshm_region_close(e->r);
	free(e);
}

const struct bench_transport bench_transport = {
	.name = XS_NAME,
	.placement = "two processes; libxshm region on the shared file",
	.flags = BT_LOSSY,
	.shm_size = xs_shm_size,
	.setup = xs_setup,
	.open = xs_open,
	.send = xs_send,
	.recv = xs_recv,
	.close = xs_close,
};
