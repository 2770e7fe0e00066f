// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The OVERWRITE protocol (a flight recorder: the producer never waits, the
 * oldest records are overwritten), both sides in one place.
 *
 * Producer (xshm-peer.h, xshm_peer__publish_oldest() and the callers of
 * it): the ring's "oldest" word is the frontier, the first position still
 * intact.  Before any store that may overwrite a position, the producer
 * moves oldest past it and publishes it (release store, then a release
 * fence: LMM_OVW_OLDEST_STORE, LMM_OVW_OLDEST_PUB); then it writes the
 * data with relaxed word stores (the consumer may be copying the same
 * bytes) and publishes head (LMM_FIXED_HEAD_PUB, LMM_VAR_HEAD_PUB).  It
 * never reads the consumer's tail.  Fixed rings move oldest one slot at a
 * time; variable rings walk whole records (xshm_peer__make_room_overwrite,
 * with the one record decoder, xshm_wire_rec_decode()) and stage a batch
 * in private memory until commit, so that a torn record is never visible
 * as committed.
 *
 * Consumer (this file): read head and oldest as a consistent pair
 * (xshm__overwrite_bounds: head, then oldest; an oldest past head means
 * the producer moved on, so head is read again), start at
 * max(tail, oldest), copy with relaxed word loads into private memory,
 * then acquire fence and read oldest again (LMM_OVW_*_RECHECK): if the
 * frontier passed what was copied, the copy may be torn and is thrown
 * away.  Slots skipped count as lost; records skipped show as a gap in
 * seq numbers.  A producer that laps the consumer every time makes the
 * call give up after OVERWRITE_RETRIES tries (-EAGAIN), never spin.
 *
 * The byte-level rules are in Documentation/wire-format.md, "OVERWRITE";
 * the ordering pairs in its "Ordering pairs" table.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* how many times a lapping producer may make a call start over */
#define OVERWRITE_RETRIES 64

int xshm__overwrite_bounds(struct xshm_ring *ring, uint64_t *head,
			   uint64_t *oldest)
{
	bool var = ring->chan.type == XSHM_WIRE_RING_VAR;
	uint64_t h, o;
	int i;

	/*
	 * An honest producer keeps oldest <= head at every instant, and
	 * oldest >= head - capacity for any head we acquired before reading
	 * oldest.  So: head, then oldest.  If oldest is ahead, the producer
	 * moved on after our head load; a second head load must then be
	 * at or past oldest (else corrupt), and we start over for a pair.
	 */
	for (i = 0; i < 16; i++) {
		/* LMM_OVW_BOUNDS_HEAD_ACQ: pairs with LMM_FIXED_HEAD_PUB,
		 * LMM_FIXED_BATCH_PUB, LMM_VAR_HEAD_PUB */
		h = atomic_load_explicit(&ring->prod->head,
					 memory_order_acquire);
		o = atomic_load_explicit(&ring->prod->oldest,
					 memory_order_relaxed);
		if ((int64_t)(o - h) > 0) {
			/* LMM_OVW_REREAD: pairs with LMM_OVW_OLDEST_STORE */
			atomic_thread_fence(memory_order_acquire);
			/* LMM_OVW_BOUNDS_HEAD_REACQ: pairs with
			 * LMM_FIXED_HEAD_PUB, LMM_FIXED_BATCH_PUB,
			 * LMM_VAR_HEAD_PUB */
			h = atomic_load_explicit(&ring->prod->head,
						 memory_order_acquire);
			if ((int64_t)(o - h) > 0)
				break;	/* corrupt */
			continue;
		}
		if (h - o > ring->cap || (int64_t)(h - ring->head_cache) < 0 ||
		    (var && ((h | o) & 7)))
			break;	/* corrupt; a head never moves backwards */
		ring->head_cache = h;
		*head = h;
		*oldest = o;
		return 0;
	}
	if (i == 16)
		return -EAGAIN;	/* a producer too fast to pin down */
	ring->corrupt++;
	return -EBADMSG;
}

/*
 * OVERWRITE: the producer may be rewriting the slots we copy.  It
 * publishes its frontier before overwriting, so: copy (relaxed word
 * loads), acquire fence, re-read the frontier; if it passed our position
 * the copy may be torn and is thrown away, and the slots skipped are
 * counted as lost.
 */
int xshm__fixed_pop_overwrite(struct xshm_ring *ring, unsigned char *dst,
			 unsigned int max)
{
	uint32_t elem = ring->chan.elem_size;
	uint64_t head, oldest, avail, lost = 0;
	unsigned int i, n = 0, k, tries;
	int err = 0;

	for (tries = 0; n < max && tries < OVERWRITE_RETRIES; tries++) {
		err = xshm__overwrite_bounds(ring, &head, &oldest);
		if (err)
			break;
		if ((int64_t)(oldest - ring->tail) > 0) {
			lost += oldest - ring->tail;
			ring->tail = oldest;
		}
		if ((int64_t)(head - ring->tail) <= 0)
			break;
		avail = head - ring->tail;
		k = avail < max - n ? (unsigned int)avail : max - n;
		for (i = 0; i < k; i++)
			xshm_wire_load_words(dst + (size_t)(n + i) * elem,
					     ring->data + ((ring->tail + i) &
					     ring->mask) * ring->stride, elem);
		/* LMM_OVW_FIXED_RECHECK: pairs with LMM_OVW_OLDEST_PUB */
		atomic_thread_fence(memory_order_acquire);
		oldest = atomic_load_explicit(&ring->prod->oldest,
					      memory_order_relaxed);
		if ((int64_t)(oldest - ring->tail) > 0)
			continue;	/* torn: retry from the frontier */
		ring->tail += k;
		n += k;
	}
	if (!n && !err)
		err = -EAGAIN;
	if (n || lost)
		return xshm__fixed_publish_tail(ring, lost, n ? (int)n : err);
	return err;
}


/*
 * OVERWRITE: copy the record out (relaxed word loads) into this handle's
 * buffer, then acquire fence and re-read the producer's frontier: if it
 * passed the record, the copy may be torn and we resync at the frontier;
 * the records skipped show up as a gap in seq numbers.
 */
int xshm__var_peek_overwrite(struct xshm_ring *ring, struct xshm_record *rec)
{
	uint64_t head, oldest, avail, hdr, size, pos, len8;
	unsigned char *copy;
	int i, err;

	for (i = 0; i < OVERWRITE_RETRIES; i++) {
		pos = ring->peek_pos;
		err = xshm__overwrite_bounds(ring, &head, &oldest);
		if (err)
			return err;
		if ((int64_t)(oldest - pos) > 0)
			ring->peek_pos = pos = oldest;
		if ((int64_t)(head - pos) <= 0)
			return -EAGAIN;
		avail = head - pos;
		hdr = atomic_load_explicit(xshm_wire_u64(ring->data,
							 pos & ring->mask),
					   memory_order_relaxed);
		size = xshm__var_record_size(ring, hdr, pos, avail);
		len8 = 0;
		copy = ring->copy + ring->copy_used;
		if (size && !((uint32_t)hdr & XSHM_WIRE_REC_PAD)) {
			len8 = xshm_wire_round_up((uint32_t)hdr, 8);
			if (ring->copy_used + len8 > ring->cap)
				return -ENOBUFS;	/* release first */
			xshm_wire_load_words(copy, ring->data +
					     (pos & ring->mask) +
					     XSHM_WIRE_REC_HDR, len8);
		}
		/* LMM_OVW_VAR_RECHECK: pairs with LMM_OVW_OLDEST_PUB */
		atomic_thread_fence(memory_order_acquire);
		oldest = atomic_load_explicit(&ring->prod->oldest,
					      memory_order_relaxed);
		if ((int64_t)(oldest - pos) > 0)
			continue;	/* overwritten under us: resync */
		if (!size) {
			ring->corrupt++;
			return -EBADMSG;
		}
		if ((uint32_t)hdr & XSHM_WIRE_REC_PAD) {
			ring->peek_pos += size;
			continue;
		}
		ring->copy_used += len8;
		xshm__var_deliver(ring, rec, copy, hdr, size);
		return 0;
	}
	return -EAGAIN;	/* the producer keeps lapping us */
}


/*
 * OVERWRITE: copy the records straight into the caller's buffer with
 * relaxed word loads, then acquire fence and re-read the frontier, as
 * peek does: records that start before it may be torn and are left out
 * (they show up as lost, via the seq gap); so is a bad header, which is
 * only corrupt if the producer had not passed it.
 */
int xshm__var_recv_batch_overwrite(struct xshm_ring *ring,
				    struct xshm__batch *b)
{
	uint64_t head, oldest, start = ring->peek_pos;
	unsigned int i, tries;
	int err;

	for (tries = 0; tries < OVERWRITE_RETRIES; tries++) {
		err = xshm__overwrite_bounds(ring, &head, &oldest);
		if (err)
			return err;
		if ((int64_t)(oldest - start) > 0)
			start = oldest;
		if ((int64_t)(head - start) <= 0)
			return 0;
		b->pos = b->end = start;
		b->n = 0;
		b->at = 0;
		b->stop = 0;
		xshm__var_batch_walk(ring, b, head, true);
		/* LMM_OVW_BATCH_RECHECK: pairs with LMM_OVW_OLDEST_PUB */
		atomic_thread_fence(memory_order_acquire);
		oldest = atomic_load_explicit(&ring->prod->oldest,
					      memory_order_relaxed);
		for (i = 0; i < b->n; i++)
			if ((int64_t)(oldest - b->recs[i].lost) <= 0)
				break;
		if (b->stop && (int64_t)(oldest - b->stop_pos) > 0)
			b->stop = 0;	/* overwritten, not corrupt */
		if (i < b->n)
			return xshm__var_batch_deliver(ring, b, i);
		if ((int64_t)(oldest - start) > 0)
			continue;	/* lapped during the copy: resync */
		if (b->stop == -EBADMSG)
			ring->corrupt++;
		return b->stop;
	}
	return -EAGAIN;	/* the producer keeps lapping us */
}

