// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A minimal flattened device tree walker: finds the static shared memory
 * nodes Xen writes for a domU (children of /reserved-memory with
 * compatible "xen,shared-memory-v1", reg and xen,id) and /chosen/bootargs.
 * The tree comes from Xen, but every offset and length is still checked
 * against the blob's own size before use.
 */
#include "rt.h"

#define FDT_MAGIC	0xd00dfeedu
#define FDT_BEGIN_NODE	1u
#define FDT_END_NODE	2u
#define FDT_PROP	3u
#define FDT_NOP		4u
#define FDT_END		9u
#define FDT_MAX_SIZE	(2u << 20)

static uint32_t be32(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static uint64_t cells(const unsigned char *p, uint32_t n)
{
	uint64_t v = 0;

	while (n--) {
		v = v << 32 | be32(p);
		p += 4;
	}
	return v;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* does the NUL-separated list [p, p + len) hold s? */
static int in_list(const char *p, uint32_t len, const char *s)
{
	uint32_t i = 0, start = 0;

	for (; i < len; i++) {
		if (p[i])
			continue;
		if (streq(p + start, s))
			return 1;
		start = i + 1;
	}
	return 0;
}

/* name of node at [p, end): "name@unit" -> compare "name" */
static int node_is(const char *p, const char *name)
{
	while (*name && *p == *name) {
		p++;
		name++;
	}
	return !*name && (!*p || *p == '@');
}

struct node {
	const char *compat, *id;
	uint32_t compat_len, id_len;
	const unsigned char *reg;
	uint32_t reg_len;
};

int rt_fdt_scan(const void *fdt, const char *want_id, size_t want_len,
		struct rt_fdt_info *out)
{
	const unsigned char *b = fdt;
	uint32_t total, off_struct, size_struct, off_str, size_str;
	uint32_t pos, depth = 0, in_resmem = 0, in_chosen = 0;
	uint32_t acells = 2, scells = 2;	/* of /reserved-memory */
	struct node n = { 0 };

	out->nregions = 0;
	out->bootargs = 0;
	out->shm_id = 0;
	if (!b || ((uintptr_t)b & 7) || be32(b) != FDT_MAGIC)
		return -1;
	total = be32(b + 4);
	off_struct = be32(b + 8);
	off_str = be32(b + 12);
	size_str = be32(b + 32);
	size_struct = be32(b + 36);
	if (total > FDT_MAX_SIZE || off_struct > total ||
	    size_struct > total - off_struct || off_str > total ||
	    size_str > total - off_str)
		return -2;
	for (pos = off_struct; pos + 4 <= off_struct + size_struct;) {
		uint32_t tok = be32(b + pos);

		pos += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)b + pos;
			uint32_t l = 0;

			while (pos + l < off_struct + size_struct && name[l])
				l++;
			if (pos + l >= off_struct + size_struct)
				return -3;
			pos += (l + 1 + 3) & ~3u;
			depth++;
			if (depth == 2) {
				in_resmem = node_is(name, "reserved-memory");
				in_chosen = node_is(name, "chosen");
			}
			if (depth == 3 && in_resmem) {
				n.compat = n.id = 0;
				n.reg = 0;
			}
		} else if (tok == FDT_END_NODE) {
			if (!depth)
				return -3;
			if (depth == 3 && in_resmem && n.reg && n.id &&
			    n.compat &&
			    in_list(n.compat, n.compat_len,
				    "xen,shared-memory-v1") &&
			    n.reg_len >= 4 * (acells + scells)) {
				int match = !want_id;

				if (want_id && n.id_len == want_len + 1) {
					size_t i;

					match = 1;
					for (i = 0; i < want_len; i++)
						if (n.id[i] != want_id[i])
							match = 0;
				}
				out->nregions++;
				if (match && !out->shm_id) {
					out->shm_base = cells(n.reg, acells);
					out->shm_size = cells(n.reg + 4 * acells,
							      scells);
					out->shm_id = n.id;
				}
			}
			depth--;
		} else if (tok == FDT_PROP) {
			uint32_t len, nameoff;
			const char *pname;
			const unsigned char *val;

			if (pos + 8 > off_struct + size_struct)
				return -3;
			len = be32(b + pos);
			nameoff = be32(b + pos + 4);
			pos += 8;
			if (len > off_struct + size_struct - pos ||
			    nameoff >= size_str)
				return -3;
			pname = (const char *)b + off_str + nameoff;
			val = b + pos;
			pos += (len + 3) & ~3u;
			/* strings must be NUL-terminated inside the blob */
			if (depth == 2 && in_resmem && len == 4 &&
			    streq(pname, "#address-cells"))
				acells = be32(val);
			if (depth == 2 && in_resmem && len == 4 &&
			    streq(pname, "#size-cells"))
				scells = be32(val);
			if (acells < 1 || acells > 2 || scells < 1 || scells > 2)
				return -4;
			if (depth == 3 && in_resmem && len && !val[len - 1]) {
				if (streq(pname, "compatible")) {
					n.compat = (const char *)val;
					n.compat_len = len;
				} else if (streq(pname, "xen,id")) {
					n.id = (const char *)val;
					n.id_len = len;
				}
			}
			if (depth == 3 && in_resmem && streq(pname, "reg")) {
				n.reg = val;
				n.reg_len = len;
			}
			if (depth == 2 && in_chosen && len && !val[len - 1] &&
			    streq(pname, "bootargs"))
				out->bootargs = (const char *)val;
		} else if (tok == FDT_NOP) {
			continue;
		} else if (tok == FDT_END) {
			break;
		} else {
			return -3;
		}
	}
	return out->shm_id ? 0 : -5;
}
