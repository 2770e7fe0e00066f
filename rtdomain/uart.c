// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Console through Xen's emulated SBSA/PL011 UART (vpl011): only the data
 * register and the "transmit FIFO full" flag are used.  Its address is
 * GUEST_PL011_BASE of xen/include/public/arch-arm.h.
 */
#include "rt.h"

#ifndef RT_UART_BASE
#define RT_UART_BASE 0x22000000ul
#endif
#define UART_DR 0x00
#define UART_FR 0x18
#define UART_FR_TXFF (1u << 5)

static void uart_putc(char c)
{
	volatile uint32_t *fr = (volatile uint32_t *)(RT_UART_BASE + UART_FR);
	volatile uint32_t *dr = (volatile uint32_t *)(RT_UART_BASE + UART_DR);

	while (*fr & UART_FR_TXFF)
		;
	*dr = (uint32_t)(unsigned char)c;
}

void uart_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			uart_putc('\r');
		uart_putc(*s);
	}
}

void uart_hex(uint64_t v)
{
	char b[19];
	int i;

	b[0] = '0';
	b[1] = 'x';
	for (i = 0; i < 16; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	b[18] = 0;
	uart_puts(b);
}

void uart_dec(uint64_t v)
{
	char b[21];
	int i = 20;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	uart_puts(b + i);
}
