// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Value channels: SEQLOCK (one copy), LATCH (two copies: readers never
 * wait for a writer) and LWW (one seqlock per writer, newest stamp wins).
 * Writers are the freestanding ones from xshm-peer.h; readers copy into a
 * private buffer and hand out only a copy that passed the sequence check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

XSHM_API int xshm_value_attach(struct xshm_region *r, const char *name,
			       enum xshm_role role, unsigned int writer_slot,
			       struct xshm_value **out)
{
	struct xshm_value *sl;
	int err;

	if (!r || !name || !out ||
	    (role != XSHM_PRODUCER && role != XSHM_CONSUMER))
		return -EINVAL;
	if (role == XSHM_PRODUCER && (r->flags & XSHM_OPEN_RDONLY))
		return -EACCES;
	if (role == XSHM_CONSUMER && writer_slot)
		return -EINVAL;
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	err = xshm__layout_find(r, name, &sl->chan, &sl->generation);
	if (err)
		goto err_free;
	err = xshm_peer_value_attach_chan(&sl->v, r->base, &sl->chan,
					  writer_slot, sl->generation);
	if (err)
		goto err_free;
	sl->region = r;
	sl->role = role;
	sl->wait = xshm__default_wait;
	if (role == XSHM_PRODUCER) {
		err = xshm_peer_value_repair(&sl->v);
		if (err)
			goto err_free;
	} else {
		sl->scratch = malloc(2 * sl->v.span);
		if (!sl->scratch) {
			err = -ENOMEM;
			goto err_free;
		}
	}
	/* LMM_VALUE_ATTACH_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
	atomic_thread_fence(memory_order_acquire);
	err = xshm__stale(r, sl->generation);
	if (err)
		goto err_free;
	*out = sl;
	return 0;

err_free:
	free(sl->scratch);
	free(sl);
	return err;
}

XSHM_API void xshm_value_detach(struct xshm_value *sl)
{
	if (!sl)
		return;
	xshm__db_value_detach(sl);
	free(sl->scratch);
	free(sl);
}

XSHM_API void xshm_value_set_wait(struct xshm_value *sl,
				  const struct xshm_wait_policy *wp)
{
	if (sl)
		sl->wait = wp ? *wp : xshm__default_wait;
}

XSHM_API int xshm_value_write(struct xshm_value *sl, const void *val,
			      size_t len, uint64_t stamp)
{
	int err;

	if (!sl || !val)
		return -EINVAL;
	if (sl->role != XSHM_PRODUCER)
		return -EPERM;
	err = xshm__stale(sl->region, sl->generation);
	if (err)
		return err;
	err = xshm_peer_value_write(&sl->v, val, len, stamp);
	if (sl->db)
		xshm__db_value_written(sl);
	return err;
}

/*
 * One attempt at a consistent copy of the value protected by the sequence
 * at blk.  0 and *seq on success; -EBUSY if a write is in progress (odd);
 * -EAGAIN if a write happened while we copied.
 */
static int try_read(const struct xshm_value *sl, unsigned char *blk,
		    unsigned char *dst, uint64_t *seq, uint64_t *stamp)
{
	_Atomic uint64_t *sp = xshm_wire_u64(blk, XSHM_WIRE_SEQ_OFF);
	uint64_t s0, s1, copy = 0;

	/* LMM_SEQ_READ_BEGIN: pairs with LMM_SEQ_WRITE_END,
	 * LMM_SEQ_WRITE_BEGIN */
	s0 = atomic_load_explicit(sp, memory_order_acquire);
	if (sl->v.type == XSHM_WIRE_LATCH)
		copy = s0 & 1;	/* odd: copy 0 is being written */
	else if (s0 & 1)
		return -EBUSY;
	*stamp = atomic_load_explicit(xshm_wire_u64(blk, XSHM_WIRE_STAMP_OFF),
				      memory_order_relaxed);
	xshm_wire_load_words(dst, blk + sl->v.payload + copy * sl->v.span,
			     sl->v.span);
	/* LMM_SEQ_READ_RECHECK: pairs with LMM_SEQ_WRITE_FENCE,
	 * LMM_LATCH_COPY1_FENCE */
	atomic_thread_fence(memory_order_acquire);
	s1 = atomic_load_explicit(sp, memory_order_relaxed);
	if (s0 != s1)
		return -EAGAIN;
	*seq = s0;
	return 0;
}

XSHM_API int xshm_value_read(struct xshm_value *sl, void *val, size_t len,
			     struct xshm_value_info *info, int timeout_ms)
{
	struct xshm_value_info vi = { 0 };
	unsigned char *cand, *best, *tmp;
	uint64_t seq, stamp, best_stamp = 0;
	uint64_t busy[(XSHM_WIRE_LWW_MAX + 63) / 64];
	struct xshm_waiter w;
	bool found = false, stalled;
	uint32_t i, nbusy;
	int err;

	if (!sl || !val)
		return -EINVAL;
	if (sl->role != XSHM_CONSUMER)
		return -EPERM;
	if (len != sl->chan.elem_size)
		return -EINVAL;
	err = xshm__stale(sl->region, sl->generation);
	if (err)
		return err;
	cand = sl->scratch;
	best = sl->scratch + sl->v.span;
	/*
	 * Every slot once; then the busy ones again, round robin, until they
	 * read or the call's one deadline passes: a stalled writer costs the
	 * timeout once per call, not once per slot.
	 */
	memset(busy, 0, sizeof(busy));
	for (i = 0; i < sl->v.nslots; i++)
		busy[i / 64] |= 1ull << (i % 64);
	nbusy = sl->v.nslots;
	xshm__waiter_start(&w, &sl->wait, timeout_ms);
	for (;;) {
		for (i = 0; i < sl->v.nslots; i++) {
			if (!(busy[i / 64] & 1ull << (i % 64)))
				continue;
			if (try_read(sl, sl->v.lww_base + i * sl->v.slot_size,
				     cand, &seq, &stamp)) {
				vi.retries++;
				continue;
			}
			busy[i / 64] &= ~(1ull << (i % 64));
			nbusy--;
			if (seq / 2 == 0)
				continue;	/* never written */
			if (sl->v.type != XSHM_WIRE_LWW)
				stamp = seq / 2;
			/* newest stamp; ties: the lowest slot */
			if (found && (stamp < best_stamp ||
				      (stamp == best_stamp && i > vi.writer)))
				continue;
			found = true;
			best_stamp = stamp;
			vi.stamp = stamp;
			vi.writer = i;
			tmp = best;
			best = cand;
			cand = tmp;
		}
		if (!nbusy || xshm__waiter_next(&w))
			break;
	}
	stalled = nbusy != 0;
	/* the layout may have been replaced while we read */
	err = xshm__stale(sl->region, sl->generation);
	if (err)
		return err;
	if (!found)
		return stalled ? -EBUSY : -ENODATA;
	memcpy(val, best, len);
	if (info)
		*info = vi;
	return 0;
}

/* the names before XSHM_1.3 (libxshm.map: XSHM_1.0) */
XSHM_ALIAS(xshm_seqlock_attach, xshm_value_attach);
XSHM_ALIAS(xshm_seqlock_detach, xshm_value_detach);
XSHM_ALIAS(xshm_seqlock_set_wait, xshm_value_set_wait);
XSHM_ALIAS(xshm_seqlock_write, xshm_value_write);
XSHM_ALIAS(xshm_seqlock_read, xshm_value_read);
