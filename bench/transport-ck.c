// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Peer: Concurrency Kit ck_ring in SPSC mode, struct and slots in the
 * shared file.  ck_ring keeps no pointer to its buffer (every call takes
 * it), so each process passes the buffer at its own mapping's address.
 * Messages are copied in and out whole through the typed interface
 * CK_RING_PROTOTYPE generates (one type per message size); ck has no
 * batch call, so a batch is a loop.  Note: CK 0.7.1's ck_ring_valid() compares raw counters and calls
 * a healthy ring corrupt after 2^32 operations, so it is not used here.
 */
#include <errno.h>
#include <stdlib.h>

#include <ck_ring.h>

#include "bench-transport.h"

/* the message types this build knows; bench/run.sh uses these sizes */
struct msg8 { unsigned char b[8]; };
struct msg64 { unsigned char b[64]; };
struct msg4096 { unsigned char b[4096]; };
CK_RING_PROTOTYPE(msg8, msg8)
CK_RING_PROTOTYPE(msg64, msg64)
CK_RING_PROTOTYPE(msg4096, msg4096)

struct ck_end {
	struct ck_ring *ring;
	void *slots;
	unsigned int msg;
};

static size_t chan_size(size_t msg, unsigned int slots)
{
	return bench_align(sizeof(struct ck_ring)) +
	       bench_align(msg * slots);
}

static size_t ck_shm_size(size_t msg, unsigned int slots, unsigned int nchan)
{
	return nchan * chan_size(msg, slots);
}

static int ck_setup(const char *path, void *base, size_t msg,
		    unsigned int slots, unsigned int nchan)
{
	unsigned int i;

	(void)path;
	for (i = 0; i < nchan; i++)
		ck_ring_init((struct ck_ring *)((char *)base +
						i * chan_size(msg, slots)),
			     slots);
	return 0;
}

static void *ck_open(const char *path, void *base, size_t msg,
		     unsigned int slots, unsigned int chan, int producer)
{
	struct ck_end *e = malloc(sizeof(*e));
	char *c = (char *)base + chan * chan_size(msg, slots);

	(void)path;
	(void)producer;
	if (!e || (msg != 8 && msg != 64 && msg != 4096)) {
		free(e);
		return NULL;
	}
	e->ring = (struct ck_ring *)c;
	e->slots = c + bench_align(sizeof(struct ck_ring));
	e->msg = msg;
	return e;
}

static unsigned int ck_send(void *h, const void *msgs, unsigned int n)
{
	struct ck_end *e = h;
	unsigned int i;

	/* ck has no batch enqueue: a batch is n single enqueues */
	switch (e->msg) {
	case 8:
		for (i = 0; i < n; i++)
			if (!ck_ring_enqueue_spsc_msg8(e->ring, e->slots,
					(struct msg8 *)msgs + i))
				break;
		return i;
	case 64:
		for (i = 0; i < n; i++)
			if (!ck_ring_enqueue_spsc_msg64(e->ring, e->slots,
					(struct msg64 *)msgs + i))
				break;
		return i;
	default:
		for (i = 0; i < n; i++)
			if (!ck_ring_enqueue_spsc_msg4096(e->ring, e->slots,
					(struct msg4096 *)msgs + i))
				break;
		return i;
	}
}

static unsigned int ck_recv(void *h, void *msgs, unsigned int max)
{
	struct ck_end *e = h;
	unsigned int i;

	switch (e->msg) {
	case 8:
		for (i = 0; i < max; i++)
			if (!ck_ring_dequeue_spsc_msg8(e->ring, e->slots,
					(struct msg8 *)msgs + i))
				break;
		return i;
	case 64:
		for (i = 0; i < max; i++)
			if (!ck_ring_dequeue_spsc_msg64(e->ring, e->slots,
					(struct msg64 *)msgs + i))
				break;
		return i;
	default:
		for (i = 0; i < max; i++)
			if (!ck_ring_dequeue_spsc_msg4096(e->ring, e->slots,
					(struct msg4096 *)msgs + i))
				break;
		return i;
	}
}

static void ck_close(void *h)
{
	free(h);
}

const struct bench_transport bench_transport = {
	.name = "ck_ring",
	.placement = "two processes; ring in the shared file",
	.max_msg = 4096,
	.shm_size = ck_shm_size,
	.setup = ck_setup,
	.open = ck_open,
	.send = ck_send,
	.recv = ck_recv,
	.close = ck_close,
};
