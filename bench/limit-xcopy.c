// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Limit: two-core copy bandwidth, the byte-throughput ceiling of any ring
 * between two cores.  Single-core memcpy (limit-memcpy.c) moves no line
 * between caches; a ring must move every payload line from the producer's
 * core to the consumer's.  Here nothing else moves: a ring-sized shared
 * buffer (at most 1 MiB) is handed over in chunks of 32 KiB (an L1 data
 * cache; the fastest of 16, 32 and 64 KiB here), one flag line each, so
 * synchronisation costs next to nothing.  The producer, pinned to
 * CPU A, copies msg-byte chunks from a small hot buffer into a chunk and
 * sets its flag; the consumer, pinned to CPU B, copies them out into a
 * small hot buffer and clears it.  The consumer times all but the first
 * tenth, as the harness does.  Prints the harness's CSV rows.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-clock.h"
#include "bench-transport.h"

#define CHUNK_BYTES	(32u << 10)
#define CHUNKS_MIN	4u	/* a small ring is still handed over in parts */
#define CHUNKS_MAX	32u	/* 1 MiB / CHUNK_BYTES */

struct shared {
	struct {
		_Atomic unsigned int full;
		char pad[60];
	} flag[CHUNKS_MAX];
	/* the consumer's timing: all but the first tenth (whole chunks) */
	_Atomic unsigned long long elapsed_ns, timed;
	char pad[48];
	unsigned char data[];
};

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
}

/* move count messages of msg bytes, per_chunk to a chunk; side 0 produces */
static void run(struct shared *s, int side, size_t msg, unsigned int chunks,
		size_t per_chunk, unsigned long count)
{
	unsigned char *hot = aligned_alloc(64, (msg + 63) & ~(size_t)63);
	unsigned long n = 0, n0 = 0, warm = count / 10;
	uint64_t t0 = 0;

	if (!hot)
		exit(2);
	memset(hot, 0x5a, msg);
	for (unsigned int c = 0; n < count; c = (c + 1) % chunks) {
		unsigned char *chunk = s->data + c * per_chunk * msg;
		size_t i;

		while (atomic_load_explicit(&s->flag[c].full,
					    memory_order_acquire) == !side)
			bench_relax();
		if (side && !t0 && n >= warm) {
			t0 = bench_now_ns();
			n0 = n;
		}
		for (i = 0; i < per_chunk && n < count; i++, n++) {
			if (side)
				memcpy(hot, chunk + i * msg, msg);
			else
				memcpy(chunk + i * msg, hot, msg);
			__asm__ __volatile__("" : : "r"(hot) : "memory");
		}
		atomic_store_explicit(&s->flag[c].full, !side,
				      memory_order_release);
	}
	if (side) {
		atomic_store(&s->elapsed_ns, bench_now_ns() - t0);
		atomic_store(&s->timed, count - n0);
	}
	free(hot);
}

int main(int argc, char **argv)
{
	size_t msg, slots, per_chunk;
	unsigned int chunks;
	unsigned long count, timed;
	unsigned int rep;
	struct shared *s;
	int cpu_a, cpu_b, status;
	double secs;
	pid_t pid;

	if (argc != 6) {
		fprintf(stderr, "usage: %s MSG COUNT CPU_A CPU_B REP\n", argv[0]);
		return 2;
	}
	msg = strtoul(argv[1], NULL, 0);
	count = strtoul(argv[2], NULL, 0);
	cpu_a = atoi(argv[3]);
	cpu_b = atoi(argv[4]);
	rep = strtoul(argv[5], NULL, 0);
	if (!msg || count < 10)
		return 2;
	slots = bench_ring_slots(msg);
	chunks = slots * msg / CHUNK_BYTES;
	if (chunks < CHUNKS_MIN)
		chunks = CHUNKS_MIN;
	if (chunks > CHUNKS_MAX)
		chunks = CHUNKS_MAX;
	per_chunk = slots / chunks;
	s = mmap(NULL, sizeof(*s) + slots * msg, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		pin(cpu_a);
		run(s, 0, msg, chunks, per_chunk, count);
		_exit(0);
	}
	pin(cpu_b);
	run(s, 1, msg, chunks, per_chunk, count);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 1;
	timed = atomic_load(&s->timed);
	secs = atomic_load(&s->elapsed_ns) / 1e9;
	printf("xcopy,tput,%zu,1,%u,msgs_per_s,%.6g\n", msg, rep, timed / secs);
	printf("xcopy,tput,%zu,1,%u,bytes_per_s,%.6g\n", msg, rep,
	       timed * msg / secs);
	return 0;
}
