// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Peer: an index-caching SPSC ring written here from the design that
 * rigtorp's SPSCQueue (github.com/rigtorp/SPSCQueue) describes in its
 * README; no code of it is used (it is not packaged, and it is a C++
 * template holding an allocator).  The technique it publishes:
 *
 *  - the write index and the producer's cached copy of the read index
 *    share one cache line, the read index and the consumer's cached copy
 *    of the write index another; the slots start on a line of their own;
 *  - the producer reads the consumer's index (a line the other core
 *    owns) only when its cached copy says the ring is full, the consumer
 *    reads the producer's only when its copy says the ring is empty;
 *  - one acquire load to refresh a cache, one release store to publish.
 *
 * Indices are free-running 64-bit counters (slots is a power of two), so
 * the ring holds no pointer and lives in the shared file, each process
 * at its own address.  A batch is copied then published with one store
 * (rigtorp's API is one element per call; Boost's batch calls do the
 * same).  The copy has a compile-time size for the benchmark's sizes, as
 * a C++ template over the element type would.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench-transport.h"

struct idx_ring {
	/* the producer's line */
	alignas(BENCH_ALIGN) _Atomic uint64_t write;
	uint64_t read_cache;
	/* the consumer's line */
	alignas(BENCH_ALIGN) _Atomic uint64_t read;
	uint64_t write_cache;
	alignas(BENCH_ALIGN) unsigned char slots[];
};

struct idx_end {
	struct idx_ring *r;
	uint64_t mask;
	size_t msg;
};

static size_t chan_size(size_t msg, unsigned int slots)
{
	return sizeof(struct idx_ring) + bench_align(msg * slots);
}

static size_t idx_shm_size(size_t msg, unsigned int slots, unsigned int nchan)
{
	return nchan * chan_size(msg, slots);
}

static int idx_setup(const char *path, void *base, size_t msg,
		     unsigned int slots, unsigned int nchan)
{
	(void)path, (void)base, (void)msg, (void)nchan;
	/* the zeroed file is an empty ring */
	return slots & (slots - 1) ? -EINVAL : 0;
}

static void *idx_open(const char *path, void *base, size_t msg,
		      unsigned int slots, unsigned int chan, int producer)
{
	struct idx_end *e = malloc(sizeof(*e));

	(void)path, (void)producer;
	if (!e)
		return NULL;
	e->r = (struct idx_ring *)((char *)base + chan * chan_size(msg, slots));
	e->mask = slots - 1;
	e->msg = msg;
	return e;
}

/* a constant-size copy for the sizes the benchmark uses */
static inline void copy_msg(void *d, const void *s, size_t msg)
{
	switch (msg) {
	case 8: memcpy(d, s, 8); break;
	case 64: memcpy(d, s, 64); break;
	case 4096: memcpy(d, s, 4096); break;
	default: memcpy(d, s, msg); break;
	}
}

static unsigned int idx_send(void *h, const void *msgs, unsigned int n)
{
	struct idx_end *e = h;
	struct idx_ring *r = e->r;
	uint64_t w = atomic_load_explicit(&r->write, memory_order_relaxed);
	uint64_t room = e->mask + 1 - (w - r->read_cache), i;

	if (room < n) {
		r->read_cache = atomic_load_explicit(&r->read,
						     memory_order_acquire);
		room = e->mask + 1 - (w - r->read_cache);
		if (n > room)
			n = room;
		if (!n)
			return 0;
	}
	for (i = 0; i < n; i++)
		copy_msg(r->slots + ((w + i) & e->mask) * e->msg,
			 (const unsigned char *)msgs + i * e->msg, e->msg);
	atomic_store_explicit(&r->write, w + n, memory_order_release);
	return n;
}

static unsigned int idx_recv(void *h, void *msgs, unsigned int max)
{
	struct idx_end *e = h;
	struct idx_ring *r = e->r;
	uint64_t rd = atomic_load_explicit(&r->read, memory_order_relaxed);
	uint64_t avail = r->write_cache - rd, i;

	if (avail < max) {
		r->write_cache = atomic_load_explicit(&r->write,
						      memory_order_acquire);
		avail = r->write_cache - rd;
		if (!avail)
			return 0;
		if (max > avail)
			max = avail;
	}
	for (i = 0; i < max; i++)
		copy_msg((unsigned char *)msgs + i * e->msg,
			 r->slots + ((rd + i) & e->mask) * e->msg, e->msg);
	atomic_store_explicit(&r->read, rd + max, memory_order_release);
	return max;
}

static void idx_close(void *h)
{
	free(h);
}

const struct bench_transport bench_transport = {
	.name = "idxcache_spsc",
	.placement = "two processes; ring in the shared file; written here "
		     "from rigtorp/SPSCQueue's published design (index caching)",
	.shm_size = idx_shm_size,
	.setup = idx_setup,
	.open = idx_open,
	.send = idx_send,
	.recv = idx_recv,
	.close = idx_close,
};
