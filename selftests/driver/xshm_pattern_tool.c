// SPDX-License-Identifier: GPL-2.0
/*
 * xshm-pattern: write or check a reproducible pattern through a shared
 * mapping of a file: /dev/xshm<N> in a guest, or the host's backend file.
 *
 *   xshm-pattern write|check PATH OFFSET LENGTH SEED
 *   xshm-pattern wait PATH OFFSET LENGTH SEED SECONDS
 *
 * OFFSET must be page-aligned.  check exits 1 and names the first wrong
 * byte when the memory does not hold SEED's pattern; wait polls until it
 * does (another guest is writing it) or SECONDS pass.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "xshm_pattern.h"

int main(int argc, char **argv)
{
	unsigned long long off, len, seed;
	unsigned char *map;
	int write_mode, wait_mode, fd;
	time_t deadline = 0;
	size_t bad;

	write_mode = argc == 6 && !strcmp(argv[1], "write");
	wait_mode = argc == 7 && !strcmp(argv[1], "wait");
	if (!write_mode && !wait_mode &&
	    (argc != 6 || strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: %s write|check PATH OFFSET LENGTH SEED\n"
			"       %s wait PATH OFFSET LENGTH SEED SECONDS\n",
			argv[0], argv[0]);
		return 2;
	}
	if (wait_mode)
		deadline = time(NULL) + atoi(argv[6]);
	off = strtoull(argv[3], NULL, 0);
	len = strtoull(argv[4], NULL, 0);
	seed = strtoull(argv[5], NULL, 0);

	fd = open(argv[2], write_mode ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	map = mmap(NULL, len, write_mode ? PROT_READ | PROT_WRITE : PROT_READ,
		   MAP_SHARED, fd, (off_t)off);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	if (write_mode) {
		/* Shared mappings need no msync to be seen by other mappers. */
		pattern_fill(map, len, seed, 0);
		return 0;
	}
	bad = pattern_check(map, len, seed, 0);
	while (bad != len && time(NULL) < deadline) {
		usleep(10000);
		bad = pattern_check(map, len, seed, 0);
	}
	if (bad != len) {
		printf("%s: byte 0x%zx is 0x%02x, pattern %llu wants 0x%02x\n",
		       argv[2], bad, map[bad], seed, pattern_byte(seed, bad));
		return 1;
	}
	return 0;
}
