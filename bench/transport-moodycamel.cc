// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Peer: moodycamel::ReaderWriterQueue (Debian libreaderwriterqueue-dev),
 * try_enqueue/try_dequeue, in the shared file, used by two processes.
 *
 * Unlike the other peers its layout is not position-independent: the
 * queue is a circular list of blocks that it malloc()s and links by
 * pointer (frontBlock, tailBlock, Block::next, Block::data).  So:
 *  - the file is mapped a second time at one fixed address, in the
 *    creating process before the harness forks, and the child inherits
 *    that mapping: both processes see the queue at the same address
 *    (the harness's own per-process mapping is not used);
 *  - the queue's std::malloc is redirected, while its header is
 *    compiled, to a bump allocator inside that mapping, so its blocks
 *    are in the file too.  Only the constructor allocates: try_enqueue
 *    never does, and the queue is never destroyed (the file is).
 * Its sizing is its own: a queue for `slots` elements, blocks of at most
 * 512 (the default MAX_BLOCK_SIZE).  It has no batch call: a batch is a
 * loop of single calls.  Built with -DNDEBUG, as a release build of a
 * user would be (without it every call also sets and clears a debug
 * re-entrancy flag).
 */
#include <atomic>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <unistd.h>

extern "C" {
#include "bench-transport.h"
}

/* the allocator the queue's constructor gets instead of malloc */
namespace std {
void *bench_shm_alloc(size_t n);
}
#define malloc bench_shm_alloc
#include <readerwriterqueue/readerwriterqueue.h>
#undef malloc

static char *arena, *arena_end;

void *std::bench_shm_alloc(size_t n)
{
	char *p = arena;

	n = (n + 63) & ~size_t(63);
	if (!p || n > size_t(arena_end - p))
		return nullptr;
	arena += n;
	return p;
}

/* where both processes see the queue: clear of glibc's mappings and of
 * ASan's shadow and allocator (the selftest runs this under ASan) */
static void *const FIXED = reinterpret_cast<void *>(0x680000000000ull);
static size_t fixed_size;

template <size_t N> struct msg {
	unsigned char b[N];
};
template <size_t N> using queue = moodycamel::ReaderWriterQueue<msg<N>>;

static size_t pow2_above(size_t n)
{
	size_t p = 1;

	while (p <= n)
		p *= 2;
	return p;
}

/* queue objects first, then the arena their blocks come from */
static size_t mc_shm_size(size_t msg, unsigned int slots, unsigned int nchan)
{
	/* at most two blocks' worth of spare elements, plus block headers */
	size_t blocks = 2 * pow2_above(slots) * msg + 64 * 1024;

	return bench_align(nchan * 256) + nchan * bench_align(blocks);
}

template <size_t N> static void construct(void *p, unsigned int slots)
{
	new (p) queue<N>(slots);
}

static int mc_setup(const char *path, void *base, size_t msg,
		    unsigned int slots, unsigned int nchan)
{
	int fd = open(path, O_RDWR);
	void *p;

	(void)base;
	if (fd < 0)
		return -errno;
	fixed_size = mc_shm_size(msg, slots, nchan);
	p = mmap(FIXED, fixed_size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_POPULATE, fd, 0);
	close(fd);
	if (p != FIXED)
		return p == MAP_FAILED ? -errno : -EADDRINUSE;
	static_assert(sizeof(queue<4096>) <= 256, "queue object too large");
	arena = static_cast<char *>(FIXED) + bench_align(nchan * 256);
	arena_end = static_cast<char *>(FIXED) + fixed_size;
	for (unsigned int i = 0; i < nchan; i++) {
		char *q = static_cast<char *>(FIXED) + i * 256;

		switch (msg) {
		case 8: construct<8>(q, slots); break;
		case 64: construct<64>(q, slots); break;
		case 4096: construct<4096>(q, slots); break;
		default: return -EINVAL;
		}
	}
	return 0;
}

struct mc_end {
	void *q;
	size_t msg;
};

static void *mc_open(const char *path, void *base, size_t msg,
		     unsigned int slots, unsigned int chan, int producer)
{
	(void)path, (void)base, (void)slots, (void)producer;
	/* the creator's fixed mapping, inherited across the harness's fork */
	if (msg != 8 && msg != 64 && msg != 4096)
		return nullptr;
	return new (std::nothrow) mc_end{ static_cast<char *>(FIXED) + chan * 256,
					  msg };
}

template <size_t N>
static unsigned int send_n(void *q, const void *msgs, unsigned int n)
{
	const msg<N> *m = static_cast<const msg<N> *>(msgs);
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!static_cast<queue<N> *>(q)->try_enqueue(m[i]))
			break;
	return i;
}

template <size_t N>
static unsigned int recv_n(void *q, void *msgs, unsigned int max)
{
	msg<N> *m = static_cast<msg<N> *>(msgs);
	unsigned int i;

	for (i = 0; i < max; i++)
		if (!static_cast<queue<N> *>(q)->try_dequeue(m[i]))
			break;
	return i;
}

static unsigned int mc_send(void *h, const void *msgs, unsigned int n)
{
	mc_end *e = static_cast<mc_end *>(h);

	switch (e->msg) {
	case 8: return send_n<8>(e->q, msgs, n);
	case 64: return send_n<64>(e->q, msgs, n);
	default: return send_n<4096>(e->q, msgs, n);
	}
}

static unsigned int mc_recv(void *h, void *msgs, unsigned int max)
{
	mc_end *e = static_cast<mc_end *>(h);

	switch (e->msg) {
	case 8: return recv_n<8>(e->q, msgs, max);
	case 64: return recv_n<64>(e->q, msgs, max);
	default: return recv_n<4096>(e->q, msgs, max);
	}
}

static void mc_close(void *h)
{
	delete static_cast<mc_end *>(h);
}

extern "C" const struct bench_transport bench_transport = {
	"moodycamel_rwq",
	"two processes; queue and its blocks in the shared file, mapped at "
	"one fixed address in both (its blocks are linked by pointer)",
	0,
	4096,
	mc_shm_size,
	mc_setup,
	mc_open,
	mc_send,
	mc_recv,
	mc_close,
};
