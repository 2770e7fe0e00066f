// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Time from the generic timer's virtual counter (CNTVCT_EL0/CNTFRQ_EL0). */
#include "rt.h"

uint64_t rt_now_us(void)
{
	uint64_t t = rt_ticks(), f = rt_freq();

	return t / f * 1000000u + t % f * 1000000u / f;
}

void rt_delay_us(uint64_t us)
{
	uint64_t end = rt_now_us() + us;

	while (rt_now_us() < end)
		__asm__ volatile("yield");
}
