// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for libxshm: the fuzz input is what a hostile peer
 * puts in the shared region.
 *
 * Input: a mode byte, then a list of items.  An item is either a patch
 * [u16 offset][u8 len != 0][len bytes], written into the region (offsets
 * wrap modulo the region size), or a 0-length marker [u16 x][u8 0] that
 * runs one round of operations on every channel.
 *
 * mode bits 0-1  0: the region is raw input bytes (no layout, garbage)
 *                1: a valid layout is initialised, patches hit the channel
 *                   blocks only (indices, counters, record headers, data)
 *                2: as 1, but patches may hit the header and channel table
 *                   too; the header checksum is then recomputed, so the
 *                   library's parameter and bounds checks are what is
 *                   tested, not the CRC
 *                3: as 1, and patches are applied after attaching only
 * mode bits 2-3  full policy of both rings (FAIL, DROP, OVERWRITE)
 * mode bits 4-5  channels attached and operated: 0 all, 1 the fixed ring,
 *                2 the variable ring, 3 the values (fewer attaches, each of
 *                which re-validates the layout, means more runs per second)
 *
 * Patches before the first marker are applied before the channels are
 * attached (a corrupt resume point); those after it while they are
 * attached (a peer changing values under our feet).  Every pointer the
 * library returns is checked to lie inside the region; the region has
 * PROT_NONE guard pages on both sides, and ASan watches everything else.
 * Reads use a zero timeout so that a stuck "writer" cannot stall a run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xshm.h"
#include "xshm-peer.h"

#define REGION_SIZE	4096u
#define OPS_PER_ROUND	8
#define MAX_ROUNDS	16	/* markers beyond this only patch: runs stay short */

static const struct xshm_chan_spec base_chans[] = {
	{ "fixed", XSHM_CHAN_RING_FIXED, 0, 24, 8 },
	{ "var", XSHM_CHAN_RING_VAR, 0, 100, 256 },
	{ "seq", XSHM_CHAN_SEQLOCK, 0, 24, 0 },
	{ "latch", XSHM_CHAN_LATCH, 0, 24, 0 },
	{ "lww", XSHM_CHAN_LWW, 0, 16, 3 },
};
#define NCHANS (sizeof(base_chans) / sizeof(base_chans[0]))

static struct xshm_region *region;
static uint8_t *base;

struct handles {
	struct xshm_ring *fixed_c, *fixed_p, *var_c, *var_p;
	int var_overwrite;	/* var ring memory is staged/copied privately */
	uint32_t var_max;	/* the var ring's largest record */
	struct xshm_seqlock *val_r[3], *val_w[3];
	/*
	 * Element sizes as the layout says (modes 0 and 2 may say anything
	 * the library accepts); a channel fits in the region, so no element
	 * is larger than it.
	 */
	uint32_t fixed_elem, val_elem[3];
};

/* buffers for slots and values: 4 elements of up to a region each */
static uint8_t slots[4 * REGION_SIZE], val[REGION_SIZE];

/* a found bug: stop here so libFuzzer saves the input */
#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void in_region(const void *p, size_t len)
{
	const uint8_t *q = p;

	CHECK(q >= base && len <= REGION_SIZE &&
	      (size_t)(q - base) <= REGION_SIZE - len);
}

/* touch every byte the library said is ours to read */
static uint8_t touch(const void *p, size_t len)
{
	const volatile uint8_t *q = p;
	uint8_t x = 0;
	size_t i;

	for (i = 0; i < len; i++)
		x ^= q[i];
	return x;
}

static void guard(void *addr)
{
	/* best effort: a neighbour mapping already there is left alone */
	void *g = mmap(addr, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (g != MAP_FAILED && g != addr)
		munmap(g, (size_t)sysconf(_SC_PAGESIZE));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];
	int fd = memfd_create("xshm-fuzz", 0);

	(void)argc;
	(void)argv;
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (xshm_region_open_path(path, XSHM_OPEN_CREATE, REGION_SIZE,
				  &region))
		abort();
	close(fd);
	base = xshm_region_base(region);
	if (xshm_region_size(region) != REGION_SIZE)
		abort();
	guard(base - sysconf(_SC_PAGESIZE));
	guard(base + REGION_SIZE);
	return 0;
}

static void recompute_header_crc(void)
{
	struct xshm_wire_header h;
	uint32_t crc;

	memcpy(&h, base, sizeof(h));
	if (h.header_size < XSHM_WIRE_CHECKSUM_FROM ||
	    h.header_size > REGION_SIZE)
		return;
	crc = xshm_wire_crc32c(0, base + XSHM_WIRE_CHECKSUM_FROM,
			       h.header_size - XSHM_WIRE_CHECKSUM_FROM);
	memcpy(base + 8, &crc, 4);
}

static void attach_all(struct handles *h, unsigned int group)
{
	static const char *const vals[3] = { "seq", "latch", "lww" };
	static const struct xshm_wait_policy nowait = { 1, 1 };
	struct xshm_chan_info info[XSHM_CHAN_MAX];
	int i, k, n;

	xshm_layout_check(region);
	xshm_layout_generation(region);
	n = xshm_layout_list(region, info, XSHM_CHAN_MAX);
	CHECK(n <= (int)XSHM_CHAN_MAX);
	for (i = 0; i < n; i++) {
		CHECK(memchr(info[i].name, 0, sizeof(info[i].name)));
		CHECK(info[i].offset <= REGION_SIZE &&
		      info[i].size <= REGION_SIZE - info[i].offset);
		CHECK(info[i].elem_size <= REGION_SIZE);
		if (!strcmp(info[i].name, "var")) {
			h->var_overwrite = info[i].policy ==
					   XSHM_FULL_OVERWRITE;
			h->var_max = info[i].elem_size;
		}
		if (!strcmp(info[i].name, "fixed"))
			h->fixed_elem = info[i].elem_size;
		for (k = 0; k < 3; k++)
			if (!strcmp(info[i].name, vals[k]))
				h->val_elem[k] = info[i].elem_size;
	}
	if ((group == 0 || group == 1) &&
	    xshm_ring_attach(region, "fixed", XSHM_CONSUMER, &h->fixed_c))
		h->fixed_c = NULL;
	if ((group == 0 || group == 1) &&
	    xshm_ring_attach(region, "fixed", XSHM_PRODUCER, &h->fixed_p))
		h->fixed_p = NULL;
	if ((group == 0 || group == 2) &&
	    xshm_ring_attach(region, "var", XSHM_CONSUMER, &h->var_c))
		h->var_c = NULL;
	if ((group == 0 || group == 2) &&
	    xshm_ring_attach(region, "var", XSHM_PRODUCER, &h->var_p))
		h->var_p = NULL;
	if (h->fixed_c)
		xshm_ring_set_wait(h->fixed_c, &nowait);
	if (h->var_c)
		xshm_ring_set_wait(h->var_c, &nowait);
	for (i = 0; i < 3 && (group == 0 || group == 3); i++) {
		if (xshm_seqlock_attach(region, vals[i], XSHM_CONSUMER, 0,
					&h->val_r[i]))
			h->val_r[i] = NULL;
		/* LWW: the second writer's slot; others have only slot 0 */
		if (xshm_seqlock_attach(region, vals[i], XSHM_PRODUCER,
					i == 2 ? 1 : 0, &h->val_w[i]))
			h->val_w[i] = NULL;
	}
}

static void detach_all(struct handles *h)
{
	int i;

	if (h->fixed_c)
		xshm_ring_detach(h->fixed_c);
	if (h->fixed_p)
		xshm_ring_detach(h->fixed_p);
	if (h->var_c)
		xshm_ring_detach(h->var_c);
	if (h->var_p)
		xshm_ring_detach(h->var_p);
	for (i = 0; i < 3; i++) {
		if (h->val_r[i])
			xshm_seqlock_detach(h->val_r[i]);
		if (h->val_w[i])
			xshm_seqlock_detach(h->val_w[i]);
	}
}

static void ring_ops(struct handles *h, unsigned int round)
{
	uint8_t buf[512];
	size_t es = h->fixed_elem;
	struct xshm_ring_stats st;
	struct xshm_record rec, recs[5];
	uint64_t batch_buf[64];
	struct iovec iov[4];
	ssize_t got;
	void *p;
	int i, n;

	if (h->fixed_c) {
		for (i = 0; i < OPS_PER_ROUND; i++) {
			n = (round + (unsigned int)i) & 1 ?
			    xshm_ring_pop_batch(h->fixed_c, slots, 4) :
			    xshm_ring_pop(h->fixed_c, slots);
			CHECK(n <= 4);
			if (n < 0)
				break;
		}
		xshm_ring_pop_wait(h->fixed_c, slots, 0);
		xshm_ring_stats(h->fixed_c, &st);
	}
	if (h->fixed_p) {
		memset(slots, (int)round, 4 * es);
		xshm_ring_push(h->fixed_p, slots);
		n = xshm_ring_push_batch(h->fixed_p, slots, 4);
		CHECK(n <= 4);
		xshm_ring_stats(h->fixed_p, &st);
	}
	if (h->var_c) {
		for (i = 0; i < OPS_PER_ROUND; i++) {
			if ((round + (unsigned int)i) % 3 == 0) {
				got = xshm_ring_recv(h->var_c, buf,
						     (round & 4) ? 16 : sizeof(buf),
						     &rec);
				CHECK(got < 0 || (size_t)got <= sizeof(buf));
				if (got < 0 && got != -EMSGSIZE)
					break;
				continue;
			}
			n = xshm_ring_peek(h->var_c, &rec);
			if (n < 0)
				break;
			/* peeked data is in the region (OVERWRITE: a copy) */
			if (!h->var_overwrite)
				in_region(rec.data, rec.len);
			if (rec.len)
				touch(rec.data, rec.len);
			CHECK(rec.len <= h->var_max);
		}
		xshm_ring_peek_wait(h->var_c, &rec, 0);
		xshm_ring_release(h->var_c);
		/* batches: a small cap now and then, to stop mid-way */
		n = xshm_ring_recv_batch(h->var_c, batch_buf,
					 (round & 2) ? 40 : sizeof(batch_buf),
					 recs, 1 + round % 5);
		CHECK(n <= 1 + (int)(round % 5));
		for (i = 0; i < n; i++) {
			CHECK(recs[i].len <= h->var_max);
			CHECK((const uint8_t *)recs[i].data >=
			      (const uint8_t *)batch_buf);
			CHECK((const uint8_t *)recs[i].data + recs[i].len <=
			      (const uint8_t *)batch_buf + sizeof(batch_buf));
			touch(recs[i].data, recs[i].len);
		}
		xshm_ring_stats(h->var_c, &st);
	}
	if (h->var_p) {
		memset(buf, (int)round, sizeof(buf));
		xshm_ring_send(h->var_p, buf, round % 101);
		if (xshm_ring_reserve(h->var_p, 40, &p) == 0) {
			if (!h->var_overwrite)
				in_region(p, 40);
			memset(p, 0x5a, 40);
			if (xshm_ring_reserve(h->var_p, 100, &p) == 0) {
				if (!h->var_overwrite)
					in_region(p, 100);
				memset(p, 0xa5, 100);
			}
			xshm_ring_commit(h->var_p);
		}
		for (i = 0; i < 4; i++) {
			iov[i].iov_base = buf;
			iov[i].iov_len = (round * 29u + (unsigned int)i * 37u) %
					 (h->var_max + 2 < sizeof(buf) ?
					  h->var_max + 2 : sizeof(buf));
		}
		n = xshm_ring_sendv(h->var_p, iov, 1 + round % 4);
		CHECK(n <= 1 + (int)(round % 4));
		xshm_ring_next_seq(h->var_p);
		xshm_ring_stats(h->var_p, &st);
	}
}

static void value_ops(struct handles *h, unsigned int round)
{
	struct xshm_value_info info;
	int i;

	for (i = 0; i < 3; i++) {
		if (h->val_r[i])
			xshm_seqlock_read(h->val_r[i], val, h->val_elem[i],
					  &info, 0);
		if (h->val_w[i] && (round & 1)) {
			memset(val, (int)round, h->val_elem[i]);
			xshm_seqlock_write(h->val_w[i], val, h->val_elem[i],
					   round & 2 ? 0 : round);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xshm_chan_spec chans[NCHANS];
	struct handles h = { 0 };
	unsigned int mode, policy, group, round = 0, i;
	uint64_t lo = 0, span = REGION_SIZE;
	int attached = 0;
	size_t pos = 1;

	if (size < 1)
		return 0;
	mode = data[0] & 3;
	policy = ((data[0] >> 2) & 3) % 3;
	group = (data[0] >> 4) & 3;
	memset(base, 0, REGION_SIZE);
	if (mode == 0) {
		memcpy(base, data + 1, size - 1 < REGION_SIZE ? size - 1 :
		       REGION_SIZE);
		pos = size;	/* the bytes were the region */
	} else {
		memcpy(chans, base_chans, sizeof(chans));
		chans[0].policy = chans[1].policy = policy;
		CHECK(xshm_layout_init(region, chans, NCHANS,
				       XSHM_INIT_FORCE) == 0);
		if (mode != 2) {
			lo = xshm_wire_data_start(XSHM_WIRE_HDR_SIZE +
						  NCHANS * XSHM_WIRE_CHAN_SIZE);
			span = REGION_SIZE - lo;
		}
	}
	if (mode == 3) {
		attach_all(&h, group);
		attached = 1;
	}
	while (pos + 3 <= size) {
		uint64_t off = lo + ((uint64_t)data[pos] |
				     (uint64_t)data[pos + 1] << 8) % span;
		size_t len = data[pos + 2];

		pos += 3;
		if (len == 0) {
			if (!attached) {
				attach_all(&h, group);
				attached = 1;
			}
			if (round >= MAX_ROUNDS)
				continue;
			ring_ops(&h, round);
			value_ops(&h, round);
			round++;
			continue;
		}
		if (len > size - pos)
			len = size - pos;
		for (i = 0; i < len; i++)
			base[lo + (off - lo + i) % span] = data[pos + i];
		pos += len;
		if (mode == 2 && !attached)
			recompute_header_crc();
	}
	if (!attached)
		attach_all(&h, group);
	ring_ops(&h, round);
	value_ops(&h, round + 1);
	detach_all(&h);
	return 0;
}
