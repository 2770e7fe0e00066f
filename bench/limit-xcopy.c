// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Limit: two-core copy bandwidth.  Single-core memcpy (limit-memcpy.c)
 * moves no line between caches; a ring must move every payload line from
 * the producer's core to the consumer's.  Here nothing else moves: a
 * shared buffer is handed over in chunks, one flag line each, so
 * synchronisation costs next to nothing.  The producer, pinned to CPU A,
 * copies msg-byte pieces from a small hot buffer into a chunk and sets its
 * flag; the consumer, pinned to CPU B, copies them out into a small hot
 * buffer and clears it.  The consumer times all but the first tenth, as
 * the harness does.
 *
 * How fast this goes depends on the chunk and on the buffer: a buffer as
 * large as the ring (1 MiB for 4 KiB messages) that the producer fills
 * far ahead leaves the producer's cache before the consumer reads it,
 * while a ring whose consumer keeps up works in a few hot lines.  One
 * configuration is therefore no ceiling (4 KiB rings beat 32 KiB chunks
 * over 1 MiB).  run.sh measures several (CHUNK, BUFFER) and the report
 * takes the best as the two-core limit, and says so if a ring beats it.
 * Prints the harness's CSV rows as impl xcopy_<chunk>k_<buffer>k.
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

#define CHUNKS_MIN	2u	/* a small buffer is still handed over in parts */
#define CHUNKS_MAX	1024u

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
static inline __attribute__((always_inline)) void
run_n(struct shared *s, int side, size_t msg, unsigned int chunks,
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

/*
 * msg a compile-time constant for the benchmark's sizes, as in the
 * peers' typed copies (a libc call per 8-byte piece measures the call)
 */
static void run(struct shared *s, int side, size_t msg, unsigned int chunks,
		size_t per_chunk, unsigned long count)
{
	switch (msg) {
	case 8: run_n(s, side, 8, chunks, per_chunk, count); break;
	case 64: run_n(s, side, 64, chunks, per_chunk, count); break;
	case 4096: run_n(s, side, 4096, chunks, per_chunk, count); break;
	default: run_n(s, side, msg, chunks, per_chunk, count); break;
	}
}

int main(int argc, char **argv)
{
	size_t msg, slots, per_chunk, chunk_bytes, buf_bytes;
	unsigned int chunks;
	unsigned long count, timed;
	unsigned int rep;
	struct shared *s;
	int cpu_a, cpu_b, status;
	double secs;
	pid_t pid;

	if (argc != 8) {
		fprintf(stderr, "usage: %s MSG COUNT CPU_A CPU_B REP CHUNK BUFFER\n"
			"  (CHUNK and BUFFER in bytes; BUFFER 0: the ring's payload)\n",
			argv[0]);
		return 2;
	}
	msg = strtoul(argv[1], NULL, 0);
	count = strtoul(argv[2], NULL, 0);
	cpu_a = atoi(argv[3]);
	cpu_b = atoi(argv[4]);
	rep = strtoul(argv[5], NULL, 0);
	chunk_bytes = strtoul(argv[6], NULL, 0);
	buf_bytes = strtoul(argv[7], NULL, 0);
	if (!msg || count < 10 || !chunk_bytes)
		return 2;
	slots = buf_bytes ? buf_bytes / msg : bench_ring_slots(msg);
	if (slots < CHUNKS_MIN)
		return 2;
	chunks = slots * msg / chunk_bytes;
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
	printf("xcopy_%zuk_%zuk,tput,%zu,1,%u,msgs_per_s,%.6g\n",
	       per_chunk * msg >> 10, slots * msg >> 10, msg, rep, timed / secs);
	printf("xcopy_%zuk_%zuk,tput,%zu,1,%u,bytes_per_s,%.6g\n",
	       per_chunk * msg >> 10, slots * msg >> 10, msg, rep,
	       timed * msg / secs);
	return 0;
}
