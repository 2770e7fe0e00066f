// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Stage-1 translation at EL1, identity mapped with 1 GB blocks (4K
 * granule, 39-bit VA, walks start at level 1): the lowest gigabyte
 * (vpl011, GIC) is Device-nGnRE, the rest of the guest's low memory
 * (RAM at 0x40000000 and the shared regions Xen maps there) Normal
 * write-back, inner shareable -- the same attributes Linux gives the
 * region, so that both sides' accesses are coherent and exclusives work.
 */
#include "rt.h"

#define MAIR_DEVICE_nGnRE	0x04ul	/* index 0 */
#define MAIR_NORMAL_WB		0xfful	/* index 1 */

#define PTE_BLOCK	0x1ul
#define PTE_ATTR(i)	((uint64_t)(i) << 2)
#define PTE_SH_INNER	(3ul << 8)
#define PTE_AF		(1ul << 10)
#define PTE_PXN		(1ul << 53)
#define PTE_UXN		(1ul << 54)

#define TCR_T0SZ	25ul		/* 39-bit VA */
#define TCR_IRGN0_WB	(1ul << 8)
#define TCR_ORGN0_WB	(1ul << 10)
#define TCR_SH0_INNER	(3ul << 12)
#define TCR_EPD1	(1ul << 23)	/* no TTBR1 walks */

#define SCTLR_M		(1ul << 0)
#define SCTLR_A		(1ul << 1)
#define SCTLR_C		(1ul << 2)
#define SCTLR_I		(1ul << 12)
#define SCTLR_WXN	(1ul << 19)

static uint64_t l1[512] __attribute__((aligned(4096)));

void rt_mmu_on(void)
{
	uint64_t mmfr0, pa, sctlr, i;

	l1[0] = 0 | PTE_BLOCK | PTE_ATTR(0) | PTE_AF | PTE_PXN | PTE_UXN;
	for (i = 1; i < 4; i++)
		l1[i] = (i << 30) | PTE_BLOCK | PTE_ATTR(1) | PTE_SH_INNER |
			PTE_AF;
	__asm__ volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(mmfr0));
	pa = mmfr0 & 0xf;
	if (pa > 5)
		pa = 5;			/* IPS: up to 48 bits */
	__asm__ volatile(
		"msr mair_el1, %0\n"
		"msr tcr_el1, %1\n"
		"msr ttbr0_el1, %2\n"
		"dsb sy\n"
		"tlbi vmalle1\n"
		"dsb nsh\n"
		"ic iallu\n"
		"dsb nsh\n"
		"isb\n"
		:: "r"(MAIR_DEVICE_nGnRE | MAIR_NORMAL_WB << 8),
		   "r"(TCR_T0SZ | TCR_IRGN0_WB | TCR_ORGN0_WB | TCR_SH0_INNER |
		       TCR_EPD1 | pa << 32),
		   "r"((uint64_t)l1)
		: "memory");
	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
	sctlr |= SCTLR_M | SCTLR_C | SCTLR_I;
	sctlr &= ~(SCTLR_A | SCTLR_WXN);
	__asm__ volatile("msr sctlr_el1, %0\nisb" :: "r"(sctlr) : "memory");
}

int rt_mmu_probe(uint64_t va, uint64_t *par)
{
	uint64_t v;

	__asm__ volatile("at s1e1r, %1\nisb\nmrs %0, par_el1"
			 : "=r"(v) : "r"(va) : "memory");
	*par = v;
	return (v & 1) ? -1 : 0;
}

void rt_dcache_clean_inval(uint64_t va, uint64_t len)
{
	uint64_t ctr, line, end = va + len;

	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	line = 4ul << ((ctr >> 16) & 0xf);
	for (va &= ~(line - 1); va < end; va += line)
		__asm__ volatile("dc civac, %0" :: "r"(va) : "memory");
	__asm__ volatile("dsb sy" ::: "memory");
}
