/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * xshm-peer.h - a freestanding producer, value writer and initialiser for
 * an RTOS or bare-metal peer of libxshm.
 *
 * Everything a small peer needs to create the layout
 * (xshm_peer_layout_init(), safe against the other side doing the same at
 * the same moment), to play the producer of a ring (fixed slots or
 * variable-length records, every full policy) or the writer of a SEQLOCK,
 * LATCH or LWW value.  libxshm's own producer and writer are these
 * functions, so library and peer behave the same:
 *
 *	struct xshm_peer_layout lay;
 *	struct xshm_peer_ring log;
 *	if (xshm_peer_layout_attach(&lay, base, size) == 0 &&
 *	    xshm_peer_ring_attach(&lay, "log", &log) == 0)
 *		xshm_peer_ring_send(&log, msg, len);
 *
 * The bytes themselves (constants, structures, validation) are defined in
 * xshm-wire.h, which this header includes.  Freestanding: no libc calls,
 * no allocation (GCC and Clang may still emit calls to memcpy, as they do
 * in any freestanding build).  Functions return 0 or a count on success
 * and a negative Linux errno value (XSHM_PEER_E*) on failure.
 */
#ifndef XSHM_PEER_H
#define XSHM_PEER_H

#include "xshm-wire.h"

/* GCC's TSan does not model fences; every access they order is atomic */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#define XSHM_PEER_TSAN_PRAGMA
#endif

/* ---- Attaching to a layout ---------------------------------------------- */

struct xshm_peer_layout {
	unsigned char *base;
	uint64_t mapped_size;
	uint64_t layout_size;
	uint64_t generation;
	uint32_t header_size;
	uint32_t nchans;
};

/*
 * Attach to the layout Linux initialised in [base, base + size).  Returns
 * -ENODATA (not initialised yet: poll again later), -EPROTO (incompatible
 * version), -EBADMSG (checksum or bounds wrong) or -EAGAIN (re-initialised
 * while we read it).
 */
static inline int xshm_peer_layout_attach(struct xshm_peer_layout *l,
					  void *base, uint64_t size)
{
	struct xshm_wire_header h;
	uint64_t w, off, gen;
	uint32_t crc = 0, stored;
	int err;

	if (!base || ((uintptr_t)base & 7) || size < XSHM_WIRE_HDR_SIZE)
		return -XSHM_PEER_EINVAL;
	/* LMM_PEER_ATTACH_ACQ: pairs with LMM_LAYOUT_READY_PUB */
	if (atomic_load_explicit(xshm_wire_state_word(base),
				 memory_order_acquire) != XSHM_WIRE_READY_WORD)
		return -XSHM_PEER_ENODATA;
	/* the generation is stored last: it tells which layout we copy */
	/* LMM_PEER_GEN_FIRST: pairs with LMM_LAYOUT_GEN_PUB */
	gen = atomic_load_explicit(xshm_wire_gen_word(base),
				   memory_order_acquire);
	xshm_wire_load_words((unsigned char *)&h + XSHM_WIRE_HDR_CHECKSUM_OFF,
			     (unsigned char *)base + XSHM_WIRE_HDR_CHECKSUM_OFF,
			     XSHM_WIRE_HDR_SIZE - XSHM_WIRE_HDR_CHECKSUM_OFF);
	err = xshm_wire_header_check(&h, size);
	if (err) {
		/* a copy torn by a re-initialisation is not a corrupt one */
		/* LMM_PEER_TORN_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
		atomic_thread_fence(memory_order_acquire);
		return xshm_wire_layout_stale(base, gen) ||
		       h.generation != gen ? -XSHM_PEER_EAGAIN : err;
	}
	stored = h.checksum;
	for (off = XSHM_WIRE_CHECKSUM_FROM; off < h.header_size; off += 8) {
		w = atomic_load_explicit(xshm_wire_u64(base, off),
					 memory_order_relaxed);
		crc = xshm_wire_crc32c(crc, &w, 8);
	}
	/* LMM_PEER_ATTACH_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
	atomic_thread_fence(memory_order_acquire);
	if (h.generation != gen || xshm_wire_layout_stale(base, gen))
		return -XSHM_PEER_EAGAIN;
	if (crc != stored)
		return -XSHM_PEER_EBADMSG;
	l->base = (unsigned char *)base;
	l->mapped_size = size;
	l->layout_size = h.layout_size;
	l->generation = h.generation;
	l->header_size = h.header_size;
	l->nchans = h.nchans;
	return 0;
}

/* -ESTALE once the layout was re-initialised (attach again) */
static inline int xshm_peer_layout_stale(const struct xshm_peer_layout *l)
{
	return xshm_wire_layout_stale(l->base, l->generation);
}

/* find a channel by name; *out is a validated local copy */
static inline int xshm_peer_layout_find(const struct xshm_peer_layout *l,
					const char *name,
					struct xshm_wire_chan *out)
{
	struct xshm_wire_chan c;
	unsigned int i, k;

	for (i = 0; i < l->nchans; i++) {
		xshm_wire_load_words(&c, l->base + XSHM_WIRE_HDR_SIZE +
				     (uint64_t)i * XSHM_WIRE_CHAN_SIZE,
				     sizeof(c));
		for (k = 0; k < XSHM_WIRE_NAME_LEN; k++)
			if (c.name[k] != name[k] || !name[k])
				break;
		if (k == XSHM_WIRE_NAME_LEN || c.name[k] != name[k])
			continue;
		/* LMM_PEER_FIND_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
		atomic_thread_fence(memory_order_acquire);
		if (xshm_peer_layout_stale(l))
			return -XSHM_PEER_ESTALE;
		if (xshm_wire_chan_check(&c, xshm_wire_data_start(
					 l->header_size), l->layout_size))
			return -XSHM_PEER_EBADMSG;
		*out = c;
		return 0;
	}
	return -XSHM_PEER_ENOENT;
}

/* ---- Creating a layout (the one-time initialiser) ---------------------- */

/* a channel to create; the fields of libxshm's struct xshm_chan_spec */
struct xshm_peer_chan_spec {
	const char *name;
	uint32_t type, policy, elem_size, capacity;
};

/*
 * What the initialiser needs from its environment: a monotonic clock, a
 * way to wait a little between polls (sleep or spin), and a random value
 * that differs between calls (hardware RNG, boot counter mixed with a
 * cycle counter, ...): claim tickets and generations derive from it.
 */
struct xshm_peer_init_env {
	uint64_t (*now_ms)(void *ctx);
	void (*pause)(void *ctx);
	void *ctx;
	uint64_t random;
	uint32_t takeover_ms;	/* 0: XSHM_WIRE_TAKEOVER_MS */
};

#define XSHM_PEER_INIT_FORCE	0x1u	/* = XSHM_INIT_FORCE */

/* the header and table the initialiser wants, built locally */
struct xshm_peer__want {
	struct xshm_wire_header hdr;
	struct xshm_wire_chan chan[XSHM_WIRE_CHAN_MAX];
};

static inline uint64_t xshm_peer__mix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline int xshm_peer__name_eq(const char *a, const char *b)
{
	unsigned int i;

	for (i = 0; a[i] == b[i]; i++)
		if (!a[i])
			return 1;
	return 0;
}

/*
 * Build the table: channels follow each other from the end of the table,
 * in the order given (the placement rule of the wire format).  RING_VAR
 * elem_size 0 means capacity / 4.  -EINVAL, or -ENOSPC if it exceeds size.
 */
static inline int xshm_peer__build(struct xshm_peer__want *w,
				   const struct xshm_peer_chan_spec *chans,
				   unsigned int n, uint64_t size)
{
	struct xshm_wire_chan *c;
	uint64_t off, csize;
	unsigned int i, j, len;
	uint32_t elem;
	int err;

	if (!chans || n == 0 || n > XSHM_WIRE_CHAN_MAX)
		return -XSHM_PEER_EINVAL;
	for (i = 0; i < sizeof(*w); i++)
		((unsigned char *)w)[i] = 0;
	w->hdr.version_major = XSHM_WIRE_VERSION_MAJOR;
	w->hdr.version_minor = XSHM_WIRE_VERSION_MINOR;
	w->hdr.nchans = n;
	w->hdr.header_size = XSHM_WIRE_HDR_SIZE + n * XSHM_WIRE_CHAN_SIZE;
	off = xshm_wire_data_start(w->hdr.header_size);
	for (i = 0; i < n; i++) {
		c = &w->chan[i];
		if (!chans[i].name)
			return -XSHM_PEER_EINVAL;
		for (len = 0; len < XSHM_WIRE_NAME_LEN && chans[i].name[len];
		     len++)
			c->name[len] = chans[i].name[len];
		if (len == 0 || len == XSHM_WIRE_NAME_LEN)
			return -XSHM_PEER_EINVAL;
		for (j = 0; j < i; j++)
			if (xshm_peer__name_eq(chans[j].name, chans[i].name))
				return -XSHM_PEER_EINVAL;
		elem = chans[i].elem_size;
		if (chans[i].type == XSHM_WIRE_RING_VAR && elem == 0)
			elem = chans[i].capacity / 4;
		err = xshm_wire_chan_size(chans[i].type, chans[i].policy, elem,
					  chans[i].capacity, &csize);
		if (err)
			return err;
		c->type = chans[i].type;
		c->policy = chans[i].policy;
		c->elem_size = elem;
		c->capacity = chans[i].capacity;
		c->offset = off;
		c->size = csize;
		off += csize;
		if (off > size)
			return -XSHM_PEER_ENOSPC;
	}
	w->hdr.layout_size = off;
	return 0;
}

/* the claim of one initialiser: its ticket in word 0, and the clock */
struct xshm_peer__claim {
	unsigned char *base;
	const struct xshm_peer_init_env *env;
	uint64_t ticket;
	uint32_t takeover_ms;
};

/*
 * Heartbeat: advance our ticket (CAS, so we learn if another side took
 * the claim over after we looked dead).  -EAGAIN if we lost the claim:
 * stop writing at once.
 */
static inline int xshm_peer__beat(struct xshm_peer__claim *cl)
{
	uint64_t want = cl->ticket;
	uint32_t low = (uint32_t)cl->ticket + 1;
	uint64_t next = (cl->ticket & ~0xffffffffull) | (low ? low : 1u);

	/* acq_rel: orders our earlier stores before the beat a waiter sees */
	/* LMM_CLAIM_BEAT: pairs with LMM_CLAIM_LOOK_ACQ */
	if (!atomic_compare_exchange_strong_explicit(
		    xshm_wire_state_word(cl->base), &want, next,
		    memory_order_acq_rel, memory_order_relaxed))
		return -XSHM_PEER_EAGAIN;
	cl->ticket = next;
	return 0;
}

/*
 * Retire one owner word of the old layout (generation gen): CAS G -> 0
 * (acquire: pairs with the writer's release exit, so its stores are done
 * before we reuse the memory).  A writer inside (~G) is waited for, up to
 * the takeover time, then presumed dead.  Any other value: not an owner
 * of that layout, nothing to wait for.
 */
static inline int xshm_peer__retire(struct xshm_peer__claim *cl,
				    uint64_t off, uint64_t gen)
{
	_Atomic uint64_t *owner = xshm_wire_u64(cl->base, off);
	uint64_t w, since = cl->env->now_ms(cl->env->ctx);
	int err;

	for (;;) {
		w = gen;
		/* LMM_OWNER_RETIRE: pairs with LMM_OWNER_EXIT, LMM_OWNER_ENTER */
		if (atomic_compare_exchange_strong_explicit(
			    owner, &w, 0, memory_order_acquire,
			    memory_order_acquire) || w != ~gen)
			return 0;
		if (cl->env->now_ms(cl->env->ctx) - since >= cl->takeover_ms) {
			/* LMM_OWNER_TAKEOVER: pairs with LMM_OWNER_EXIT */
			atomic_compare_exchange_strong_explicit(
				owner, &w, 0, memory_order_acquire,
				memory_order_relaxed);
			continue;
		}
		err = xshm_peer__beat(cl);
		if (err)
			return err;
		cl->env->pause(cl->env->ctx);
	}
}

/* retire every owner word of a validated old layout */
static inline int xshm_peer__retire_all(struct xshm_peer__claim *cl,
					const struct xshm_peer__want *old)
{
	const struct xshm_wire_chan *c;
	uint64_t gen = old->hdr.generation, blk, i;
	unsigned int k;
	int err = 0;

	for (k = 0; k < old->hdr.nchans && !err; k++) {
		c = &old->chan[k];
		if (c->type == XSHM_WIRE_RING_FIXED ||
		    c->type == XSHM_WIRE_RING_VAR) {
			err = xshm_peer__retire(cl, c->offset +
						XSHM_WIRE_PROD_OWNER_OFF, gen);
			if (!err)
				err = xshm_peer__retire(
					cl, c->offset +
					XSHM_WIRE_CONS_OWNER_OFF, gen);
			continue;
		}
		blk = xshm_wire_value_block(c->type, c->elem_size);
		for (i = 0; i < (c->type == XSHM_WIRE_LWW ? c->capacity : 1) &&
		     !err; i++)
			err = xshm_peer__retire(cl, c->offset + i * blk +
						XSHM_WIRE_VALUE_OWNER_OFF, gen);
	}
	return err;
}

/* set every owner word of the new layout to its generation */
static inline void xshm_peer__own_all(unsigned char *base,
				      const struct xshm_peer__want *w)
{
	const struct xshm_wire_chan *c;
	uint64_t gen = w->hdr.generation, blk, i;
	unsigned int k;

	for (k = 0; k < w->hdr.nchans; k++) {
		c = &w->chan[k];
		if (c->type == XSHM_WIRE_RING_FIXED ||
		    c->type == XSHM_WIRE_RING_VAR) {
			atomic_store_explicit(xshm_wire_u64(base, c->offset +
					      XSHM_WIRE_PROD_OWNER_OFF),
					      gen, memory_order_relaxed);
			atomic_store_explicit(xshm_wire_u64(base, c->offset +
					      XSHM_WIRE_CONS_OWNER_OFF), gen,
					      memory_order_relaxed);
			continue;
		}
		blk = xshm_wire_value_block(c->type, c->elem_size);
		for (i = 0; i < (c->type == XSHM_WIRE_LWW ? c->capacity : 1);
		     i++)
			atomic_store_explicit(xshm_wire_u64(base, c->offset +
					      i * blk +
					      XSHM_WIRE_VALUE_OWNER_OFF),
					      gen, memory_order_relaxed);
	}
}

/*
 * Copy and check the layout in place (READY was seen): header, checksum,
 * channel entries.  0, -EPROTO, -EBADMSG, or -EAGAIN if it changed while
 * we read.
 */
static inline int xshm_peer__read_old(unsigned char *base, uint64_t size,
				      struct xshm_peer__want *old)
{
	struct xshm_peer_layout l;
	uint32_t crc;
	unsigned int k;
	int err = xshm_peer_layout_attach(&l, base, size);

	if (err)
		return err;
	xshm_wire_load_words(old, base, XSHM_WIRE_HDR_SIZE +
			     (uint64_t)l.nchans * XSHM_WIRE_CHAN_SIZE);
	/* LMM_INIT_OLD_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
	atomic_thread_fence(memory_order_acquire);
	if (xshm_peer_layout_stale(&l) || old->hdr.generation != l.generation)
		return -XSHM_PEER_EAGAIN;
	crc = xshm_wire_crc32c(0, (unsigned char *)&old->hdr +
			       XSHM_WIRE_CHECKSUM_FROM, l.header_size -
			       XSHM_WIRE_CHECKSUM_FROM);
	if (crc != old->hdr.checksum)
		return -XSHM_PEER_EAGAIN;
	for (k = 0; k < l.nchans; k++)
		if (xshm_wire_chan_check(&old->chan[k], xshm_wire_data_start(
					 l.header_size), l.layout_size))
			return -XSHM_PEER_EBADMSG;
	return 0;
}

/* same channels, same places (the header's other fields follow) */
static inline int xshm_peer__same(const struct xshm_peer__want *a,
				  const struct xshm_peer__want *b)
{
	const unsigned char *x = (const unsigned char *)a->chan;
	const unsigned char *y = (const unsigned char *)b->chan;
	uint64_t i;

	if (a->hdr.nchans != b->hdr.nchans)
		return 0;
	for (i = 0; i < (uint64_t)a->hdr.nchans * XSHM_WIRE_CHAN_SIZE; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

/*
 * Write the layout while holding the claim: retire the old one's owner
 * words, zero the channels (beating between chunks), header, table, owner
 * words, then the release CAS from our ticket to READY.  -EAGAIN if the
 * claim was taken over.
 */
static inline int xshm_peer__write(struct xshm_peer__claim *cl,
				   struct xshm_peer__want *w,
				   const struct xshm_peer__want *old,
				   uint64_t *seed)
{
	static const uint64_t zero[8];
	uint64_t tbl = (uint64_t)w->hdr.nchans * XSHM_WIRE_CHAN_SIZE;
	uint64_t o, n, want = cl->ticket;
	int err = old ? xshm_peer__retire_all(cl, old) : 0;

	if (err)
		return err;
	do
		w->hdr.generation = xshm_peer__mix(seed);
	while (!w->hdr.generation ||
	       (old && w->hdr.generation == old->hdr.generation));
	w->hdr.checksum = xshm_wire_crc32c(0, (unsigned char *)&w->hdr +
					   XSHM_WIRE_CHECKSUM_FROM,
					   XSHM_WIRE_HDR_SIZE +
					   tbl - XSHM_WIRE_CHECKSUM_FROM);
	for (o = XSHM_WIRE_HDR_SIZE + tbl; o < w->hdr.layout_size; o += n) {
		if (((o - XSHM_WIRE_HDR_SIZE - tbl) & 0xffff) == 0) {
			err = xshm_peer__beat(cl);
			if (err)
				return err;
		}
		n = w->hdr.layout_size - o < sizeof(zero) ?
		    w->hdr.layout_size - o : sizeof(zero);
		xshm_wire_store_words(cl->base + o, zero, n);
	}
	xshm_peer__own_all(cl->base, w);
	/* the header but its generation (stored last), the table */
	xshm_wire_store_words(cl->base + XSHM_WIRE_HDR_CHECKSUM_OFF,
			      (unsigned char *)&w->hdr +
			      XSHM_WIRE_HDR_CHECKSUM_OFF,
			      XSHM_WIRE_HDR_GEN_OFF -
			      XSHM_WIRE_HDR_CHECKSUM_OFF);
	xshm_wire_store_words(cl->base + XSHM_WIRE_HDR_AFTER_GEN_OFF,
			      (unsigned char *)&w->hdr +
			      XSHM_WIRE_HDR_AFTER_GEN_OFF, XSHM_WIRE_HDR_SIZE -
			      XSHM_WIRE_HDR_AFTER_GEN_OFF + tbl);
	/* a reader that acquires this generation sees the layout above */
	/* LMM_LAYOUT_GEN_PUB: pairs with LMM_LAYOUT_GEN_FIRST,
	 * LMM_PEER_GEN_FIRST */
	atomic_store_explicit(xshm_wire_gen_word(cl->base),
			      w->hdr.generation, memory_order_release);
	want = cl->ticket;
	/* release: everything above is visible to whoever sees READY */
	/* LMM_LAYOUT_READY_PUB: pairs with LMM_LAYOUT_READY_ACQ,
	 * LMM_LAYOUT_GEN_ACQ, LMM_LAYOUT_STALE_ACQ, LMM_PEER_ATTACH_ACQ,
	 * LMM_CLAIM_LOOK_ACQ */
	if (!atomic_compare_exchange_strong_explicit(
		    xshm_wire_state_word(cl->base), &want,
		    XSHM_WIRE_READY_WORD, memory_order_release,
		    memory_order_relaxed))
		return -XSHM_PEER_EAGAIN;
	return 0;
}

/*
 * The one-time initialiser, safe when several sides run it at once on
 * memory that starts as garbage.  Word 0 is the claim: a side CASes it
 * from the value it saw to its own ticket (INIT << 32 | random), so of
 * sides that saw the same value exactly one wins.  A side that sees
 * another's ticket waits while the ticket keeps changing (the holder
 * beats) and takes the claim over once it stayed the same for
 * takeover_ms (the holder died).  The winner writes the layout and CASes
 * its ticket to READY; the others then find READY and keep that layout.
 *
 * Returns 1 if a valid layout with exactly these channels was there (it
 * is kept: positions and counters too), 0 if this call initialised (with
 * XSHM_PEER_INIT_FORCE, or over garbage), -EEXIST if a valid layout with
 * other channels is there, -EPROTO for another format version (both
 * unless forced), -EINVAL/-ENOSPC for a bad spec.  On success *l is
 * attached to the layout.
 */
static inline int xshm_peer_layout_init(struct xshm_peer_layout *l,
					void *base, uint64_t size,
					const struct xshm_peer_chan_spec *chans,
					unsigned int n, unsigned int flags,
					const struct xshm_peer_init_env *env)
{
	struct xshm_peer__want want, old;
	struct xshm_peer__claim cl;
	uint64_t seed = env->random, w, seen = 0, since = 0;
	int err, have_old, watching = 0;

	if (!base || ((uintptr_t)base & 7) || (flags & ~XSHM_PEER_INIT_FORCE))
		return -XSHM_PEER_EINVAL;
	err = xshm_peer__build(&want, chans, n, size);
	if (err)
		return err;
	cl.base = (unsigned char *)base;
	cl.env = env;
	cl.takeover_ms = env->takeover_ms ? env->takeover_ms :
			 XSHM_WIRE_TAKEOVER_MS;
	for (;;) {
		have_old = 0;
		/* LMM_CLAIM_LOOK_ACQ: pairs with LMM_LAYOUT_READY_PUB,
		 * LMM_CLAIM_BEAT, LMM_CLAIM_CAS */
		w = atomic_load_explicit(xshm_wire_state_word(base),
					 memory_order_acquire);
		if (w == XSHM_WIRE_READY_WORD) {
			err = xshm_peer__read_old(cl.base, size, &old);
			if (err == -XSHM_PEER_EAGAIN)
				continue;
			if (!(flags & XSHM_PEER_INIT_FORCE)) {
				if (!err && !xshm_peer__same(&want, &old))
					return -XSHM_PEER_EEXIST;
				if (!err) {
					err = xshm_peer_layout_attach(l, base,
								      size);
					if (err == -XSHM_PEER_EAGAIN)
						continue;
					return err ? err : 1;
				}
				if (err == -XSHM_PEER_EPROTO)
					return err;
			}
			have_old = !err;
		} else if ((w >> 32) == XSHM_WIRE_STATE_INIT) {
			/* someone's claim: wait while it shows progress */
			if (w != seen || !watching) {
				seen = w;
				since = env->now_ms(env->ctx);
				watching = 1;
				env->pause(env->ctx);
				continue;
			}
			if (env->now_ms(env->ctx) - since < cl.takeover_ms) {
				env->pause(env->ctx);
				continue;
			}
		}
		/* claim it: from exactly the value we judged */
		cl.ticket = (uint64_t)XSHM_WIRE_STATE_INIT << 32 |
			    ((uint32_t)xshm_peer__mix(&seed) | 1u);
		/* LMM_CLAIM_CAS: pairs with LMM_CLAIM_LOOK_ACQ */
		if (!atomic_compare_exchange_strong_explicit(
			    xshm_wire_state_word(base), &w, cl.ticket,
			    memory_order_acq_rel, memory_order_relaxed))
			continue;
		/*
		 * release: readers that see any store below also see the
		 * claim (they recheck word 0 after an acquire fence)
		 */
		/* LMM_LAYOUT_INIT_FENCE: pairs with LMM_LAYOUT_TORN_RECHECK,
		 * LMM_LAYOUT_READ_RECHECK, LMM_PEER_TORN_RECHECK,
		 * LMM_PEER_ATTACH_RECHECK, LMM_PEER_FIND_RECHECK,
		 * LMM_INIT_OLD_RECHECK, LMM_RING_ATTACH_RECHECK,
		 * LMM_VALUE_ATTACH_RECHECK */
		atomic_thread_fence(memory_order_release);
		watching = 0;
		err = xshm_peer__write(&cl, &want, have_old ? &old : 0, &seed);
		if (err == -XSHM_PEER_EAGAIN)
			continue;	/* taken over: see what they made */
		if (err)
			return err;
		err = xshm_peer_layout_attach(l, base, size);
		return err ? err : 0;
	}
}

/* ---- Ring producer ------------------------------------------------------ */

struct xshm_peer_ring {
	struct xshm_wire_ring_prod *prod;	/* shared */
	struct xshm_wire_ring_cons *cons;	/* shared */
	unsigned char *data;			/* shared */
	uint32_t type, policy, elem_size;
	uint32_t stride;	/* fixed: slot bytes in the ring */
	uint64_t capacity;	/* slots (fixed) or data bytes (var) */
	uint64_t mask;
	uint64_t head;		/* last published head */
	uint64_t pos;		/* var: end of the reservations */
	uint64_t oldest;	/* OVERWRITE frontier, private copy */
	uint64_t tail_cache;	/* consumer tail last read */
	uint64_t produced, dropped;
	uint64_t corrupt;	/* invalid shared values seen */
	uint32_t next_seq;
	uint32_t pending;	/* var: records reserved, not committed */
	/* OVERWRITE var rings: records are staged here until commit */
	unsigned char *staging;
	uint64_t staging_size;
	_Atomic uint64_t *owner;	/* shared: prod->owner */
	uint64_t gen;			/* layout generation attached to */
};

/*
 * A producer that died after publishing head but before storing its
 * counters (they follow the head store) left them one batch behind.  The
 * committed records are the truth: fixed rings count one per position;
 * var rings take the newest seq among the records still in the ring and
 * the consumer's expectation.  Records are validated as a consumer would,
 * the walk stops at the first one that does not make sense.
 */
static inline void xshm_peer__recover_counters(struct xshm_peer_ring *r,
					       uint64_t from)
{
	uint64_t p = from, hdr, size;
	uint32_t seq = r->next_seq, s;
	int32_t d;
	int pad;

	if (r->type == XSHM_WIRE_RING_FIXED) {
		if (r->produced != r->head) {
			r->produced = r->head;
			atomic_store_explicit(&r->prod->produced, r->produced,
					      memory_order_relaxed);
		}
		return;
	}
	s = atomic_load_explicit(&r->cons->next_seq, memory_order_relaxed);
	if (xshm_wire_seq_gap(s, seq))
		seq = s;
	while (p != r->head) {
		hdr = atomic_load_explicit(xshm_wire_u64(r->data, p & r->mask),
					   memory_order_relaxed);
		size = xshm_wire_rec_decode(hdr, r->capacity - (p & r->mask),
					    r->head - p, r->elem_size, &pad);
		if (!size)
			break;
		s = (uint32_t)(hdr >> 32) + 1;
		if (!pad && xshm_wire_seq_gap(s, seq))
			seq = s;
		p += size;
	}
	/* the lost counter updates were for committed records */
	r->produced += seq - r->next_seq;
	r->next_seq = seq;
	/*
	 * Every seq is used by a committed or a dropped record, so
	 * next_seq == produced + dropped (mod 2^32) whenever no store
	 * sequence was cut short.  A death between the stores of a commit
	 * left produced behind; between those of a drop, next_seq.
	 */
	d = (int32_t)((uint32_t)(r->produced + r->dropped) - r->next_seq);
	if (d < 0)
		r->produced += (uint64_t)(-(int64_t)d);
	else
		r->next_seq += (uint32_t)d;
	atomic_store_explicit(&r->prod->next_seq, r->next_seq,
			      memory_order_relaxed);
	atomic_store_explicit(&r->prod->produced, r->produced,
			      memory_order_relaxed);
}

/*
 * Attach as the producer of ring channel c at base (a validated channel
 * from xshm_peer_layout_find()).  The shared positions are the resume
 * point and are validated: -EBADMSG if they are inconsistent.
 */
static inline int xshm_peer_ring_attach_chan(struct xshm_peer_ring *r,
					     void *base,
					     const struct xshm_wire_chan *c,
					     uint64_t gen)
{
	unsigned char *blk = (unsigned char *)base + c->offset;
	uint64_t head, tail, oldest;
	int err;

	if (c->type != XSHM_WIRE_RING_FIXED && c->type != XSHM_WIRE_RING_VAR)
		return -XSHM_PEER_EINVAL;
	*r = (struct xshm_peer_ring){ 0 };
	r->prod = (struct xshm_wire_ring_prod *)(void *)blk;
	r->cons = (struct xshm_wire_ring_cons *)(void *)(blk + XSHM_WIRE_BLOCK);
	r->data = blk + 2 * XSHM_WIRE_BLOCK;
	r->type = c->type;
	r->policy = c->policy;
	r->elem_size = c->elem_size;
	r->stride = (uint32_t)xshm_wire_slot_stride(c->elem_size);
	r->capacity = c->capacity;
	r->mask = r->capacity - 1;
	r->owner = &r->prod->owner;
	r->gen = gen;
	err = xshm_peer_owner_adopt(r->owner, gen);
	if (!err)
		err = xshm_peer_owner_enter(r->owner, gen);
	if (err)
		return err;

	head = atomic_load_explicit(&r->prod->head, memory_order_relaxed);
	oldest = atomic_load_explicit(&r->prod->oldest, memory_order_relaxed);
	/* LMM_PEER_ATTACH_TAIL_ACQ: pairs with LMM_FIXED_TAIL_PUB,
	 * LMM_VAR_TAIL_PUB */
	tail = atomic_load_explicit(&r->cons->tail, memory_order_acquire);
	if ((c->type == XSHM_WIRE_RING_VAR && ((head | oldest | tail) & 7)) ||
	    (r->policy == XSHM_WIRE_FULL_OVERWRITE ? head - oldest :
	     head - tail) > r->capacity) {
		xshm_peer_owner_exit(r->owner, gen);
		return -XSHM_PEER_EBADMSG;
	}
	r->head = head;
	r->pos = head;
	r->oldest = oldest;
	r->tail_cache = tail;
	r->produced = atomic_load_explicit(&r->prod->produced,
					   memory_order_relaxed);
	r->dropped = atomic_load_explicit(&r->prod->dropped,
					  memory_order_relaxed);
	r->next_seq = atomic_load_explicit(&r->prod->next_seq,
					   memory_order_relaxed);
	xshm_peer__recover_counters(r, r->policy == XSHM_WIRE_FULL_OVERWRITE ?
				    oldest : tail);
	return xshm_peer_owner_exit(r->owner, gen);
}

/* leave a write path: -ESTALE if the layout was taken over meanwhile */
static inline int xshm_peer__leave(struct xshm_peer_ring *r, int ret)
{
	int err = xshm_peer_owner_exit(r->owner, r->gen);

	return err ? err : ret;
}

static inline int xshm_peer_ring_attach(const struct xshm_peer_layout *l,
					const char *name,
					struct xshm_peer_ring *r)
{
	struct xshm_wire_chan c;
	int err = xshm_peer_layout_find(l, name, &c);

	return err ? err : xshm_peer_ring_attach_chan(r, l->base, &c,
						      l->generation);
}

/*
 * OVERWRITE var rings need a staging buffer of at least capacity bytes
 * (records wait there until the commit): reserve, send and sendv return
 * -EINVAL without one.  Fixed rings need none.
 */
static inline void xshm_peer_ring_set_staging(struct xshm_peer_ring *r,
					      void *buf, uint64_t size)
{
	r->staging = (unsigned char *)buf;
	r->staging_size = size;
}

/* re-read the consumer's tail; -EBADMSG if it is not in [head-cap, head] */
static inline int xshm_peer__refresh_tail(struct xshm_peer_ring *r)
{
	/* LMM_RING_TAIL_ACQ: pairs with LMM_FIXED_TAIL_PUB, LMM_VAR_TAIL_PUB */
	uint64_t tail = atomic_load_explicit(&r->cons->tail,
					     memory_order_acquire);

	if (r->head - tail > r->capacity ||
	    (r->type == XSHM_WIRE_RING_VAR && (tail & 7))) {
		r->corrupt++;
		return -XSHM_PEER_EBADMSG;
	}
	r->tail_cache = tail;
	return 0;
}

/* dropped first: a death before next_seq is repaired at attach */
static inline void xshm_peer__count_drops(struct xshm_peer_ring *r,
					  uint32_t n)
{
	r->dropped += n;
	atomic_store_explicit(&r->prod->dropped, r->dropped,
			      memory_order_relaxed);
	if (r->type == XSHM_WIRE_RING_VAR) {
		r->next_seq += n;
		atomic_store_explicit(&r->prod->next_seq, r->next_seq,
				      memory_order_relaxed);
	}
}

static inline void xshm_peer__count_drop(struct xshm_peer_ring *r)
{
	xshm_peer__count_drops(r, 1);
}

/*
 * Publish the OVERWRITE frontier before any store that may overwrite.
 * A release store: a consumer that sees this oldest past the head it
 * loaded loads head again and must find the head published before it.
 */
static inline void xshm_peer__publish_oldest(struct xshm_peer_ring *r)
{
	/* LMM_OVW_OLDEST_STORE: pairs with LMM_OVW_REREAD */
	atomic_store_explicit(&r->prod->oldest, r->oldest,
			      memory_order_release);
	/* LMM_OVW_OLDEST_PUB: pairs with LMM_OVW_FIXED_RECHECK,
	 * LMM_OVW_VAR_RECHECK, LMM_OVW_BATCH_RECHECK */
	atomic_thread_fence(memory_order_release);
}

/*
 * Push one fixed-size slot (elem_size bytes from slot).  FAIL: -EAGAIN
 * when full; DROP: -ENOBUFS, counted; OVERWRITE: never fails.
 */
static inline int xshm_peer__push(struct xshm_peer_ring *r,
				  const void *slot)
{
	unsigned char *dst;
	int err;

	dst = r->data + (r->head & r->mask) * r->stride;
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE) {
		if (r->head - r->oldest >= r->capacity) {
			r->oldest = r->head - r->capacity + 1;
			xshm_peer__publish_oldest(r);
		}
		xshm_wire_store_words(dst, slot, r->elem_size);
	} else {
		if (r->head - r->tail_cache >= r->capacity) {
			err = xshm_peer__refresh_tail(r);
			if (err)
				return err;
		}
		if (r->head - r->tail_cache >= r->capacity) {
			if (r->policy == XSHM_WIRE_FULL_FAIL)
				return -XSHM_PEER_EAGAIN;
			xshm_peer__count_drop(r);
			return -XSHM_PEER_ENOBUFS;
		}
		XSHM_PEER_MEMCPY(dst, slot, r->elem_size);
	}
	r->head++;
	r->produced++;
	/* head first: it is the truth a restarted producer recovers from */
	/* LMM_FIXED_HEAD_PUB: pairs with LMM_FIXED_HEAD_ACQ,
	 * LMM_ATTACH_HEAD_ACQ, LMM_STATS_HEAD_ACQ, LMM_OVW_BOUNDS_HEAD_ACQ,
	 * LMM_OVW_BOUNDS_HEAD_REACQ, LMM_DB_RECHECK_LOAD */
	atomic_store_explicit(&r->prod->head, r->head, memory_order_release);
	atomic_store_explicit(&r->prod->produced, r->produced,
			      memory_order_relaxed);
	return 0;
}

static inline int xshm_peer_ring_push(struct xshm_peer_ring *r,
				      const void *slot)
{
	int err;

	if (r->type != XSHM_WIRE_RING_FIXED)
		return -XSHM_PEER_EINVAL;
	err = xshm_peer_owner_enter(r->owner, r->gen);
	return err ? err : xshm_peer__leave(r, xshm_peer__push(r, slot));
}

/* push, refusing a slot whose size is not the channel's elem_size */
static inline int xshm_peer_ring_push_sized(struct xshm_peer_ring *r,
					    const void *slot, size_t size)
{
	if (r->type == XSHM_WIRE_RING_FIXED && size != r->elem_size)
		return -XSHM_PEER_EMSGSIZE;
	return xshm_peer_ring_push(r, slot);
}

/*
 * Copy n slots to the ring from head on.  Small packed slots (stride ==
 * elem_size) go in one copy up to the wrap and one after: a call per
 * 8-byte slot would cost more than the data.  From 32 bytes up, copying
 * slot by slot measured faster.
 */
static inline void xshm_peer__copy_slots_in(struct xshm_peer_ring *r,
					    const unsigned char *src,
					    unsigned int n)
{
	uint64_t at = r->head & r->mask, run, i;

	if (r->stride == r->elem_size &&
	    r->elem_size <= XSHM_WIRE_BULK_SLOT_MAX) {
		run = r->capacity - at < n ? r->capacity - at : n;
		XSHM_PEER_MEMCPY(r->data + at * r->stride, src,
				 run * r->stride);
		if (run < n)
			XSHM_PEER_MEMCPY(r->data, src + run * r->stride,
					 (n - run) * r->stride);
		return;
	}
	for (i = 0; i < n; i++, src += r->elem_size)
		XSHM_PEER_MEMCPY(r->data + ((r->head + i) & r->mask) *
				 r->stride, src, r->elem_size);
}

/*
 * Push up to n slots with one release store (OVERWRITE: one per capacity
 * slots, the earlier ones overwritten at once).  Returns the number written
 * into the ring: FAIL stops when full (the rest is not consumed), DROP
 * drops and counts the rest, OVERWRITE writes all n.  A negative value
 * only if nothing was written and the ring is corrupt (-EBADMSG).
 */
static inline int xshm_peer__push_batch(struct xshm_peer_ring *r,
					const void *slots, unsigned int n)
{
	const unsigned char *src = (const unsigned char *)slots;
	unsigned int done = 0, i;
	uint64_t room;
	int err;

	if (r->policy == XSHM_WIRE_FULL_OVERWRITE && n > r->capacity) {
		/*
		 * A ring's worth per publication: skipping the slots that
		 * cannot survive would move oldest past the published head,
		 * which consumers take for a corrupt producer.
		 */
		for (; done < n; done += i) {
			i = n - done < r->capacity ? n - done :
			    (unsigned int)r->capacity;
			xshm_peer__push_batch(r, src + (size_t)done *
					      r->elem_size, i);
		}
		return (int)n;
	}
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE) {
		if (r->head + n - r->oldest > r->capacity) {
			r->oldest = r->head + n - r->capacity;
			xshm_peer__publish_oldest(r);
		}
		for (i = 0; i < n; i++, src += r->elem_size) {
			xshm_wire_store_words(r->data + (r->head & r->mask) *
					      r->stride, src, r->elem_size);
			r->head++;
		}
		r->produced += n;
		done = n;
	} else {
		room = r->capacity - (r->head - r->tail_cache);
		if (room < n) {
			err = xshm_peer__refresh_tail(r);
			if (err)
				return err;
			room = r->capacity - (r->head - r->tail_cache);
		}
		done = room < n ? (unsigned int)room : n;
		xshm_peer__copy_slots_in(r, src, done);
		r->head += done;
		r->produced += done;
	}
	if (done) {
		/* LMM_FIXED_BATCH_PUB: pairs with LMM_FIXED_HEAD_ACQ,
		 * LMM_ATTACH_HEAD_ACQ, LMM_STATS_HEAD_ACQ,
		 * LMM_OVW_BOUNDS_HEAD_ACQ, LMM_OVW_BOUNDS_HEAD_REACQ,
		 * LMM_DB_RECHECK_LOAD */
		atomic_store_explicit(&r->prod->head, r->head,
				      memory_order_release);
		atomic_store_explicit(&r->prod->produced, r->produced,
				      memory_order_relaxed);
	}
	/* the dropped slots come after the written ones */
	if (r->policy == XSHM_WIRE_FULL_DROP)
		for (i = done; i < n; i++)
			xshm_peer__count_drop(r);
	return (int)done;
}

static inline int xshm_peer_ring_push_batch(struct xshm_peer_ring *r,
					    const void *slots, unsigned int n)
{
	int err;

	if (r->type != XSHM_WIRE_RING_FIXED || n > 0x7fffffffu)
		return -XSHM_PEER_EINVAL;
	err = xshm_peer_owner_enter(r->owner, r->gen);
	return err ? err :
	       xshm_peer__leave(r, xshm_peer__push_batch(r, slots, n));
}

static inline int xshm_peer_ring_push_batch_sized(struct xshm_peer_ring *r,
						  const void *slots,
						  size_t size, unsigned int n)
{
	if (r->type == XSHM_WIRE_RING_FIXED && size != r->elem_size)
		return -XSHM_PEER_EMSGSIZE;
	return xshm_peer_ring_push_batch(r, slots, n);
}

/*
 * OVERWRITE: advance the frontier over whole records until the bytes
 * [oldest, pos + total) fit in the ring.  The records walked are our own
 * committed ones, but they live in shared memory: a header that does not
 * make sense drops everything older than head instead of being followed.
 */
static inline void xshm_peer__make_room_overwrite(struct xshm_peer_ring *r,
						  uint64_t total)
{
	uint64_t hdr, off, size;
	int moved = 0, pad;

	while (r->pos + total - r->oldest > r->capacity) {
		if (r->oldest == r->head) {
			break;	/* cannot happen: batch size is checked */
		}
		off = r->oldest & r->mask;
		hdr = atomic_load_explicit(xshm_wire_u64(r->data, off),
					   memory_order_relaxed);
		size = xshm_wire_rec_decode(hdr, r->capacity - off,
					    r->head - r->oldest, r->elem_size,
					    &pad);
		if (size == 0) {
			r->corrupt++;
			r->oldest = r->head;
		} else {
			r->oldest += size;
		}
		moved = 1;
	}
	if (moved)
		xshm_peer__publish_oldest(r);
}

/* where the bytes of ring position p are written before commit */
static inline unsigned char *xshm_peer__var_dst(struct xshm_peer_ring *r,
						uint64_t p)
{
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE)
		return r->staging + (p - r->head);
	return r->data + (p & r->mask);
}

static inline void xshm_peer__var_hdr(struct xshm_peer_ring *r, uint64_t p,
				      uint32_t lenf, uint32_t seq)
{
	uint64_t v = (uint64_t)lenf | ((uint64_t)seq << 32);

	if (r->policy == XSHM_WIRE_FULL_OVERWRITE)
		XSHM_PEER_MEMCPY(xshm_peer__var_dst(r, p), &v, 8);
	else
		atomic_store_explicit(xshm_wire_u64(r->data, p & r->mask), v,
				      memory_order_relaxed);
}

/*
 * Add a record of len bytes to the pending batch (the part of reserve
 * that runs per record; the caller checked the handle) and set *buf to
 * where its bytes go.  -EMSGSIZE if len is larger than elem_size; -EAGAIN
 * if the batch would then not fit: FAIL/DROP, the ring is full counting
 * the pending records (the tail was re-read); OVERWRITE, the staging
 * buffer is full.  -EBADMSG if the consumer's tail is impossible.
 */
static inline int xshm_peer__var_place(struct xshm_peer_ring *r, size_t len,
				       void **buf)
{
	uint64_t need, to_end, pad, total;
	int err;

	if (len > r->elem_size)
		return -XSHM_PEER_EMSGSIZE;
	need = xshm_wire_rec_size(len);
	to_end = r->capacity - (r->pos & r->mask);
	pad = need > to_end ? to_end : 0;
	total = pad + need;
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE) {
		if (r->pos + total - r->head > r->capacity)
			return -XSHM_PEER_EAGAIN;
		xshm_peer__make_room_overwrite(r, total);
	} else if (r->pos + total - r->tail_cache > r->capacity) {
		/* tail <= head <= pos: this also bounds the batch */
		err = xshm_peer__refresh_tail(r);
		if (err)
			return err;
		if (r->pos + total - r->tail_cache > r->capacity)
			return -XSHM_PEER_EAGAIN;
	}
	if (pad)
		xshm_peer__var_hdr(r, r->pos, XSHM_WIRE_REC_PAD |
				   (uint32_t)(pad - XSHM_WIRE_REC_HDR), 0);
	xshm_peer__var_hdr(r, r->pos + pad, (uint32_t)len, r->next_seq++);
	*buf = xshm_peer__var_dst(r, r->pos + pad + XSHM_WIRE_REC_HDR);
	r->pos += total;
	r->pending++;
	return 0;
}

/* checks of a var producer handle, once per call or batch */
static inline int xshm_peer__var_check(const struct xshm_peer_ring *r)
{
	if (r->type != XSHM_WIRE_RING_VAR)
		return -XSHM_PEER_EINVAL;
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE &&
	    (!r->staging || r->staging_size < r->capacity))
		return -XSHM_PEER_EINVAL;
	return 0;
}

/*
 * Reserve room for a record of len bytes; *buf receives where to write it.
 * Several reservations may precede one commit.  Nothing is visible to the
 * consumer before xshm_peer_ring_commit().  -EMSGSIZE if len is larger
 * than the channel's elem_size; -EAGAIN if full (FAIL), if full while
 * reservations are pending (DROP: commit them, the next one is dropped),
 * or if the pending batch would not fit the ring (commit first); -ENOBUFS
 * if dropped (DROP).
 */
static inline int xshm_peer_ring_reserve(struct xshm_peer_ring *r,
					 size_t len, void **buf)
{
	int err = xshm_peer__var_check(r);

	if (err)
		return err;
	/* the write path lasts from the first reserve to the commit */
	if (!r->pending) {
		err = xshm_peer_owner_enter(r->owner, r->gen);
		if (err)
			return err;
	}
	err = xshm_peer__var_place(r, len, buf);
	/*
	 * A drop uses up a seq; with reservations pending it would come
	 * before theirs are published, and a death before commit could not
	 * be accounted for.  Without any pending, -EAGAIN means a full ring
	 * (one record is at most half of it).
	 */
	if (err == -XSHM_PEER_EAGAIN && r->policy == XSHM_WIRE_FULL_DROP &&
	    !r->pending) {
		xshm_peer__count_drop(r);
		err = -XSHM_PEER_ENOBUFS;
	}
	return r->pending ? err : xshm_peer__leave(r, err);
}

/* publish every reserved record with one release store; returns how many */
static inline int xshm_peer__commit(struct xshm_peer_ring *r)
{
	uint64_t n, off, first;
	int count = (int)r->pending;

	if (!r->pending)
		return 0;
	/*
	 * The reservations may have been held for long: if an initialiser
	 * took the layout over meanwhile (we looked dead), publish nothing.
	 */
	if (atomic_load_explicit(r->owner, memory_order_relaxed) != ~r->gen) {
		r->pending = 0;
		r->pos = r->head;
		return -XSHM_PEER_ESTALE;
	}
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE) {
		n = r->pos - r->head;
		off = r->head & r->mask;
		first = r->capacity - off < n ? r->capacity - off : n;
		xshm_wire_store_words(r->data + off, r->staging, first);
		if (n > first)
			xshm_wire_store_words(r->data, r->staging + first,
					      n - first);
	}
	r->produced += r->pending;
	r->pending = 0;
	r->head = r->pos;
	/* head first: it is the truth a restarted producer recovers from */
	/* LMM_VAR_HEAD_PUB: pairs with LMM_VAR_HEAD_ACQ,
	 * LMM_VAR_BATCH_HEAD_ACQ, LMM_ATTACH_HEAD_ACQ, LMM_STATS_HEAD_ACQ,
	 * LMM_OVW_BOUNDS_HEAD_ACQ, LMM_OVW_BOUNDS_HEAD_REACQ,
	 * LMM_DB_RECHECK_LOAD */
	atomic_store_explicit(&r->prod->head, r->head, memory_order_release);
	atomic_store_explicit(&r->prod->next_seq, r->next_seq,
			      memory_order_relaxed);
	atomic_store_explicit(&r->prod->produced, r->produced,
			      memory_order_relaxed);
	return count;
}

static inline int xshm_peer_ring_commit(struct xshm_peer_ring *r)
{
	if (r->type != XSHM_WIRE_RING_VAR)
		return -XSHM_PEER_EINVAL;
	if (!r->pending)
		return 0;
	return xshm_peer__leave(r, xshm_peer__commit(r));
}

/* reserve + copy + commit (commits earlier reservations too) */
static inline int xshm_peer_ring_send(struct xshm_peer_ring *r,
				      const void *data, size_t len)
{
	void *buf;
	int err = xshm_peer_ring_reserve(r, len, &buf);

	if (err)
		return err;
	if (len)
		XSHM_PEER_MEMCPY(buf, data, len);
	err = xshm_peer_ring_commit(r);
	return err < 0 ? err : 0;
}

/* one record of a batch for xshm_peer_ring_sendv() */
struct xshm_peer_rec {
	const void *data;
	size_t len;
};

/* sendv: copy a record into the pending batch; see xshm_peer__var_place() */
static inline int xshm_peer__var_put(struct xshm_peer_ring *r,
				     const void *data, size_t len)
{
	void *buf;
	int err = xshm_peer__var_place(r, len, &buf);

	if (err == -XSHM_PEER_EAGAIN && r->policy == XSHM_WIRE_FULL_OVERWRITE) {
		/* more than a ring's worth: the earlier ones are lost anyway */
		xshm_peer__commit(r);
		err = xshm_peer__var_place(r, len, &buf);
	}
	if (!err)
		xshm_wire_copy(buf, data, len);
	return err;
}

/*
 * The state of a FAIL/DROP ring during a sendv, in a local: the record
 * copies are char stores that might alias the handle, so with the handle
 * in memory every record would reload it.
 */
struct xshm_peer__batch {
	unsigned char *data;
	uint64_t capacity, mask, elem_size;
	uint64_t pos, tail;
	uint32_t seq, n;
	int overwrite;		/* OVERWRITE takes xshm_peer__var_put() */
};

static inline void xshm_peer__batch_begin(const struct xshm_peer_ring *r,
					  struct xshm_peer__batch *b)
{
	b->data = r->data;
	b->capacity = r->capacity;
	b->mask = r->mask;
	b->elem_size = r->elem_size;
	b->pos = r->pos;
	b->tail = r->tail_cache;
	b->seq = r->next_seq;
	b->n = 0;
	b->overwrite = r->policy == XSHM_WIRE_FULL_OVERWRITE;
}

static inline void xshm_peer__batch_end(struct xshm_peer_ring *r,
					struct xshm_peer__batch *b)
{
	if (b->overwrite)
		return;
	r->pos = b->pos;
	r->next_seq = b->seq;
	r->pending += b->n;
}

/* xshm_peer__var_place() and the copy, for FAIL/DROP in the batch state */
static inline int xshm_peer__batch_put(struct xshm_peer_ring *r,
				       struct xshm_peer__batch *b,
				       const void *data, size_t len)
{
	uint64_t need, off, to_end, pad;
	int err;

	if (b->overwrite)
		return xshm_peer__var_put(r, data, len);
	if (len > b->elem_size)
		return -XSHM_PEER_EMSGSIZE;
	need = xshm_wire_rec_size(len);
	off = b->pos & b->mask;
	to_end = b->capacity - off;
	pad = need > to_end ? to_end : 0;
	if (b->pos + pad + need - b->tail > b->capacity) {
		/* tail <= head <= pos: this also bounds the batch */
		err = xshm_peer__refresh_tail(r);
		if (err)
			return err;
		b->tail = r->tail_cache;
		if (b->pos + pad + need - b->tail > b->capacity)
			return -XSHM_PEER_EAGAIN;
	}
	if (pad) {
		atomic_store_explicit(xshm_wire_u64(b->data, off),
				      XSHM_WIRE_REC_PAD | (pad - XSHM_WIRE_REC_HDR),
				      memory_order_relaxed);
		off = 0;
	}
	atomic_store_explicit(xshm_wire_u64(b->data, off),
			      (uint64_t)len | ((uint64_t)b->seq << 32),
			      memory_order_relaxed);
	xshm_wire_copy(b->data + off + XSHM_WIRE_REC_HDR, data, len);
	b->seq++;
	b->pos += pad + need;
	b->n++;
	return 0;
}

/*
 * sendv, after the records taken were put: publish them with one commit;
 * DROP then drops and counts the records from first on that stopped on a
 * full ring, up to (not including) the first larger than elem_size;
 * *taken grows by their number.  Returns the call's result.
 */
static inline int xshm_peer__sendv_end(struct xshm_peer_ring *r,
				       unsigned int *taken, int err,
				       uint32_t drops)
{
	/* taken over while we held the batch: store nothing more */
	if (xshm_peer__commit(r) == -XSHM_PEER_ESTALE)
		drops = 0;
	if (drops) {
		xshm_peer__count_drops(r, drops);
		*taken += drops;
	}
	return xshm_peer__leave(r, *taken ? (int)*taken : err);
}

/* sendv's entry: the write path may have begun at an earlier reserve */
static inline int xshm_peer__sendv_begin(struct xshm_peer_ring *r)
{
	int err = xshm_peer__var_check(r);

	if (!err && !r->pending)
		err = xshm_peer_owner_enter(r->owner, r->gen);
	return err;
}

/*
 * Where a sendv takes record i of recs from: 0 with *data and *len set,
 * or a negative errno (the record is refused and the batch stops before
 * it).  Callers with their own record type (libxshm: struct iovec) pass
 * their own; xshm_peer_ring_sendv() passes xshm_peer_rec_get().
 */
typedef int (*xshm_peer_rec_fn)(const void *recs, unsigned int i,
				const void **data, size_t *len);

static inline int xshm_peer_rec_get(const void *recs, unsigned int i,
				    const void **data, size_t *len)
{
	const struct xshm_peer_rec *rec =
		(const struct xshm_peer_rec *)recs + i;

	if (!rec->data && rec->len)
		return -XSHM_PEER_EINVAL;
	*data = rec->data;
	*len = rec->len;
	return 0;
}

/*
 * xshm_peer_ring_sendv() on records of any type: record i is what
 * get(recs, i, ...) says.
 */
static inline int xshm_peer_ring_sendv_fn(struct xshm_peer_ring *r,
					  const void *recs, unsigned int n,
					  xshm_peer_rec_fn get)
{
	struct xshm_peer__batch b;
	const void *data;
	unsigned int i = 0, k;
	size_t len;
	int err;

	if ((!recs && n) || n > 0x7fffffffu)
		return -XSHM_PEER_EINVAL;
	err = xshm_peer__sendv_begin(r);
	if (err)
		return err;
	xshm_peer__batch_begin(r, &b);
	for (; i < n; i++) {
		err = get(recs, i, &data, &len);
		if (!err)
			err = xshm_peer__batch_put(r, &b, data, len);
		if (err)
			break;
	}
	xshm_peer__batch_end(r, &b);
	k = i;
	if (err == -XSHM_PEER_EAGAIN && r->policy == XSHM_WIRE_FULL_DROP)
		while (k < n && !get(recs, k, &data, &len) &&
		       len <= r->elem_size)
			k++;
	return xshm_peer__sendv_end(r, &i, err, k - i);
}

/*
 * Send n records with one commit (one release store of head), copying
 * recs[i].len bytes from recs[i].data for each.  Returns the number of
 * records taken from the front of recs: published, or (DROP) dropped and
 * counted; recs[ret..n) were not touched and can be passed again.  FAIL
 * stops at the first record that does not fit; DROP publishes what fits
 * and then drops the rest, after the commit (drops happen between
 * batches); OVERWRITE takes all (a batch larger than the ring is
 * published a ring's worth at a time).  A record larger than elem_size,
 * or with no data but a length, stops the batch before it.  A negative
 * errno only if nothing was taken: -EAGAIN (FAIL: full), -EMSGSIZE,
 * -EBADMSG, -EINVAL.
 */
static inline int xshm_peer_ring_sendv(struct xshm_peer_ring *r,
				       const struct xshm_peer_rec *recs,
				       unsigned int n)
{
	return xshm_peer_ring_sendv_fn(r, recs, n, xshm_peer_rec_get);
}

/* ---- Value writers (SEQLOCK, LATCH, LWW) -------------------------------- */

struct xshm_peer_value {
	unsigned char *block;	/* shared: the writer's seqlock block */
	unsigned char *lww_base; /* LWW: first slot, for stamp scans */
	uint32_t type, elem_size, nslots, slot;
	uint64_t span;		/* payload bytes per copy (rounded) */
	uint64_t payload;	/* offset of copy 0 in a block */
	uint64_t slot_size;	/* LWW */
	uint64_t seq;		/* private copy of our sequence */
	_Atomic uint64_t *owner; /* shared: in our block */
	uint64_t gen;		/* layout generation attached to */
};

/* shared-to-shared copy of whole words, both sides 8-byte aligned */
static inline void xshm_peer__copy_words(void *dst, const void *src,
					 uint64_t len)
{
	_Atomic uint64_t *d = (_Atomic uint64_t *)dst;
	const _Atomic uint64_t *s = (const _Atomic uint64_t *)src;

	for (; len >= 8; len -= 8)
		atomic_store_explicit(d++, atomic_load_explicit(s++,
				      memory_order_relaxed),
				      memory_order_relaxed);
}

static inline int xshm_peer_value_attach_chan(struct xshm_peer_value *v,
					      void *base,
					      const struct xshm_wire_chan *c,
					      unsigned int slot, uint64_t gen)
{
	unsigned char *blk = (unsigned char *)base + c->offset;

	if (c->type != XSHM_WIRE_SEQLOCK && c->type != XSHM_WIRE_LATCH &&
	    c->type != XSHM_WIRE_LWW)
		return -XSHM_PEER_EINVAL;
	*v = (struct xshm_peer_value){ 0 };
	v->type = c->type;
	v->elem_size = c->elem_size;
	v->span = xshm_wire_value_span(c->type, c->elem_size);
	v->payload = xshm_wire_value_payload(c->type, c->elem_size);
	v->nslots = c->type == XSHM_WIRE_LWW ? c->capacity : 1;
	if (slot >= v->nslots)
		return -XSHM_PEER_EINVAL;
	v->slot = slot;
	v->slot_size = xshm_wire_value_block(c->type, c->elem_size);
	v->lww_base = blk;
	v->block = blk + (uint64_t)slot * v->slot_size;
	v->owner = xshm_wire_u64(v->block, XSHM_WIRE_VALUE_OWNER_OFF);
	v->gen = gen;
	v->seq = atomic_load_explicit(xshm_wire_u64(v->block,
						    XSHM_WIRE_SEQ_OFF),
				      memory_order_relaxed);
	return 0;
}

/*
 * A LATCH writer that died while writing copy 1 left an even seq: readers
 * use copy 0, and the next odd seq would send them to the torn copy 1.
 * A (re)starting writer therefore repairs copy 1 from copy 0 first.
 */
static inline int xshm_peer_value_repair(struct xshm_peer_value *v)
{
	int err = xshm_peer_owner_adopt(v->owner, v->gen);

	if (err || v->type != XSHM_WIRE_LATCH || !v->seq || (v->seq & 1))
		return err;
	err = xshm_peer_owner_enter(v->owner, v->gen);
	if (err)
		return err;
	xshm_peer__copy_words(v->block + v->payload + v->span,
			      v->block + v->payload, v->span);
	return xshm_peer_owner_exit(v->owner, v->gen);
}

/* attach as the writer of a value channel (LWW: our slot, else 0) */
static inline int xshm_peer_value_attach(const struct xshm_peer_layout *l,
					 const char *name, unsigned int slot,
					 struct xshm_peer_value *v)
{
	struct xshm_wire_chan c;
	int err = xshm_peer_layout_find(l, name, &c);

	if (!err)
		err = xshm_peer_value_attach_chan(v, l->base, &c, slot,
						  l->generation);
	if (!err)
		err = xshm_peer_value_repair(v);
	return err;
}

/* newest stamp in any LWW slot (relaxed: only used to pick a larger one) */
static inline uint64_t xshm_peer__max_stamp(const struct xshm_peer_value *v)
{
	uint64_t max = 0, s;
	uint32_t i;

	for (i = 0; i < v->nslots; i++) {
		s = atomic_load_explicit(
			xshm_wire_u64(v->lww_base + i * v->slot_size,
				      XSHM_WIRE_STAMP_OFF),
			memory_order_relaxed);
		if (s > max)
			max = s;
	}
	return max;
}

/*
 * Write a value of exactly elem_size bytes.  SEQLOCK/LWW: seq odd, release
 * fence, payload (and stamp) as relaxed word stores, release store of the
 * even seq.  LATCH: copy 0 under an odd seq, copy 1 under the next even
 * one, so readers always have one complete copy.  A writer that restarts
 * after dying mid-update (odd seq) completes that update's sequence.
 * LWW stamp 0 means one more than the newest stamp present.
 */
static inline int xshm_peer_value_write(struct xshm_peer_value *v,
					const void *val, size_t len,
					uint64_t stamp)
{
	_Atomic uint64_t *seq = xshm_wire_u64(v->block, XSHM_WIRE_SEQ_OFF);
	unsigned char *payload = v->block + v->payload;

	int err;

	if (len != v->elem_size)
		return -XSHM_PEER_EINVAL;
	err = xshm_peer_owner_enter(v->owner, v->gen);
	if (err)
		return err;
	if (!(v->seq & 1)) {
		v->seq++;
		/* LMM_SEQ_WRITE_BEGIN: pairs with LMM_SEQ_READ_BEGIN */
		atomic_store_explicit(seq, v->seq, memory_order_release);
	}
	/* LMM_SEQ_WRITE_FENCE: pairs with LMM_SEQ_READ_RECHECK */
	atomic_thread_fence(memory_order_release);
	if (v->type == XSHM_WIRE_LWW) {
		if (stamp == 0)
			stamp = xshm_peer__max_stamp(v) + 1;
		atomic_store_explicit(xshm_wire_u64(v->block,
						    XSHM_WIRE_STAMP_OFF),
				      stamp, memory_order_relaxed);
	}
	xshm_wire_store_words(payload, val, len);
	v->seq++;
	/* LMM_SEQ_WRITE_END: pairs with LMM_SEQ_READ_BEGIN,
	 * LMM_DB_VALUE_RECHECK_LOAD */
	atomic_store_explicit(seq, v->seq, memory_order_release);
	if (v->type == XSHM_WIRE_LATCH) {
		/* LMM_LATCH_COPY1_FENCE: pairs with LMM_SEQ_READ_RECHECK */
		atomic_thread_fence(memory_order_release);
		xshm_wire_store_words(payload + v->span, val, len);
	}
	return xshm_peer_owner_exit(v->owner, v->gen);
}

#ifdef XSHM_PEER_TSAN_PRAGMA
#pragma GCC diagnostic pop
#undef XSHM_PEER_TSAN_PRAGMA
#endif

#endif /* XSHM_PEER_H */
