// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xshm_dt.h"

#define RESMEM "/proc/device-tree/reserved-memory"

/* Whole property into @buf; returns its length or -1 when absent. */
static long read_prop(const char *node, const char *prop, void *buf,
		      size_t len)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s%s%s/%s", RESMEM, node[0] ? "/" : "",
		 node, prop);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	n = fread(buf, 1, len, f);
	fclose(f);
	return (long)n;
}

static uint64_t be_cells(const unsigned char *p, unsigned int cells)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < cells * 4; i++)
		v = (v << 8) | p[i];
	return v;
}

static unsigned int parent_cells(const char *prop)
{
	unsigned char b[4];

	if (read_prop("", prop, b, sizeof(b)) != 4)
		return 0;
	return (unsigned int)be_cells(b, 1);
}

static bool is_compatible(const char *node)
{
	static const char want[] = "xen,shared-memory-v1";
	char buf[512];
	long len, i;

	len = read_prop(node, "compatible", buf, sizeof(buf) - 1);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	/* A list of NUL-terminated strings: look at each. */
	for (i = 0; i < len; i += (long)strlen(buf + i) + 1)
		if (!strcmp(buf + i, want))
			return true;
	return false;
}

static void load_one(struct dt_shm *s, const char *node, unsigned int na,
		     unsigned int ns)
{
	unsigned char buf[512];
	long len;

	memset(s, 0, sizeof(*s));
	snprintf(s->node, sizeof(s->node), "%s", node);
	s->bad = !strncmp(node, "bad-", 4);

	len = read_prop(node, "reg", buf, sizeof(buf));
	if (na && ns && len == (long)(na + ns) * 4) {
		s->reg_ok = true;
		s->base = be_cells(buf, na);
		s->size = be_cells(buf + na * 4, ns);
	}
	len = read_prop(node, "xen,id", s->id, sizeof(s->id) - 1);
	if (len > 0) {
		s->has_id = true;
		s->id[len] = '\0';
	}
	len = read_prop(node, "xen,offset", buf, sizeof(buf));
	if (len == 4 || len == 8) {
		s->has_offset = true;
		s->offset = be_cells(buf, (unsigned int)len / 4);
	}
	s->no_map = read_prop(node, "no-map", buf, sizeof(buf)) >= 0;
}

int dt_shm_load(struct dt_shm *v, int max, const char *order_file)
{
	unsigned int na = parent_cells("#address-cells");
	unsigned int ns = parent_cells("#size-cells");
	char line[sizeof(((struct dt_shm *)0)->node)];
	int n = 0;
	FILE *f;

	f = fopen(order_file, "r");
	if (!f) {
		perror(order_file);
		return -1;
	}
	while (fgets(line, sizeof(line), f) && n < max) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || !is_compatible(line))
			continue;
		load_one(&v[n], line, na, ns);
		v[n].order = n;
		n++;
	}
	fclose(f);
	return n;
}
