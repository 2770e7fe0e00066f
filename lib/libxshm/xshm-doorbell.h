/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * xshm-doorbell.h: the doorbell protocol of wire format 3.1, freestanding
 * (no libc), for any side of a ring: libxshm uses it, and so can an RTOS
 * or bare-metal peer.  See Documentation/wire-format.md, "Doorbells".
 *
 * Each ring block holds a struct xshm_wire_bell written by that block's
 * side.  A side that must wait (consumer: empty, producer: full):
 *
 *     if (!xshm_peer_bell_announce(&b))    ... the other side never rings: poll
 *     if (condition now true)              xshm_peer_bell_awake(&b); done
 *     xshm_peer_bell_slept(&b); sleep until rung (WFI, an event channel fd)
 *     xshm_peer_bell_awake(&b); start over
 *
 * and the other side, after every store the waiter may wait for (the
 * producer's head, the consumer's tail):
 *
 *     if (xshm_peer_bell_should_ring(&b)) { ring it; xshm_peer_bell_rang(&b); }
 *
 * The two seq_cst fences make this the store-buffering shape: the waiter's
 * re-check sees the new position, or the notifier sees the ticket.
 */
#ifndef XSHM_DOORBELL_H
#define XSHM_DOORBELL_H

#include "xshm-peer.h"

struct xshm_peer_bell {
	struct xshm_wire_bell *mine;	/* shared: this side's words */
	struct xshm_wire_bell *theirs;	/* shared: the other side's */
	uint64_t ticket;	/* last ticket announced */
	uint64_t rung;		/* their ticket last rung */
	uint64_t notified, sleeps;	/* private copies of the counters */
};

/*
 * Start ringing: seed is any value that differs across restarts of this
 * side (a clock, a boot counter), so that a ticket is not mistaken for
 * one rung before.  Call xshm_peer_bell_should_ring() right after: the
 * other side may have gone to sleep before this side rang.
 */
static inline void xshm_peer_bell_init(struct xshm_peer_bell *b,
				       struct xshm_wire_bell *mine,
				       struct xshm_wire_bell *theirs,
				       uint64_t seed)
{
	b->mine = mine;
	b->theirs = theirs;
	b->ticket = seed;
	b->rung = 0;
	b->notified = atomic_load_explicit(&mine->notified,
					   memory_order_relaxed);
	b->sleeps = atomic_load_explicit(&mine->sleeps, memory_order_relaxed);
	atomic_store_explicit(&mine->sleep, 0, memory_order_relaxed);
	/* read by the waiter after its announce fence */
	atomic_store_explicit(&mine->ring, 1, memory_order_relaxed);
}

/* stop ringing: the other side polls from its next wait on */
static inline void xshm_peer_bell_off(struct xshm_peer_bell *b)
{
	atomic_store_explicit(&b->mine->ring, 0, memory_order_relaxed);
	atomic_store_explicit(&b->mine->sleep, 0, memory_order_relaxed);
}

/* after a position store: 1 if the other side sleeps and was not rung */
static inline int xshm_peer_bell_should_ring(struct xshm_peer_bell *b)
{
	uint64_t t;

	/* LMM_DB_NOTIFY_FENCE: pairs with LMM_DB_ANNOUNCE_FENCE (our
	 * position store before the sleep load) */
	atomic_thread_fence(memory_order_seq_cst);
	t = atomic_load_explicit(&b->theirs->sleep, memory_order_relaxed);
	if (!t || t == b->rung)
		return 0;
	b->rung = t;
	return 1;
}

static inline void xshm_peer_bell_rang(struct xshm_peer_bell *b)
{
	atomic_store_explicit(&b->mine->notified, ++b->notified,
			      memory_order_relaxed);
}

/*
 * Announce a sleep.  0: the other side does not ring (no doorbell, or a
 * 3.0 peer): withdrawn, poll instead.  1: announced; re-check the
 * condition (with acquire loads) before sleeping.
 */
static inline int xshm_peer_bell_announce(struct xshm_peer_bell *b)
{
	if (++b->ticket == 0)
		b->ticket = 1;
	atomic_store_explicit(&b->mine->sleep, b->ticket, memory_order_relaxed);
	/* LMM_DB_ANNOUNCE_FENCE: pairs with LMM_DB_NOTIFY_FENCE (the ticket
	 * before the re-check's loads) */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&b->theirs->ring, memory_order_relaxed) == 1)
		return 1;
	atomic_store_explicit(&b->mine->sleep, 0, memory_order_relaxed);
	return 0;
}

static inline void xshm_peer_bell_slept(struct xshm_peer_bell *b)
{
	atomic_store_explicit(&b->mine->sleeps, ++b->sleeps,
			      memory_order_relaxed);
}

/* awake (or the re-check found work): withdraw the announcement */
static inline void xshm_peer_bell_awake(struct xshm_peer_bell *b)
{
	atomic_store_explicit(&b->mine->sleep, 0, memory_order_relaxed);
}

/* the two sides of a ring */
static inline void xshm_peer_bell_producer(struct xshm_peer_bell *b,
					   struct xshm_peer_ring *r,
					   uint64_t seed)
{
	xshm_peer_bell_init(b, &r->prod->bell, &r->cons->bell, seed);
}

/*
 * Value channels (SEQLOCK, LATCH): the writer rings a reader that waits
 * for a new value.  In the 128-byte control block, after the owner word:
 * the writer's words at +72 (ring, -, notified, -) and the reader's at
 * +96 (ring, sleep, -, sleeps).  The writer never sleeps: its sleeps word
 * would be the reader's ring word (+96, informative), which only the
 * reader writes.
 */
#define XSHM_WIRE_VALUE_BELL_W_OFF	72u
#define XSHM_WIRE_VALUE_BELL_R_OFF	96u

static inline void xshm_peer_bell_value_writer(struct xshm_peer_bell *b,
					       struct xshm_peer_value *v,
					       uint64_t seed)
{
	xshm_peer_bell_init(b, (struct xshm_wire_bell *)(void *)
			    (v->block + XSHM_WIRE_VALUE_BELL_W_OFF),
			    (struct xshm_wire_bell *)(void *)
			    (v->block + XSHM_WIRE_VALUE_BELL_R_OFF), seed);
}

/*
 * Xen: ring a static event channel from a guest without an OS, with the
 * EVTCHNOP_send hypercall (__HYPERVISOR_event_channel_op = 32,
 * EVTCHNOP_send = 4, struct evtchn_send { uint32_t port; }).  port is this
 * domain's local port (the first cell of its xen,evtchn host-tree node).
 * The argument is passed by address: the caller's stack must be mapped at
 * the address the CPU uses (identity-mapped or MMU off).  Returns Xen's
 * answer: 0, or a negative Xen errno.
 */
#define XSHM_XEN_HYPERVISOR_event_channel_op 32
#define XSHM_XEN_EVTCHNOP_send 4

struct xshm_xen_evtchn_send {
	uint32_t port;
};

#if defined(__aarch64__)
static inline long xshm_xen_evtchn_send(uint32_t port)
{
	struct xshm_xen_evtchn_send op = { port };
	register unsigned long x0 __asm__("x0") = XSHM_XEN_EVTCHNOP_send;
	register unsigned long x1 __asm__("x1") = (unsigned long)&op;
	register unsigned long x16 __asm__("x16") =
		XSHM_XEN_HYPERVISOR_event_channel_op;

	/* Xen's AArch64 hypercall: HVC #0xEA1, number in x16, args x0.. */
	__asm__ __volatile__("hvc #0xEA1"
			     : "+r"(x0)
			     : "r"(x1), "r"(x16)
			     : "memory");
	return (long)x0;
}
#endif

#endif /* XSHM_DOORBELL_H */
