/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The bare-metal RT domain's own small services (no libc anywhere). */
#ifndef RT_H
#define RT_H

#include <stddef.h>
#include <stdint.h>

/* console: Xen's emulated PL011 (vpl011) */
void uart_puts(const char *s);
void uart_hex(uint64_t v);
void uart_dec(uint64_t v);

/* generic timer */
static inline uint64_t rt_ticks(void)
{
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

static inline uint64_t rt_freq(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

uint64_t rt_now_us(void);
void rt_delay_us(uint64_t us);

/* device tree: the region and our bootargs */
struct rt_fdt_info {
	uint64_t shm_base, shm_size;
	const char *shm_id;		/* in the tree */
	const char *bootargs;		/* in the tree, or 0 */
	unsigned int nregions;
};
/* want_id 0: the first region; returns 0 or a negative reason */
int rt_fdt_scan(const void *fdt, const char *want_id, size_t want_len,
		struct rt_fdt_info *out);

/* MMU: identity map, RAM and the region Normal WB, low 1 GB Device */
void rt_mmu_on(void);
/* AT S1E1R on va: 0 and the PAR_EL1 attributes byte, or -1 (fault) */
int rt_mmu_probe(uint64_t va, uint64_t *par);
/* clean and invalidate [va, va + len) to the point of coherency */
void rt_dcache_clean_inval(uint64_t va, uint64_t len);

/* entry again, MMU off, as after a watchdog reset (start.S) */
void rt_restart_jump(uint64_t dtb, uint64_t count) __attribute__((noreturn));

/* the compiler's freestanding needs */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);

#endif
