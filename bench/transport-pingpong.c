// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Limit: the bare cache-line ping-pong, the latency floor any channel
 * between two cores pays.  A channel is one flag word on its own line
 * (plus, for messages over 8 bytes, the payload on the lines after it):
 * send copies the payload and release-stores a new flag value; recv
 * acquire-loads the flag.  There is no slot to wait for, so it only works
 * for the round trip, where each side waits for the other anyway.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench-transport.h"

struct pp_end {
	_Atomic uint64_t *flag;
	unsigned char *payload;
	size_t msg;
	uint64_t last;
};

static size_t chan_size(size_t msg)
{
	return BENCH_ALIGN + bench_align(msg);
}

static size_t pp_shm_size(size_t msg, unsigned int slots, unsigned int nchan)
{
	(void)slots;
	return nchan * chan_size(msg);
}

static int pp_setup(const char *path, void *base, size_t msg,
		    unsigned int slots, unsigned int nchan)
{
	(void)path, (void)base, (void)msg, (void)slots, (void)nchan;
	return 0;	/* a zeroed file is a fresh channel */
}

static void *pp_open(const char *path, void *base, size_t msg,
		     unsigned int slots, unsigned int chan, int producer)
{
	struct pp_end *e = calloc(1, sizeof(*e));
	char *c = (char *)base + chan * chan_size(msg);

	(void)path, (void)slots, (void)producer;
	if (!e)
		return NULL;
	e->flag = (_Atomic uint64_t *)c;
	e->payload = (unsigned char *)c + BENCH_ALIGN;
	e->msg = msg;
	return e;
}

/* 8-byte messages travel in the flag itself (value + 1: zero is "none") */
static unsigned int pp_send(void *h, const void *msgs, unsigned int n)
{
	struct pp_end *e = h;
	uint64_t v;

	if (!n)
		return 0;
	if (e->msg == 8) {
		memcpy(&v, msgs, 8);
		atomic_store_explicit(e->flag, v + 1, memory_order_release);
	} else {
		memcpy(e->payload, msgs, e->msg);
		atomic_store_explicit(e->flag, ++e->last,
				      memory_order_release);
	}
	return 1;
}

static unsigned int pp_recv(void *h, void *msgs, unsigned int max)
{
	struct pp_end *e = h;
	uint64_t v;

	if (!max)
		return 0;
	v = atomic_load_explicit(e->flag, memory_order_acquire);
	if (v == e->last)
		return 0;
	e->last = v;
	if (e->msg == 8) {
		v -= 1;
		memcpy(msgs, &v, 8);
	} else {
		memcpy(msgs, e->payload, e->msg);
	}
	return 1;
}

static void pp_close(void *h)
{
	free(h);
}

const struct bench_transport bench_transport = {
	.name = "pingpong",
	.placement = "two processes; flag (and payload) lines in the shared file",
	.flags = BT_LAT_ONLY,
	.shm_size = pp_shm_size,
	.setup = pp_setup,
	.open = pp_open,
	.send = pp_send,
	.recv = pp_recv,
	.close = pp_close,
};
