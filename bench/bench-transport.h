/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The interface every benchmarked channel implements.  The harness
 * (bench-harness.c) owns processes, pinning, timing and checking; a
 * transport only knows how to lay out, open, send and receive.
 *
 * Messages are fixed-size (msg bytes) and contiguous in the caller's
 * buffers.  send/recv never block: they move what they can and return the
 * count, so every implementation is driven by the same polling loop.
 */
#ifndef BENCH_TRANSPORT_H
#define BENCH_TRANSPORT_H

#include <stddef.h>

/* transport flags */
#define BT_LOSSY	0x1u	/* readers see the latest value only (seqlocks) */
#define BT_LAT_ONLY	0x2u	/* no queue: only the round-trip test is meaningful */

struct bench_transport {
	const char *name;
	/* where the channel lives, for the report */
	const char *placement;
	unsigned int flags;
	/* largest message this build supports (0: any) */
	size_t max_msg;
	/* bytes of shared file needed for nchan channels */
	size_t (*shm_size)(size_t msg, unsigned int slots, unsigned int nchan);
	/*
	 * Called once, by the creating process, on the freshly created
	 * zeroed file at path, mapped at base.  Returns 0 or -errno.
	 */
	int (*setup)(const char *path, void *base, size_t msg,
		     unsigned int slots, unsigned int nchan);
	/*
	 * Open one end of channel chan in this process (base is this
	 * process's own mapping of path).  Returns a handle or NULL.
	 */
	void *(*open)(const char *path, void *base, size_t msg,
		      unsigned int slots, unsigned int chan, int producer);
	unsigned int (*send)(void *h, const void *msgs, unsigned int n);
	unsigned int (*recv)(void *h, void *msgs, unsigned int max);
	void (*close)(void *h);
};

/* each benchmark binary links exactly one transport, defined under this name */
extern const struct bench_transport bench_transport;

/*
 * The same ring for everyone, limits included: 4096 slots, halved down to
 * 64 while they hold more than 1 MiB of payload.
 */
static inline unsigned int bench_ring_slots(size_t msg)
{
	unsigned int slots = 4096;

	while (slots > 64 && slots * msg > (1u << 20))
		slots /= 2;
	return slots;
}

/* lay channels out back to back on 128-byte boundaries (adjacent-line prefetch) */
#define BENCH_ALIGN	128u

static inline size_t bench_align(size_t n)
{
	return (n + BENCH_ALIGN - 1) & ~(size_t)(BENCH_ALIGN - 1);
}

#endif /* BENCH_TRANSPORT_H */
