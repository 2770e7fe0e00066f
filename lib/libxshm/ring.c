// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Ring handles: attach/detach, the producer side (the freestanding
 * implementation from xshm-peer.h, so library and peers behave the same)
 * and statistics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int read_positions(struct xshm_ring *ring)
{
	const struct xshm_wire_chan *c = &ring->chan;
	uint64_t head, tail, oldest;
	bool var = c->type == XSHM_WIRE_RING_VAR;

	/* LMM_ATTACH_HEAD_ACQ: pairs with LMM_FIXED_HEAD_PUB,
	 * LMM_FIXED_BATCH_PUB, LMM_VAR_HEAD_PUB */
	head = atomic_load_explicit(&ring->prod->head, memory_order_acquire);
	oldest = atomic_load_explicit(&ring->prod->oldest,
				      memory_order_relaxed);
	tail = atomic_load_explicit(&ring->cons->tail, memory_order_relaxed);
	if (var && ((head | tail | oldest) & 7))
		return -EBADMSG;
	if (c->policy == XSHM_WIRE_FULL_OVERWRITE) {
		/* a lapped consumer resumes at the frontier later */
		if ((int64_t)(head - tail) < 0)
			return -EBADMSG;
	} else if (head - tail > ring->cap) {
		return -EBADMSG;
	}
	ring->tail = tail;
	ring->peek_pos = tail;
	ring->head_cache = tail;
	ring->expect_seq = atomic_load_explicit(&ring->cons->next_seq,
						memory_order_relaxed);
	ring->peek_seq = ring->expect_seq;
	ring->lost = atomic_load_explicit(&ring->cons->lost,
					  memory_order_relaxed);
	return 0;
}

/* the positions are read inside the owner word: they are this layout's */
static int attach_consumer(struct xshm_ring *ring)
{
	const struct xshm_wire_chan *c = &ring->chan;
	int err;

	ring->cons_owner = &ring->cons->owner;
	if (xshm_peer_owner_adopt(ring->cons_owner, ring->generation))
		return -ESTALE;
	err = xshm__cons_enter(ring);
	if (err)
		return err;
	err = xshm__cons_leave(ring, read_positions(ring));
	if (err)
		return err;
	if (c->type == XSHM_WIRE_RING_VAR &&
	    c->policy == XSHM_WIRE_FULL_OVERWRITE) {
		ring->copy = malloc(ring->cap);
		if (!ring->copy)
			return -ENOMEM;
	}
	return 0;
}

XSHM_API int xshm_ring_attach(struct xshm_region *r, const char *name,
			      enum xshm_role role, struct xshm_ring **out)
{
	struct xshm_ring *ring;
	unsigned char *blk;
	int err;

	if (!r || !name || !out ||
	    (role != XSHM_PRODUCER && role != XSHM_CONSUMER))
		return -EINVAL;
	if (r->flags & XSHM_OPEN_RDONLY)
		return -EACCES;	/* both sides write their positions */
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	err = xshm__layout_find(r, name, &ring->chan, &ring->generation);
	if (err)
		goto err_free;
	if (ring->chan.type != XSHM_WIRE_RING_FIXED &&
	    ring->chan.type != XSHM_WIRE_RING_VAR) {
		err = -EINVAL;
		goto err_free;
	}
	ring->region = r;
	ring->role = role;
	ring->wait = xshm__default_wait;
	blk = r->base + ring->chan.offset;
	ring->prod = (struct xshm_wire_ring_prod *)(void *)blk;
	ring->cons = (struct xshm_wire_ring_cons *)(void *)(blk +
							      XSHM_WIRE_BLOCK);
	ring->data = blk + 2 * XSHM_WIRE_BLOCK;
	ring->cap = ring->chan.capacity;
	ring->mask = ring->cap - 1;
	ring->stride = (uint32_t)xshm_wire_slot_stride(ring->chan.elem_size);

	if (role == XSHM_CONSUMER) {
		err = attach_consumer(ring);
	} else {
		err = xshm_peer_ring_attach_chan(&ring->p, r->base, &ring->chan,
						 ring->generation);
		if (!err && ring->chan.type == XSHM_WIRE_RING_VAR &&
		    ring->chan.policy == XSHM_WIRE_FULL_OVERWRITE) {
			void *staging = malloc(ring->cap);

			xshm_peer_ring_set_staging(&ring->p, staging,
						   ring->cap);
			if (!staging)
				err = -ENOMEM;
		}
	}
	if (err)
		goto err_free;
	/* the positions read above belong to this generation's layout */
	/* LMM_RING_ATTACH_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
	atomic_thread_fence(memory_order_acquire);
	if (xshm__stale(r, ring->generation)) {
		err = -ESTALE;
		goto err_free;
	}
	*out = ring;
	return 0;

err_free:
	free(ring->copy);
	free(ring->p.staging);
	free(ring);
	return err;
}

XSHM_API void xshm_ring_detach(struct xshm_ring *ring)
{
	if (!ring)
		return;
	xshm__db_detach(ring);
	free(ring->copy);
	free(ring->p.staging);
	free(ring);
}

XSHM_API void xshm_ring_set_wait(struct xshm_ring *ring,
				 const struct xshm_wait_policy *wp)
{
	if (ring)
		ring->wait = wp ? *wp : xshm__default_wait;
}

XSHM_API int xshm_ring_push(struct xshm_ring *ring, const void *slot)
{
	int err = xshm__ring_check(ring, XSHM_PRODUCER,
				   XSHM_WIRE_RING_FIXED);

	if (err)
		return err;
	if (!slot)
		return -EINVAL;
	return xshm__db_published(ring, xshm_peer_ring_push(&ring->p, slot));
}

XSHM_API int xshm_ring_push_batch(struct xshm_ring *ring, const void *slots,
				  unsigned int n)
{
	int err = xshm__ring_check(ring, XSHM_PRODUCER,
				   XSHM_WIRE_RING_FIXED);

	if (err)
		return err;
	if (!slots && n)
		return -EINVAL;
	return xshm__db_published(ring,
				  xshm_peer_ring_push_batch(&ring->p, slots, n));
}

XSHM_API int xshm_ring_reserve(struct xshm_ring *ring, size_t len, void **buf)
{
	int err = xshm__ring_check(ring, XSHM_PRODUCER,
				   XSHM_WIRE_RING_VAR);

	if (err)
		return err;
	if (!buf)
		return -EINVAL;
	return xshm_peer_ring_reserve(&ring->p, len, buf);
}

XSHM_API int xshm_ring_commit(struct xshm_ring *ring)
{
	int err = xshm__ring_check(ring, XSHM_PRODUCER,
				   XSHM_WIRE_RING_VAR);

	if (err)
		return err;
	return xshm__db_published(ring, xshm_peer_ring_commit(&ring->p));
}

XSHM_API int xshm_ring_send(struct xshm_ring *ring, const void *data,
			    size_t len)
{
	int err = xshm__ring_check(ring, XSHM_PRODUCER,
				   XSHM_WIRE_RING_VAR);

	if (err)
		return err;
	if (!data && len)
		return -EINVAL;
	return xshm__db_published(ring,
				  xshm_peer_ring_send(&ring->p, data, len));
}

/* record i of a struct iovec array, for xshm_peer_ring_sendv_fn() */
static int iovec_get(const void *recs, unsigned int i, const void **data,
		     size_t *len)
{
	const struct iovec *v = (const struct iovec *)recs + i;

	if (!v->iov_base && v->iov_len)
		return -EINVAL;
	*data = v->iov_base;
	*len = v->iov_len;
	return 0;
}

/*
 * The handle is checked once per batch; per record there is only the
 * placement and the copy (see xshm_peer_ring_sendv() for the semantics).
 */
XSHM_API int xshm_ring_sendv(struct xshm_ring *ring, const struct iovec *recs,
			     unsigned int n)
{
	int err = xshm__ring_check(ring, XSHM_PRODUCER,
				   XSHM_WIRE_RING_VAR);

	if (err)
		return err;
	return xshm__db_published(ring,
				  xshm_peer_ring_sendv_fn(&ring->p, recs, n,
							  iovec_get));
}

XSHM_API uint32_t xshm_ring_next_seq(const struct xshm_ring *ring)
{
	if (!ring)
		return 0;
	/* the committed resume point, as a restarted producer would see it */
	return atomic_load_explicit(&ring->prod->next_seq,
				    memory_order_relaxed);
}

/*
 * Records already overwritten that the consumer has not noticed yet: the
 * ones between its tail and the producer's frontier.  Counting them here
 * makes the shared "overwritten" figure current at any moment; when the
 * consumer gets there it moves them into its own counter, the sum stays.
 */
static uint64_t unnoticed_overwrites(struct xshm_ring *ring, uint64_t head,
				     uint64_t tail, uint64_t oldest)
{
	uint32_t seq_at, expect;
	uint64_t hdr;

	if ((int64_t)(oldest - tail) <= 0 || (int64_t)(head - oldest) < 0)
		return 0;
	if (ring->chan.type == XSHM_WIRE_RING_FIXED)
		return oldest - tail;
	if (oldest & 7)
		return 0;
	if (oldest == head) {
		seq_at = atomic_load_explicit(&ring->prod->next_seq,
					      memory_order_relaxed);
	} else {
		hdr = atomic_load_explicit(xshm_wire_u64(ring->data,
							 oldest & ring->mask),
					   memory_order_relaxed);
		seq_at = (uint32_t)(hdr >> 32);
		if ((uint32_t)hdr & XSHM_WIRE_REC_PAD)
			seq_at = atomic_load_explicit(&ring->prod->next_seq,
						      memory_order_relaxed);
	}
	expect = atomic_load_explicit(&ring->cons->next_seq,
				      memory_order_relaxed);
	return xshm_wire_seq_gap(seq_at, expect);
}

XSHM_API int xshm_ring_stats(struct xshm_ring *ring, struct xshm_ring_stats *st)
{
	uint64_t head, tail, oldest, fill;
	int err;

	if (!ring || !st)
		return -EINVAL;
	err = xshm__stale(ring->region, ring->generation);
	if (err)
		return err;
	memset(st, 0, sizeof(*st));
	/* LMM_STATS_HEAD_ACQ: pairs with LMM_FIXED_HEAD_PUB,
	 * LMM_FIXED_BATCH_PUB, LMM_VAR_HEAD_PUB */
	head = atomic_load_explicit(&ring->prod->head, memory_order_acquire);
	/* LMM_STATS_TAIL_ACQ: pairs with LMM_FIXED_TAIL_PUB, LMM_VAR_TAIL_PUB */
	tail = atomic_load_explicit(&ring->cons->tail, memory_order_acquire);
	oldest = atomic_load_explicit(&ring->prod->oldest,
				      memory_order_relaxed);
	if (ring->chan.policy == XSHM_WIRE_FULL_OVERWRITE) {
		/*
		 * A running producer may move oldest past the head read
		 * above: take head and oldest as a pair, as the consumer
		 * does.  An impossible pair is counted there.
		 */
		err = xshm__overwrite_bounds(ring, &head, &oldest);
		if (err == -EAGAIN)
			return err;
		st->overwritten = atomic_load_explicit(&ring->cons->lost,
						       memory_order_relaxed) +
				  unnoticed_overwrites(ring, head, tail, oldest);
		if ((int64_t)(oldest - tail) > 0)
			tail = oldest;
	}
	fill = head - tail;
	if (err || fill > ring->cap) {
		/* not a state an honest peer can produce */
		if (!err)
			ring->corrupt++;
		fill = 0;
	}
	st->capacity = ring->cap;
	st->fill = fill;
	st->produced = atomic_load_explicit(&ring->prod->produced,
					    memory_order_relaxed);
	st->dropped = atomic_load_explicit(&ring->prod->dropped,
					   memory_order_relaxed);
	st->corrupt = ring->corrupt + ring->p.corrupt;
	return 0;
}
