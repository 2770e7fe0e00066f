// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Conformance vectors for Documentation/wire-format.md: region images of
 * 2048 bytes, good and bad, and the verdict a conforming reader gives when
 * it attaches to the whole layout (header, table, every channel entry, no
 * overlap, unique names): 0 or the negative errno, by name.
 *
 *   gen-vectors OUTDIR      writes OUTDIR/<name>.bin and OUTDIR/VECTORS
 *
 * Deterministic: the layouts come from xshm-peer.h's initialiser with a
 * fixed random seed, so the committed files can be checked against a fresh
 * run.  Each line of VECTORS is "<name> <verdict> <what is wrong>".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xshm-peer.h"

#define SIZE 2048u

static unsigned char img[SIZE] __attribute__((aligned(8)));
static FILE *list;
static const char *dir;

static uint64_t fake_ms;
static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	return fake_ms++;
}

static void no_pause(void *ctx)
{
	(void)ctx;
}

static const struct xshm_peer_chan_spec all[] = {
	{ "fixed", XSHM_WIRE_RING_FIXED, XSHM_WIRE_FULL_DROP, 8, 16 },
	{ "var", XSHM_WIRE_RING_VAR, XSHM_WIRE_FULL_OVERWRITE, 16, 64 },
	{ "seq", XSHM_WIRE_SEQLOCK, 0, 24, 0 },
	{ "latch", XSHM_WIRE_LATCH, 0, 16, 0 },
	{ "lww", XSHM_WIRE_LWW, 0, 8, 2 },
};

/* a fresh layout of the first n channels of all[] */
static void layout(unsigned int n)
{
	struct xshm_peer_init_env env = { now_ms, no_pause, NULL,
					  0x5eed0000u + n, 0 };
	struct xshm_peer_layout l;

	memset(img, 0, sizeof(img));
	if (xshm_peer_layout_init(&l, img, SIZE, all, n, 0, &env) != 0) {
		fprintf(stderr, "gen-vectors: layout failed\n");
		exit(1);
	}
}

static void put32(uint64_t off, uint32_t v)
{
	memcpy(img + off, &v, 4);
}

static void put64(uint64_t off, uint64_t v)
{
	memcpy(img + off, &v, 8);
}

static uint32_t get32(uint64_t off)
{
	uint32_t v;

	memcpy(&v, img + off, 4);
	return v;
}

/* recompute the checksum, so that a vector tests one rule, not the CRC */
static void reseal(void)
{
	uint32_t hs = get32(20);

	if (hs > SIZE || hs < 16)
		hs = 64;
	put32(8, xshm_wire_crc32c(0, img + 16, hs - 16));
}

static void emit(const char *name, const char *verdict, const char *what)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(img, 1, SIZE, f) != SIZE || fclose(f)) {
		perror(path);
		exit(1);
	}
	fprintf(list, "%-28s %-8s %s\n", name, verdict, what);
}

#define CHAN(i)	(64u + 64u * (i))

int main(int argc, char **argv)
{
	char path[4096];
	uint64_t x = 0x243f6a8885a308d3ull;
	unsigned int i;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-vectors OUTDIR\n");
		return 2;
	}
	dir = argv[1];
	snprintf(path, sizeof(path), "%s/VECTORS", dir);
	list = fopen(path, "w");
	if (!list) {
		perror(path);
		return 1;
	}
	fprintf(list, "# name verdict what (see gen-vectors.c; images are %u bytes)\n",
		SIZE);

	layout(1);
	emit("good-one-fixed-ring", "0", "one RING_FIXED channel");
	layout(5);
	emit("good-every-type", "0", "one channel of every type");
	layout(5);
	put32(CHAN(0) + 16, 0x7878);	/* "fixed\0" then bytes */
	reseal();
	emit("good-bytes-after-name-nul", "0",
	     "bytes after the NUL of a name are ignored");
	layout(5);
	put32(28, 0x80);
	put64(48, 1);
	put32(12, 5);
	reseal();
	emit("good-nonzero-flags-reserved", "0",
	     "flags, reserved0 and reserved are not checked");
	layout(5);
	img[18] = 7;		/* version_minor, 16 bits */
	reseal();
	emit("good-newer-minor", "0", "any version_minor of major 3");
	layout(5);
	img[18] = 0;		/* a 3.0 initialiser's layout */
	reseal();
	emit("good-minor-0", "0", "3.0 layouts stay valid (3.1 only names padding)");
	layout(1);
	put64(128 + 48, 1);		/* producer: bell.ring */
	put64(128 + 56, 0x1234567);	/* producer: bell.sleep ticket */
	put64(128 + 128 + 32, 1);	/* consumer: bell.ring */
	put64(128 + 128 + 48, 99);	/* consumer: bell.notified */
	emit("good-doorbell-words", "0",
	     "3.1 doorbell words are a channel matter, not a layout one");
	layout(1);
	put64(128 + 40, 0);	/* the ring producer's owner word: retired */
	emit("good-retired-owner-word", "0",
	     "owner words are a channel attach matter, not a layout one");

	memset(img, 0, sizeof(img));
	emit("zeroes", "ENODATA", "all zero: not initialised");
	for (i = 0; i < SIZE / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		put64(i * 8, x);
	}
	emit("garbage", "ENODATA", "random bytes: word 0 is not READY");
	layout(5);
	put64(0, (uint64_t)XSHM_WIRE_STATE_INIT << 32 | 0x1234567);
	emit("claimed", "ENODATA", "word 0 holds an initialiser's ticket");
	layout(5);
	put32(4, 0x59444553);
	emit("state-not-ready", "ENODATA", "state is not READY");
	layout(5);
	put32(0, 0x4d485359);
	emit("bad-magic", "ENODATA", "magic is not XSHM");

	layout(5);
	img[16] = 2;		/* version_major, 16 bits */
	reseal();
	emit("major-2", "EPROTO", "version 2: refused, not misread");
	layout(5);
	img[16] = 4;
	put32(24, 0);		/* even with a bad table: version first */
	reseal();
	emit("major-4", "EPROTO", "a newer major, checked before anything else");

	layout(5);
	img[40] ^= 1;
	emit("bad-checksum", "EBADMSG", "CRC32C over [16, header_size) wrong");
	layout(5);
	put32(24, 0);
	reseal();
	emit("nchans-0", "EBADMSG", "nchans 0");
	layout(5);
	put32(24, 33);
	put32(20, 64 + 64 * 33);
	reseal();
	emit("nchans-33", "EBADMSG", "nchans above 32");
	layout(5);
	put32(20, get32(20) + 64);
	reseal();
	emit("header-size-appended", "EBADMSG",
	     "header_size must be exactly 64 + 64 * nchans");
	layout(5);
	put64(32, SIZE + 128);
	reseal();
	emit("layout-beyond-region", "EBADMSG", "layout_size > region size");
	layout(5);
	put64(32, 384);
	reseal();
	emit("layout-before-channels", "EBADMSG",
	     "a channel ends past layout_size");
	layout(5);
	put64(40, 0);
	reseal();
	emit("generation-0", "EBADMSG", "generation 0");

	layout(5);
	img[CHAN(1)] = 0;
	reseal();
	emit("name-empty", "EBADMSG", "empty channel name");
	layout(5);
	memset(img + CHAN(1), 'n', 32);
	reseal();
	emit("name-without-nul", "EBADMSG", "32 name bytes, no NUL");
	layout(5);
	memcpy(img + CHAN(1), "fixed", 6);
	reseal();
	emit("name-twice", "EBADMSG", "two channels with one name");
	layout(5);
	put64(CHAN(2) + 48, get32(CHAN(2) + 48) - 128);
	reseal();
	emit("channels-overlap", "EBADMSG", "two channels overlap");
	layout(5);
	put64(CHAN(4) + 48, get32(CHAN(4) + 48) + 8);
	reseal();
	emit("offset-unaligned", "EBADMSG", "offset not a multiple of 128");
	layout(5);
	put64(CHAN(0) + 48, 256);
	reseal();
	emit("offset-in-table", "EBADMSG",
	     "offset before round_up(header_size, 128)");
	layout(5);
	put64(CHAN(2) + 56, 256);
	reseal();
	emit("size-not-formula", "EBADMSG", "size is not the computed size");
	layout(5);
	put32(CHAN(1) + 40, 0);
	reseal();
	emit("elem-size-0", "EBADMSG",
	     "elem_size 0 (the API's capacity / 4 is never on the wire)");
	layout(5);
	put32(CHAN(0) + 44, 12);
	reseal();
	emit("fixed-capacity-not-pow2", "EBADMSG",
	     "RING_FIXED capacity not a power of two");
	layout(5);
	put32(CHAN(0) + 44, 0);
	reseal();
	emit("fixed-capacity-0", "EBADMSG", "RING_FIXED capacity 0");
	layout(5);
	put32(CHAN(1) + 44, 32);
	reseal();
	emit("var-capacity-32", "EBADMSG", "RING_VAR capacity below 64");
	layout(5);
	put32(CHAN(1) + 40, 32);
	reseal();
	emit("var-record-too-big", "EBADMSG",
	     "RING_VAR 8 + r8(elem_size) > capacity / 2");
	layout(5);
	put32(CHAN(4) + 44, 0);
	reseal();
	emit("lww-no-writers", "EBADMSG", "LWW capacity 0");
	layout(5);
	put32(CHAN(2) + 44, 1);
	reseal();
	emit("seqlock-capacity", "EBADMSG", "SEQLOCK capacity not 0");
	layout(5);
	put32(CHAN(2) + 36, 1);
	reseal();
	emit("value-policy", "EBADMSG", "a value channel with a policy");
	layout(5);
	put32(CHAN(0) + 36, 3);
	reseal();
	emit("ring-policy-3", "EBADMSG", "ring policy above OVERWRITE");
	layout(5);
	put32(CHAN(3) + 32, 6);
	reseal();
	emit("type-6", "EBADMSG", "unknown channel type");
	layout(5);
	put32(CHAN(2) + 40, (1u << 24) + 1);
	reseal();
	emit("elem-size-too-big", "EBADMSG", "elem_size above 2^24");
	return fclose(list) ? 1 : 0;
}
