// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Consumer side of variable-length record rings: peek, release, recv
 * (FAIL and DROP; OVERWRITE is in ring-overwrite.c).
 *
 * Each record header is copied to a local and validated before use: the
 * length must fit the channel, the bytes still to the ring end and the
 * bytes the producer committed; a padding record must end exactly at the
 * ring end.  Anything else is -EBADMSG, counted, and never followed.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/*
 * Check header hdr found at position pos with avail committed bytes.
 * Returns the record's size in the ring, 0 if invalid.
 */
uint64_t xshm__var_record_size(const struct xshm_ring *ring, uint64_t hdr,
			    uint64_t pos, uint64_t avail)
{
	int pad;

	return xshm_wire_rec_decode(hdr, ring->cap - (pos & ring->mask), avail,
				    ring->chan.elem_size, &pad);
}

void xshm__var_deliver(struct xshm_ring *ring, struct xshm_record *rec,
		    const void *data, uint64_t hdr, uint64_t size)
{
	uint32_t seq = (uint32_t)(hdr >> 32);

	rec->data = data;
	rec->len = (uint32_t)hdr;
	rec->seq = seq;
	rec->lost = xshm_wire_seq_gap(seq, ring->peek_seq);
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
			/* LMM_VAR_HEAD_ACQ: pairs with LMM_VAR_HEAD_PUB */
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
		size = xshm__var_record_size(ring, hdr, pos, avail);
		if (!size) {
			ring->corrupt++;
			return -EBADMSG;
		}
		if ((uint32_t)hdr & XSHM_WIRE_REC_PAD) {
			ring->peek_pos += size;
			continue;
		}
		xshm__var_deliver(ring, rec, ring->data + (pos & ring->mask) +
			XSHM_WIRE_REC_HDR, hdr, size);
		return 0;
	}
	ring->corrupt++;	/* two paddings in a row */
	return -EBADMSG;
}

int xshm__ring_var_peek(struct xshm_ring *ring, struct xshm_record *rec)
{
	int err;

	if (!ring || !rec)
		return -EINVAL;
	err = xshm__ring_check(ring, XSHM_CONSUMER, XSHM_WIRE_RING_VAR);
	if (!err)
		err = xshm__cons_enter(ring);
	if (err)
		return err;
	if (ring->chan.policy == XSHM_WIRE_FULL_OVERWRITE)
		err = xshm__var_peek_overwrite(ring, rec);
	else
		err = peek_plain(ring, rec);
	return xshm__cons_leave(ring, err);
}

XSHM_API int xshm_ring_peek(struct xshm_ring *ring, struct xshm_record *rec)
{
	return xshm__ring_var_peek(ring, rec);
}

struct peek_wait_args {
	struct xshm_ring *ring;
	struct xshm_record *rec;
};

static int try_peek(void *arg)
{
	struct peek_wait_args *a = arg;

	return xshm__ring_var_peek(a->ring, a->rec);
}

XSHM_API int xshm_ring_peek_wait(struct xshm_ring *ring,
				 struct xshm_record *rec, int timeout_ms)
{
	struct peek_wait_args a = { ring, rec };

	if (!ring)
		return -EINVAL;
	return xshm__ring_wait(ring, timeout_ms, try_peek, &a);
}

/* free every record peeked so far: one release store of tail */
int xshm__var_release_peeked(struct xshm_ring *ring)
{
	int err;

	if (ring->peek_pos == ring->tail && !ring->peek_lost)
		return 0;
	err = xshm__cons_enter(ring);
	if (err)
		return err;
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
	/* LMM_VAR_TAIL_PUB: pairs with LMM_RING_TAIL_ACQ, LMM_STATS_TAIL_ACQ,
	 * LMM_PEER_ATTACH_TAIL_ACQ, LMM_DB_SPACE_RECHECK_LOAD */
	atomic_store_explicit(&ring->cons->tail, ring->peek_pos,
			      memory_order_release);
	ring->tail = ring->peek_pos;
	ring->expect_seq = ring->peek_seq;
	ring->peek_lost = 0;
	ring->copy_used = 0;
	return xshm__cons_leave(ring, 0);
}

XSHM_API int xshm_ring_release(struct xshm_ring *ring)
{
	int err = xshm__ring_check(ring, XSHM_CONSUMER, XSHM_WIRE_RING_VAR);

	if (err)
		return err;
	return xshm__var_release_peeked(ring);
}

static ssize_t recv_entered(struct xshm_ring *ring, void *buf, size_t cap,
			    struct xshm_record *rec)
{
	uint64_t pos, lost, used;
	struct xshm_record r;
	uint32_t seq;
	int err;

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

/* peek, copy and release under one enter: the copy is of our layout */
XSHM_API ssize_t xshm_ring_recv(struct xshm_ring *ring, void *buf, size_t cap,
				struct xshm_record *rec)
{
	ssize_t n;
	int err;

	if (!ring || (!buf && cap))
		return -EINVAL;
	err = xshm__ring_check(ring, XSHM_CONSUMER, XSHM_WIRE_RING_VAR);
	if (!err)
		err = xshm__cons_enter(ring);
	if (err)
		return err;
	n = recv_entered(ring, buf, cap, rec);
	err = xshm__cons_leave(ring, 0);
	return err ? err : n;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * Walk the records in [b->pos, head) and copy up to b->max of them into
 * b->buf.  Every header goes through the checks of record_size(): a data
 * record is accepted at once if its length fits the channel and its size
 * the bytes left before min(head, ring end); anything else (padding, or
 * a header that is wrong) takes record_size() itself.  recs[i].lost holds
 * the record's position for now (OVERWRITE re-checks it).
 */
void xshm__var_batch_walk(struct xshm_ring *ring, struct xshm__batch *b,
			  uint64_t head, bool shared_copy)
{
	/* locals: the copies are char stores that might alias *ring, *b */
	const unsigned char *data = ring->data, *src;
	uint64_t pos = b->pos, end = b->end, room, hdr, size;
	uint64_t mask = ring->mask, cap = ring->cap;
	uint32_t lenf, elem = ring->chan.elem_size;
	struct xshm_record *recs = b->recs;
	unsigned char *buf = b->buf;
	size_t at = b->at, bcap = b->cap;
	unsigned int n = b->n, max = b->max;
	bool pad = false;

	room = min_u64(head - pos, cap - (pos & mask));
	while (n < max && pos != head) {
		hdr = atomic_load_explicit(xshm_wire_u64((void *)data,
							 pos & mask),
					   memory_order_relaxed);
		lenf = (uint32_t)hdr;
		size = xshm_wire_rec_size(lenf);
		if (lenf > elem || size > room) {
			if (!(lenf & XSHM_WIRE_REC_PAD) || pad ||
			    !xshm__var_record_size(ring, hdr, pos, head - pos)) {
				b->stop = -EBADMSG;
				break;
			}
			pad = true;	/* never two in a row */
			pos += (uint64_t)(lenf & XSHM_WIRE_REC_LEN_MASK) +
			       XSHM_WIRE_REC_HDR;
			room = min_u64(head - pos, cap);
			continue;
		}
		if (at > bcap || lenf > bcap - at) {
			b->stop = -EMSGSIZE;
			break;
		}
		src = data + (pos & mask) + XSHM_WIRE_REC_HDR;
		if (shared_copy)
			xshm_wire_load_words(buf + at, src, lenf);
		else
			xshm_wire_copy(buf + at, src, lenf);
		recs[n] = (struct xshm_record){
			/* no arithmetic on a NULL buf (cap 0) */
			.data = at ? buf + at : buf, .len = lenf,
			.seq = (uint32_t)(hdr >> 32), .lost = pos,
		};
		n++;
		at += xshm_wire_round_up(lenf, 8);
		pad = false;
		pos += size;
		room -= size;
		end = pos;
	}
	b->stop_pos = pos;
	b->pos = pos;
	b->end = end;
	b->at = at;
	b->n = n;
}

/*
 * Hand out recs[from, n) as recs[0, ...): seq gaps give the losses exactly
 * as peek counts them, then everything goes with one release.
 */
int xshm__var_batch_deliver(struct xshm_ring *ring, struct xshm__batch *b,
			 unsigned int from)
{
	uint32_t expect = ring->peek_seq, seq;
	int err;
	unsigned int i, k = b->n - from;

	if (from)
		memmove(b->recs, b->recs + from, k * sizeof(*b->recs));
	for (i = 0; i < k; i++) {
		seq = b->recs[i].seq;
		b->recs[i].lost = xshm_wire_seq_gap(seq, expect);
		ring->peek_lost += b->recs[i].lost;
		expect = seq + 1;
	}
	ring->peek_seq = expect;
	ring->peek_pos = b->end;
	err = xshm__var_release_peeked(ring);
	return err ? err : (int)k;
}

/*
 * FAIL/DROP.  A bad header after good records ends the batch; it is
 * counted when a call returns -EBADMSG for it, as recv would.
 */
static int recv_batch_plain(struct xshm_ring *ring, struct xshm__batch *b)
{
	/* LMM_VAR_BATCH_HEAD_ACQ: pairs with LMM_VAR_HEAD_PUB */
	uint64_t head = atomic_load_explicit(&ring->prod->head,
					     memory_order_acquire);

	if (head - ring->tail > ring->cap || (head & 7) ||
	    head - ring->tail < b->pos - ring->tail) {
		ring->corrupt++;
		return -EBADMSG;
	}
	ring->head_cache = head;
	xshm__var_batch_walk(ring, b, head, false);
	if (b->n)
		return xshm__var_batch_deliver(ring, b, 0);
	if (b->stop == -EBADMSG)
		ring->corrupt++;
	return b->stop;
}

XSHM_API int xshm_ring_recv_batch(struct xshm_ring *ring, void *buf,
				  size_t cap, struct xshm_record *recs,
				  unsigned int max)
{
	struct xshm__batch b = { 0 };
	int err = xshm__ring_check(ring, XSHM_CONSUMER, XSHM_WIRE_RING_VAR);

	if (err)
		return err;
	if ((!buf && cap) || (!recs && max) || max > 0x7fffffffu)
		return -EINVAL;
	if (!max)
		return 0;
	/* no buffer is that large; keeps buffer offsets from overflowing */
	b.cap = cap < SIZE_MAX / 2 ? cap : SIZE_MAX / 2;
	b.buf = buf;
	b.recs = recs;
	b.max = max;
	b.pos = b.end = ring->peek_pos;
	err = xshm__cons_enter(ring);
	if (err)
		return err;
	if (ring->chan.policy == XSHM_WIRE_FULL_OVERWRITE)
		err = xshm__var_recv_batch_overwrite(ring, &b);
	else
		err = recv_batch_plain(ring, &b);
	return xshm__cons_leave(ring, err);
}

struct recv_wait_args {
	struct xshm_ring *ring;
	void *buf;
	size_t cap;
	struct xshm_record *rec;
	ssize_t len;
};

static int try_recv(void *arg)
{
	struct recv_wait_args *a = arg;

	a->len = xshm_ring_recv(a->ring, a->buf, a->cap, a->rec);
	return a->len < 0 ? (int)a->len : 0;
}

XSHM_API ssize_t xshm_ring_recv_wait(struct xshm_ring *ring, void *buf,
				     size_t cap, struct xshm_record *rec,
				     int timeout_ms)
{
	struct recv_wait_args a = { ring, buf, cap, rec, 0 };
	int err;

	if (!ring)
		return -EINVAL;
	err = xshm__ring_wait(ring, timeout_ms, try_recv, &a);
	return err ? err : a.len;
}
