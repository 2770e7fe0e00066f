// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Peer: Boost.Lockfree spsc_queue with compile-time capacity, which is a
 * plain object (indices and slots inline, no pointers, no allocator), so
 * it is placement-new'ed into the shared file and used from both
 * processes at different addresses.  Its indices are std::atomic<size_t>,
 * lock-free and address-free on this target (checked below).  Batches
 * use its push(const T*, n) / pop(T*, n).
 */
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>

#include <boost/lockfree/spsc_queue.hpp>

extern "C" {
#include "bench-transport.h"
}

static_assert(std::atomic<size_t>::is_always_lock_free,
	      "spsc_queue in shared memory needs lock-free indices");

template <size_t N> struct msg {
	unsigned char b[N];
};

/* the harness's slot counts: 4096 slots, at most 1 MiB of payload */
template <size_t N>
using queue = boost::lockfree::spsc_queue<msg<N>, boost::lockfree::capacity<
	(4096 * N > (1u << 20)) ? (1u << 20) / N : 4096>>;

template <size_t N> static size_t chan_size()
{
	return bench_align(sizeof(queue<N>));
}

static size_t chan_size(size_t msg)
{
	switch (msg) {
	case 8: return chan_size<8>();
	case 64: return chan_size<64>();
	case 4096: return chan_size<4096>();
	}
	return 0;
}

static size_t boost_shm_size(size_t msg, unsigned int slots, unsigned int nchan)
{
	(void)slots;
	return nchan * chan_size(msg);
}

template <size_t N> static void construct(void *p)
{
	new (p) queue<N>();
}

static int boost_setup(const char *path, void *base, size_t msg,
		       unsigned int slots, unsigned int nchan)
{
	(void)path;
	/* the queue's capacity is compile-time: only the default slot count works */
	if (!chan_size(msg) || slots != ((4096 * msg > (1u << 20)) ?
					 (1u << 20) / msg : 4096))
		return -EINVAL;
	for (unsigned int i = 0; i < nchan; i++) {
		char *c = (char *)base + i * chan_size(msg);

		switch (msg) {
		case 8: construct<8>(c); break;
		case 64: construct<64>(c); break;
		default: construct<4096>(c); break;
		}
	}
	return 0;
}

struct boost_end {
	void *q;
	size_t msg;
};

static void *boost_open(const char *path, void *base, size_t msg,
			unsigned int slots, unsigned int chan, int producer)
{
	(void)path, (void)slots, (void)producer;
	if (!chan_size(msg))
		return nullptr;
	return new (std::nothrow) boost_end{ (char *)base + chan * chan_size(msg),
					     msg };
}

template <size_t N>
static unsigned int send_n(void *q, const void *msgs, unsigned int n)
{
	return static_cast<queue<N> *>(q)->push(
		static_cast<const msg<N> *>(msgs), n);
}

template <size_t N>
static unsigned int recv_n(void *q, void *msgs, unsigned int max)
{
	return static_cast<queue<N> *>(q)->pop(static_cast<msg<N> *>(msgs),
					       max);
}

static unsigned int boost_send(void *h, const void *msgs, unsigned int n)
{
	boost_end *e = static_cast<boost_end *>(h);

	switch (e->msg) {
	case 8: return send_n<8>(e->q, msgs, n);
	case 64: return send_n<64>(e->q, msgs, n);
	default: return send_n<4096>(e->q, msgs, n);
	}
}

static unsigned int boost_recv(void *h, void *msgs, unsigned int max)
{
	boost_end *e = static_cast<boost_end *>(h);

	switch (e->msg) {
	case 8: return recv_n<8>(e->q, msgs, max);
	case 64: return recv_n<64>(e->q, msgs, max);
	default: return recv_n<4096>(e->q, msgs, max);
	}
}

static void boost_close(void *h)
{
	delete static_cast<boost_end *>(h);
}

extern "C" const struct bench_transport bench_transport = {
	"boost_spsc",
	"two processes; queue object placement-new'ed in the shared file",
	0,
	4096,
	boost_shm_size,
	boost_setup,
	boost_open,
	boost_send,
	boost_recv,
	boost_close,
};
