// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The layout header and channel table: one-time initialisation, and
 * validation of what another side (maybe hostile) initialised.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <time.h>

#include "internal.h"

_Static_assert(XSHM_CHAN_RING_FIXED == XSHM_WIRE_RING_FIXED &&
	       XSHM_CHAN_RING_VAR == XSHM_WIRE_RING_VAR &&
	       XSHM_CHAN_SEQLOCK == XSHM_WIRE_SEQLOCK &&
	       XSHM_CHAN_LATCH == XSHM_WIRE_LATCH &&
	       XSHM_CHAN_LWW == XSHM_WIRE_LWW, "channel types");
_Static_assert(XSHM_FULL_FAIL == XSHM_WIRE_FULL_FAIL &&
	       XSHM_FULL_DROP == XSHM_WIRE_FULL_DROP &&
	       XSHM_FULL_OVERWRITE == XSHM_WIRE_FULL_OVERWRITE, "policies");
_Static_assert(XSHM_NAME_MAX + 1 == XSHM_WIRE_NAME_LEN &&
	       XSHM_CHAN_MAX == XSHM_WIRE_CHAN_MAX, "limits");
_Static_assert(ENOENT == XSHM_PEER_ENOENT && EAGAIN == XSHM_PEER_EAGAIN &&
	       EBUSY == XSHM_PEER_EBUSY && EINVAL == XSHM_PEER_EINVAL &&
	       ENODATA == XSHM_PEER_ENODATA && EPROTO == XSHM_PEER_EPROTO &&
	       EBADMSG == XSHM_PEER_EBADMSG &&
	       EMSGSIZE == XSHM_PEER_EMSGSIZE &&
	       ENOBUFS == XSHM_PEER_ENOBUFS && ESTALE == XSHM_PEER_ESTALE &&
	       EEXIST == XSHM_PEER_EEXIST && ENOSPC == XSHM_PEER_ENOSPC,
	       "errno values");
_Static_assert(XSHM_INIT_FORCE == XSHM_PEER_INIT_FORCE, "init flags");

/*
 * Copy the header and table out of shared memory (relaxed word loads),
 * check the copy was not being rewritten meanwhile, then validate the copy
 * completely: checksum, bounds, and no two channels overlapping.
 */
int xshm__layout_read(const struct xshm_region *r, struct xshm_layout_copy *out)
{
	struct xshm_wire_header *h = &out->hdr;
	uint64_t start, a_end, b_end, gen;
	uint32_t crc;
	unsigned int i, j;
	int err;

	if (r->size < XSHM_WIRE_HDR_SIZE)
		return -ENODATA;
	/* LMM_LAYOUT_READY_ACQ: pairs with LMM_LAYOUT_READY_PUB */
	if (atomic_load_explicit(xshm_wire_state_word(r->base),
				 memory_order_acquire) != XSHM_WIRE_READY_WORD)
		return -ENODATA;
	/*
	 * READY looks the same before and after a re-initialisation; the
	 * generation, stored last, tells which layout the copy comes from.
	 */
	/* LMM_LAYOUT_GEN_FIRST: pairs with LMM_LAYOUT_GEN_PUB */
	gen = atomic_load_explicit(xshm_wire_gen_word(r->base),
				   memory_order_acquire);
	memset(out, 0, sizeof(*out));
	xshm_wire_load_words((unsigned char *)h + XSHM_WIRE_HDR_CHECKSUM_OFF,
			     r->base + XSHM_WIRE_HDR_CHECKSUM_OFF,
			     XSHM_WIRE_HDR_SIZE - XSHM_WIRE_HDR_CHECKSUM_OFF);
	err = xshm_wire_header_check(h, r->size);
	if (err) {
		/* a copy torn by a re-initialisation is not a corrupt one */
		/* LMM_LAYOUT_TORN_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
		atomic_thread_fence(memory_order_acquire);
		return xshm__stale(r, gen) || h->generation != gen ?
		       -ENODATA : err;
	}
	xshm_wire_load_words(out->chan, r->base + XSHM_WIRE_HDR_SIZE,
			     (size_t)h->nchans * XSHM_WIRE_CHAN_SIZE);
	/* LMM_LAYOUT_READ_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
	atomic_thread_fence(memory_order_acquire);
	if (h->generation != gen || xshm__stale(r, gen))
		return -ENODATA;	/* re-initialised while we read */

	crc = xshm_wire_crc32c(0, (unsigned char *)h + XSHM_WIRE_CHECKSUM_FROM,
			       XSHM_WIRE_HDR_SIZE - XSHM_WIRE_CHECKSUM_FROM);
	crc = xshm_wire_crc32c(crc, out->chan,
			       (size_t)h->nchans * XSHM_WIRE_CHAN_SIZE);
	if (crc != h->checksum)
		return -EBADMSG;
	start = xshm_wire_data_start(h->header_size);
	for (i = 0; i < h->nchans; i++) {
		err = xshm_wire_chan_check(&out->chan[i], start,
					   h->layout_size);
		if (err)
			return err;
		a_end = out->chan[i].offset + out->chan[i].size;
		for (j = 0; j < i; j++) {
			b_end = out->chan[j].offset + out->chan[j].size;
			if (out->chan[i].offset < b_end &&
			    out->chan[j].offset < a_end)
				return -EBADMSG;
			if (!strcmp(out->chan[i].name, out->chan[j].name))
				return -EBADMSG;
		}
	}
	return 0;
}

int xshm__layout_find(const struct xshm_region *r, const char *name,
		     struct xshm_wire_chan *chan, uint64_t *generation)
{
	struct xshm_layout_copy *lc;
	unsigned int i;
	int err;

	if (!name || strlen(name) > XSHM_NAME_MAX)
		return -ENOENT;
	lc = malloc(sizeof(*lc));
	if (!lc)
		return -ENOMEM;
	err = xshm__layout_read(r, lc);
	if (!err) {
		err = -ENOENT;
		for (i = 0; i < lc->hdr.nchans; i++) {
			if (strcmp(lc->chan[i].name, name))
				continue;
			*chan = lc->chan[i];
			*generation = lc->hdr.generation;
			err = 0;
			break;
		}
	}
	free(lc);
	return err;
}

XSHM_API int xshm_layout_check(const struct xshm_region *r)
{
	struct xshm_layout_copy *lc;
	int err;

	if (!r)
		return -EINVAL;
	lc = malloc(sizeof(*lc));
	if (!lc)
		return -ENOMEM;
	err = xshm__layout_read(r, lc);
	free(lc);
	return err;
}

XSHM_API int xshm_layout_wait(const struct xshm_region *r, int timeout_ms)
{
	struct xshm_waiter w;
	int err;

	xshm__waiter_start(&w, &xshm__default_wait, timeout_ms);
	for (;;) {
		err = xshm_layout_check(r);
		if (err != -ENODATA)
			return err;
		if (xshm__waiter_next(&w))
			return -ETIMEDOUT;
	}
}

XSHM_API uint64_t xshm_layout_generation(const struct xshm_region *r)
{
	/* LMM_LAYOUT_GEN_ACQ: pairs with LMM_LAYOUT_READY_PUB */
	if (!r || r->size < XSHM_WIRE_HDR_SIZE ||
	    atomic_load_explicit(xshm_wire_state_word(r->base),
				 memory_order_acquire) != XSHM_WIRE_READY_WORD)
		return 0;
	return atomic_load_explicit(xshm_wire_gen_word(r->base),
				    memory_order_relaxed);
}

XSHM_API int xshm_layout_list(const struct xshm_region *r,
			      struct xshm_chan_info *info, unsigned int max)
{
	struct xshm_layout_copy *lc;
	unsigned int i;
	int err;

	if (!r || (max && !info))
		return -EINVAL;
	lc = malloc(sizeof(*lc));
	if (!lc)
		return -ENOMEM;
	err = xshm__layout_read(r, lc);
	if (!err) {
		for (i = 0; i < lc->hdr.nchans && i < max; i++) {
			memset(&info[i], 0, sizeof(info[i]));
			memcpy(info[i].name, lc->chan[i].name,
			       sizeof(info[i].name));
			info[i].type = lc->chan[i].type;
			info[i].policy = lc->chan[i].policy;
			info[i].elem_size = lc->chan[i].elem_size;
			info[i].capacity = lc->chan[i].capacity;
			info[i].offset = lc->chan[i].offset;
			info[i].size = lc->chan[i].size;
		}
		err = (int)lc->hdr.nchans;
	}
	free(lc);
	return err;
}

static uint64_t init_now_ms(void *ctx)
{
	(void)ctx;
	return xshm__now_ns() / 1000000u;
}

/* between polls of another side's claim or a writer's owner word */
static void init_pause(void *ctx)
{
	struct timespec ts = { 0, 100000 };

	(void)ctx;
	nanosleep(&ts, NULL);
}

/* a fresh random value per call: claim tickets and generations */
static uint64_t init_random(void)
{
	struct timespec ts;
	uint64_t g = 0;

	if (getrandom(&g, sizeof(g), GRND_NONBLOCK) == (ssize_t)sizeof(g))
		return g;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 16);
}

/*
 * The one-time initialiser is xshm-peer.h's, so that an RTOS side can be
 * the one that creates the layout: same claim, same placement.
 */
XSHM_API int xshm_layout_init(struct xshm_region *r,
			      const struct xshm_chan_spec *chans,
			      unsigned int nchans, unsigned int flags)
{
	struct xshm_peer_chan_spec spec[XSHM_CHAN_MAX];
	struct xshm_peer_init_env env = {
		.now_ms = init_now_ms,
		.pause = init_pause,
		.random = init_random(),
	};
	struct xshm_peer_layout l;
	unsigned int i;

	if (!r || (flags & ~XSHM_INIT_FORCE) || !chans || nchans == 0 ||
	    nchans > XSHM_CHAN_MAX)
		return -EINVAL;
	if (r->flags & XSHM_OPEN_RDONLY)
		return -EACCES;
	if (r->size < XSHM_WIRE_HDR_SIZE)
		return -ENOSPC;
	for (i = 0; i < nchans; i++) {
		spec[i].name = chans[i].name;
		spec[i].type = chans[i].type;
		spec[i].policy = chans[i].policy;
		spec[i].elem_size = chans[i].elem_size;
		spec[i].capacity = chans[i].capacity;
	}
	return xshm_peer_layout_init(&l, r->base, r->size, spec, nchans,
				     flags, &env);
}
