/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * xshm-wire.h - the xshm wire format: constants, structures, named
 * offsets, validation of what is read from a region, the record header
 * decoder, the serial number compare and the owner words.
 *
 * This is the single definition of the bytes libxshm puts in a shared
 * region (see Documentation/wire-format.md): the library, xshm-peer.h (the
 * freestanding producer, writer and initialiser) and the tools include it,
 * so that no two of them can drift apart.  Memory ordering: every acquire,
 * release and fence is labelled LMM_<SITE> and names the label it pairs
 * with (the table is in Documentation/wire-format.md, "Ordering pairs").
 *
 * Freestanding: no libc calls, no allocation, only <stddef.h>, <stdint.h>
 * and <stdatomic.h>.  Functions return 0 or a count on success and a
 * negative Linux errno value (XSHM_PEER_E*) on failure.  Everything read
 * from shared memory is read once into a local, validated and only then
 * used: the other side may be buggy or hostile.
 */
#ifndef XSHM_WIRE_H
#define XSHM_WIRE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
	       "xshm needs lock-free 64-bit atomics");
_Static_assert(sizeof(long long) == 8, "xshm needs 64-bit long long");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the xshm wire format is little-endian; this port needs byte swaps"
#endif

/* Linux errno values (identical on x86 and arm64) without <errno.h> */
#define XSHM_PEER_ENOENT	2
#define XSHM_PEER_EAGAIN	11
#define XSHM_PEER_EBUSY		16
#define XSHM_PEER_EEXIST	17
#define XSHM_PEER_EINVAL	22
#define XSHM_PEER_ENOSPC	28
#define XSHM_PEER_ENODATA	61
#define XSHM_PEER_EPROTO	71
#define XSHM_PEER_EBADMSG	74
#define XSHM_PEER_EMSGSIZE	90
#define XSHM_PEER_ENOBUFS	105
#define XSHM_PEER_ESTALE	116

/* GCC's TSan does not model fences; every access they order is atomic */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#define XSHM_WIRE_TSAN_PRAGMA
#endif

#ifdef __GNUC__
#define XSHM_PEER_MEMCPY(d, s, n) __builtin_memcpy((d), (s), (n))
#define XSHM_PEER_UNUSED __attribute__((unused))
#else
#define XSHM_PEER_MEMCPY(d, s, n) xshm_wire_bytecopy((d), (s), (n))
#define XSHM_PEER_UNUSED
#endif

/* ---- Wire constants ---------------------------------------------------- */

#define XSHM_WIRE_MAGIC		0x4d485358u	/* "XSHM" in memory */
#define XSHM_WIRE_STATE_INIT	0x54494e49u	/* "INIT": being written */
#define XSHM_WIRE_STATE_READY	0x59444552u	/* "REDY": valid layout */
#define XSHM_WIRE_VERSION_MAJOR	3u
#define XSHM_WIRE_VERSION_MINOR	1u

/*
 * Bytes 0..7 are one 64-bit atomic word: magic | state << 32.  READY is
 * the only value that means "a valid layout"; while a side initialises,
 * the state half is INIT and the other half its claim ticket (non-zero).
 */
#define XSHM_WIRE_READY_WORD \
	((uint64_t)XSHM_WIRE_STATE_READY << 32 | XSHM_WIRE_MAGIC)
/* an initialiser that shows no progress for this long is presumed dead */
#define XSHM_WIRE_TAKEOVER_MS	1000u

#define XSHM_WIRE_BLOCK		128u	/* alignment of every shared block */
#define XSHM_WIRE_HDR_SIZE	64u	/* struct xshm_wire_header */
#define XSHM_WIRE_CHAN_SIZE	64u	/* struct xshm_wire_chan */
#define XSHM_WIRE_CHECKSUM_FROM	16u	/* CRC32C covers [16, header_size) */
#define XSHM_WIRE_NAME_LEN	32u	/* channel name incl. NUL */
#define XSHM_WIRE_CHAN_MAX	32u

/* channel types and full policies (the values of enum xshm_chan_type etc.) */
#define XSHM_WIRE_RING_FIXED	1u
#define XSHM_WIRE_RING_VAR	2u
#define XSHM_WIRE_SEQLOCK	3u
#define XSHM_WIRE_LATCH		4u
#define XSHM_WIRE_LWW		5u
#define XSHM_WIRE_FULL_FAIL	0u
#define XSHM_WIRE_FULL_DROP	1u
#define XSHM_WIRE_FULL_OVERWRITE 2u

/* limits that keep every size computation far from overflow */
#define XSHM_WIRE_ELEM_MAX	(1u << 24)	/* slot/value bytes */
#define XSHM_WIRE_SLOTS_MAX	(1u << 30)	/* fixed ring slots */
#define XSHM_WIRE_VAR_MIN	64u		/* var ring data bytes */
#define XSHM_WIRE_VAR_MAX	(1u << 30)
#define XSHM_WIRE_LWW_MAX	256u		/* LWW writers */

/* variable-length record header: u32 len_flags, u32 seq; 8-byte aligned */
#define XSHM_WIRE_REC_HDR	8u
#define XSHM_WIRE_REC_PAD	0x80000000u	/* padding up to the ring end */
#define XSHM_WIRE_REC_LEN_MASK	0x7fffffffu

/* ---- Wire structures (all little-endian, offsets in comments) ---------- */

/* at offset 0 of the region */
struct xshm_wire_header {
	uint32_t magic;		/*  0: XSHM_WIRE_MAGIC */
	uint32_t state;		/*  4: atomic; INIT while written, then READY */
	uint32_t checksum;	/*  8: CRC32C of [16, header_size) */
	uint32_t reserved0;	/* 12: 0 */
	uint16_t version_major;	/* 16 */
	uint16_t version_minor;	/* 18 */
	uint32_t header_size;	/* 20: 64 + 64 * nchans */
	uint32_t nchans;	/* 24: 1..32 */
	uint32_t flags;		/* 28: 0 */
	uint64_t layout_size;	/* 32: bytes used from offset 0 */
	uint64_t generation;	/* 40: new value on every initialisation */
	uint64_t reserved[2];	/* 48: 0 */
};

/* channel table entry, the table follows the header at offset 64 */
struct xshm_wire_chan {
	char name[XSHM_WIRE_NAME_LEN];	/*  0: NUL-terminated, not empty */
	uint32_t type;			/* 32: XSHM_WIRE_RING_FIXED.. */
	uint32_t policy;		/* 36: rings: XSHM_WIRE_FULL_*; else 0 */
	uint32_t elem_size;		/* 40 */
	uint32_t capacity;		/* 44 */
	uint64_t offset;		/* 48: from region start, 128-aligned */
	uint64_t size;			/* 56: xshm_wire_chan_size() */
};

/*
 * Doorbell words (3.1; 0 in 3.0, which ignores them), one set in each
 * ring block, written only by the side owning the block:
 *   ring      1: this side rings the other when it announced sleep
 *   sleep     0: awake; else a new ticket each time this side announces
 *             that it sleeps until rung (consumer: for data, producer:
 *             for space)
 *   notified  notifications this side sent
 *   sleeps    times this side slept on its doorbell
 */
struct xshm_wire_bell {
	_Atomic uint64_t ring;
	_Atomic uint64_t sleep;
	_Atomic uint64_t notified;
	_Atomic uint64_t sleeps;
};

/* ring: producer block at offset+0, consumer block at offset+128, data */
struct xshm_wire_ring_prod {
	_Atomic uint64_t head;		/*  0: release after data */
	_Atomic uint64_t oldest;	/*  8: OVERWRITE frontier */
	_Atomic uint64_t produced;	/* 16: records committed */
	_Atomic uint64_t dropped;	/* 24: records dropped (DROP) */
	_Atomic uint32_t next_seq;	/* 32: next record's seq (var) */
	uint32_t pad0;
	_Atomic uint64_t owner;		/* 40: see xshm_peer_owner_enter() */
	struct xshm_wire_bell bell;	/* 48: 3.1, see xshm-doorbell.h */
	uint8_t pad[48];
};

struct xshm_wire_ring_cons {
	_Atomic uint64_t tail;		/*  0: release after copying */
	_Atomic uint64_t lost;		/*  8: losses the consumer saw */
	_Atomic uint32_t next_seq;	/* 16: seq the consumer expects */
	uint32_t pad0;
	_Atomic uint64_t owner;		/* 24: see xshm_peer_owner_enter() */
	struct xshm_wire_bell bell;	/* 32: 3.1, see xshm-doorbell.h */
	uint8_t pad[64];
};

/*
 * Named offsets of the words that are accessed one at a time, as atomics.
 * Header: word 0 is magic | state << 32 (the claim and READY word), the
 * generation is stored last by an initialiser.  Channel: each side's owner
 * word, from the channel's offset.
 */
#define XSHM_WIRE_HDR_WORD_OFF	0u	/* magic | state << 32 */
#define XSHM_WIRE_HDR_CHECKSUM_OFF 8u	/* first byte after word 0 */
#define XSHM_WIRE_HDR_GEN_OFF	40u	/* generation */
#define XSHM_WIRE_HDR_AFTER_GEN_OFF 48u	/* reserved[] */
#define XSHM_WIRE_PROD_OWNER_OFF 40u	/* ring: producer's owner word */
#define XSHM_WIRE_CONS_OWNER_OFF (XSHM_WIRE_BLOCK + 24u) /* consumer's */

_Static_assert(offsetof(struct xshm_wire_header, magic) ==
	       XSHM_WIRE_HDR_WORD_OFF, "");
_Static_assert(offsetof(struct xshm_wire_header, checksum) ==
	       XSHM_WIRE_HDR_CHECKSUM_OFF, "");
_Static_assert(offsetof(struct xshm_wire_header, generation) ==
	       XSHM_WIRE_HDR_GEN_OFF, "");
_Static_assert(offsetof(struct xshm_wire_header, reserved) ==
	       XSHM_WIRE_HDR_AFTER_GEN_OFF, "");
_Static_assert(offsetof(struct xshm_wire_ring_prod, owner) ==
	       XSHM_WIRE_PROD_OWNER_OFF, "");
_Static_assert(XSHM_WIRE_BLOCK + offsetof(struct xshm_wire_ring_cons, owner)
	       == XSHM_WIRE_CONS_OWNER_OFF, "");
_Static_assert(sizeof(struct xshm_wire_header) == XSHM_WIRE_HDR_SIZE, "");
_Static_assert(sizeof(struct xshm_wire_chan) == XSHM_WIRE_CHAN_SIZE, "");
_Static_assert(sizeof(struct xshm_wire_ring_prod) == XSHM_WIRE_BLOCK, "");
_Static_assert(sizeof(struct xshm_wire_ring_cons) == XSHM_WIRE_BLOCK, "");
_Static_assert(sizeof(_Atomic uint64_t) == 8, "");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "");

/*
 * Value channels.  Every control block is 128 bytes: [0] u64 seq,
 * [8] u64 stamp (LWW, written inside the seqlock).  Small values live in
 * the seq word's cache line, so that an update moves one line: when its
 * copies (LATCH: 2, else 1) of the payload rounded up to 8 take at most
 * 48 bytes, P is that rounded size and copy 0 is at +16.  Otherwise P is
 * the payload rounded up to 8 and then to 128, and copy 0 is at +128.
 *   SEQLOCK: copy 0                         size 128 (small) or 128 + P
 *   LATCH:   copy 0, copy 1 at copy 0 + P   size 128 (small) or 128 + 2P
 *   LWW:     capacity slots, each a SEQLOCK block (with its stamp)
 */
#define XSHM_WIRE_SEQ_OFF	0u
#define XSHM_WIRE_STAMP_OFF	8u
#define XSHM_WIRE_VALUE_INLINE_OFF 16u	/* small values: copy 0 */
#define XSHM_WIRE_VALUE_INLINE_MAX 48u	/* bytes of copies inline */
#define XSHM_WIRE_VALUE_OWNER_OFF 64u	/* writer's owner word */

/* ---- Small helpers ------------------------------------------------------ */

static inline XSHM_PEER_UNUSED void
xshm_wire_bytecopy(void *dst, const void *src, size_t n)
{
	unsigned char *d = (unsigned char *)dst;
	const unsigned char *s = (const unsigned char *)src;

	while (n--)
		*d++ = *s++;
}

static inline uint64_t xshm_wire_round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static inline int xshm_wire_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static inline _Atomic uint64_t *xshm_wire_u64(void *base, uint64_t off)
{
	return (_Atomic uint64_t *)(void *)((unsigned char *)base + off);
}

static inline _Atomic uint32_t *xshm_wire_u32(void *base, uint64_t off)
{
	return (_Atomic uint32_t *)(void *)((unsigned char *)base + off);
}

/* the header's word 0 (magic | state << 32) and its generation */
static inline _Atomic uint64_t *xshm_wire_state_word(void *base)
{
	return xshm_wire_u64(base, XSHM_WIRE_HDR_WORD_OFF);
}

static inline _Atomic uint64_t *xshm_wire_gen_word(void *base)
{
	return xshm_wire_u64(base, XSHM_WIRE_HDR_GEN_OFF);
}

/*
 * Copy into/out of shared memory with relaxed 64-bit atomic accesses: used
 * wherever the other side may access the same bytes concurrently (seqlock
 * payloads, overwritten ring data), so that the copy is not a C11 data
 * race.  The shared side must be 8-byte aligned; len may be any size (the
 * last word is written whole, the excess bytes as zero).
 */
static inline void xshm_wire_store_words(void *shared, const void *src,
					 size_t len)
{
	_Atomic uint64_t *w = (_Atomic uint64_t *)shared;
	const unsigned char *s = (const unsigned char *)src;
	uint64_t v;

	for (; len >= 8; len -= 8, s += 8, w++) {
		XSHM_PEER_MEMCPY(&v, s, 8);
		atomic_store_explicit(w, v, memory_order_relaxed);
	}
	if (len) {
		v = 0;
		XSHM_PEER_MEMCPY(&v, s, len);
		atomic_store_explicit(w, v, memory_order_relaxed);
	}
}

static inline void xshm_wire_load_words(void *dst, const void *shared,
					size_t len)
{
	const _Atomic uint64_t *w = (const _Atomic uint64_t *)shared;
	unsigned char *d = (unsigned char *)dst;
	uint64_t v;

	for (; len >= 8; len -= 8, d += 8, w++) {
		v = atomic_load_explicit(w, memory_order_relaxed);
		XSHM_PEER_MEMCPY(d, &v, 8);
	}
	if (len) {
		v = atomic_load_explicit(w, memory_order_relaxed);
		XSHM_PEER_MEMCPY(d, &v, len);
	}
}

/* CRC32C (Castagnoli, reflected 0x82f63b78), bitwise: no table needed */
static inline uint32_t xshm_wire_crc32c(uint32_t crc, const void *buf,
					size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	int k;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* ---- Layout validation (shared by the library and peers) --------------- */

/* does a value channel keep its payload in the seq word's line? */
static inline int xshm_wire_value_inline(uint32_t type, uint32_t elem_size)
{
	return (type == XSHM_WIRE_LATCH ? 2 : 1) *
	       xshm_wire_round_up(elem_size, 8) <= XSHM_WIRE_VALUE_INLINE_MAX;
}

/* distance between a value's copies (the payload, rounded) */
static inline uint64_t xshm_wire_value_span(uint32_t type, uint32_t elem_size)
{
	uint64_t p = xshm_wire_round_up(elem_size, 8);

	return xshm_wire_value_inline(type, elem_size) ?
	       p : xshm_wire_round_up(p, XSHM_WIRE_BLOCK);
}

/* where copy 0 starts in a value block */
static inline uint64_t xshm_wire_value_payload(uint32_t type,
					       uint32_t elem_size)
{
	return xshm_wire_value_inline(type, elem_size) ?
	       XSHM_WIRE_VALUE_INLINE_OFF : XSHM_WIRE_BLOCK;
}

/* bytes of one value block (LWW: of one slot) */
static inline uint64_t xshm_wire_value_block(uint32_t type, uint32_t elem_size)
{
	if (xshm_wire_value_inline(type, elem_size))
		return XSHM_WIRE_BLOCK;
	return XSHM_WIRE_BLOCK + xshm_wire_value_span(type, elem_size) *
	       (type == XSHM_WIRE_LATCH ? 2 : 1);
}

/* fixed ring slot stride: elem_size rounded up to 8 */
/* fixed slots up to this size are copied in runs, not one by one */
#define XSHM_WIRE_BULK_SLOT_MAX 16u

static inline uint64_t xshm_wire_slot_stride(uint32_t elem_size)
{
	return xshm_wire_round_up(elem_size, 8);
}

/* largest var record (header + payload, aligned) the ring accepts */
static inline uint64_t xshm_wire_rec_size(uint64_t len)
{
	return XSHM_WIRE_REC_HDR + xshm_wire_round_up(len, 8);
}

/*
 * Check a channel's parameters and compute the bytes it occupies.  The
 * parameter rules are the wire format's: anything else is refused.
 */
static inline int xshm_wire_chan_size(uint32_t type, uint32_t policy,
				      uint32_t elem_size, uint32_t capacity,
				      uint64_t *size)
{
	uint64_t data;

	if (elem_size == 0 || elem_size > XSHM_WIRE_ELEM_MAX)
		return -XSHM_PEER_EINVAL;
	switch (type) {
	case XSHM_WIRE_RING_FIXED:
		if (policy > XSHM_WIRE_FULL_OVERWRITE ||
		    !xshm_wire_is_pow2(capacity) ||
		    capacity > XSHM_WIRE_SLOTS_MAX)
			return -XSHM_PEER_EINVAL;
		data = (uint64_t)capacity * xshm_wire_slot_stride(elem_size);
		*size = 2 * XSHM_WIRE_BLOCK +
			xshm_wire_round_up(data, XSHM_WIRE_BLOCK);
		return 0;
	case XSHM_WIRE_RING_VAR:
		if (policy > XSHM_WIRE_FULL_OVERWRITE ||
		    !xshm_wire_is_pow2(capacity) ||
		    capacity < XSHM_WIRE_VAR_MIN ||
		    capacity > XSHM_WIRE_VAR_MAX ||
		    xshm_wire_rec_size(elem_size) > capacity / 2)
			return -XSHM_PEER_EINVAL;
		*size = 2 * XSHM_WIRE_BLOCK +
			xshm_wire_round_up(capacity, XSHM_WIRE_BLOCK);
		return 0;
	case XSHM_WIRE_SEQLOCK:
	case XSHM_WIRE_LATCH:
		if (policy != 0 || capacity != 0)
			return -XSHM_PEER_EINVAL;
		*size = xshm_wire_value_block(type, elem_size);
		return 0;
	case XSHM_WIRE_LWW:
		if (policy != 0 || capacity == 0 ||
		    capacity > XSHM_WIRE_LWW_MAX)
			return -XSHM_PEER_EINVAL;
		*size = (uint64_t)capacity *
			xshm_wire_value_block(type, elem_size);
		return 0;
	default:
		return -XSHM_PEER_EINVAL;
	}
}

/* first byte channels may use, after the header and the table */
static inline uint64_t xshm_wire_data_start(uint32_t header_size)
{
	return xshm_wire_round_up(header_size, XSHM_WIRE_BLOCK);
}

/*
 * Validate a local copy of one channel entry against the header's bounds:
 * a name, known parameters, the exact size they imply, and a 128-aligned
 * extent inside [data_start, layout_size).
 */
static inline int xshm_wire_chan_check(const struct xshm_wire_chan *c,
				       uint64_t data_start,
				       uint64_t layout_size)
{
	uint64_t size;
	unsigned int i;

	if (c->name[0] == '\0')
		return -XSHM_PEER_EBADMSG;
	for (i = 0; i < XSHM_WIRE_NAME_LEN && c->name[i]; i++)
		;
	if (i == XSHM_WIRE_NAME_LEN)
		return -XSHM_PEER_EBADMSG;
	if (xshm_wire_chan_size(c->type, c->policy, c->elem_size, c->capacity,
				&size))
		return -XSHM_PEER_EBADMSG;
	if (size != c->size || c->offset % XSHM_WIRE_BLOCK ||
	    c->offset < data_start || c->offset > layout_size ||
	    c->size > layout_size - c->offset)
		return -XSHM_PEER_EBADMSG;
	return 0;
}

/*
 * Validate a local copy of the header (bytes 16..63 as read; magic and
 * state are checked by the caller) against the mapped size.
 */
static inline int xshm_wire_header_check(const struct xshm_wire_header *h,
					 uint64_t mapped_size)
{
	if (h->version_major != XSHM_WIRE_VERSION_MAJOR)
		return -XSHM_PEER_EPROTO;
	if (h->nchans == 0 || h->nchans > XSHM_WIRE_CHAN_MAX ||
	    h->header_size != XSHM_WIRE_HDR_SIZE +
			      h->nchans * XSHM_WIRE_CHAN_SIZE ||
	    h->layout_size > mapped_size ||
	    h->layout_size < xshm_wire_data_start(h->header_size) ||
	    h->generation == 0)
		return -XSHM_PEER_EBADMSG;
	return 0;
}

/*
 * Has the region been re-initialised since generation was attached?
 * -ESTALE if so (word 0 is not READY, or the generation changed), 0 while
 * the layout of that generation is still there.
 */
static inline int xshm_wire_layout_stale(void *base, uint64_t generation)
{
	/* LMM_LAYOUT_STALE_ACQ: pairs with LMM_LAYOUT_READY_PUB */
	uint64_t word = atomic_load_explicit(xshm_wire_state_word(base),
					     memory_order_acquire);
	uint64_t gen = atomic_load_explicit(xshm_wire_gen_word(base),
					    memory_order_relaxed);

	if (word != XSHM_WIRE_READY_WORD || gen != generation)
		return -XSHM_PEER_ESTALE;
	return 0;
}

/* ---- Records of variable-length rings ----------------------------------- */

/*
 * Serial number arithmetic on 32-bit record seqs: how far seq is ahead of
 * expect, 0 if it is not ahead (equal, or behind: a re-delivery).
 */
static inline uint32_t xshm_wire_seq_gap(uint32_t seq, uint32_t expect)
{
	uint32_t d = seq - expect;

	return d < 0x80000000u ? d : 0;
}

/*
 * The one decoder of a record header (u32 len_flags | u32 seq << 32) read
 * at a position to_end bytes before the ring's end, with avail bytes
 * committed from there.  Returns the bytes the record takes in the ring,
 * or 0 if no honest producer wrote it: a data record must fit elem_size
 * and the bytes to the ring end (records never wrap); a padding record
 * must carry seq 0 and end exactly at the ring end; either must lie
 * inside the committed bytes.  *pad tells which it was.
 */
static inline uint64_t xshm_wire_rec_decode(uint64_t hdr, uint64_t to_end,
					    uint64_t avail,
					    uint32_t elem_size, int *pad)
{
	uint32_t lenf = (uint32_t)hdr;
	uint64_t size;

	*pad = (lenf & XSHM_WIRE_REC_PAD) != 0;
	if (*pad) {
		size = (uint64_t)(lenf & XSHM_WIRE_REC_LEN_MASK) +
		       XSHM_WIRE_REC_HDR;
		if (size != to_end || (uint32_t)(hdr >> 32))
			return 0;
	} else {
		if (lenf > elem_size)
			return 0;
		size = xshm_wire_rec_size(lenf);
		if (size > to_end)
			return 0;
	}
	return size <= avail ? size : 0;
}

/*
 * Copy a record whose length is known only at run time: a call to memcpy
 * would cost more than the bytes of a short record, so up to 16 bytes go
 * as two overlapping fixed-size copies.  Not for bytes the other side may
 * be writing (use xshm_wire_load_words() there).
 */
static inline void xshm_wire_copy(void *dst, const void *src, size_t len)
{
	unsigned char *d = (unsigned char *)dst;
	const unsigned char *s = (const unsigned char *)src;

	if (len >= 8 && len <= 16) {
		XSHM_PEER_MEMCPY(d, s, 8);
		XSHM_PEER_MEMCPY(d + len - 8, s + len - 8, 8);
	} else if (len >= 4 && len < 8) {
		XSHM_PEER_MEMCPY(d, s, 4);
		XSHM_PEER_MEMCPY(d + len - 4, s + len - 4, 4);
	} else if (len < 4) {
		while (len--)
			*d++ = *s++;
	} else {
		XSHM_PEER_MEMCPY(d, s, len);
	}
}

/*
 * Owner words.  Every side that writes a channel (ring producer, ring
 * consumer, value writer or LWW slot writer) has one 64-bit owner word in
 * its own block, set to the layout's generation G at initialisation.  A
 * write path runs between enter (CAS G -> ~G) and exit (CAS ~G -> G); an
 * initialiser that re-initialises first retires every owner word of the
 * old layout (CAS G -> 0), waiting while one reads ~G.  A side whose
 * layout was retired or replaced fails its enter (the word is not G) and
 * stores nothing: it gets -ESTALE.  A stale side can therefore not write
 * into the memory of a new layout, unless it stays inside one write path
 * longer than XSHM_WIRE_TAKEOVER_MS (it is then presumed dead).
 */

/* acquire: our stores stay after it; pairs with the retire CAS */
static inline int xshm_peer_owner_enter(_Atomic uint64_t *owner, uint64_t gen)
{
	uint64_t idle = gen;

	/* LMM_OWNER_ENTER: pairs with LMM_OWNER_RETIRE */
	if (atomic_compare_exchange_strong_explicit(owner, &idle, ~gen,
						    memory_order_acquire,
						    memory_order_relaxed))
		return 0;
	return -XSHM_PEER_ESTALE;
}

/* release: our stores come before it; pairs with the retire CAS */
static inline int xshm_peer_owner_exit(_Atomic uint64_t *owner, uint64_t gen)
{
	uint64_t busy = ~gen;

	/* LMM_OWNER_EXIT: pairs with LMM_OWNER_RETIRE, LMM_OWNER_ADOPT,
	 * LMM_OWNER_TAKEOVER */
	if (atomic_compare_exchange_strong_explicit(owner, &busy, gen,
						    memory_order_release,
						    memory_order_relaxed))
		return 0;
	return -XSHM_PEER_ESTALE;
}

/*
 * At attach: a predecessor killed inside a write path left ~G; the side
 * that replaces it takes the word back.  -ESTALE if it is neither.
 */
static inline int xshm_peer_owner_adopt(_Atomic uint64_t *owner, uint64_t gen)
{
	uint64_t w = ~gen;

	/* LMM_OWNER_ADOPT: pairs with LMM_OWNER_EXIT */
	if (atomic_compare_exchange_strong_explicit(owner, &w, gen,
						    memory_order_acquire,
						    memory_order_relaxed) ||
	    w == gen)
		return 0;
	return -XSHM_PEER_ESTALE;
}

#ifdef XSHM_WIRE_TSAN_PRAGMA
#pragma GCC diagnostic pop
#undef XSHM_WIRE_TSAN_PRAGMA
#endif

#endif /* XSHM_WIRE_H */
