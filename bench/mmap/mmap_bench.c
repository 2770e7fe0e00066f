// SPDX-License-Identifier: GPL-2.0
/*
 * mmap-bench: memcpy throughput through a /dev/xshm<N> mapping against
 * anonymous memory of the same size, in the same run, alternating so both
 * see the same machine.  A write-back mapping should be as fast as RAM
 * (goal: ratio >= 0.9); an uncached one is 10-100x slower.
 *
 *   mmap-bench [DEVICE [ROUNDS]]     default /dev/xshm0, 50 rounds
 *
 * Prints one line: "# mmap ratio R (...)".  Timings are reported, never
 * asserted.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/xshm.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds for one copy into @mem and one back out of it. */
static double copy_round(unsigned char *mem, unsigned char *src,
			 unsigned char *dst, size_t len)
{
	double t = now();

	memcpy(mem, src, len);
	memcpy(dst, mem, len);
	/* Keep the copies from being optimised away. */
	__asm__ volatile("" : : "r"(mem), "r"(dst) : "memory");
	return now() - t;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/xshm0";
	int rounds = argc > 2 ? atoi(argv[2]) : 50;
	struct xshm_region_info info = { .argsz = sizeof(info) };
	unsigned char *shm, *anon, *src, *dst;
	double best_shm = 1e9, best_anon = 1e9, t;
	size_t len;
	int fd, i;

	fd = open(path, O_RDWR);
	if (fd < 0 || ioctl(fd, XSHM_IOC_INFO, &info)) {
		perror(path);
		return 1;
	}
	len = info.size;
	shm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	anon = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	src = malloc(len);
	dst = malloc(len);
	if (shm == MAP_FAILED || anon == MAP_FAILED || !src || !dst) {
		perror("mmap-bench: setup");
		return 1;
	}
	memset(src, 0x5a, len);
	memset(dst, 0, len);
	memset(anon, 0, len);

	/* Warm up both, then keep the best of alternating rounds. */
	copy_round(shm, src, dst, len);
	copy_round(anon, src, dst, len);
	for (i = 0; i < rounds; i++) {
		t = copy_round(shm, src, dst, len);
		if (t < best_shm)
			best_shm = t;
		t = copy_round(anon, src, dst, len);
		if (t < best_anon)
			best_anon = t;
	}

	printf("# mmap ratio %.2f (xshm %.0f MB/s, anonymous %.0f MB/s, memcpy in+out of %zu KiB, best of %d)\n",
	       best_anon / best_shm, 2.0 * (double)len / best_shm / 1e6,
	       2.0 * (double)len / best_anon / 1e6, len >> 10, rounds);
	return 0;
}
