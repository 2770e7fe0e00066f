// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The wire format's conformance vectors (Documentation/wire-format-vectors,
 * made by gen-vectors.c): libxshm gives every image the verdict listed in
 * VECTORS, and xshm-peer.h's attach (header and checksum only) agrees on
 * every vector decided there.
 */
#include <errno.h>
#include <fcntl.h>

#include "kselftest_harness.h"
#include "xshm_test.h"
#include "xshm-peer.h"

static int errno_named(const char *s)
{
	static const struct { const char *name; int err; } tab[] = {
		{ "0", 0 }, { "ENODATA", -ENODATA }, { "EPROTO", -EPROTO },
		{ "EBADMSG", -EBADMSG },
	};
	unsigned int i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(s, tab[i].name))
			return tab[i].err;
	return 1;	/* unknown: fails the comparison */
}

TEST(every_vector_gets_its_verdict)
{
	const char *dir = getenv("XSHM_VECTORS_DIR");
	char line[256], name[64], verdict[16], path[512];
	struct xshm_peer_layout lay;
	struct xshm_region *r;
	unsigned int n = 0, header_level = 0;
	int want, got, peer;
	FILE *f;

	if (!dir)
		dir = TOP_DIR "/Documentation/wire-format-vectors";
	snprintf(path, sizeof(path), "%s/VECTORS", dir);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' ||
		    sscanf(line, "%63s %15s", name, verdict) != 2)
			continue;
		want = errno_named(verdict);
		ASSERT_NE(1, want) TH_LOG("%s: verdict %s", name, verdict);
		snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
		ASSERT_EQ(0, xshm_region_open_path(path, XSHM_OPEN_RDONLY, 0,
						   &r));
		got = xshm_layout_check(r);
		EXPECT_EQ(want, got) TH_LOG("%s", name);
		peer = xshm_peer_layout_attach(&lay, xshm_region_base(r),
					       xshm_region_size(r));
		/* the peer's attach decides the header; channels at find */
		if (want != -EBADMSG || peer != 0) {
			header_level++;
			EXPECT_EQ(want, peer) TH_LOG("peer: %s", name);
		}
		xshm_region_close(r);
		n++;
	}
	fclose(f);
	TH_LOG("%u vectors, %u decided by the header", n, header_level);
	EXPECT_LE(30u, n);
}

TEST_HARNESS_MAIN
