// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The peer side of peer_test: a minimal RTOS-style peer built from
 * xshm-peer.h alone with -ffreestanding -nostdlib (selftests/lib/Makefile
 * checks that the object needs nothing from a C library but
 * memcpy/memset).  peer_test.c, a hosted program, calls these functions
 * and checks with libxshm what they wrote.  The memory-model suite also
 * builds it for arm64, to find the ordering instructions of the peer's
 * inlined copies.
 */
#include "xshm-peer.h"
#include "xshm-doorbell.h"

static unsigned char staging[4096];

int peer_log(void *base, uint64_t size, const void *msg, size_t len);
int peer_log(void *base, uint64_t size, const void *msg, size_t len)
{
	struct xshm_peer_layout lay;
	struct xshm_peer_ring log;
	int err;

	err = xshm_peer_layout_attach(&lay, base, size);
	if (!err)
		err = xshm_peer_ring_attach(&lay, "log", &log);
	if (err)
		return err;
	xshm_peer_ring_set_staging(&log, staging, sizeof(staging));
	return xshm_peer_ring_send(&log, msg, len);
}

int peer_slots(void *base, uint64_t size, const void *slots, unsigned int n);
int peer_slots(void *base, uint64_t size, const void *slots, unsigned int n)
{
	struct xshm_peer_layout lay;
	struct xshm_peer_ring ring;
	int err;

	err = xshm_peer_layout_attach(&lay, base, size);
	if (!err)
		err = xshm_peer_ring_attach(&lay, "slots", &ring);
	if (err)
		return err;
	err = xshm_peer_ring_push(&ring, slots);
	if (err)
		return err;
	if (xshm_peer_layout_stale(&lay))
		return -XSHM_PEER_ESTALE;
	return xshm_peer_ring_push_batch(&ring, slots, n);
}

int peer_value(void *base, uint64_t size, const void *val, size_t len);
int peer_value(void *base, uint64_t size, const void *val, size_t len)
{
	struct xshm_peer_layout lay;
	struct xshm_peer_value v;
	int err;

	err = xshm_peer_layout_attach(&lay, base, size);
	if (!err)
		err = xshm_peer_value_attach(&lay, "state", 1, &v);
	if (err)
		return err;
	return xshm_peer_value_write(&v, val, len, 0);
}

/* n records (at most 16) with one commit */
int peer_sendv(void *base, uint64_t size, const char *const *msgs,
	       const size_t *lens, unsigned int n);
int peer_sendv(void *base, uint64_t size, const char *const *msgs,
	       const size_t *lens, unsigned int n)
{
	struct xshm_peer_rec recs[16];
	struct xshm_peer_layout lay;
	struct xshm_peer_ring log;
	unsigned int i;
	int err;

	if (n > 16)
		return -XSHM_PEER_EINVAL;
	err = xshm_peer_layout_attach(&lay, base, size);
	if (!err)
		err = xshm_peer_ring_attach(&lay, "log", &log);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		recs[i].data = msgs[i];
		recs[i].len = lens[i];
	}
	return xshm_peer_ring_sendv(&log, recs, n);
}

int peer_reserve(struct xshm_peer_ring *r, size_t len, void **buf);
int peer_reserve(struct xshm_peer_ring *r, size_t len, void **buf)
{
	int err = xshm_peer_ring_reserve(r, len, buf);

	return err ? err : xshm_peer_ring_commit(r);
}

/* an RTOS that boots first creates the layout itself */
static uint64_t ticks;
static uint64_t peer_now_ms(void *ctx)
{
	(void)ctx;
	return ticks++;
}

static void peer_pause(void *ctx)
{
	(void)ctx;
}

int peer_create(void *base, uint64_t size, uint64_t random);
int peer_create(void *base, uint64_t size, uint64_t random)
{
	static const struct xshm_peer_chan_spec chans[] = {
		{ "log", XSHM_WIRE_RING_VAR, XSHM_WIRE_FULL_DROP, 0, 4096 },
		{ "state", XSHM_WIRE_LWW, 0, 16, 2 },
		{ "slots", XSHM_WIRE_RING_FIXED, XSHM_WIRE_FULL_FAIL, 8, 16 },
	};
	struct xshm_peer_init_env env = { peer_now_ms, peer_pause, 0, random,
					  0 };
	struct xshm_peer_layout lay;

	return xshm_peer_layout_init(&lay, base, size, chans, 3, 0, &env);
}

/*
 * A bare-metal producer with a doorbell: log a record, ring the Linux
 * consumer through a Xen static event channel only if it sleeps.
 */
int peer_log_bell(void *base, uint64_t size, const void *msg, size_t len,
		  uint32_t port, uint64_t boot_count);
int peer_log_bell(void *base, uint64_t size, const void *msg, size_t len,
		  uint32_t port, uint64_t boot_count)
{
	struct xshm_peer_layout lay;
	struct xshm_peer_ring log;
	struct xshm_peer_bell bell;
	int err;

	err = xshm_peer_layout_attach(&lay, base, size);
	if (!err)
		err = xshm_peer_ring_attach(&lay, "log", &log);
	if (err)
		return err;
	xshm_peer_ring_set_staging(&log, staging, sizeof(staging));
	xshm_peer_bell_producer(&bell, &log, boot_count);
	err = xshm_peer_ring_send(&log, msg, len);
	if (xshm_peer_bell_should_ring(&bell)) {
#if defined(__aarch64__)
		if (xshm_xen_evtchn_send(port) == 0)
			xshm_peer_bell_rang(&bell);
#else
		(void)port;
#endif
	}
	return err;
}
