// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Consumer side of variable-length record rings: peek, release, recv.
 *
 * Each record header is copied to a local and validated before use: the
 * length must fit the channel, the bytes still to the ring end and the
 * bytes the producer committed; a padding record must end exactly at the
 * ring end.  Anything else is -EBADMSG, counted, and never followed.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define OVERWRITE_RETRIES 64

/* loss implied by a record's seq: a backwards step is a re-delivery */
static uint64_t seq_gap(uint32_t seq, uint32_t expect)
{
	uint32_t gap = seq - expect;

	return gap < 0x80000000u ? gap : 0;
}

/*
 * Check header hdr found at position pos with avail committed bytes.
 * Returns the record's size in the ring, 0 if invalid.
 */
static uint64_t record_size(const struct xshm_ring *ring, uint64_t hdr,
			    uint64_t pos, uint64_t avail)
{
	uint64_t to_end = ring->cap - (pos & ring->mask), size;
	uint32_t lenf = (uint32_t)hdr;

	if (lenf & XSHM_WIRE_REC_PAD) {
		size = (uint64_t)(lenf & XSHM_WIRE_REC_LEN_MASK) +
		       XSHM_WIRE_REC_HDR;
		if (size != to_end || (uint32_t)(hdr >> 32))
			return 0;
	} else {
		if (lenf > ring->chan.elem_size)
			return 0;
		size = xshm_wire_rec_size(lenf);
		if (size > to_end)
			return 0;	/* records never wrap */
	}
	return size <= avail ? size : 0;
}

static void deliver(struct xshm_ring *ring, struct xshm_record *rec,
		    const void *data, uint64_t hdr, uint64_t size)
{
	uint32_t seq = (uint32_t)(hdr >> 32);

	rec->data = data;
	rec->len = (uint32_t)hdr;
	rec->seq = seq;
	rec->lost = seq_gap(seq, ring->peek_seq);
	ring->peek_lost += rec->lost;
	ring->peek_seq = seq + 1;
	ring->peek_pos += size;
}

/* FAIL/DROP: committed records stay put until we release them */
static int peek_plain(struct xshm_ring *ring, struct xshm_record *rec)
{
	uint64_t head, avail, hdr, size, pos;
	int i;

	for (i = 0; i < 2; i++) {	/* at most one padding record */
		pos = ring->peek_pos;
		if (ring->head_cache == pos) {
			head = atomic_load_explicit(&ring->prod->head,
						    memory_order_acquire);
			if (head - ring->tail > ring->cap || (head & 7) ||
			    head - ring->tail < pos - ring->tail) {
				ring->corrupt++;
				return -EBADMSG;
			}
			ring->head_cache = head;
			if (head == pos)
				return -EAGAIN;
		}
		avail = ring->head_cache - pos;
		hdr = atomic_load_explicit(xshm_wire_u64(ring->data,
							 pos & ring->mask),
					   memory_order_relaxed);
		size = record_size(ring, hdr, pos, avail);
		if (!size) {
			ring->corrupt++;
			return -EBADMSG;
		}
		if ((uint32_t)hdr & XSHM_WIRE_REC_PAD) {
			ring->peek_pos += size;
			continue;
		}
		deliver(ring, rec, ring->data + (pos & ring->mask) +
			XSHM_WIRE_REC_HDR, hdr, size);
		return 0;
	}
	ring->corrupt++;	/* two paddings in a row */
	return -EBADMSG;
}

/*
 * OVERWRITE: copy the record out (relaxed word loads) into this handle's
 * buffer, then acquire fence and re-read the producer's frontier: if it
 * passed the record, the copy may be torn and we resync at the frontier;
 * the records skipped show up as a gap in seq numbers.
 */
static int peek_overwrite(struct xshm_ring *ring, struct xshm_record *rec)
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
		size = record_size(ring, hdr, pos, avail);
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
		deliver(ring, rec, copy, hdr, size);
		return 0;
	}
	return -EAGAIN;	/* the producer keeps lapping us */
}

int xshm__ring_var_peek(struct xshm_ring *ring, struct xshm_record *rec)
{
	int err;

	if (!ring || !rec)
		return -EINVAL;
	if (ring->role != XSHM_CONSUMER)
		return -EPERM;
	if (ring->chan.type != XSHM_WIRE_RING_VAR)
		return -EINVAL;
	err = xshm__stale(ring->region, ring->generation);
	if (err)
		return err;
	if (ring->chan.policy == XSHM_WIRE_FULL_OVERWRITE)
		return peek_overwrite(ring, rec);
	return peek_plain(ring, rec);
}

XSHM_API int xshm_ring_peek(struct xshm_ring *ring, struct xshm_record *rec)
{
	return xshm__ring_var_peek(ring, rec);
}

XSHM_API int xshm_ring_peek_wait(struct xshm_ring *ring,
				 struct xshm_record *rec, int timeout_ms)
{
	struct xshm_waiter w;
	int err;

	err = xshm__ring_var_peek(ring, rec);
	if (err != -EAGAIN)
		return err;
	xshm__waiter_start(&w, &ring->wait, timeout_ms);
	for (;;) {
		if (xshm__waiter_next(&w))
			return -ETIMEDOUT;
		err = xshm__ring_var_peek(ring, rec);
		if (err != -EAGAIN)
			return err;
	}
}

XSHM_API int xshm_ring_release(struct xshm_ring *ring)
{
	int err;

	if (!ring)
		return -EINVAL;
	if (ring->role != XSHM_CONSUMER)
		return -EPERM;
	if (ring->chan.type != XSHM_WIRE_RING_VAR)
		return -EINVAL;
	err = xshm__stale(ring->region, ring->generation);
	if (err)
		return err;
	if (ring->peek_pos == ring->tail && !ring->peek_lost)
		return 0;
	if (ring->peek_lost) {
		ring->lost += ring->peek_lost;
		atomic_store_explicit(&ring->cons->lost, ring->lost,
				      memory_order_relaxed);
	}
	/*
	 * seq before tail: if we die in between, the records are delivered
	 * again and their seq step backwards counts no loss.
	 */
	atomic_store_explicit(&ring->cons->next_seq, ring->peek_seq,
			      memory_order_relaxed);
	atomic_store_explicit(&ring->cons->tail, ring->peek_pos,
			      memory_order_release);
	ring->tail = ring->peek_pos;
	ring->expect_seq = ring->peek_seq;
	ring->peek_lost = 0;
	ring->copy_used = 0;
	return 0;
}

XSHM_API ssize_t xshm_ring_recv(struct xshm_ring *ring, void *buf, size_t cap,
				struct xshm_record *rec)
{
	uint64_t pos, lost, used;
	struct xshm_record r;
	uint32_t seq;
	int err;

	if (!ring || (!buf && cap))
		return -EINVAL;
	pos = ring->peek_pos;
	seq = ring->peek_seq;
	lost = ring->peek_lost;
	used = ring->copy_used;
	err = xshm__ring_var_peek(ring, &r);
	if (err)
		return err;
	if (r.len > cap) {
		/* leave the record for a larger buffer */
		ring->peek_pos = pos;
		ring->peek_seq = seq;
		ring->peek_lost = lost;
		ring->copy_used = used;
		return -EMSGSIZE;
	}
	if (r.len)
		memcpy(buf, r.data, r.len);
	err = xshm_ring_release(ring);
	if (err)
		return err;
	if (rec) {
		*rec = r;
		rec->data = buf;
	}
	return (ssize_t)r.len;
}
