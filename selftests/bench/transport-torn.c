// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A deliberately broken channel, to prove the benchmark harness notices
 * broken ones: a correct SPSC ring whose sender damages the last word of
 * every 1000th message (a torn record) and silently skips message 5000
 * (a lost one).  The harness must report both and fail.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench-transport.h"

struct torn_ring {
	_Atomic uint64_t head;		/* consumer position */
	char pad0[BENCH_ALIGN - sizeof(uint64_t)];
	_Atomic uint64_t tail;		/* producer position */
	char pad1[BENCH_ALIGN - sizeof(uint64_t)];
	unsigned char slots[];
};

struct torn_end {
	struct torn_ring *r;
	size_t msg;
	unsigned int slots;
	uint64_t sent;
};

static size_t chan_size(size_t msg, unsigned int slots)
{
	return sizeof(struct torn_ring) + bench_align(msg * slots);
}

static size_t torn_shm_size(size_t msg, unsigned int slots, unsigned int nchan)
{
	return nchan * chan_size(msg, slots);
}

static int torn_setup(const char *path, void *base, size_t msg,
		      unsigned int slots, unsigned int nchan)
{
	(void)path, (void)base, (void)msg, (void)slots, (void)nchan;
	return 0;	/* zeroed positions: empty rings */
}

static void *torn_open(const char *path, void *base, size_t msg,
		       unsigned int slots, unsigned int chan, int producer)
{
	struct torn_end *e = calloc(1, sizeof(*e));

	(void)path, (void)producer;
	if (!e)
		return NULL;
	e->r = (struct torn_ring *)((char *)base + chan * chan_size(msg, slots));
	e->msg = msg;
	e->slots = slots;
	return e;
}

static unsigned int torn_send(void *h, const void *msgs, unsigned int n)
{
	struct torn_end *e = h;
	uint64_t tail = atomic_load_explicit(&e->r->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&e->r->head, memory_order_acquire);
	unsigned int i;

	for (i = 0; i < n && tail - head < e->slots; i++) {
		unsigned char *slot = e->r->slots + (tail % e->slots) * e->msg;

		if (++e->sent == 5000)
			continue;	/* the lost message */
		memcpy(slot, (const char *)msgs + i * e->msg, e->msg);
		if (e->sent % 1000 == 0)
			slot[e->msg - 1] ^= 0x40;	/* the torn one */
		tail++;
	}
	atomic_store_explicit(&e->r->tail, tail, memory_order_release);
	return i;
}

static unsigned int torn_recv(void *h, void *msgs, unsigned int max)
{
	struct torn_end *e = h;
	uint64_t head = atomic_load_explicit(&e->r->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&e->r->tail, memory_order_acquire);
	unsigned int i;

	for (i = 0; i < max && head != tail; i++, head++)
		memcpy((char *)msgs + i * e->msg,
		       e->r->slots + (head % e->slots) * e->msg, e->msg);
	atomic_store_explicit(&e->r->head, head, memory_order_release);
	return i;
}

static void torn_close(void *h)
{
	free(h);
}

const struct bench_transport bench_transport = {
	.name = "torn",
	.placement = "test only: a ring that tears and loses messages",
	.shm_size = torn_shm_size,
	.setup = torn_setup,
	.open = torn_open,
	.send = torn_send,
	.recv = torn_recv,
	.close = torn_close,
};
