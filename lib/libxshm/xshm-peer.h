/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * xshm-peer.h - the xshm wire format and a freestanding producer/writer.
 *
 * This header is the single definition of the bytes libxshm puts in a
 * shared region (see Documentation/wire-format.md); libxshm includes it so
 * the library and a peer built from it cannot drift apart.  It also holds
 * everything a small RTOS or bare-metal peer needs to create the layout
 * (xshm_peer_layout_init(), safe against the other side doing the same at
 * the same moment) and to play the producer of a ring (fixed slots or
 * variable-length records, every full policy) or the writer of a SEQLOCK,
 * LATCH or LWW value:
 *
 *	struct xshm_peer_layout lay;
 *	struct xshm_peer_ring log;
 *	if (xshm_peer_layout_attach(&lay, base, size) == 0 &&
 *	    xshm_peer_ring_attach(&lay, "log", &log) == 0)
 *		xshm_peer_ring_send(&log, msg, len);
 *
 * Freestanding: no libc calls, no allocation, only <stddef.h>, <stdint.h>
 * and <stdatomic.h> (GCC and Clang may still emit calls to memcpy, as they
 * do in any freestanding build).  Functions return 0 or a count on success
 * and a negative Linux errno value (XSHM_PEER_E*) on failure.
 *
 * Everything read from shared memory is read once into a local, validated
 * and only then used: the other side may be buggy or hostile.
 */
#ifndef XSHM_PEER_H
#define XSHM_PEER_H

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
#define XSHM_PEER_TSAN_PRAGMA
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

/* does the region still hold the layout of this generation? */
static inline int xshm_wire_layout_current(void *base, uint64_t generation)
{
	/* LMM_LAYOUT_CURRENT_ACQ: pairs with LMM_LAYOUT_READY_PUB */
	uint64_t word = atomic_load_explicit(
		xshm_wire_u64(base, 0), memory_order_acquire);
	uint64_t gen = atomic_load_explicit(
		xshm_wire_u64(base, 40), memory_order_relaxed);

	if (word != XSHM_WIRE_READY_WORD || gen != generation)
		return -XSHM_PEER_ESTALE;
	return 0;
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

	/* LMM_OWNER_EXIT: pairs with LMM_OWNER_RETIRE */
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

/* ---- Attaching to a layout ---------------------------------------------- */

struct xshm_peer_layout {
	unsigned char *base;
	uint64_t mapped_size;
	uint64_t layout_size;
	uint64_t generation;
	uint32_t header_size;
	uint32_t nchans;
};

/*
 * Attach to the layout Linux initialised in [base, base + size).  Returns
 * -ENODATA (not initialised yet: poll again later), -EPROTO (incompatible
 * version), -EBADMSG (checksum or bounds wrong) or -EAGAIN (re-initialised
 * while we read it).
 */
static inline int xshm_peer_layout_attach(struct xshm_peer_layout *l,
					  void *base, uint64_t size)
{
	struct xshm_wire_header h;
	uint64_t w, off, gen;
	uint32_t crc = 0, stored;
	int err;

	if (!base || ((uintptr_t)base & 7) || size < XSHM_WIRE_HDR_SIZE)
		return -XSHM_PEER_EINVAL;
	/* LMM_PEER_ATTACH_ACQ: pairs with LMM_LAYOUT_READY_PUB */
	if (atomic_load_explicit(xshm_wire_u64(base, 0),
				 memory_order_acquire) != XSHM_WIRE_READY_WORD)
		return -XSHM_PEER_ENODATA;
	/* the generation is stored last: it tells which layout we copy */
	/* LMM_PEER_GEN_FIRST: pairs with LMM_LAYOUT_GEN_PUB */
	gen = atomic_load_explicit(xshm_wire_u64(base, 40),
				   memory_order_acquire);
	xshm_wire_load_words((unsigned char *)&h + 8,
			     (unsigned char *)base + 8, XSHM_WIRE_HDR_SIZE - 8);
	err = xshm_wire_header_check(&h, size);
	if (err) {
		/* a copy torn by a re-initialisation is not a corrupt one */
		/* LMM_PEER_TORN_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
		atomic_thread_fence(memory_order_acquire);
		return xshm_wire_layout_current(base, gen) ||
		       h.generation != gen ? -XSHM_PEER_EAGAIN : err;
	}
	stored = h.checksum;
	for (off = XSHM_WIRE_CHECKSUM_FROM; off < h.header_size; off += 8) {
		w = atomic_load_explicit(xshm_wire_u64(base, off),
					 memory_order_relaxed);
		crc = xshm_wire_crc32c(crc, &w, 8);
	}
	/* LMM_PEER_ATTACH_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
	atomic_thread_fence(memory_order_acquire);
	if (h.generation != gen || xshm_wire_layout_current(base, gen))
		return -XSHM_PEER_EAGAIN;
	if (crc != stored)
		return -XSHM_PEER_EBADMSG;
	l->base = (unsigned char *)base;
	l->mapped_size = size;
	l->layout_size = h.layout_size;
	l->generation = h.generation;
	l->header_size = h.header_size;
	l->nchans = h.nchans;
	return 0;
}

/* -ESTALE once the layout was re-initialised (attach again) */
static inline int xshm_peer_layout_stale(const struct xshm_peer_layout *l)
{
	return xshm_wire_layout_current(l->base, l->generation);
}

/* find a channel by name; *out is a validated local copy */
static inline int xshm_peer_layout_find(const struct xshm_peer_layout *l,
					const char *name,
					struct xshm_wire_chan *out)
{
	struct xshm_wire_chan c;
	unsigned int i, k;

	for (i = 0; i < l->nchans; i++) {
		xshm_wire_load_words(&c, l->base + XSHM_WIRE_HDR_SIZE +
				     (uint64_t)i * XSHM_WIRE_CHAN_SIZE,
				     sizeof(c));
		for (k = 0; k < XSHM_WIRE_NAME_LEN; k++)
			if (c.name[k] != name[k] || !name[k])
				break;
		if (k == XSHM_WIRE_NAME_LEN || c.name[k] != name[k])
			continue;
		/* LMM_PEER_FIND_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
		atomic_thread_fence(memory_order_acquire);
		if (xshm_peer_layout_stale(l))
			return -XSHM_PEER_ESTALE;
		if (xshm_wire_chan_check(&c, xshm_wire_data_start(
					 l->header_size), l->layout_size))
			return -XSHM_PEER_EBADMSG;
		*out = c;
		return 0;
	}
	return -XSHM_PEER_ENOENT;
}

/* ---- Creating a layout (the one-time initialiser) ---------------------- */

/* a channel to create; the fields of libxshm's struct xshm_chan_spec */
struct xshm_peer_chan_spec {
	const char *name;
	uint32_t type, policy, elem_size, capacity;
};

/*
 * What the initialiser needs from its environment: a monotonic clock, a
 * way to wait a little between polls (sleep or spin), and a random value
 * that differs between calls (hardware RNG, boot counter mixed with a
 * cycle counter, ...): claim tickets and generations derive from it.
 */
struct xshm_peer_init_env {
	uint64_t (*now_ms)(void *ctx);
	void (*pause)(void *ctx);
	void *ctx;
	uint64_t random;
	uint32_t takeover_ms;	/* 0: XSHM_WIRE_TAKEOVER_MS */
};

#define XSHM_PEER_INIT_FORCE	0x1u	/* = XSHM_INIT_FORCE */

/* the header and table the initialiser wants, built locally */
struct xshm_peer__want {
	struct xshm_wire_header hdr;
	struct xshm_wire_chan chan[XSHM_WIRE_CHAN_MAX];
};

static inline uint64_t xshm_peer__mix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline int xshm_peer__name_eq(const char *a, const char *b)
{
	unsigned int i;

	for (i = 0; a[i] == b[i]; i++)
		if (!a[i])
			return 1;
	return 0;
}

/*
 * Build the table: channels follow each other from the end of the table,
 * in the order given (the placement rule of the wire format).  RING_VAR
 * elem_size 0 means capacity / 4.  -EINVAL, or -ENOSPC if it exceeds size.
 */
static inline int xshm_peer__build(struct xshm_peer__want *w,
				   const struct xshm_peer_chan_spec *chans,
				   unsigned int n, uint64_t size)
{
	struct xshm_wire_chan *c;
	uint64_t off, csize;
	unsigned int i, j, len;
	uint32_t elem;
	int err;

	if (!chans || n == 0 || n > XSHM_WIRE_CHAN_MAX)
		return -XSHM_PEER_EINVAL;
	for (i = 0; i < sizeof(*w); i++)
		((unsigned char *)w)[i] = 0;
	w->hdr.version_major = XSHM_WIRE_VERSION_MAJOR;
	w->hdr.version_minor = XSHM_WIRE_VERSION_MINOR;
	w->hdr.nchans = n;
	w->hdr.header_size = XSHM_WIRE_HDR_SIZE + n * XSHM_WIRE_CHAN_SIZE;
	off = xshm_wire_data_start(w->hdr.header_size);
	for (i = 0; i < n; i++) {
		c = &w->chan[i];
		if (!chans[i].name)
			return -XSHM_PEER_EINVAL;
		for (len = 0; len < XSHM_WIRE_NAME_LEN && chans[i].name[len];
		     len++)
			c->name[len] = chans[i].name[len];
		if (len == 0 || len == XSHM_WIRE_NAME_LEN)
			return -XSHM_PEER_EINVAL;
		for (j = 0; j < i; j++)
			if (xshm_peer__name_eq(chans[j].name, chans[i].name))
				return -XSHM_PEER_EINVAL;
		elem = chans[i].elem_size;
		if (chans[i].type == XSHM_WIRE_RING_VAR && elem == 0)
			elem = chans[i].capacity / 4;
		err = xshm_wire_chan_size(chans[i].type, chans[i].policy, elem,
					  chans[i].capacity, &csize);
		if (err)
			return err;
		c->type = chans[i].type;
		c->policy = chans[i].policy;
		c->elem_size = elem;
		c->capacity = chans[i].capacity;
		c->offset = off;
		c->size = csize;
		off += csize;
		if (off > size)
			return -XSHM_PEER_ENOSPC;
	}
	w->hdr.layout_size = off;
	return 0;
}

/* the claim of one initialiser: its ticket in word 0, and the clock */
struct xshm_peer__claim {
	unsigned char *base;
	const struct xshm_peer_init_env *env;
	uint64_t ticket;
	uint32_t takeover_ms;
};

/*
 * Heartbeat: advance our ticket (CAS, so we learn if another side took
 * the claim over after we looked dead).  -EAGAIN if we lost the claim:
 * stop writing at once.
 */
static inline int xshm_peer__beat(struct xshm_peer__claim *cl)
{
	uint64_t want = cl->ticket;
	uint32_t low = (uint32_t)cl->ticket + 1;
	uint64_t next = (cl->ticket & ~0xffffffffull) | (low ? low : 1u);

	/* acq_rel: orders our earlier stores before the beat a waiter sees */
	/* LMM_CLAIM_BEAT: pairs with LMM_CLAIM_LOOK_ACQ */
	if (!atomic_compare_exchange_strong_explicit(
		    xshm_wire_u64(cl->base, 0), &want, next,
		    memory_order_acq_rel, memory_order_relaxed))
		return -XSHM_PEER_EAGAIN;
	cl->ticket = next;
	return 0;
}

/*
 * Retire one owner word of the old layout (generation gen): CAS G -> 0
 * (acquire: pairs with the writer's release exit, so its stores are done
 * before we reuse the memory).  A writer inside (~G) is waited for, up to
 * the takeover time, then presumed dead.  Any other value: not an owner
 * of that layout, nothing to wait for.
 */
static inline int xshm_peer__retire(struct xshm_peer__claim *cl,
				    uint64_t off, uint64_t gen)
{
	_Atomic uint64_t *owner = xshm_wire_u64(cl->base, off);
	uint64_t w, since = cl->env->now_ms(cl->env->ctx);
	int err;

	for (;;) {
		w = gen;
		/* LMM_OWNER_RETIRE: pairs with LMM_OWNER_EXIT */
		if (atomic_compare_exchange_strong_explicit(
			    owner, &w, 0, memory_order_acquire,
			    memory_order_acquire) || w != ~gen)
			return 0;
		if (cl->env->now_ms(cl->env->ctx) - since >= cl->takeover_ms) {
			/* LMM_OWNER_TAKEOVER: pairs with LMM_OWNER_EXIT */
			atomic_compare_exchange_strong_explicit(
				owner, &w, 0, memory_order_acquire,
				memory_order_relaxed);
			continue;
		}
		err = xshm_peer__beat(cl);
		if (err)
			return err;
		cl->env->pause(cl->env->ctx);
	}
}

/* retire every owner word of a validated old layout */
static inline int xshm_peer__retire_all(struct xshm_peer__claim *cl,
					const struct xshm_peer__want *old)
{
	const struct xshm_wire_chan *c;
	uint64_t gen = old->hdr.generation, blk, i;
	unsigned int k;
	int err = 0;

	for (k = 0; k < old->hdr.nchans && !err; k++) {
		c = &old->chan[k];
		if (c->type == XSHM_WIRE_RING_FIXED ||
		    c->type == XSHM_WIRE_RING_VAR) {
			err = xshm_peer__retire(cl, c->offset + 40, gen);
			if (!err)
				err = xshm_peer__retire(cl, c->offset +
							XSHM_WIRE_BLOCK + 24,
							gen);
			continue;
		}
		blk = xshm_wire_value_block(c->type, c->elem_size);
		for (i = 0; i < (c->type == XSHM_WIRE_LWW ? c->capacity : 1) &&
		     !err; i++)
			err = xshm_peer__retire(cl, c->offset + i * blk +
						XSHM_WIRE_VALUE_OWNER_OFF, gen);
	}
	return err;
}

/* set every owner word of the new layout to its generation */
static inline void xshm_peer__own_all(unsigned char *base,
				      const struct xshm_peer__want *w)
{
	const struct xshm_wire_chan *c;
	uint64_t gen = w->hdr.generation, blk, i;
	unsigned int k;

	for (k = 0; k < w->hdr.nchans; k++) {
		c = &w->chan[k];
		if (c->type == XSHM_WIRE_RING_FIXED ||
		    c->type == XSHM_WIRE_RING_VAR) {
			atomic_store_explicit(xshm_wire_u64(base, c->offset + 40),
					      gen, memory_order_relaxed);
			atomic_store_explicit(xshm_wire_u64(base, c->offset +
					      XSHM_WIRE_BLOCK + 24), gen,
					      memory_order_relaxed);
			continue;
		}
		blk = xshm_wire_value_block(c->type, c->elem_size);
		for (i = 0; i < (c->type == XSHM_WIRE_LWW ? c->capacity : 1);
		     i++)
			atomic_store_explicit(xshm_wire_u64(base, c->offset +
					      i * blk +
					      XSHM_WIRE_VALUE_OWNER_OFF),
					      gen, memory_order_relaxed);
	}
}

/*
 * Copy and check the layout in place (READY was seen): header, checksum,
 * channel entries.  0, -EPROTO, -EBADMSG, or -EAGAIN if it changed while
 * we read.
 */
static inline int xshm_peer__read_old(unsigned char *base, uint64_t size,
				      struct xshm_peer__want *old)
{
	struct xshm_peer_layout l;
	uint32_t crc;
	unsigned int k;
	int err = xshm_peer_layout_attach(&l, base, size);

	if (err)
		return err;
	xshm_wire_load_words(old, base, XSHM_WIRE_HDR_SIZE +
			     (uint64_t)l.nchans * XSHM_WIRE_CHAN_SIZE);
	/* LMM_INIT_OLD_RECHECK: pairs with LMM_LAYOUT_INIT_FENCE */
	atomic_thread_fence(memory_order_acquire);
	if (xshm_peer_layout_stale(&l) || old->hdr.generation != l.generation)
		return -XSHM_PEER_EAGAIN;
	crc = xshm_wire_crc32c(0, (unsigned char *)&old->hdr +
			       XSHM_WIRE_CHECKSUM_FROM, l.header_size -
			       XSHM_WIRE_CHECKSUM_FROM);
	if (crc != old->hdr.checksum)
		return -XSHM_PEER_EAGAIN;
	for (k = 0; k < l.nchans; k++)
		if (xshm_wire_chan_check(&old->chan[k], xshm_wire_data_start(
					 l.header_size), l.layout_size))
			return -XSHM_PEER_EBADMSG;
	return 0;
}

/* same channels, same places (the header's other fields follow) */
static inline int xshm_peer__same(const struct xshm_peer__want *a,
				  const struct xshm_peer__want *b)
{
	const unsigned char *x = (const unsigned char *)a->chan;
	const unsigned char *y = (const unsigned char *)b->chan;
	uint64_t i;

	if (a->hdr.nchans != b->hdr.nchans)
		return 0;
	for (i = 0; i < (uint64_t)a->hdr.nchans * XSHM_WIRE_CHAN_SIZE; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

/*
 * Write the layout while holding the claim: retire the old one's owner
 * words, zero the channels (beating between chunks), header, table, owner
 * words, then the release CAS from our ticket to READY.  -EAGAIN if the
 * claim was taken over.
 */
static inline int xshm_peer__write(struct xshm_peer__claim *cl,
				   struct xshm_peer__want *w,
				   const struct xshm_peer__want *old,
				   uint64_t *seed)
{
	static const uint64_t zero[8];
	uint64_t tbl = (uint64_t)w->hdr.nchans * XSHM_WIRE_CHAN_SIZE;
	uint64_t o, n, want = cl->ticket;
	int err = old ? xshm_peer__retire_all(cl, old) : 0;

	if (err)
		return err;
	do
		w->hdr.generation = xshm_peer__mix(seed);
	while (!w->hdr.generation ||
	       (old && w->hdr.generation == old->hdr.generation));
	w->hdr.checksum = xshm_wire_crc32c(0, (unsigned char *)&w->hdr +
					   XSHM_WIRE_CHECKSUM_FROM,
					   XSHM_WIRE_HDR_SIZE +
					   tbl - XSHM_WIRE_CHECKSUM_FROM);
	for (o = XSHM_WIRE_HDR_SIZE + tbl; o < w->hdr.layout_size; o += n) {
		if (((o - XSHM_WIRE_HDR_SIZE - tbl) & 0xffff) == 0) {
			err = xshm_peer__beat(cl);
			if (err)
				return err;
		}
		n = w->hdr.layout_size - o < sizeof(zero) ?
		    w->hdr.layout_size - o : sizeof(zero);
		xshm_wire_store_words(cl->base + o, zero, n);
	}
	xshm_peer__own_all(cl->base, w);
	/* the header but its generation (at 40), the table */
	xshm_wire_store_words(cl->base + 8, (unsigned char *)&w->hdr + 8,
			      40 - 8);
	xshm_wire_store_words(cl->base + 48, (unsigned char *)&w->hdr + 48,
			      XSHM_WIRE_HDR_SIZE - 48 + tbl);
	/* a reader that acquires this generation sees the layout above */
	/* LMM_LAYOUT_GEN_PUB: pairs with LMM_*_GEN_FIRST */
	atomic_store_explicit(xshm_wire_u64(cl->base, 40), w->hdr.generation,
			      memory_order_release);
	want = cl->ticket;
	/* release: everything above is visible to whoever sees READY */
	/* LMM_LAYOUT_READY_PUB: pairs with LMM_*_ACQ */
	if (!atomic_compare_exchange_strong_explicit(
		    xshm_wire_u64(cl->base, 0), &want, XSHM_WIRE_READY_WORD,
		    memory_order_release, memory_order_relaxed))
		return -XSHM_PEER_EAGAIN;
	return 0;
}

/*
 * The one-time initialiser, safe when several sides run it at once on
 * memory that starts as garbage.  Word 0 is the claim: a side CASes it
 * from the value it saw to its own ticket (INIT << 32 | random), so of
 * sides that saw the same value exactly one wins.  A side that sees
 * another's ticket waits while the ticket keeps changing (the holder
 * beats) and takes the claim over once it stayed the same for
 * takeover_ms (the holder died).  The winner writes the layout and CASes
 * its ticket to READY; the others then find READY and keep that layout.
 *
 * Returns 1 if a valid layout with exactly these channels was there (it
 * is kept: positions and counters too), 0 if this call initialised (with
 * XSHM_PEER_INIT_FORCE, or over garbage), -EEXIST if a valid layout with
 * other channels is there, -EPROTO for another format version (both
 * unless forced), -EINVAL/-ENOSPC for a bad spec.  On success *l is
 * attached to the layout.
 */
static inline int xshm_peer_layout_init(struct xshm_peer_layout *l,
					void *base, uint64_t size,
					const struct xshm_peer_chan_spec *chans,
					unsigned int n, unsigned int flags,
					const struct xshm_peer_init_env *env)
{
	struct xshm_peer__want want, old;
	struct xshm_peer__claim cl;
	uint64_t seed = env->random, w, seen = 0, since = 0;
	int err, have_old, watching = 0;

	if (!base || ((uintptr_t)base & 7) || (flags & ~XSHM_PEER_INIT_FORCE))
		return -XSHM_PEER_EINVAL;
	err = xshm_peer__build(&want, chans, n, size);
	if (err)
		return err;
	cl.base = (unsigned char *)base;
	cl.env = env;
	cl.takeover_ms = env->takeover_ms ? env->takeover_ms :
			 XSHM_WIRE_TAKEOVER_MS;
	for (;;) {
		have_old = 0;
		/* LMM_CLAIM_LOOK_ACQ: pairs with LMM_LAYOUT_READY_PUB */
		w = atomic_load_explicit(xshm_wire_u64(base, 0),
					 memory_order_acquire);
		if (w == XSHM_WIRE_READY_WORD) {
			err = xshm_peer__read_old(cl.base, size, &old);
			if (err == -XSHM_PEER_EAGAIN)
				continue;
			if (!(flags & XSHM_PEER_INIT_FORCE)) {
				if (!err && !xshm_peer__same(&want, &old))
					return -XSHM_PEER_EEXIST;
				if (!err) {
					err = xshm_peer_layout_attach(l, base,
								      size);
					if (err == -XSHM_PEER_EAGAIN)
						continue;
					return err ? err : 1;
				}
				if (err == -XSHM_PEER_EPROTO)
					return err;
			}
			have_old = !err;
		} else if ((w >> 32) == XSHM_WIRE_STATE_INIT) {
			/* someone's claim: wait while it shows progress */
			if (w != seen || !watching) {
				seen = w;
				since = env->now_ms(env->ctx);
				watching = 1;
				env->pause(env->ctx);
				continue;
			}
			if (env->now_ms(env->ctx) - since < cl.takeover_ms) {
				env->pause(env->ctx);
				continue;
			}
		}
		/* claim it: from exactly the value we judged */
		cl.ticket = (uint64_t)XSHM_WIRE_STATE_INIT << 32 |
			    ((uint32_t)xshm_peer__mix(&seed) | 1u);
		/* LMM_CLAIM_CAS: pairs with LMM_CLAIM_LOOK_ACQ */
		if (!atomic_compare_exchange_strong_explicit(
			    xshm_wire_u64(base, 0), &w, cl.ticket,
			    memory_order_acq_rel, memory_order_relaxed))
			continue;
		/*
		 * release: readers that see any store below also see the
		 * claim (they recheck word 0 after an acquire fence)
		 */
		/* LMM_LAYOUT_INIT_FENCE: pairs with every *_RECHECK */
		atomic_thread_fence(memory_order_release);
		watching = 0;
		err = xshm_peer__write(&cl, &want, have_old ? &old : 0, &seed);
		if (err == -XSHM_PEER_EAGAIN)
			continue;	/* taken over: see what they made */
		if (err)
			return err;
		err = xshm_peer_layout_attach(l, base, size);
		return err ? err : 0;
	}
}

/* ---- Ring producer ------------------------------------------------------ */

struct xshm_peer_ring {
	struct xshm_wire_ring_prod *prod;	/* shared */
	struct xshm_wire_ring_cons *cons;	/* shared */
	unsigned char *data;			/* shared */
	uint32_t type, policy, elem_size;
	uint32_t stride;	/* fixed: slot bytes in the ring */
	uint64_t capacity;	/* slots (fixed) or data bytes (var) */
	uint64_t mask;
	uint64_t head;		/* last published head */
	uint64_t pos;		/* var: end of the reservations */
	uint64_t oldest;	/* OVERWRITE frontier, private copy */
	uint64_t tail_cache;	/* consumer tail last read */
	uint64_t produced, dropped;
	uint64_t corrupt;	/* invalid shared values seen */
	uint32_t next_seq;
	uint32_t pending;	/* var: records reserved, not committed */
	/* OVERWRITE var rings: records are staged here until commit */
	unsigned char *staging;
	uint64_t staging_size;
	_Atomic uint64_t *owner;	/* shared: prod->owner */
	uint64_t gen;			/* layout generation attached to */
};

/* is seq a newer than b (32-bit serial number arithmetic)? */
static inline int xshm_wire_seq_after(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;

	return d != 0 && d < 0x80000000u;
}

/*
 * A producer that died after publishing head but before storing its
 * counters (they follow the head store) left them one batch behind.  The
 * committed records are the truth: fixed rings count one per position;
 * var rings take the newest seq among the records still in the ring and
 * the consumer's expectation.  Records are validated as a consumer would,
 * the walk stops at the first one that does not make sense.
 */
static inline void xshm_peer__recover_counters(struct xshm_peer_ring *r,
					       uint64_t from)
{
	uint64_t p = from, hdr, to_end, size;
	uint32_t lenf, seq = r->next_seq, s;
	int32_t d;

	if (r->type == XSHM_WIRE_RING_FIXED) {
		if (r->produced != r->head) {
			r->produced = r->head;
			atomic_store_explicit(&r->prod->produced, r->produced,
					      memory_order_relaxed);
		}
		return;
	}
	s = atomic_load_explicit(&r->cons->next_seq, memory_order_relaxed);
	if (xshm_wire_seq_after(s, seq))
		seq = s;
	while (p != r->head) {
		to_end = r->capacity - (p & r->mask);
		hdr = atomic_load_explicit(xshm_wire_u64(r->data, p & r->mask),
					   memory_order_relaxed);
		lenf = (uint32_t)hdr;
		if (lenf & XSHM_WIRE_REC_PAD) {
			size = (uint64_t)(lenf & XSHM_WIRE_REC_LEN_MASK) +
			       XSHM_WIRE_REC_HDR;
			if (size != to_end)
				break;
		} else {
			if (lenf > r->elem_size)
				break;
			size = xshm_wire_rec_size(lenf);
			if (size > to_end)
				break;
		}
		if (size > r->head - p)
			break;
		s = (uint32_t)(hdr >> 32) + 1;
		if (!(lenf & XSHM_WIRE_REC_PAD) && xshm_wire_seq_after(s, seq))
			seq = s;
		p += size;
	}
	/* the lost counter updates were for committed records */
	r->produced += seq - r->next_seq;
	r->next_seq = seq;
	/*
	 * Every seq is used by a committed or a dropped record, so
	 * next_seq == produced + dropped (mod 2^32) whenever no store
	 * sequence was cut short.  A death between the stores of a commit
	 * left produced behind; between those of a drop, next_seq.
	 */
	d = (int32_t)((uint32_t)(r->produced + r->dropped) - r->next_seq);
	if (d < 0)
		r->produced += (uint64_t)(-(int64_t)d);
	else
		r->next_seq += (uint32_t)d;
	atomic_store_explicit(&r->prod->next_seq, r->next_seq,
			      memory_order_relaxed);
	atomic_store_explicit(&r->prod->produced, r->produced,
			      memory_order_relaxed);
}

/*
 * Attach as the producer of ring channel c at base (a validated channel
 * from xshm_peer_layout_find()).  The shared positions are the resume
 * point and are validated: -EBADMSG if they are inconsistent.
 */
static inline int xshm_peer_ring_attach_chan(struct xshm_peer_ring *r,
					     void *base,
					     const struct xshm_wire_chan *c,
					     uint64_t gen)
{
	unsigned char *blk = (unsigned char *)base + c->offset;
	uint64_t head, tail, oldest;
	int err;

	if (c->type != XSHM_WIRE_RING_FIXED && c->type != XSHM_WIRE_RING_VAR)
		return -XSHM_PEER_EINVAL;
	*r = (struct xshm_peer_ring){ 0 };
	r->prod = (struct xshm_wire_ring_prod *)(void *)blk;
	r->cons = (struct xshm_wire_ring_cons *)(void *)(blk + XSHM_WIRE_BLOCK);
	r->data = blk + 2 * XSHM_WIRE_BLOCK;
	r->type = c->type;
	r->policy = c->policy;
	r->elem_size = c->elem_size;
	r->stride = (uint32_t)xshm_wire_slot_stride(c->elem_size);
	r->capacity = c->capacity;
	r->mask = r->capacity - 1;
	r->owner = &r->prod->owner;
	r->gen = gen;
	err = xshm_peer_owner_adopt(r->owner, gen);
	if (!err)
		err = xshm_peer_owner_enter(r->owner, gen);
	if (err)
		return err;

	head = atomic_load_explicit(&r->prod->head, memory_order_relaxed);
	oldest = atomic_load_explicit(&r->prod->oldest, memory_order_relaxed);
	/* LMM_PEER_ATTACH_TAIL_ACQ: pairs with LMM_*_TAIL_PUB */
	tail = atomic_load_explicit(&r->cons->tail, memory_order_acquire);
	if ((c->type == XSHM_WIRE_RING_VAR && ((head | oldest | tail) & 7)) ||
	    (r->policy == XSHM_WIRE_FULL_OVERWRITE ? head - oldest :
	     head - tail) > r->capacity) {
		xshm_peer_owner_exit(r->owner, gen);
		return -XSHM_PEER_EBADMSG;
	}
	r->head = head;
	r->pos = head;
	r->oldest = oldest;
	r->tail_cache = tail;
	r->produced = atomic_load_explicit(&r->prod->produced,
					   memory_order_relaxed);
	r->dropped = atomic_load_explicit(&r->prod->dropped,
					  memory_order_relaxed);
	r->next_seq = atomic_load_explicit(&r->prod->next_seq,
					   memory_order_relaxed);
	xshm_peer__recover_counters(r, r->policy == XSHM_WIRE_FULL_OVERWRITE ?
				    oldest : tail);
	return xshm_peer_owner_exit(r->owner, gen);
}

/* leave a write path: -ESTALE if the layout was taken over meanwhile */
static inline int xshm_peer__leave(struct xshm_peer_ring *r, int ret)
{
	int err = xshm_peer_owner_exit(r->owner, r->gen);

	return err ? err : ret;
}

static inline int xshm_peer_ring_attach(const struct xshm_peer_layout *l,
					const char *name,
					struct xshm_peer_ring *r)
{
	struct xshm_wire_chan c;
	int err = xshm_peer_layout_find(l, name, &c);

	return err ? err : xshm_peer_ring_attach_chan(r, l->base, &c,
						      l->generation);
}

/*
 * OVERWRITE var rings need a staging buffer of at least capacity bytes
 * for xshm_peer_ring_reserve() (send/push work without one).
 */
static inline void xshm_peer_ring_set_staging(struct xshm_peer_ring *r,
					      void *buf, uint64_t size)
{
	r->staging = (unsigned char *)buf;
	r->staging_size = size;
}

/* re-read the consumer's tail; -EBADMSG if it is not in [head-cap, head] */
static inline int xshm_peer__refresh_tail(struct xshm_peer_ring *r)
{
	/* LMM_RING_TAIL_ACQ: pairs with LMM_*_TAIL_PUB */
	uint64_t tail = atomic_load_explicit(&r->cons->tail,
					     memory_order_acquire);

	if (r->head - tail > r->capacity ||
	    (r->type == XSHM_WIRE_RING_VAR && (tail & 7))) {
		r->corrupt++;
		return -XSHM_PEER_EBADMSG;
	}
	r->tail_cache = tail;
	return 0;
}

/* dropped first: a death before next_seq is repaired at attach */
static inline void xshm_peer__count_drops(struct xshm_peer_ring *r,
					  uint32_t n)
{
	r->dropped += n;
	atomic_store_explicit(&r->prod->dropped, r->dropped,
			      memory_order_relaxed);
	if (r->type == XSHM_WIRE_RING_VAR) {
		r->next_seq += n;
		atomic_store_explicit(&r->prod->next_seq, r->next_seq,
				      memory_order_relaxed);
	}
}

static inline void xshm_peer__count_drop(struct xshm_peer_ring *r)
{
	xshm_peer__count_drops(r, 1);
}

/*
 * Publish the OVERWRITE frontier before any store that may overwrite.
 * A release store: a consumer that sees this oldest past the head it
 * loaded loads head again and must find the head published before it.
 */
static inline void xshm_peer__publish_oldest(struct xshm_peer_ring *r)
{
	/* LMM_OVW_OLDEST_STORE: pairs with LMM_OVW_REREAD */
	atomic_store_explicit(&r->prod->oldest, r->oldest,
			      memory_order_release);
	/* LMM_OVW_OLDEST_PUB: pairs with LMM_OVW_*_RECHECK */
	atomic_thread_fence(memory_order_release);
}

/*
 * Push one fixed-size slot (elem_size bytes from slot).  FAIL: -EAGAIN
 * when full; DROP: -ENOBUFS, counted; OVERWRITE: never fails.
 */
static inline int xshm_peer__push(struct xshm_peer_ring *r,
				  const void *slot)
{
	unsigned char *dst;
	int err;

	dst = r->data + (r->head & r->mask) * r->stride;
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE) {
		if (r->head - r->oldest >= r->capacity) {
			r->oldest = r->head - r->capacity + 1;
			xshm_peer__publish_oldest(r);
		}
		xshm_wire_store_words(dst, slot, r->elem_size);
	} else {
		if (r->head - r->tail_cache >= r->capacity) {
			err = xshm_peer__refresh_tail(r);
			if (err)
				return err;
		}
		if (r->head - r->tail_cache >= r->capacity) {
			if (r->policy == XSHM_WIRE_FULL_FAIL)
				return -XSHM_PEER_EAGAIN;
			xshm_peer__count_drop(r);
			return -XSHM_PEER_ENOBUFS;
		}
		XSHM_PEER_MEMCPY(dst, slot, r->elem_size);
	}
	r->head++;
	r->produced++;
	/* head first: it is the truth a restarted producer recovers from */
	/* LMM_FIXED_HEAD_PUB: pairs with LMM_FIXED_HEAD_ACQ */
	atomic_store_explicit(&r->prod->head, r->head, memory_order_release);
	atomic_store_explicit(&r->prod->produced, r->produced,
			      memory_order_relaxed);
	return 0;
}

static inline int xshm_peer_ring_push(struct xshm_peer_ring *r,
				      const void *slot)
{
	int err;

	if (r->type != XSHM_WIRE_RING_FIXED)
		return -XSHM_PEER_EINVAL;
	err = xshm_peer_owner_enter(r->owner, r->gen);
	return err ? err : xshm_peer__leave(r, xshm_peer__push(r, slot));
}

/* push, refusing a slot whose size is not the channel's elem_size */
static inline int xshm_peer_ring_push_sized(struct xshm_peer_ring *r,
					    const void *slot, size_t size)
{
	if (r->type == XSHM_WIRE_RING_FIXED && size != r->elem_size)
		return -XSHM_PEER_EMSGSIZE;
	return xshm_peer_ring_push(r, slot);
}

/*
 * Copy n slots to the ring from head on.  Small packed slots (stride ==
 * elem_size) go in one copy up to the wrap and one after: a call per
 * 8-byte slot would cost more than the data.  From 32 bytes up, copying
 * slot by slot measured faster.
 */
static inline void xshm_peer__copy_slots_in(struct xshm_peer_ring *r,
					    const unsigned char *src,
					    unsigned int n)
{
	uint64_t at = r->head & r->mask, run, i;

	if (r->stride == r->elem_size &&
	    r->elem_size <= XSHM_WIRE_BULK_SLOT_MAX) {
		run = r->capacity - at < n ? r->capacity - at : n;
		XSHM_PEER_MEMCPY(r->data + at * r->stride, src,
				 run * r->stride);
		if (run < n)
			XSHM_PEER_MEMCPY(r->data, src + run * r->stride,
					 (n - run) * r->stride);
		return;
	}
	for (i = 0; i < n; i++, src += r->elem_size)
		XSHM_PEER_MEMCPY(r->data + ((r->head + i) & r->mask) *
				 r->stride, src, r->elem_size);
}

/*
 * Push up to n slots with one release store (OVERWRITE: one per capacity
 * slots, the earlier ones overwritten at once).  Returns the number written
 * into the ring: FAIL stops when full (the rest is not consumed), DROP
 * drops and counts the rest, OVERWRITE writes all n.  A negative value
 * only if nothing was written and the ring is corrupt (-EBADMSG).
 */
static inline int xshm_peer__push_batch(struct xshm_peer_ring *r,
					const void *slots, unsigned int n)
{
	const unsigned char *src = (const unsigned char *)slots;
	unsigned int done = 0, i;
	uint64_t room;
	int err;

	if (r->policy == XSHM_WIRE_FULL_OVERWRITE && n > r->capacity) {
		/*
		 * A ring's worth per publication: skipping the slots that
		 * cannot survive would move oldest past the published head,
		 * which consumers take for a corrupt producer.
		 */
		for (; done < n; done += i) {
			i = n - done < r->capacity ? n - done :
			    (unsigned int)r->capacity;
			xshm_peer__push_batch(r, src + (size_t)done *
					      r->elem_size, i);
		}
		return (int)n;
	}
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE) {
		if (r->head + n - r->oldest > r->capacity) {
			r->oldest = r->head + n - r->capacity;
			xshm_peer__publish_oldest(r);
		}
		for (i = 0; i < n; i++, src += r->elem_size) {
			xshm_wire_store_words(r->data + (r->head & r->mask) *
					      r->stride, src, r->elem_size);
			r->head++;
		}
		r->produced += n;
		done = n;
	} else {
		room = r->capacity - (r->head - r->tail_cache);
		if (room < n) {
			err = xshm_peer__refresh_tail(r);
			if (err)
				return err;
			room = r->capacity - (r->head - r->tail_cache);
		}
		done = room < n ? (unsigned int)room : n;
		xshm_peer__copy_slots_in(r, src, done);
		r->head += done;
		r->produced += done;
	}
	if (done) {
		/* LMM_FIXED_BATCH_PUB: pairs with LMM_FIXED_HEAD_ACQ */
		atomic_store_explicit(&r->prod->head, r->head,
				      memory_order_release);
		atomic_store_explicit(&r->prod->produced, r->produced,
				      memory_order_relaxed);
	}
	/* the dropped slots come after the written ones */
	if (r->policy == XSHM_WIRE_FULL_DROP)
		for (i = done; i < n; i++)
			xshm_peer__count_drop(r);
	return (int)done;
}

static inline int xshm_peer_ring_push_batch(struct xshm_peer_ring *r,
					    const void *slots, unsigned int n)
{
	int err;

	if (r->type != XSHM_WIRE_RING_FIXED || n > 0x7fffffffu)
		return -XSHM_PEER_EINVAL;
	err = xshm_peer_owner_enter(r->owner, r->gen);
	return err ? err :
	       xshm_peer__leave(r, xshm_peer__push_batch(r, slots, n));
}

static inline int xshm_peer_ring_push_batch_sized(struct xshm_peer_ring *r,
						  const void *slots,
						  size_t size, unsigned int n)
{
	if (r->type == XSHM_WIRE_RING_FIXED && size != r->elem_size)
		return -XSHM_PEER_EMSGSIZE;
	return xshm_peer_ring_push_batch(r, slots, n);
}

/*
 * OVERWRITE: advance the frontier over whole records until the bytes
 * [oldest, pos + total) fit in the ring.  The records walked are our own
 * committed ones, but they live in shared memory: a header that does not
 * make sense drops everything older than head instead of being followed.
 */
static inline void xshm_peer__make_room_overwrite(struct xshm_peer_ring *r,
						  uint64_t total)
{
	uint64_t hdr, off, to_end, size;
	uint32_t lenf;
	int moved = 0;

	while (r->pos + total - r->oldest > r->capacity) {
		if (r->oldest == r->head) {
			break;	/* cannot happen: batch size is checked */
		}
		off = r->oldest & r->mask;
		to_end = r->capacity - off;
		hdr = atomic_load_explicit(xshm_wire_u64(r->data, off),
					   memory_order_relaxed);
		lenf = (uint32_t)hdr;
		if (lenf & XSHM_WIRE_REC_PAD)
			size = (uint64_t)(lenf & XSHM_WIRE_REC_LEN_MASK) +
			       XSHM_WIRE_REC_HDR;
		else if (lenf > r->elem_size)
			size = 0;
		else
			size = xshm_wire_rec_size(lenf);
		if (size == 0 || size > to_end ||
		    ((lenf & XSHM_WIRE_REC_PAD) && size != to_end) ||
		    size > r->head - r->oldest) {
			r->corrupt++;
			r->oldest = r->head;
		} else {
			r->oldest += size;
		}
		moved = 1;
	}
	if (moved)
		xshm_peer__publish_oldest(r);
}

/* where the bytes of ring position p are written before commit */
static inline unsigned char *xshm_peer__var_dst(struct xshm_peer_ring *r,
						uint64_t p)
{
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE)
		return r->staging + (p - r->head);
	return r->data + (p & r->mask);
}

static inline void xshm_peer__var_hdr(struct xshm_peer_ring *r, uint64_t p,
				      uint32_t lenf, uint32_t seq)
{
	uint64_t v = (uint64_t)lenf | ((uint64_t)seq << 32);

	if (r->policy == XSHM_WIRE_FULL_OVERWRITE)
		XSHM_PEER_MEMCPY(xshm_peer__var_dst(r, p), &v, 8);
	else
		atomic_store_explicit(xshm_wire_u64(r->data, p & r->mask), v,
				      memory_order_relaxed);
}

/*
 * Copy a record whose length is known only at run time: a call to memcpy
 * would cost more than the bytes of a short record, so up to 16 bytes go
 * as two overlapping fixed-size copies.
 */
static inline void xshm_peer__copy(void *dst, const void *src, size_t len)
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
 * Add a record of len bytes to the pending batch (the part of reserve
 * that runs per record; the caller checked the handle) and set *buf to
 * where its bytes go.  -EMSGSIZE if len is larger than elem_size; -EAGAIN
 * if the batch would then not fit: FAIL/DROP, the ring is full counting
 * the pending records (the tail was re-read); OVERWRITE, the staging
 * buffer is full.  -EBADMSG if the consumer's tail is impossible.
 */
static inline int xshm_peer__var_place(struct xshm_peer_ring *r, size_t len,
				       void **buf)
{
	uint64_t need, to_end, pad, total;
	int err;

	if (len > r->elem_size)
		return -XSHM_PEER_EMSGSIZE;
	need = xshm_wire_rec_size(len);
	to_end = r->capacity - (r->pos & r->mask);
	pad = need > to_end ? to_end : 0;
	total = pad + need;
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE) {
		if (r->pos + total - r->head > r->capacity)
			return -XSHM_PEER_EAGAIN;
		xshm_peer__make_room_overwrite(r, total);
	} else if (r->pos + total - r->tail_cache > r->capacity) {
		/* tail <= head <= pos: this also bounds the batch */
		err = xshm_peer__refresh_tail(r);
		if (err)
			return err;
		if (r->pos + total - r->tail_cache > r->capacity)
			return -XSHM_PEER_EAGAIN;
	}
	if (pad)
		xshm_peer__var_hdr(r, r->pos, XSHM_WIRE_REC_PAD |
				   (uint32_t)(pad - XSHM_WIRE_REC_HDR), 0);
	xshm_peer__var_hdr(r, r->pos + pad, (uint32_t)len, r->next_seq++);
	*buf = xshm_peer__var_dst(r, r->pos + pad + XSHM_WIRE_REC_HDR);
	r->pos += total;
	r->pending++;
	return 0;
}

/* checks of a var producer handle, once per call or batch */
static inline int xshm_peer__var_check(const struct xshm_peer_ring *r)
{
	if (r->type != XSHM_WIRE_RING_VAR)
		return -XSHM_PEER_EINVAL;
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE &&
	    (!r->staging || r->staging_size < r->capacity))
		return -XSHM_PEER_EINVAL;
	return 0;
}

/*
 * Reserve room for a record of len bytes; *buf receives where to write it.
 * Several reservations may precede one commit.  Nothing is visible to the
 * consumer before xshm_peer_ring_commit().  -EMSGSIZE if len is larger
 * than the channel's elem_size; -EAGAIN if full (FAIL), if full while
 * reservations are pending (DROP: commit them, the next one is dropped),
 * or if the pending batch would not fit the ring (commit first); -ENOBUFS
 * if dropped (DROP).
 */
static inline int xshm_peer_ring_reserve(struct xshm_peer_ring *r,
					 size_t len, void **buf)
{
	int err = xshm_peer__var_check(r);

	if (err)
		return err;
	/* the write path lasts from the first reserve to the commit */
	if (!r->pending) {
		err = xshm_peer_owner_enter(r->owner, r->gen);
		if (err)
			return err;
	}
	err = xshm_peer__var_place(r, len, buf);
	/*
	 * A drop uses up a seq; with reservations pending it would come
	 * before theirs are published, and a death before commit could not
	 * be accounted for.  Without any pending, -EAGAIN means a full ring
	 * (one record is at most half of it).
	 */
	if (err == -XSHM_PEER_EAGAIN && r->policy == XSHM_WIRE_FULL_DROP &&
	    !r->pending) {
		xshm_peer__count_drop(r);
		err = -XSHM_PEER_ENOBUFS;
	}
	return r->pending ? err : xshm_peer__leave(r, err);
}

/* publish every reserved record with one release store; returns how many */
static inline int xshm_peer__commit(struct xshm_peer_ring *r)
{
	uint64_t n, off, first;
	int count = (int)r->pending;

	if (!r->pending)
		return 0;
	/*
	 * The reservations may have been held for long: if an initialiser
	 * took the layout over meanwhile (we looked dead), publish nothing.
	 */
	if (atomic_load_explicit(r->owner, memory_order_relaxed) != ~r->gen) {
		r->pending = 0;
		r->pos = r->head;
		return -XSHM_PEER_ESTALE;
	}
	if (r->policy == XSHM_WIRE_FULL_OVERWRITE) {
		n = r->pos - r->head;
		off = r->head & r->mask;
		first = r->capacity - off < n ? r->capacity - off : n;
		xshm_wire_store_words(r->data + off, r->staging, first);
		if (n > first)
			xshm_wire_store_words(r->data, r->staging + first,
					      n - first);
	}
	r->produced += r->pending;
	r->pending = 0;
	r->head = r->pos;
	/* head first: it is the truth a restarted producer recovers from */
	/* LMM_VAR_HEAD_PUB: pairs with LMM_VAR_*HEAD_ACQ */
	atomic_store_explicit(&r->prod->head, r->head, memory_order_release);
	atomic_store_explicit(&r->prod->next_seq, r->next_seq,
			      memory_order_relaxed);
	atomic_store_explicit(&r->prod->produced, r->produced,
			      memory_order_relaxed);
	return count;
}

static inline int xshm_peer_ring_commit(struct xshm_peer_ring *r)
{
	if (r->type != XSHM_WIRE_RING_VAR)
		return -XSHM_PEER_EINVAL;
	if (!r->pending)
		return 0;
	return xshm_peer__leave(r, xshm_peer__commit(r));
}

/* reserve + copy + commit (commits earlier reservations too) */
static inline int xshm_peer_ring_send(struct xshm_peer_ring *r,
				      const void *data, size_t len)
{
	void *buf;
	int err = xshm_peer_ring_reserve(r, len, &buf);

	if (err)
		return err;
	if (len)
		XSHM_PEER_MEMCPY(buf, data, len);
	err = xshm_peer_ring_commit(r);
	return err < 0 ? err : 0;
}

/* one record of a batch for xshm_peer_ring_sendv() */
struct xshm_peer_rec {
	const void *data;
	size_t len;
};

/* sendv: copy a record into the pending batch; see xshm_peer__var_place() */
static inline int xshm_peer__var_put(struct xshm_peer_ring *r,
				     const void *data, size_t len)
{
	void *buf;
	int err = xshm_peer__var_place(r, len, &buf);

	if (err == -XSHM_PEER_EAGAIN && r->policy == XSHM_WIRE_FULL_OVERWRITE) {
		/* more than a ring's worth: the earlier ones are lost anyway */
		xshm_peer__commit(r);
		err = xshm_peer__var_place(r, len, &buf);
	}
	if (!err)
		xshm_peer__copy(buf, data, len);
	return err;
}

/*
 * The state of a FAIL/DROP ring during a sendv, in a local: the record
 * copies are char stores that might alias the handle, so with the handle
 * in memory every record would reload it.
 */
struct xshm_peer__batch {
	unsigned char *data;
	uint64_t capacity, mask, elem_size;
	uint64_t pos, tail;
	uint32_t seq, n;
	int overwrite;		/* OVERWRITE takes xshm_peer__var_put() */
};

static inline void xshm_peer__batch_begin(const struct xshm_peer_ring *r,
					  struct xshm_peer__batch *b)
{
	b->data = r->data;
	b->capacity = r->capacity;
	b->mask = r->mask;
	b->elem_size = r->elem_size;
	b->pos = r->pos;
	b->tail = r->tail_cache;
	b->seq = r->next_seq;
	b->n = 0;
	b->overwrite = r->policy == XSHM_WIRE_FULL_OVERWRITE;
}

static inline void xshm_peer__batch_end(struct xshm_peer_ring *r,
					struct xshm_peer__batch *b)
{
	if (b->overwrite)
		return;
	r->pos = b->pos;
	r->next_seq = b->seq;
	r->pending += b->n;
}

/* xshm_peer__var_place() and the copy, for FAIL/DROP in the batch state */
static inline int xshm_peer__batch_put(struct xshm_peer_ring *r,
				       struct xshm_peer__batch *b,
				       const void *data, size_t len)
{
	uint64_t need, off, to_end, pad;
	int err;

	if (b->overwrite)
		return xshm_peer__var_put(r, data, len);
	if (len > b->elem_size)
		return -XSHM_PEER_EMSGSIZE;
	need = xshm_wire_rec_size(len);
	off = b->pos & b->mask;
	to_end = b->capacity - off;
	pad = need > to_end ? to_end : 0;
	if (b->pos + pad + need - b->tail > b->capacity) {
		/* tail <= head <= pos: this also bounds the batch */
		err = xshm_peer__refresh_tail(r);
		if (err)
			return err;
		b->tail = r->tail_cache;
		if (b->pos + pad + need - b->tail > b->capacity)
			return -XSHM_PEER_EAGAIN;
	}
	if (pad) {
		atomic_store_explicit(xshm_wire_u64(b->data, off),
				      XSHM_WIRE_REC_PAD | (pad - XSHM_WIRE_REC_HDR),
				      memory_order_relaxed);
		off = 0;
	}
	atomic_store_explicit(xshm_wire_u64(b->data, off),
			      (uint64_t)len | ((uint64_t)b->seq << 32),
			      memory_order_relaxed);
	xshm_peer__copy(b->data + off + XSHM_WIRE_REC_HDR, data, len);
	b->seq++;
	b->pos += pad + need;
	b->n++;
	return 0;
}

/*
 * sendv, after the records taken were put: publish them with one commit;
 * DROP then drops and counts the records from first on that stopped on a
 * full ring, up to (not including) the first larger than elem_size;
 * *taken grows by their number.  Returns the call's result.
 */
static inline int xshm_peer__sendv_end(struct xshm_peer_ring *r,
				       unsigned int *taken, int err,
				       uint32_t drops)
{
	/* taken over while we held the batch: store nothing more */
	if (xshm_peer__commit(r) == -XSHM_PEER_ESTALE)
		drops = 0;
	if (drops) {
		xshm_peer__count_drops(r, drops);
		*taken += drops;
	}
	return xshm_peer__leave(r, *taken ? (int)*taken : err);
}

/* sendv's entry: the write path may have begun at an earlier reserve */
static inline int xshm_peer__sendv_begin(struct xshm_peer_ring *r)
{
	int err = xshm_peer__var_check(r);

	if (!err && !r->pending)
		err = xshm_peer_owner_enter(r->owner, r->gen);
	return err;
}

/*
 * Send n records with one commit (one release store of head), copying
 * recs[i].len bytes from recs[i].data for each.  Returns the number of
 * records taken from the front of recs: published, or (DROP) dropped and
 * counted; recs[ret..n) were not touched and can be passed again.  FAIL
 * stops at the first record that does not fit; DROP publishes what fits
 * and then drops the rest, after the commit (drops happen between
 * batches); OVERWRITE takes all (a batch larger than the ring is
 * published a ring's worth at a time).  A record larger than elem_size
 * stops the batch before it.  A negative errno only if nothing was taken:
 * -EAGAIN (FAIL: full), -EMSGSIZE, -EBADMSG, -EINVAL.
 */
static inline int xshm_peer_ring_sendv(struct xshm_peer_ring *r,
				       const struct xshm_peer_rec *recs,
				       unsigned int n)
{
	struct xshm_peer__batch b;
	unsigned int i = 0, k;
	int err;

	if (n > 0x7fffffffu)
		return -XSHM_PEER_EINVAL;
	err = xshm_peer__sendv_begin(r);
	if (err)
		return err;
	xshm_peer__batch_begin(r, &b);
	for (; i < n; i++) {
		err = xshm_peer__batch_put(r, &b, recs[i].data, recs[i].len);
		if (err)
			break;
	}
	xshm_peer__batch_end(r, &b);
	k = i;
	if (err == -XSHM_PEER_EAGAIN && r->policy == XSHM_WIRE_FULL_DROP)
		while (k < n && recs[k].len <= r->elem_size)
			k++;
	return xshm_peer__sendv_end(r, &i, err, k - i);
}

/* ---- Value writers (SEQLOCK, LATCH, LWW) -------------------------------- */

struct xshm_peer_value {
	unsigned char *block;	/* shared: the writer's seqlock block */
	unsigned char *lww_base; /* LWW: first slot, for stamp scans */
	uint32_t type, elem_size, nslots, slot;
	uint64_t span;		/* payload bytes per copy (rounded) */
	uint64_t payload;	/* offset of copy 0 in a block */
	uint64_t slot_size;	/* LWW */
	uint64_t seq;		/* private copy of our sequence */
	_Atomic uint64_t *owner; /* shared: in our block */
	uint64_t gen;		/* layout generation attached to */
};

/* shared-to-shared copy of whole words, both sides 8-byte aligned */
static inline void xshm_peer__copy_words(void *dst, const void *src,
					 uint64_t len)
{
	_Atomic uint64_t *d = (_Atomic uint64_t *)dst;
	const _Atomic uint64_t *s = (const _Atomic uint64_t *)src;

	for (; len >= 8; len -= 8)
		atomic_store_explicit(d++, atomic_load_explicit(s++,
				      memory_order_relaxed),
				      memory_order_relaxed);
}

static inline int xshm_peer_value_attach_chan(struct xshm_peer_value *v,
					      void *base,
					      const struct xshm_wire_chan *c,
					      unsigned int slot, uint64_t gen)
{
	unsigned char *blk = (unsigned char *)base + c->offset;

	if (c->type != XSHM_WIRE_SEQLOCK && c->type != XSHM_WIRE_LATCH &&
	    c->type != XSHM_WIRE_LWW)
		return -XSHM_PEER_EINVAL;
	*v = (struct xshm_peer_value){ 0 };
	v->type = c->type;
	v->elem_size = c->elem_size;
	v->span = xshm_wire_value_span(c->type, c->elem_size);
	v->payload = xshm_wire_value_payload(c->type, c->elem_size);
	v->nslots = c->type == XSHM_WIRE_LWW ? c->capacity : 1;
	if (slot >= v->nslots)
		return -XSHM_PEER_EINVAL;
	v->slot = slot;
	v->slot_size = xshm_wire_value_block(c->type, c->elem_size);
	v->lww_base = blk;
	v->block = blk + (uint64_t)slot * v->slot_size;
	v->owner = xshm_wire_u64(v->block, XSHM_WIRE_VALUE_OWNER_OFF);
	v->gen = gen;
	v->seq = atomic_load_explicit(xshm_wire_u64(v->block,
						    XSHM_WIRE_SEQ_OFF),
				      memory_order_relaxed);
	return 0;
}

/*
 * A LATCH writer that died while writing copy 1 left an even seq: readers
 * use copy 0, and the next odd seq would send them to the torn copy 1.
 * A (re)starting writer therefore repairs copy 1 from copy 0 first.
 */
static inline int xshm_peer_value_repair(struct xshm_peer_value *v)
{
	int err = xshm_peer_owner_adopt(v->owner, v->gen);

	if (err || v->type != XSHM_WIRE_LATCH || !v->seq || (v->seq & 1))
		return err;
	err = xshm_peer_owner_enter(v->owner, v->gen);
	if (err)
		return err;
	xshm_peer__copy_words(v->block + v->payload + v->span,
			      v->block + v->payload, v->span);
	return xshm_peer_owner_exit(v->owner, v->gen);
}

/* attach as the writer of a value channel (LWW: our slot, else 0) */
static inline int xshm_peer_value_attach(const struct xshm_peer_layout *l,
					 const char *name, unsigned int slot,
					 struct xshm_peer_value *v)
{
	struct xshm_wire_chan c;
	int err = xshm_peer_layout_find(l, name, &c);

	if (!err)
		err = xshm_peer_value_attach_chan(v, l->base, &c, slot,
						  l->generation);
	if (!err)
		err = xshm_peer_value_repair(v);
	return err;
}

/* newest stamp in any LWW slot (relaxed: only used to pick a larger one) */
static inline uint64_t xshm_peer__max_stamp(const struct xshm_peer_value *v)
{
	uint64_t max = 0, s;
	uint32_t i;

	for (i = 0; i < v->nslots; i++) {
		s = atomic_load_explicit(
			xshm_wire_u64(v->lww_base + i * v->slot_size,
				      XSHM_WIRE_STAMP_OFF),
			memory_order_relaxed);
		if (s > max)
			max = s;
	}
	return max;
}

/*
 * Write a value of exactly elem_size bytes.  SEQLOCK/LWW: seq odd, release
 * fence, payload (and stamp) as relaxed word stores, release store of the
 * even seq.  LATCH: copy 0 under an odd seq, copy 1 under the next even
 * one, so readers always have one complete copy.  A writer that restarts
 * after dying mid-update (odd seq) completes that update's sequence.
 * LWW stamp 0 means one more than the newest stamp present.
 */
static inline int xshm_peer_value_write(struct xshm_peer_value *v,
					const void *val, size_t len,
					uint64_t stamp)
{
	_Atomic uint64_t *seq = xshm_wire_u64(v->block, XSHM_WIRE_SEQ_OFF);
	unsigned char *payload = v->block + v->payload;

	int err;

	if (len != v->elem_size)
		return -XSHM_PEER_EINVAL;
	err = xshm_peer_owner_enter(v->owner, v->gen);
	if (err)
		return err;
	if (!(v->seq & 1)) {
		v->seq++;
		/* LMM_SEQ_WRITE_BEGIN: pairs with LMM_SEQ_READ_BEGIN */
		atomic_store_explicit(seq, v->seq, memory_order_release);
	}
	/* LMM_SEQ_WRITE_FENCE: pairs with LMM_SEQ_READ_RECHECK */
	atomic_thread_fence(memory_order_release);
	if (v->type == XSHM_WIRE_LWW) {
		if (stamp == 0)
			stamp = xshm_peer__max_stamp(v) + 1;
		atomic_store_explicit(xshm_wire_u64(v->block,
						    XSHM_WIRE_STAMP_OFF),
				      stamp, memory_order_relaxed);
	}
	xshm_wire_store_words(payload, val, len);
	v->seq++;
	/* LMM_SEQ_WRITE_END: pairs with LMM_SEQ_READ_BEGIN */
	atomic_store_explicit(seq, v->seq, memory_order_release);
	if (v->type == XSHM_WIRE_LATCH) {
		/* LMM_LATCH_COPY1_FENCE: pairs with LMM_SEQ_READ_RECHECK */
		atomic_thread_fence(memory_order_release);
		xshm_wire_store_words(payload + v->span, val, len);
	}
	return xshm_peer_owner_exit(v->owner, v->gen);
}

#ifdef XSHM_PEER_TSAN_PRAGMA
#pragma GCC diagnostic pop
#undef XSHM_PEER_TSAN_PRAGMA
#endif

#endif /* XSHM_PEER_H */
