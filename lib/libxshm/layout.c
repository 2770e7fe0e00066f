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
	       ENOBUFS == XSHM_PEER_ENOBUFS && ESTALE == XSHM_PEER_ESTALE,
	       "errno values");

/*
 * Copy the header and table out of shared memory (relaxed word loads),
 * check the copy was not being rewritten meanwhile, then validate the copy
 * completely: checksum, bounds, and no two channels overlapping.
 */
int xshm__layout_read(const struct xshm_region *r, struct xshm_layout_copy *out)
{
	struct xshm_wire_header *h = &out->hdr;
	uint64_t start, a_end, b_end, gen;
	uint32_t crc, magic, state;
	unsigned int i, j;
	int err;

	if (r->size < XSHM_WIRE_HDR_SIZE)
		return -ENODATA;
	/* LMM_LAYOUT_READY_ACQ: pairs with LMM_LAYOUT_READY_PUB */
	state = atomic_load_explicit(xshm_wire_u32(r->base, 4),
				     memory_order_acquire);
	/*
	 * READY looks the same before and after a re-initialisation; the
	 * generation, stored last, tells which layout the copy comes from.
	 */
	/* LMM_LAYOUT_GEN_FIRST: pairs with LMM_LAYOUT_GEN_PUB */
	gen = atomic_load_explicit(xshm_wire_u64(r->base, 40),
				   memory_order_acquire);
	magic = atomic_load_explicit(xshm_wire_u32(r->base, 0),
				     memory_order_relaxed);
	if (magic != XSHM_WIRE_MAGIC || state != XSHM_WIRE_STATE_READY)
		return -ENODATA;
	memset(out, 0, sizeof(*out));
	xshm_wire_load_words((unsigned char *)h + 8, r->base + 8,
			     XSHM_WIRE_HDR_SIZE - 8);
	err = xshm_wire_header_check(h, r->size);
	if (err)
		return err;
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
	    atomic_load_explicit(xshm_wire_u32(r->base, 4),
				 memory_order_acquire) != XSHM_WIRE_STATE_READY)
		return 0;
	return atomic_load_explicit(xshm_wire_u64(r->base, 40),
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

/* a generation nobody used before: random, never 0, never the old one */
static uint64_t new_generation(uint64_t old)
{
	struct timespec ts;
	uint64_t g = 0;

	if (getrandom(&g, sizeof(g), GRND_NONBLOCK) != (ssize_t)sizeof(g)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		g = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
		    ((uint64_t)getpid() << 16);
	}
	if (g == 0 || g == old)
		g = old + 1 ? old + 1 : 1;
	return g;
}

/* build the header and table for chans into lc; -EINVAL/-ENOSPC */
static int build_layout(const struct xshm_chan_spec *chans, unsigned int n,
			size_t region_size, struct xshm_layout_copy *lc)
{
	struct xshm_wire_chan *c;
	uint64_t off, size;
	unsigned int i, j;
	uint32_t elem;
	size_t len;
	int err;

	if (n == 0 || n > XSHM_CHAN_MAX || !chans)
		return -EINVAL;
	memset(lc, 0, sizeof(*lc));
	lc->hdr.version_major = XSHM_WIRE_VERSION_MAJOR;
	lc->hdr.version_minor = XSHM_WIRE_VERSION_MINOR;
	lc->hdr.nchans = n;
	lc->hdr.header_size = XSHM_WIRE_HDR_SIZE + n * XSHM_WIRE_CHAN_SIZE;
	off = xshm_wire_data_start(lc->hdr.header_size);
	for (i = 0; i < n; i++) {
		c = &lc->chan[i];
		if (!chans[i].name)
			return -EINVAL;
		len = strlen(chans[i].name);
		if (len == 0 || len > XSHM_NAME_MAX)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(chans[j].name, chans[i].name))
				return -EINVAL;
		elem = chans[i].elem_size;
		if (chans[i].type == XSHM_CHAN_RING_VAR && elem == 0)
			elem = chans[i].capacity / 4;
		err = xshm_wire_chan_size(chans[i].type, chans[i].policy, elem,
					  chans[i].capacity, &size);
		if (err)
			return err;
		memcpy(c->name, chans[i].name, len);
		c->type = chans[i].type;
		c->policy = chans[i].policy;
		c->elem_size = elem;
		c->capacity = chans[i].capacity;
		c->offset = off;
		c->size = size;
		off += size;
		if (off > region_size)
			return -ENOSPC;
	}
	lc->hdr.layout_size = off;
	return 0;
}

/* the existing channels are exactly the requested ones (same order too) */
static bool same_channels(const struct xshm_layout_copy *a,
			  const struct xshm_layout_copy *b)
{
	return a->hdr.nchans == b->hdr.nchans &&
	       !memcmp(a->chan, b->chan,
		       a->hdr.nchans * sizeof(struct xshm_wire_chan));
}

XSHM_API int xshm_layout_init(struct xshm_region *r,
			      const struct xshm_chan_spec *chans,
			      unsigned int nchans, unsigned int flags)
{
	struct xshm_layout_copy *want, *have;
	uint64_t old_gen;
	size_t tbl;
	int err;

	if (!r || (flags & ~XSHM_INIT_FORCE))
		return -EINVAL;
	if (r->flags & XSHM_OPEN_RDONLY)
		return -EACCES;
	want = malloc(2 * sizeof(*want));
	if (!want)
		return -ENOMEM;
	have = want + 1;
	err = build_layout(chans, nchans, r->size, want);
	if (err)
		goto out;
	err = xshm__layout_read(r, have);
	if (!(flags & XSHM_INIT_FORCE)) {
		/* a valid layout: keep it so a restarted side resumes */
		if (!err) {
			err = same_channels(want, have) ? 1 : -EEXIST;
			goto out;
		}
		/* a newer format: not ours to destroy without FORCE */
		if (err == -EPROTO)
			goto out;
	}
	old_gen = atomic_load_explicit(xshm_wire_u64(r->base, 40),
				       memory_order_relaxed);

	/* readers see INIT (not READY) before anything else changes */
	atomic_store_explicit(xshm_wire_u32(r->base, 4), XSHM_WIRE_STATE_INIT,
			      memory_order_relaxed);
	/* LMM_LAYOUT_INIT_FENCE: pairs with every *_RECHECK */
	atomic_thread_fence(memory_order_release);

	want->hdr.generation = new_generation(old_gen);
	tbl = (size_t)nchans * XSHM_WIRE_CHAN_SIZE;
	want->hdr.checksum = xshm_wire_crc32c(0, (unsigned char *)&want->hdr +
					      XSHM_WIRE_CHECKSUM_FROM,
					      XSHM_WIRE_HDR_SIZE -
					      XSHM_WIRE_CHECKSUM_FROM);
	want->hdr.checksum = xshm_wire_crc32c(want->hdr.checksum, want->chan,
					      tbl);
	/* zero every channel block: positions, counters, sequences */
	{
		static const uint64_t zero[64];
		uint64_t o = XSHM_WIRE_HDR_SIZE + tbl;
		uint64_t end = want->hdr.layout_size, n;

		for (; o < end; o += n) {
			n = end - o < sizeof(zero) ? end - o : sizeof(zero);
			xshm_wire_store_words(r->base + o, zero, n);
		}
	}
	/* the header but its generation (at 40), the table, magic */
	xshm_wire_store_words(r->base + 8, (unsigned char *)&want->hdr + 8,
			      40 - 8);
	xshm_wire_store_words(r->base + 48, (unsigned char *)&want->hdr + 48,
			      XSHM_WIRE_HDR_SIZE - 48);
	xshm_wire_store_words(r->base + XSHM_WIRE_HDR_SIZE, want->chan, tbl);
	atomic_store_explicit(xshm_wire_u32(r->base, 0), XSHM_WIRE_MAGIC,
			      memory_order_relaxed);
	/* a reader that acquires this generation sees the layout above */
	/* LMM_LAYOUT_GEN_PUB: pairs with LMM_*_GEN_FIRST */
	atomic_store_explicit(xshm_wire_u64(r->base, 40), want->hdr.generation,
			      memory_order_release);
	/* everything above is visible before READY */
	/* LMM_LAYOUT_READY_PUB: pairs with LMM_LAYOUT_*_ACQ */
	atomic_store_explicit(xshm_wire_u32(r->base, 4), XSHM_WIRE_STATE_READY,
			      memory_order_release);
	err = 0;
out:
	free(want);
	return err;
}
