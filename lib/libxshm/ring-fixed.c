// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Consumer side of fixed-slot rings (FAIL and DROP; OVERWRITE is in
 * ring-overwrite.c).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* the copy is complete: hand the slots back (the producer's licence) */
int xshm__fixed_publish_tail(struct xshm_ring *ring, uint64_t lost, int ret)
{
	int err = xshm__cons_enter(ring);

	if (err)
		return err;
	if (lost) {
		ring->lost += lost;
		atomic_store_explicit(&ring->cons->lost, ring->lost,
				      memory_order_relaxed);
	}
	/* LMM_FIXED_TAIL_PUB: pairs with LMM_RING_TAIL_ACQ,
	 * LMM_STATS_TAIL_ACQ, LMM_PEER_ATTACH_TAIL_ACQ,
	 * LMM_DB_SPACE_RECHECK_LOAD */
	atomic_store_explicit(&ring->cons->tail, ring->tail,
			      memory_order_release);
	return xshm__cons_leave(ring, ret);
}

/* FAIL/DROP: slots between tail and head are ours until we move tail */
static int pop_plain(struct xshm_ring *ring, unsigned char *dst,
		     unsigned int max)
{
	uint64_t avail = ring->head_cache - ring->tail, head;
	uint32_t elem = ring->chan.elem_size;
	unsigned int i, n;

	if (avail < max) {
		/* LMM_FIXED_HEAD_ACQ: pairs with LMM_FIXED_HEAD_PUB,
		 * LMM_FIXED_BATCH_PUB */
		head = atomic_load_explicit(&ring->prod->head,
					    memory_order_acquire);
		if (head - ring->tail > ring->cap) {
			ring->corrupt++;	/* XSA-86: never follow it */
			return -EBADMSG;
		}
		ring->head_cache = head;
		avail = head - ring->tail;
	}
	if (avail == 0)
		return -EAGAIN;
	n = avail < max ? (unsigned int)avail : max;
	if (elem == ring->stride && elem <= XSHM_WIRE_BULK_SLOT_MAX) {
		/* small packed slots: one copy up to the wrap, one after */
		uint64_t at = ring->tail & ring->mask;
		uint64_t run = ring->cap - at < n ? ring->cap - at : n;

		memcpy(dst, ring->data + at * elem, run * elem);
		if (run < n)
			memcpy(dst + run * elem, ring->data,
			       (n - run) * elem);
	} else {
		for (i = 0; i < n; i++)
			memcpy(dst + (size_t)i * elem,
			       ring->data + ((ring->tail + i) & ring->mask) *
			       ring->stride, elem);
	}
	ring->tail += n;
	return xshm__fixed_publish_tail(ring, 0, (int)n);
}

/* the caller's slot size must be the channel's: the peer chose it */
static int slot_size_check(const struct xshm_ring *ring, size_t size)
{
	return size == ring->chan.elem_size ? 0 : -EMSGSIZE;
}

XSHM_API int xshm_ring_pop_batch_sized(struct xshm_ring *ring, void *slots,
				       size_t size, unsigned int max)
{
	int err = xshm__ring_check(ring, XSHM_CONSUMER, XSHM_WIRE_RING_FIXED);

	if (err)
		return err;
	if (!slots || max > 0x7fffffffu)
		return -EINVAL;
	err = slot_size_check(ring, size);
	if (err)
		return err;
	if (max == 0)
		return 0;
	err = xshm__cons_enter(ring);
	if (err)
		return err;
	if (ring->chan.policy == XSHM_WIRE_FULL_OVERWRITE)
		err = xshm__fixed_pop_overwrite(ring, slots, max);
	else
		err = pop_plain(ring, slots, max);
	err = xshm__cons_leave(ring, err);
	return err == -EAGAIN ? 0 : err;
}

XSHM_API int xshm_ring_pop_sized(struct xshm_ring *ring, void *slot,
				 size_t size)
{
	int err = xshm__ring_check(ring, XSHM_CONSUMER, XSHM_WIRE_RING_FIXED);

	if (err)
		return err;
	if (!slot)
		return -EINVAL;
	err = slot_size_check(ring, size);
	if (err)
		return err;
	err = xshm__cons_enter(ring);
	if (err)
		return err;
	if (ring->chan.policy == XSHM_WIRE_FULL_OVERWRITE)
		err = xshm__fixed_pop_overwrite(ring, slot, 1);
	else
		err = pop_plain(ring, slot, 1);
	err = xshm__cons_leave(ring, err);
	return err < 0 ? err : 0;
}

struct pop_wait_args {
	struct xshm_ring *ring;
	void *slot;
	size_t size;
};

static int try_pop(void *arg)
{
	struct pop_wait_args *a = arg;

	return xshm_ring_pop_sized(a->ring, a->slot, a->size);
}

XSHM_API int xshm_ring_pop_wait_sized(struct xshm_ring *ring, void *slot,
				      size_t size, int timeout_ms)
{
	struct pop_wait_args a = { ring, slot, size };

	if (!ring)
		return -EINVAL;
	return xshm__ring_wait(ring, timeout_ms, try_pop, &a);
}

/*
 * The XSHM_1.0 calls, without the caller's size: they trust the layout's
 * elem_size.  Kept for binary and source compatibility.
 */
static size_t layout_slot_size(const struct xshm_ring *ring)
{
	return ring ? ring->chan.elem_size : 0;
}

XSHM_API int xshm_ring_pop_batch(struct xshm_ring *ring, void *slots,
				 unsigned int max)
{
	return xshm_ring_pop_batch_sized(ring, slots, layout_slot_size(ring),
					 max);
}

XSHM_API int xshm_ring_pop(struct xshm_ring *ring, void *slot)
{
	return xshm_ring_pop_sized(ring, slot, layout_slot_size(ring));
}

XSHM_API int xshm_ring_pop_wait(struct xshm_ring *ring, void *slot,
				int timeout_ms)
{
	return xshm_ring_pop_wait_sized(ring, slot, layout_slot_size(ring),
					timeout_ms);
}

XSHM_API int xshm_ring_push_sized(struct xshm_ring *ring, const void *slot,
				  size_t size)
{
	if (ring && ring->role == XSHM_PRODUCER &&
	    ring->chan.type == XSHM_WIRE_RING_FIXED &&
	    size != ring->chan.elem_size)
		return -EMSGSIZE;
	return xshm_ring_push(ring, slot);
}

XSHM_API int xshm_ring_push_batch_sized(struct xshm_ring *ring,
					const void *slots, size_t size,
					unsigned int n)
{
	if (ring && ring->role == XSHM_PRODUCER &&
	    ring->chan.type == XSHM_WIRE_RING_FIXED &&
	    size != ring->chan.elem_size)
		return -EMSGSIZE;
	return xshm_ring_push_batch(ring, slots, n);
}
