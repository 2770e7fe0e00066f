/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reproducible byte pattern: what one side writes into a region and the
 * other side (another process, guest or the host) checks, byte for byte.
 */
#ifndef XSHM_PATTERN_H
#define XSHM_PATTERN_H

#include <stddef.h>
#include <stdint.h>

static inline uint8_t pattern_byte(uint64_t seed, uint64_t pos)
{
	/* splitmix64 of (seed, pos): no two nearby bytes or seeds agree. */
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + pos;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint8_t)(z ^ (z >> 31));
}

/* Pattern of @seed for bytes [@pos, @pos + @len) into @buf. */
static inline void pattern_fill(void *buf, size_t len, uint64_t seed,
				uint64_t pos)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(seed, pos + i);
}

/* Index of the first byte that differs from the pattern, or @len. */
static inline size_t pattern_check(const void *buf, size_t len,
				   uint64_t seed, uint64_t pos)
{
	const volatile uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, pos + i))
			return i;
	return len;
}

#endif
