// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Peer: DPDK rte_ring in single-producer/single-consumer mode with
 * msg-byte elements (the _elem API), built by rte_ring_init() directly on
 * the shared file: no EAL, no memzone (rte_ring_create would need both).
 * The ring header holds no pointer to its slots, so both processes use it
 * at their own addresses.  Batches use the burst calls.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bench-transport.h"

struct dpdk_end {
	struct rte_ring *ring;
	unsigned int msg;
};

static size_t chan_size(size_t msg, unsigned int slots)
{
	ssize_t n = rte_ring_get_memsize_elem(msg, slots);

	return n < 0 ? 0 : bench_align(n);
}

static size_t dpdk_shm_size(size_t msg, unsigned int slots, unsigned int nchan)
{
	return nchan * chan_size(msg, slots);
}

static int dpdk_setup(const char *path, void *base, size_t msg,
		      unsigned int slots, unsigned int nchan)
{
	unsigned int i;
	int err;

	(void)path;
	if (!chan_size(msg, slots))
		return -EINVAL;
	for (i = 0; i < nchan; i++) {
		/* slots - 1 usable, like ck_ring (Boost holds slots) */
		err = rte_ring_init((struct rte_ring *)((char *)base +
						       i * chan_size(msg, slots)),
				    i ? "bench1" : "bench0", slots,
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (err)
			return err;
	}
	return 0;
}

static void *dpdk_open(const char *path, void *base, size_t msg,
		       unsigned int slots, unsigned int chan, int producer)
{
	struct dpdk_end *e = malloc(sizeof(*e));

	(void)path, (void)producer;
	if (!e)
		return NULL;
	e->ring = (struct rte_ring *)((char *)base + chan * chan_size(msg, slots));
	e->msg = msg;
	return e;
}

static unsigned int dpdk_send(void *h, const void *msgs, unsigned int n)
{
	struct dpdk_end *e = h;

	return rte_ring_sp_enqueue_burst_elem(e->ring, msgs, e->msg, n, NULL);
}

static unsigned int dpdk_recv(void *h, void *msgs, unsigned int max)
{
	struct dpdk_end *e = h;

	return rte_ring_sc_dequeue_burst_elem(e->ring, msgs, e->msg, max, NULL);
}

static void dpdk_close(void *h)
{
	free(h);
}

const struct bench_transport bench_transport = {
	.name = "dpdk_rte_ring",
	.placement = "two processes; rte_ring_init() on the shared file, no EAL",
	.shm_size = dpdk_shm_size,
	.setup = dpdk_setup,
	.open = dpdk_open,
	.send = dpdk_send,
	.recv = dpdk_recv,
	.close = dpdk_close,
};
