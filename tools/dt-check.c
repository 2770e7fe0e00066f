// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Explain the xen,shared-memory-v1 nodes of a flattened device tree and
 * what is wrong with each, by the rules the xshm driver applies.
 */
#define _GNU_SOURCE
#include "dt-check.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *dt_severity_name(enum dt_severity sev)
{
	switch (sev) {
	case DT_NOTE: return "note";
	case DT_WARNING: return "warning";
	default: return "error";
	}
}

static void add_problem(struct dt_report *rep, struct dt_problem *list,
			unsigned int *n, enum dt_severity sev,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_problem(struct dt_report *rep, struct dt_problem *list,
			unsigned int *n, enum dt_severity sev,
			const char *fmt, ...)
{
	va_list ap;

	if (sev == DT_ERROR)
		rep->nerrors++;
	else if (sev == DT_WARNING)
		rep->nwarnings++;
	if (*n >= DT_PROBLEMS_MAX)
		return;
	list[*n].sev = sev;
	va_start(ap, fmt);
	vsnprintf(list[*n].text, sizeof(list[*n].text), fmt, ap);
	va_end(ap);
	(*n)++;
}

#define region_problem(rep, r, sev, ...) \
	add_problem(rep, (r)->problems, &(r)->nproblems, sev, __VA_ARGS__)
#define global_problem(rep, sev, ...) \
	add_problem(rep, (rep)->global, &(rep)->nglobal, sev, __VA_ARGS__)

/*
 * #address-cells / #size-cells as Linux's of_n_addr_cells() finds them:
 * the nearest ancestor that has the property, else 1.
 * Returns the raw value, or -1 if the property is malformed.
 */
static long cells_of(const void *fdt, int node, const char *prop, long dflt)
{
	for (int p = fdt_parent_offset(fdt, node); p >= 0;
	     p = fdt_parent_offset(fdt, p)) {
		int len;
		const fdt32_t *v = fdt_getprop(fdt, p, prop, &len);

		if (!v)
			continue;
		if (len != 4)
			return -1;
		return (long)fdt32_ld(v);
	}
	return dflt;
}

static uint64_t read_cells(const fdt32_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v = (v << 32) | fdt32_ld(p + i);
	return v;
}

static bool is_string(const char *s, int len)
{
	return len > 0 && memchr(s, '\0', (size_t)len) == s + len - 1;
}

static void check_reg(const void *fdt, int node, uint64_t page_size,
		      unsigned int phys_bits, struct dt_report *rep,
		      struct dt_region *r)
{
	long ac = cells_of(fdt, node, "#address-cells", 1);
	long sc = cells_of(fdt, node, "#size-cells", 1);
	const fdt32_t *reg;
	int len;

	if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
		region_problem(rep, r, DT_ERROR,
			       "wrong cell count: parent has #address-cells = %ld, #size-cells = %ld (1 or 2 expected)",
			       ac, sc);
		return;
	}
	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg) {
		region_problem(rep, r, DT_ERROR, "missing reg property");
		return;
	}
	r->addr_cells = (unsigned int)ac;
	r->size_cells = (unsigned int)sc;
	if (len <= 0 || len % (int)((ac + sc) * 4)) {
		region_problem(rep, r, DT_ERROR,
			       "wrong cell count: reg has %d bytes, not a multiple of (%ld + %ld) cells",
			       len, ac, sc);
		return;
	}
	r->has_reg = true;
	r->base = read_cells(reg, (unsigned int)ac);
	r->size = read_cells(reg + ac, (unsigned int)sc);
	if (len > (ac + sc) * 4)
		region_problem(rep, r, DT_ERROR,
			       "reg has %ld entries; a region is one block",
			       (long)len / ((ac + sc) * 4));
	if (r->size == 0)
		region_problem(rep, r, DT_ERROR, "size is zero");
	else if (r->size > DT_SIZE_ABSURD || r->base + r->size < r->base)
		region_problem(rep, r, DT_ERROR,
			       "absurd size 0x%llx at 0x%llx (at most 1 TiB, inside the address space)",
			       (unsigned long long)r->size,
			       (unsigned long long)r->base);
	if (r->base % page_size)
		region_problem(rep, r, DT_ERROR,
			       "base 0x%llx is not aligned to the page size 0x%llx",
			       (unsigned long long)r->base,
			       (unsigned long long)page_size);
	if (r->size && r->size <= DT_SIZE_ABSURD && r->base + r->size >= r->base &&
	    phys_bits < 64 && r->base + r->size > (1ull << phys_bits))
		region_problem(rep, r, DT_ERROR,
			       "ends at 0x%llx, past the %u-bit physical address space",
			       (unsigned long long)(r->base + r->size), phys_bits);
	if (r->size % page_size)
		region_problem(rep, r, DT_ERROR,
			       "size 0x%llx is not a multiple of the page size 0x%llx",
			       (unsigned long long)r->size,
			       (unsigned long long)page_size);
}

/* the driver names /dev/xshm/by-name/<xen,id> after it */
static bool name_is_safe(const char *id)
{
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (const char *c = id; *c; c++)
		if (!isgraph((unsigned char)*c) || *c == '/' || *c == '\\')
			return false;
	return true;
}

static void check_id(const void *fdt, int node, struct dt_report *rep,
		     struct dt_region *r)
{
	const char *id;
	int len;

	id = fdt_getprop(fdt, node, "xen,id", &len);
	if (!id) {
		region_problem(rep, r, DT_WARNING,
			       "no xen,id: the region can only be found by number");
		return;
	}
	if (!is_string(id, len)) {
		region_problem(rep, r, DT_ERROR,
			       "xen,id is not a single NUL-terminated string");
		return;
	}
	if (len == 1) {
		region_problem(rep, r, DT_ERROR, "xen,id is empty");
		return;
	}
	r->has_id = true;
	snprintf(r->id, sizeof(r->id), "%s", id);
	if (!name_is_safe(id))
		region_problem(rep, r, DT_ERROR,
			       "xen,id has characters unfit for a file name (/dev/xshm/by-name)");
	if (len - 1 > DT_ID_MAX)
		region_problem(rep, r, DT_ERROR,
			       "xen,id is %d characters long (at most %d)",
			       len - 1, DT_ID_MAX);
	else if (len - 1 > DT_ID_XEN_MAX)
		region_problem(rep, r, DT_NOTE,
			       "xen,id is %d characters long; Xen itself writes at most %d",
			       len - 1, DT_ID_XEN_MAX);
}

static long own_cells(const void *fdt, int node, const char *prop, long dflt)
{
	int len;
	const fdt32_t *v = fdt_getprop(fdt, node, prop, &len);

	return v && len == 4 ? (long)fdt32_ld(v) : dflt;
}

static bool same_cells_as_root(const void *fdt, int resmem)
{
	return own_cells(fdt, resmem, "#address-cells", -1) ==
	       own_cells(fdt, 0, "#address-cells", 1) &&
	       own_cells(fdt, resmem, "#size-cells", -1) ==
	       own_cells(fdt, 0, "#size-cells", 1);
}

static void check_node(const void *fdt, int node, uint64_t page_size,
		       unsigned int phys_bits, struct dt_report *rep,
		       struct dt_region *r)
{
	const void *prop;
	int len;

	if (fdt_get_path(fdt, node, r->path, sizeof(r->path)) < 0)
		snprintf(r->path, sizeof(r->path), "(node at offset %d)", node);

	prop = fdt_getprop(fdt, node, "status", &len);
	if (prop && is_string(prop, len) && strcmp(prop, "okay") &&
	    strcmp(prop, "ok")) {
		r->disabled = true;
		region_problem(rep, r, DT_NOTE,
			       "status is \"%s\": the driver ignores this node",
			       (const char *)prop);
	}

	check_reg(fdt, node, page_size, phys_bits, rep, r);
	check_id(fdt, node, rep, r);

	prop = fdt_getprop(fdt, node, "xen,offset", &len);
	if (prop) {
		if (len == 8 || len == 4) {
			r->has_offset = true;
			r->offset = read_cells(prop, (unsigned int)len / 4);
		} else {
			region_problem(rep, r, DT_ERROR,
				       "xen,offset has %d bytes (8 expected)", len);
		}
	}
	r->no_map = fdt_getprop(fdt, node, "no-map", NULL) != NULL;

	{
		int parent = fdt_parent_offset(fdt, node);
		const char *pname = parent >= 0 ?
			fdt_get_name(fdt, parent, NULL) : NULL;

		if (!pname || strcmp(pname, "reserved-memory"))
			region_problem(rep, r, DT_WARNING,
				       "not a child of /reserved-memory: the kernel will not keep it out of its memory");
		else if (!same_cells_as_root(fdt, parent))
			region_problem(rep, r, DT_WARNING,
				       "/reserved-memory has other #address-cells/#size-cells than the root: Linux does not reserve its children early");
	}
}

/* bytes of [base, base + size) that the tree's /memory nodes cover */
static uint64_t ram_bytes(const void *fdt, uint64_t base, uint64_t size)
{
	long ac = own_cells(fdt, 0, "#address-cells", 1);
	long sc = own_cells(fdt, 0, "#size-cells", 1);
	uint64_t covered = 0;
	int node;

	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return 0;
	fdt_for_each_subnode(node, fdt, 0) {
		const char *type = fdt_getprop(fdt, node, "device_type", NULL);
		const fdt32_t *reg;
		int len;

		if (!type || strcmp(type, "memory"))
			continue;
		reg = fdt_getprop(fdt, node, "reg", &len);
		for (int i = 0; reg && (i + 1) * (ac + sc) * 4 <= len; i++) {
			const fdt32_t *e = reg + i * (ac + sc);
			uint64_t mb = read_cells(e, (unsigned int)ac);
			uint64_t me = mb + read_cells(e + ac, (unsigned int)sc);
			uint64_t lo = mb > base ? mb : base;
			uint64_t hi = me < base + size ? me : base + size;

			if (hi > lo)
				covered += hi - lo;
		}
	}
	return covered;
}

/* the driver refuses a region that is part RAM, part not */
static void check_ram(const void *fdt, struct dt_report *rep)
{
	for (unsigned int i = 0; i < rep->nregions; i++) {
		struct dt_region *r = &rep->regions[i];
		uint64_t ram;

		if (r->disabled || !r->has_reg || !r->size ||
		    r->size > DT_SIZE_ABSURD || r->base + r->size < r->base)
			continue;
		ram = ram_bytes(fdt, r->base, r->size);
		if (ram && ram < r->size)
			region_problem(rep, r, DT_ERROR,
				       "only 0x%llx of its 0x%llx bytes are RAM (in a /memory node)",
				       (unsigned long long)ram,
				       (unsigned long long)r->size);
	}
}

/* errors that need every node: overlaps and duplicate names */
static void check_pairs(struct dt_report *rep)
{
	for (unsigned int i = 0; i < rep->nregions; i++) {
		struct dt_region *a = &rep->regions[i];

		if (a->disabled)
			continue;
		for (unsigned int k = 0; k < i; k++) {
			struct dt_region *b = &rep->regions[k];

			if (b->disabled)
				continue;
			if (a->has_reg && b->has_reg && a->size && b->size &&
			    a->base < b->base + b->size &&
			    b->base < a->base + a->size)
				region_problem(rep, a, DT_ERROR,
					       "overlaps %s", b->path);
			if (a->has_id && b->has_id && !strcmp(a->id, b->id))
				region_problem(rep, a, DT_ERROR,
					       "duplicate xen,id \"%s\" (also %s)",
					       a->id, b->path);
		}
	}
}

int dt_check(const void *blob, size_t size, uint64_t page_size,
	     unsigned int phys_bits, struct dt_report *rep)
{
	unsigned int enabled = 0;
	int node, err;

	memset(rep, 0, sizeof(*rep));
	if (size < sizeof(struct fdt_header)) {
		global_problem(rep, DT_ERROR,
			       "not a valid device tree blob: too short");
		return -EINVAL;
	}
	/*
	 * Before version 16 node names were full paths, and libfdt 1.6.1's
	 * fdt_check_full() dereferences the NULL fdt_get_name() returns for
	 * one without a '/' (found by fuzz/dt_fuzz.c).  dtc and Linux write
	 * version 17: refuse the old format before libfdt looks at it.
	 */
	if (fdt_magic(blob) == FDT_MAGIC && fdt_version(blob) < 16) {
		global_problem(rep, DT_ERROR,
			       "device tree format version %u is older than 16; convert it with dtc -I dtb -O dtb",
			       fdt_version(blob));
		return -EINVAL;
	}
	err = fdt_check_full(blob, size);
	if (err) {
		global_problem(rep, DT_ERROR, "not a valid device tree blob: %s",
			       fdt_strerror(err));
		return -EINVAL;
	}

	for (node = fdt_node_offset_by_compatible(blob, -1, DT_COMPATIBLE);
	     node >= 0;
	     node = fdt_node_offset_by_compatible(blob, node, DT_COMPATIBLE)) {
		struct dt_region *grown;

		grown = realloc(rep->regions,
				(rep->nregions + 1) * sizeof(*rep->regions));
		if (!grown)
			return -ENOMEM;
		rep->regions = grown;
		memset(&grown[rep->nregions], 0, sizeof(*grown));
		check_node(blob, node, page_size, phys_bits, rep,
			   &grown[rep->nregions]);
		if (!grown[rep->nregions].disabled)
			enabled++;
		rep->nregions++;
	}
	check_pairs(rep);
	check_ram(blob, rep);
	if (enabled > DT_REGIONS_XEN_MAX)
		global_problem(rep, DT_WARNING,
			       "%u regions; Xen gives a domain at most %d",
			       enabled, DT_REGIONS_XEN_MAX);
	if (rep->nregions == 0)
		global_problem(rep, DT_NOTE, "no node is compatible with \"%s\"",
			       DT_COMPATIBLE);
	return 0;
}

void dt_report_free(struct dt_report *rep)
{
	free(rep->regions);
	rep->regions = NULL;
}

int dt_load(const char *path, void **blob, size_t *size)
{
	size_t cap = 65536, len = 0;
	char *buf = NULL;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (!buf || len == cap) {
			char *grown;

			/* a device tree is at most a few MiB: refuse more */
			if (buf && cap >= (64u << 20)) {
				err = -EFBIG;
				break;
			}
			if (buf)
				cap *= 2;
			grown = realloc(buf, cap);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*blob = buf;
	*size = len;
	return 0;
}
