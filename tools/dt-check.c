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

static void check_reg(const void *fdt, int node, long ac, long sc,
		      uint64_t page_size, unsigned int phys_bits,
		      struct dt_report *rep, struct dt_region *r)
{
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
	/* Xen promises 4 KiB; larger kernel pages only limit mmap (driver). */
	if (r->base % DT_XEN_PAGE)
		region_problem(rep, r, DT_ERROR,
			       "base 0x%llx is not aligned to Xen's 4 KiB pages",
			       (unsigned long long)r->base);
	else if (r->base % page_size)
		region_problem(rep, r, DT_WARNING,
			       "base 0x%llx is not aligned to the page size 0x%llx: read and write only, no mmap",
			       (unsigned long long)r->base,
			       (unsigned long long)page_size);
	if (r->size && r->size <= DT_SIZE_ABSURD && r->base + r->size >= r->base &&
	    phys_bits < 64 && r->base + r->size > (1ull << phys_bits))
		region_problem(rep, r, DT_ERROR,
			       "ends at 0x%llx, past the %u-bit physical address space",
			       (unsigned long long)(r->base + r->size), phys_bits);
	if (r->size % DT_XEN_PAGE)
		region_problem(rep, r, DT_ERROR,
			       "size 0x%llx is not a multiple of Xen's 4 KiB pages",
			       (unsigned long long)r->size);
	else if (r->size % page_size)
		region_problem(rep, r, DT_WARNING,
			       "size 0x%llx is not a multiple of the page size 0x%llx: mmap stops before the last partial page",
			       (unsigned long long)r->size,
			       (unsigned long long)page_size);
}

/*
 * The driver's rule: udev names /dev/xshm/by-name/<xen,id> after it and
 * keeps exactly these characters, so two ids never share a link.
 */
static bool id_char_ok(char c)
{
	return isascii((unsigned char)c) &&
	       (isalnum((unsigned char)c) || (c && strchr("#+-.:=@_", c)));
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
	for (const char *c = id; *c; c++) {
		if (!id_char_ok(*c)) {
			region_problem(rep, r, DT_ERROR,
				       "xen,id has character 0x%02x; allowed are ASCII letters, digits and #+-.:=@_",
				       (unsigned char)*c);
			break;
		}
	}
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		region_problem(rep, r, DT_ERROR,
			       "xen,id \"%s\" cannot be a file name", id);
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

/*
 * One level of the walk from the root to the current node.  Linux's
 * of_n_addr_cells() gives a node the #address-cells/#size-cells of its
 * nearest ancestor that has them, else 1: addr_cells and size_cells are
 * what this node's children get (-1: the property is malformed).
 */
struct level {
	int offset;
	const char *name;
	int namelen;
	long addr_cells, size_cells;
};

/* what a node's children inherit for prop: its own value, else parent's */
static long cells_for_children(const void *fdt, int node, const char *prop,
			       long inherited)
{
	int len;
	const fdt32_t *v = fdt_getprop(fdt, node, prop, &len);

	if (!v)
		return inherited;
	return len == 4 ? (long)fdt32_ld(v) : -1;
}

/* the path of the walk's current node, as fdt_get_path() gives it */
static void path_of(const struct level *stack, int depth, char *buf,
		    size_t size)
{
	size_t n = 0;

	if (depth == 0) {
		snprintf(buf, size, "/");
		return;
	}
	for (int d = 1; d <= depth; d++) {
		if (n + 1 + (size_t)stack[d].namelen >= size) {
			snprintf(buf, size, "(node at offset %d)",
				 stack[depth].offset);
			return;
		}
		buf[n++] = '/';
		memcpy(buf + n, stack[d].name, (size_t)stack[d].namelen);
		n += (size_t)stack[d].namelen;
	}
	buf[n] = '\0';
}

static bool named(const struct level *l, const char *name)
{
	return l->namelen == (int)strlen(name) &&
	       !memcmp(l->name, name, (size_t)l->namelen);
}

static void check_node(const void *fdt, const struct level *stack, int depth,
		       uint64_t page_size, unsigned int phys_bits,
		       struct dt_report *rep, struct dt_region *r)
{
	/* the root has no parent: of_n_addr_cells() gives it 1 and 1 */
	static const struct level no_parent = { .offset = -1, .name = "",
		.addr_cells = 1, .size_cells = 1 };
	const struct level *parent = depth ? &stack[depth - 1] : &no_parent;
	int node = stack[depth].offset;
	const void *prop;
	int len;

	path_of(stack, depth, r->path, sizeof(r->path));

	prop = fdt_getprop(fdt, node, "status", &len);
	if (prop && is_string(prop, len) && strcmp(prop, "okay") &&
	    strcmp(prop, "ok")) {
		r->disabled = true;
		region_problem(rep, r, DT_NOTE,
			       "status is \"%s\": the driver ignores this node",
			       (const char *)prop);
	}

	check_reg(fdt, node, parent->addr_cells, parent->size_cells,
		  page_size, phys_bits, rep, r);
	check_id(fdt, node, rep, r);

	prop = fdt_getprop(fdt, node, "xen,offset", &len);
	if (prop) {
		if (len == 8) {
			r->has_offset = true;
			r->offset = read_cells(prop, 2);
		} else {
			region_problem(rep, r, DT_ERROR,
				       "xen,offset has %d bytes (8 expected)", len);
		}
	}
	r->no_map = fdt_getprop(fdt, node, "no-map", NULL) != NULL;

	/* The driver binds only memory the kernel reserved for the node. */
	if (depth != 2 || !named(parent, "reserved-memory"))
		region_problem(rep, r, DT_ERROR,
			       "not a child of /reserved-memory: the driver ignores it");
	else if (!same_cells_as_root(fdt, parent->offset))
		region_problem(rep, r, DT_ERROR,
			       "/reserved-memory has other #address-cells/#size-cells than the root: Linux reserves nothing for its children, so the driver refuses them");
}

/* what the walk gathers besides the regions: RAM from the /memory nodes */
struct ram {
	unsigned int n;
	bool overflow;
	struct { uint64_t base, end; } ranges[DT_RAM_RANGES_MAX];
};

static void add_ram(const void *fdt, int node, const struct level *root,
		    struct ram *ram, struct dt_report *rep)
{
	long ac = root->addr_cells, sc = root->size_cells;
	const char *type;
	const fdt32_t *reg;
	int len;

	type = fdt_getprop(fdt, node, "device_type", &len);
	if (!type || !is_string(type, len) || strcmp(type, "memory"))
		return;
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return;
	reg = fdt_getprop(fdt, node, "reg", &len);
	for (int i = 0; reg && (i + 1) * (ac + sc) * 4 <= len; i++) {
		const fdt32_t *e = reg + i * (ac + sc);
		uint64_t base = read_cells(e, (unsigned int)ac);

		if (ram->n == DT_RAM_RANGES_MAX) {
			if (!ram->overflow)
				global_problem(rep, DT_WARNING,
					       "more than %d RAM ranges in /memory nodes: regions are checked against the first %d",
					       DT_RAM_RANGES_MAX, DT_RAM_RANGES_MAX);
			ram->overflow = true;
			return;
		}
		ram->ranges[ram->n].base = base;
		ram->ranges[ram->n].end =
			base + read_cells(e + ac, (unsigned int)sc);
		ram->n++;
	}
}

/* the driver refuses a region that is part RAM, part not */
static void check_ram(const struct ram *ram, struct dt_report *rep)
{
	for (unsigned int i = 0; i < rep->nregions; i++) {
		struct dt_region *r = &rep->regions[i];
		uint64_t covered = 0, end = r->base + r->size;

		if (r->disabled || !r->has_reg || !r->size ||
		    r->size > DT_SIZE_ABSURD || end < r->base)
			continue;
		for (unsigned int k = 0; k < ram->n; k++) {
			uint64_t lo = ram->ranges[k].base > r->base ?
				ram->ranges[k].base : r->base;
			uint64_t hi = ram->ranges[k].end < end ?
				ram->ranges[k].end : end;

			if (hi > lo)
				covered += hi - lo;
		}
		if (covered && covered < r->size)
			region_problem(rep, r, DT_ERROR,
				       "only 0x%llx of its 0x%llx bytes are RAM (in a /memory node)",
				       (unsigned long long)covered,
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

/* a region node found by the walk: examine it, unless there are too many */
static int add_region(const void *fdt, const struct level *stack, int depth,
		      uint64_t page_size, unsigned int phys_bits,
		      struct dt_report *rep)
{
	struct dt_region *grown;

	if (rep->nregions == DT_REGIONS_MAX) {
		if (!rep->regions_skipped++)
			global_problem(rep, DT_ERROR,
				       "more than %d nodes are compatible with \"%s\": the rest are not checked",
				       DT_REGIONS_MAX, DT_COMPATIBLE);
		return 0;
	}
	/* the array doubles when nregions reaches a power of two */
	if (!(rep->nregions & (rep->nregions - 1))) {
		grown = realloc(rep->regions, (rep->nregions ? 2 * rep->nregions : 1) *
				sizeof(*rep->regions));
		if (!grown)
			return -ENOMEM;
		rep->regions = grown;
	}
	grown = &rep->regions[rep->nregions++];
	memset(grown, 0, sizeof(*grown));
	check_node(fdt, stack, depth, page_size, phys_bits, rep, grown);
	return 0;
}

/*
 * Every check in one pass over the tree, so that the time is linear in its
 * size whatever its shape (libfdt's parent and path lookups start from the
 * root each time: a deep tree made them quadratic, found by the fuzzer).
 */
static int walk(const void *fdt, uint64_t page_size, unsigned int phys_bits,
		struct ram *ram, struct dt_report *rep)
{
	struct level stack[DT_DEPTH_MAX];
	int node, depth = 0, err;
	bool too_deep = false;

	for (node = 0; node >= 0 && depth >= 0;
	     node = fdt_next_node(fdt, node, &depth)) {
		struct level *l;
		long ac, sc;

		if (depth >= DT_DEPTH_MAX) {
			if (!too_deep)
				global_problem(rep, DT_ERROR,
					       "nodes %d or more levels below the root (the first at offset %d): Linux skips them",
					       DT_DEPTH_MAX, node);
			too_deep = true;
			continue;
		}
		l = &stack[depth];
		ac = depth ? stack[depth - 1].addr_cells : 1;
		sc = depth ? stack[depth - 1].size_cells : 1;
		l->offset = node;
		l->name = fdt_get_name(fdt, node, &l->namelen);
		if (!l->name) {
			l->name = "";
			l->namelen = 0;
		}
		l->addr_cells = cells_for_children(fdt, node, "#address-cells",
						   ac);
		l->size_cells = cells_for_children(fdt, node, "#size-cells",
						   sc);
		if (depth == 1)
			add_ram(fdt, node, &stack[0], ram, rep);
		if (fdt_node_check_compatible(fdt, node, DT_COMPATIBLE) == 0) {
			err = add_region(fdt, stack, depth, page_size,
					 phys_bits, rep);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * libfdt 1.6.1's fdt_next_tag() adds a property's length to an int offset
 * unchecked: a length of 2^32 - 12 brings it back to the same tag, and
 * fdt_check_full() loops forever (found by fuzz/dt_fuzz.c; dtc 1.7.0 checks
 * the sum).  Walk the tags first and refuse a step that does not go forward.
 */
static int tags_go_forward(const void *fdt)
{
	int offset, next = 0;
	uint32_t tag;

	do {
		offset = next;
		tag = fdt_next_tag(fdt, offset, &next);
		if (next < 0)
			return next;
		if (tag != FDT_END && next <= offset)
			return -FDT_ERR_BADSTRUCTURE;
	} while (tag != FDT_END);
	return 0;
}

int dt_check(const void *blob, size_t size, uint64_t page_size,
	     unsigned int phys_bits, struct dt_report *rep)
{
	unsigned int enabled = 0;
	struct ram *ram;
	int err;

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
	err = fdt_check_header(blob);
	if (!err && fdt_totalsize(blob) > size)
		err = -FDT_ERR_TRUNCATED;
	if (!err)
		err = tags_go_forward(blob);
	if (!err)
		err = fdt_check_full(blob, size);
	if (err) {
		global_problem(rep, DT_ERROR, "not a valid device tree blob: %s",
			       fdt_strerror(err));
		return -EINVAL;
	}

	ram = calloc(1, sizeof(*ram));
	if (!ram)
		return -ENOMEM;
	err = walk(blob, page_size, phys_bits, ram, rep);
	if (!err) {
		check_pairs(rep);
		check_ram(ram, rep);
	}
	free(ram);
	if (err)
		return err;

	for (unsigned int i = 0; i < rep->nregions; i++)
		enabled += !rep->regions[i].disabled;
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
