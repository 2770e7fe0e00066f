/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxshm private definitions shared by the library's source files.
 */
#ifndef XSHM_INTERNAL_H
#define XSHM_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <time.h>

#include "xshm.h"
#include "xshm-peer.h"
#include "xshm-doorbell.h"

/*
 * GCC's TSan does not model atomic_thread_fence and warns about it; every
 * access the fences order is itself atomic, so TSan has nothing to miss.
 */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wtsan"
#endif

/* visibility: only symbols in libxshm.map are exported */
#define XSHM_API __attribute__((visibility("default")))
/* an exported second name of a function defined in the same file */
#define XSHM_ALIAS(name, target)					\
	extern __typeof__(target) name					\
	__attribute__((alias(#target), visibility("default")))

struct xshm_region {
	int fd;
	unsigned char *base;
	size_t size;
	unsigned int flags;
	char *name;
};

/* a validated local copy of the header and channel table */
struct xshm_layout_copy {
	struct xshm_wire_header hdr;
	struct xshm_wire_chan chan[XSHM_WIRE_CHAN_MAX];
};

int xshm__layout_read(const struct xshm_region *r,
		     struct xshm_layout_copy *out);
int xshm__layout_find(const struct xshm_region *r, const char *name,
		     struct xshm_wire_chan *chan, uint64_t *generation);

static inline int xshm__stale(const struct xshm_region *r, uint64_t gen)
{
	return xshm_wire_layout_stale(r->base, gen);
}

/* polling with spin, then exponentially growing sleeps, then timeout */
struct xshm_waiter {
	struct xshm_wait_policy wp;
	int timeout_ms;		/* < 0: wait forever */
	uint64_t deadline_ns;	/* set by the first xshm__waiter_next() */
	uint32_t spins;
	uint32_t sleep_us;
};

extern const struct xshm_wait_policy xshm__default_wait;
uint64_t xshm__now_ns(void);
void xshm__waiter_start(struct xshm_waiter *w, const struct xshm_wait_policy *wp,
		       int timeout_ms);
/* 0: poll again; -ETIMEDOUT once the deadline passed */
int xshm__waiter_next(struct xshm_waiter *w);
void xshm__cpu_relax(void);
/*
 * Call try(arg) until it returns something other than -EAGAIN, polling
 * with wp in between; -ETIMEDOUT after timeout_ms (< 0: never).
 */
int xshm__poll(const struct xshm_wait_policy *wp, int timeout_ms,
	       int (*try)(void *arg), void *arg);

struct xshm_ring {
	struct xshm_region *region;
	enum xshm_role role;
	struct xshm_wire_chan chan;
	uint64_t generation;
	struct xshm_wait_policy wait;

	/* producer side: the freestanding implementation */
	struct xshm_peer_ring p;

	/* consumer side */
	struct xshm_wire_ring_prod *prod;
	struct xshm_wire_ring_cons *cons;
	unsigned char *data;
	uint64_t cap, mask;
	uint32_t stride;
	uint64_t tail;		/* released position (private copy) */
	uint64_t peek_pos;	/* var: end of the records peeked */
	uint64_t head_cache;	/* producer head last read */
	uint32_t expect_seq;	/* var: seq expected after the tail */
	uint32_t peek_seq;	/* var: seq expected after peek_pos */
	uint64_t peek_lost;	/* losses seen by unreleased peeks */
	uint64_t lost;		/* private copy of cons->lost */
	uint64_t corrupt;
	_Atomic uint64_t *cons_owner;	/* cons->owner */
	unsigned int cons_depth;	/* nested enters of the consumer */
	/* OVERWRITE var rings: peeked records are copied here */
	unsigned char *copy;
	uint64_t copy_used;

	/* doorbell (doorbell.c): NULL polls */
	struct xshm_doorbell *db;
	bool db_owned;		/* opened from the configuration */
	bool db_said;		/* the polling fallback was reported */
	struct xshm_peer_bell bell;
};

struct xshm_value {
	struct xshm_region *region;
	uint64_t generation;
	enum xshm_role role;
	struct xshm_wire_chan chan;
	struct xshm_peer_value v;	/* layout of the channel; writer state */
	unsigned char *scratch;		/* 2 * span: candidate and best */
	struct xshm_wait_policy wait;	/* readers: while a write is on */
	struct xshm_doorbell *db;	/* doorbell-value.c; NULL polls */
	bool db_owned;
	bool db_said;			/* the polling fallback was reported */
	struct xshm_peer_bell bell;
};

/* after a write: ring the reader if it announced (doorbell-value.c) */
void xshm__db_value_written(struct xshm_value *sl);
void xshm__db_value_detach(struct xshm_value *sl);

/*
 * Doorbell hooks (doorbell.c): after a producer published and
 * after a consumer call (its tail may have moved), ring the other side if
 * it announced sleep; a ring wait sleeps on the doorbell, else polls.
 */
void xshm__db_after_publish(struct xshm_ring *ring);
void xshm__db_after_consume(struct xshm_ring *ring);
int xshm__ring_wait(struct xshm_ring *ring, int timeout_ms,
		    int (*try)(void *arg), void *arg);
void xshm__db_detach(struct xshm_ring *ring);

static inline int xshm__db_published(struct xshm_ring *ring, int ret)
{
	if (ring->db)	/* a failed batch may have published a part */
		xshm__db_after_publish(ring);
	return ret;
}

/*
 * The one entry check of every ring call: handle, role, channel type,
 * layout generation.  A producer's write path already open (reservations
 * pending) may finish: an initialiser waits for it on the owner word,
 * which decides.
 */
static inline int xshm__ring_check(struct xshm_ring *ring, enum xshm_role role,
				   uint32_t type)
{
	if (!ring)
		return -EINVAL;
	if (ring->role != role)
		return -EPERM;
	if (ring->chan.type != type)
		return -EINVAL;
	if (role == XSHM_PRODUCER && ring->p.pending)
		return 0;
	return xshm__stale(ring->region, ring->generation);
}

int xshm__ring_var_peek(struct xshm_ring *ring, struct xshm_record *rec);

/* ring-fixed.c and ring-var.c, for ring-overwrite.c */
int xshm__fixed_publish_tail(struct xshm_ring *ring, uint64_t lost, int ret);
uint64_t xshm__var_record_size(const struct xshm_ring *ring, uint64_t hdr,
			       uint64_t pos, uint64_t avail);
void xshm__var_deliver(struct xshm_ring *ring, struct xshm_record *rec,
		       const void *data, uint64_t hdr, uint64_t size);
int xshm__var_release_peeked(struct xshm_ring *ring);

/*
 * Batches.  The caller's buffer takes each record at the next multiple of
 * 8; cap was clamped so that these offsets cannot overflow.
 */
struct xshm__batch {
	unsigned char *buf;
	size_t cap, at;
	struct xshm_record *recs;
	unsigned int max, n;
	uint64_t pos;		/* after the last record walked */
	uint64_t end;		/* after the last record taken */
	int stop;		/* why the walk ended early: -EMSGSIZE/-EBADMSG */
	uint64_t stop_pos;	/* where */
};

void xshm__var_batch_walk(struct xshm_ring *ring, struct xshm__batch *b,
			  uint64_t head, bool shared_copy);
int xshm__var_batch_deliver(struct xshm_ring *ring, struct xshm__batch *b,
			    unsigned int from);

/* the OVERWRITE protocol's consumer side, ring-overwrite.c */
int xshm__overwrite_bounds(struct xshm_ring *ring, uint64_t *head,
			   uint64_t *oldest);
int xshm__fixed_pop_overwrite(struct xshm_ring *ring, unsigned char *dst,
			      unsigned int max);
int xshm__var_peek_overwrite(struct xshm_ring *ring, struct xshm_record *rec);
int xshm__var_recv_batch_overwrite(struct xshm_ring *ring,
				   struct xshm__batch *b);

/*
 * A consumer call runs between these, on its owner word (see
 * xshm_peer_owner_enter()): its stores (tail, lost, next_seq) cannot land
 * in a new layout, and an initialiser does not reuse the memory it reads
 * meanwhile, so what it validates is the ring it attached to.  They nest
 * (recv = peek + release); leave returns ret, or -ESTALE if the layout
 * was taken over meanwhile.
 */
static inline int xshm__cons_enter(struct xshm_ring *ring)
{
	int err = 0;

	if (ring->cons_depth == 0)
		err = xshm_peer_owner_enter(ring->cons_owner,
					    ring->generation);
	if (!err)
		ring->cons_depth++;
	return err;
}

static inline int xshm__cons_leave(struct xshm_ring *ring, int ret)
{
	int err = 0;

	if (--ring->cons_depth == 0) {
		err = xshm_peer_owner_exit(ring->cons_owner, ring->generation);
		if (ring->db)
			xshm__db_after_consume(ring);
	}
	return err ? err : ret;
}

#endif /* XSHM_INTERNAL_H */
