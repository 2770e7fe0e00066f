/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Entry of the bare-metal RT domain.  The image starts with the arm64
 * Linux Image header (Documentation/arch/arm64/booting.rst), so Xen's
 * dom0less builder loads it like a kernel at RAM base + text_offset and
 * enters at offset 0 with the device tree's address in x0 and the MMU off.
 *
 * x1 is our "reset reason": 0 at a cold boot (Xen clears it), WARM_MAGIC
 * when rt_warm_restart() jumped back here, with the restart count in x2.
 */
#define WARM_MAGIC 0x4d524157	/* "WARM" */

	.section .head, "ax"
	.globl	_start
_start:
	b	rt_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0x80000			/* text_offset */
	.quad	_image_end - _start	/* image_size */
	.quad	0xa			/* flags: LE, 4K pages, anywhere */
	.quad	0, 0, 0			/* res2..res4 */
	.ascii	"ARM\x64"		/* magic, at 0x38 */
	.long	0			/* res5 */

	.text
rt_entry:
	/* x19..x21: dtb, reason, restart count (callee-saved) */
	mov	x19, x0
	mov	x20, x1
	mov	x21, x2
	msr	daifset, #0xf
	/* what would reset the CPU: MMU and caches off, as at a cold boot */
	mrs	x3, sctlr_el1
	bic	x3, x3, #1		/* M */
	bic	x3, x3, #(1 << 2)	/* C */
	bic	x3, x3, #(1 << 12)	/* I */
	msr	sctlr_el1, x3
	isb
	/* no FP/SIMD: we build with -mgeneral-regs-only, trap nothing */
	/* wipe all our writable memory: .bss, page tables and the stack */
	adrp	x3, _bss_start
	add	x3, x3, :lo12:_bss_start
	adrp	x4, _bss_end
	add	x4, x4, :lo12:_bss_end
1:	cmp	x3, x4
	b.hs	2f
	str	xzr, [x3], #8
	b	1b
2:	adrp	x3, _stack_top
	add	x3, x3, :lo12:_stack_top
	mov	sp, x3
	mov	x0, x19
	mov	x1, x20
	mov	x2, x21
	bl	rt_main
3:	wfi
	b	3b

/*
 * rt_restart_jump(dtb, count): enter again as after a watchdog reset.
 * The caller cleaned the caches; we turn the MMU off in rt_entry.
 */
	.globl	rt_restart_jump
rt_restart_jump:
	mov	x2, x1
	ldr	x1, =WARM_MAGIC
	b	rt_entry
