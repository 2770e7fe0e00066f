// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The bare-metal real-time domain: no OS, no libc, only xshm-peer.h.
 *
 * Boots from Xen (dom0less, as a "kernel" with the device tree in x0),
 * finds its static shared memory region in that tree (or at the
 * build-time RT_SHM_BASE), turns its MMU on with the region Normal
 * write-back, creates the layout as the one-time initialiser if none is
 * there (else attaches), and logs numbered records into the "log" ring
 * (variable-length, DROP when full) in bursts larger than the ring holds.
 * After its first generation it warm-restarts: back to its entry with its
 * memory wiped, as an RTOS watchdog reset would; the region survives, it
 * re-attaches and logs a second generation under a new boot id.
 *
 * Records: "rt boot=<16 hex> gen=<n> seq=<n> t_us=<n>", seq from 0 in
 * each generation.  Bootargs (the domU's module bootargs) override the
 * build-time defaults: rt.shm=<xen,id> rt.rate=<records/s>
 * rt.count=<records per generation> rt.burst=<records> rt.restarts=<n>
 * rt.wait=<s to wait for a consumer before the first record>
 * rt.evtchn=<local port of a Xen static event channel to the consumer>.
 *
 * With rt.evtchn, the ring has a doorbell (xshm-doorbell.h): after each
 * record, the RT domain rings the consumer with EVTCHNOP_send, only when
 * the consumer announced that it sleeps, so a consumer that keeps up
 * costs the RT side nothing but one load per record.
 */
#include "rt.h"
#include "xshm-peer.h"
#include "xshm-doorbell.h"

#define WARM_MAGIC 0x4d524157u

#ifndef RT_SHM_BASE
#define RT_SHM_BASE 0x70000000ul	/* fallback: no region in the tree */
#endif
#ifndef RT_SHM_SIZE
#define RT_SHM_SIZE 0x200000ul
#endif
#ifndef RT_RATE
#define RT_RATE 1000u
#endif
#ifndef RT_COUNT
#define RT_COUNT 600u
#endif
#ifndef RT_BURST
#define RT_BURST 200u
#endif
#ifndef RT_RESTARTS
#define RT_RESTARTS 1u
#endif
#ifndef RT_WAIT_S
#define RT_WAIT_S 300u
#endif
#define RT_RING_BYTES 4096u	/* about 52 records */

extern char _start[], _image_end[];

struct cfg {
	const char *shm;
	size_t shm_len;
	uint64_t rate, count, burst, restarts, wait_s, evtchn;
};

/* "key=" in bootargs: its value's start and length, or 0 */
static const char *arg(const char *args, const char *key, size_t *len)
{
	const char *p = args;
	size_t i;

	while (p && *p) {
		while (*p == ' ')
			p++;
		for (i = 0; key[i] && p[i] == key[i]; i++)
			;
		if (!key[i]) {
			for (*len = 0; p[i + *len] && p[i + *len] != ' ';)
				(*len)++;
			return p + i;
		}
		while (*p && *p != ' ')
			p++;
	}
	return 0;
}

static void arg_num(const char *args, const char *key, uint64_t *v)
{
	size_t len, i;
	const char *p = arg(args, key, &len);
	uint64_t n = 0;

	if (!p || !len || len > 12)
		return;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return;
		n = n * 10 + (uint64_t)(p[i] - '0');
	}
	*v = n;
}

/* a tiny text builder for records and console lines */
struct buf {
	char s[96];
	size_t n;
};

static void put_s(struct buf *b, const char *s)
{
	while (*s && b->n < sizeof(b->s) - 1)
		b->s[b->n++] = *s++;
	b->s[b->n] = 0;
}

static void put_u(struct buf *b, uint64_t v)
{
	char t[21];
	int i = 20;

	t[i] = 0;
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_s(b, t + i);
}

static void put_x(struct buf *b, uint64_t v)
{
	char t[17];
	int i;

	for (i = 0; i < 16; i++)
		t[i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	t[16] = 0;
	put_s(b, t);
}

/* the initialiser's environment: a clock, a pause, entropy */
static uint64_t env_now_ms(void *ctx)
{
	(void)ctx;
	return rt_now_us() / 1000u;
}

static void env_pause(void *ctx)
{
	(void)ctx;
	rt_delay_us(1000);
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void say(const char *what, uint64_t v, int hex)
{
	uart_puts(what);
	if (hex)
		uart_hex(v);
	else
		uart_dec(v);
	uart_puts("\n");
}

static struct xshm_peer_layout lay;
static struct xshm_peer_ring ring;
static struct xshm_peer_bell bell;	/* rt.evtchn: the ring's doorbell */
static uint64_t rung, ring_errors;

/* after a record: ring the consumer if it sleeps (not rung for yet) */
static void ring_consumer(const struct cfg *c)
{
	long err;

	if (!c->evtchn || !xshm_peer_bell_should_ring(&bell))
		return;
	err = xshm_xen_evtchn_send((uint32_t)c->evtchn);
	if (err == 0) {
		xshm_peer_bell_rang(&bell);
		rung++;
	} else if (ring_errors++ == 0) {
		say("rtdomain: EVTCHNOP_send failed, Xen error -",
		    (uint64_t)-err, 0);
	}
}

/*
 * After the first record: wait (up to rt.wait seconds) until a consumer
 * has drained it, so that a Linux side still booting sees the bursts.
 * Reading the consumer's tail is only a hint: any value just ends the wait.
 */
static void wait_consumer(const struct cfg *c, uint64_t tail0, uint64_t t0)
{
	while (atomic_load_explicit(&ring.cons->tail, memory_order_relaxed) ==
	       tail0 && rt_now_us() - t0 < c->wait_s * 1000000u)
		rt_delay_us(10000);
	say("rtdomain: first record drained after ms ",
	    (rt_now_us() - t0) / 1000u, 0);
}

void rt_main(uint64_t dtb, uint64_t reason, uint64_t restarted);
void rt_main(uint64_t dtb, uint64_t reason, uint64_t restarted)
{
	static const struct xshm_peer_chan_spec spec[] = {
		{ "log", XSHM_WIRE_RING_VAR, XSHM_WIRE_FULL_DROP, 0,
		  RT_RING_BYTES },
	};
	struct cfg c = { 0, 0, RT_RATE, RT_COUNT, RT_BURST, RT_RESTARTS,
			 RT_WAIT_S, 0 };
	struct xshm_peer_init_env env;
	struct rt_fdt_info fi;
	uint64_t base, size, par, boot, seq, sent = 0, dropped = 0, t0, tail0;
	int err, fdt_err;

	if (reason != WARM_MAGIC)
		restarted = 0;
	uart_puts(restarted ? "rtdomain: warm restart " : "rtdomain: cold boot");
	if (restarted)
		uart_dec(restarted);
	uart_puts(", memory wiped, MMU off\n");

	fdt_err = rt_fdt_scan((const void *)dtb, 0, 0, &fi);
	if (fi.bootargs) {
		uart_puts("rtdomain: bootargs \"");
		uart_puts(fi.bootargs);
		uart_puts("\"\n");
		c.shm = arg(fi.bootargs, "rt.shm=", &c.shm_len);
		arg_num(fi.bootargs, "rt.rate=", &c.rate);
		arg_num(fi.bootargs, "rt.count=", &c.count);
		arg_num(fi.bootargs, "rt.burst=", &c.burst);
		arg_num(fi.bootargs, "rt.restarts=", &c.restarts);
		arg_num(fi.bootargs, "rt.wait=", &c.wait_s);
		arg_num(fi.bootargs, "rt.evtchn=", &c.evtchn);
		if (c.shm)
			fdt_err = rt_fdt_scan((const void *)dtb, c.shm,
					      c.shm_len, &fi);
	}
	if (!c.rate)
		c.rate = 1;
	if (!c.burst)
		c.burst = 1;
	if (!fdt_err) {
		base = fi.shm_base;
		size = fi.shm_size;
		uart_puts("rtdomain: region \"");
		uart_puts(fi.shm_id);
		uart_puts("\" from the device tree (");
		uart_dec(fi.nregions);
		uart_puts(" xen,shared-memory-v1 nodes)\n");
	} else {
		base = RT_SHM_BASE;
		size = RT_SHM_SIZE;
		say("rtdomain: no region in the device tree, build-time "
		    "RT_SHM_BASE; tree scan said ", (uint64_t)-fdt_err, 0);
	}
	say("rtdomain: region base ", base, 1);
	say("rtdomain: region size ", size, 1);
	if (base < 0x40000000ul || size > 0xc0000000ul - (base - 0x40000000ul) ||
	    size < 4096) {
		uart_puts("rtdomain: region outside the mapped 1-4 GB, halt\n");
		return;
	}

	rt_mmu_on();
	if (rt_mmu_probe(base, &par)) {
		say("rtdomain: AT S1E1R faults on the region, PAR_EL1 ", par, 1);
		return;
	}
	say("rtdomain: MMU on; region PAR_EL1 ", par, 1);
	uart_puts((par >> 56) == 0xff && ((par >> 7) & 3) == 3 ?
		  "rtdomain: region mapped Normal write-back, inner shareable\n" :
		  "rtdomain: region NOT mapped Normal write-back\n");

	boot = mix64(rt_ticks() ^ restarted << 56 ^ (uint64_t)&fi);
	env.now_ms = env_now_ms;
	env.pause = env_pause;
	env.ctx = 0;
	env.random = boot;
	env.takeover_ms = 0;
	err = xshm_peer_layout_init(&lay, (void *)base, size, spec, 1, 0, &env);
	if (err == 0)
		uart_puts("rtdomain: layout created (one-time initialiser)\n");
	else if (err == 1)
		uart_puts("rtdomain: layout found, attached (not re-initialised)\n");
	else if (err == -XSHM_PEER_EEXIST &&
		 !(err = xshm_peer_layout_attach(&lay, (void *)base, size)))
		uart_puts("rtdomain: layout with other channels found, attached\n");
	if (err < 0) {
		say("rtdomain: no layout, error -", (uint64_t)-err, 0);
		return;
	}
	say("rtdomain: layout generation ", lay.generation, 1);
	err = xshm_peer_ring_attach(&lay, "log", &ring);
	if (err) {
		say("rtdomain: no \"log\" ring, error -", (uint64_t)-err, 0);
		return;
	}
	say("rtdomain: ring \"log\" data bytes ", ring.capacity, 0);
	if (c.evtchn) {
		/* the boot id differs across restarts: fresh tickets */
		xshm_peer_bell_producer(&bell, &ring, boot);
		say("rtdomain: doorbell on event channel port ", c.evtchn, 0);
		ring_consumer(&c);	/* it may sleep already */
	}

	uart_puts("rtdomain: logging boot=");
	uart_hex(boot);
	uart_puts("\n");
	t0 = rt_now_us();
	tail0 = atomic_load_explicit(&ring.cons->tail, memory_order_relaxed);
	for (seq = 0; seq < c.count;) {
		uint64_t n, start = rt_now_us();

		for (n = 0; n < c.burst && seq < c.count; n++, seq++) {
			struct buf b = { .n = 0 };

			put_s(&b, "rt boot=");
			put_x(&b, boot);
			put_s(&b, " gen=");
			put_u(&b, restarted);
			put_s(&b, " seq=");
			put_u(&b, seq);
			put_s(&b, " t_us=");
			put_u(&b, rt_now_us());
			err = xshm_peer_ring_send(&ring, b.s, b.n);
			if (!err) {
				sent++;
				ring_consumer(&c);
			}
			else if (err == -XSHM_PEER_ENOBUFS)
				dropped++;	/* ring full: counted by the ring */
			else
				say("rtdomain: send error -", (uint64_t)-err, 0);
			if (seq == 0)
				wait_consumer(&c, tail0, t0);
		}
		/* keep the average at rate records/s */
		rt_delay_us(n * 1000000u / c.rate - (rt_now_us() - start) %
			    (n * 1000000u / c.rate + 1));
	}
	uart_puts("rtdomain: generation ");
	uart_dec(restarted);
	uart_puts(" boot=");
	uart_hex(boot);
	uart_puts(" produced=");
	uart_dec(seq);
	uart_puts(" sent=");
	uart_dec(sent);
	uart_puts(" dropped=");
	uart_dec(dropped);
	uart_puts(" ring_produced=");
	uart_dec(atomic_load_explicit(&ring.prod->produced,
				      memory_order_relaxed));
	uart_puts(" ring_dropped=");
	uart_dec(atomic_load_explicit(&ring.prod->dropped,
				      memory_order_relaxed));
	if (c.evtchn) {
		uart_puts(" rung=");
		uart_dec(rung);
	}
	uart_puts("\n");

	if (restarted < c.restarts) {
		uart_puts("rtdomain: warm restart (watchdog-style), "
			  "region kept\n");
		rt_dcache_clean_inval((uint64_t)_start,
				      (uint64_t)(_image_end - _start));
		rt_dcache_clean_inval(base, size);
		rt_restart_jump(dtb, restarted + 1);
	}
	uart_puts("rtdomain: done\n");
}
