/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxshm - communication channels over Xen static shared memory.
 *
 * A region is a block of memory shared with another domain (/dev/xshm<N>,
 * a region found by its xen,id name, or any plain file).  It holds a
 * versioned layout header and named channels: SPSC rings (fixed slots or
 * variable-length records) and seqlock-protected values.
 *
 * Conventions
 *  - Every call returning int returns 0 (or a count) on success and a
 *    negative errno value on failure; xshm_strerror() explains it.
 *    -EAGAIN      ring empty/full, try again
 *    -ENOBUFS     ring full, record dropped and counted (XSHM_FULL_DROP)
 *    -ETIMEDOUT   a *_wait call timed out
 *    -EBADMSG     shared memory holds a corrupt/hostile value; nothing
 *                 outside the region was touched; counted in stats
 *    -ENODATA     region holds no initialised layout (garbage or zero)
 *    -EPROTO      layout from an incompatible format version
 *    -ESTALE      the peer re-initialised the layout; re-attach
 *    -EBUSY       seqlock writer stalled mid-update (or killed)
 *    -ENOENT      no channel of that name, or no such region
 *    -EMSGSIZE    record larger than the channel allows
 *    -EPERM       call not for this side (e.g. push on a consumer handle)
 *    -EINVAL      bad argument, or call not for this channel type
 *    -EACCES      region opened XSHM_OPEN_RDONLY but the call writes
 *  - Handles are owned by the caller and freed by the matching close or
 *    detach call.  Channel handles borrow their region: detach every
 *    channel before closing the region.
 *  - Each handle is used by one thread at a time.  A ring has at most one
 *    producer and one consumer at a time, in any processes or domains.
 *  - Memory returned by xshm_ring_reserve() and xshm_ring_peek() is inside
 *    the shared region.  Peeked data can still be changed by a hostile
 *    peer: copy it before parsing it.
 *
 * The byte layout is documented in Documentation/wire-format.md; a
 * freestanding producer/writer for RTOS or bare-metal peers lives in
 * xshm-peer.h.
 *
 * Symbol versions: XSHM_1.0 for the first release; calls marked
 * (XSHM_1.1) came later (xshm_ring_sendv(), xshm_ring_recv_batch()), and
 * (XSHM_1.2) after them (the _sized fixed-slot calls, recv_wait), then
 * (XSHM_1.3) the doorbells and the xshm_value_*() names.
 */
#ifndef XSHM_H
#define XSHM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Regions ---------------------------------------------------------- */

struct xshm_region;

/* flags for xshm_region_open*() */
#define XSHM_OPEN_RDONLY	0x1u	/* map read-only (readers only) */
#define XSHM_OPEN_CREATE	0x2u	/* plain file: create/extend to size */

/*
 * Open a region by spec: "3" or "/dev/xshm3" (device number), "name:<id>"
 * or a bare name without '/' that matches a xen,id in sysfs, or a path to
 * a plain file.  size is used only with XSHM_OPEN_CREATE (0 otherwise).
 */
int xshm_region_open(const char *spec, unsigned int flags, size_t size,
		     struct xshm_region **out);
int xshm_region_open_index(unsigned int index, unsigned int flags,
			   struct xshm_region **out);
int xshm_region_open_name(const char *xen_id, unsigned int flags,
			  struct xshm_region **out);
int xshm_region_open_path(const char *path, unsigned int flags, size_t size,
			  struct xshm_region **out);
void xshm_region_close(struct xshm_region *r);

void *xshm_region_base(const struct xshm_region *r);
size_t xshm_region_size(const struct xshm_region *r);
/* xen,id of a driver region, else the path; never NULL */
const char *xshm_region_name(const struct xshm_region *r);

/* ---- Layout ------------------------------------------------------------ */

enum xshm_chan_type {
	XSHM_CHAN_RING_FIXED = 1,	/* fixed-size slots */
	XSHM_CHAN_RING_VAR = 2,		/* variable-length records */
	XSHM_CHAN_SEQLOCK = 3,		/* single writer, one copy */
	XSHM_CHAN_LATCH = 4,		/* single writer, two copies */
	XSHM_CHAN_LWW = 5,		/* N writers, latest value wins */
};

enum xshm_full_policy {
	XSHM_FULL_FAIL = 0,		/* push/reserve returns -EAGAIN */
	XSHM_FULL_DROP = 1,		/* record dropped and counted */
	XSHM_FULL_OVERWRITE = 2,	/* oldest records overwritten */
};

#define XSHM_NAME_MAX	31		/* channel name, without NUL */
#define XSHM_CHAN_MAX	32		/* channels per region */

struct xshm_chan_spec {
	const char *name;
	uint32_t type;		/* enum xshm_chan_type */
	uint32_t policy;	/* rings: enum xshm_full_policy */
	/*
	 * RING_FIXED: bytes per slot.  RING_VAR: largest record payload
	 * (0 = capacity / 4).  SEQLOCK/LATCH/LWW: value size in bytes.
	 */
	uint32_t elem_size;
	/*
	 * RING_FIXED: slot count; RING_VAR: data bytes; both powers of two.
	 * LWW: number of writers.  SEQLOCK/LATCH: 0.
	 */
	uint32_t capacity;
};

/* flags for xshm_layout_init() */
#define XSHM_INIT_FORCE	0x1u	/* wipe and re-initialise even if valid */

/*
 * The one-time initialiser.  If the region already holds a valid layout
 * describing exactly these channels, it is kept (so a restarted side
 * resumes) and 1 is returned; with XSHM_INIT_FORCE, or if the region holds
 * garbage, it is (re)initialised with a new generation and 0 is returned.
 * A valid but different layout gives -EEXIST, and a layout of an
 * incompatible format version -EPROTO, unless XSHM_INIT_FORCE.
 */
int xshm_layout_init(struct xshm_region *r, const struct xshm_chan_spec *chans,
		     unsigned int nchans, unsigned int flags);
/*
 * The one-time initialiser may also fail with -EINVAL (bad channel
 * parameters: see Documentation/wire-format.md), -ENOSPC (region too
 * small) or -EACCES (read-only region).
 */
/* 0 if the region holds a valid, compatible layout; else -ENODATA/-EPROTO/-EBADMSG */
int xshm_layout_check(const struct xshm_region *r);
/*
 * Wait (polling) until a valid layout appears; timeout_ms < 0 waits
 * forever.  -ETIMEDOUT if none appeared in time; -EPROTO or -EBADMSG at
 * once (a layout is there, but not one we can use).
 */
int xshm_layout_wait(const struct xshm_region *r, int timeout_ms);
/* generation of the current layout (changes on every (re)initialisation) */
uint64_t xshm_layout_generation(const struct xshm_region *r);

struct xshm_chan_info {
	char name[XSHM_NAME_MAX + 1];
	uint32_t type, policy, elem_size, capacity;
	uint64_t offset, size;	/* where the channel lives in the region */
};
/* number of channels (>= 0) and, if info != NULL, up to max descriptions */
int xshm_layout_list(const struct xshm_region *r, struct xshm_chan_info *info,
		     unsigned int max);

/* ---- Waiting ----------------------------------------------------------- */

/*
 * Without a doorbell (see Doorbells below) waits poll.  A wait spins
 * spin_iters times, then sleeps starting at 1 us and doubling up to
 * max_sleep_us (bounding the added latency), until the timeout.  Set per
 * handle with xshm_ring_set_wait() and xshm_value_set_wait() (NULL:
 * back to the defaults).
 */
struct xshm_wait_policy {
	uint32_t spin_iters;	/* default 1000 */
	uint32_t max_sleep_us;	/* default 1000 */
};

/* ---- SPSC rings -------------------------------------------------------- */

struct xshm_ring;

enum xshm_role { XSHM_PRODUCER = 1, XSHM_CONSUMER = 2 };

/*
 * Attach one side of a ring.  The ring's cursor in shared memory is the
 * resume point: a side that restarts and re-attaches continues where its
 * previous incarnation stopped (records released/committed before the
 * crash are not seen again; nothing committed is lost).
 */
int xshm_ring_attach(struct xshm_region *r, const char *name,
		     enum xshm_role role, struct xshm_ring **out);
void xshm_ring_detach(struct xshm_ring *ring);
void xshm_ring_set_wait(struct xshm_ring *ring,
			const struct xshm_wait_policy *wp);

/*
 * Fixed-slot rings.  size is the caller's slot size in bytes (of each
 * slot in a batch buffer); it must equal the channel's elem_size, which
 * the side that initialised the layout chose: -EMSGSIZE otherwise, and
 * nothing is copied.  (XSHM_1.2)
 */
int xshm_ring_push_sized(struct xshm_ring *ring, const void *slot,
			 size_t size);
/*
 * One release store for the whole batch.  Returns the number written
 * into the ring: XSHM_FULL_FAIL stops when full (the rest is not taken),
 * XSHM_FULL_DROP drops and counts the rest, XSHM_FULL_OVERWRITE takes all.
 */
int xshm_ring_push_batch_sized(struct xshm_ring *ring, const void *slots,
			       size_t size, unsigned int n);
int xshm_ring_pop_sized(struct xshm_ring *ring, void *slot, size_t size);
/* returns the number popped, 0..max */
int xshm_ring_pop_batch_sized(struct xshm_ring *ring, void *slots,
			      size_t size, unsigned int max);
int xshm_ring_pop_wait_sized(struct xshm_ring *ring, void *slot, size_t size,
			     int timeout_ms);
/*
 * (XSHM_1.0) The same without the caller's size: they copy the layout's
 * elem_size bytes, trusting the peer that created it.  Use the _sized
 * calls; these remain for existing programs.
 */
int xshm_ring_push(struct xshm_ring *ring, const void *slot);
int xshm_ring_push_batch(struct xshm_ring *ring, const void *slots,
			 unsigned int n);
int xshm_ring_pop(struct xshm_ring *ring, void *slot);
int xshm_ring_pop_batch(struct xshm_ring *ring, void *slots, unsigned int max);
int xshm_ring_pop_wait(struct xshm_ring *ring, void *slot, int timeout_ms);

/* variable-length records */
struct xshm_record {
	const void *data;	/* in shared memory: copy before parsing */
	uint32_t len;
	uint32_t seq;		/* producer's record number */
	uint64_t lost;		/* records lost (dropped/overwritten) just before this one */
};

/*
 * Zero-copy: reserve room for len bytes and fill *buf; several reserves
 * may precede one commit, which publishes them all (batching) and returns
 * how many it published.  Nothing reserved is visible before the commit
 * (a producer killed in between leaves no trace).  reserve returns
 * -EAGAIN also when the uncommitted batch would exceed the ring.  In
 * XSHM_FULL_OVERWRITE mode *buf is a private staging buffer copied into
 * the ring at commit (the consumer may be reading the bytes it replaces).
 */
int xshm_ring_reserve(struct xshm_ring *ring, size_t len, void **buf);
int xshm_ring_commit(struct xshm_ring *ring);
/* reserve + copy + commit */
int xshm_ring_send(struct xshm_ring *ring, const void *data, size_t len);
/*
 * (XSHM_1.1) Send n records, recs[i] being one record, with one commit.
 * Returns how many records were taken from the front of recs: published,
 * or with XSHM_FULL_DROP dropped and counted once the ring was full;
 * recs[ret..n) were not touched, pass them again.  XSHM_FULL_FAIL stops
 * at the first record that does not fit, XSHM_FULL_DROP publishes what
 * fits then drops the rest, XSHM_FULL_OVERWRITE takes all.  A record
 * larger than the channel allows stops the batch before it.  A negative
 * errno (-EAGAIN, -EMSGSIZE, -EBADMSG, ...) only if nothing was taken.
 */
int xshm_ring_sendv(struct xshm_ring *ring, const struct iovec *recs,
		    unsigned int n);

/*
 * Peek at the next unreleased record (successive peeks walk forward);
 * release frees every record peeked so far.  In overwrite mode peek hands
 * out a validated private copy (the producer may overwrite the ring bytes
 * at any time), so held records stay intact; up to capacity bytes can be
 * held that way, then peek returns -ENOBUFS until release.
 */
int xshm_ring_peek(struct xshm_ring *ring, struct xshm_record *rec);
int xshm_ring_peek_wait(struct xshm_ring *ring, struct xshm_record *rec,
			int timeout_ms);
int xshm_ring_release(struct xshm_ring *ring);
/*
 * Copy the next record out and release it; returns its length, or
 * -EMSGSIZE (record left in place) if cap is too small.  rec may be NULL;
 * if not, rec->data points to buf.
 */
ssize_t xshm_ring_recv(struct xshm_ring *ring, void *buf, size_t cap,
		       struct xshm_record *rec);
/*
 * (XSHM_1.2) recv, waiting up to timeout_ms (< 0: forever) for a record;
 * -ETIMEDOUT if none came.  Do not combine with peek: recv takes the
 * next unpeeked record and releases every record peeked before it.
 */
ssize_t xshm_ring_recv_wait(struct xshm_ring *ring, void *buf, size_t cap,
			    struct xshm_record *rec, int timeout_ms);
/*
 * (XSHM_1.1) Copy up to max whole records into buf, each at an offset
 * that is a multiple of 8, describe them in recs[] as recv does
 * (recs[i].data points into buf) and release them (with any records
 * peeked before) with one store.  Stops before the first record that does
 * not fit in cap.  Returns the number of records, 0 if none are there;
 * -EMSGSIZE if the first one does not fit (it stays in place); a corrupt
 * record after some good ones ends the batch and is reported by the next
 * call (-EBADMSG).
 */
int xshm_ring_recv_batch(struct xshm_ring *ring, void *buf, size_t cap,
			 struct xshm_record *recs, unsigned int max);

/*
 * seq of the next record to be committed (shared; the resume point of a
 * restarted producer; uncommitted reservations do not count)
 */
uint32_t xshm_ring_next_seq(const struct xshm_ring *ring);

struct xshm_ring_stats {
	uint64_t capacity;	/* slots or data bytes */
	uint64_t fill;		/* slots or bytes in use, validated */
	uint64_t produced;	/* records committed (shared counter) */
	uint64_t dropped;	/* records dropped by the producer (shared) */
	uint64_t overwritten;	/* records lost to overwrite so far (shared) */
	uint64_t corrupt;	/* invalid values seen by this handle */
};
int xshm_ring_stats(struct xshm_ring *ring, struct xshm_ring_stats *st);

/* ---- Doorbells (XSHM_1.3, wire format 3.1) ----------------------------- */

/*
 * A doorbell lets a waiting side sleep until the other side rings it, and
 * the other side rings only when the waiter announced that it sleeps
 * (notification suppression).  Between two Xen domains it is a static
 * event channel whose local port is configured in /etc/xshm/doorbells
 * ($XSHM_DOORBELLS): lines "<region> <channel> <local-port>".  In one
 * process, xshm_doorbell_pair() gives two connected ends (eventfds).
 */
struct xshm_doorbell;

/* bind the configured port: -ENOENT none configured, -ENODEV no
 * /dev/xen/evtchn, -EOPNOTSUPP kernel without IOCTL_EVTCHN_BIND_STATIC */
int xshm_doorbell_open(const char *region, const char *channel,
		       struct xshm_doorbell **out);
int xshm_doorbell_pair(struct xshm_doorbell **a, struct xshm_doorbell **b);
void xshm_doorbell_close(struct xshm_doorbell *db);
/* readable (POLLIN) when the other side rang */
int xshm_doorbell_fd(const struct xshm_doorbell *db);
/* after the fd was readable: consume the event (re-arms an event channel) */
int xshm_doorbell_ack(struct xshm_doorbell *db);

/*
 * Give the ring a doorbell (db: not owned, close it after detaching the
 * ring), or db NULL: open the configured one (owned).  On failure the
 * ring's waits keep polling, and the library says so on stderr, once per
 * handle (also when the other side turns out to have no doorbell).
 * Waits (pop_wait, peek_wait, recv_wait, xshm_ring_wait) then spin
 * briefly and sleep on the doorbell if the other side rings (it set up a
 * doorbell too), else poll.
 */
int xshm_ring_doorbell(struct xshm_ring *ring, struct xshm_doorbell *db);
/* the doorbell's fd, -ENODEV without one */
int xshm_ring_fd(const struct xshm_ring *ring);
/* consumer: until a record is there; producer: until there is room */
int xshm_ring_wait(struct xshm_ring *ring, int timeout_ms);
/*
 * Event loops: xshm_ring_arm() announces the sleep and re-checks: 0 =
 * armed, poll xshm_ring_fd() then call xshm_ring_disarm(); 1 = ready, do
 * not sleep; -ENODEV = no doorbell here or at the other side (poll).
 */
int xshm_ring_arm(struct xshm_ring *ring);
int xshm_ring_disarm(struct xshm_ring *ring);

struct xshm_doorbell_stats {
	int doorbell;		/* this handle has one */
	int prod_rings, cons_rings;	/* each side announced a doorbell */
	uint64_t prod_notified, prod_sleeps;	/* shared counters */
	uint64_t cons_notified, cons_sleeps;
};
int xshm_ring_doorbell_stats(const struct xshm_ring *ring,
			     struct xshm_doorbell_stats *st);

/* ---- Values (SEQLOCK, LATCH, LWW) -------------------------------------- */

/*
 * One handle type and one set of calls serves the three value channels.
 * Until XSHM_1.2 they were named for one of them: struct xshm_seqlock and
 * xshm_seqlock_*().  Those names remain (below), for the same type and the
 * same functions.
 */
struct xshm_value;

/*
 * (XSHM_1.3 name) Attach to a SEQLOCK, LATCH or LWW channel.  Writers of
 * an LWW channel pass their slot (0..capacity-1); everyone else passes 0.
 */
int xshm_value_attach(struct xshm_region *r, const char *name,
		      enum xshm_role role, unsigned int writer_slot,
		      struct xshm_value **out);
void xshm_value_detach(struct xshm_value *v);

/*
 * len must equal the channel's elem_size.  LWW: stamp orders values
 * across writers (0 = one more than the newest stamp present).  Other
 * types ignore stamp.
 */
void xshm_value_set_wait(struct xshm_value *v,
			 const struct xshm_wait_policy *wp);
int xshm_value_write(struct xshm_value *v, const void *val, size_t len,
		     uint64_t stamp);

struct xshm_value_info {
	uint64_t stamp;		/* LWW stamp, else the write count */
	uint32_t writer;	/* LWW slot that supplied the value */
	uint32_t retries;	/* attempts that saw a concurrent write */
};
/*
 * Copy a consistent value into val (len must equal elem_size).  Never
 * returns a torn value (val is untouched on error).  If a writer stays
 * mid-update for longer than timeout_ms (< 0: forever), returns -EBUSY
 * (writer stalled); LATCH readers always get the last complete value
 * instead.  LWW returns the newest value among the slots that read
 * consistently (-EBUSY only if every written slot is stalled).  -ENODATA
 * if nothing was ever written.
 */
int xshm_value_read(struct xshm_value *v, void *val, size_t len,
		    struct xshm_value_info *info, int timeout_ms);

/*
 * (XSHM_1.3) Doorbells on SEQLOCK and LATCH channels (not LWW:
 * -EOPNOTSUPP): as xshm_ring_doorbell(), for the writer or the reader.
 * xshm_value_wait() returns once the channel's sequence differs from
 * *seq (start with 0), storing the new one: a new value to read, or one
 * being written (read with a timeout then); timeout_ms 0 only checks.
 * It sleeps on the doorbell when both sides have one, and polls
 * otherwise.
 */
int xshm_value_doorbell(struct xshm_value *v, struct xshm_doorbell *db);
int xshm_value_wait(struct xshm_value *v, uint64_t *seq, int timeout_ms);
/* the doorbell's fd, -ENODEV without one */
int xshm_value_fd(const struct xshm_value *v);
/*
 * Readers' event loops, as xshm_ring_arm(): 0 = armed (poll
 * xshm_value_fd(), then xshm_value_disarm()); 1 = the sequence
 * differs from seq (read); -ENODEV = no doorbell here or at the writer.
 */
int xshm_value_arm(struct xshm_value *v, uint64_t seq);
int xshm_value_disarm(struct xshm_value *v);
/* prod_* are the writer's words, cons_* the reader's; -EOPNOTSUPP: lww */
int xshm_value_doorbell_stats(const struct xshm_value *v,
			      struct xshm_doorbell_stats *st);

/*
 * The names before XSHM_1.3 (XSHM_1.0; the doorbell calls: XSHM_1.3), for
 * the same type and the same functions as above: struct xshm_seqlock is
 * struct xshm_value, and each xshm_seqlock_X() is xshm_value_X().
 */
#define xshm_seqlock xshm_value
extern __typeof__(xshm_value_attach) xshm_seqlock_attach;
extern __typeof__(xshm_value_detach) xshm_seqlock_detach;
extern __typeof__(xshm_value_set_wait) xshm_seqlock_set_wait;
extern __typeof__(xshm_value_write) xshm_seqlock_write;
extern __typeof__(xshm_value_read) xshm_seqlock_read;
extern __typeof__(xshm_value_doorbell) xshm_seqlock_doorbell;
extern __typeof__(xshm_value_wait) xshm_seqlock_wait;
extern __typeof__(xshm_value_fd) xshm_seqlock_fd;
extern __typeof__(xshm_value_arm) xshm_seqlock_arm;
extern __typeof__(xshm_value_disarm) xshm_seqlock_disarm;
extern __typeof__(xshm_value_doorbell_stats) xshm_seqlock_doorbell_stats;

/* ---- Misc ----------------------------------------------------------------- */

const char *xshm_strerror(int err);
/* library version as "MAJOR.MINOR.PATCH" */
const char *xshm_version(void);

#ifdef __cplusplus
}
#endif

#endif /* XSHM_H */
