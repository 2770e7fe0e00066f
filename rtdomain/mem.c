// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * memcpy and memset: GCC may emit calls to them even in a freestanding
 * build (struct copies, xshm-peer.h's __builtin_memcpy).  Byte loops, so
 * that they never make an unaligned access while the MMU is off.
 */
#include "rt.h"

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *dp = d;

	while (n--)
		*dp++ = (unsigned char)c;
	return d;
}
